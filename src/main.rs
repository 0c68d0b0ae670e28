use std::process::ExitCode;

use rmapviz::cli::{self, Cli};

/// mimalloc, except in the kernel oracle's driven processes (`rmapviz::allocator`).
#[global_allocator]
static ALLOCATOR: rmapviz::allocator::Allocator = rmapviz::allocator::Allocator;

fn main() -> ExitCode {
    let args = Cli::parse_args();
    rmapviz::progress::set_quiet(args.quiet);
    let result = match args.command {
        Some(c) => cli::run(c),
        // The main job: the interactive TUI.
        None => cli::tui_cmd::run(args.scenario, &args.tui),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Not eprintln!: after a hangup standard error is gone too, and that must not panic.
            // Control characters (from a file name, a scenario's text) are shown escaped.
            cli::say(&format!("rmapviz: {e}"));
            ExitCode::from(e.status)
        }
    }
}
