use clap::Parser;
use std::process::ExitCode;

use rmapviz::cli::{self, Cli, Command, ReplayArgs};

fn main() -> ExitCode {
    let args = Cli::parse();
    let cmd = match args.command {
        Some(c) => c,
        // Until the TUI exists, the default job replays the default scenario under every scheme.
        None => Command::Replay(ReplayArgs {
            scenario: args
                .scenario
                .unwrap_or_else(|| rmapviz::scenario::DEFAULT_BUILTIN.to_string()),
            scheme: vec!["all".into()],
            json: false,
            state: false,
            events: false,
        }),
    };
    match cli::run(cmd) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("rmapviz: {e}");
            ExitCode::from(e.status)
        }
    }
}
