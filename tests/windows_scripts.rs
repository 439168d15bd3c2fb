//! The Windows scripts as text: what can be checked without a Windows PowerShell to run
//! them. The collector script's behaviour is exercised through the stand-in
//! (tests/collect.rs); here the registration script's security rules are held against
//! what its guide (docs/windows-collector.md) shows, and the rules every parameter check and account name follow.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {}: {e}", full.display()))
}

const REGISTER: &str = "packaging/windows/Register-CsBackupCollector.ps1";
const COLLECT: &str = "packaging/windows/Collect-CsBackupStatus.ps1";
/// The collector's guide, which says what the scripts do.
const GUIDE: &str = "docs/windows-collector.md";

/// `text` with every run of white space made one space: what a reader sees of a wrapped
/// paragraph.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The script's lines that are code, not comments or help.
fn code(script: &str) -> Vec<&str> {
    let mut in_help = false;
    script
        .lines()
        .filter(|line| {
            let line = line.trim();
            if in_help {
                in_help = line != "#>";
                return false;
            }
            in_help = line == "<#";
            !in_help && !line.starts_with('#')
        })
        .collect()
}

/// The single-quoted text after each `marker` in `text`.
fn quoted_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = text[at + marker.len()..].trim_start_matches(['(', ' ']);
            let rest = rest.strip_prefix('\'')?;
            Some(&rest[..rest.find('\'')?])
        })
        .collect()
}

#[test]
fn every_name_pattern_is_anchored_at_both_ends() {
    // `$` also matches before a trailing newline: only `\z` ends the text.
    for path in [REGISTER, COLLECT] {
        let script = read(path);
        let patterns: Vec<&str> = quoted_after(&script, "ValidatePattern(")
            .into_iter()
            .chain(quoted_after(&script, "-notmatch "))
            .chain(quoted_after(&script, "-match "))
            .collect();
        assert!(!patterns.is_empty(), "{path}");
        for pattern in patterns {
            assert!(
                pattern.starts_with(r"\A") && pattern.ends_with(r"\z"),
                "{path}: {pattern}"
            );
        }
    }
}

#[test]
fn built_in_accounts_are_named_by_well_known_sid() {
    let script = read(REGISTER);
    for line in code(&script) {
        for name in [
            "NT AUTHORITY",
            "BUILTIN\\",
            "NETWORK SERVICE",
            "NT SERVICE",
            "LocalSystem",
        ] {
            assert!(
                !line.contains(name),
                "an account name, which does not resolve on every language of Windows: {line}"
            );
        }
    }
    for sid in [
        "'S-1-5-18'",
        "'S-1-5-32-544'",
        "$ReaderAccount = 'S-1-5-20'",
    ] {
        assert!(script.contains(sid), "{sid}");
    }
}

/// The rights the registration script grants, in order, and whether its DACL is
/// protected (inherits nothing).
fn granted_rights(script: &str) -> Vec<&str> {
    let start = script
        .find("function New-DataFolderSecurity")
        .expect("New-DataFolderSecurity");
    let body = &script[start..];
    let body = &body[..body.find("\n}\n").expect("the function's end")];
    assert!(body.contains("$security.SetAccessRuleProtection($true, $false)"));
    assert!(body.contains("$security.SetOwner($AdministratorsSid)"));
    assert!(body.contains("'ContainerInherit, ObjectInherit', 'None', 'Allow'"));
    assert!(
        body.contains("Sids = @($SystemSid, $AdministratorsSid); Rights = 'FullControl'"),
        "{body}"
    );
    quoted_after(body, "Rights = ")
}

/// Where .NET puts a rule for `sid` in a DACL it writes: `CommonAcl` sorts explicit allow
/// rules by `SecurityIdentifier.CompareTo`, which compares the identifier authority, then
/// the number of sub-authorities, then each sub-authority in turn.
fn dotnet_sid_order(sid: &str) -> (u64, usize, Vec<u32>) {
    let parts: Vec<&str> = sid.split('-').collect();
    assert_eq!(&parts[..2], ["S", "1"], "{sid}");
    let authority = parts[2].parse().expect("the authority");
    let subs: Vec<u32> = parts[3..]
        .iter()
        .map(|p| p.parse().expect("a sub-authority"))
        .collect();
    (authority, subs.len(), subs)
}

