//! The kernel's `error_log` (5.2+): the last few rejected commands, each with a message and a
//! caret under the bad token. When a write fails we find our entry here and show it.
//!
//! INTERFACE STUB: the parser is being written; signatures are the contract.

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
            " ".repeat(11 + self.caret)
        )
    }
}

/// Parses the whole file.
pub fn parse(_text: &str) -> Vec<ErrorLogEntry> {
    todo!("error_log parser")
}

/// The newest entry whose command is `written` (trimmed), if the kernel logged one.
pub fn find_for(_text: &str, _written: &str) -> Option<ErrorLogEntry> {
    todo!()
}
