//! Command-line arguments (clap).

use clap::{Args, Parser, Subcommand, ValueHint};
use std::path::PathBuf;

/// rmapviz: watch the Linux kernel's reverse mapping (rmap) designs find, miss and lose ptes.
#[derive(Debug, Parser)]
#[command(
    name = "rmapviz",
    version = env!("RMAPVIZ_VERSION"),
    about,
    long_about = None,
    after_long_help = AFTER_LONG_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Scenario to open in the interactive TUI: a RON file or a built-in name (S1 ... S12); default S3
    #[arg(value_name = "FILE_OR_BUILTIN", value_hint = ValueHint::FilePath)]
    pub scenario: Option<String>,

    #[command(flatten)]
    pub tui: TuiArgs,

    /// Show no progress on standard error (it is shown only on a terminal, for long work)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl Cli {
    /// Parses the command line as [`Parser::parse`] does (clap's message and status 2 on an
    /// error), and refuses the TUI's options before a command (`rmapviz --theme light config`),
    /// which clap would leave unused without a word.
    pub fn parse_args() -> Cli {
        use clap::{CommandFactory, FromArgMatches, error::ErrorKind, parser::ValueSource};
        let mut cmd = Cli::command();
        let matches = cmd.get_matches_mut();
        let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut cmd).exit());
        if let Some(name) = matches.subcommand_name() {
            let stray: Vec<String> = cmd
                .get_arguments()
                .filter(|a| !a.is_global_set())
                .filter(|a| {
                    matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine)
                })
                .map(|a| match a.get_long() {
                    Some(long) => format!("--{long}"),
                    None => a.get_id().to_string(),
                })
                .collect();
            if !stray.is_empty() {
                cmd.error(
                    ErrorKind::ArgumentConflict,
                    format!(
                        "{} of the TUI, not of `{name}`: give `{name}`'s options after it \
                         (rmapviz {name} --help lists them)",
                        if stray.len() == 1 {
                            format!("{} is an option", stray[0])
                        } else {
                            format!("{} are options", stray.join(", "))
                        }
                    ),
                )
                .exit();
            }
        }
        cli
    }
}

/// The end of `rmapviz --help` and of the man page: the files and the environment.
const AFTER_LONG_HELP: &str = "\
Files:
  $XDG_CONFIG_HOME/rmapviz/config.toml (~/.config/rmapviz/config.toml)
      what the TUI starts with: theme, color, ascii, mouse, scheme, compare, autoplay_ms;
      flags override it; `rmapviz config` shows the settings in effect and where each comes from
  $XDG_STATE_HOME/rmapviz/journal.ron (~/.local/state/rmapviz/journal.ron)
      the journal of ops typed in the TUI and not saved yet

Environment:
  NO_COLOR     set and not empty: no colour (with --color auto)
  COLORTERM    truecolor or 24bit: the themes' exact colours, else the nearest of 256

Exit status: 0 success, 1 a step was refused or differs, 2 bad input or arguments, 77 (check) the
machine does not allow the check.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a scenario headless and print every step with its rmap walk
    Replay(ReplayArgs),
    /// Replay a scenario under every scheme and compare the walks side by side
    Compare(CompareArgs),
    /// List the built-in scenarios
    Scenarios,
    /// List the rmap designs with their era
    Schemes,
    /// Generate a scenario
    #[command(subcommand)]
    Gen(GenCommand),
    /// Draw one screen of the TUI to a file: text, ANSI, HTML, SVG or PNG
    Shot(ShotArgs),
    /// Record the replay of a scenario as the TUI shows it: asciicast v2, animated GIF or SVG
    Record(RecordArgs),
    /// Write the graph of one state (mm, vma, rmap objects, pages, walk) as Graphviz DOT or JSON
    Export(ExportArgs),
    /// Run a scenario on the running Linux kernel and compare every step with the model
    Check(CheckArgs),
    /// Check the claims of Andrea Arcangeli's mail of 12 March 2004 against the model
    Claims(ClaimsArgs),
    /// What changed between two steps of a scenario under one scheme: ptes, pages, vmas, rmap objects
    Diff(DiffArgs),
    /// A quiz: predict each reverse walk of a scenario (HIT, MISS, OUT, SKIP, LOST), then see it
    Quiz(QuizArgs),
    /// Record a real program's memory-management behaviour as a scenario (ptrace)
    Trace(TraceArgs),
    /// Show the settings the TUI starts with (config file, flags, environment) and where each comes from
    Config(ConfigArgs),
    /// Print a shell's completion script for rmapviz (bash, zsh, fish, elvish, powershell)
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page of rmapviz or of one of its commands, or write them all to a directory
    Man(ManArgs),
    /// Run random scenarios on the running Linux kernel against the model; shrink and write each disagreement
    Fuzz(FuzzArgs),
    /// Internal: a process driven by `check` (not for direct use)
    #[command(name = "__driven-process", hide = true)]
    DrivenProcess,
}

