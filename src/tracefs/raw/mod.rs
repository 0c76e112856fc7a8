//! The binary ring buffer: pages of `per_cpu/cpuN/trace_pipe_raw`, decoded without the kernel
//! formatting each event as text (TRACEFS.md section 8; docs/raw-reader.md).
//!
//! - [`layout`]: the page and event-header layout, parsed from `events/header_page` and
//!   `events/header_event` (never assumed: the page size is 4096 only by default, and since
//!   6.8 an instance's `buffer_subbuf_size_kb` changes it).
//! - [`page`]: one page: its header (timestamp, commit, the missed-events flags and count) and
//!   an iterator over its events, which resolves time deltas, time extends, absolute
//!   timestamps and padding.
//! - [`event`]: an event's payload, decoded with its `format` file into borrowed values.
//! - [`merge`]: several CPUs' page sources merged in timestamp order with a bounded reorder
//!   window, with the events each CPU lost.
//!
//! Everything borrows from the page buffer: decoding an event allocates nothing. Every length
//! and offset in a page is checked before use, so a corrupt or hostile page gives a
//! [`RawError`], never a panic or an out-of-bounds read.

pub mod event;
pub mod layout;
pub mod merge;
pub mod page;
#[cfg(test)]
mod tests;

pub use event::{EventDecoder, EventTable, FieldDecoder, FieldKind, IntArray, Record, Value};
pub use layout::{EventHeaderLayout, PageLayout};
pub use merge::{CpuMerge, CpuStats, Lost, Next, PageRead, PageSource, ReaderSource, SlicePages};
pub use page::{Missed, Page, PageEvents, RawEvent};

/// What can be wrong with the layout files, a page, or an event.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    #[error("events/header_page: {0}")]
    HeaderPage(String),
    #[error("events/header_event: {0}")]
    HeaderEvent(String),
    #[error("format of event {event:?}: {why}")]
    Format { event: String, why: String },
    #[error("a page of {len} bytes is shorter than the {need} the layout says")]
    ShortPage { len: usize, need: usize },
    #[error("page commit {commit:#x} claims {len} bytes of data, the page holds {max}")]
    CommitTooLarge { commit: u64, len: usize, max: usize },
    #[error("the missed-events count stored after {len} bytes of data lies outside the page")]
    MissedOutOfPage { len: usize },
    #[error("event at page offset {offset}: {why}")]
    BadEvent { offset: usize, why: &'static str },
    #[error("event id {0} is not in the event table")]
    UnknownEvent(u64),
    #[error("event {event:?} of {len} bytes: field {field:?} lies outside it")]
    FieldOutOfBounds {
        event: String,
        field: String,
        len: usize,
    },
    #[error("reading cpu{cpu}'s pages: {source}")]
    Io {
        cpu: u32,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = RawError> = std::result::Result<T, E>;
