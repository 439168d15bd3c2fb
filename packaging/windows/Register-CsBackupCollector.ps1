#Requires -Version 5.1
#Requires -PSEdition Desktop
#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Registers the scheduled task that keeps check_csbackup's status files fresh, and
    secures the folder they are written to. -Unregister removes both again.

.DESCRIPTION
    One task, \check_csbackup\collect, runs every 5 minutes (-IntervalMinutes) as the
    service account, whether or not anyone is logged on, and collects every pool in one
    run, so the Skype for Business module loads once per run:

        check_csbackup.exe collect --pool <pool> --pool <pool>... --out-dir <folder> --timeout <s>

    It writes <folder>\<pool>.json for each pool, the files the shipped Icinga 2 and
    NSClient++ snippets read. The task runs in the program's folder, never in the
    writable data folder. It is started once right away, and its result is reported.

    check_csbackup.exe needs Windows 10 / Windows Server 2016 or later. On an older
    server (Windows Server 2012 R2) give -ScriptOnly: the task then runs
    Collect-CsBackupStatus.ps1 by itself, which writes the same files, for a check that
    runs on another machine; without -ScriptOnly the script refuses such a server.

    The data folder (default C:\ProgramData\check_csbackup) is created, or an existing
    one checked first: it must be a plain folder (no junction or symbolic link), and it
    and everything in it must belong to Administrators, SYSTEM, you or the service
    account; anything else is refused, because its owner could have planted a status
    file saying OK. Then the folder gets a security descriptor of its own (see
    Set-DataFolderSecurity): owner Administrators, and a protected DACL, which inherits
    nothing from C:\ProgramData (where every user may create files):

        SYSTEM (S-1-5-18)                 full control
        Administrators (S-1-5-32-544)     full control
        the service account               modify: writes and replaces the status files
        the reader account                read: the monitoring agent, NETWORK SERVICE
                                          (S-1-5-20) by default

    Built-in accounts are named by their well-known SIDs, which are the same on every
    language of Windows (their names are not).

    Running the script again replaces the task and the folder's DACL, so fewer pools or
    another account leave no task or rule behind; tasks of earlier versions (one per
    pool) in the same task folder are removed.

    The service account must be allowed to run Get-CsBackupServiceStatus (see README.md
    beside this script) and to log on as a batch job.

.PARAMETER Pool
    The pool FQDN(s) to collect, e.g. pool01.contoso.com,pool02.contoso.com.

.PARAMETER ServiceAccount
    DOMAIN\user, or a group managed service account DOMAIN\name$ (no password needed).

.PARAMETER Password
    The service account's password; asked for when missing (never for a gMSA, never
    under -WhatIf).

.PARAMETER ExePath
    Where check_csbackup.exe is. Default: C:\Program Files\check_csbackup\check_csbackup.exe

.PARAMETER ScriptOnly
    Run Collect-CsBackupStatus.ps1 (-ScriptPath) in Windows PowerShell instead of
    check_csbackup.exe: for Windows Server 2012 R2, where the exe does not run.

.PARAMETER ScriptPath
    Where Collect-CsBackupStatus.ps1 is, for -ScriptOnly. Default: beside this script.

.PARAMETER OutDirectory
    Where the status files go. Default: C:\ProgramData\check_csbackup

.PARAMETER ReaderAccount
    The account the monitoring agent runs as, given read access to the status files:
    DOMAIN\name or a SID. Default: S-1-5-20, NETWORK SERVICE (the Icinga 2 agent's).
    NSClient++ runs as SYSTEM, which may read them anyway.

.PARAMETER IntervalMinutes
    How often the task runs. Default 5: the check's default age thresholds (-w 900,
    -c 3600 seconds) then allow two missed runs before a WARNING.

.PARAMETER TimeoutSeconds
    How long one run may take (collect --timeout; with -ScriptOnly, the task's time
    limit, 60 seconds later, ends a run). Default: 240, or less to stay below the
    interval.

