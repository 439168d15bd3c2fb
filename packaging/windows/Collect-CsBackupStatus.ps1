<#
.SYNOPSIS
    Gathers the Backup Service status of Skype for Business Server pools for check_csbackup.

.DESCRIPTION
    check_csbackup collect runs this script (it is built into the binary) as
        powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <script>
    with the pools in the environment variable CSBACKUP_POOLS, one FQDN per line: they
    are data, never part of the script's text.

    The script gathers; check_csbackup decides. After loading the SkypeForBusiness (or
    Lync) module once, it asks
      - Get-CsBackupServiceStatus -PoolFqdn <pool>, for each pool: every object returned;
      - Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus: every object;
      - Get-CsPool and Get-CsComputer about the name given as ActiveMasterFqdn, so that
        check_csbackup can tell a pool from a server;
    and writes what came back, with the warnings the cmdlets gave, as one answer. Which
    modules to keep, which pool hosts the CMS and what goes into the status file is
    decided by check_csbackup (src/input/answer.rs), where it is tested.

    Values are written plainly: enums by name ("SteadyState"), dates in ISO 8601, any
    other object by its properties plus, when its type has one, its string form under
    "@Text" (a Fqdn or an XdsIdentity is known by it). The conversion is bounded: 6
    levels deep, 100 items per list, 50 properties per object; where it stops it leaves
    "@LeftOut" saying what it left out.

    Output: on standard output, between a line "<<<check_csbackup answer" and a line
    "check_csbackup answer>>>", the answer as compact UTF-8 JSON; exit 0. Windows
    PowerShell writes warning, verbose and information records to a redirected standard
    output; here warnings are captured into the answer and the others dropped, and
    check_csbackup sets aside anything that still lands outside the two marker lines.
    If neither module loads: a message on standard error, exit 1.

.EXAMPLE
    $env:CSBACKUP_POOLS = "sfbpool.contoso.com"; .\Collect-CsBackupStatus.ps1
#>

$ErrorActionPreference = 'Stop'
# Kept off standard output: warnings are captured where each cmdlet runs (see
# Invoke-Gathering); verbose, debug, information and progress records are not wanted.
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$DebugPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
# Without a console (a service started the collector) there is no code page to set.
try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }

trap {
    [Console]::Error.WriteLine("Collect-CsBackupStatus: $($_.Exception.Message)")
    exit 1
}

$AnswerVersion = 1
$MaxDepth = 6
$MaxItems = 100
$MaxProperties = 50

# A value as plain JSON-ready data, bounded in depth and fan-out (see .DESCRIPTION).
function ConvertTo-PlainValue {
    param($Value, [int] $Depth = 0)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Enum]) { return $Value.ToString() }
    if ($Value -is [string] -or $Value -is [char] -or $Value -is [guid] -or $Value -is [uri]) {
        return "$Value"
    }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
    if ($Value -is [double] -or $Value -is [single]) {
        # NaN and infinity have no JSON form.
        if ([double]::IsNaN($Value) -or [double]::IsInfinity($Value)) { return "$Value" }
        return $Value
    }
    if ($Value -is [bool] -or $Value -is [decimal] -or $Value.GetType().IsPrimitive) { return $Value }
    if ($Value -is [System.ValueType] -or $Depth -ge $MaxDepth) { return "$Value" }
    if ($Value -is [System.Collections.IDictionary]) { return ConvertFrom-Dictionary $Value $Depth }
    if ($Value -is [System.Collections.IEnumerable]) { return , (ConvertFrom-List $Value $Depth) }
    return ConvertFrom-Object $Value $Depth
}

function ConvertFrom-Dictionary {
    param($Value, [int] $Depth)
    $plain = [ordered]@{}
    foreach ($key in $Value.Keys) {
        if ($plain.Count -ge $MaxProperties) {
            $plain['@LeftOut'] = "more than $MaxProperties entries"
            break
        }
        $plain["$key"] = ConvertTo-PlainValue $Value[$key] ($Depth + 1)
    }
    return $plain
}

function ConvertFrom-List {
    param($Value, [int] $Depth)
    $items = New-Object System.Collections.Generic.List[object]
    foreach ($item in $Value) {
        if ($items.Count -ge $MaxItems) {
            $items.Add([ordered]@{ '@LeftOut' = "more than $MaxItems items" })
            break
        }
        $items.Add((ConvertTo-PlainValue $item ($Depth + 1)))
    }
    return , $items.ToArray()
}

function ConvertFrom-Object {
    param($Value, [int] $Depth)
    $plain = [ordered]@{}
    try {
        # The string form, when the type has its own: what a Fqdn or an XdsIdentity means.
        $text = "$Value"
        if ($text -ne $Value.GetType().FullName) { $plain['@Text'] = $text }
    } catch { }
    $count = 0
    foreach ($property in $Value.PSObject.Properties) {
        if ($count -ge $MaxProperties) {
            $plain['@LeftOut'] = "more than $MaxProperties properties"
            break
        }
        $count++
        try {
            $plain[$property.Name] = ConvertTo-PlainValue $property.Value ($Depth + 1)
        } catch {
            $plain[$property.Name] = "unreadable: $($_.Exception.Message)"
        }
    }
    return $plain
}