/// The scenario a command reads.
#[derive(Debug, Args)]
pub struct ScenarioArg {
    /// A RON scenario file or a built-in name (see `rmapviz scenarios`)
    #[arg(value_name = "FILE_OR_BUILTIN", value_hint = ValueHint::FilePath)]
    pub scenario: String,
}

/// `rmapviz fuzz`: exit 0 when no scenario disagrees, 1 when one does (it is shrunk and written
/// as RON) or a check failed, 2 for bad arguments, 77 when this machine does not allow the
/// (full) check.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The seed: the same seed always gives the same scenarios
    #[arg(long)]
    pub seed: u64,

    /// How many scenarios to run
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,

    /// Steps per scenario: between half of this and this
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=10000))]
    pub max_steps: u64,

    /// Really reclaim for SwapOut steps, as `check --reclaim` (needs root)
    #[arg(long)]
    pub reclaim: bool,

    /// The directory the shrunk scenarios are written to (fuzz-SEED-INDEX.ron; never over an
    /// existing file)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// `rmapviz check`: exit 0 when every checked step agrees, 1 when a step differs, 2 for bad
/// input (a scenario over a limit too), 75 when `--wait` ran out, 77 when this machine does not
/// allow the (full) check.
#[derive(Debug, Args)]
#[command(
    after_help = "Limits: the scenario's files (in RAM) at most --max-file-bytes (default 256M), \
the pages its reads and writes touch at most --max-touched-bytes (default 1G), at most \
--max-processes processes alive at once (default 256); a scenario over one is refused before \
anything runs (exit 2). SIZE: bytes, or with K, M, G, T (powers of 1024).\n\n\
Exit status: 0 every checked step agrees, 1 a step differs, 2 bad input or over a limit, \
75 --wait ran out, 77 this machine does not allow the check."
)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: ScenarioArg,

    /// Really reclaim for SwapOut steps: a temporary swap file and memory cgroups (needs root)
    #[arg(long)]
    pub reclaim: bool,

    /// Print the check as JSON (the format is documented in README.md)
    #[arg(long)]
    pub json: bool,

    /// With --reclaim: wait at most this long for another run's reclaim lock (default: as long
    /// as it takes)
    #[arg(long, value_name = "SECONDS", requires = "reclaim")]
    pub wait: Option<u64>,

    /// The most bytes the scenario's files may take together (they live in RAM)
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = crate::oracle::limits::parse_size)]
    pub max_file_bytes: u64,

    /// The most bytes of pages the scenario's reads and writes may touch, all steps together
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = crate::oracle::limits::parse_size)]
    pub max_touched_bytes: u64,

    /// The most processes alive at once
    #[arg(long, value_name = "N", default_value_t = crate::oracle::Limits::DEFAULT_PROCESSES)]
    pub max_processes: u32,
}

