//! Property tests over generated valid documents: the plugin's state is the worst of the
//! module levels, computed here independently from the seed's table; and every output
//! keeps the plugin grammar (no `|` in text, valid perfdata labels) within `--max-output`.

mod common;

use check_csbackup::check;
use check_csbackup::input::Bytes;
use check_csbackup::policy::Settings;
use check_csbackup::report::Options;
use common::output_grammar;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The clock of every generated run.
const NOW: i64 = 1_732_755_600;

/// A status as a document may carry it.
#[derive(Debug, Clone)]
enum Status {
    /// A name, with the letter case and padding as written.
    Name(String),
    Number(i64),
    Null,
    Absent,
}

#[derive(Debug, Clone)]
struct GeneratedModule {
    identity: String,
    export: Status,
    import: Status,
}

#[derive(Debug, Clone)]
struct GeneratedPool {
    fqdn: String,
    age: i64,
    modules: Vec<GeneratedModule>,
}

#[derive(Debug, Clone)]
struct GeneratedDocument {
    pools: Vec<GeneratedPool>,
    /// `ActiveMasterFqdn`, written on every pool as the collector does.
    master: Option<String>,
    as_list: bool,
}

/// Severity ranks: OK < UNKNOWN < WARNING < CRITICAL, as exit codes 0, 3, 1, 2.
const OK: u8 = 0;
const UNKNOWN: u8 = 1;
const WARNING: u8 = 2;
const CRITICAL: u8 = 3;

fn exit_code(rank: u8) -> i32 {
    [0, 3, 1, 2][rank as usize]
}

/// The seed's table (Get-CsBackupServiceStatus), written out again on purpose.
fn export_rank(status: &Status, master_known_elsewhere: bool) -> u8 {
    let Status::Name(name) = status else {
        return UNKNOWN;
    };
    match name.trim().to_ascii_lowercase().as_str() {
        "finalstate" | "steadystate" => OK,
        "nonsteadystate" => WARNING,
        "notinitialized" if master_known_elsewhere => OK,
        "notinitialized" => WARNING,
        "errorstate" => CRITICAL,
        _ => UNKNOWN,
    }
}

fn import_rank(status: &Status) -> u8 {
    let Status::Name(name) = status else {
        return UNKNOWN;
    };
    match name.trim().to_ascii_lowercase().as_str() {
        "normalstate" => OK,
        "errorstate" => CRITICAL,
        _ => UNKNOWN,
    }
}

fn same_fqdn(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('.'))
}

fn expected_rank(document: &GeneratedDocument) -> u8 {
    document
        .pools
        .iter()
        .flat_map(|pool| {
            let not_master = document
                .master
                .as_deref()
                .is_some_and(|m| !same_fqdn(m, &pool.fqdn));
            pool.modules
                .iter()
                .map(move |m| export_rank(&m.export, not_master).max(import_rank(&m.import)))
        })
        .max()
        .unwrap_or(OK)
}

fn status_json(status: &Status) -> Option<Value> {
    match status {
        Status::Name(name) => Some(json!(name)),
        Status::Number(n) => Some(json!(n)),
        Status::Null => Some(Value::Null),
        Status::Absent => None,
    }
}

fn to_json(document: &GeneratedDocument) -> String {
    let pools: Vec<Value> = document
        .pools
        .iter()
        .map(|pool| {
            let modules: Vec<Value> = pool
                .modules
                .iter()
                .map(|m| {
                    let mut object = serde_json::Map::new();
                    object.insert("Identity".into(), json!(m.identity));
                    for (key, status) in [("ExportStatus", &m.export), ("ImportStatus", &m.import)]
                    {
                        if let Some(value) = status_json(status) {
                            object.insert(key.into(), value);
                        }
                    }
                    Value::Object(object)
                })
                .collect();
            let collected = jiff::Timestamp::from_second(NOW - pool.age)
                .expect("a valid time")
                .to_string();
            let mut object = serde_json::Map::new();
            object.insert("PoolFqdn".into(), json!(pool.fqdn));
            object.insert("CollectedAt".into(), json!(collected));
            if let Some(master) = &document.master {
                object.insert("ActiveMasterFqdn".into(), json!(master));
            }
            object.insert("BackupModules".into(), Value::Array(modules));
            Value::Object(object)
        })
        .collect();
    if document.as_list || pools.len() > 1 {
        Value::Array(pools).to_string()
    } else {
        pools[0].to_string()
    }
}

