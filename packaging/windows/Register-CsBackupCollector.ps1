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

        check_csbackup.exe collect --pool <pool> --pool <pool>... --out-dir <folder> --timeout <s> --history-max-age <3.5 intervals>

    It writes <folder>\<pool>.json for each pool, the files the shipped Icinga 2 and
    NSClient++ snippets read. The task runs in the program's folder, never in the
    writable data folder. It is started once right away, and its result is reported.

    check_csbackup.exe needs Windows 10 / Windows Server 2016 or later. On an older
    server (Windows Server 2012 R2) give -ScriptOnly: the task then runs
    Collect-CsBackupStatus.ps1 by itself, a copy installed in -InstallDirectory, which
    writes the same files, for a check that runs on another machine; without
    -ScriptOnly the script refuses such a server.

    The data folder (default C:\ProgramData\check_csbackup) gets a security descriptor
    of its own (see New-DataFolderSecurity): owner Administrators, and a protected DACL,
    which inherits nothing from C:\ProgramData (where every user may create files):

        SYSTEM (S-1-5-18)                 full control
        Administrators (S-1-5-32-544)     full control
        the service account               modify: writes and replaces the status files
        the reader account                read: the monitoring agent, NETWORK SERVICE
                                          (S-1-5-20) by default

    An existing folder is changed in place only when it is already safe, as this script
    leaves it: a plain folder (no junction or symbolic link) owned by Administrators or
    SYSTEM, with a protected DACL that lets no group of many accounts (Everyone, Users,
    Domain Users...) write, holding no link and nothing that belongs to an account other than
    Administrators, SYSTEM, you, the service account or one its DACL lets write (the
    previous service account). Its status files are then deleted (the first
    run writes them again) and it gets the DACL above. Any other folder is moved aside,
    to <folder>.unsafe-<date>-<time>, with a warning, and created anew: whoever could
    write in it could have planted a status file saying OK, or a link through which a
    change of permissions would reach other files.

    Built-in accounts are named by their well-known SIDs, which are the same on every
    language of Windows (their names are not).

    Running the script again replaces the task and the folder's DACL, so fewer pools or
    another account leave no task or rule behind; tasks of earlier versions (one per
    pool) in the same task folder are removed. Nothing changes before the new task is
    known to register: the checks come first (also under -WhatIf); then the password is
    asked for; the tasks in -TaskPath are stopped and disabled; the new task is
    registered disabled, which checks the password (if that fails, the stopped tasks run
    again); then the data folder is set up, the other tasks removed, and the task
    enabled and run once.

    The service account must be allowed to run Get-CsBackupServiceStatus (see
    docs\windows-collector.md, beside this script in the zip) and to log on as a batch job.

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
    Run Collect-CsBackupStatus.ps1 in Windows PowerShell instead of check_csbackup.exe:
    for Windows Server 2012 R2, where the exe does not run. The script (-ScriptPath) is
    installed into -InstallDirectory, unblocked, and refused if anyone but SYSTEM,
    Administrators and TrustedInstaller may change it or its folder; so is a server
    whose Group Policy sets the execution policy to Restricted, or to AllSigned for an
    unsigned script.

.PARAMETER ScriptPath
    Where Collect-CsBackupStatus.ps1 is, for -ScriptOnly. Default: beside this script.

.PARAMETER InstallDirectory
    Where -ScriptOnly installs Collect-CsBackupStatus.ps1 for the task to run, and the
    task's working folder. Default: C:\Program Files\check_csbackup

.PARAMETER OutDirectory
    Where the status files go. Default: C:\ProgramData\check_csbackup

.PARAMETER ReaderAccount
    The account the monitoring agent runs as, given read access to the status files:
    DOMAIN\name or a SID. Default: S-1-5-20, NETWORK SERVICE (the Icinga 2 agent's).
    NSClient++ runs as SYSTEM, which may read them anyway.

.PARAMETER IntervalMinutes
    How often the task runs. Default 5: the check's default age thresholds (-w 900,
    -c 3600 seconds) then allow two missed runs before a WARNING. The collector carries
    history (how long a backlog has lasted) across runs up to three and a half intervals
    apart (collect --history-max-age): two missed runs, whatever the module's load time.

.PARAMETER TimeoutSeconds
    How long one run may take (collect --timeout; with -ScriptOnly, the task's time
    limit, 60 seconds later, ends a run). Default: 240, or less to stay below the
    interval.