.PARAMETER Unregister
    Remove the task(s) in -TaskPath and the service and reader accounts' rules on the
    data folder, which keeps SYSTEM and Administrators only. The status files stay.

.PARAMETER TaskPath
    The Task Scheduler folder for the task. Default: \check_csbackup\
    Names only, no wildcards (* ? [ ]): every task in that folder is replaced or removed.

.EXAMPLE
    .\Register-CsBackupCollector.ps1 -Pool pool01.contoso.com,pool02.contoso.com -ServiceAccount 'CONTOSO\svc-csbackup'

.EXAMPLE
    .\Register-CsBackupCollector.ps1 -Pool pool01.contoso.com -ServiceAccount 'CONTOSO\gmsa-csbackup$' -WhatIf

.EXAMPLE
    .\Register-CsBackupCollector.ps1 -Pool pool01.contoso.com -ServiceAccount 'CONTOSO\gmsa-csbackup$' -ScriptOnly -ReaderAccount 'CONTOSO\icinga-readers'

.EXAMPLE
    .\Register-CsBackupCollector.ps1 -Unregister
#>
[CmdletBinding(SupportsShouldProcess = $true, DefaultParameterSetName = 'Register')]
param(
    [Parameter(Mandatory = $true, ParameterSetName = 'Register')]
    [ValidatePattern('\A[A-Za-z0-9][A-Za-z0-9.-]{0,252}\z')]
    [string[]] $Pool,

    [Parameter(Mandatory = $true, ParameterSetName = 'Register')]
    [ValidatePattern('\A[^\r\n"]+\z')]
    [string] $ServiceAccount,

    [Parameter(ParameterSetName = 'Register')]
    [System.Security.SecureString] $Password,

    [Parameter(ParameterSetName = 'Register')]
    [string] $ExePath = (Join-Path $env:ProgramFiles 'check_csbackup\check_csbackup.exe'),

    [Parameter(ParameterSetName = 'Register')]
    [switch] $ScriptOnly,

    [Parameter(ParameterSetName = 'Register')]
    [string] $ScriptPath = (Join-Path $PSScriptRoot 'Collect-CsBackupStatus.ps1'),

    [ValidatePattern('\A[^\r\n"]+\z')]
    [string] $OutDirectory = (Join-Path $env:ProgramData 'check_csbackup'),

    [Parameter(ParameterSetName = 'Register')]
    [ValidatePattern('\A[^\r\n"]+\z')]
    [string] $ReaderAccount = 'S-1-5-20',

    [Parameter(ParameterSetName = 'Register')]
    [ValidateRange(1, 1440)]
    [int] $IntervalMinutes = 5,

    [Parameter(ParameterSetName = 'Register')]
    [ValidateRange(10, 86400)]
    [int] $TimeoutSeconds = 240,

    [Parameter(Mandatory = $true, ParameterSetName = 'Unregister')]
    [switch] $Unregister,

    # Get-ScheduledTask -TaskPath takes wildcards: '\*\' would be every folder.
    [ValidatePattern('\A\\([^\\\r\n"*?\[\]]+\\)+\z')]
    [string] $TaskPath = '\check_csbackup\'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

# Paths as PowerShell resolves them (relative to the current location, which .NET's
# own current directory need not be), whether or not they exist yet.
function Get-FullPath {
    param([string] $Path)
    return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}
$OutDirectory = Get-FullPath $OutDirectory
if ($PSCmdlet.ParameterSetName -eq 'Register') {
    $ExePath = Get-FullPath $ExePath
    $ScriptPath = Get-FullPath $ScriptPath
}

# ---- Who is who: well-known SIDs ------------------------------------------------------
# Built-in accounts by SID: 'NT AUTHORITY\NETWORK SERVICE' or 'BUILTIN\Administrators'
# do not resolve on a Windows in another language, their SIDs do everywhere.
$SystemSid = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-18'
$AdministratorsSid = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-32-544'
$TaskName = 'collect'

# An account given as DOMAIN\name, name@domain or S-1-5-..., as its SID; throws naming
# the account and its role when it does not resolve.
function Resolve-AccountSid {
    param([string] $Account, [string] $Role)
    try {
        if ($Account -match '\AS-1-[0-9]+(-[0-9]+)+\z') {
            $sid = New-Object System.Security.Principal.SecurityIdentifier $Account
            # Translating back proves the SID names an account that exists.
            [void] $sid.Translate([System.Security.Principal.NTAccount])
            return $sid
        }
        $name = New-Object System.Security.Principal.NTAccount $Account
        return $name.Translate([System.Security.Principal.SecurityIdentifier])
    } catch {
        throw "the $Role '$Account' is not an account this server knows ($($_.Exception.Message)): check the spelling (DOMAIN\name), or give its SID"
    }
}

# The name of an account, for messages; its SID when it has no name.
function Get-AccountName {
    param([System.Security.Principal.SecurityIdentifier] $Sid)
    try { return $Sid.Translate([System.Security.Principal.NTAccount]).Value }
    catch { return $Sid.Value }
}

# ---- The data folder ------------------------------------------------------------------
# Whether an owner may have had a say in what the folder holds: Administrators, SYSTEM,
# the administrator running this script, and the service account (which writes the
# files) may; anyone else might have planted a status file.
function Test-TrustedOwner {
    param([System.Security.Principal.SecurityIdentifier] $Owner, [System.Security.Principal.SecurityIdentifier[]] $Trusted)
    foreach ($sid in $Trusted) {
        if ($Owner.Equals($sid)) { return $true }
    }
    return $false
}

# The owner of a file or folder; throws when it cannot even be read (a DACL that shuts
# out Administrators is itself a sign of someone else's hand).
function Get-OwnerSid {
    param([System.IO.FileSystemInfo] $Item)
    try {
        return (Get-Acl -LiteralPath $Item.FullName).GetOwner([System.Security.Principal.SecurityIdentifier])
    } catch {
        throw "the owner of $($Item.FullName) cannot be read ($($_.Exception.Message)): take it over (takeown /F `"$($Item.FullName)`" /A), check what it is, and run this script again"
    }
}

# Refuses an existing data folder, or anything in it, that is a junction or symbolic
# link, or that belongs to an account not in $Trusted. Links are never followed.
function Assert-TrustedItem {
    param([System.IO.FileSystemInfo] $Item, [System.Security.Principal.SecurityIdentifier[]] $Trusted)
    if ($Item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        throw "$($Item.FullName) is a junction or symbolic link (a reparse point): status files would be written or read wherever it points. Remove the link (what it points to stays), then run this script again"
    }
    $owner = Get-OwnerSid $Item
    if (-not (Test-TrustedOwner $owner $Trusted)) {
        throw "$($Item.FullName) belongs to $(Get-AccountName $owner) ($($owner.Value)), not to Administrators: that account could have planted a status file. Check what is there; then remove it, or take it over (takeown /F `"$($Item.FullName)`" /A /R), and run this script again"
    }
    if ($Item -is [System.IO.DirectoryInfo]) {
        foreach ($child in Get-ChildItem -LiteralPath $Item.FullName -Force) {
            Assert-TrustedItem $child $Trusted
        }
    }
}

