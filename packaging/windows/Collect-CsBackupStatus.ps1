<#
.SYNOPSIS
    Writes the Backup Service status of Skype for Business Server pools as JSON.

.DESCRIPTION
    check_csbackup collect runs this script (it is built into the binary) as
        powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <script>
    and reads its standard output. The pools come from the environment variable
    CSBACKUP_POOLS, one FQDN per line: they are data, never part of the script's text.

    For each pool it runs Get-CsBackupServiceStatus -PoolFqdn and writes one object with
    PoolFqdn, every property of the result (BackupModules included), and ActiveMasterFqdn
    (the pool hosting the active Central Management Store). Enums are written by name
    ("SteadyState"), not by number as ConvertTo-Json would. A pool whose cmdlet call
    fails becomes an object with PoolFqdn and Error. Several pools make a JSON array.

    Output: compact UTF-8 JSON on stdout, exit 0. If the Skype for Business (or Lync)
    module cannot be loaded: a message on stderr, exit 1.

.EXAMPLE
    $env:CSBACKUP_POOLS = "sfbpool.contoso.com"; .\Collect-CsBackupStatus.ps1
#>

$ErrorActionPreference = 'Stop'
# Progress records would reach a redirected stderr as CLIXML.
$ProgressPreference = 'SilentlyContinue'
# Without a console (a service started the collector) there is no code page to set.
try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }

trap {
    [Console]::Error.WriteLine("Collect-CsBackupStatus: $($_.Exception.Message)")
    exit 1
}

# A value as plain JSON-ready data: enums by name, objects with every property.
function ConvertTo-PlainValue {
    param($Value, [int]$Depth = 0)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Enum]) { return "$Value" }
    if ($Value -is [string] -or $Value -is [char] -or $Value -is [guid] -or $Value -is [uri]) {
        return "$Value"
    }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
    if ($Value -is [decimal] -or $Value.GetType().IsPrimitive) { return $Value }
    if ($Value -is [System.ValueType] -or $Depth -ge 6) { return "$Value" }
    if ($Value -is [System.Collections.IDictionary]) {
        $plain = [ordered]@{}
        foreach ($key in $Value.Keys) {
            $plain["$key"] = ConvertTo-PlainValue $Value[$key] ($Depth + 1)
        }
        return $plain
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $items = @(foreach ($item in $Value) { , (ConvertTo-PlainValue $item ($Depth + 1)) })
        return , $items
    }
    $plain = [ordered]@{}
    foreach ($property in $Value.PSObject.Properties) {
        try {
            $plain[$property.Name] = ConvertTo-PlainValue $property.Value ($Depth + 1)
        } catch {
            $plain[$property.Name] = "unreadable: $($_.Exception.Message)"
        }
    }
    return $plain
}

$pools = @("$env:CSBACKUP_POOLS" -split '[\r\n,]+' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
if ($pools.Count -eq 0) {
    [Console]::Error.WriteLine('Collect-CsBackupStatus: CSBACKUP_POOLS names no pool (one FQDN per line)')
    exit 2
}

try {
    Import-Module SkypeForBusiness -ErrorAction Stop -Verbose:$false
} catch {
    $first = $_.Exception.Message
    try {
        Import-Module Lync -ErrorAction Stop -Verbose:$false
    } catch {
        [Console]::Error.WriteLine("Collect-CsBackupStatus: neither the SkypeForBusiness nor the Lync module loads ($first); run this on a front-end server with the Skype for Business Server management tools")
        exit 1
    }
}

$activeMaster = $null
$activeMasterError = $null
try {
    $cms = Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus -ErrorAction Stop
    $activeMaster = "$(@($cms)[0].ActiveMasterFqdn)"
} catch {
    $activeMasterError = "Get-CsManagementStoreReplicationStatus: $($_.Exception.Message)"
}

$results = @(foreach ($pool in $pools) {
    $entry = [ordered]@{ PoolFqdn = $pool }
    try {
        $status = @(Get-CsBackupServiceStatus -PoolFqdn $pool -ErrorAction Stop)
        if ($status.Count -eq 0) {
            $entry['Error'] = "Get-CsBackupServiceStatus -PoolFqdn $pool returned nothing"
        } else {
            $plain = ConvertTo-PlainValue $status[0]
            if ($plain -isnot [System.Collections.IDictionary]) { $plain = @{ Status = $plain } }
            foreach ($key in @($plain.Keys)) {
                # The pool asked for names the entry; the cmdlet's own spelling is kept aside.
                if ($key -eq 'PoolFqdn') { $entry['ReportedPoolFqdn'] = $plain[$key] }
                else { $entry[$key] = $plain[$key] }
            }
        }
    } catch {
        $entry['Error'] = "Get-CsBackupServiceStatus -PoolFqdn ${pool}: $($_.Exception.Message)"
    }
    # Absent when unknown: an empty ActiveMasterFqdn means the CMS is unavailable.
    if ($null -ne $activeMaster) { $entry['ActiveMasterFqdn'] = $activeMaster }
    if ($null -ne $activeMasterError) { $entry['ActiveMasterFqdnError'] = $activeMasterError }
    , $entry
})

if ($results.Count -eq 1) {
    $json = ConvertTo-Json -InputObject $results[0] -Depth 20 -Compress
} else {
    $json = ConvertTo-Json -InputObject $results -Depth 20 -Compress
}
# Raw UTF-8 bytes on stdout, whatever the console's code page.
$bytes = (New-Object System.Text.UTF8Encoding $false).GetBytes($json + "`n")
$stdout = [Console]::OpenStandardOutput()
$stdout.Write($bytes, 0, $bytes.Length)
$stdout.Flush()
exit 0
