//! Untrusted text made safe for a terminal: the one place human output goes through.
//!
//! Kernel text, saved trace files, patterns from the command line and records from an agent all
//! end up on a terminal, where an ESC (or a C1 CSI) starts a control sequence that can rewrite
//! the screen, the window title or the clipboard. Every control character is therefore shown
//! escaped (`\x1b`, `\n`, `\u{9b}`), and text echoed back to the user (a line in a warning, a
//! pattern in an error) is cut to a readable length with "…". JSON output needs none of this:
//! serde_json escapes controls already.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters of echoed text shown at most in a warning or an error line.
pub const MAX_ECHO: usize = 400;

fn is_control(c: char) -> bool {
    c.is_control()
}

/// Whether `s` may hold a control character (other than `\n` when `newline_ok`), by its bytes:
/// C0 controls are the bytes below 0x20, DEL is 0x7f, and the C1 controls (U+0080–U+009F) are
/// encoded as 0xC2 0x80–0x9F. Text with none of these bytes has no control character; this
/// check runs a byte at a time without branches (the compiler vectorises it), much faster than
/// decoding characters, and almost all text passes it.
fn may_hold_control(s: &str, newline_ok: bool) -> bool {
    s.bytes().fold(false, |found, b| {
        found | (b < 0x20 && !(newline_ok && b == b'\n')) | (b == 0x7f) | (b == 0xc2)
    })
}

/// Every C0 and C1 control character, and DEL, as an escape; other text as it is.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !may_hold_control(s, false) || !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_control(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `s`, with "…" where it was cut.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => Cow::Owned(format!("{}…", &s[..at])),
    }
}

/// A line of data for the terminal: escaped, never cut (it is the output the user asked for).
pub fn data_line(s: &str) -> Cow<'_, str> {
    escape(s)
}

/// A message line for stderr (warning, error, log): cut to [`MAX_ECHO`], then escaped, so a
/// 10 MB line of input makes a short warning.
pub fn message_line(s: &str) -> String {
    escape(&cut(s, MAX_ECHO)).into_owned()
}

/// Text of several lines (a table, a block of stack frames): each line escaped, the line
/// breaks kept.
pub fn data_block(s: &str) -> Cow<'_, str> {
    if !may_hold_control(s, true) || !s.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape(line));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_escaped() {
        assert_eq!(escape("plain ü text"), "plain ü text");
        assert_eq!(
            escape("\x1b[2J\x07x\u{9b}31m\x7f"),
            "\\x1b[2J\\x07x\\u{9b}31m\\x7f"
        );
        assert_eq!(escape("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(data_block("a\x1b\nb\n"), "a\\x1b\nb\n");
        assert!(matches!(data_block("a\nb\n"), Cow::Borrowed(_)));
    }

    /// The byte check never lets a control character through: every character up to U+0800
    /// and the ends of the planes, alone and between others.
    #[test]
    fn byte_check_sees_every_control() {
        let chars = (0u32..0x800)
            .chain([0xfeff, 0xfffd, 0xffff, 0x10000, 0x10ffff])
            .filter_map(char::from_u32);
        for c in chars {
            for s in [c.to_string(), format!("ab{c}cd"), format!("é{c}")] {
                if c.is_control() {
                    assert!(may_hold_control(&s, false), "{c:?}");
                    assert_eq!(may_hold_control(&s, true), c != '\n', "{c:?}");
                    assert!(matches!(escape(&s), Cow::Owned(_)), "{c:?}");
                    if c != '\n' {
                        assert!(matches!(data_block(&s), Cow::Owned(_)), "{c:?}");
                    }
                } else if !s.chars().any(char::is_control) {
                    assert_eq!(escape(&s), s.as_str());
                }
            }
        }
    }

    #[test]
    fn echoed_text_is_cut() {
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("ééé", 2), "éé…");
        let long = "x".repeat(10_000_000);
        let m = message_line(&long);
        assert!(m.chars().count() <= MAX_ECHO + 1);
        assert!(m.ends_with('…'));
        // Cut first, then escaped: an escape is never split in half.
        let esc = "\x1b".repeat(1000);
        let m = message_line(&esc);
        assert!(m.ends_with("\\x1b…"), "{m}");
    }
}