.PARAMETER Unregister
    Stop and remove the task(s) in -TaskPath; delete the status files and the service
    and reader accounts' rules in the data folder, which keeps SYSTEM and Administrators
    only. A data folder that is not safe (see above) is left as it is, with a warning.

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

    [Parameter(ParameterSetName = 'Register')]
    [ValidatePattern('\A[^\r\n"]+\z')]
    [string] $InstallDirectory = (Join-Path $env:ProgramFiles 'check_csbackup'),

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
# own current directory need not be), whether or not they exist yet; without a trailing
# backslash, which would make Windows look through a link at the end of the path.
function Get-FullPath {
    param([string] $Path)
    $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    if ($full.Length -gt 3) { $full = $full.TrimEnd('\') }
    return $full
}
$OutDirectory = Get-FullPath $OutDirectory
if ($PSCmdlet.ParameterSetName -eq 'Register') {
    $ExePath = Get-FullPath $ExePath
    $ScriptPath = Get-FullPath $ScriptPath
    $InstallDirectory = Get-FullPath $InstallDirectory
}

# ---- Who is who: well-known SIDs ------------------------------------------------------
# Built-in accounts by SID: 'NT AUTHORITY\NETWORK SERVICE' or 'BUILTIN\Administrators'
# do not resolve on a Windows in another language, their SIDs do everywhere.
$SystemSid = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-18'
$AdministratorsSid = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-32-544'
# NT SERVICE\TrustedInstaller, which owns and may change what Windows installs.
$TrustedInstallerSid = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464'
# The administrator running this script.
$me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User
$TaskName = 'collect'

# The status file the collector writes for $Name, as it names it (a final dot left out).
function Get-StatusFilePath {
    param([string] $Name)
    return Join-Path $OutDirectory ($Name.TrimEnd('.') + '.json')
}

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
# The rights that let an account change a file or folder, what it holds, or who may:
# write data / create files, append data / create folders, write extended attributes,
# delete what is inside, write attributes, delete, change permissions, take ownership;
# and GENERIC_ALL (0x10000000) and GENERIC_WRITE (0x40000000), which rules meant for
# what is created inside (such as CREATOR OWNER's) carry unmapped.
$WritingRights = [int] [System.Security.AccessControl.FileSystemRights] 'WriteData, AppendData, WriteExtendedAttributes, DeleteSubdirectoriesAndFiles, WriteAttributes, Delete, ChangePermissions, TakeOwnership'
$WritingRights = $WritingRights -bor 0x10000000 -bor 0x40000000

# Whether $Sid is one of $Set.
function Test-SidIn {
    param([System.Security.Principal.SecurityIdentifier] $Sid, [System.Security.Principal.SecurityIdentifier[]] $Set)
    foreach ($one in $Set) {
        if ($Sid.Equals($one)) { return $true }
    }
    return $false
}

# Whether $Sid takes in many accounts: a built-in group or identity (Everyone, Users,
# Authenticated Users, INTERACTIVE...: every SID outside an account domain), or one of
# the groups every domain has, whatever the domain: Enterprise Read-only Domain
# Controllers (RID 498), Domain Users (513; on a server outside a domain, None, every
# local user), Domain Guests (514), Domain Computers (515), Domain Controllers (516),
# Cert Publishers (517), Read-only Domain Controllers (521), Cloneable Domain
# Controllers (522), RAS and IAS Servers (553).
$ManyAccountsDomainRid = '\AS-1-5-21-[0-9]+-[0-9]+-[0-9]+-(498|51[3-7]|52[12]|553)\z'
function Test-ManyAccountsSid {
    param([System.Security.Principal.SecurityIdentifier] $Sid)
    return (-not $Sid.IsAccountSid()) -or ($Sid.Value -match $ManyAccountsDomainRid)
}

# The accounts that the allow rules of $Security let write (see $WritingRights).
# -SkipInheritOnly leaves out rules that apply only to what is created inside, not to
# the item itself.
function Get-WritingSids {
    param([System.Security.AccessControl.FileSystemSecurity] $Security, [switch] $SkipInheritOnly)
    foreach ($rule in $Security.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        if ($rule.AccessControlType -ne [System.Security.AccessControl.AccessControlType]::Allow) { continue }
        $inheritOnly = $rule.PropagationFlags -band [System.Security.AccessControl.PropagationFlags]::InheritOnly
        if ($SkipInheritOnly -and $inheritOnly) { continue }
        if (([int] $rule.FileSystemRights) -band $WritingRights) { $rule.IdentityReference }
    }
}

# The attributes of what is at $Path, or $null when nothing is. A link is not followed:
# a junction or symbolic link shows as a ReparsePoint even when it points nowhere.
function Get-PathAttributes {
    param([string] $Path)
    try {
        return [System.IO.File]::GetAttributes($Path)
    } catch [System.IO.FileNotFoundException], [System.IO.DirectoryNotFoundException] {
        return $null
    }
}

# Why something in $Folder, at any depth, makes it unsafe: a junction or symbolic link,
# or an owner outside $Trusted (who could have planted a status file); $null when
# nothing does. Links are reported, never entered.
function Get-UnsafeContentReason {
    param([System.IO.DirectoryInfo] $Folder, [System.Security.Principal.SecurityIdentifier[]] $Trusted)
    foreach ($item in $Folder.EnumerateFileSystemInfos()) {
        if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
            return "$($item.FullName) is a junction or symbolic link"
        }
        try {
            $owner = $item.GetAccessControl('Owner').GetOwner([System.Security.Principal.SecurityIdentifier])
        } catch {
            return "the owner of $($item.FullName) cannot be read ($($_.Exception.Message))"
        }
        if (-not (Test-SidIn $owner $Trusted)) {
            return "$($item.FullName) belongs to $(Get-AccountName $owner) ($($owner.Value))"
        }
        if ($item -is [System.IO.DirectoryInfo]) {
            $reason = Get-UnsafeContentReason $item $Trusted
            if ($reason) { return $reason }
        }
    }
    return $null
}

# Why the existing folder $Path may not be used as it is; $null when it may. Safe is
# what this script makes: a plain folder owned by Administrators or SYSTEM whose DACL
# is protected (inherits nothing) and lets no group of many accounts write (see
# Test-ManyAccountsSid: only SYSTEM, Administrators, single accounts such as a service
# account, and groups an administrator made), holding no link and nothing owned by an account outside $Trusted
# or those its DACL lets write (a previous service account, whose files are still there).
function Get-UnsafeFolderReason {
    param([string] $Path, [System.Security.Principal.SecurityIdentifier[]] $Trusted)
    $folder = New-Object System.IO.DirectoryInfo $Path
    if ($folder.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        return 'it is a junction or symbolic link'
    }
    try {
        $security = $folder.GetAccessControl('Owner, Access')
    } catch {
        return "its owner and permissions cannot be read ($($_.Exception.Message))"
    }
    $owner = $security.GetOwner([System.Security.Principal.SecurityIdentifier])
    if (-not (Test-SidIn $owner @($AdministratorsSid, $SystemSid))) {
        return "it belongs to $(Get-AccountName $owner) ($($owner.Value)), not to Administrators or SYSTEM"
    }
    if (-not $security.AreAccessRulesProtected) {
        return 'it inherits permissions from its parent folder, which may let other accounts create files in it'
    }
    $writers = @(Get-WritingSids $security)
    foreach ($sid in $writers) {
        # A single account (a former service account) may have been let write; a group
        # of many may not, Domain Users no more than Everyone.
        if (-not (Test-SidIn $sid @($AdministratorsSid, $SystemSid)) -and (Test-ManyAccountsSid $sid)) {
            return "its DACL lets $(Get-AccountName $sid) ($($sid.Value)), a group of many accounts, write in it"
        }
    }
    return Get-UnsafeContentReason $folder (@($Trusted) + $writers)
}

# What to do with the data folder, found by reading only (so -WhatIf shows it too):
# Action 'Create' (nothing is there), 'Keep' (it is safe: change it in place) or
# 'MoveAside' (anything else; Reason says why). Refuses a file in its place.
function Get-DataFolderPlan {
    param([string] $Path, [System.Security.Principal.SecurityIdentifier[]] $Trusted)
    $attributes = Get-PathAttributes $Path
    if ($null -eq $attributes) { return @{ Action = 'Create'; Reason = $null } }
    if (-not ($attributes -band [System.IO.FileAttributes]::Directory)) {
        throw "$Path exists and is not a folder: remove it, or give -OutDirectory another path"
    }
    $reason = Get-UnsafeFolderReason $Path $Trusted
    if ($reason) { return @{ Action = 'MoveAside'; Reason = $reason } }
    return @{ Action = 'Keep'; Reason = $null }
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

# Throws unless $Path is now a plain folder owned by Administrators with a protected
# DACL: .NET Framework's CreateDirectory accepts a folder that already exists, without
# an error and without applying the permissions, so a folder someone else created at
# the same moment would otherwise be taken for the new one.
function Assert-CreatedSafely {
    param([string] $Path)
    $attributes = Get-PathAttributes $Path
    $problem = $null
    if ($null -eq $attributes) { $problem = 'it is not there' }
    elseif ($attributes -band [System.IO.FileAttributes]::ReparsePoint) { $problem = 'it is a junction or symbolic link' }
    elseif (-not ($attributes -band [System.IO.FileAttributes]::Directory)) { $problem = 'it is not a folder' }
    else {
        $security = (New-Object System.IO.DirectoryInfo $Path).GetAccessControl('Owner, Access')
        $owner = $security.GetOwner([System.Security.Principal.SecurityIdentifier])
        if (-not $owner.Equals($AdministratorsSid)) { $problem = "it belongs to $(Get-AccountName $owner) ($($owner.Value))" }
        elseif (-not $security.AreAccessRulesProtected) { $problem = 'its permissions are inherited' }
    }
    if ($problem) {
        throw "$Path was just created, but ${problem}: someone else may have created it at the same moment. Check what is there, move it away, and run this script again"
    }
}

# Creates the data folder with $Security from the start: no moment in which it inherits
# C:\ProgramData's rules.
function New-DataFolder {
    param([string] $Path, [System.Security.AccessControl.DirectorySecurity] $Security)
    [void] [System.IO.Directory]::CreateDirectory($Path, $Security)
    Assert-CreatedSafely $Path
}

# Moves an unsafe data folder aside, beside itself, keeping what is in it for a look:
# Directory.Move renames the entry itself, so a junction or symbolic link moves as a
# link and nothing it points to is touched.
function Move-FolderAside {
    param([string] $Path, [string] $Reason)
    $stamp = [DateTime]::Now.ToString('yyyyMMdd-HHmmss', [System.Globalization.CultureInfo]::InvariantCulture)
    $aside = "$Path.unsafe-$stamp"
    [System.IO.Directory]::Move($Path, $aside)
    Write-Warning "$Path could not be used as it was ($Reason): moved aside to $aside. Look at what is in it, then delete it"
}

# Deletes the status files and leftover temporary files in the data folder: the first
# run writes them again, as the service account's. Deleting a name never changes the
# file that another name (a hard link) still points to, where a change of permissions
# would.
function Remove-StatusFiles {
    param([string] $Path)
    foreach ($file in (New-Object System.IO.DirectoryInfo $Path).EnumerateFiles()) {
        if ($file.Name -like '*.json' -or $file.Name -like '.*.tmp') { $file.Delete() }
    }
}

# Leaves everything in $Folder only the rules it inherits: a rule set on one file (by
# hand, or by whoever made it) goes. Links are neither entered nor changed (a safe
# folder holds none: Get-UnsafeContentReason).
function Reset-ChildSecurity {
    param([System.IO.DirectoryInfo] $Folder)
    foreach ($item in $Folder.EnumerateFileSystemInfos()) {
        if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) { continue }
        $own = $item.GetAccessControl('Access')
        $own.SetAccessRuleProtection($false, $false)
        foreach ($rule in @($own.GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier]))) {
            [void] $own.RemoveAccessRuleSpecific($rule)
        }
        $item.SetAccessControl($own)
        if ($item -is [System.IO.DirectoryInfo]) { Reset-ChildSecurity $item }
    }
}