/// The lines `icacls <path>` shows after the line that runs it, up to the blank line.
fn icacls_listing<'a>(guide: &'a str, path: &str) -> Vec<&'a str> {
    guide
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != format!(r"PS C:\> icacls {path}"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_guide_shows_the_permissions_the_script_sets() {
    let script = read(REGISTER);
    assert_eq!(granted_rights(&script), ["FullControl", "Modify", "Read"]);
    assert!(script.contains("-Modify @($collectorSid) -Read @($readerSid)"));
    assert!(script.contains("-Modify @() -Read @()"), "-Unregister");
    // The accounts in the order the script adds their rules, with icacls's letters for
    // what FileSystemAccessRule writes (Synchronize included): FullControl 0x1F01FF (F),
    // Modify 0x1301BF (M), Read 0x120089 (R). CONTOSO\svc-csbackup stands for any
    // domain account: S-1-5-21-<domain>-<rid>.
    let mut accounts = [
        (r"NT AUTHORITY\SYSTEM", "S-1-5-18", "F"),
        (r"BUILTIN\Administrators", "S-1-5-32-544", "F"),
        (
            r"CONTOSO\svc-csbackup",
            "S-1-5-21-3623811015-3361044348-30300820-1013",
            "M",
        ),
        (r"NT AUTHORITY\NETWORK SERVICE", "S-1-5-20", "R"),
    ];
    accounts.sort_by_key(|(_, sid, _)| dotnet_sid_order(sid));
    let guide = read(GUIDE);
    let listings = [
        (r"C:\ProgramData\check_csbackup", "(OI)(CI)"),
        (
            r"C:\ProgramData\check_csbackup\pool01.contoso.com.json",
            "(I)",
        ),
    ];
    for (path, flags) in listings {
        let shown = icacls_listing(&guide, path);
        assert_eq!(shown.len(), accounts.len(), "{path}: {shown:?}");
        for (line, (name, _, right)) in shown.iter().zip(accounts) {
            let ace = format!("{name}:{flags}({right})");
            assert!(line.ends_with(&ace), "{path}: {line} is not {ace}");
        }
        for absent in ["BUILTIN\\Users", "CREATOR OWNER"] {
            assert!(
                !shown.iter().any(|l| l.contains(absent)),
                "{absent} in {shown:?}"
            );
        }
    }
    assert!(flat(&guide).contains("sorts the rules of a DACL it writes: by SID"));
    assert!(guide
        .contains("(Get-Acl C:\\ProgramData\\check_csbackup).Owner\n  BUILTIN\\Administrators"));
}

#[test]
fn sids_sort_as_dotnet_sorts_them() {
    // A shorter SID first, whatever its numbers: S-1-5-32-544 before S-1-5-21-....
    let mut sids = [
        "S-1-5-32-544",
        "S-1-5-21-1-2-3-500",
        "S-1-5-20",
        "S-1-5-18",
        "S-1-1-0",
    ];
    sids.sort_by_key(|sid| dotnet_sid_order(sid));
    assert_eq!(
        sids,
        [
            "S-1-1-0",
            "S-1-5-18",
            "S-1-5-20",
            "S-1-5-32-544",
            "S-1-5-21-1-2-3-500"
        ]
    );
}

/// The body of `function name` in `script`, up to its closing brace.
fn function_body<'a>(script: &'a str, name: &str) -> &'a str {
    let start = script
        .find(&format!("function {name} {{"))
        .unwrap_or_else(|| panic!("no function {name}"));
    let body = &script[start..];
    &body[..body.find("\n}\n").expect("the function's end")]
}

/// What the registration does, in order: the script's last section.
fn register_flow(script: &str) -> &str {
    &script[script
        .find("# ---- Register ----")
        .expect("the Register section")..]
}

/// Finds `steps` in `text` one after the other, in that order.
fn assert_in_order(text: &str, steps: &[&str]) {
    let mut rest = text;
    for step in steps {
        let at = rest
            .find(step)
            .unwrap_or_else(|| panic!("{step} is missing, or comes too early in\n{text}"));
        rest = &rest[at + step.len()..];
    }
}

#[test]
fn nothing_is_asked_or_registered_under_whatif() {
    let script = read(REGISTER);
    assert_eq!(script.matches("Read-Host").count(), 1);
    let ask = function_body(&script, "Get-ServiceAccountPassword");
    assert_in_order(
        ask,
        &[
            "if ($ServiceAccount.EndsWith('$') -or $WhatIfPreference) { return $null }",
            "Read-Host",
        ],
    );
    let register = function_body(&script, "Register-CollectorTask");
    assert_in_order(
        register,
        &[
            "if (-not $PSCmdlet.ShouldProcess(\"$TaskPath$TaskName\"",
            "return $false",
            "[void] (Register-ScheduledTask @common -Principal $principal)",
            "[void] (Register-ScheduledTask @common -User $ServiceAccount",
        ],
    );
    // Enabled and run only once registered.
    assert_in_order(
        register_flow(&script),
        &["if (-not $registered) { return }", "Enable-ScheduledTask"],
    );
}

