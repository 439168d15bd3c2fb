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
    and, when CSBACKUP_EVENTS_SINCE is set (check_csbackup collect sets it, with
    CSBACKUP_EVENT_LOG and CSBACKUP_EVENT_SOURCE), the Backup Service's events in that
    log since then (Get-WinEvent, the newest first: at most 500 Critical and Error events,
    and apart from them at most 500 Warning events, so that no storm of warnings hides an
    error) and Get-CsComputer about this server, whose pool they concern; and writes
    what came back, with the warnings the cmdlets gave, as one answer. Which modules to
    keep, which pool hosts the CMS, what the events amount to and what goes into the
    status file is decided by check_csbackup (src/input/answer.rs), where it is tested.

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

    Stand-alone, with -OutDirectory: for a server check_csbackup.exe does not run on
    (Windows Server 2012 R2; the exe needs Windows 10 / Server 2016 or later). The script
    then writes the answer of each pool to <OutDirectory>\<pool>.json, with CollectedAt,
    ComputerName and CollectorVersion, replacing each file in one step (a new temporary
    file beside it, then File.Replace), and a check_csbackup elsewhere reads that file
    like any status document and makes the same decisions; it reads no events and
    carries no history (check_csbackup collect does both). If the module does not load,
    each file carries that Error. Exit 0 when every pool was collected, 1 when one was
    not (its file says why), 2 on bad arguments.

.PARAMETER Pool
    Stand-alone: the pools to collect, e.g. -Pool pool01.contoso.com,pool02.contoso.com

.PARAMETER OutDirectory
    Stand-alone: the folder for the status files. It must exist and must not be a
    junction or symbolic link; Register-CsBackupCollector.ps1 -ScriptOnly sets it up.

.EXAMPLE
    $env:CSBACKUP_POOLS = "sfbpool.contoso.com"; .\Collect-CsBackupStatus.ps1

.EXAMPLE
    .\Collect-CsBackupStatus.ps1 -Pool pool01.contoso.com,pool02.contoso.com -OutDirectory C:\ProgramData\check_csbackup
#>
param(
    [string[]] $Pool,
    [string] $OutDirectory
)

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
# The release this script belongs to; a stand-alone run writes it as CollectorVersion.
$CollectorVersion = '0.1.0'
$MaxDepth = 6
$MaxItems = 100
$MaxProperties = 50
$TimeFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
# The most events of one level read in a window; check_csbackup reads this many as "at
# least" this many (EVENTS_READ_AT_MOST in src/model.rs).
$MaxEvents = 500

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

# Puts what a gathering found into $Table: its objects, plain, as $Key; or why it failed
# as ${Key}Error.
function Set-Gathered {
    param($Table, [string] $Key, $Gathered)
    if ($null -ne $Gathered.Error) { $Table["${Key}Error"] = $Gathered.Error }
    else { $Table[$Key] = @(foreach ($o in $Gathered.Output) { ConvertTo-PlainValue $o }) }
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
    Set-Gathered $lookup 'GetCsPool' $pool
    $computer = Invoke-Gathering { Get-CsComputer -Identity $name -ErrorAction Stop }
    Add-Text $Warnings $computer.Warnings
    Set-Gathered $lookup 'GetCsComputer' $computer
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

# The newest $MaxEvents events of the Backup Service at $Levels in the window $Window
# describes: each with its id, level, time and message (left out when it cannot be
# formatted); or the error that stopped Get-WinEvent. One that finds nothing stops with
# an error too: its FullyQualifiedErrorId tells check_csbackup which one it was.
function Get-EventReading {
    param($Window, [int[]] $Levels)
    $filter = @{ LogName = $Window.LogName; ProviderName = $Window.Source; StartTime = $Window.Start; EndTime = $Window.End; Level = $Levels }
    try {
        $records = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $MaxEvents -ErrorAction Stop | ForEach-Object {
            $record = $_
            $message = $null
            try { $message = $record.Message } catch { }
            [ordered]@{ Id = $record.Id; Level = ConvertTo-PlainValue $record.Level; TimeCreated = ConvertTo-PlainValue $record.TimeCreated; Message = $message }
        })
        return [ordered]@{ Records = $records }
    } catch {
        return [ordered]@{ Failure = [ordered]@{ Id = "$($_.FullyQualifiedErrorId)"; Message = $_.Exception.Message } }
    }
}

