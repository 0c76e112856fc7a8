//! The client's half of the Records format (see the parent module): decoding into records
//! kept for reuse, with every bound checked before it costs memory.

use serde::Deserialize;

use super::*;

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
                    *slot = Record::Event(Event::empty());
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
