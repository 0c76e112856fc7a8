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

use serde::{Deserialize, Serialize};

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

/// Records decoded from messages, kept for reuse: the client fills the same records' strings
/// again for the next message instead of allocating new ones, once the sink has seen them.
#[derive(Debug, Default)]
pub struct RecordBuf {
    records: Vec<Record>,
    len: usize,
    /// False once it held a message longer than a fragment: its strings may be large, so it
    /// is not kept for reuse.
    reusable: bool,
}

impl RecordBuf {
    pub fn new() -> RecordBuf {
        RecordBuf {
            records: Vec::new(),
            len: 0,
            reusable: true,
        }
    }

    pub fn as_slice(&self) -> &[Record] {
        &self.records[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties it, keeping the records' memory for the next decode.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Whether to keep it for reuse (it never held a record larger than a fragment).
    pub fn reusable(&self) -> bool {
        self.reusable
    }

    /// Gives the records away (a sink that keeps them), leaving it empty.
    pub fn drain(&mut self) -> impl Iterator<Item = Record> + '_ {
        let n = std::mem::take(&mut self.len);
        self.records.drain(..n)
    }

    /// Appends a record made elsewhere (a loss count).
    pub fn push(&mut self, r: Record) {
        self.records.truncate(self.len);
        self.records.push(r);
        self.len += 1;
    }

    /// The next slot to fill: a record kept from before, or a new one.
    fn slot(&mut self) -> &mut Record {
        if self.len == self.records.len() {
            self.records.push(Record::Lost(Lost {
                cpu: None,
                count: None,
            }));
        }
        self.len += 1;
        &mut self.records[self.len - 1]
    }
}

/// Reads one message's items: postcard values one after another, with the message's strings.
struct Reader<'a> {
    rest: &'a [u8],
    table: Vec<&'a str>,
    budget: usize,
}

impl<'a> Reader<'a> {
    fn take<T: Deserialize<'a>>(&mut self) -> Result<T, DecodeError> {
        let (v, rest) = postcard::take_from_bytes(self.rest).map_err(|_| DecodeError::Malformed)?;
        self.rest = rest;
        Ok(v)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&b, rest) = self.rest.split_first().ok_or(DecodeError::Malformed)?;
        self.rest = rest;
        Ok(b)
    }

    fn spend(&mut self, n: usize) -> Result<(), DecodeError> {
        self.budget = self.budget.checked_sub(n).ok_or(DecodeError::Budget)?;
        Ok(())
    }

    fn opt_sym(&mut self) -> Result<Option<&'a str>, DecodeError> {
        let code: u32 = self.take()?;
        let s = match code {
            S_NONE => return Ok(None),
            S_NEW => {
                // Borrowed from the message: postcard checks the length against the bytes
                // there and the UTF-8, and copies nothing.
                let s: &'a str = self.take()?;
                if self.table.len() < MAX_SYMBOLS {
                    self.table.push(s);
                }
                s
            }
            n => *self
                .table
                .get((n - S_REF) as usize)
                .ok_or(DecodeError::BadRef(n))?,
        };
        self.spend(s.len())?;
        Ok(Some(s))
    }

    fn sym(&mut self) -> Result<&'a str, DecodeError> {
        self.opt_sym()?.ok_or(DecodeError::MissingString)
    }

    /// A count of items that each take at least one byte: more than the bytes left is a lie,
    /// caught before anything is reserved for it.
    fn count(&mut self, item_cost: usize) -> Result<usize, DecodeError> {
        let n: u32 = self.take()?;
        let n_usize = n as usize;
        if n_usize > self.rest.len() {
            return Err(DecodeError::Count(n));
        }
        self.spend(n_usize.saturating_mul(item_cost))?;
        Ok(n_usize)
    }

    fn fields(&mut self, out: &mut Fields) -> Result<(), DecodeError> {
        let n = self.count(std::mem::size_of::<(String, FieldValue)>())?;
        let v = &mut out.0;
        v.truncate(n);
        for i in 0..n {
            let name = self.sym()?;
            let value = match self.byte()? {
                V_INT => Value::Int(self.take()?),
                V_UINT => Value::UInt(self.take()?),
                V_STR => Value::Str(self.sym()?),
                other => return Err(DecodeError::UnknownValue(other)),
            };
            match (v.get_mut(i), value) {
                (Some((k, FieldValue::Str(old))), Value::Str(s)) => {
                    set(k, name);
                    set(old, s);
                }
                (Some((k, old)), value) => {
                    set(k, name);
                    *old = value.owned();
                }
                (None, value) => v.push((name.to_string(), value.owned())),
            }
        }
        Ok(())
    }

    fn item(&mut self, slot: &mut Record) -> Result<(), DecodeError> {
        self.spend(std::mem::size_of::<Record>())?;
        match self.byte()? {
            EVENT => {
                if !matches!(slot, Record::Event(_)) {
                    *slot = Record::Event(empty_event());
                }
                let Record::Event(e) = slot else {
                    return Err(DecodeError::Malformed);
                };
                set(&mut e.comm, self.sym()?);
                e.pid = self.take()?;
                e.tgid = self.take()?;
                e.cpu = self.take()?;
                set_opt(&mut e.flags, self.opt_sym()?);
                e.timestamp = self.take()?;
                set(&mut e.event, self.sym()?);
                set_opt(&mut e.probe, self.opt_sym()?);
                set_opt(&mut e.payload, self.opt_sym()?);
                self.fields(&mut e.fields)
            }
            STACK => {
                if !matches!(slot, Record::Stack(_)) {
                    *slot = Record::Stack(Stack {
                        comm: String::new(),
                        pid: 0,
                        cpu: 0,
                        timestamp: 0.0,
                        frames: Vec::new(),
                    });
                }
                let Record::Stack(s) = slot else {
                    return Err(DecodeError::Malformed);
                };
                set(&mut s.comm, self.sym()?);
                s.pid = self.take()?;
                s.cpu = self.take()?;
                s.timestamp = self.take()?;
                let n = self.count(std::mem::size_of::<String>())?;
                s.frames.truncate(n);
                for i in 0..n {
                    let f = self.sym()?;
                    match s.frames.get_mut(i) {
                        Some(old) => set(old, f),
                        None => s.frames.push(f.to_string()),
                    }
                }
                Ok(())
            }
            LOST => {
                *slot = Record::Lost(Lost {
                    cpu: self.take()?,
                    count: self.take()?,
                });
                Ok(())
            }
            SPAN => {
                let comm = self.sym()?.to_string();
                let pid = self.take()?;
                let cpu = self.take()?;
                let timestamp = self.take()?;
                let name = self.sym()?.to_string();
                let duration_us = self.take()?;
                let depth = self.take()?;
                let mut fields = Fields::default();
                self.fields(&mut fields)?;
                *slot = Record::Span(Span {
                    comm,
                    pid,
                    cpu,
                    timestamp,
                    name,
                    duration_us,
                    depth,
                    fields,
                });
                Ok(())
            }
            JSON => {
                let text: &str = self.take()?;
                // serde_json allocates in proportion to the text, which the message holds.
                self.spend(text.len())?;
                *slot = serde_json::from_str(text).map_err(|e| DecodeError::Json(e.to_string()))?;
                Ok(())
            }
            other => Err(DecodeError::UnknownKind(other)),
        }
    }
}

