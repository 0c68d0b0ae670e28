//! How the keys of the keymap table ([`super::keymap::BINDINGS`]) are written: a key's name,
//! a binding's keys and words on the `?` help screen, the footer hints, the first key of an
//! action for hints elsewhere, and all of them in ASCII for `--ascii`. Generated from the
//! table, so no text can name a key the table does not bind.

use ratatui::crossterm::event::KeyCode;

use super::keymap::{Action, BINDINGS, Binding, Context, Key, digit_schemes};

/// How a key is written in the footer and help.
pub fn key_name(k: &Key) -> String {
    let base = match k.code {
        KeyCode::Char(' ') => "space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::Enter => "Enter".to_string(),
        KeyCode::Esc => "Esc".to_string(),
        KeyCode::Tab => "Tab".to_string(),
        KeyCode::BackTab => "Shift-Tab".to_string(),
        KeyCode::Home => "Home".to_string(),
        KeyCode::End => "End".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        other => format!("{other:?}"),
    };
    if k.ctrl { format!("Ctrl-{base}") } else { base }
}

/// What the help screen says a binding does (the digits say how many schemes they choose).
pub fn help_text(b: &Binding) -> String {
    if matches!(b.action, Action::Scheme(_)) {
        b.help.replace('N', &digit_schemes().to_string())
    } else {
        b.help.to_string()
    }
}

/// The keys of a binding, written for the help screen ("→ l", "1-9 0": the digits of the
/// schemes there are).
pub fn keys_text(b: &Binding, ascii: bool) -> String {
    if matches!(b.action, Action::Scheme(_)) {
        return match digit_schemes() {
            0 | 1 => "1".to_string(),
            10 => "1-9 0".to_string(),
            n => format!("1-{n}"),
        };
    }
    let names: Vec<String> = b.keys.iter().map(key_name).collect();
    let s = names.join(" ");
    if ascii { ascii_keys(&s) } else { s }
}

/// Arrows written in ASCII for `--ascii`.
pub fn ascii_keys(s: &str) -> String {
    s.replace('←', "Left")
        .replace('→', "Right")
        .replace('↑', "Up")
        .replace('↓', "Down")
}

/// The first key bound to `action` ("<"), as the footer writes it; empty if none is.
pub fn first_key(action: Action, ascii: bool) -> String {
    let name = BINDINGS
        .iter()
        .find(|b| b.action == action)
        .and_then(|b| b.keys.first())
        .map(key_name)
        .unwrap_or_default();
    if ascii { ascii_keys(&name) } else { name }
}

/// The footer hints for `context`: (keys, word) in table order.
pub fn footer(context: Context, ascii: bool) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.context == context || b.context == Context::Main)
        .filter_map(|b| {
            let word = b.footer?;
            let first = b.keys.first().map(key_name).unwrap_or_default();
            let keys = if ascii { ascii_keys(&first) } else { first };
            Some((keys, word))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits are written as a range of the schemes there are, not one key each.
    #[test]
    fn the_digit_binding_names_the_registry_range() {
        let b = BINDINGS
            .iter()
            .find(|b| matches!(b.action, Action::Scheme(_)))
            .unwrap();
        assert_eq!(keys_text(b, false), "1-9 0");
        assert_eq!(help_text(b), "scheme 1 to 10 (as in the compare table)");
    }

    #[test]
    fn the_footer_comes_from_the_table() {
        let f = footer(Context::Steps, false);
        assert!(f.contains(&("→".to_string(), "step")));
        assert!(f.contains(&("?".to_string(), "help")));
        assert!(!f.iter().any(|(_, w)| *w == "expand"), "graph-only hint");
        let f = footer(Context::Graph, true);
        assert!(f.contains(&("Enter".to_string(), "expand")));
        assert!(f.iter().all(|(k, _)| k.is_ascii()));
    }
}
