//! An event's payload, decoded with its `format` file (TRACEFS.md section 8).
//!
//! Each field's `format` line becomes a [`FieldDecoder`] once, when the event is added to the
//! [`EventTable`]; decoding a record then only reads bytes at known offsets and hands out
//! [`Value`]s that borrow from the page, so it allocates nothing.
//!
//! Field kinds, from the declared type and size:
//! - integers of 1, 2, 4 and 8 bytes, signed or not (`common_*`, `int`, `u64`, pointers, the
//!   kprobe `__probe_ip`, `unsigned long`);
//! - `char name[N]`: a string of at most N bytes, cut at its first NUL;
//! - other fixed arrays (`u8 a[4]`, `unsigned long args[6]`): integers of size / N bytes each;
//! - `__data_loc T[] name`: a u32 `len << 16 | offset`, the offset counted from the start of
//!   the record; `__rel_loc T[] name` (5.18+): the same, counted from the end of the field.
//!   `char` elements are a string, others integers; a length of 0 is what a kprobe string
//!   fetch that faulted stores (its text is `(fault)`): [`Value::Absent`];
//! - anything else (a struct, an odd size): its bytes.

use super::page::read_uint;
use super::{RawError, Result};
use crate::tracefs::format::{self, EventFormat, FormatField};

/// How one field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Int {
        size: u8,
        signed: bool,
    },
    /// `char[N]`.
    Chars,
    /// A fixed array of integers of `elem` bytes.
    Array {
        elem: u8,
        signed: bool,
    },
    /// `__data_loc` (`rel`: `__rel_loc`) of `char`.
    DynString {
        rel: bool,
    },
    /// `__data_loc` / `__rel_loc` of integers of `elem` bytes (1 for byte arrays).
    DynArray {
        rel: bool,
        elem: u8,
        signed: bool,
    },
    Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecoder {
    pub name: String,
    /// The declared type, as the format file has it.
    pub ty: String,
    pub offset: usize,
    pub size: usize,
    pub kind: FieldKind,
}

impl FieldDecoder {
    pub fn new(f: &FormatField) -> FieldDecoder {
        FieldDecoder {
            name: f.name.clone(),
            ty: f.ty.clone(),
            offset: f.offset as usize,
            size: f.size as usize,
            kind: kind_of(f),
        }
    }

    /// This field of `data` (a record), or `None` when the record is too short for it.
    #[inline]
    pub fn decode<'a>(&self, data: &'a [u8]) -> Option<Value<'a>> {
        let raw = data.get(self.offset..self.offset.checked_add(self.size)?)?;
        Some(match self.kind {
            FieldKind::Int { size, signed } => {
                let v = read_uint(raw, 0, size as usize)?;
                if signed {
                    Value::I64(sign_extend(v, size))
                } else {
                    Value::U64(v)
                }
            }
            FieldKind::Chars => Value::Str(until_nul(raw)),
            FieldKind::Array { elem, signed } => Value::Ints(IntArray {
                bytes: raw,
                elem,
                signed,
            }),
            FieldKind::Bytes => Value::Bytes(raw),
            FieldKind::DynString { rel } | FieldKind::DynArray { rel, .. } => {
                let loc = read_uint(raw, 0, 4)?;
                let len = (loc >> 16) as usize;
                // `__rel_loc` counts from the end of the field (checked above).
                let base = if rel { self.offset + self.size } else { 0 };
                let start = base + (loc & 0xffff) as usize;
                if len == 0 {
                    return Some(Value::Absent);
                }
                let bytes = data.get(start..start + len)?;
                match self.kind {
                    FieldKind::DynArray { elem, signed, .. } => Value::Ints(IntArray {
                        bytes: &bytes[..bytes.len() - bytes.len() % usize::from(elem.max(1))],
                        elem,
                        signed,
                    }),
                    _ => Value::Str(until_nul(bytes)),
                }
            }
        })
    }
}

/// Bytes of an element type named in a declaration, on a 64-bit kernel; `None`: unknown.
fn type_size(ty: &str) -> Option<u8> {
    let t = ty.trim().trim_start_matches("const ").trim();
    if t.ends_with('*') {
        return Some(8);
    }
    Some(match t {
        "char" | "signed char" | "unsigned char" | "u8" | "s8" | "__u8" | "__s8" | "bool" => 1,
        "short" | "unsigned short" | "u16" | "s16" | "__u16" | "__s16" => 2,
        "int" | "unsigned int" | "unsigned" | "u32" | "s32" | "__u32" | "__s32" | "pid_t" => 4,
        "long" | "unsigned long" | "long long" | "unsigned long long" | "u64" | "s64" | "__u64"
        | "__s64" | "size_t" | "ssize_t" | "loff_t" => 8,
        _ => return None,
    })
}

