use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

use rmapviz::cli::{self, Cli};

fn main() -> ExitCode {
    let args = Cli::parse();
    let result = match args.command {
        Some(c) => cli::run(c),
        // The main job: the interactive TUI.
        None => cli::tui_cmd::run(args.scenario, &args.tui),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Not eprintln!: after a hangup standard error is gone too, and that must not panic.
            let _ = writeln!(std::io::stderr(), "rmapviz: {e}");
            ExitCode::from(e.status)
        }
    }
}
