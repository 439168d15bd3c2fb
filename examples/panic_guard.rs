//! Proves the release profile's panic strategy (`panic = "abort"`): the guard's hook
//! still turns a panic into one `CSBACKUP UNKNOWN` line and exit 3, before any abort.
//! `scripts/bench.sh` builds this in release and checks exactly that.

fn main() {
    check_csbackup::guard::install_panic_hook();
    let modules: Vec<&str> = Vec::new();
    // An index the program cannot know is out of range: a real panic, not an abort.
    let index = std::env::args().count();
    println!("{}", modules[index]);
}