# Runs one command and returns, apart, the objects it wrote, the texts of its warnings
# and the message of the error that stopped it. Warnings are redirected into the
# pipeline here (3>&1) and sorted out; verbose, debug and information records go
# nowhere. So nothing a cmdlet says reaches standard output.
function Invoke-Gathering {
    param([scriptblock] $Command)
    $WarningPreference = 'Continue'
    $output = New-Object System.Collections.Generic.List[object]
    $warnings = New-Object System.Collections.Generic.List[string]
    $failure = $null
    try {
        & $Command 3>&1 4>$null 5>$null 6>$null | ForEach-Object {
            if ($_ -is [System.Management.Automation.WarningRecord]) { $warnings.Add($_.Message) }
            else { $output.Add($_) }
        }
    } catch {
        $failure = $_.Exception.Message
    }
    return [ordered]@{ Output = $output.ToArray(); Warnings = $warnings.ToArray(); Error = $failure }
}

# Adds texts to a list; none ($null, an empty array) adds nothing.
function Add-Text {
    param($List, $Texts)
    foreach ($text in $Texts) { $List.Add("$text") }
}

# Loads the SkypeForBusiness module, else Lync's (Lync Server 2013); returns the
# warnings, or throws saying why neither loads.
function Import-CsModule {
    $sfb = Invoke-Gathering { Import-Module SkypeForBusiness -Scope Global -DisableNameChecking -ErrorAction Stop }
    if ($null -eq $sfb.Error) { return , $sfb.Warnings }
    $lync = Invoke-Gathering { Import-Module Lync -Scope Global -DisableNameChecking -ErrorAction Stop }
    if ($null -eq $lync.Error) { return , $lync.Warnings }
    throw "neither the SkypeForBusiness nor the Lync module loads ($($sfb.Error)); run this on a front-end server with the Skype for Business Server management tools"
}

# What Get-CsManagementStoreReplicationStatus says about the CMS, and what Get-CsPool
# and Get-CsComputer say about the name it gives as ActiveMasterFqdn.
function Get-CmsAnswer {
    param($Warnings)
    $cms = Invoke-Gathering { Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus -ErrorAction Stop }
    Add-Text $Warnings $cms.Warnings
    if ($null -ne $cms.Error) { return [ordered]@{ Cms = [ordered]@{ Error = $cms.Error } } }
    $answer = [ordered]@{ Cms = [ordered]@{ Objects = @(foreach ($o in $cms.Output) { ConvertTo-PlainValue $o }) } }
    $names = @(foreach ($o in $cms.Output) {
        $property = $o.PSObject.Properties['ActiveMasterFqdn']
        if ($null -ne $property -and "$($property.Value)" -ne '') { "$($property.Value)" }
    })
    if ($names.Count -eq 0) { return $answer }
    $name = $names[0]
    $lookup = [ordered]@{ Name = $name }
    $pool = Invoke-Gathering { Get-CsPool -Identity $name -ErrorAction Stop }
    Add-Text $Warnings $pool.Warnings
    if ($null -ne $pool.Error) { $lookup['GetCsPoolError'] = $pool.Error }
    else { $lookup['GetCsPool'] = @(foreach ($o in $pool.Output) { ConvertTo-PlainValue $o }) }
    $computer = Invoke-Gathering { Get-CsComputer -Identity $name -ErrorAction Stop }
    Add-Text $Warnings $computer.Warnings
    if ($null -ne $computer.Error) { $lookup['GetCsComputerError'] = $computer.Error }
    else { $lookup['GetCsComputer'] = @(foreach ($o in $computer.Output) { ConvertTo-PlainValue $o }) }
    $answer['MasterLookup'] = $lookup
    return $answer
}

# Everything Get-CsBackupServiceStatus returned for one pool, or why it failed.
function Get-PoolAnswer {
    param([string] $Pool)
    $status = Invoke-Gathering { Get-CsBackupServiceStatus -PoolFqdn $Pool -ErrorAction Stop }
    $entry = [ordered]@{ Pool = $Pool }
    if ($null -ne $status.Error) {
        $entry['Error'] = "Get-CsBackupServiceStatus -PoolFqdn ${Pool}: $($status.Error)"
    } else {
        $entry['Results'] = @(foreach ($o in $status.Output) { ConvertTo-PlainValue $o })
    }
    $entry['Warnings'] = $status.Warnings
    return $entry
}

# The whole answer for $Pools: one module load, the CMS once, each pool.
function Get-CsBackupAnswer {
    param([string[]] $Pools)
    $warnings = New-Object System.Collections.Generic.List[string]
    Add-Text $warnings (Import-CsModule)
    $answer = [ordered]@{ CsBackupAnswer = $AnswerVersion }
    $cms = Get-CmsAnswer $warnings
    $entries = @(foreach ($pool in $Pools) { Get-PoolAnswer $pool })
    $answer['Warnings'] = $warnings.ToArray()
    foreach ($key in $cms.Keys) { $answer[$key] = $cms[$key] }
    $answer['Pools'] = $entries
    return $answer
}

$pools = @("$env:CSBACKUP_POOLS" -split '[\r\n,]+' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
if ($pools.Count -eq 0) {
    [Console]::Error.WriteLine('Collect-CsBackupStatus: CSBACKUP_POOLS names no pool (one FQDN per line)')
    exit 2
}

$json = ConvertTo-Json -InputObject (Get-CsBackupAnswer $pools) -Depth 30 -Compress
# Raw UTF-8 bytes on stdout, whatever the console's code page, framed by marker lines so
# that anything else PowerShell prints there is told apart from the answer.
$framed = "`n<<<check_csbackup answer`n" + $json + "`ncheck_csbackup answer>>>`n"
$bytes = (New-Object System.Text.UTF8Encoding $false).GetBytes($framed)
$stdout = [Console]::OpenStandardOutput()
$stdout.Write($bytes, 0, $bytes.Length)
$stdout.Flush()
exit 0