fn is_char(ty: &str) -> bool {
    matches!(ty.trim().trim_start_matches("const ").trim(), "char")
}

fn kind_of(f: &FormatField) -> FieldKind {
    let ty = f.ty.trim();
    for (prefix, rel) in [("__data_loc ", false), ("__rel_loc ", true)] {
        if let Some(elem) = ty.strip_prefix(prefix) {
            if f.size != 4 {
                return FieldKind::Bytes;
            }
            let elem = elem.trim().trim_end_matches("[]");
            if is_char(elem) {
                return FieldKind::DynString { rel };
            }
            return match type_size(elem) {
                Some(e) => FieldKind::DynArray {
                    rel,
                    elem: e,
                    signed: f.signed,
                },
                // A dynamic array of structs: its bytes.
                None => FieldKind::DynArray {
                    rel,
                    elem: 1,
                    signed: false,
                },
            };
        }
    }
    if let Some((elem, dim)) = ty.split_once('[') {
        let n: u32 = dim.trim_end_matches(']').trim().parse().unwrap_or(0);
        if is_char(elem) {
            return FieldKind::Chars;
        }
        if n > 0 && f.size.is_multiple_of(n) {
            if let e @ (1 | 2 | 4 | 8) = f.size / n {
                return FieldKind::Array {
                    elem: e as u8,
                    signed: f.signed,
                };
            }
        }
        return FieldKind::Bytes;
    }
    match f.size {
        1 | 2 | 4 | 8 => FieldKind::Int {
            size: f.size as u8,
            signed: f.signed,
        },
        _ => FieldKind::Bytes,
    }
}

fn sign_extend(v: u64, size: u8) -> i64 {
    let shift = 64 - u32::from(size) * 8;
    ((v << shift) as i64) >> shift
}

fn until_nul(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// A decoded field, borrowing from the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    U64(u64),
    I64(i64),
    /// A string's bytes up to its first NUL (the kernel does not promise UTF-8).
    Str(&'a [u8]),
    /// A dynamic field with no data: what a faulted kprobe fetch leaves.
    Absent,
    Ints(IntArray<'a>),
    Bytes(&'a [u8]),
}

impl Value<'_> {
    /// An integer value as u64 (signed ones two's complement), `None` for others.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U64(v) => Some(v),
            Value::I64(v) => Some(v as u64),
            _ => None,
        }
    }
}

/// Integers of `elem` bytes, native-endian, in `bytes` (a whole number of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntArray<'a> {
    pub bytes: &'a [u8],
    pub elem: u8,
    pub signed: bool,
}