/// A documented name in any letter case, padded; or something undocumented.
fn status_name(documented: &'static [&'static str]) -> impl Strategy<Value = Status> {
    prop_oneof![
        4 => (prop::sample::select(documented), any::<u32>(), prop::sample::select(&["", " ", "\t", "  "][..]))
            .prop_map(|(name, case, pad)| {
                let cased: String = name
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if case >> (i % 32) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                    .collect();
                Status::Name(format!("{pad}{cased}{pad}"))
            }),
        1 => "[A-Za-z|'= \\n]{0,16}".prop_map(Status::Name),
        1 => (-3i64..100_000).prop_map(Status::Number),
        1 => Just(Status::Null),
        1 => Just(Status::Absent),
    ]
}

const EXPORT: &[&str] = &[
    "FinalState",
    "SteadyState",
    "NonSteadyState",
    "NotInitialized",
    "ErrorState",
];
const IMPORT: &[&str] = &["NormalState", "ErrorState"];

/// Texts that try to break the output: `|`, quotes, `=`, control characters, line
/// separators, bidirectional controls, non-ASCII.
const HOSTILE: &str =
    "[A-Za-z0-9.|'=; \\-\\t\\n\\r\u{1}\u{1b}\u{85}\u{9f}\u{2028}\u{202e}\u{2066}äß€]{1,24}";

fn module() -> impl Strategy<Value = GeneratedModule> {
    (HOSTILE, status_name(EXPORT), status_name(IMPORT)).prop_map(|(identity, export, import)| {
        GeneratedModule {
            identity,
            export,
            import,
        }
    })
}

fn pool() -> impl Strategy<Value = GeneratedPool> {
    (
        prop_oneof![
            "pool0[1-4]\\.contoso\\.com\\.?",
            "[a-z][a-zA-Z0-9.|'= -]{0,20}"
        ],
        0i64..800,
        prop::collection::vec(module(), 1..7),
    )
        .prop_map(|(fqdn, age, modules)| GeneratedPool { fqdn, age, modules })
}

fn document() -> impl Strategy<Value = GeneratedDocument> {
    (
        prop::collection::vec(pool(), 1..5),
        prop::option::of("pool0[1-4]\\.(contoso|CONTOSO)\\.com"),
        any::<bool>(),
    )
        .prop_map(|(pools, master, as_list)| GeneratedDocument {
            pools,
            master,
            as_list,
        })
}

fn run(text: &str, options: &Options) -> (i32, String) {
    let bytes = Bytes {
        source: "generated document".into(),
        bytes: text.as_bytes().to_vec(),
        modified: None,
    };
    let now = jiff::Timestamp::from_second(NOW).expect("a valid time");
    let (level, output) = check::evaluate_bytes(bytes, None, &Settings::default(), options, now);
    (level.exit_code(), output)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_state_is_the_worst_module_level(document in document(), verbosity in 0u8..4) {
        let text = to_json(&document);
        let options = Options { verbosity, max_output: None };
        let (code, output) = run(&text, &options);
        prop_assert_eq!(code, exit_code(expected_rank(&document)), "document: {}\noutput: {}", text, output);
        prop_assert_eq!(
            output_grammar::state_of(&output).and_then(output_grammar::exit_code_of),
            Some(code)
        );
        prop_assert_eq!(output_grammar::check_output(&output, None), Ok(()), "output: {}", output);
    }

    #[test]
    fn the_output_keeps_its_grammar_within_max_output(
        document in document(),
        verbosity in 0u8..4,
        max in prop::option::of(128usize..2048),
    ) {
        let text = to_json(&document);
        let (code, output) = run(&text, &Options { verbosity, max_output: max });
        prop_assert_eq!(output_grammar::check_output(&output, max), Ok(()), "output: {}", output);
        // Shortening never changes the state; a limit below what one pool's status line
        // and perfdata need is refused instead, naming the minimum.
        let (full_code, full) = run(&text, &Options { verbosity, max_output: None });
        if output.starts_with("CSBACKUP UNKNOWN - usage: --max-output must be at least ") {
            prop_assert_eq!(code, 3);
        } else {
            prop_assert_eq!(code, full_code);
            // Perfdata is kept whole pools at a time: a prefix of the full perfdata.
            let perf = |o: &str| o.lines().next().unwrap_or_default().split(" | ").nth(1).unwrap_or_default().to_owned();
            prop_assert!(perf(&full).starts_with(&perf(&output)), "output: {}", output);
        }
        let first = output.lines().next().unwrap_or_default();
        prop_assert!(output.matches('|').count() <= 1 && !output[first.len()..].contains('|'));
    }
}
