//! The command line. Parsing never exits on its own: `--help` and `--version` print to
//! stdout and exit 3, and a usage error is one `UNKNOWN` line, exit 3, as monitoring
//! plugins do (clap's exit 2 on stderr would read as CRITICAL in Icinga).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::model::Format;
use crate::policy::{self, Level, Mapping, Threshold};
use crate::report;

const STATES: &str = "\
States (ExportStatus: this pool -> its backup pool; ImportStatus: backup pool -> this pool):
  export FinalState      OK        nothing left to back up
  export SteadyState     OK        all changes fit in one batch, no backlog
  export NonSteadyState  WARNING   a backlog is building; with the collector's history, by how
                                   long: OK within --backlog-warning, WARNING beyond it, CRITICAL
                                   beyond --backlog-critical (a lower bound: never below WARNING);
                                   how long is measured to CollectedAt, never to now
  export NotInitialized  OK only when the pool is known not to host the active CMS,
                         else WARNING (tell the plugin with --cms-master-pool, and with
                         --pool which pool a bare module list belongs to); any module but
                         CentralMgmt.CMSMaster: WARNING beyond --not-initialized-warning
  export ErrorState      CRITICAL  failed to back up new changes
  import NormalState     OK        import working
  import ErrorState      CRITICAL  failed to import new changes
  any other value        UNKNOWN   (a whole number, in any format, is a number: PowerShell 5.1
                                   wrote an enum as a number; numbers are never mapped)
  collection Error       --on-error (CRITICAL); the modules it left unreported are UNKNOWN
  Backup Service errors  --on-event-error (WARNING), from the events the collector read since
                         the collection before; a log it could not read is a note, no state
  --map                  sets a status's level whatever its duration
  data age               -w / -c Nagios ranges in seconds, from CollectedAt (with a UTC offset,
                         \\/Date(ms)\\/ or Unix time), else the file's time; on standard
                         input without CollectedAt not checked, and the summary says so

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for --help, --version, usage errors).

Examples:
  check_csbackup -f C:\\ProgramData\\check_csbackup\\pool01.json
  check_csbackup -f status.json --cms-master-pool pool02.contoso.com --max-output 1023
  check_csbackup -f modules.json --pool pool01.contoso.com -w 600 -c 1800 -v
  check_csbackup -f status.xml --cms-master-pool pool02.contoso.com
  check_csbackup -f modules.txt --pool pool01.contoso.com --cms-master-pool pool02.contoso.com";

/// The input format: detected by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Detect the format from the document's first character
    Auto,
    /// ConvertTo-Json output, raw or from the collector
    Json,
    /// Export-Clixml output
    Clixml,
    /// The console's Format-Table or Format-List view
    Text,
}

impl FormatArg {
    pub fn format(self) -> Option<Format> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Json => Some(Format::Json),
            FormatArg::Clixml => Some(Format::Clixml),
            FormatArg::Text => Some(Format::Text),
        }
    }
}

