use clap::Parser;
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
            eprintln!("rmapviz: {e}");
            ExitCode::from(e.status)
        }
    }
}
