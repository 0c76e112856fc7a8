//! The kernel's `error_log` (5.2+): the last few rejected commands, each with a message and a
//! caret under the bad token. When a write fails we find our entry here and show it.
//!
//! Each entry is three lines (`tracing_err_log_seq_show` in `trace.c`):
//!
//! ```text
//! [    2.801041] trace_kprobe: error: Invalid $-variable specified
//!   Command: p:lkt_cap/bad vfs_read $none_var
//!                                   ^
//! ```
//!
//! The caret line is `strlen("  Command: ")` = 11 spaces plus the error position, then `^`.

use serde::{Deserialize, Serialize};

/// One entry of error_log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLogEntry {
    /// Seconds since boot, as printed (`2.801041`).
    pub timestamp: String,
    /// `trace_kprobe`, `trace_uprobe`, `hist`, ...
    pub location: String,
    pub message: String,
    pub command: String,
    /// Byte offset into `command` the caret points at.
    pub caret: usize,
}

impl ErrorLogEntry {
    /// Three lines as the kernel shows them: message, command, caret.
    pub fn render(&self) -> String {
        format!(
            "{}: error: {}\n  Command: {}\n{}^",
            self.location,
            self.message,
            self.command,
            " ".repeat(CMD_PREFIX.len() + self.caret)
        )
    }
}

/// What the kernel prints before the command; the caret line is indented by its length too.
const CMD_PREFIX: &str = "  Command: ";

/// Parses the whole file. Lines that do not fit the layout are skipped; an entry whose caret
/// line is missing gets caret 0.
pub fn parse(text: &str) -> Vec<ErrorLogEntry> {
    let mut out: Vec<ErrorLogEntry> = Vec::new();
    // Set while the entry last pushed still waits for its command or caret line.
    let mut want_command = false;
    let mut want_caret = false;
    for line in text.lines() {
        if let Some(entry) = parse_header(line) {
            out.push(entry);
            want_command = true;
            want_caret = false;
            continue;
        }
        let Some(last) = out.last_mut() else {
            continue;
        };
        if want_command {
            if let Some(cmd) = line.strip_prefix(CMD_PREFIX) {
                last.command = cmd.to_string();
                want_command = false;
                want_caret = true;
                continue;
            }
        }
        if want_caret {
            let spaces = line.bytes().take_while(|&c| c == b' ').count();
            if line[spaces..].trim_end() == "^" {
                last.caret = spaces.saturating_sub(CMD_PREFIX.len());
            }
            want_caret = false;
        }
    }
    out
}

/// `[    2.801041] trace_kprobe: error: Invalid $-variable specified`
fn parse_header(line: &str) -> Option<ErrorLogEntry> {
    let rest = line.strip_prefix('[')?;
    let (ts, rest) = rest.split_once(']')?;
    let ts = ts.trim();
    if ts.is_empty() || !ts.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    // The location may itself hold `:` (`hist:sched:sched_switch`), the message anything.
    let (location, message) = rest.trim_start().split_once(": error: ")?;
    Some(ErrorLogEntry {
        timestamp: ts.to_string(),
        location: location.to_string(),
        message: message.to_string(),
        command: String::new(),
        caret: 0,
    })
}

/// The newest entry whose command is `written` (trimmed), if the kernel logged one.
///
/// The kernel rebuilds the command from its argv joined by single spaces, so runs of
/// whitespace in `written` compare equal to one space.
pub fn find_for(text: &str, written: &str) -> Option<ErrorLogEntry> {
    let written = written.trim();
    if written.is_empty() {
        return None;
    }
    parse(text).into_iter().rev().find(|e| {
        e.command.trim() == written || e.command.split_whitespace().eq(written.split_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real error_log of Debian's 6.1.192 cloud kernel and of the 6.1.192 profiler build.
    const DEB: &str = include_str!("../../tests/fixtures/debian/error_log.txt");
    const PROF: &str = include_str!("../../tests/fixtures/profiler/error_log.txt");

    #[test]
    fn debian_6_1_error_log() {
        let e = parse(DEB);
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].timestamp, "2.801041");
        assert_eq!(e[0].location, "trace_kprobe");
        assert_eq!(e[0].message, "Invalid $-variable specified");
        assert_eq!(e[0].command, "p:lkt_cap/bad vfs_read $none_var");
        // The caret sits under `$none_var`.
        assert_eq!(&e[0].command[e[0].caret..], "$none_var");
        assert_eq!(&e[1].command[e[1].caret..], "no_such_function_xyz");
        assert_eq!(&e[2].command[e[2].caret..], "vfs_read+4");
        assert_eq!(e[2].message, "Retprobe address must be an function entry");
        assert_eq!(&e[3].command[e[3].caret..], "%zz):u32");
        assert_eq!(e[3].caret, 29);
    }

    #[test]
    fn profiler_6_1_error_log_and_render_round_trip() {
        let e = parse(PROF);
        assert_eq!(e.len(), 4);
        assert_eq!(e[3].timestamp, "2.834478");
        // render() reproduces the kernel's three lines exactly.
        let lines: Vec<&str> = PROF.lines().collect();
        for (i, entry) in e.iter().enumerate() {
            let rendered = entry.render();
            let want = lines[3 * i..3 * i + 3].join("\n");
            let want = want.split_once("] ").unwrap().1;
            assert_eq!(rendered, want);
        }
    }

    #[test]
    fn find_for_takes_the_newest_matching_command() {
        let e = find_for(DEB, "  r:lkt_cap/bad3 vfs_read+4\n").unwrap();
        assert_eq!(e.timestamp, "2.801936");
        let e = find_for(DEB, "p:lkt_cap/bad4   vfs_read x=+0(%zz):u32").unwrap();
        assert_eq!(e.message, "Invalid register name");
        assert_eq!(find_for(DEB, "p:lkt_cap/other vfs_read"), None);
        assert_eq!(find_for(DEB, ""), None);
        let twice = format!("{DEB}[    9.000000] trace_kprobe: error: Again\n  Command: p:lkt_cap/bad vfs_read $none_var\n             ^\n");
        let e = find_for(&twice, "p:lkt_cap/bad vfs_read $none_var").unwrap();
        assert_eq!(e.message, "Again");
        assert_eq!(e.caret, 2);
    }

    #[test]
    fn odd_input() {
        assert!(parse("").is_empty());
        assert!(parse("garbage\n  Command: x\n ^\n").is_empty());
        let e = parse("[1.0] hist:sched:sched_switch: error: Couldn't find field\n  Command: hist:keys=nope\n");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].location, "hist:sched:sched_switch");
        assert_eq!(e[0].command, "hist:keys=nope");
        assert_eq!(e[0].caret, 0);
    }
}
