//! `rmapviz gen`.

use super::args::GenCommand;
use super::output::{Target, say};
use super::{CliError, EXIT_OK};
use crate::scenario::storm;

pub fn run(g: GenCommand) -> Result<u8, CliError> {
    match g {
        GenCommand::Storm(a) => {
            let target = a
                .output
                .as_deref()
                .map_or(Target::Stdout, |p| Target::new(p, a.force));
            target.check_writable()?;
            let text = storm(a.children, a.pages).to_ron();
            target.write(text.as_bytes())?;
            if target != Target::Stdout {
                say(&format!("rmapviz: wrote {}", target.name()));
            }
            Ok(EXIT_OK)
        }
    }
}