/// `rmapviz trace`: exit 0 when the scenario was written (and with --check every check point
/// agreed), 1 when --check found differences or the trace was cut short, 2 for bad arguments,
/// 77 when this machine does not allow tracing.
#[derive(Debug, Args)]
#[command(after_help = "Example: rmapviz trace -o ls.ron --check -- sh -c 'ls /usr | wc -l'")]
pub struct TraceArgs {
    /// Write the scenario here (RON); without -o (or with -o -) it goes to standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace FILE if it exists (its mode is kept); without it an existing file is refused
    #[arg(long)]
    pub force: bool,

    /// Compare the modern model with the kernel after every stop, per step and in total
    #[arg(long)]
    pub check: bool,

    /// With --check, list the check points that agreed too
    #[arg(long)]
    pub check_all: bool,

    /// Stop (and kill the program) after this many steps
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub max_steps: usize,

    /// Stop when the model holds this many vmas, all processes together
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_vmas: usize,

    /// Stop when the model holds this many pages (4 KiB each)
    #[arg(long, value_name = "N", default_value_t = 1 << 20)]
    pub max_pages: u64,

    /// Stop when this many processes are alive at once
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_processes: usize,

    /// The command to trace and its arguments (after --)
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        last = true
    )]
    pub command: Vec<String>,
}

/// `rmapviz claims`: the five claims of Andrea Arcangeli's mail of 12 March 2004 ("Re: anon_vma
/// RFC2"), each with its scenario, what the model gives (computed now), whether it holds, and
/// where the model's accounting differs from the mail's arithmetic and why.
#[derive(Debug, Args)]
#[command(
    after_help = "The claims: 1 anonmm cannot reach a vma that mremap moved; 2 anon_vma_global would \
save 8 bytes per vma of anon_vma objects; 3 it would scan very old vma segments in other address \
spaces; 4 a prio_tree would add 12 bytes per vma and still not fix it (copy-on-write); 5 the \
per-vma cost of anon_vma and anon_vma_global is the same."
)]
pub struct ClaimsArgs {
    /// Only this claim (1 to 5)
    #[arg(value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub claim: Option<u8>,

    /// Print the claims as JSON (the format is documented in README.md)
    #[arg(long)]
    pub json: bool,

    /// Wrap the text at this many columns
    #[arg(long, default_value_t = 100, value_name = "COLS", value_parser = clap::value_parser!(u16).range(40..=1000))]
    pub width: u16,
}

/// `rmapviz diff`: what changed under one scheme from the state after one step to the state
/// after another: address spaces, vmas, ptes (new, copied, moved, remapped, swapped, their bits
/// changed, removed), pages (new, freed, mapcount and rmap words) and rmap objects.
#[derive(Debug, Args)]
#[command(
    after_help = "Steps are numbered from 1 as the TUI shows them; 0 is the state before the first \
step. Without --to: the last step; without --from: the step before --to. --from may be after --to \
(the difference backwards).\n\n\
Exit status: 0 the difference was printed, 2 bad input (an unknown scheme, a step out of range)."
)]
pub struct DiffArgs {
    #[command(flatten)]
    pub input: ScenarioArg,

    /// The state the difference starts from: after this step (0: before the first step)
    #[arg(long, value_name = "I")]
    pub from: Option<usize>,

    /// The state it ends at: after this step
    #[arg(long, value_name = "J")]
    pub to: Option<usize>,

    /// The scheme whose states are compared
    #[arg(short, long, default_value = crate::tui::DEFAULT_SCHEME, value_name = "NAME")]
    pub scheme: String,

    /// Print the difference as JSON (every change, the format is documented in README.md)
    #[arg(long)]
    pub json: bool,

