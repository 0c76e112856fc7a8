//! `kprobe_profile` and `uprobe_profile`: per-event hit counts the kernel keeps while a probe is
//! armed, without writing anything to a ring buffer.
//!
//! INTERFACE STUB: the parser is being written; signatures are the contract.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileLine {
    /// Event name, without its group (the kernel does not print it).
    pub event: String,
    pub hits: u64,
    /// Missed hits (kprobes only; uprobe_profile has no such column).
    pub misses: Option<u64>,
    /// The probed file (uprobes only).
    pub path: Option<String>,
}

pub fn parse_kprobe_profile(_text: &str) -> Vec<ProfileLine> {
    todo!()
}

pub fn parse_uprobe_profile(_text: &str) -> Vec<ProfileLine> {
    todo!()
}