# Gives a safe data folder (Get-DataFolderPlan said 'Keep') $Security in place, so that
# no status file of a former service account stays behind. The status files go before
# the new DACL, whose rules Windows writes into every file below it; and again after
# it, should an account that could write until then have put one there meanwhile.
function Reset-DataFolder {
    param([string] $Path, [System.Security.AccessControl.DirectorySecurity] $Security)
    Remove-StatusFiles $Path
    Set-Acl -LiteralPath $Path -AclObject $Security
    Remove-StatusFiles $Path
    Reset-ChildSecurity (New-Object System.IO.DirectoryInfo $Path)
}

# Carries out $Plan (Get-DataFolderPlan) for the data folder, asking ShouldProcess;
# $Rules says in words what $Security grants.
function Set-DataFolder {
    param([string] $Path, [hashtable] $Plan, [System.Security.AccessControl.DirectorySecurity] $Security, [string] $Rules)
    switch ($Plan.Action) {
        'Create' {
            if ($PSCmdlet.ShouldProcess($Path, "Create the data folder: $Rules")) { New-DataFolder $Path $Security }
        }
        'Keep' {
            if ($PSCmdlet.ShouldProcess($Path, "Delete the status files (the first run writes them again) and set: $Rules")) {
                Reset-DataFolder $Path $Security
            }
        }
        'MoveAside' {
            if ($PSCmdlet.ShouldProcess($Path, "Move the folder aside ($($Plan.Reason)) and create it anew: $Rules")) {
                Move-FolderAside $Path $Plan.Reason
                New-DataFolder $Path $Security
            }
        }
    }
}

