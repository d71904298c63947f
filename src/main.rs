//! The `leadscore` binary: parse arguments, run the command, map the result to an exit code.

use clap::Parser;

/// Scoring allocates and frees batch after batch on several threads; with mimalloc it ran about
/// 20 % faster than with the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = match leadscore::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    if let Err(error) = leadscore::interrupt::install().and_then(|()| leadscore::commands::run(cli.command)) {
        eprintln!("error: {error}");
        std::process::exit(error.exit_code());
    }
}
