//! Rendering Records: tables for people (comfy-table), perf-tools text for event streams,
//! JSON Lines for pipelines. The same code renders local and remote runs.
//!
//! INTERFACE STUB: being written; signatures are the contract.

use std::io::Write;

use crate::record::{Record, Sink, SinkError};

/// How records are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Tables and perf-tools style text.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub mode: Mode,
    /// `-T`: print the time above each counts table.
    pub timestamps: bool,
    /// `-H`: print column headers before the first event.
    pub headers: bool,
    /// Records come from several hosts: tables gain a HOST column, text a host prefix.
    pub multi_host: bool,
}

/// A sink that renders to `out` (data) and `err` (notices, in human mode).
pub fn renderer<'a>(opts: Options, out: Box<dyn Write + 'a>, err: Box<dyn Write + 'a>) -> Box<dyn Sink + 'a> {
    Box::new(JsonStub { out, _err: err, _opts: opts })
}

struct JsonStub<'a> {
    out: Box<dyn Write + 'a>,
    _err: Box<dyn Write + 'a>,
    _opts: Options,
}

impl Sink for JsonStub<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        let line = serde_json::to_string(&record).map_err(|e| SinkError::Io(e.into()))?;
        writeln!(self.out, "{line}").map_err(SinkError::from_io)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(SinkError::from_io)
    }
}
