//! One ring-buffer page: its header and its events (`kernel/trace/ring_buffer.c`).
//!
//! The page header's `commit` holds the length of the event data in its low bits and two flags
//! that `ring_buffer_read_page` sets on the way out: bit 31 (`RB_MISSED_EVENTS`) when events
//! were lost before this page, bit 30 (`RB_MISSED_STORED`) when the number lost also fits after
//! the data, as a `long` at `data[len]`. Those two bits are the kernel's ABI (trace-cmd's
//! kbuffer hard-codes them too); the page description files do not mention them.
//!
//! Events follow as a 32-bit header (`type_len` in the low bits, `time_delta` above) and a
//! payload; timestamps are the page's plus the running sum of deltas, as the kernel's own
//! reader (`rb_update_read_stamp`) computes them: a time extend adds `array[0] << 27 | delta`,
//! an absolute timestamp (5.x+) replaces the running value, padding adds nothing.

use std::ops::Range;

use super::layout::{EventHeaderLayout, PageLayout};
use super::{RawError, Result};

const MISSED_EVENTS: u64 = 1 << 31;
const MISSED_STORED: u64 = 1 << 30;
/// The commit bits below the flags: the data length.
const COMMIT_LEN: u64 = MISSED_STORED - 1;

/// Events lost before a page, as its header tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missed {
    None,
    /// Lost, but the page had no room after the data for the count.
    Unknown,
    Count(u64),
}

/// A page's header and its data, borrowed from the page buffer.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The time of the page's first event, before its delta.
    pub timestamp: u64,
    /// The raw `commit` word, flags included.
    pub commit: u64,
    pub missed: Missed,
    /// The event data: exactly `commit`'s length.
    data: &'a [u8],
    header: EventHeaderLayout,
}

impl<'a> Page<'a> {
    /// Reads the header of one page (`bytes` is what one read of `trace_pipe_raw` gave).
    pub fn parse(layout: &PageLayout, bytes: &'a [u8]) -> Result<Page<'a>> {
        if bytes.len() < layout.page_size {
            return Err(RawError::ShortPage {
                len: bytes.len(),
                need: layout.page_size,
            });
        }
        let timestamp = read_uint(bytes, layout.timestamp_offset, 8).unwrap_or(0);
        let commit = read_uint(bytes, layout.commit_offset, layout.commit_size).unwrap_or(0);
        let max = layout.data_size();
        let len = (commit & COMMIT_LEN) as usize;
        if len > max {
            return Err(RawError::CommitTooLarge { commit, len, max });
        }
        let data_area = bytes
            .get(layout.data_offset..layout.page_size)
            .unwrap_or_default();
        let missed = if commit & MISSED_EVENTS == 0 {
            Missed::None
        } else if commit & MISSED_STORED == 0 {
            Missed::Unknown
        } else {
            Missed::Count(
                read_uint(data_area, len, layout.commit_size)
                    .ok_or(RawError::MissedOutOfPage { len })?,
            )
        };
        Ok(Page {
            timestamp,
            commit,
            missed,
            data: &data_area[..len],
            header: layout.header,
        })
    }

    /// Bytes of event data.
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    pub fn events(&self) -> PageEvents<'a> {
        PageEvents {
            data: self.data,
            cursor: Cursor::new(self.timestamp),
            header: self.header,
        }
    }
}

/// One data event: its time and its payload (the record the event's `format` describes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEvent<'a> {
    pub ts: u64,
    pub payload: &'a [u8],
}

/// The events of a page, in order. After an error it ends: the rest of a page whose event
/// lengths cannot be trusted cannot be found.
#[derive(Debug, Clone)]
pub struct PageEvents<'a> {
    data: &'a [u8],
    cursor: Cursor,
    header: EventHeaderLayout,
}

impl<'a> Iterator for PageEvents<'a> {
    type Item = Result<RawEvent<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let r = self.cursor.next(self.data, &self.header)?;
        Some(r.map(|(ts, range)| RawEvent {
            ts,
            // The cursor checked the range against this same data.
            payload: self.data.get(range).unwrap_or_default(),
        }))
    }
}

/// Where the walk through a page's data stands; holds no borrow, so the CPU merge can keep one
/// beside the page buffer it walks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    pos: usize,
    ts: u64,
    done: bool,
}