/// check_csbackup: is the Skype for Business Server Backup Service replicating between
/// paired pools?
#[derive(Debug, Parser)]
#[command(
    name = "check_csbackup",
    version,
    about = "Monitoring plugin: is the Skype for Business Server Backup Service replicating between paired pools?",
    long_about = "Monitoring plugin (Icinga, Nagios, NRPE, NSClient++) that reads the status document \
Get-CsBackupServiceStatus produced (JSON, as written by ConvertTo-Json or by a scheduled collector; \
Export-Clixml output; or the text PowerShell prints for $s.BackupModules) and reports whether the Backup Service replicates between paired pools.",
    after_help = STATES,
    max_term_width = 100,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Status document; '-' reads standard input
    #[arg(short = 'f', long, value_name = "PATH")]
    pub file: Option<String>,

    /// Run PowerShell now for the --pool pools and check its answer, instead of reading a file (slow: loading the Skype for Business module takes tens of seconds)
    #[arg(long, conflicts_with = "file")]
    pub live: bool,

    /// PowerShell for --live [default: powershell.exe on Windows, pwsh elsewhere]
    #[arg(long, value_name = "EXE")]
    pub powershell: Option<PathBuf>,

    /// Format of the status document
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FormatArg::Auto)]
    pub format: FormatArg,

    /// Evaluate only this pool (repeatable); names the pool when the document does not
    #[arg(short = 'p', long = "pool", value_name = "FQDN", value_parser = parse_fqdn)]
    pub pools: Vec<String>,

    /// Pool hosting the active Central Management Store (overrides the document's ActiveMasterFqdn)
    #[arg(long, value_name = "FQDN", value_parser = parse_fqdn)]
    pub cms_master_pool: Option<String>,

    /// Backup module that must be present, e.g. ConfServices.DataConf (repeatable)
    #[arg(long = "module", value_name = "NAME", value_parser = parse_module_name)]
    pub modules: Vec<String>,

    /// Backup module to leave out (repeatable; never one that --module requires)
    #[arg(long = "ignore-module", value_name = "NAME", value_parser = parse_module_name)]
    pub ignore_modules: Vec<String>,

    /// Override a mapping, e.g. export:NonSteadyState=critical (repeatable; LEVEL is ok|warning|critical|unknown; STATUS is a name, never a number)
    #[arg(long = "map", value_name = "[export:|import:]STATUS=LEVEL", value_parser = parse_mapping)]
    pub maps: Vec<Mapping>,

    /// Level of the finding that the document reports a collection Error (that finding only)
    #[arg(long, value_name = "LEVEL", default_value = "critical", value_parser = policy::parse_level)]
    pub on_error: Level,

    /// Nagios range on the data's age in seconds
    #[arg(short = 'w', long, value_name = "RANGE", default_value = policy::AGE_WARNING, allow_hyphen_values = true, value_parser = parse_threshold)]
    pub warning: Threshold,

    /// Nagios range on the data's age in seconds
    #[arg(short = 'c', long, value_name = "RANGE", default_value = policy::AGE_CRITICAL, allow_hyphen_values = true, value_parser = parse_threshold)]
    pub critical: Threshold,

    /// Nagios range in seconds on how long a module has been in NonSteadyState, from the collector's history: within it OK (a backlog the next syncs clear), outside it WARNING; without history a NonSteadyState is a WARNING. The duration defaults lie halfway between two 5-minute collections, so that no module load time decides
    #[arg(long, value_name = "RANGE", default_value = policy::BACKLOG_WARNING, allow_hyphen_values = true, value_parser = parse_threshold)]
    pub backlog_warning: Threshold,

    /// Nagios range in seconds on how long a module has been in NonSteadyState: outside it CRITICAL
    #[arg(long, value_name = "RANGE", default_value = policy::BACKLOG_CRITICAL, allow_hyphen_values = true, value_parser = parse_threshold)]
    pub backlog_critical: Threshold,

    /// Nagios range in seconds on how long a module other than CentralMgmt.CMSMaster has been NotInitialized: outside it WARNING even on a pool that does not host the CMS (replication never began)
    #[arg(long, value_name = "RANGE", default_value = policy::NOT_INITIALIZED_WARNING, allow_hyphen_values = true, value_parser = parse_threshold)]
    pub not_initialized_warning: Threshold,

    /// Level of the Backup Service's Error events since the collection before (ok: listed, never a problem)
    #[arg(long, value_name = "LEVEL", default_value = "warning", value_parser = policy::parse_level)]
    pub on_event_error: Level,

    /// Whole-run limit in seconds; on expiry UNKNOWN, saying at which stage
    #[arg(short = 't', long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,

    /// Refuse larger documents before reading them whole
    #[arg(long, value_name = "BYTES", default_value_t = 16_777_216, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_input: u64,

    /// Keep the whole output within BYTES (1023 for NRPE v2 and NSClient++): the state and the worst problem always, whole pools' perfdata in document order (the same pools whatever the states, and a last line says what was left out), then long output; below what one pool needs, UNKNOWN naming the minimum
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(MIN_MAX_OUTPUT..))]
    pub max_output: Option<u64>,

    /// More output: -v every module and what was not checked, -vv where each decision came from, -vvv every property; lines that judge nothing open with [NOTE]
    #[arg(short = 'v', long, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What else the binary does besides checking.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run Get-CsBackupServiceStatus in PowerShell and write the status file the check reads (for a scheduled task)
    #[command(after_help = COLLECT_HELP)]
    Collect(CollectArgs),
}

const COLLECT_HELP: &str = "\
One PowerShell run (one load of the Skype for Business module) collects every --pool.
Messages go to standard error, one line.

Exit codes: 0 written; 1 collecting a pool failed (its file then carries the Error, which the
check reports), or a file could not be written or was refused (a folder that is a link, or
that another account owns or may write); 2 usage error.

Example (one scheduled task every 5 minutes, see packaging/windows/Register-CsBackupCollector.ps1):
  check_csbackup collect --pool pool01.contoso.com --pool pool02.contoso.com --out-dir C:\\ProgramData\\check_csbackup
writes C:\\ProgramData\\check_csbackup\\pool01.contoso.com.json and ...\\pool02.contoso.com.json.";

