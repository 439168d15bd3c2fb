use check_csbackup::{check, cli, collect, guard};

// The static Linux binary's allocator (musl's own is slow for a check's many small
// blocks); glibc's and Windows' are kept.
#[cfg(all(target_os = "linux", target_env = "musl"))]
#[global_allocator]
static HEAP: check_csbackup::heap::StartupHeap = check_csbackup::heap::StartupHeap::new();

fn main() {
    guard::install_panic_hook();
    let args: Vec<_> = std::env::args_os().collect();
    if cli::names_collect(&args) {
        std::process::exit(collect::main(&args));
    }
    let (code, output) = match cli::parse(args) {
        Ok(cli) => check::run(cli),
        Err(early) => early,
    };
    guard::finish(code, &output)
}
