//! An event's `format` file: its id, fields and print format.
//!
//! INTERFACE STUB: the parser is being written; signatures are the contract.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatField {
    /// `unsigned long`, `__data_loc char[]`, `u64`, ...
    pub ty: String,
    pub name: String,
    pub offset: u32,
    pub size: u32,
    pub signed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFormat {
    pub name: String,
    pub id: u32,
    /// The `common_*` fields.
    pub common: Vec<FormatField>,
    /// The event's own fields.
    pub fields: Vec<FormatField>,
    pub print_fmt: String,
}

pub fn parse(_text: &str) -> Option<EventFormat> {
    todo!("format parser")
}