#[test]
fn a_run_again_changes_nothing_before_the_new_task_is_registered() {
    let script = read(REGISTER);
    let flow = register_flow(&script);
    let asking = "$secret = Get-ServiceAccountPassword";
    assert_in_order(
        flow,
        &[
            "$folderPlan = Get-DataFolderPlan $OutDirectory",
            "$action = Get-CollectorAction",
            asking,
            "$suspended = @(Suspend-Tasks)",
            "$registered = Register-CollectorTask $action $secret",
            "Set-DataFolder $OutDirectory $folderPlan",
            "Remove-OtherTasks -Keep $TaskName",
            "[void] (Enable-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath)",
            "Start-AndWaitForTask $started",
        ],
    );
    for step in [
        "Set-DataFolder $OutDirectory",
        "Register-CollectorTask $action",
    ] {
        assert_eq!(flow.matches(step).count(), 1, "{step}");
    }
    // Before the password is asked, only reading: also under -WhatIf.
    let checks = &flow[..flow.find(asking).unwrap_or_default()];
    for change in [
        "ShouldProcess",
        "Set-",
        "Remove-",
        "Register-",
        "Disable-",
        "Stop-",
        "Move-",
    ] {
        assert!(!checks.contains(change), "{change} before the password");
    }
    // An empty password stops it there.
    let ask = function_body(&script, "Get-ServiceAccountPassword");
    assert!(
        ask.contains("if ($secret.Length -eq 0) {\n        throw "),
        "{ask}"
    );
    // The old tasks stop running and stay off while the folder is set up; registered
    // disabled, which checks the password; if that fails, the old tasks run again.
    assert_in_order(
        function_body(&script, "Suspend-Tasks"),
        &["Stop-TaskRun $task", "Disable-ScheduledTask"],
    );
    assert!(function_body(&script, "Register-CollectorTask")
        .contains("New-ScheduledTaskSettingsSet -Disable "));
    let registering = &flow[flow
        .find("$registered = Register-CollectorTask")
        .unwrap_or_default()..];
    assert_in_order(
        &registering[..registering.find("\n}\n").unwrap_or_default()],
        &["} catch {", "Resume-Tasks $suspended", "throw "],
    );
}

#[test]
fn only_a_safe_data_folder_is_changed_in_place() {
    let script = read(REGISTER);
    // Safe: not a link, owned by Administrators or SYSTEM, protected, nothing inside that
    // is a link or someone else's; the accounts the DACL lets write (a former service
    // account) count as trusted inside.
    assert_in_order(
        function_body(&script, "Get-UnsafeFolderReason"),
        &[
            "[System.IO.FileAttributes]::ReparsePoint",
            "$security.GetOwner(",
            "Test-SidIn $owner @($AdministratorsSid, $SystemSid)",
            "$security.AreAccessRulesProtected",
            "$writers = @(Get-WritingSids $security)",
            "(Test-ManyAccountsSid $sid)",
            "return ",
            "Get-UnsafeContentReason $folder (@($Trusted) + $writers)",
        ],
    );
    assert_in_order(
        function_body(&script, "Get-UnsafeContentReason"),
        &[
            "[System.IO.FileAttributes]::ReparsePoint",
            "Test-SidIn $owner $Trusted",
            "Get-UnsafeContentReason $item $Trusted",
        ],
    );
    // Any other folder is moved aside as it is (a link as a link) and created anew.
    let set = function_body(&script, "Set-DataFolder");
    assert_in_order(
        set,
        &[
            "'Create' {",
            "New-DataFolder $Path $Security",
            "'Keep' {",
            "Reset-DataFolder $Path $Security",
            "'MoveAside' {",
            "Move-FolderAside $Path $Plan.Reason",
        ],
    );
    assert!(function_body(&script, "Move-FolderAside")
        .contains("[System.IO.Directory]::Move($Path, $aside)"));
    // In place: the status files go (deleting a name changes no hard link's target),
    // then the folder's DACL, then any status file planted meanwhile, then what the
    // other items inherit.
    assert_in_order(
        function_body(&script, "Reset-DataFolder"),
        &[
            "Remove-StatusFiles $Path",
            "Set-Acl -LiteralPath $Path",
            "Remove-StatusFiles $Path",
            "Reset-ChildSecurity",
        ],
    );
    assert_eq!(
        script.matches("Set-Acl ").count(),
        1,
        "Set-Acl on a safe folder only"
    );
    // Windows PowerShell 5.1's Get-ChildItem -Recurse follows junctions.
    assert!(!script.contains("-Recurse"));
    // -Unregister too changes a safe folder only, and its status files go.
    let unregister = &script[script.find("if ($Unregister) {").expect("-Unregister")..];
    assert_in_order(
        unregister,
        &[
            "$plan = Get-DataFolderPlan $OutDirectory",
            "if ($plan.Action -eq 'MoveAside') {",
            "Write-Warning",
            "Reset-DataFolder $OutDirectory (New-DataFolderSecurity -Modify @() -Read @())",
        ],
    );
}

#[test]
fn a_new_data_folder_is_checked_once_created() {
    let script = read(REGISTER);
    // .NET Framework's CreateDirectory takes a folder that already exists silently.
    assert_in_order(
        function_body(&script, "New-DataFolder"),
        &[
            "[System.IO.Directory]::CreateDirectory($Path, $Security)",
            "Assert-CreatedSafely $Path",
        ],
    );
    assert_in_order(
        function_body(&script, "Assert-CreatedSafely"),
        &[
            "[System.IO.FileAttributes]::ReparsePoint",
            "[System.IO.FileAttributes]::Directory",
            "$owner.Equals($AdministratorsSid)",
            "$security.AreAccessRulesProtected",
            "throw ",
        ],
    );
}

