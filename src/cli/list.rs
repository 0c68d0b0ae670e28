//! `rmapviz scenarios` and `rmapviz schemes`.

use super::output::out;
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
        out(&format!(
            "{:<4} {:<24} {:>2} steps  {}{default}\n",
            b.name,
            b.slug,
            s.steps.len(),
            s.title
        ))?;
    }
    Ok(EXIT_OK)
}

pub fn schemes() -> Result<u8, CliError> {
    for s in all_schemes() {
        out(&format!(
            "{:<21} {:<26} {}\n{:<21} {}\n",
            s.name, s.era, s.design, "", s.summary
        ))?;
    }
    Ok(EXIT_OK)
}
