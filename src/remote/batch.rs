//! Records on the wire, agent → client: binary ([postcard]), many records per message, strings
//! interned per message. The client turns them back into the very `record::Record` values the
//! tool emitted, so what it renders (`--json` included) is what a local run prints.
//!
//! A Records message is its tag byte, then items until the end of the message. Each item is a
//! kind byte, then the postcard encoding of that kind's fields in order (postcard encodes a
//! struct as its fields one after another, so an item is exactly a postcard struct):
//!
//! | kind | record | fields |
//! |---|---|---|
//! | 1 | event | comm S, pid u32, tgid Option<u32>, cpu u32, flags S?, timestamp f64, event S, probe S?, payload S?, n u32, n × field |
//! | 2 | stack | comm S, pid u32, cpu u32, timestamp f64, n u32, n × frame S |
//! | 3 | lost | cpu Option<u32>, count Option<u64> |
//! | 4 | span | comm S, pid u32, cpu u32, timestamp f64, name S, duration_us f64, depth Option<u32>, n u32, n × field |
//! | 5 | any other record | its `--json` text as a postcard str |
//!
//! A field is a name S and a value: byte 0 then i64 (zigzag varint), byte 1 then u64 (varint),
//! byte 2 then S. A string S is one varint: 1 = a new string follows (postcard str) and gets the
//! next id of this message, n ≥ 2 = the string with id n − 2 defined earlier in this message,
//! 0 = none (only where a field is optional, S?). Ids are per message, never per run: a message
//! the sender abandons (see the reliability rules) must not take definitions with it that later
//! messages need.
//!
//! Why not derive serde on `Record`: its `"type"` tag is internally tagged, which needs a
//! self-describing format (serde buffers every field into its `Content` first, the allocation
//! the old JSON path paid per record), and its optional fields skip serialising, which a
//! non-self-describing format cannot read back. Hot kinds have this mirror; the rare ones (ctl
//! output, formats, counts) keep their JSON shape inside the item.
//!
//! Bounds, since an agent's bytes are decoded here: a message that fits one fragment
//! ([`BATCH_MAX`]) may hold any number of records; a longer one holds exactly one. Every count
//! is checked against the bytes left before anything is reserved, at most [`MAX_SYMBOLS`] ids
//! are kept, and what a message may decode to (string bytes, records, fields) is capped by a
//! budget, so a 2-byte reference cannot expand without bound.

use serde::Serialize;

use crate::record::{Event, FieldValue, Fields, Lost, Record, Span, Stack};

/// The Records message's tag (see `msg.rs` for the others).
pub const RECORDS: u8 = 13;
/// A message of this size or less travels in one fragment, hence one datagram: a batch fills
/// up to it, and holds as many records as fit.
pub const BATCH_MAX: usize = super::reliable::FRAG_ROOM;

const EVENT: u8 = 1;
const STACK: u8 = 2;
const LOST: u8 = 3;
const SPAN: u8 = 4;
const JSON: u8 = 5;

const V_INT: u8 = 0;
const V_UINT: u8 = 1;
const V_STR: u8 = 2;

const S_NONE: u32 = 0;
const S_NEW: u32 = 1;
const S_REF: u32 = 2;

/// Ids a message may define; later new strings are still accepted but get none.
pub const MAX_SYMBOLS: usize = 4096;
/// The encoder looks strings up among the first ones only: a batch has a few dozen distinct
/// strings, and a linear scan of a short table beats hashing each string.
const ENCODER_SYMBOLS: usize = 64;
/// What one message may decode to at least (bytes of strings and records), whatever its size.
const BUDGET_MIN: usize = 256 * 1024;
/// ... and at most this many times its own size (for the one-record messages above a fragment).
const BUDGET_PER_BYTE: usize = 8;

/// Why a Records message did not decode. Any of these from an authenticated agent is a
/// protocol violation: the client ends the session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("a record runs past the end of its message or is malformed")]
    Malformed,
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    #[error("unknown field value kind {0}")]
    UnknownValue(u8),
    #[error("string reference {0} to nothing defined in this message")]
    BadRef(u32),
    #[error("a required string is missing")]
    MissingString,
    #[error("a count of {0} is more than the bytes left")]
    Count(u32),
    #[error("a message decodes to more than its budget")]
    Budget,
    #[error("a message longer than one fragment holds more than one record")]
    Oversized,
    #[error("a Records message with no record")]
    Empty,
    #[error("not a Records message")]
    NotRecords,
    #[error("an empty message, or one of unknown tag {0}")]
    UnknownTag(u8),
    #[error("a record's JSON: {0}")]
    Json(String),
}

/// Appends postcard output to a Vec we keep (postcard's own Vec flavors want to own it).
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }
    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Fills one Records message at a time. The agent's sink pushes each record; when one does
/// not fit, the message so far comes back to be sent, and the record starts the next one.
#[derive(Debug)]
pub struct BatchEncoder {
    buf: Vec<u8>,
    /// (offset, length) in `buf` of the strings defined so far: their id is the index.
    syms: Vec<(u32, u32)>,
    records: usize,
}