    /// Text output: at most this many items of each kind (then how many more)
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

/// `rmapviz quiz`: before each reverse walk, predict what it finds under one scheme; the walk
/// is then revealed one candidate at a time and scored.
#[derive(Debug, Args)]
#[command(
    after_help = "A prediction is one letter per candidate in visiting order, h HIT, m MISS, o OUT, \
s SKIP (a number repeats a letter: 3m h), then / and how many ptes the walk LOSES (none written: 0): \
`mh/1`. On a terminal the quiz asks walk by walk; with --answers FILE (or answers piped in) it reads \
one line per walk (blank lines and # comments skipped) and prints the marked quiz.\n\n\
Exit status: 0 the quiz ran (whatever the score), 2 bad input (an unreadable answer names its \
line and column)."
)]
pub struct QuizArgs {
    /// A RON scenario file or a built-in name (see `rmapviz scenarios`); default S3
    #[arg(value_name = "FILE_OR_BUILTIN", value_hint = ValueHint::FilePath)]
    pub scenario: Option<String>,

    /// The scheme whose walks are predicted
    #[arg(long, default_value = crate::tui::DEFAULT_SCHEME, value_name = "NAME")]
    pub scheme: String,

    /// Read the predictions from FILE, one line per walk (- is standard input), and print the
    /// marked quiz
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub answers: Option<PathBuf>,

    /// Print the marked quiz as JSON (reads the answers as --answers does)
    #[arg(long)]
    pub json: bool,

    /// On a terminal, seconds between the candidates revealed
    #[arg(long, default_value_t = 0.6, value_name = "SECONDS")]
    pub delay: f64,
}

/// The scenario and the schemes it is replayed under (`replay`, `compare`).
#[derive(Debug, Args)]
pub struct ReplayInput {
    /// A RON scenario file or a built-in name (see `rmapviz scenarios`)
    #[arg(value_name = "FILE_OR_BUILTIN", value_hint = ValueHint::FilePath)]
    pub scenario: String,

    /// Schemes: names, comma-separated or repeated, or "all"
    #[arg(short, long, value_delimiter = ',', default_value = "all")]
    pub scheme: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub input: ReplayInput,

    /// Print the replay as JSON (the format is documented in README.md)
    #[arg(long)]
    pub json: bool,

    /// Include every present or swapped pte after each step
    #[arg(long)]
    pub state: bool,

    /// Text output: also print the kernel-style events of every step
    #[arg(short, long)]
    pub events: bool,
}

/// For every SwapOut or Referenced step, one row per scheme: the candidates the walk visited,
/// HIT / MISS / OUT / SKIP / LOST, and whether the page could be unmapped; then, per scheme,
/// the rmap bytes on both ABIs, the rmap objects and the pages it copied beyond the others.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when every step applied under every scheme, 1 when some step was refused \
                  under some scheme (shown in the table), 2 for an unreadable scenario or bad arguments."
)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: ReplayInput,

    /// Print the replay JSON of `replay --json` for the compared schemes instead of the table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// Rik van Riel's copy-on-write storm: a parent forks N children, each writes K pages
    Storm(StormArgs),
}

#[derive(Debug, Args)]
pub struct StormArgs {
    /// Number of children
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub children: u32,

    /// Pages in the parent's vma
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub pages: u64,

    /// Write the scenario here instead of standard output
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<PathBuf>,

    /// Replace FILE if it exists (its mode is kept); without it an existing file is refused
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The format comes from --format or the extension of -o (.dot or .gv, .json); \
-o - writes to standard output (JSON unless --format dot). Render DOT with `dot -Tsvg OUT.dot`."
)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: ScenarioArg,

    /// The step whose state is exported, 1-based (0 is before the first step)
    #[arg(long, value_name = "N")]
    pub step: usize,

    /// The scheme whose rmap objects are shown (see `rmapviz schemes`)
    #[arg(short, long, value_name = "NAME")]
    pub scheme: String,

    /// Output format (default: from the extension of -o)
    #[arg(short, long, value_enum)]
    pub format: Option<super::output::GraphFormat>,

    /// Every page and vma as its own node (the TUI folds an object's pages beyond 8, and runs
    /// of similar vmas, into group nodes)
    #[arg(long)]
    pub full: bool,

    /// Output file, or - for standard output
    #[arg(short, long, value_name = "OUT", value_hint = ValueHint::FilePath)]
    pub output: std::path::PathBuf,
    /// Replace OUT if it exists (its mode is kept); without it an existing file is refused
    #[arg(long)]
    pub force: bool,
}