impl IntArray<'_> {
    pub fn len(&self) -> usize {
        self.bytes.len() / usize::from(self.elem.max(1))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i`, sign-extended when signed (as u64 bits).
    pub fn get(&self, i: usize) -> Option<u64> {
        let e = usize::from(self.elem);
        let v = read_uint(self.bytes, i.checked_mul(e)?, e)?;
        Some(if self.signed {
            sign_extend(v, self.elem) as u64
        } else {
            v
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// One event type: its name, id and field decoders.
#[derive(Debug, Clone)]
pub struct EventDecoder {
    pub name: String,
    pub id: u32,
    /// The `common_*` fields, then the event's own, in format order.
    pub fields: Vec<FieldDecoder>,
    /// How many of `fields` are `common_*`.
    pub common: usize,
    pid: Option<usize>,
    flags: Option<usize>,
    preempt: Option<usize>,
}

impl EventDecoder {
    pub fn new(f: &EventFormat) -> EventDecoder {
        let fields: Vec<FieldDecoder> = f
            .common
            .iter()
            .chain(f.fields.iter())
            .map(FieldDecoder::new)
            .collect();
        let at = |name: &str| fields.iter().position(|d| d.name == name);
        EventDecoder {
            name: f.name.clone(),
            id: f.id,
            common: f.common.len(),
            pid: at("common_pid"),
            flags: at("common_flags"),
            preempt: at("common_preempt_count"),
            fields,
        }
    }

    /// The event's own fields (after `common_*`).
    pub fn own_fields(&self) -> &[FieldDecoder] {
        self.fields.get(self.common..).unwrap_or_default()
    }
}

/// The events a reader expects, looked up by the `common_type` that starts each record.
#[derive(Debug, Clone, Default)]
pub struct EventTable {
    /// Where `common_type` is: the same in every event (they share `struct trace_entry`).
    id_field: Option<(usize, usize)>,
    events: Vec<EventDecoder>,
}

impl EventTable {
    pub fn new() -> EventTable {
        EventTable::default()
    }

    /// Adds an event from the text of its `format` file.
    pub fn add_format(&mut self, text: &str) -> Result<&EventDecoder> {
        let f = format::parse(text).ok_or_else(|| RawError::Format {
            event: String::new(),
            why: "not a format file".into(),
        })?;
        self.add(&f)
    }

    pub fn add(&mut self, f: &EventFormat) -> Result<&EventDecoder> {
        let bad = |why: String| RawError::Format {
            event: f.name.clone(),
            why,
        };
        let ty = f
            .common
            .iter()
            .find(|c| c.name == "common_type")
            .ok_or_else(|| bad("no common_type field".into()))?;
        if !matches!(ty.size, 1 | 2 | 4 | 8) {
            return Err(bad(format!("common_type of {} bytes", ty.size)));
        }
        let at = (ty.offset as usize, ty.size as usize);
        match self.id_field {
            Some(prev) if prev != at => {
                return Err(bad(
                    "common_type is not where the other events have it".into()
                ))
            }
            _ => self.id_field = Some(at),
        }
        self.events.retain(|e| e.id != f.id);
        self.events.push(EventDecoder::new(f));
        Ok(&self.events[self.events.len() - 1])
    }

    pub fn events(&self) -> &[EventDecoder] {
        &self.events
    }

    pub fn get(&self, id: u32) -> Option<&EventDecoder> {
        self.events.iter().find(|e| e.id == id)
    }

    /// The record `payload` (a [`super::RawEvent`]'s) as an event of this table.
    #[inline]
    pub fn record<'a>(&self, payload: &'a [u8]) -> Result<Record<'a, '_>> {
        let (off, size) = self.id_field.unwrap_or((0, 2));
        let id = read_uint(payload, off, size).ok_or(RawError::BadEvent {
            offset: 0,
            why: "record shorter than its common_type",
        })?;
        // A handful of events per reader: a scan beats hashing.
        match self.events.iter().find(|e| u64::from(e.id) == id) {
            Some(event) => Ok(Record {
                event,
                data: payload,
            }),
            None => Err(RawError::UnknownEvent(id)),
        }
    }
}

/// One record and the decoder of its event.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a, 'd> {
    pub event: &'d EventDecoder,
    pub data: &'a [u8],
}

impl<'a, 'd> Record<'a, 'd> {
    fn int_at(&self, i: Option<usize>) -> Option<u64> {
        self.event.fields.get(i?)?.decode(self.data)?.as_u64()
    }

    pub fn pid(&self) -> Option<i32> {
        self.int_at(self.event.pid).map(|v| v as i32)
    }

    pub fn common_flags(&self) -> Option<u8> {
        self.int_at(self.event.flags).map(|v| v as u8)
    }

    pub fn preempt_count(&self) -> Option<u8> {
        self.int_at(self.event.preempt).map(|v| v as u8)
    }

    /// Field `i` of the event's decoders (common ones first).
    #[inline]
    pub fn field(&self, i: usize) -> Result<Value<'a>> {
        let d = self
            .event
            .fields
            .get(i)
            .ok_or_else(|| self.outside("#index"))?;
        d.decode(self.data).ok_or_else(|| self.outside(&d.name))
    }

    /// The field called `name` (a scan of the decoders: for tests and one-off lookups).
    pub fn get(&self, name: &str) -> Result<Value<'a>> {
        match self.event.fields.iter().position(|d| d.name == name) {
            Some(i) => self.field(i),
            None => Err(self.outside(name)),
        }
    }

    /// The kprobe's probed address (`__probe_ip`), for kprobe events.
    pub fn probe_ip(&self) -> Option<u64> {
        self.get("__probe_ip").ok()?.as_u64()
    }

    /// Every field with its name, common ones first.
    pub fn fields(&self) -> impl Iterator<Item = (&'d str, Result<Value<'a>>)> + '_ {
        (0..self.event.fields.len()).map(move |i| {
            let name = self.event.fields[i].name.as_str();
            (name, self.field(i))
        })
    }

    fn outside(&self, field: &str) -> RawError {
        RawError::FieldOutOfBounds {
            event: self.event.name.clone(),
            field: field.to_string(),
            len: self.data.len(),
        }
    }
}