/// `check_csbackup collect`: where to collect from and where to write.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Pool to ask Get-CsBackupServiceStatus about (repeatable)
    #[arg(short = 'p', long = "pool", value_name = "FQDN", value_parser = parse_fqdn, required_unless_present = "print_script")]
    pub pools: Vec<String>,

    /// One status file for every pool (replaced atomically)
    #[arg(short = 'o', long, value_name = "PATH", conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,

    /// A folder for one status file per pool, <FQDN>.json, each replaced atomically (what the shipped Icinga 2 and NSClient++ snippets read)
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// PowerShell to run [default: Windows PowerShell (powershell.exe) on Windows, pwsh elsewhere]
    #[arg(long, value_name = "EXE")]
    pub powershell: Option<PathBuf>,

    /// Seconds PowerShell may take; it is stopped on expiry
    #[arg(short = 't', long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,

    /// The oldest previous document whose history is carried forward (how long each status has lasted); an older one, like one that is unreadable, for another pool or from the future, starts the history again. Three and a half 5-minute intervals: two missed runs, whatever the load times
    #[arg(long, value_name = "SECONDS", default_value_t = 1050, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub history_max_age: u64,

    /// The event log the Backup Service writes to; its Critical, Error and Warning events since the collection before are counted and the latest kept
    #[arg(long, value_name = "NAME", default_value = "Lync Server", value_parser = parse_event_name)]
    pub event_log: String,

    /// The Backup Service's event source in that log
    #[arg(long, value_name = "NAME", default_value = "LS Backup Service", value_parser = parse_event_name)]
    pub event_source: String,

    /// Print the PowerShell script that is run, and exit
    #[arg(long)]
    pub print_script: bool,
}

fn parse_threshold(text: &str) -> Result<Threshold, String> {
    text.parse()
}

fn parse_mapping(text: &str) -> Result<Mapping, String> {
    text.parse()
}

/// A pool FQDN: letters, digits, `-` and `.`, 1 to 253 characters.
pub fn parse_fqdn(text: &str) -> Result<String, String> {
    let name = text.trim();
    let valid = (1..=253).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.starts_with(['-', '.']);
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "'{}' is not a host name: use letters, digits, '-' and '.', 1 to 253 characters, e.g. pool01.contoso.com",
            crate::model::clip(text, 60)
        ))
    }
}

/// An event log's or source's name: printable, no quotes (the script puts it in an
/// event query), at most 256 characters.
pub fn parse_event_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty()
        || name.len() > 256
        || name
            .chars()
            .any(|c| c.is_control() || c == '\'' || c == '"')
    {
        // Escaped, so that a line break or tab shows as what it is: printed as a space
        // it would make the name look valid.
        return Err(format!(
            "'{}' is not an event log or source name: give it as Event Viewer shows it, e.g. 'Lync Server' or 'LS Backup Service', without quotes or control characters inside",
            crate::model::clip(&text.escape_default().to_string(), 60)
        ));
    }
    Ok(name.to_owned())
}

/// A backup module's `Identity`: not blank, no control characters, trimmed.
pub fn parse_module_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
        return Err(format!(
            "'{}' is not a module name: give a module's Identity, e.g. ConfServices.DataConf",
            crate::model::clip(text, 60)
        ));
    }
    Ok(name.to_owned())
}

/// Parses the command line, or returns the exit code and output to end with.
///
/// A usage error keeps within `--max-output` when that option was given with a valid
/// value, and echoes no argument at length: a value of thousands of characters must not
/// become thousands of bytes of output.
pub fn parse<I, T>(args: I) -> Result<Cli, (i32, String)>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let options = report::Options {
        verbosity: 0,
        max_output: max_output_in(&args),
    };
    let usage = |message: &str| Err((3, report::unknown_within(message, &options)));
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Err((3, e.to_string())),
                _ => usage(&clip_echoes(&usage_message(&e), &args)),
            };
        }
    };
    if cli.powershell.is_some() && !cli.live {
        return usage("usage: --powershell is for --live (a scheduled collector names it after 'collect'); see --help");
    }
    if cli.live && cli.pools.is_empty() {
        return usage(
            "usage: --live needs --pool: name the pool(s) to ask PowerShell about; see --help",
        );
    }
    if let Some(both) = required_and_ignored(&cli) {
        return usage(&both);
    }
    if cli.file.is_none() && !cli.live && cli.command.is_none() {
        return usage("usage: --file is required: give the status document's path, or '-' for standard input (see --help)");
    }
    Ok(cli)
}

/// The `--max-output` the arguments give, if a valid one: read apart from clap, so a
/// usage error elsewhere on the line still keeps within it.
fn max_output_in(args: &[OsString]) -> Option<usize> {
    let mut args = args.iter().filter_map(|a| a.to_str());
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--max-output") {
            Some("") => args.next(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(max) = value
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|max| *max >= MIN_MAX_OUTPUT as usize)
        {
            return Some(max);
        }
    }
    None
}