# ---- -ScriptOnly: the collector script, installed --------------------------------------
# The task runs Collect-CsBackupStatus.ps1 as the service account, which may change the
# whole Skype for Business deployment: it runs a copy in -InstallDirectory (default
# C:\Program Files\check_csbackup), which the service account can read and only
# administrators can change, never the one wherever the zip was unpacked.

# Refuses $Path (the installed script, or its folder) when it is a link, or when an
# account other than SYSTEM, Administrators and TrustedInstaller (or you, its owner)
# owns it or may write it, delete it or change its permissions: that account could
# change the code the task runs. Rules that only reach what is created inside
# (inherit-only, such as CREATOR OWNER's in C:\Program Files) do not count.
function Assert-OnlyAdministratorsWrite {
    param([string] $Path)
    if ((Get-PathAttributes $Path) -band [System.IO.FileAttributes]::ReparsePoint) {
        throw "$Path is a junction or symbolic link: give -InstallDirectory a plain folder that only administrators may change"
    }
    $security = Get-Acl -LiteralPath $Path
    $owner = $security.GetOwner([System.Security.Principal.SecurityIdentifier])
    $administrators = @($SystemSid, $AdministratorsSid, $TrustedInstallerSid)
    if (-not (Test-SidIn $owner ($administrators + $me))) {
        throw "$Path belongs to $(Get-AccountName $owner) ($($owner.Value)), who could change the script the task runs as ${ServiceAccount}: take it over (takeown /F `"$Path`" /A), or give -InstallDirectory a folder only administrators may change"
    }
    foreach ($sid in @(Get-WritingSids $security -SkipInheritOnly)) {
        if (-not (Test-SidIn $sid $administrators)) {
            throw "$Path lets $(Get-AccountName $sid) ($($sid.Value)) change it, and so the script the task runs as ${ServiceAccount}: remove that rule (icacls `"$Path`" /remove `"$(Get-AccountName $sid)`"), or give -InstallDirectory a folder only administrators may change, such as the default under C:\Program Files"
        }
    }
}