impl Default for BatchEncoder {
    fn default() -> Self {
        BatchEncoder::new()
    }
}

impl BatchEncoder {
    pub fn new() -> BatchEncoder {
        BatchEncoder {
            buf: Vec::new(),
            syms: Vec::with_capacity(ENCODER_SYMBOLS),
            records: 0,
        }
    }

    /// Records in the message being filled.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Bytes of the message being filled.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The message cannot take another record: send it now ([`BatchEncoder::take`]). True
    /// also for a single record larger than a fragment, which travels alone.
    pub fn is_full(&self) -> bool {
        // Within a few bytes of the end no record fits (the smallest, a lost, is 3 bytes; an
        // event is dozens): sending now saves a failed encode of the next record.
        self.buf.len() + 8 > BATCH_MAX
    }

    /// Adds `r`. Returns the previous message when `r` did not fit in it: send that first.
    pub fn push(&mut self, r: &Record) -> Option<Vec<u8>> {
        if self.buf.is_empty() {
            self.buf.reserve(BATCH_MAX);
            self.buf.push(RECORDS);
        }
        let (mark, sym_mark) = (self.buf.len(), self.syms.len());
        self.encode(r);
        if self.buf.len() <= BATCH_MAX || self.records == 0 {
            self.records += 1;
            return None;
        }
        // Undo and start the next message with it (with its own string ids).
        self.buf.truncate(mark);
        self.syms.truncate(sym_mark);
        let full = self.take();
        self.buf.reserve(BATCH_MAX);
        self.buf.push(RECORDS);
        self.encode(r);
        self.records = 1;
        full
    }

    /// The message so far, if it holds a record; the next push starts a new one.
    pub fn take(&mut self) -> Option<Vec<u8>> {
        if self.records == 0 {
            return None;
        }
        self.records = 0;
        self.syms.clear();
        Some(std::mem::take(&mut self.buf))
    }

    fn put<T: Serialize + ?Sized>(&mut self, v: &T) {
        // Primitives and strings into memory: postcard has no error to report for these.
        postcard::serialize_with_flavor::<T, _, ()>(v, Append(&mut self.buf))
            .expect("postcard writes primitives to memory");
    }

    fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    fn sym(&mut self, s: &str) {
        let b = s.as_bytes();
        let buf = &self.buf;
        let found = self.syms.iter().position(|&(at, len)| {
            len as usize == b.len() && &buf[at as usize..at as usize + b.len()] == b
        });
        if let Some(id) = found {
            self.put(&(id as u32 + S_REF));
            return;
        }
        self.put(&S_NEW);
        self.put(&(b.len() as u32));
        let at = self.buf.len();
        self.buf.extend_from_slice(b);
        // Offsets fit u32: a message is at most what the sender can queue (≈73 MB).
        if self.syms.len() < ENCODER_SYMBOLS {
            if let (Ok(at), Ok(len)) = (u32::try_from(at), u32::try_from(b.len())) {
                self.syms.push((at, len));
            }
        }
    }

    fn opt_sym(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.sym(s),
            None => self.put(&S_NONE),
        }
    }

    fn fields(&mut self, f: &Fields) {
        self.put(&(f.0.len() as u32));
        for (name, value) in &f.0 {
            self.sym(name);
            match value {
                FieldValue::Int(v) => {
                    self.byte(V_INT);
                    self.put(v);
                }
                FieldValue::UInt(v) => {
                    self.byte(V_UINT);
                    self.put(v);
                }
                FieldValue::Str(s) => {
                    self.byte(V_STR);
                    self.sym(s);
                }
            }
        }
    }

    fn encode(&mut self, r: &Record) {
        match r {
            Record::Event(e) => {
                self.byte(EVENT);
                self.sym(&e.comm);
                self.put(&e.pid);
                self.put(&e.tgid);
                self.put(&e.cpu);
                self.opt_sym(e.flags.as_deref());
                self.put(&e.timestamp);
                self.sym(&e.event);
                self.opt_sym(e.probe.as_deref());
                self.opt_sym(e.payload.as_deref());
                self.fields(&e.fields);
            }
            Record::Stack(s) => {
                self.byte(STACK);
                self.sym(&s.comm);
                self.put(&s.pid);
                self.put(&s.cpu);
                self.put(&s.timestamp);
                self.put(&(s.frames.len() as u32));
                for f in &s.frames {
                    self.sym(f);
                }
            }
            Record::Lost(l) => {
                self.byte(LOST);
                self.put(&l.cpu);
                self.put(&l.count);
            }
            Record::Span(s) => {
                self.byte(SPAN);
                self.sym(&s.comm);
                self.put(&s.pid);
                self.put(&s.cpu);
                self.put(&s.timestamp);
                self.sym(&s.name);
                self.put(&s.duration_us);
                self.put(&s.depth);
                self.fields(&s.fields);
            }
            other => {
                self.byte(JSON);
                // Our own plain data to memory: serde_json cannot fail on it.
                let json = serde_json::to_string(other).expect("serialising to memory");
                self.put(json.as_str());
            }
        }
    }
}

mod decode;

pub use decode::{decode, RecordBuf};

#[cfg(test)]
mod tests;