/// A field value as read, borrowing the message.
enum Value<'a> {
    Int(i64),
    UInt(u64),
    Str(&'a str),
}

impl Value<'_> {
    fn owned(self) -> FieldValue {
        match self {
            Value::Int(v) => FieldValue::Int(v),
            Value::UInt(v) => FieldValue::UInt(v),
            Value::Str(s) => FieldValue::Str(s.to_string()),
        }
    }
}

fn empty_event() -> Event {
    Event {
        comm: String::new(),
        pid: 0,
        tgid: None,
        cpu: 0,
        flags: None,
        timestamp: 0.0,
        event: String::new(),
        probe: None,
        fields: Fields::default(),
        payload: None,
    }
}

/// Refills a string in place (its memory is reused when large enough).
fn set(dst: &mut String, s: &str) {
    dst.clear();
    dst.push_str(s);
}

fn set_opt(dst: &mut Option<String>, s: Option<&str>) {
    match (dst.as_mut(), s) {
        (Some(d), Some(s)) => set(d, s),
        (None, Some(s)) => *dst = Some(s.to_string()),
        (_, None) => *dst = None,
    }
}

/// Decodes a whole Records message (tag included) onto the end of `out`. On an error `out`
/// keeps what it held before (the records of this message are dropped again).
pub fn decode(message: &[u8], out: &mut RecordBuf) -> Result<(), DecodeError> {
    let Some((&RECORDS, body)) = message.split_first() else {
        return Err(DecodeError::NotRecords);
    };
    if body.is_empty() {
        return Err(DecodeError::Empty);
    }
    let start = out.len;
    let long = message.len() > BATCH_MAX;
    if long {
        out.reusable = false;
    }
    let mut r = Reader {
        rest: body,
        table: Vec::new(),
        budget: BUDGET_MIN.max(message.len().saturating_mul(BUDGET_PER_BYTE)),
    };
    let result = (|| {
        while !r.rest.is_empty() {
            if long && out.len > start {
                return Err(DecodeError::Oversized);
            }
            let slot = out.slot();
            r.item(slot)?;
        }
        Ok(())
    })();
    if result.is_err() {
        out.len = start;
    }
    result
}

#[cfg(test)]
mod tests;