# Refuses to go on when Group Policy would stop PowerShell from running the script: the
# task's -ExecutionPolicy Bypass overrides the local settings, not a policy that Group
# Policy sets (MachinePolicy, seen here; UserPolicy, set for the service account's own
# user settings, is not visible from this session). Restricted runs no script file at
# all, AllSigned only signed ones; RemoteSigned runs the installed copy once it is
# unblocked (Install-CollectorScript).
function Assert-ScriptMayRun {
    param([string] $Script)
    $policy = Get-ExecutionPolicy -Scope MachinePolicy
    if ($policy -eq 'Restricted') {
        throw "Group Policy sets PowerShell's execution policy to Restricted on this server (Get-ExecutionPolicy -List shows it as MachinePolicy), so the task could run no script file, whatever its -ExecutionPolicy Bypass says: have the policy allow local scripts (RemoteSigned), or run check_csbackup.exe on a server where it runs (Windows Server 2016 or later) instead of -ScriptOnly"
    }
    if ($policy -eq 'AllSigned' -and (Get-AuthenticodeSignature -LiteralPath $Script).Status -ne 'Valid') {
        throw "Group Policy sets PowerShell's execution policy to AllSigned on this server (MachinePolicy), and $Script carries no valid signature, so the task could not run it: sign it with a code-signing certificate the server trusts (Set-AuthenticodeSignature; its publisher in Trusted Publishers), or run check_csbackup.exe on a server where it runs (Windows Server 2016 or later) instead of -ScriptOnly"
    }
}

