//! Read + evaluate (+ render) on generated documents of 3 modules, 1,000 pools, 27,000
//! pools (16 MB, the default --max-input) and 100,000 pools, and of one pool of 15,000
//! and 150,000 modules (`ConvertTo-Json -Compress`, 1.5 and 15 MB: ten times the modules
//! should cost ten times the time), through the same library calls a check run makes.
//! Reports MB/s of document and modules/s (the inverse of the time per module). See
//! BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

use check_csbackup::check;
use check_csbackup::input::{self, Bytes};
use check_csbackup::policy::{self, Settings};
use check_csbackup::report::Options;

const MODULES: [&str; 3] = [
    "UserServices.PresenceFocus",
    "ConfServices.DataConf",
    "CentralMgmt.CMSMaster",
];

/// One pool as `ConvertTo-Json` pretty-prints it, with the collector's `CollectedAt`.
/// Every tenth pool has a backlog, so findings and long output are exercised too.
fn pool(index: usize, indent: &str) -> String {
    let export = if index % 10 == 9 {
        "NonSteadyState"
    } else {
        "SteadyState"
    };
    let modules: Vec<String> = MODULES
        .iter()
        .map(|m| {
            format!(
                "{indent}    {{\n{indent}      \"Identity\": \"{m}\",\n{indent}      \"ExportStatus\": \"{export}\",\n{indent}      \"ImportStatus\": \"NormalState\"\n{indent}    }}"
            )
        })
        .collect();
    format!(
        "{indent}{{\n{indent}  \"PoolFqdn\": \"pool{index:06}.contoso.com\",\n{indent}  \"CollectedAt\": \"2024-11-28T01:00:00Z\",\n{indent}  \"ActiveMasterFqdn\": \"pool000000.contoso.com\",\n{indent}  \"BackupModules\": [\n{}\n{indent}  ]\n{indent}}}",
        modules.join(",\n")
    )
}

/// A document of `pools` pools of 3 modules: one status object, or a list of them.
fn document(pools: usize) -> Vec<u8> {
    if pools == 1 {
        return pool(0, "").into_bytes();
    }
    let all: Vec<String> = (0..pools).map(|i| pool(i, "  ")).collect();
    format!("[\n{}\n]\n", all.join(",\n")).into_bytes()
}

/// One pool of `count` modules as `ConvertTo-Json -Compress` writes it, as
/// `scripts/bench.sh` makes it for the whole process.
fn one_pool(count: usize) -> Vec<u8> {
    let modules: Vec<String> = (0..count)
        .map(|n| {
            let export = if n % 10 == 9 {
                "NonSteadyState"
            } else {
                "SteadyState"
            };
            format!(
                r#"{{"Identity":"{}.{n}","ExportStatus":"{export}","ImportStatus":"NormalState"}}"#,
                MODULES[n % 3]
            )
        })
        .collect();
    format!(
        r#"{{"PoolFqdn":"pool000001.contoso.com","CollectedAt":"2024-11-28T01:00:00Z","ActiveMasterFqdn":"pool000000.contoso.com","BackupModules":[{}]}}"#,
        modules.join(",")
    )
    .into_bytes()
}

fn now() -> jiff::Timestamp {
    // Two minutes after the documents' CollectedAt.
    jiff::Timestamp::from_second(1_732_755_720).expect("a valid time")
}

fn bytes(document: &[u8]) -> Bytes {
    Bytes {
        source: "bench".into(),
        bytes: document.to_vec(),
        modified: None,
    }
}

fn benches(c: &mut Criterion) {
    let settings = Settings::default();
    let options = Options {
        verbosity: 0,
        max_output: None,
    };
    let nrpe = Options {
        verbosity: 0,
        max_output: Some(1023),
    };
    // 27,000 pools is about 16 MB, the largest document the default --max-input accepts.
    let cases = [
        ("3_modules", 1),
        ("1000_pools", 1_000),
        ("27000_pools", 27_000),
        ("100000_pools", 100_000),
    ];
    let documents = cases
        .into_iter()
        .map(|(name, pools)| (name, document(pools), pools * MODULES.len()))
        .chain([15_000, 150_000].map(|count| {
            (
                if count == 15_000 {
                    "one_pool_15000_modules"
                } else {
                    "one_pool_150000_modules"
                },
                one_pool(count),
                count,
            )
        }));
    for (name, doc, modules) in documents {
        let modules = modules as u64;
        let mut group = c.benchmark_group(format!("check/{name}"));
        if modules >= 45_000 {
            group.sample_size(10);
        }
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(BenchmarkId::new("read_evaluate", "bytes"), |b| {
            b.iter_batched(
                || bytes(&doc),
                |bytes| {
                    let document = input::parse(bytes, None).expect("a valid document");
                    policy::evaluate(document, &settings, now())
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("read_evaluate_render", "bytes"), |b| {
            b.iter_batched(
                || bytes(&doc),
                |bytes| check::evaluate_bytes(bytes, None, &settings, &options, now()),
                BatchSize::LargeInput,
            )
        });
        group.throughput(Throughput::Elements(modules));
        group.bench_function(
            BenchmarkId::new("read_evaluate_render_max_output_1023", "modules"),
            |b| {
                b.iter_batched(
                    || bytes(&doc),
                    |bytes| check::evaluate_bytes(bytes, None, &settings, &nrpe, now()),
                    BatchSize::LargeInput,
                )
            },
        );
        group.finish();
    }
}

criterion_group!(check, benches);
criterion_main!(check);