impl Cursor {
    pub(crate) fn new(timestamp: u64) -> Cursor {
        Cursor {
            pos: 0,
            ts: timestamp,
            done: false,
        }
    }

    pub(crate) fn finished() -> Cursor {
        Cursor {
            pos: 0,
            ts: 0,
            done: true,
        }
    }

    /// The next data event's timestamp and payload range in `data`, skipping time and padding
    /// entries; `None` at the end of the data.
    #[inline]
    pub(crate) fn next(
        &mut self,
        data: &[u8],
        h: &EventHeaderLayout,
    ) -> Option<Result<(u64, Range<usize>)>> {
        if self.done {
            return None;
        }
        let r = self.step(data, h);
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }

    fn step(&mut self, data: &[u8], h: &EventHeaderLayout) -> Option<Result<(u64, Range<usize>)>> {
        let type_mask = (1u32 << h.type_len_bits) - 1;
        loop {
            let at = self.pos;
            if at >= data.len() {
                return None;
            }
            let bad = |why| Some(Err(RawError::BadEvent { offset: at, why }));
            let Some(word) = read_u32(data, at) else {
                return bad("header cut off by the end of the data");
            };
            let type_len = word & type_mask;
            let delta = u64::from(word >> h.type_len_bits);
            if type_len == 0 {
                // A long event: array[0] is its length in bytes, itself included.
                let Some(len) = read_u32(data, at + 4) else {
                    return bad("length word cut off");
                };
                let Some(payload_len) = (len as usize).checked_sub(4) else {
                    return bad("length shorter than its own word");
                };
                let start = at + 8;
                let Some(end) = start.checked_add(payload_len).filter(|&e| e <= data.len()) else {
                    return bad("payload runs past the data");
                };
                self.pos = start + round4(payload_len);
                self.ts = self.ts.wrapping_add(delta);
                return Some(Ok((self.ts, start..end)));
            } else if type_len <= h.data_max {
                let start = at + 4;
                let end = start + type_len as usize * 4;
                if end > data.len() {
                    return bad("payload runs past the data");
                }
                self.pos = end;
                self.ts = self.ts.wrapping_add(delta);
                return Some(Ok((self.ts, start..end)));
            } else if type_len == h.padding {
                if delta == 0 {
                    // The null event: the rest of the page is padding.
                    return None;
                }
                // A discarded event: array[0] is its length after the header word.
                let Some(len) = read_u32(data, at + 4) else {
                    return bad("padding length cut off");
                };
                match (at + 4).checked_add(len as usize) {
                    Some(next) if next <= data.len() => self.pos = next,
                    _ => return bad("padding runs past the data"),
                }
            } else if type_len == h.time_extend || type_len == h.time_stamp {
                let Some(array) = read_u32(data, at + 4) else {
                    return bad("time word cut off");
                };
                let t = (u64::from(array) << h.delta_bits).wrapping_add(delta);
                self.ts = if type_len == h.time_extend {
                    self.ts.wrapping_add(t)
                } else {
                    fix_abs(t, self.ts, h.delta_bits + 32)
                };
                self.pos = at + 8;
            } else {
                return bad("type_len of no known kind");
            }
        }
    }
}

/// An absolute timestamp holds only the low `bits` (59) bits: the top ones come from the
/// running time, one wrap further when that makes time go back (`rb_fix_abs_ts`).
fn fix_abs(abs: u64, running: u64, bits: u32) -> u64 {
    if bits >= 64 {
        return abs;
    }
    let msb = !((1u64 << bits) - 1);
    if running & msb == 0 {
        return abs;
    }
    let t = abs | (running & msb);
    if t < running {
        t.wrapping_add(1u64 << bits)
    } else {
        t
    }
}

fn round4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

#[inline]
fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// A native-endian unsigned integer of 1, 2, 4 or 8 bytes at `at`.
#[inline]
pub(crate) fn read_uint(b: &[u8], at: usize, size: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(size)?)?;
    Some(match size {
        1 => u64::from(s[0]),
        2 => u64::from(u16::from_ne_bytes([s[0], s[1]])),
        4 => u64::from(u32::from_ne_bytes([s[0], s[1], s[2], s[3]])),
        8 => u64::from_ne_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]),
        _ => return None,
    })
}
