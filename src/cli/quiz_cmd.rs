//! `rmapviz quiz [SCENARIO]`: before each reverse walk, the learner predicts it under one
//! scheme; the walk is then revealed one candidate at a time and scored. On a terminal it asks
//! line by line; with `--answers FILE` (or answers piped into standard input) it reads one
//! prediction per walk and prints the marked quiz as text or JSON (the headless form).

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use serde::Serialize;

use super::args::QuizArgs;
use super::output::out;
use super::{CliError, EXIT_OK, resolve_one_scheme};
use crate::quiz::{Mark, Prediction, Question, Score, parse, questions};
use crate::scenario::Scenario;

/// How many steps before a walk the question lists.
const CONTEXT_STEPS: usize = 8;

pub fn run(a: QuizArgs) -> Result<u8, CliError> {
    let name = a.scenario.as_deref().unwrap_or("S3");
    let scheme = resolve_one_scheme(&a.scheme, "--scheme")?;
    if !(a.delay.is_finite() && (0.0..=60.0).contains(&a.delay)) {
        return Err(CliError::input(format!(
            "--delay {} is not a number of seconds from 0 to 60",
            a.delay
        )));
    }
    let (scenario, origin) = Scenario::load(name)?;
    let qs = questions(&scenario, scheme).unwrap_or_default();
    if qs.is_empty() {
        return Err(CliError::input(format!(
            "{origin} has no reverse walk under {scheme} (SwapOut and Referenced steps walk): nothing to ask"
        )));
    }
    let interactive = a.answers.is_none() && std::io::stdin().is_terminal() && !a.json;
    if interactive {
        ask(&scenario, scheme, &qs, a.delay)
    } else {
        let (text, source) = match &a.answers {
            Some(p) if p.as_os_str() != "-" => (
                crate::util::read_limited(p, crate::util::READ_LIMIT)
                    .map_err(|e| CliError::input(format!("{}: {e}", p.display())))?,
                p.display().to_string(),
            ),
            _ => {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut s)
                    .map_err(|e| CliError::input(format!("standard input: {e}")))?;
                (s, "standard input".to_string())
            }
        };
        let predictions = read_answers(&text, &source, &qs)?;
        let marked = Marked::new(&origin, scheme, &qs, &predictions);
        if a.json {
            let mut s = serde_json::to_string_pretty(&marked).unwrap_or_default();
            s.push('\n');
            super::output::out_bytes(s.as_bytes())?;
        } else {
            for (i, (q, (p, m))) in qs
                .iter()
                .zip(predictions.iter().zip(&marked.marks))
                .enumerate()
            {
                out(&format!(
                    "{}\n",
                    question_text(&scenario, scheme, q, i + 1, qs.len())
                ))?;
                out(&format!("your prediction: {}\n", p.to_text()))?;
                for line in reveal_lines(&scenario, q, p, m) {
                    out(&format!("{line}\n"))?;
                }
            }
            out(&format!("score: {}\n", marked.score))?;
        }
        Ok(EXIT_OK)
    }
}

/// The predictions of `text`, one line per walk (blank lines and `#` comments skipped); an
/// error names the line and column.
fn read_answers(text: &str, source: &str, qs: &[Question]) -> Result<Vec<Prediction>, CliError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some(q) = qs.get(out.len()) else {
            return Err(CliError::input(format!(
                "{source}:{}: more answers than walks: the scenario has {} walk{}",
                i + 1,
                qs.len(),
                if qs.len() == 1 { "" } else { "s" }
            )));
        };
        let lead = line.len() - line.trim_start().len();
        let p = parse(t, q.candidates.len()).map_err(|e| {
            let e = e.to_string();
            // Columns are counted in the line as written.
            let e = match e.strip_prefix("column ") {
                Some(rest) => {
                    let (n, msg) = rest.split_once(':').unwrap_or((rest, ""));
                    let col = n.parse::<usize>().unwrap_or(0) + lead;
                    format!("{}:{col}:{msg}", i + 1)
                }
                None => format!("{}: {e}", i + 1),
            };
            CliError::input(format!(
                "{source}:{e} (the answer to step {}'s walk, {})",
                q.step, q.op
            ))
        })?;
        out.push(p);
    }
    if out.len() < qs.len() {
        return Err(CliError::input(format!(
            "{source}: {} answer{} for {} walks (one line per walk, in step order)",
            out.len(),
            if out.len() == 1 { "" } else { "s" },
            qs.len()
        )));
    }
    Ok(out)
}