# Copies the script into -InstallDirectory, unblocks the copy, and checks that only
# administrators can change it or its folder.
function Install-CollectorScript {
    $installed = Join-Path $InstallDirectory 'Collect-CsBackupStatus.ps1'
    if (-not $PSCmdlet.ShouldProcess($installed, "Install $ScriptPath, unblocked, for the task to run")) { return }
    # A new folder inherits C:\Program Files' rules: administrators change it, users read.
    if ($null -eq (Get-PathAttributes $InstallDirectory)) { [void] [System.IO.Directory]::CreateDirectory($InstallDirectory) }
    Assert-OnlyAdministratorsWrite $InstallDirectory
    Copy-Item -LiteralPath $ScriptPath -Destination $installed -Force
    # A file from a zip that Explorer unpacked carries the Mark of the Web (and Copy-Item
    # keeps it): under RemoteSigned, PowerShell would refuse it as downloaded.
    Unblock-File -LiteralPath $installed
    Assert-OnlyAdministratorsWrite $installed
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
            (Format-PathArgument (Join-Path $InstallDirectory 'Collect-CsBackupStatus.ps1')) +
            ' -Pool ' + ($Pool -join ',') + ' -OutDirectory ' + (Format-PathArgument $OutDirectory)
        $folder = $InstallDirectory
    } else {
        $program = $ExePath
        $pools = ($Pool | ForEach-Object { "--pool $_" }) -join ' '
        $arguments = "collect $pools --out-dir $(Format-PathArgument $OutDirectory) --timeout $TimeoutSeconds --history-max-age $(210 * $IntervalMinutes)"
        $folder = Split-Path -Parent $program
    }
    return @{ Program = $program; Arguments = $arguments; Folder = $folder }
}

# Where Task Scheduler records each run and why it ended; that record is off by default
# on Windows Server.
$HistoryHint = "see the task's History in Task Scheduler (off by default on Windows Server; turn it on with: wevtutil sl Microsoft-Windows-TaskScheduler/Operational /e:true)"

# The status files a run that began at $Since did not write: missing, or older.
function Get-UnwrittenStatusFiles {
    param([datetime] $Since)
    foreach ($name in $Pool) {
        $file = Get-StatusFilePath $name
        $item = Get-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
        if ($null -eq $item -or $item.LastWriteTimeUtc -lt $Since.ToUniversalTime()) { $file }
    }
}

# What exit code 1 of a run that began at $Since means. The collector (and the script
# with -ScriptOnly) ends with 1 when a pool's file carries the Error, but also when it
# could write nothing at all (the folder refused or missing, access denied, PowerShell
# refusing the script): the files tell which.
function Get-FailedRunMeaning {
    param([datetime] $Since, [string] $ByHand)
    $unwritten = @(Get-UnwrittenStatusFiles $Since)
    if ($unwritten.Count -eq 0) {
        return 'collecting failed for a pool: its file carries the Error; run the check on it with -v'
    }
    return "no status file was written ($($unwritten -join ', ')): $ByHand"
}

