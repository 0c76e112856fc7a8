//! Hist triggers: building the `hist:` command and parsing an event's `hist` file.
//!
//! INTERFACE STUB: the parser is being written; signatures are the contract.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistEntry {
    /// `(key, value-as-printed)` pairs of the `{ ... }` part.
    pub keys: Vec<(String, String)>,
    pub hitcount: u64,
    /// Other `name: value` columns.
    pub values: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistTable {
    /// The `trigger info:` text.
    pub trigger: String,
    pub entries: Vec<HistEntry>,
    pub hits: u64,
    pub entry_count: u64,
    pub dropped: u64,
}

/// Parses a `hist` file: one table per trigger.
pub fn parse(_text: &str) -> Vec<HistTable> {
    todo!("hist parser")
}