/// The access mask of the rights `$WritingRights` names in the registration script.
fn writing_rights(script: &str) -> u32 {
    let line = code(script)
        .into_iter()
        .find(|l| l.starts_with("$WritingRights = [int]"))
        .expect("$WritingRights");
    let names = quoted_after(line, "FileSystemRights] ")[0];
    let mut mask = 0;
    for name in names.split(',').map(str::trim) {
        mask |= match name {
            "WriteData" => 0x2,
            "AppendData" => 0x4,
            "WriteExtendedAttributes" => 0x10,
            "DeleteSubdirectoriesAndFiles" => 0x40,
            "WriteAttributes" => 0x100,
            "Delete" => 0x1_0000,
            "ChangePermissions" => 0x4_0000,
            "TakeOwnership" => 0x8_0000,
            other => panic!("{other} is not a right that writes"),
        };
    }
    assert!(script.contains("$WritingRights = $WritingRights -bor 0x10000000 -bor 0x40000000"));
    mask | 0x1000_0000 | 0x4000_0000
}

#[test]
fn writing_rights_are_those_that_change_a_file() {
    let mask = writing_rights(&read(REGISTER));
    // Read 0x120089, ReadAndExecute 0x1200A9, GENERIC_READ | GENERIC_EXECUTE.
    for reading in [0x12_0089, 0x12_00A9, 0xA000_0000] {
        assert_eq!(mask & reading, 0, "{reading:#x}");
    }
    // Modify 0x1301BF, Write 0x116, FullControl 0x1F01FF, GENERIC_WRITE, GENERIC_ALL, and
    // each of Delete, ChangePermissions and TakeOwnership alone.
    for writing in [
        0x13_01BF,
        0x116,
        0x1F_01FF,
        0x4000_0000,
        0x1000_0000,
        0x1_0000,
        0x4_0000,
        0x8_0000,
    ] {
        assert_ne!(mask & writing, 0, "{writing:#x}");
    }
}

