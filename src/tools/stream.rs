//! Turning trace text lines into Records: events with parsed fields, stacks gathered from their
//! ` => ` lines, `[LOST N EVENTS]` as a Lost record. Shared by kprobe, parse and the
//! function-trace backend of funccount.
//!
//! INTERFACE STUB: being written; signatures are the contract.

use crate::record::Record;

/// A stateful line-to-record converter (a stack spans several lines).
#[derive(Debug, Default)]
pub struct TraceRecords {
    _private: (),
}

impl TraceRecords {
    pub fn new() -> TraceRecords {
        TraceRecords::default()
    }

    /// Feeds one line (no newline); calls `out` for every record it completes.
    pub fn feed(&mut self, _line: &str, _out: &mut dyn FnMut(Record)) {
        todo!()
    }

    /// Emits what is pending (a stack whose last frame was the last line read).
    pub fn finish(&mut self, _out: &mut dyn FnMut(Record)) {
        todo!()
    }
}