/// The question: the steps before the walk, the walk, its candidates in visiting order.
fn question_text(scenario: &Scenario, scheme: &str, q: &Question, nth: usize, of: usize) -> String {
    let mut s = String::new();
    let before = q.step - 1;
    let from = before.saturating_sub(CONTEXT_STEPS);
    s.push_str(&format!("{}\n", scenario.title));
    if from > 0 {
        s.push_str(&format!("  ({from} earlier steps)\n"));
    }
    for (i, st) in scenario.steps[from..before].iter().enumerate() {
        s.push_str(&format!(
            "  {:>3} {}\n",
            from + i + 1,
            crate::scenario::opline::format(&st.op)
        ));
    }
    s.push_str(&format!(
        "walk {nth} of {of}: step {} {} under {scheme}: {} {} (mapcount {})\n",
        q.step,
        q.op,
        q.kind.as_str(),
        q.page,
        q.mapcount
    ));
    s.push_str("predict each candidate, in visiting order: h HIT, m MISS, o OUT, s SKIP; then / and the LOST ptes (3m h/1)\n");
    for (i, c) in q.candidates.iter().enumerate() {
        s.push_str(&format!("  #{} {}\n", i + 1, c.describe()));
    }
    if q.candidates.is_empty() {
        s.push_str("  (the walk visits no candidate)\n");
    }
    s.truncate(s.trim_end().len());
    s
}

/// The walk revealed: each candidate with the prediction, the LOST ptes, the step's note.
fn reveal_lines(scenario: &Scenario, q: &Question, p: &Prediction, m: &Mark) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, c) in q.candidates.iter().enumerate() {
        let you = p.outcomes.get(i).map_or("-", |o| o.as_str());
        lines.push(format!(
            "  #{:<4} {:<32} {:<5} you {:<5} {}",
            i + 1,
            c.describe(),
            c.outcome.as_str(),
            you,
            if m.right[i] { "right" } else { "WRONG" }
        ));
    }
    let lost: Vec<String> = q
        .lost
        .iter()
        .map(|l| format!("pid {} {:#x}", l.pid, l.addr))
        .collect();
    lines.push(format!(
        "  LOST {}{}  you {}  {}",
        q.lost.len(),
        if lost.is_empty() {
            String::new()
        } else {
            format!(" ({})", lost.join(", "))
        },
        p.lost,
        if m.lost_right { "right" } else { "WRONG" }
    ));
    if let Some(note) = &scenario.steps[q.step - 1].note {
        lines.push(format!("  why: {note}"));
    }
    lines.push(format!("  {}/{} points", m.points, m.of));
    lines
}

/// Asks on the terminal, one walk at a time; end of input ends the quiz with the score so far.
fn ask(scenario: &Scenario, scheme: &str, qs: &[Question], delay: f64) -> Result<u8, CliError> {
    let mut score = Score::default();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let pause = Duration::from_secs_f64(delay);
    let pace = std::io::stdout().is_terminal();
    'walks: for (i, q) in qs.iter().enumerate() {
        out(&format!(
            "\n{}\n",
            question_text(scenario, scheme, q, i + 1, qs.len())
        ))?;
        let p = loop {
            out("your prediction> ")?;
            let mut line = String::new();
            match input.read_line(&mut line) {
                Ok(0) => break 'walks,
                Ok(_) => {}
                Err(e) => return Err(CliError::input(format!("standard input: {e}"))),
            }
            match parse(line.trim(), q.candidates.len()) {
                Ok(p) => break p,
                Err(e) => out(&format!("  {e}; try again\n"))?,
            }
        };
        let m = q.mark(&p);
        for line in reveal_lines(scenario, q, &p, &m) {
            if pace {
                std::thread::sleep(pause);
            }
            out(&format!("{line}\n"))?;
        }
        score.add(&m);
        out(&format!("  score so far: {score}\n"))?;
    }
    out(&format!("\nscore: {score}\n"))?;
    Ok(EXIT_OK)
}

/// The marked quiz, as `--json` prints it.
#[derive(Serialize)]
struct Marked<'a> {
    scenario: &'a str,
    scheme: &'a str,
    walks: Vec<MarkedWalk<'a>>,
    score: Score,
    #[serde(skip)]
    marks: Vec<Mark>,
}

#[derive(Serialize)]
struct MarkedWalk<'a> {
    #[serde(flatten)]
    question: &'a Question,
    predicted: &'a Prediction,
    mark: Mark,
}

impl<'a> Marked<'a> {
    fn new(origin: &'a str, scheme: &'a str, qs: &'a [Question], ps: &'a [Prediction]) -> Self {
        let mut score = Score::default();
        let mut walks = Vec::new();
        let mut marks = Vec::new();
        for (q, p) in qs.iter().zip(ps) {
            let m = q.mark(p);
            score.add(&m);
            marks.push(m.clone());
            walks.push(MarkedWalk {
                question: q,
                predicted: p,
                mark: m,
            });
        }
        Marked {
            scenario: origin,
            scheme,
            walks,
            score,
            marks,
        }
    }
}
