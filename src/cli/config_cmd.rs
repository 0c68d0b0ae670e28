//! `rmapviz config`: the settings the TUI would start with, each with where it comes from.

use super::args::ConfigArgs;
use super::output::{Target, say};
use super::settings::{FileState, Settings};
use super::{CliError, EXIT_BAD_INPUT, EXIT_OK};

pub fn run(a: ConfigArgs) -> Result<u8, CliError> {
    if a.path {
        let path = crate::config::default_path().ok_or_else(|| {
            CliError::input("no configuration directory: neither XDG_CONFIG_HOME nor HOME is set")
        })?;
        Target::Stdout.write(format!("{}\n", path.display()).as_bytes())?;
        return Ok(EXIT_OK);
    }
    let settings = Settings::resolve(&a.prefs)?;
    Target::Stdout.write(settings.to_toml().as_bytes())?;
    // The settings above are what the TUI would start with; the file still needs fixing.
    if let FileState::Bad(e) = &settings.file {
        say(&format!("rmapviz: {e}"));
        return Ok(EXIT_BAD_INPUT);
    }
    Ok(EXIT_OK)
}