#[test]
fn one_task_in_the_programs_folder_for_every_pool() {
    let script = read(REGISTER);
    assert!(script.contains("$TaskName = 'collect'"));
    assert!(script.contains("[int] $IntervalMinutes = 5,"));
    // Every pool on the one command line; the working directory is the program's.
    assert!(script.contains(r#"$pools = ($Pool | ForEach-Object { "--pool $_" }) -join ' '"#));
    assert!(script.contains("--out-dir $(Format-PathArgument $OutDirectory)"));
    assert!(script.contains("-WorkingDirectory $Action.Folder"));
    assert!(script.contains("$folder = Split-Path -Parent $program"));
    assert!(!script.contains("-WorkingDirectory $OutDirectory"));
    // Tasks of the earlier one-per-pool layout are removed, whatever their names.
    assert!(script.contains("Remove-OtherTasks -Keep $TaskName"));
}

#[test]
fn the_task_carries_history_across_three_and_a_half_of_its_intervals() {
    // Halfway between collections: two missed runs are within it, whatever the load times.
    let script = read(REGISTER);
    assert!(script.contains("--history-max-age $(210 * $IntervalMinutes)"));
    // At the default interval that is the collector's own default.
    use clap::CommandFactory;
    let command = check_csbackup::cli::Cli::command();
    let collect = command
        .find_subcommand("collect")
        .expect("the collect command");
    let default = collect
        .get_arguments()
        .find(|a| a.get_long() == Some("history-max-age"))
        .and_then(|a| a.get_default_values().first().cloned())
        .expect("--history-max-age has a default");
    assert_eq!(default, "1050", "210 * 5");
}

#[test]
fn errors_and_warnings_are_read_apart_each_up_to_what_the_check_knows() {
    let script = read(COLLECT);
    // Get-WinEvent -MaxEvents gives the newest events: in one query for every level a
    // storm of warnings would push the errors out.
    let answer = function_body(&script, "Get-EventsAnswer");
    assert!(answer.contains("$answer['Errors'] = Get-EventReading $window 1, 2"));
    assert!(answer.contains("$answer['Warnings'] = Get-EventReading $window 3"));
    let reading = function_body(&script, "Get-EventReading");
    assert!(reading.contains("Level = $Levels"));
    assert!(reading.contains("Get-WinEvent -FilterHashtable $filter -MaxEvents $MaxEvents"));
    // The check reads that many as "at least": the same number.
    let at_most = check_csbackup::model::EVENTS_READ_AT_MOST;
    assert!(script.contains(&format!("\n$MaxEvents = {at_most}\n")));
    // The window ends on the whole second Until is written as, where the next begins.
    assert!(answer.contains("$until = $now.AddTicks(-($now.Ticks % [TimeSpan]::TicksPerSecond))"));
    assert!(answer.contains("Until = $until.ToString($TimeFormat, $culture)"));
    assert!(answer.contains("End = $until"));
}

#[test]
fn the_exe_is_refused_where_it_cannot_run() {
    let script = read(REGISTER);
    assert!(script.contains("[Environment]::OSVersion.Version -ge [Version] '10.0'"));
    let refusal = script
        .find("if (-not $ScriptOnly -and -not (Test-ExeSupported))")
        .expect("the refusal");
    assert!(script[refusal..].contains("Run this script again with -ScriptOnly"));
}

#[test]
fn dates_are_written_the_same_in_every_culture() {
    // In a custom date format ':' is the culture's time separator and '/' its date
    // separator (Finnish writes 01.30.00): each names the invariant culture. The standard
    // formats below are the same in every culture.
    const INVARIANT: &str = ", [System.Globalization.CultureInfo]::InvariantCulture)";
    let mut custom = 0;
    for path in [REGISTER, COLLECT] {
        let script = read(path);
        for line in code(&script) {
            for (at, marker) in line.match_indices(".ToString('") {
                let rest = &line[at + marker.len()..];
                let end = rest.find('\'').expect("the format's end");
                if ["o", "O", "r", "R", "s", "u"].contains(&&rest[..end]) {
                    continue;
                }
                custom += 1;
                assert!(rest[end + 1..].starts_with(INVARIANT), "{path}: {line}");
            }
        }
    }
    assert!(custom >= 1, "CollectedAt is written with a custom format");
}

/// The `ValidatePattern` of `parameter` in the registration script, as PowerShell applies
/// it: a .NET regex, matched ignoring case. The patterns keep to what .NET and the regex
/// crate read alike (`\A`, `\z`, classes with escaped brackets).
fn validate_pattern(script: &str, parameter: &str) -> regex::Regex {
    let params = &script[script.find("param(").expect("the param block")..];
    let declaration = params
        .split("\n\n")
        .find(|block| block.contains(&format!(" ${parameter}")))
        .unwrap_or_else(|| panic!("no parameter ${parameter}"));
    let pattern = quoted_after(declaration, "ValidatePattern(")[0];
    regex::Regex::new(&format!("(?i){pattern}")).expect("a pattern both read alike")
}

#[test]
fn the_task_folder_is_a_name_never_a_wildcard() {
    let script = read(REGISTER);
    let task_path = validate_pattern(&script, "TaskPath");
    for good in [
        r"\check_csbackup\",
        r"\Monitoring\check_csbackup\",
        r"\a b\",
    ] {
        assert!(task_path.is_match(good), "{good}");
    }
    for bad in [
        r"\*\",
        r"\check*\",
        r"\check?\",
        r"\[a]\",
        r"\a]\",
        r"\a[\",
        r"\",
        r"\\",
        r"check_csbackup\",
        r"\check_csbackup",
        r"\a\\b\",
        r#"\a"\"#,
        "\\a\n\\",
        "\\a\\\n",
    ] {
        assert!(!task_path.is_match(bad), "{bad:?}");
    }
    // Whatever Get-ScheduledTask -TaskPath matches, only tasks of $TaskPath itself count.
    let own = script.find("function Get-OwnTasks").expect("Get-OwnTasks");
    let body = &script[own..own + script[own..].find("\n}\n").expect("its end")];
    assert!(body.contains("if ($task.TaskPath -ne $TaskPath) { continue }"));
    // Get-ScheduledTask by folder only there; elsewhere by the one task's name.
    let listing = "@(Get-ScheduledTask -TaskPath $TaskPath -ErrorAction SilentlyContinue)";
    assert!(body.contains(listing));
    for line in code(&script) {
        if line.contains("Get-ScheduledTask ") && !line.contains(listing) {
            assert!(
                line.contains("Get-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath"),
                "{line}"
            );
        }
    }
    assert_eq!(script.matches(listing).count(), 1);
}

#[test]
fn pool_names_are_host_names() {
    let script = read(REGISTER);
    let pool = validate_pattern(&script, "Pool");
    assert!(pool.is_match("pool01.contoso.com"));
    for bad in ["x;Remove-Item C:\\", "pool01.contoso.com\n", "-pool", ""] {
        assert!(!pool.is_match(bad), "{bad:?}");
    }
    for name in ["ServiceAccount", "OutDirectory", "ReaderAccount"] {
        let pattern = validate_pattern(&script, name);
        assert!(pattern.is_match(r"CONTOSO\svc-csbackup"), "{name}");
        assert!(
            !pattern.is_match("a\"b") && !pattern.is_match("a\nb"),
            "{name}"
        );
    }
}

#[test]
fn no_variable_runs_into_a_colon() {
    // "$reason: ..." does not parse in PowerShell ("':' was not followed by a valid
    // variable name character"), and "$reason:x" reads the variable x on a drive named
    // reason: such a name is written ${reason} or $($reason). Scope and drive prefixes
    // are meant.
    const PREFIXES: [&str; 6] = ["env", "script", "global", "local", "using", "function"];
    for path in [REGISTER, COLLECT] {
        let script = read(path);
        for line in code(&script) {
            for (at, _) in line.match_indices('$') {
                let name: String = line[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let after = &line[at + 1 + name.len()..];
                if !name.is_empty() && after.starts_with(':') && !after.starts_with("::") {
                    assert!(
                        PREFIXES.contains(&name.to_ascii_lowercase().as_str()),
                        "{path}: ${name}: in {line}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_first_run_is_reported_by_what_it_did() {
    let script = read(REGISTER);
    // The run's start is taken before it is started, and the files are held against it.
    assert_in_order(
        register_flow(&script),
        &[
            "$started = (Get-Date).AddSeconds(-1)",
            "Start-AndWaitForTask $started",
            "Get-TaskResultMeaning $info.LastTaskResult $started $action",
        ],
    );
    let meaning = function_body(&script, "Get-TaskResultMeaning");
    // Exit code 1 also when nothing was written: the files' times tell.
    assert!(meaning
        .contains("'0x00000001' { return \"$hex, $(Get-FailedRunMeaning $Since $byHand)\" }"));
    assert_in_order(
        function_body(&script, "Get-FailedRunMeaning"),
        &[
            "@(Get-UnwrittenStatusFiles $Since)",
            "its file carries the Error",
            "no status file was written",
            "$ByHand",
        ],
    );
    assert!(function_body(&script, "Get-UnwrittenStatusFiles")
        .contains("$item.LastWriteTimeUtc -lt $Since.ToUniversalTime()"));
    assert!(meaning.contains("run the task's command by hand as $ServiceAccount"));
    // The codes a failed setup gives, each with its own text; other Win32 codes with
    // Windows' text; every unexplained one points at the History and how to turn it on.
    for code in [
        "0x00000000",
        "0x00000001",
        "0x00000002",
        "0x00041301",
        "0x00041303",
        "0x00041306",
        "0x8004131F",
        "0x8007052E",
        "0x80070569",
        "0x80070002",
        "0x8007010B",
        "0x800710E0",
        "0xFFFD0000",
    ] {
        assert_eq!(
            meaning.matches(&format!("'{code}' {{ return ")).count(),
            1,
            "{code}"
        );
    }
    assert_in_order(
        meaning,
        &[
            "if ($hex.StartsWith('0x8007')) {",
            "System.ComponentModel.Win32Exception",
            "$HistoryHint",
        ],
    );
    assert!(script.contains("wevtutil sl Microsoft-Windows-TaskScheduler/Operational /e:true"));
    let guide = flat(&read(GUIDE));
    for code in ["0x800710E0", "0xFFFD0000", "0x8007010B", "0x80070002"] {
        assert!(guide.contains(&format!("`{code}`")), "{code}");
    }
    assert!(guide.contains("`wevtutil sl Microsoft-Windows-TaskScheduler/Operational /e:true`"));
}

#[test]
fn the_guide_says_what_the_account_needs_and_how_to_try_it() {
    let guide = flat(&read(GUIDE));
    for fact in [
        // Log on as a batch job: who holds it, and where a grant lasts.
        "only Administrators, Backup Operators and Performance Log Users hold it by default",
        "**in the GPO that defines the right**",
        // A gMSA: the server may fetch its password, and the server can use it.
        "`PrincipalsAllowedToRetrieveManagedPassword`",
        "Test-ADServiceAccount gmsa-csbackup",
        // What runas cannot show, and what to do instead.
        "so it cannot start a group managed service account",
        "a refusal there says nothing about the batch logon the task uses",
        "New-ScheduledTaskPrincipal -UserId 'CONTOSO\\gmsa-csbackup$' -LogonType Password",
    ] {
        assert!(guide.contains(fact), "{fact}");
    }
}

#[test]
fn script_only_runs_an_installed_copy_only_administrators_change() {
    let script = read(REGISTER);
    assert!(script
        .contains("[string] $InstallDirectory = (Join-Path $env:ProgramFiles 'check_csbackup'),"));
    // The task runs the installed copy, in its folder; never -ScriptPath's.
    let action = function_body(&script, "Get-CollectorAction");
    assert!(action.contains(
        "(Format-PathArgument (Join-Path $InstallDirectory 'Collect-CsBackupStatus.ps1'))"
    ));
    assert!(action.contains("$folder = $InstallDirectory"));
    assert!(!action.contains("$ScriptPath"));
    // Installed: folder checked, copied, unblocked, copy checked.
    assert_in_order(
        function_body(&script, "Install-CollectorScript"),
        &[
            "if (-not $PSCmdlet.ShouldProcess($installed,",
            "Assert-OnlyAdministratorsWrite $InstallDirectory",
            "Copy-Item -LiteralPath $ScriptPath -Destination $installed -Force",
            "Unblock-File -LiteralPath $installed",
            "Assert-OnlyAdministratorsWrite $installed",
        ],
    );
    // Only SYSTEM, Administrators and TrustedInstaller may write (the owner may also be
    // the administrator who ran this); inherit-only rules do not reach the item itself.
    assert!(script.contains("$TrustedInstallerSid = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464'"));
    assert_in_order(
        function_body(&script, "Assert-OnlyAdministratorsWrite"),
        &[
            "[System.IO.FileAttributes]::ReparsePoint",
            "$administrators = @($SystemSid, $AdministratorsSid, $TrustedInstallerSid)",
            "Test-SidIn $owner ($administrators + $me)",
            "@(Get-WritingSids $security -SkipInheritOnly)",
            "Test-SidIn $sid $administrators",
            "throw ",
        ],
    );
    assert_in_order(
        function_body(&script, "Get-WritingSids"),
        &[
            "[System.Security.AccessControl.AccessControlType]::Allow) { continue }",
            "[System.Security.AccessControl.PropagationFlags]::InheritOnly",
            "if ($SkipInheritOnly -and $inheritOnly) { continue }",
            "-band $WritingRights",
        ],
    );
    // Group Policy's execution policy, which -ExecutionPolicy Bypass does not override.
    assert_in_order(
        function_body(&script, "Assert-ScriptMayRun"),
        &[
            "Get-ExecutionPolicy -Scope MachinePolicy",
            "if ($policy -eq 'Restricted') {",
            "throw ",
            "if ($policy -eq 'AllSigned' -and (Get-AuthenticodeSignature -LiteralPath $Script).Status -ne 'Valid') {",
            "throw ",
        ],
    );
    // Checked before anything changes; installed with the data folder, before the old
    // tasks go.
    assert_in_order(
        register_flow(&script),
        &[
            "Assert-ScriptMayRun $ScriptPath",
            "Assert-OnlyAdministratorsWrite $InstallDirectory",
            "$secret = Get-ServiceAccountPassword",
            "Set-DataFolder $OutDirectory",
            "if ($ScriptOnly) { Install-CollectorScript }",
            "Remove-OtherTasks -Keep $TaskName",
        ],
    );
    let guide = flat(&read(GUIDE));
    for fact in [
        "-File \"C:\\Program Files\\check_csbackup\\Collect-CsBackupStatus.ps1\"",
        "Unblock-File .\\check_csbackup-<version>-windows-x86_64.zip",
        "The copy is unblocked (`Unblock-File`)",
        "where Group Policy sets Restricted (no script file runs), or AllSigned",
    ] {
        assert!(guide.contains(fact), "{fact}");
    }
}

#[test]
fn the_guide_says_what_security_tools_see_of_the_encoded_command() {
    let guide = flat(&read(GUIDE));
    // The command line as the collector builds it (src/collect/powershell.rs).
    let arguments = check_csbackup_arguments();
    assert!(
        guide.contains(&format!(
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe {arguments} <base64>"
        )),
        "{arguments}"
    );
    for fact in [
        "Security event 4688",
        "event 4104 in Microsoft-Windows-PowerShell/Operational",
        r"the parent `C:\Program Files\check_csbackup\check_csbackup.exe`",
        r"the task `\check_csbackup\collect`",
        "Never allow `powershell.exe -EncodedCommand` in general",
        "`[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('<base64>'))`",
        "`check_csbackup collect --print-script`",
        "Constrained Language mode",
    ] {
        assert!(guide.contains(fact), "{fact}");
    }
}

/// The arguments the collector gives PowerShell before the encoded script.
fn check_csbackup_arguments() -> String {
    let source = read("src/collect/powershell.rs");
    let start = source.find("pub fn arguments").expect("arguments()");
    let body = &source[start..start + source[start..].find("\n}\n").expect("its end")];
    let listed = &body[body.find('[').expect("the list") + 1..body.find(']').expect("its end")];
    listed
        .split(',')
        .map(|a| a.trim().trim_matches('"'))
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn groups_of_many_accounts_never_write_the_status_files() {
    let script = read(REGISTER);
    // The pattern as `-match` applies it: a .NET regex, ignoring case.
    let pattern = quoted_after(&script, "$ManyAccountsDomainRid = ")[0];
    let many = regex::Regex::new(&format!("(?i){pattern}")).expect("a pattern both read alike");
    let domain = "S-1-5-21-3623811015-3361044348-30300820";
    for rid in [498, 513, 514, 515, 516, 517, 521, 522, 553] {
        assert!(many.is_match(&format!("{domain}-{rid}")), "{rid}");
        assert!(
            many.is_match(&format!("S-1-5-21-1-2-3-{rid}")),
            "any domain, {rid}"
        );
    }
    // Single accounts, and groups an administrator made or that only administrators
    // join, are for the DACL to name.
    for rid in [500, 512, 518, 519, 520, 1013, 5130, 51] {
        assert!(!many.is_match(&format!("{domain}-{rid}")), "{rid}");
    }
    assert!(!many.is_match(&format!("{domain}-513-1")));
    assert!(
        !many.is_match("S-1-5-32-545"),
        "built-in groups are caught as no account SID"
    );
    let test = function_body(&script, "Test-ManyAccountsSid");
    assert!(
        test.contains("(-not $Sid.IsAccountSid()) -or ($Sid.Value -match $ManyAccountsDomainRid)")
    );
    // A data folder that lets such a group write is moved aside, and the collector never
    // runs as one.
    assert!(
        function_body(&script, "Get-UnsafeFolderReason").contains("(Test-ManyAccountsSid $sid)")
    );
    assert_in_order(
        register_flow(&script),
        &[
            "$collectorSid = Resolve-AccountSid $ServiceAccount",
            "if (-not $collectorSid.IsAccountSid()) {",
            "throw \"the service account",
            "is a built-in identity or group, not a domain account",
            "if (Test-ManyAccountsSid $collectorSid) {",
            "throw \"the service account",
            "$folderPlan = Get-DataFolderPlan",
        ],
    );
}

#[test]
fn the_registration_names_status_files_as_the_collector_does() {
    // The collector writes <pool>.json with a final dot of the FQDN left out
    // (`pool_file` in src/collect.rs); the registration script names the same files in
    // one function, for what it reports and for what it checks after the first run.
    let script = read(REGISTER);
    assert!(function_body(&script, "Get-StatusFilePath")
        .contains("Join-Path $OutDirectory ($Name.TrimEnd('.') + '.json')"));
    assert_eq!(
        script.matches("+ '.json'").count(),
        1,
        "one place names them"
    );
    assert!(!script.contains("$_.json"), "a pool's file named by hand");
    assert!(function_body(&script, "Get-UnwrittenStatusFiles").contains("Get-StatusFilePath $name"));
    assert!(register_flow(&script).contains("ForEach-Object { Get-StatusFilePath $_ }"));
    let collector = read("src/collect.rs");
    assert!(collector.contains(r#"format!("{}.json", pool.trim_end_matches('.'))"#));
}

#[test]
fn the_collectors_cmdlets_say_nothing_on_standard_output() {
    let script = read(COLLECT);
    // Nothing any stream of a cmdlet carries reaches stdout by preference...
    for preference in [
        "$WarningPreference = 'SilentlyContinue'",
        "$VerbosePreference = 'SilentlyContinue'",
        "$DebugPreference = 'SilentlyContinue'",
        "$InformationPreference = 'SilentlyContinue'",
        "$ProgressPreference = 'SilentlyContinue'",
    ] {
        assert!(script.contains(preference), "{preference}");
    }
    // ...and where each runs, its warnings are captured apart from its objects.
    assert_in_order(
        function_body(&script, "Invoke-Gathering"),
        &[
            "$WarningPreference = 'Continue'",
            "& $Command 3>&1 4>$null 5>$null 6>$null",
            "-is [System.Management.Automation.WarningRecord]) { $warnings.Add($_.Message) }",
            "else { $output.Add($_) }",
            "Warnings = $warnings.ToArray()",
        ],
    );
}

#[test]
fn the_collectors_conversion_is_bounded_in_depth_and_fan_out() {
    let script = read(COLLECT);
    for limit in ["$MaxDepth = 6", "$MaxItems = 100", "$MaxProperties = 50"] {
        assert!(script.contains(limit), "{limit}");
    }
    // Depth is checked before anything is taken apart; each level adds one.
    assert_in_order(
        function_body(&script, "ConvertTo-PlainValue"),
        &[
            "$Depth -ge $MaxDepth) { return \"$Value\" }",
            "ConvertFrom-Dictionary $Value $Depth",
            "ConvertFrom-List $Value $Depth",
            "ConvertFrom-Object $Value $Depth",
        ],
    );
    for (function, limit) in [
        ("ConvertFrom-Dictionary", "$plain.Count -ge $MaxProperties"),
        ("ConvertFrom-List", "$items.Count -ge $MaxItems"),
        ("ConvertFrom-Object", "$count -ge $MaxProperties"),
    ] {
        assert_in_order(
            function_body(&script, function),
            &[limit, "'@LeftOut'", "break", "($Depth + 1)"],
        );
    }
    // An object's own string form is kept: what a Fqdn or an XdsIdentity means.
    assert!(function_body(&script, "ConvertFrom-Object")
        .contains("if ($text -ne $Value.GetType().FullName) { $plain['@Text'] = $text }"));
}

#[test]
fn the_script_alone_replaces_each_file_in_one_step() {
    // -ScriptOnly: the same guarantees as the exe's atomic write (src/collect/atomic.rs).
    assert_in_order(
        function_body(&read(COLLECT), "Write-FileAtomically"),
        &[
            "[System.IO.Path]::GetRandomFileName()",
            "[System.IO.FileMode]::CreateNew",
            "$stream.Flush($true)",
            "[System.IO.File]::Replace($temporary, $Path, $null)",
            "[System.IO.File]::Move($temporary, $Path)",
            "Remove-Item -LiteralPath $temporary",
        ],
    );
}

#[test]
fn the_script_names_each_lookup_as_the_collector_reads_it() {
    let script = read(COLLECT);
    // A lookup's objects under its name, or why it failed under the name and `Error`.
    let set = function_body(&script, "Set-Gathered");
    assert!(set
        .contains("if ($null -ne $Gathered.Error) { $Table[\"${Key}Error\"] = $Gathered.Error }"));
    assert!(set.contains(
        "else { $Table[$Key] = @(foreach ($o in $Gathered.Output) { ConvertTo-PlainValue $o }) }"
    ));
    let cms = function_body(&script, "Get-CmsAnswer");
    assert_in_order(
        cms,
        &[
            "Set-Gathered $lookup 'GetCsPool' $pool",
            "Set-Gathered $lookup 'GetCsComputer' $computer",
        ],
    );
    assert!(function_body(&script, "Get-EventsAnswer")
        .contains("Set-Gathered $answer 'GetCsComputer' $lookup"));
    let master = read("src/input/answer/master.rs");
    let events = read("src/input/answer/events.rs");
    for name in ["GetCsPool", "GetCsComputer"] {
        assert!(master.contains(&format!("\"{name}\"")), "{name}");
        assert!(master.contains(&format!("\"{name}Error\"")), "{name}Error");
    }
    assert!(events.contains("\"GetCsComputer\"") && events.contains("\"GetCsComputerError\""));
}
