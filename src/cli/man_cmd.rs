//! `rmapviz man`: the man pages of the program and of each command, generated from the same
//! clap definitions as `--help` (clap_mangen), so they never disagree with it.

use clap::CommandFactory;

use super::args::{Cli, ManArgs};
use super::output::{Target, say};
use super::{CliError, EXIT_OK};

pub fn run(a: ManArgs) -> Result<u8, CliError> {
    let root = built();
    match &a.dir {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(CliError::input(format!(
                    "{}: not a directory (create it first, for example ~/.local/share/man/man1)",
                    dir.display()
                )));
            }
            let pages = pages(&root)?;
            let targets: Vec<Target> = pages
                .iter()
                .map(|(name, _)| Target::new(&dir.join(name), a.force))
                .collect();
            // Every page can be written, or none is.
            for t in &targets {
                t.check_writable()?;
            }
            for (t, (_, page)) in targets.iter().zip(&pages) {
                t.write(page)?;
                say(&format!("rmapviz: wrote {}", t.name()));
            }
        }
        None => {
            let mut cmd = &root;
            for (i, word) in a.command.iter().enumerate() {
                cmd = cmd
                    .get_subcommands()
                    .find(|c| !c.is_hide_set() && c.get_name() == word)
                    .ok_or_else(|| {
                        let known: Vec<&str> = cmd
                            .get_subcommands()
                            .filter(|c| !c.is_hide_set())
                            .map(|c| c.get_name())
                            .collect();
                        CliError::input(format!(
                            "no command \"{}\" (commands: {})",
                            a.command[..=i].join(" "),
                            known.join(", ")
                        ))
                    })?;
            }
            Target::Stdout.write(&render(cmd)?)?;
        }
    }
    Ok(EXIT_OK)
}

/// The program's command line, built (subcommands named `rmapviz-replay` and so on), without
/// the `help` subcommand clap adds.
fn built() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Every page: the program's and every visible command's, each with its file name.
fn pages(cmd: &clap::Command) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let mut out = vec![(
        clap_mangen::Man::new(cmd.clone()).get_filename(),
        render(cmd)?,
    )];
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        out.extend(pages(sub)?);
    }
    Ok(out)
}

/// One page in roff.
fn render(cmd: &clap::Command) -> Result<Vec<u8>, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .map_err(|e| CliError::input(format!("cannot render the man page: {e}")))?;
    Ok(page)
}
