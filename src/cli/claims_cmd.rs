//! `rmapviz claims`: Andrea Arcangeli's claims of 12 March 2004, checked against the model.

use super::args::ClaimsArgs;
use super::output::out;
use super::{CliError, EXIT_OK, EXIT_STEP_FAILED};
use crate::claims::{self, text};

pub fn run(a: ClaimsArgs) -> Result<u8, CliError> {
    let mut report = claims::check().map_err(|e| CliError {
        status: EXIT_STEP_FAILED,
        message: format!("cannot check the claims: {e}"),
    })?;
    if let Some(n) = a.claim {
        report.claims.retain(|c| c.number == usize::from(n));
    }
    if a.json {
        let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
        s.push('\n');
        super::output::out_bytes(s.as_bytes())?;
    } else {
        out(&text::to_text(&report, usize::from(a.width)))?;
    }
    Ok(EXIT_OK)
}