/// Options of the interactive TUI (the command-less `rmapviz [FILE_OR_BUILTIN]`).
#[derive(Debug, Args, Clone, Default)]
pub struct TuiArgs {
    /// Start from an empty scenario (type ops with `:`)
    #[arg(long)]
    pub new: bool,

    /// The step shown first (0 is before the first step)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub step: usize,

    /// Do not journal typed ops under the state directory
    #[arg(long)]
    pub no_journal: bool,

    #[command(flatten)]
    pub prefs: PrefArgs,
}

/// The TUI's options that the configuration file may set too (the flags win).
#[derive(Debug, Args, Clone, Default)]
pub struct PrefArgs {
    /// The scheme shown first [default: anon-vma]
    #[arg(long, value_name = "NAME")]
    pub scheme: Option<String>,

    /// Compare mode from the start: this scheme in a second graph pane
    #[arg(long, value_name = "NAME", conflicts_with = "no_compare")]
    pub compare: Option<String>,

    /// No compare mode at the start (whatever the configuration file says)
    #[arg(long)]
    pub no_compare: bool,

    /// Colour theme: dark, light, colorblind or mono [default: dark]
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Colour: auto (off when NO_COLOR is set), always or never (never is the mono theme) [default: auto]
    #[arg(long, value_name = "WHEN", value_parser = crate::config::ColorWhen::NAMES)]
    pub color: Option<String>,

    /// Draw with ASCII characters only
    #[arg(long, overrides_with = "no_ascii")]
    pub ascii: bool,

    /// Draw with box-drawing characters (whatever the configuration file says)
    #[arg(long, overrides_with = "ascii")]
    pub no_ascii: bool,

    /// Capture the mouse from the start: click selects, the wheel scrolls (`m` toggles)
    #[arg(long, overrides_with = "no_mouse")]
    pub mouse: bool,

    /// Leave the mouse to the terminal at the start (whatever the configuration file says)
    #[arg(long, overrides_with = "mouse")]
    pub no_mouse: bool,

    /// Autoplay speed at the start, milliseconds per step: 3000, 2000, 1000, 500, 250 or 100 [default: 1000]
    #[arg(long, value_name = "MS", value_parser = parse_autoplay_ms)]
    pub autoplay_ms: Option<u64>,
}

fn parse_autoplay_ms(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .ok()
        .filter(|ms| crate::config::AUTOPLAY_MS.contains(ms))
        .ok_or_else(|| crate::config::autoplay_expected(s))
}

/// `rmapviz config`.
#[derive(Debug, Args)]
#[command(
    after_help = "The flags are the TUI's: `rmapviz config --theme light` shows what \
`rmapviz --theme light` would start with. The file is read from $XDG_CONFIG_HOME/rmapviz/config.toml \
(~/.config/rmapviz/config.toml); its format is in README.md and in the output of this command."
)]
pub struct ConfigArgs {
    /// Print the settings in effect, each with where it comes from (what `config` does by default)
    #[arg(long)]
    pub print: bool,

    /// Print only the path of the configuration file (whether it exists or not)
    #[arg(long, conflicts_with = "print")]
    pub path: bool,

    #[command(flatten)]
    pub prefs: PrefArgs,
}

const COMPLETIONS_HELP: &str = "Install (see README.md, \"Install\"):
  bash:  rmapviz completions bash > ~/.local/share/bash-completion/completions/rmapviz
  zsh:   rmapviz completions zsh > ~/.zfunc/_rmapviz  (with fpath+=(~/.zfunc) before compinit in ~/.zshrc)
  fish:  rmapviz completions fish > ~/.config/fish/completions/rmapviz.fish";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(
    after_help = "`rmapviz man | man -l -` reads the page; `rmapviz man --dir ~/.local/share/man/man1` \
installs them all for `man rmapviz`, `man rmapviz-check`, ..."
)]
pub struct ManArgs {
    /// The command whose page is printed (`rmapviz man check`, `rmapviz man gen storm`); none: the program's own
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,