# Refuses an existing data folder that is not a folder, or fails Assert-TrustedItem.
function Assert-TrustedFolder {
    param([string] $Path, [System.Security.Principal.SecurityIdentifier[]] $Trusted)
    $folder = Get-Item -LiteralPath $Path -Force
    if ($folder -isnot [System.IO.DirectoryInfo]) {
        throw "$Path exists and is not a folder: remove it, or give -OutDirectory another path"
    }
    Assert-TrustedItem $folder $Trusted
}

# The data folder's security descriptor, built from nothing rather than added to:
# owner Administrators, and a protected DACL (no rule inherited from the parent folder)
# holding exactly these rules, each for the folder, its subfolders and its files:
#   SYSTEM          FullControl
#   Administrators  FullControl
#   $Collector      Modify   (omitted by -Unregister)
#   $Reader         Read     (omitted by -Unregister)
function New-DataFolderSecurity {
    param([System.Security.Principal.SecurityIdentifier[]] $Modify, [System.Security.Principal.SecurityIdentifier[]] $Read)
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetOwner($AdministratorsSid)
    # Protected: inherit nothing; and keep no copy of the inherited rules.
    $security.SetAccessRuleProtection($true, $false)
    $grants = @(
        @{ Sids = @($SystemSid, $AdministratorsSid); Rights = 'FullControl' }
        @{ Sids = $Modify; Rights = 'Modify' }
        @{ Sids = $Read; Rights = 'Read' }
    )
    foreach ($grant in $grants) {
        foreach ($sid in $grant.Sids) {
            $rule = New-Object System.Security.AccessControl.FileSystemAccessRule(
                $sid, [System.Security.AccessControl.FileSystemRights] $grant.Rights,
                'ContainerInherit, ObjectInherit', 'None', 'Allow')
            $security.AddAccessRule($rule)
        }
    }
    return $security
}

