//! Andrea Arcangeli's mail of 12 March 2004 ("Re: anon_vma RFC2", linux-kernel), as sent: its
//! header and his text, from the line that quotes Rik van Riel to his last line (the list's
//! footer left out). Every quotation rmapviz prints is a piece of this text.

/// The mail's author.
pub const AUTHOR: &str = "Andrea Arcangeli";
/// The mail's date, as its header gives it.
pub const DATE: &str = "Fri Mar 12 2004 - 12:14:37 EST";
/// The mail's subject.
pub const SUBJECT: &str = "Re: anon_vma RFC2";
/// Where it was sent.
pub const LIST: &str = "linux-kernel";
/// Its Message-ID (the archives find it by this).
pub const MESSAGE_ID: &str = "<20040312171307.GA30940@dualathlon.random>";
/// The mail: subject, author, date, then the text.
pub const TEXT: &str = include_str!("../../assets/claims/andrea-2004-03-12.txt");

/// "Andrea Arcangeli, "Re: anon_vma RFC2", linux-kernel, Fri Mar 12 2004 - 12:14:37 EST".
pub fn citation() -> String {
    format!("{AUTHOR}, \"{SUBJECT}\", {LIST}, {DATE}")
}

/// `text` with every run of white space (line breaks included) as one blank.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `quote` is a piece of the mail, word for word (line breaks taken as blanks).
pub fn is_quoted(quote: &str) -> bool {
    one_line(TEXT).contains(&one_line(quote))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_mails() {
        let mut lines = TEXT.lines();
        assert_eq!(lines.next(), Some(SUBJECT));
        assert_eq!(lines.next(), Some(""));
        assert_eq!(lines.next(), Some(format!("From: {AUTHOR}").as_str()));
        assert_eq!(lines.next(), Some(format!("Date: {DATE}").as_str()));
    }

    #[test]
    fn a_changed_word_is_no_quotation() {
        assert!(is_quoted(
            "the anonmm simply cannot work because it's not reaching vmas,"
        ));
        assert!(is_quoted("would save\n8 bytes per vma"));
        assert!(!is_quoted(
            "the anonmm simply cannot work because it is not reaching vmas"
        ));
        assert!(!is_quoted("would save 12 bytes per vma"));
    }
}