# What a task's LastTaskResult means, for the run that began at $Since with $Action.
function Get-TaskResultMeaning {
    param($Code, [datetime] $Since, [hashtable] $Action)
    $hex = '0x{0:X8}' -f $Code
    $byHand = "run the task's command by hand as $ServiceAccount to see why (docs\windows-collector.md beside this script, Trying the account, says how): `"$($Action.Program)`" $($Action.Arguments)"
    switch ($hex) {
        '0x00000000' { return "$hex, success: every status file was written" }
        '0x00000001' { return "$hex, $(Get-FailedRunMeaning $Since $byHand)" }
        '0x00000002' { return "$hex, usage error: the task's command line was refused; $byHand" }
        '0x00041301' { return "$hex, still running: loading the Skype for Business module can take a minute; look again with Get-ScheduledTaskInfo" }
        '0x00041303' { return "$hex, has not run yet" }
        '0x00041306' { return "$hex, stopped: it ran past its time limit" }
        '0x8004131F' { return "$hex, an earlier run was still going" }
        '0x8007052E' { return "$hex, logon failure: unknown user name or bad password" }
        '0x80070569' { return "$hex, logon failure: the account lacks the right to log on as a batch job" }
        '0x80070002' { return "$hex, the program was not found: check that $($Action.Program) is there" }
        '0x8007010B' { return "$hex, the task's working folder $($Action.Folder) cannot be used: check that it is there and that $ServiceAccount may read it" }
        '0x800710E0' { return "$hex, Task Scheduler refused to start the task (the operator or administrator has refused the request): often the account may not log on as a batch job, or its password has changed; $HistoryHint" }
        '0xFFFD0000' { return "$hex, PowerShell could not run the script file it was given (-File): check that it is there and that $ServiceAccount may read it; $byHand" }
    }
    if ($hex.StartsWith('0x8007')) {
        # A Win32 error code as an HRESULT: Windows has a text for it.
        $text = (New-Object System.ComponentModel.Win32Exception ([int] ($Code -band 0xFFFF))).Message
        return "$hex, $text; $HistoryHint"
    }
    return "$hex, unexpected; $HistoryHint"
}

# Starts the task and waits (up to $Seconds) for a run that began after $Since to end.
function Start-AndWaitForTask {
    param([datetime] $Since, [int] $Seconds)
    Start-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath
    $deadline = (Get-Date).AddSeconds($Seconds)
    do {
        Start-Sleep -Seconds 2
        $task = Get-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath
        $info = $task | Get-ScheduledTaskInfo
        $ended = $task.State -ne 'Running' -and $info.LastRunTime -ge $Since
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

# Stops the tasks in $TaskPath and disables them, so that no run of the old setup
# writes while the data folder is set up, and the run reported at the end is the new
# task's (a running task ignores Start-ScheduledTask). Returns those that were
# enabled, for Resume-Tasks.
function Suspend-Tasks {
    foreach ($task in @(Get-OwnTasks)) {
        if (-not $PSCmdlet.ShouldProcess("$TaskPath$($task.TaskName)", 'Stop and disable the scheduled task until the new one is set up')) { continue }
        Stop-TaskRun $task
        if ($task.State -ne 'Disabled') {
            [void] ($task | Disable-ScheduledTask)
            $task
        }
    }
}

# Stops a run of $Task (one of Get-OwnTasks, passed as itself: a task name may hold
# brackets, which -TaskName would read as a wildcard) and waits up to 30 s for it to end.
function Stop-TaskRun {
    param($Task)
    [void] ($Task | Stop-ScheduledTask)
    $deadline = (Get-Date).AddSeconds(30)
    while ((Get-Date) -lt $deadline -and
        @(Get-OwnTasks | Where-Object { $_.TaskName -eq $Task.TaskName -and $_.State -eq 'Running' }).Count -gt 0) {
        Start-Sleep -Milliseconds 500
    }
}

# Enables again the tasks Suspend-Tasks disabled: registering the new one failed.
function Resume-Tasks {
    param($Tasks)
    foreach ($task in $Tasks) {
        [void] ($task | Enable-ScheduledTask)
    }
}

# Removes every task in $TaskPath but $Keep: earlier versions registered one per pool.
function Remove-OtherTasks {
    param([string] $Keep)
    foreach ($task in @(Get-OwnTasks)) {
        if ($task.TaskName -eq $Keep) { continue }
        if ($PSCmdlet.ShouldProcess("$TaskPath$($task.TaskName)", 'Remove the scheduled task')) {
            Stop-TaskRun $task
            $task | Unregister-ScheduledTask -Confirm:$false
            Write-Host "Removed the task $TaskPath$($task.TaskName)"
        }
    }
}

# The service account's password, asked for before anything changes, so that a wrong
# or empty one stops the script with everything as it was. $null for a group managed
# service account (Windows fetches its password) and under -WhatIf (nothing is asked).
function Get-ServiceAccountPassword {
    if ($ServiceAccount.EndsWith('$') -or $WhatIfPreference) { return $null }
    $secret = $Password
    if (-not $secret) { $secret = Read-Host -AsSecureString "Password for $ServiceAccount" }
    if ($secret.Length -eq 0) {
        throw "the password for $ServiceAccount is empty: Task Scheduler needs the account's password to run the task when no one is logged on. Nothing was changed; run the script again and give it"
    }
    return $secret
}

# Registers the task disabled: Task Scheduler checks the account and its password now,
# and the task runs only once Enable-ScheduledTask is given, when the data folder is
# ready. Returns whether it registered (not under -WhatIf, nor when declined).
function Register-CollectorTask {
    param([hashtable] $Action, [System.Security.SecureString] $Secret)
    if (-not $PSCmdlet.ShouldProcess("$TaskPath$TaskName", "Register (disabled until set up): every $IntervalMinutes minutes, as $ServiceAccount, in $($Action.Folder): $($Action.Program) $($Action.Arguments)")) {
        return $false
    }
    $settings = New-ScheduledTaskSettingsSet -Disable -MultipleInstances IgnoreNew -StartWhenAvailable `
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
    if ($ServiceAccount.EndsWith('$')) {
        $principal = New-ScheduledTaskPrincipal -UserId $ServiceAccount -LogonType Password -RunLevel Highest
        [void] (Register-ScheduledTask @common -Principal $principal)
    } else {
        $plain = (New-Object System.Net.NetworkCredential('', $Secret)).Password
        [void] (Register-ScheduledTask @common -User $ServiceAccount -Password $plain -RunLevel Highest)
    }
    return $true
}

