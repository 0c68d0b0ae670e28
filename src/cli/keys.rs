//! `shot --keys`: keys pressed in the TUI before the screen is drawn, written as one string:
//! a character is its key, `<Name>` a named key (`<Enter>`, `<Esc>`, `<Tab>`, `<BackTab>`,
//! `<Space>`, `<BS>`, `<Left>`, `<Right>`, `<Up>`, `<Down>`, `<PgUp>`, `<PgDn>`, `<Home>`,
//! `<End>`), `<C-r>` a control key, `<<` the character `<`.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The keys of `s`, or what is wrong with it and where (a 1-based character column).
pub fn parse(s: &str) -> Result<Vec<KeyEvent>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '<' {
            out.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'<') {
            out.push(KeyEvent::new(KeyCode::Char('<'), KeyModifiers::NONE));
            i += 2;
            continue;
        }
        let Some(len) = chars[i..].iter().position(|&c| c == '>') else {
            return Err(format!(
                "--keys column {}: '<' opens a key name that is not closed with '>' (<< is the character <)",
                i + 1
            ));
        };
        let name: String = chars[i + 1..i + len].iter().collect();
        out.push(named(&name).ok_or_else(|| {
            format!(
                "--keys column {}: unknown key <{name}> (expected Enter, Esc, Tab, BackTab, Space, BS, Left, Right, Up, Down, PgUp, PgDn, Home, End, or C-x for a control key)",
                i + 1
            )
        })?);
        i += len + 1;
    }
    Ok(out)
}

fn named(name: &str) -> Option<KeyEvent> {
    let plain = |code| Some(KeyEvent::new(code, KeyModifiers::NONE));
    if let Some(c) = name.strip_prefix("C-") {
        let mut cs = c.chars();
        return match (cs.next(), cs.next()) {
            (Some(c), None) => Some(KeyEvent::new(
                KeyCode::Char(c.to_ascii_lowercase()),
                KeyModifiers::CONTROL,
            )),
            _ => None,
        };
    }
    match name.to_ascii_lowercase().as_str() {
        "enter" | "cr" => plain(KeyCode::Enter),
        "esc" => plain(KeyCode::Esc),
        "tab" => plain(KeyCode::Tab),
        "backtab" | "s-tab" => Some(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
        "space" => plain(KeyCode::Char(' ')),
        "bs" | "backspace" => plain(KeyCode::Backspace),
        "left" => plain(KeyCode::Left),
        "right" => plain(KeyCode::Right),
        "up" => plain(KeyCode::Up),
        "down" => plain(KeyCode::Down),
        "pgup" | "pageup" => plain(KeyCode::PageUp),
        "pgdn" | "pagedown" => plain(KeyCode::PageDown),
        "home" => plain(KeyCode::Home),
        "end" => plain(KeyCode::End),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_names_and_control_keys() {
        let k = parse(":d 4<Enter>u<C-r><<<esc>").unwrap();
        let codes: Vec<KeyCode> = k.iter().map(|k| k.code).collect();
        assert_eq!(
            codes,
            [
                KeyCode::Char(':'),
                KeyCode::Char('d'),
                KeyCode::Char(' '),
                KeyCode::Char('4'),
                KeyCode::Enter,
                KeyCode::Char('u'),
                KeyCode::Char('r'),
                KeyCode::Char('<'),
                KeyCode::Esc
            ]
        );
        assert_eq!(k[6].modifiers, KeyModifiers::CONTROL);
    }

    #[test]
    fn bad_keys_say_where() {
        assert!(parse("ab<Enter").unwrap_err().contains("column 3"));
        let e = parse("x<Fly>").unwrap_err();
        assert!(e.contains("column 2") && e.contains("<Fly>"), "{e}");
        assert!(parse("<C-ab>").is_err());
    }
}
