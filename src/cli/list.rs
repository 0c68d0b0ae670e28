//! `rmapviz scenarios` and `rmapviz schemes`.

use super::{CliError, EXIT_OK};
use crate::scenario::{BUILTINS, DEFAULT_BUILTIN, Scenario};
use crate::schemes::all_schemes;

pub fn scenarios() -> Result<u8, CliError> {
    for b in &BUILTINS {
        let s = Scenario::parse(b.source, b.name)?;
        let default = if b.name == DEFAULT_BUILTIN {
            "  (default)"
        } else {
            ""
        };
        println!(
            "{:<4} {:<24} {:>2} steps  {}{default}",
            b.name,
            b.slug,
            s.steps.len(),
            s.title
        );
    }
    Ok(EXIT_OK)
}

pub fn schemes() -> Result<u8, CliError> {
    for s in all_schemes() {
        println!("{:<21} {:<26} {}", s.name, s.era, s.design);
        println!("{:<21} {}", "", s.summary);
    }
    Ok(EXIT_OK)
}
