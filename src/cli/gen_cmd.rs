//! `rmapviz gen`.

use super::args::GenCommand;
use super::{CliError, EXIT_OK};
use crate::scenario::storm;

pub fn run(g: GenCommand) -> Result<u8, CliError> {
    match g {
        GenCommand::Storm(a) => {
            let text = storm(a.children, a.pages).to_ron();
            match a.output {
                Some(path) => {
                    crate::util::write_atomically(&path, text.as_bytes()).map_err(|e| {
                        CliError::input(format!("{}: cannot write: {e}", path.display()))
                    })?;
                    eprintln!("rmapviz: wrote {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(EXIT_OK)
        }
    }
}