# The Backup Service's events since CSBACKUP_EVENTS_SINCE, errors (Critical, Error) and
# warnings read apart, and what Get-CsComputer says about this server (by its FQDN when
# DNS gives one); $null when not asked. The window ends on a whole second, as Until is
# written, so that the next window begins exactly where this one ends.
function Get-EventsAnswer {
    $since = "$env:CSBACKUP_EVENTS_SINCE"
    if ($since -eq '') { return $null }
    $culture = [Globalization.CultureInfo]::InvariantCulture
    $now = [DateTime]::UtcNow
    $until = $now.AddTicks(-($now.Ticks % [TimeSpan]::TicksPerSecond))
    $name = "$env:COMPUTERNAME"
    try { $name = [Net.Dns]::GetHostEntry($name).HostName } catch { }
    $answer = [ordered]@{ LogName = "$env:CSBACKUP_EVENT_LOG"; Source = "$env:CSBACKUP_EVENT_SOURCE"; Since = $since; Until = $until.ToString($TimeFormat, $culture); Computer = $name }
    $lookup = Invoke-Gathering { Get-CsComputer -Identity $name -ErrorAction Stop }
    Set-Gathered $answer 'GetCsComputer' $lookup
    $start = [DateTime]::ParseExact($since, $TimeFormat, $culture, [Globalization.DateTimeStyles] 'AssumeUniversal, AdjustToUniversal')
    $window = @{ LogName = $answer.LogName; Source = $answer.Source; Start = $start; End = $until }
    $answer['Errors'] = Get-EventReading $window 1, 2
    $answer['Warnings'] = Get-EventReading $window 3
    return $answer
}

# The whole answer for $Pools: one module load, the CMS once, each pool.
function Get-CsBackupAnswer {
    param([string[]] $Pools)
    $warnings = New-Object System.Collections.Generic.List[string]
    Add-Text $warnings (Import-CsModule)
    $answer = [ordered]@{ CsBackupAnswer = $AnswerVersion }
    $cms = Get-CmsAnswer $warnings
    $entries = @(foreach ($pool in $Pools) { Get-PoolAnswer $pool })
    $events = Get-EventsAnswer
    $answer['Warnings'] = $warnings.ToArray()
    foreach ($key in $cms.Keys) { $answer[$key] = $cms[$key] }
    $answer['Pools'] = $entries
    if ($null -ne $events) { $answer['Events'] = $events }
    return $answer
}

#region Stand-alone (-OutDirectory): check_csbackup collect sends the script without this
# region (src/collect/transport.rs), since it never runs it, to keep the command line short.

