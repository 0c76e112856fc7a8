//! The kept table sorted by name, with a fence of block starts, so that a glob with a literal
//! start (`vfs_*`, `tcp_send*`) reads a few kilobytes instead of the whole table. Under TCG,
//! reading and searching all of a kernel's 50,000–60,000 records cost 35–45 ms of a 0.3 s
//! profiler run, more than the kernel's own work for the filter.
//!
//! The file is text: a first line `lktrace-sorted 1 FENCE_BYTES`, then FENCE_BYTES of fence
//! lines `OFFSET NAME` (the first name of each block of about [`BLOCK`] bytes of body, and where
//! the block starts in the body), then the body: `NAME INDEX` for every named record, sorted by
//! name (bytes), then index. Names the kernel has twice are there twice, with their two indexes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};

use super::{is_unnamed, Selection, MAX_INDEXES};
use crate::tracefs::ftrace_filter::glob_match;

const MAGIC: &str = "lktrace-sorted 1";
/// Body bytes per fence line: a lookup reads one or two blocks per token.
const BLOCK: usize = 4096;
/// Longer than any line the kernel can make (KSYM_NAME_LEN is 512, then the index): a longer
/// one means the file is not ours.
const MAX_LINE: usize = 1024;
/// Far above any fence (Debian's 6.12: about 400 lines, 12 KB).
const MAX_FENCE: u64 = 4 << 20;

/// The sorted file of a table's records (one name per line, in kernel order).
pub(super) fn build(records: &str) -> Vec<u8> {
    let mut rows: Vec<(&str, usize)> = records
        .lines()
        .enumerate()
        .filter(|(_, n)| !n.is_empty())
        .map(|(i, n)| (n, i + 1))
        .collect();
    rows.sort_unstable();
    let (mut fence, mut body) = (String::new(), String::new());
    let mut block_start = 0;
    for (k, (name, index)) in rows.iter().enumerate() {
        if k == 0 || body.len() - block_start >= BLOCK {
            block_start = body.len();
            let _ = writeln!(fence, "{block_start} {name}");
        }
        let _ = writeln!(body, "{name} {index}");
    }
    format!("{MAGIC} {}\n{fence}{body}", fence.len()).into_bytes()
}

/// What the sorted file says of a token list.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Lookup {
    /// What [`super::FunctionTable::select`] selects.
    Selected(Selection),
    /// The selection is not one indexes can say (an unnamed record, nothing, more than
    /// [`MAX_INDEXES`]): the whole table would say `None` too.
    NotByIndex,
    /// Only the whole table can say: a token has no literal start, or the file does not read
    /// as one of ours.
    Unanswered,
}

/// [`super::FunctionTable::select`] of `tokens` (each with its literal start), read from the
/// sorted file.
pub(super) fn select(f: &mut (impl Read + Seek), tokens: &[(&str, &str)]) -> Lookup {
    if tokens.is_empty() || tokens.iter().any(|(_, literal)| literal.is_empty()) {
        return Lookup::Unanswered;
    }
    match read_selection(f, tokens) {
        Ok(Some(sel)) => Lookup::Selected(sel),
        Ok(None) => Lookup::NotByIndex,
        Err(NotOurs) => Lookup::Unanswered,
    }
}

/// The file does not read as a sorted table.
struct NotOurs;

impl From<std::str::Utf8Error> for NotOurs {
    fn from(_: std::str::Utf8Error) -> NotOurs {
        NotOurs
    }
}

/// The selection, `None` when indexes cannot say it.
fn read_selection(
    f: &mut (impl Read + Seek),
    tokens: &[(&str, &str)],
) -> Result<Option<Selection>, NotOurs> {
    let head = read_at(f, 0, 64)?;
    let head_len = head.iter().position(|&b| b == b'\n').ok_or(NotOurs)? + 1;
    let fence_len: u64 = std::str::from_utf8(&head[..head_len - 1])?
        .strip_prefix(MAGIC)
        .and_then(|n| n.trim().parse().ok())
        .ok_or(NotOurs)?;
    if fence_len > MAX_FENCE {
        return Err(NotOurs);
    }
    let fence_bytes = read_at(
        f,
        head_len as u64,
        usize::try_from(fence_len).map_err(|_| NotOurs)?,
    )?;
    let fence: Vec<(u64, &str)> = std::str::from_utf8(&fence_bytes)?
        .lines()
        .map(|l| {
            let (offset, name) = l.split_once(' ')?;
            Some((offset.parse().ok()?, name))
        })
        .collect::<Option<_>>()
        .ok_or(NotOurs)?;
    let body = head_len as u64 + fence_len;
    let mut picked: BTreeMap<u64, String> = BTreeMap::new();
    for &(token, literal) in tokens {
        // Names starting with the literal are one run of the sorted body; it starts in the last
        // block whose first name sorts before the literal (or the first block).
        let block = fence
            .partition_point(|(_, name)| *name < literal)
            .saturating_sub(1);
        let mut at = body + fence.first().map_or(0, |_| fence[block].0);
        let mut carry: Vec<u8> = Vec::new();
        'lines: loop {
            let chunk = read_at(f, at, 2 * BLOCK)?;
            if chunk.is_empty() {
                break;
            }
            at += chunk.len() as u64;
            carry.extend_from_slice(&chunk);
            let complete = carry.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            for line in carry[..complete].split(|&b| b == b'\n') {
                if line.is_empty() {
                    continue;
                }
                let (name, index) = std::str::from_utf8(line)?.split_once(' ').ok_or(NotOurs)?;
                if name < literal {
                    continue;
                }
                if !name.starts_with(literal) {
                    break 'lines;
                }
                let hit = match literal.len() == token.len() {
                    true => name == token,
                    false => glob_match(token, name),
                };
                if !hit {
                    continue;
                }
                if is_unnamed(name) {
                    return Ok(None);
                }
                picked.insert(index.parse().map_err(|_| NotOurs)?, name.to_string());
                if picked.len() > MAX_INDEXES {
                    return Ok(None);
                }
            }
            carry.drain(..complete);
            if carry.len() > MAX_LINE {
                return Err(NotOurs);
            }
        }
    }
    if picked.is_empty() {
        return Ok(None);
    }
    let indexes = picked.keys().map(u64::to_string).collect();
    let mut names: Vec<String> = picked.into_values().collect();
    names.sort_unstable();
    Ok(Some(Selection { indexes, names }))
}

