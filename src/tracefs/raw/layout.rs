//! Where things are in a ring-buffer page, as the kernel describes it.
//!
//! `events/header_page` (the page header, `ring_buffer_print_page_header`):
//! ```text
//!     field: u64 timestamp;   offset:0;   size:8;     signed:0;
//!     field: local_t commit;  offset:8;   size:8;     signed:1;
//!     field: int overwrite;   offset:8;   size:1;     signed:1;
//!     field: char data;       offset:16;  size:4080;  signed:1;
//! ```
//! `events/header_event` (the 32-bit event header, `ring_buffer_print_entry_header`):
//! ```text
//! # compressed entry header
//!     type_len    :    5 bits
//!     time_delta  :   27 bits
//!     array       :   32 bits
//!
//!     padding     : type == 29
//!     time_extend : type == 30
//!     time_stamp : type == 31
//!     data max type_len  == 28
//! ```
//! The page size is the data's offset plus its size; `commit` is a `long`, so its size also
//! tells how wide the missed-events count after the data is.

use super::{RawError, Result};
use crate::tracefs::format;

/// Pages larger than this are refused: the biggest sub-buffer the kernel allows is far smaller,
/// and a page buffer is allocated at this size (a hostile header_page must not pick it).
const MAX_PAGE: usize = 1 << 24;

/// The event header's bit fields and special `type_len` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeaderLayout {
    /// Width of `type_len`, the low bits of the header word (5).
    pub type_len_bits: u32,
    /// Width of `time_delta`, the rest of the word (27).
    pub delta_bits: u32,
    pub padding: u32,
    pub time_extend: u32,
    pub time_stamp: u32,
    /// The largest `type_len` of a data event (28): its payload is `type_len * 4` bytes.
    pub data_max: u32,
}

impl EventHeaderLayout {
    pub fn parse(text: &str) -> Result<EventHeaderLayout> {
        let bad = |why: String| RawError::HeaderEvent(why);
        let (mut type_len, mut delta, mut array) = (None, None, None);
        let (mut padding, mut extend, mut stamp, mut max) = (None, None, None, None);
        for line in text.lines() {
            let t = line.trim();
            if let Some(v) = t.strip_prefix("data max type_len") {
                max = Some(number_after(v, "==").ok_or_else(|| bad(format!("bad line {t:?}")))?);
                continue;
            }
            let Some((key, value)) = t.split_once(':') else {
                continue;
            };
            let value = value.trim();
            let slot = match key.trim() {
                "type_len" => &mut type_len,
                "time_delta" => &mut delta,
                "array" => &mut array,
                "padding" => &mut padding,
                "time_extend" => &mut extend,
                "time_stamp" => &mut stamp,
                _ => continue,
            };
            let n = if let Some(bits) = value.strip_suffix("bits") {
                bits.trim().parse().ok()
            } else {
                number_after(value, "==")
            };
            *slot = Some(n.ok_or_else(|| bad(format!("bad line {t:?}")))?);
        }
        let need = |v: Option<u32>, name: &str| v.ok_or_else(|| bad(format!("no {name} line")));
        let h = EventHeaderLayout {
            type_len_bits: need(type_len, "type_len")?,
            delta_bits: need(delta, "time_delta")?,
            padding: need(padding, "padding")?,
            time_extend: need(extend, "time_extend")?,
            time_stamp: need(stamp, "time_stamp")?,
            data_max: need(max, "data max type_len")?,
        };
        // The decoder reads a 32-bit header and a 32-bit array word; anything else is a
        // layout this code has never seen, and guessing would misread every event.
        if h.type_len_bits == 0 || h.type_len_bits + h.delta_bits != 32 {
            return Err(bad(format!(
                "type_len {} + time_delta {} bits is not one 32-bit word",
                h.type_len_bits, h.delta_bits
            )));
        }
        if array != Some(32) {
            return Err(bad("the array word is not 32 bits".into()));
        }
        let limit = 1u32 << h.type_len_bits;
        if [h.padding, h.time_extend, h.time_stamp, h.data_max]
            .iter()
            .any(|&v| v >= limit)
            || h.data_max >= h.padding.min(h.time_extend).min(h.time_stamp)
        {
            return Err(bad("type values do not fit type_len".into()));
        }
        Ok(h)
    }
}

/// `" type == 29"` → 29.
fn number_after(s: &str, sep: &str) -> Option<u32> {
    s.split_once(sep)?.1.trim().parse().ok()
}

/// The page header and the event header, from the kernel's description of both.
///
/// Only [`PageLayout::parse`] makes one, so its offsets are always inside its page: the page
/// decoder relies on that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLayout {
    pub(crate) page_size: usize,
    pub(crate) timestamp_offset: usize,
    pub(crate) commit_offset: usize,
    pub(crate) commit_size: usize,
    pub(crate) data_offset: usize,
    pub(crate) header: EventHeaderLayout,
}

impl PageLayout {
    /// Parses `events/header_page` and `events/header_event`.
    pub fn parse(header_page: &str, header_event: &str) -> Result<PageLayout> {
        let bad = |why: String| RawError::HeaderPage(why);
        let fields =
            format::parse_fields(header_page).ok_or_else(|| bad("no field lines".into()))?;
        let find = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| bad(format!("no {name} field")))
        };
        let ts = find("timestamp")?;
        let commit = find("commit")?;
        let data = find("data")?;
        if ts.size != 8 {
            return Err(bad(format!("timestamp is {} bytes, not 8", ts.size)));
        }
        if commit.size != 4 && commit.size != 8 {
            return Err(bad(format!("commit is {} bytes, not 4 or 8", commit.size)));
        }
        let (ts_off, commit_off) = (ts.offset as usize, commit.offset as usize);
        let data_off = data.offset as usize;
        let page_size = data_off
            .checked_add(data.size as usize)
            .ok_or_else(|| bad("the page size overflows".into()))?;
        if ts_off + 8 > data_off || commit_off + commit.size as usize > data_off {
            return Err(bad("the header fields overlap the data".into()));
        }
        if data.size < 8 || page_size > MAX_PAGE {
            return Err(bad(format!("a page of {page_size} bytes")));
        }
        Ok(PageLayout {
            page_size,
            timestamp_offset: ts_off,
            commit_offset: commit_off,
            commit_size: commit.size as usize,
            data_offset: data_off,
            header: EventHeaderLayout::parse(header_event)?,
        })
    }

    /// Bytes per page (per read of `trace_pipe_raw`): data offset plus data size.
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    pub fn timestamp_offset(&self) -> usize {
        self.timestamp_offset
    }

    pub fn commit_offset(&self) -> usize {
        self.commit_offset
    }

    /// 8 on 64-bit kernels, 4 on 32-bit: also the width of the stored missed count.
    pub fn commit_size(&self) -> usize {
        self.commit_size
    }

    pub fn data_offset(&self) -> usize {
        self.data_offset
    }

    pub fn header(&self) -> EventHeaderLayout {
        self.header
    }

    /// Bytes of event data a page can hold.
    pub fn data_size(&self) -> usize {
        self.page_size - self.data_offset
    }
}
