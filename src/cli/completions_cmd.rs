//! `rmapviz completions SHELL`: the shell's completion script, generated from the clap
//! definitions (clap_complete).

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::{Cli, CompletionsArgs};
use super::output::Target;
use super::{CliError, EXIT_OK};

pub fn run(a: CompletionsArgs) -> Result<u8, CliError> {
    let mut script = Vec::new();
    let mut cmd = visible(Cli::command(), a.shell);
    clap_complete::generate(a.shell, &mut cmd, "rmapviz", &mut script);
    Target::Stdout.write(&script)?;
    Ok(EXIT_OK)
}

/// `cmd` without its hidden commands (the driven-process mode of `check`): clap_complete offers
/// every command, hidden or not, and clap cannot remove one, so the root is put together again
/// from the program's own arguments and its visible commands.
///
/// For zsh also without the TUI's scenario: its script reads a first word as that optional
/// argument, even a command's name, and then completes `rmapviz check --re` as if `check`
/// were a scenario (the TUI's options instead of `--reclaim`). zsh completes commands there.
fn visible(cmd: clap::Command, shell: Shell) -> clap::Command {
    let mut root = clap::Command::new("rmapviz")
        .version(env!("RMAPVIZ_VERSION"))
        .args(
            cmd.get_arguments()
                .filter(|a| !(shell == Shell::Zsh && a.is_positional()))
                .cloned(),
        )
        .groups(cmd.get_groups().cloned())
        .subcommands(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    if let Some(about) = cmd.get_about() {
        root = root.about(about.clone());
    }
    root
}
