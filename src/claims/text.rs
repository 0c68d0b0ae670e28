//! The claims as text: what `rmapviz claims` prints, as lines that say what kind of text they
//! hold, wrapped to a width.

use super::{ClaimReport, Report, mail};

/// What a line holds (a reader can style each kind its own way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// The mail's citation, and a claim's number and title.
    Heading,
    /// The mail's words.
    Quote,
    /// A scenario and its steps.
    Scenario,
    /// What the model gives.
    Finding,
    /// Whether the claim holds.
    Verdict,
    /// Where the model's accounting differs, and why.
    Note,
    Blank,
}

/// One line of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextLine {
    pub kind: LineKind,
    pub text: String,
}

/// The report as lines at most `width` columns wide (long words excepted).
pub fn lines(report: &Report, width: usize) -> Vec<TextLine> {
    let mut out = Vec::new();
    let mut push = |kind, first: &str, rest: &str, text: &str| {
        for t in wrap(text, width, first, rest) {
            out.push(TextLine { kind, text: t });
        }
    };
    push(
        LineKind::Heading,
        "",
        "  ",
        &format!(
            "{}, {}. Its claims, checked against the model:",
            mail::citation(),
            report.message_id
        ),
    );
    for c in &report.claims {
        claim_lines(c, width, &mut out);
    }
    out
}

fn claim_lines(c: &ClaimReport, width: usize, out: &mut Vec<TextLine>) {
    let mut push = |kind, first: &str, rest: &str, text: &str| {
        for t in wrap(text, width, first, rest) {
            out.push(TextLine { kind, text: t });
        }
    };
    push(LineKind::Blank, "", "", "");
    push(
        LineKind::Heading,
        "",
        "   ",
        &format!("{}. {}", c.number, c.title),
    );
    push(
        LineKind::Quote,
        "   \"",
        "    ",
        &format!("{}\"", mail::one_line(c.quote)),
    );
    for s in &c.scenarios {
        push(
            LineKind::Scenario,
            "   scenario ",
            "     ",
            &format!("{} ({}): {}", s.name, s.title, s.steps.join("; ")),
        );
    }
    for f in &c.findings {
        let text = match f.scheme {
            Some(s) => format!("{s}: {}", f.text),
            None => f.text.clone(),
        };
        push(LineKind::Finding, "   - ", "     ", &text);
    }
    push(
        LineKind::Verdict,
        "   => ",
        "      ",
        &format!("{}: {}", c.verdict.as_str(), c.verdict_text),
    );
    for n in &c.notes {
        push(LineKind::Note, "   note: ", "      ", n);
    }
}

/// The lines joined, for the terminal.
pub fn to_text(report: &Report, width: usize) -> String {
    let mut s = String::new();
    for l in lines(report, width) {
        s.push_str(l.text.trim_end());
        s.push('\n');
    }
    s
}

/// Words of `text` in lines of at most `width` columns: the first line starts with `first`,
/// the others with `rest`. A word longer than a line gets a line of its own.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let fits = line.width() + usize::from(!empty) + word.width() <= width;
        if !empty && !fits {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_indents() {
        assert_eq!(
            wrap("one two three four", 10, "> ", "  "),
            vec!["> one two", "  three", "  four"]
        );
        assert_eq!(wrap("", 10, "x", "y"), vec!["x"]);
        assert_eq!(wrap("abcdefghijkl z", 5, "", ""), vec!["abcdefghijkl", "z"]);
    }
}