# Stand-alone: writes $Bytes to $Path so that a reader sees the old whole file or the
# new whole file. The temporary file is created new (CreateNew: an existing file or link
# of that name is never opened) under a random name in the same folder, flushed to disk,
# then put in place in one step; a reader holding the old file open delays that briefly.
function Write-FileAtomically {
    param([string] $Path, [byte[]] $Bytes)
    $folder = Split-Path -Parent $Path
    $random = [System.IO.Path]::GetRandomFileName().Replace('.', '')
    $temporary = Join-Path $folder ('.' + (Split-Path -Leaf $Path) + ".$random.tmp")
    $stream = [System.IO.File]::Open($temporary, [System.IO.FileMode]::CreateNew,
        [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
    try {
        $stream.Write($Bytes, 0, $Bytes.Length)
        $stream.Flush($true)
    } finally {
        $stream.Dispose()
    }
    for ($try = 1; ; $try++) {
        try {
            if ([System.IO.File]::Exists($Path)) { [System.IO.File]::Replace($temporary, $Path, $null) }
            else { [System.IO.File]::Move($temporary, $Path) }
            return
        } catch [System.IO.IOException] {
            if ($try -ge 20) {
                Remove-Item -LiteralPath $temporary -Force -ErrorAction SilentlyContinue
                throw
            }
            Start-Sleep -Milliseconds 50
        } catch {
            Remove-Item -LiteralPath $temporary -Force -ErrorAction SilentlyContinue
            throw
        }
    }
}

# Stand-alone: removes temporary files a killed run left beside $Name, once they are
# too old to belong to a run still going.
function Remove-StaleTemporary {
    param([string] $Folder, [string] $Name)
    $before = (Get-Date).AddMinutes(-15)
    Get-ChildItem -LiteralPath $Folder -Filter ".$Name.*.tmp" -Force -File -ErrorAction SilentlyContinue |
        Where-Object { $_.LastWriteTime -lt $before } |
        Remove-Item -Force -ErrorAction SilentlyContinue
}

# Stand-alone: the answer when the module does not load: each pool carries the reason.
function Get-FailedAnswer {
    param([string[]] $Pools, [string] $Reason)
    return [ordered]@{
        CsBackupAnswer = $AnswerVersion
        Warnings = @()
        Cms = [ordered]@{ Error = $Reason }
        Pools = @(foreach ($p in $Pools) { [ordered]@{ Pool = $p; Error = "Collect-CsBackupStatus: $Reason" } })
    }
}

# Stand-alone: one status file per pool in $Folder; exit 1 if a pool was not collected.
function Invoke-StandAlone {
    param([string[]] $Pools, [string] $Folder)
    $item = Get-Item -LiteralPath $Folder -Force
    if (-not $item.PSIsContainer) { throw "-OutDirectory $Folder is not a folder" }
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        throw "refusing to write into $Folder, a reparse point (a junction or symbolic link): the status files would land wherever it points; give the real folder, or remove it and run Register-CsBackupCollector.ps1 -ScriptOnly again"
    }
    try { $answer = Get-CsBackupAnswer $Pools }
    catch { $answer = Get-FailedAnswer $Pools $_.Exception.Message }
    # The invariant culture: in a custom format ':' is the culture's time separator.
    $answer['CollectedAt'] = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
    $answer['ComputerName'] = $env:COMPUTERNAME
    $answer['CollectorVersion'] = "$CollectorVersion (Collect-CsBackupStatus.ps1)"
    $failed = 0
    foreach ($entry in $answer['Pools']) {
        $one = [ordered]@{}
        foreach ($key in $answer.Keys) { $one[$key] = $answer[$key] }
        $one['Pools'] = @($entry)
        $json = ConvertTo-Json -InputObject $one -Depth 30 -Compress
        $name = $entry['Pool'].TrimEnd('.') + '.json'
        Write-FileAtomically (Join-Path $Folder $name) ((New-Object System.Text.UTF8Encoding $false).GetBytes($json + "`n"))
        Remove-StaleTemporary $Folder $name
        if ($entry.Contains('Error')) { $failed++ }
    }
    if ($failed -gt 0) {
        [Console]::Error.WriteLine("Collect-CsBackupStatus: collecting $failed pool(s) failed: their files carry the Error, which the check reports")
        exit 1
    }
    exit 0
}

if ($OutDirectory) {
    $pools = @($Pool | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    $bad = @($pools | Where-Object { $_ -notmatch '\A[A-Za-z0-9][A-Za-z0-9.-]{0,252}\z' })
    if ($pools.Count -eq 0 -or $bad.Count -gt 0) {
        [Console]::Error.WriteLine("Collect-CsBackupStatus: -Pool needs pool FQDNs (letters, digits, '-' and '.'), e.g. -Pool sfbpool.contoso.com; got '$($bad -join "', '")'")
        exit 2
    }
    Invoke-StandAlone $pools $OutDirectory
}
#endregion

$pools = @("$env:CSBACKUP_POOLS" -split '[\r\n,]+' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
if ($pools.Count -eq 0) {
    [Console]::Error.WriteLine('Collect-CsBackupStatus: CSBACKUP_POOLS names no pool (one FQDN per line), or run it stand-alone with -Pool and -OutDirectory')
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