/// A message with every long argument it echoes (clap quotes refused values and
/// options) clipped.
fn clip_echoes(message: &str, args: &[OsString]) -> String {
    let mut message = message.to_owned();
    for arg in args.iter().map(|a| a.to_string_lossy()) {
        let value = arg.split_once('=').map_or(&*arg, |(_, v)| v);
        for echoed in [&*arg, value] {
            if echoed.chars().count() > ECHOED && message.contains(echoed) {
                message = message.replace(echoed, &crate::model::clip(echoed, ECHOED));
            }
        }
    }
    message
}

/// The most characters of an argument a usage error repeats.
const ECHOED: usize = 40;

/// The smallest `--max-output`: room for a one-line `UNKNOWN` that says what is wrong.
pub const MIN_MAX_OUTPUT: u64 = 128;

/// A module that is both required and left out: the two cannot both be honoured.
fn required_and_ignored(cli: &Cli) -> Option<String> {
    cli.modules.iter().find_map(|required| {
        let ignored = cli
            .ignore_modules
            .iter()
            .find(|i| crate::model::same_module(i, required))?;
        Some(format!(
            "usage: --module {} and --ignore-module {} name the same module: \
             a module cannot be both required and left out (see --help)",
            crate::model::clip(required, ECHOED),
            crate::model::clip(ignored, ECHOED)
        ))
    })
}

/// Whether the command line asks for `collect`, which ends the way a scheduled task
/// does (messages on stderr, exit 2 on a usage error) rather than as a plugin.
pub fn names_collect(args: &[OsString]) -> bool {
    args.get(1).is_some_and(|a| a == "collect")
}

/// The collector's script (`packaging/windows/Collect-CsBackupStatus.ps1`): what the
/// collector runs, and what `collect --print-script` prints in every build.
pub const COLLECTOR_SCRIPT: &str = include_str!("../packaging/windows/Collect-CsBackupStatus.ps1");

/// A `collect` command line that asks for a collection; anything else is answered here,
/// as every build answers it (`--help`, `--print-script`, a usage error on stderr), and
/// `Err` holds the exit code.
pub fn collect_command(args: &[OsString]) -> Result<CollectArgs, i32> {
    match parse_collect(args) {
        Ok(collect) if collect.print_script => {
            print!("{COLLECTOR_SCRIPT}");
            Err(0)
        }
        Ok(collect) => Ok(collect),
        Err((0, help)) => {
            print!("{help}");
            Err(0)
        }
        Err((code, line)) => {
            eprintln!("check_csbackup collect: {line}");
            Err(code)
        }
    }
}

/// Parses a `collect` command line, or returns the exit code and the text to end with:
/// for code 0 (`--help`) the text belongs on stdout, otherwise it is one line for stderr.
fn parse_collect(args: &[OsString]) -> Result<CollectArgs, (i32, String)> {
    use clap::error::ErrorKind;
    match Cli::try_parse_from(args) {
        Ok(Cli {
            command: Some(Command::Collect(collect)),
            ..
        }) if collect.print_script || collect.out.is_some() || collect.out_dir.is_some() => {
            Ok(collect)
        }
        Ok(Cli {
            command: Some(Command::Collect(_)),
            ..
        }) => Err((
            2,
            "usage: say where to write: --out <PATH> (one file for every pool) or --out-dir <DIR> \
             (one <FQDN>.json per pool); see check_csbackup collect --help"
                .into(),
        )),
        Ok(_) => Err((
            2,
            "usage: expected the collect command; see check_csbackup collect --help".into(),
        )),
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Err((0, e.to_string())),
            _ => Err((2, one_line_usage(&e))),
        },
    }
}

/// Clap's whole message (a refused value may hold line breaks) as one line for stderr.
fn one_line_usage(e: &clap::Error) -> String {
    let text = e.to_string();
    let text = text.split("\n\n").next().unwrap_or_default();
    let text = text.trim().trim_start_matches("error:").trim();
    let words: Vec<&str> = text.split_whitespace().collect();
    format!(
        "usage: {}; see check_csbackup collect --help",
        report::clean(&words.join(" "))
    )
}

/// Clap's message in one line: the first line, without its `error:` prefix, and the
/// accepted values when a value was not one of them.
fn usage_message(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let text = e.to_string();
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid arguments");
    let first = first.trim().trim_start_matches("error:").trim();
    let accepted = match e.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(values)) if !values.is_empty() => {
            format!(", use one of: {}", values.join(", "))
        }
        _ => String::new(),
    };
    format!("usage: {first}{accepted} (see --help)")
}