# Creates the data folder with $Security from the start, or gives an existing one
# $Security (its files and subfolders inherit the new rules at once).
function Set-DataFolderSecurity {
    param([string] $Path, [System.Security.AccessControl.DirectorySecurity] $Security)
    if (-not (Test-Path -LiteralPath $Path)) {
        # Created with its DACL: no moment in which it inherits C:\ProgramData's rules.
        [void] [System.IO.Directory]::CreateDirectory($Path, $Security)
        return
    }
    if ((Get-Item -LiteralPath $Path -Force).Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        throw "$Path is a junction or symbolic link (a reparse point): its permissions are not changed through it. Remove the link (what it points to stays), then run this script again"
    }
    Set-Acl -LiteralPath $Path -AclObject $Security
}

# Leaves the files and subfolders of the data folder only the rules they inherit from
# it: a rule set on one file (by hand, or by whoever made it) goes. Call it only after
# Assert-TrustedFolder, which refuses links, so that nothing outside is touched.
function Reset-ChildSecurity {
    param([string] $Path)
    foreach ($item in Get-ChildItem -LiteralPath $Path -Force -Recurse) {
        $own = $item.GetAccessControl('Access')
        $own.SetAccessRuleProtection($false, $false)
        foreach ($rule in @($own.GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier]))) {
            [void] $own.RemoveAccessRuleSpecific($rule)
        }
        $item.SetAccessControl($own)
    }
}

# ---- The task -------------------------------------------------------------------------
# check_csbackup.exe is built for x86_64-pc-windows-gnu, which since Rust 1.78 needs
# Windows 10 / Windows Server 2016 (NT 10.0) or later.
function Test-ExeSupported {
    return [Environment]::OSVersion.Version -ge [Version] '10.0'
}