/// Up to `len` bytes at `offset` (fewer at the end of the file).
fn read_at(f: &mut (impl Read + Seek), offset: u64, len: usize) -> Result<Vec<u8>, NotOurs> {
    f.seek(SeekFrom::Start(offset)).map_err(|_| NotOurs)?;
    let mut buf = Vec::with_capacity(len);
    f.take(len as u64)
        .read_to_end(&mut buf)
        .map_err(|_| NotOurs)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::super::FunctionTable;
    use super::*;

    fn tokens(v: &[&'static str]) -> Vec<(&'static str, &'static str)> {
        v.iter()
            .map(|t| (*t, &t[..t.find(['*', '?', '[']).unwrap_or(t.len())]))
            .collect()
    }

    /// The sorted file selects exactly what the whole table selects, for every kind of token,
    /// on a table large enough for many blocks (real names of Debian 12's 6.1 first).
    #[test]
    fn the_sorted_file_selects_what_the_table_selects() {
        let head =
            include_str!("../../../tests/fixtures/debian/available_filter_functions.head.txt");
        let mut text = String::from(head);
        for i in 0..3000 {
            let _ = writeln!(text, "fn_{:04}_{}", (i * 7919) % 3000, i % 3);
        }
        text.push_str(
            "vfs_read\nvfs_write\n__ftrace_invalid_address___64\n\nvfs_read\nvfs_readv\n",
        );
        let table = FunctionTable::parse(&text);
        let file = build(&table.text);
        let first = std::str::from_utf8(&file).unwrap().lines().next().unwrap();
        assert!(first.starts_with(MAGIC));
        let mut found = 0;
        for t in [
            vec!["vfs_*"],
            vec!["vfs_read"],
            vec!["vfs_read", "vfs_*"],
            vec!["fn_1*"],
            vec!["fn_29*_2", "fn_0000_0"],
            vec!["fn_1?3*", "do_one_initcall"],
            vec!["fn_[12]00*"],
            vec!["nothing_*"],
            vec!["__ftrace*"],
            vec!["fn_*"],
        ] {
            let strings: Vec<String> = t.iter().map(|s| s.to_string()).collect();
            let want = table.select(&strings);
            let got = match select(&mut std::io::Cursor::new(&file), &tokens(&t)) {
                Lookup::Selected(sel) => Some(sel),
                Lookup::NotByIndex => None,
                Lookup::Unanswered => panic!("{t:?}: every token has a literal start"),
            };
            assert_eq!(got, want, "{t:?}");
            found += usize::from(got.is_some());
        }
        assert_eq!(found, 7, "the first seven token lists select something");
        // Every record from one token: the whole table must be looked at.
        assert_eq!(
            select(&mut std::io::Cursor::new(&file), &tokens(&["*read"])),
            Lookup::Unanswered
        );
        // Over the limit.
        assert!(table.select(&["fn_*".to_string()]).is_none());
    }

    #[test]
    fn a_file_that_is_not_ours_selects_nothing() {
        for junk in [
            &b""[..],
            b"lktrace-sorted 2 0\nvfs_read 1\n",
            b"lktrace-sorted 1 99999999999\n",
            b"lktrace-sorted 1 4\n0 v\nvfs_read x\n",
        ] {
            let got = select(&mut std::io::Cursor::new(junk), &tokens(&["vfs_*"]));
            assert_eq!(
                got,
                Lookup::Unanswered,
                "{:?}",
                String::from_utf8_lossy(junk)
            );
        }
    }
}