# ---- Unregister -----------------------------------------------------------------------
if ($Unregister) {
    # Each task is stopped before it is removed, so no run is left writing.
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
    # The rules of the service and reader accounts go; so do the status files, which
    # belong to the service account (Remove-StatusFiles).
    $plan = Get-DataFolderPlan $OutDirectory @($AdministratorsSid, $SystemSid, $me)
    if ($plan.Action -eq 'MoveAside') {
        Write-Warning "$OutDirectory is left as it is, as it is not safe ($($plan.Reason)): look at what is in it, then delete it"
    } elseif ($plan.Action -eq 'Keep' -and
        $PSCmdlet.ShouldProcess($OutDirectory, 'Delete the status files; keep only SYSTEM and Administrators in the DACL')) {
        Reset-DataFolder $OutDirectory (New-DataFolderSecurity -Modify @() -Read @())
        Write-Host "$OutDirectory now grants SYSTEM and Administrators only, and holds no status file: remove it if nothing else needs it"
    }
    return
}

# ---- Register -------------------------------------------------------------------------
# Checks that change nothing, before anything changes; they run under -WhatIf too, so
# that a rehearsal shows what would be refused, and what would be moved aside.
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
if (-not $collectorSid.IsAccountSid()) {
    throw "the service account '$ServiceAccount' ($($collectorSid.Value)) is a built-in identity or group, not a domain account: give a domain user (CONTOSO\svc-csbackup) or a group managed service account (CONTOSO\gmsa-csbackup$) that may run the Skype for Business cmdlets"
}
if (Test-ManyAccountsSid $collectorSid) {
    throw "the service account '$ServiceAccount' ($($collectorSid.Value)) is a group of many accounts: every one of them could write the status files the monitoring trusts. Give one account: a domain user (CONTOSO\svc-csbackup) or a group managed service account (CONTOSO\gmsa-csbackup$)"
}
$readerSid = Resolve-AccountSid $ReaderAccount 'reader account'
$folderPlan = Get-DataFolderPlan $OutDirectory @($AdministratorsSid, $SystemSid, $me, $collectorSid)
$folderRules = "owner Administrators; only SYSTEM and Administrators (full control), $ServiceAccount (modify), $(Get-AccountName $readerSid) (read)"
if ($ScriptOnly) {
    Assert-ScriptMayRun $ScriptPath
    if ($null -ne (Get-PathAttributes $InstallDirectory)) { Assert-OnlyAdministratorsWrite $InstallDirectory }
}
$action = Get-CollectorAction

# Changes, in an order that leaves the earlier setup running until the new one is known
# to register: the password first; then the tasks in $TaskPath stopped and disabled; the
# new task registered disabled (which checks the password; on failure the stopped
# tasks run again); the data folder (and -ScriptOnly's script); the other tasks
# removed; the task enabled and run.
$secret = Get-ServiceAccountPassword
$suspended = @(Suspend-Tasks)
try {
    $registered = Register-CollectorTask $action $secret
} catch {
    Resume-Tasks $suspended
    throw "registering $TaskPath$TaskName as $ServiceAccount failed ($($_.Exception.Message)); nothing else was changed, and the tasks stopped for it run as before. Check the account and its password, then run this script again"
}
if (-not $registered) {
    # Declined (-Confirm): the stopped tasks run as before. -WhatIf goes on to show the rest.
    Resume-Tasks $suspended
    if (-not $WhatIfPreference) { return }
}
try {
    Set-DataFolder $OutDirectory $folderPlan (New-DataFolderSecurity -Modify @($collectorSid) -Read @($readerSid)) $folderRules
    if ($ScriptOnly) { Install-CollectorScript }
    Remove-OtherTasks -Keep $TaskName
} catch {
    throw "$($_.Exception.Message). The task $TaskPath$TaskName stays disabled until this script has run to its end"
}
if (-not $registered) { return }
[void] (Enable-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath)
Write-Host "Registered $TaskPath$TaskName, writing $(($Pool | ForEach-Object { Get-StatusFilePath $_ }) -join ', ')"
Write-Host 'Running it once now...'
$started = (Get-Date).AddSeconds(-1)
$info = Start-AndWaitForTask $started ($TimeoutSeconds + 30)
Write-Host "Last run result: $(Get-TaskResultMeaning $info.LastTaskResult $started $action)"