    /// Write every page (rmapviz.1, rmapviz-replay.1, ...) into this directory instead of printing one
    #[arg(long, value_name = "DIR", conflicts_with = "command", value_hint = ValueHint::DirPath)]
    pub dir: Option<PathBuf>,

    /// With --dir: replace pages that are there already (an update)
    #[arg(long, requires = "dir")]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The format comes from --format or the extension of -o: .txt, .ansi, .html \
(or .htm), .svg, .png. -o - writes to standard output (ANSI unless --format says otherwise). \
The picture is the TUI's own drawing of the state; SVG and PNG use the theme's exact colours and \
the DejaVu Sans Mono font shipped with rmapviz, so the same state gives the same bytes everywhere."
)]
pub struct ShotArgs {
    #[command(flatten)]
    pub view: super::headless::ViewArgs,

    /// The step shown, 1-based (0 is before the first step)
    #[arg(long, value_name = "N")]
    pub step: usize,

    /// Follow this candidate of the step's walk, numbered from 1 as the walk pane shows them
    #[arg(long, value_name = "K")]
    pub walk_candidate: Option<usize>,

    /// Press these keys in the TUI before drawing: a character is its key, <Enter>, <Esc>,
    /// <Tab>, <Left>, <Right>, <Up>, <Down>, <PgUp>, <PgDn>, <Space>, <BS> named keys, <C-r> a
    /// control key, << the character < (":d 4<Enter>u" deletes step 4 and undoes it; files
    /// cannot be written this way)
    #[arg(long, value_name = "KEYS", allow_hyphen_values = true)]
    pub keys: Option<String>,

    /// Show the legend over the screen, as the key L does (what every line, mark and colour of
    /// the graph means)
    #[arg(long)]
    pub legend: bool,

    /// Output format (default: from the extension of -o)
    #[arg(short, long, value_enum)]
    pub format: Option<super::output::ShotFormat>,

    /// PNG only: device pixels per SVG pixel (1 gives 9x17 pixels per cell; default 2, or 1
    /// where 2 would pass 100 million pixels)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4))]
    pub scale: Option<u32>,

    /// Output file, or - for standard output
    #[arg(short, long, value_name = "OUT", value_hint = ValueHint::FilePath)]
    pub output: PathBuf,
    /// Replace OUT if it exists (its mode is kept); without it an existing file is refused
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Frames: the state before the first step, then every step (with --walk \
each walk candidate after its step), each held for --delay seconds. The format comes from \
--format or OUT's extension: .cast (asciicast v2, `asciinema play OUT.cast`), .gif (an animated \
GIF of the PNG export's pictures), .svg (an animated SVG). Times are synthetic, so the same \
scenario gives the same bytes. A GIF or SVG holds every frame whole: more than --max-frames \
frames are refused before any is drawn."
)]
pub struct RecordArgs {
    #[command(flatten)]
    pub view: super::headless::ViewArgs,

    /// Seconds each frame is shown
    #[arg(long, default_value_t = 1.5, value_name = "SECONDS")]
    pub delay: f64,

    /// After each step with a walk, follow the walk candidate by candidate
    #[arg(long)]
    pub walk: bool,

    /// Show each step's note as a caption under the screen (the last 3 rows of --size)
    #[arg(long)]
    pub captions: bool,

    /// The format (default: from OUT's extension; asciicast for -o -)
    #[arg(long, value_enum)]
    pub format: Option<super::output::RecordFormat>,

    /// The most frames a GIF or SVG may have (each is a whole picture)
    #[arg(long, default_value_t = 600, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_frames: u32,

    /// Output file (.cast, .gif, .svg), or - for standard output
    #[arg(short, long, value_name = "OUT", value_hint = ValueHint::FilePath)]
    pub output: PathBuf,
    /// Replace OUT if it exists (its mode is kept); without it an existing file is refused
    #[arg(long)]
    pub force: bool,
}