# A full path as one command-line argument: quoted, and without a trailing backslash,
# which would escape the closing quote.
function Format-PathArgument {
    param([string] $Path)
    $full = $Path.TrimEnd('\')
    if ($full.EndsWith(':')) { $full += '\.' }
    return '"' + $full + '"'
}

# What the task runs: program, arguments and working directory.
function Get-CollectorAction {
    if ($ScriptOnly) {
        $program = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
        $arguments = '-NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File ' +
            (Format-PathArgument $ScriptPath) + ' -Pool ' + ($Pool -join ',') +
            ' -OutDirectory ' + (Format-PathArgument $OutDirectory)
        $folder = Split-Path -Parent $ScriptPath
    } else {
        $program = $ExePath
        $pools = ($Pool | ForEach-Object { "--pool $_" }) -join ' '
        $arguments = "collect $pools --out-dir $(Format-PathArgument $OutDirectory) --timeout $TimeoutSeconds"
        $folder = Split-Path -Parent $program
    }
    return @{ Program = $program; Arguments = $arguments; Folder = $folder }
}

# What a task's LastTaskResult means.
function Get-TaskResultMeaning {
    param($Code)
    $hex = '0x{0:X8}' -f $Code
    switch ($hex) {
        '0x00000000' { return "$hex, success: every status file was written" }
        '0x00000001' { return "$hex, collecting failed for a pool: its file carries the Error; run the check on it with -v" }
        '0x00000002' { return "$hex, usage error: the task's command line was refused; run it by hand to see why" }
        '0x00041301' { return "$hex, still running: loading the Skype for Business module can take a minute; look again with Get-ScheduledTaskInfo" }
        '0x00041303' { return "$hex, has not run yet" }
        '0x00041306' { return "$hex, stopped: it ran past its time limit" }
        '0x8004131F' { return "$hex, an earlier run was still going" }
        '0x8007052E' { return "$hex, logon failure: unknown user name or bad password" }
        '0x80070569' { return "$hex, logon failure: the account lacks the right to log on as a batch job" }
        default { return "$hex, unexpected: see the task's History in Task Scheduler" }
    }
}

# Starts the task and waits (up to the run's time limit) for the run to end.
function Start-AndWaitForTask {
    param([int] $Seconds)
    $before = (Get-Date).AddSeconds(-1)
    Start-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath
    $deadline = (Get-Date).AddSeconds($Seconds)
    do {
        Start-Sleep -Seconds 2
        $task = Get-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath
        $info = $task | Get-ScheduledTaskInfo
        $ended = $task.State -ne 'Running' -and $info.LastRunTime -ge $before
    } until ($ended -or (Get-Date) -gt $deadline)
    return $info
}

# The tasks in $TaskPath itself. Get-ScheduledTask -TaskPath reads wildcards, so each
# task's path is compared with $TaskPath as plain text too.
function Get-OwnTasks {
    foreach ($task in @(Get-ScheduledTask -TaskPath $TaskPath -ErrorAction SilentlyContinue)) {
        if ($task.TaskPath -ne $TaskPath) { continue }
        $task
    }
}

# Removes every task in $TaskPath but $Keep: earlier versions registered one per pool.
function Remove-OtherTasks {
    param([string] $Keep)
    foreach ($task in @(Get-OwnTasks)) {
        if ($task.TaskName -eq $Keep) { continue }
        if ($PSCmdlet.ShouldProcess("$TaskPath$($task.TaskName)", 'Remove the scheduled task')) {
            Unregister-ScheduledTask -TaskName $task.TaskName -TaskPath $TaskPath -Confirm:$false
            Write-Host "Removed the task $TaskPath$($task.TaskName)"
        }
    }
}

function Register-CollectorTask {
    param([hashtable] $Action)
    $isGmsa = $ServiceAccount.EndsWith('$')
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -StartWhenAvailable `
        -ExecutionTimeLimit (New-TimeSpan -Seconds ($TimeoutSeconds + 60))
    $repeat = @{ RepetitionInterval = (New-TimeSpan -Minutes $IntervalMinutes) }
    if (-not (Test-ExeSupported)) {
        # Windows Server 2012 R2 wants a duration; later releases repeat forever without one.
        $repeat.RepetitionDuration = [TimeSpan]::MaxValue
    }
    $common = @{
        TaskName = $TaskName
        TaskPath = $TaskPath
        Action   = New-ScheduledTaskAction -Execute $Action.Program -Argument $Action.Arguments -WorkingDirectory $Action.Folder
        Trigger  = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1) @repeat
        Settings = $settings
        Force    = $true
    }
    if ($isGmsa) {
        $principal = New-ScheduledTaskPrincipal -UserId $ServiceAccount -LogonType Password -RunLevel Highest
        [void] (Register-ScheduledTask @common -Principal $principal)
        return
    }
    $secret = $Password
    if (-not $secret) { $secret = Read-Host -AsSecureString "Password for $ServiceAccount" }
    $plain = (New-Object System.Net.NetworkCredential('', $secret)).Password
    [void] (Register-ScheduledTask @common -User $ServiceAccount -Password $plain -RunLevel Highest)
}

# ---- Unregister -----------------------------------------------------------------------
if ($Unregister) {
    Remove-OtherTasks -Keep ''
    try {
        $service = New-Object -ComObject Schedule.Service
        $service.Connect()
        $name = $TaskPath.Trim('\')
        if ($PSCmdlet.ShouldProcess($TaskPath, 'Remove the empty Task Scheduler folder')) {
            $service.GetFolder('\').DeleteFolder($name, 0)
        }
    } catch {
        Write-Verbose "The Task Scheduler folder $TaskPath stays: $($_.Exception.Message)"
    }
    if ((Test-Path -LiteralPath $OutDirectory) -and
        $PSCmdlet.ShouldProcess($OutDirectory, 'Keep only SYSTEM and Administrators in the DACL')) {
        Set-DataFolderSecurity $OutDirectory (New-DataFolderSecurity -Modify @() -Read @())
        Write-Host "$OutDirectory now grants SYSTEM and Administrators only; its status files stay: remove the folder if nothing needs them"
    }
    return
}

# ---- Register -------------------------------------------------------------------------
if (-not $ScriptOnly -and -not (Test-ExeSupported)) {
    throw "check_csbackup.exe needs Windows 10 or Windows Server 2016 or later (Rust's x86_64-pc-windows-gnu target, since Rust 1.78), and this is Windows $([Environment]::OSVersion.Version). Run this script again with -ScriptOnly: the task then runs Collect-CsBackupStatus.ps1 itself, writing the same files, for a check_csbackup on another machine to read"
}
$program = if ($ScriptOnly) { $ScriptPath } else { $ExePath }
if (-not (Test-Path -LiteralPath $program -PathType Leaf)) {
    throw "$program is not there: copy it there, or give -ExePath / -ScriptPath"
}
if ($TimeoutSeconds -ge $IntervalMinutes * 60) {
    if ($PSBoundParameters.ContainsKey('TimeoutSeconds')) {
        throw "-TimeoutSeconds $TimeoutSeconds is not below the interval of $IntervalMinutes minute(s): a run must end before the next one starts"
    }
    $TimeoutSeconds = [Math]::Max(10, $IntervalMinutes * 60 - 30)
}
if ($IntervalMinutes -gt 7) {
    Write-Warning "with a run every $IntervalMinutes minutes, raise the check's -w (default 900 s) above $(2 * $IntervalMinutes * 60) s, or it warns about old data between runs"
}
$collectorSid = Resolve-AccountSid $ServiceAccount 'service account'
$readerSid = Resolve-AccountSid $ReaderAccount 'reader account'
$me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User

if ($PSCmdlet.ShouldProcess($OutDirectory, "Secure the data folder: owner Administrators; only SYSTEM and Administrators (full control), $ServiceAccount (modify), $(Get-AccountName $readerSid) (read)")) {
    $existed = Test-Path -LiteralPath $OutDirectory
    if ($existed) {
        Assert-TrustedFolder $OutDirectory @($AdministratorsSid, $SystemSid, $me, $collectorSid)
    }
    Set-DataFolderSecurity $OutDirectory (New-DataFolderSecurity -Modify @($collectorSid) -Read @($readerSid))
    if ($existed) { Reset-ChildSecurity $OutDirectory }
}

$action = Get-CollectorAction
Remove-OtherTasks -Keep $TaskName
if (-not $PSCmdlet.ShouldProcess("$TaskPath$TaskName", "Register: every $IntervalMinutes minutes, as $ServiceAccount, in $($action.Folder): $($action.Program) $($action.Arguments)")) {
    return
}
Register-CollectorTask $action
Write-Host "Registered $TaskPath$TaskName, writing $(($Pool | ForEach-Object { Join-Path $OutDirectory "$_.json" }) -join ', ')"
Write-Host 'Running it once now...'
$info = Start-AndWaitForTask ($TimeoutSeconds + 30)
Write-Host "Last run result: $(Get-TaskResultMeaning $info.LastTaskResult)"
