use check_csbackup::{check, cli, guard};

fn main() {
    guard::install_panic_hook();
    let (code, output) = match cli::parse(std::env::args_os()) {
        Ok(cli) => check::run(cli),
        Err(early) => early,
    };
    guard::finish(code, &output)
}
