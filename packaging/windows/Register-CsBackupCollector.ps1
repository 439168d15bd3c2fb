<#
.SYNOPSIS
    Registers the scheduled tasks that keep check_csbackup's status files fresh.

.DESCRIPTION
    For each pool, one task "\check_csbackup\collect <pool>" that runs every 2 minutes
    (the Backup Service's default sync interval) as the given service account, whether
    or not anyone is logged on:

        check_csbackup.exe collect --pool <pool> --out C:\ProgramData\check_csbackup\<pool>.json

    The output folder is created if needed; the service account may modify it and the
    monitoring agent's account may read it. Each task is started once right away.
    Running the script again updates the tasks (same names).

    The service account must be allowed to run Get-CsBackupServiceStatus (see
    README.md beside this script) and to log on as a batch job.

.PARAMETER Pool
    The pool FQDN(s) to collect, e.g. pool01.contoso.com.

.PARAMETER ServiceAccount
    DOMAIN\user, or a group managed service account DOMAIN\name$ (no password needed).

.PARAMETER Password
    The service account's password; asked for when missing (not for a gMSA).

.PARAMETER ExePath
    Where check_csbackup.exe is. Default: C:\Program Files\check_csbackup\check_csbackup.exe

.PARAMETER OutDirectory
    Where the status files go. Default: C:\ProgramData\check_csbackup

.PARAMETER ReaderAccount
    The account the monitoring agent runs as, given read access to the status files.
    Default: NT AUTHORITY\NETWORK SERVICE (the Icinga 2 agent's default); NSClient++
    runs as LocalSystem, which can read them anyway.

.PARAMETER TimeoutSeconds
    How long PowerShell may take per run (collect -t). Default 110, below the interval.

.EXAMPLE
    .\Register-CsBackupCollector.ps1 -Pool pool01.contoso.com,pool02.contoso.com -ServiceAccount 'CONTOSO\svc-csbackup'

.EXAMPLE
    .\Register-CsBackupCollector.ps1 -Pool pool01.contoso.com -ServiceAccount 'CONTOSO\gmsa-csbackup$' -WhatIf
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)]
    [ValidatePattern('^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$')]
    [string[]] $Pool,

    [Parameter(Mandatory = $true)]
    [string] $ServiceAccount,

    [System.Security.SecureString] $Password,

    [string] $ExePath = (Join-Path $env:ProgramFiles 'check_csbackup\check_csbackup.exe'),

    [string] $OutDirectory = (Join-Path $env:ProgramData 'check_csbackup'),

    [string] $ReaderAccount = 'NT AUTHORITY\NETWORK SERVICE',

    [ValidateRange(1, 1440)]
    [int] $IntervalMinutes = 2,

    [ValidateRange(10, 86400)]
    [int] $TimeoutSeconds = 110,

    [string] $TaskPath = '\check_csbackup\'
)

$ErrorActionPreference = 'Stop'

if (-not (Test-Path -LiteralPath $ExePath -PathType Leaf)) {
    throw "check_csbackup.exe is not at ${ExePath}: copy it there or give -ExePath"
}
$isGmsa = $ServiceAccount.EndsWith('$')
if (-not $isGmsa -and -not $Password) {
    $Password = Read-Host -AsSecureString "Password for $ServiceAccount"
}

if ($PSCmdlet.ShouldProcess($OutDirectory, "Create, and let $ServiceAccount write and $ReaderAccount read")) {
    if (-not (Test-Path -LiteralPath $OutDirectory)) {
        New-Item -ItemType Directory -Path $OutDirectory | Out-Null
    }
    $acl = Get-Acl -LiteralPath $OutDirectory
    foreach ($grant in @(@($ServiceAccount, 'Modify'), @($ReaderAccount, 'ReadAndExecute'))) {
        $rule = New-Object System.Security.AccessControl.FileSystemAccessRule(
            $grant[0], $grant[1], 'ContainerInherit,ObjectInherit', 'None', 'Allow')
        $acl.AddAccessRule($rule)
    }
    Set-Acl -LiteralPath $OutDirectory -AclObject $acl
}

$settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -StartWhenAvailable `
    -ExecutionTimeLimit (New-TimeSpan -Seconds ($TimeoutSeconds + 60))
$repeat = @{ RepetitionInterval = (New-TimeSpan -Minutes $IntervalMinutes) }
if ([Environment]::OSVersion.Version -lt [Version]'10.0') {
    # Windows Server 2012 R2 wants a duration; later releases repeat forever without one.
    $repeat.RepetitionDuration = [TimeSpan]::MaxValue
}
$trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1) @repeat

foreach ($name in $Pool) {
    $out = Join-Path $OutDirectory "$name.json"
    $arguments = "collect --pool $name --out `"$out`" --timeout $TimeoutSeconds"
    $action = New-ScheduledTaskAction -Execute $ExePath -Argument $arguments -WorkingDirectory $OutDirectory
    $task = "collect $name"
    if (-not $PSCmdlet.ShouldProcess("$TaskPath$task", "Register: $ExePath $arguments, as $ServiceAccount")) {
        continue
    }
    $common = @{
        TaskName = $task
        TaskPath = $TaskPath
        Action   = $action
        Trigger  = $trigger
        Settings = $settings
        Force    = $true
    }
    if ($isGmsa) {
        $principal = New-ScheduledTaskPrincipal -UserId $ServiceAccount -LogonType Password -RunLevel Highest
        Register-ScheduledTask @common -Principal $principal | Out-Null
    } else {
        $plain = (New-Object System.Net.NetworkCredential('', $Password)).Password
        Register-ScheduledTask @common -User $ServiceAccount -Password $plain -RunLevel Highest | Out-Null
    }
    Start-ScheduledTask -TaskName $task -TaskPath $TaskPath
    Write-Host "Registered $TaskPath$task, writing $out"
}
