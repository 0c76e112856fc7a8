//! `/etc/ld.so.cache`: the dynamic linker's list of libraries (soname → path), as glibc's
//! `ldconfig` writes it, parsed without trusting it.
//!
//! Two layouts exist (glibc `sysdeps/generic/dl-cache.h`): the old `ld.so-1.7.0` table, and
//! the new `glibc-ld.so.cache1.1` one, which glibc 2.32+ writes alone and older glibc appended
//! after the old table. Every offset and count is checked against the file's length; a string
//! must end with a NUL inside the file. A file that does not parse is an error, never a panic.

use std::path::Path;

/// Read no more of a cache than this (real ones are tens of KiB).
pub const MAX_CACHE_BYTES: u64 = 16 << 20;
/// Longest soname or path taken from a cache.
const MAX_STRING: usize = 4096;

const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
/// `sizeof(struct cache_file)`: the 11-byte magic padded to 4, then `nlibs`.
const OLD_HEADER: usize = 16;
/// `sizeof(struct file_entry)`: flags, key, value.
const OLD_ENTRY: usize = 12;
/// `sizeof(struct cache_file_new)`.
const NEW_HEADER: usize = 48;
/// `sizeof(struct file_entry_new)`: flags, key, value, osversion, hwcap.
const NEW_ENTRY: usize = 24;

/// One library of the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The soname (`libc.so.6`).
    pub name: String,
    /// Where it is (`/lib/x86_64-linux-gnu/libc.so.6`).
    pub path: String,
    /// ldconfig's flags: the ELF class and architecture (`FLAG_X8664_LIB64` = 0x0303).
    pub flags: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("not an ld.so.cache (unknown magic)")]
    Magic,
    #[error("ld.so.cache is truncated or inconsistent: {0}")]
    Corrupt(&'static str),
}

/// Parses a cache file's bytes.
pub fn parse(data: &[u8]) -> Result<Vec<CacheEntry>, CacheError> {
    if data.starts_with(NEW_MAGIC) {
        return parse_new(data);
    }
    if !data.starts_with(OLD_MAGIC) {
        return Err(CacheError::Magic);
    }
    let nlibs = u32_at(data, 12, false).ok_or(CacheError::Corrupt("old header"))? as usize;
    let table_end = nlibs
        .checked_mul(OLD_ENTRY)
        .and_then(|n| n.checked_add(OLD_HEADER))
        .filter(|&n| n <= data.len())
        .ok_or(CacheError::Corrupt("old entry count"))?;
    // The new table follows the old one, aligned to 8 (`ALIGN_CACHE`).
    let new_at = table_end.next_multiple_of(8);
    if data.get(new_at..).is_some_and(|d| d.starts_with(NEW_MAGIC)) {
        return parse_new(&data[new_at..]);
    }
    // Old layout alone: string offsets count from the end of the entry table.
    let strings = &data[table_end..];
    (0..nlibs)
        .map(|i| {
            let at = OLD_HEADER + i * OLD_ENTRY;
            let flags = u32_at(data, at, false).ok_or(CacheError::Corrupt("old entry"))? as i32;
            let key = u32_at(data, at + 4, false).ok_or(CacheError::Corrupt("old entry"))?;
            let value = u32_at(data, at + 8, false).ok_or(CacheError::Corrupt("old entry"))?;
            Ok(CacheEntry {
                name: string_at(strings, key)?,
                path: string_at(strings, value)?,
                flags,
            })
        })
        .collect()
}

/// The new layout; `data` starts at its magic, and its string offsets count from there.
fn parse_new(data: &[u8]) -> Result<Vec<CacheEntry>, CacheError> {
    if data.len() < NEW_HEADER {
        return Err(CacheError::Corrupt("new header"));
    }
    // Byte 28: 0 unknown (assume ours), 2 little-endian, 3 big-endian (`cache_file_new.flags`).
    let big = match data[28] & 3 {
        2 => false,
        3 => true,
        0 => cfg!(target_endian = "big"),
        _ => return Err(CacheError::Corrupt("endianness flag")),
    };
    let nlibs = u32_at(data, 20, big).ok_or(CacheError::Corrupt("new header"))? as usize;
    nlibs
        .checked_mul(NEW_ENTRY)
        .and_then(|n| n.checked_add(NEW_HEADER))
        .filter(|&n| n <= data.len())
        .ok_or(CacheError::Corrupt("new entry count"))?;
    (0..nlibs)
        .map(|i| {
            let at = NEW_HEADER + i * NEW_ENTRY;
            let bad = CacheError::Corrupt("new entry");
            let flags = u32_at(data, at, big).ok_or(bad.clone())? as i32;
            let key = u32_at(data, at + 4, big).ok_or(bad.clone())?;
            let value = u32_at(data, at + 8, big).ok_or(bad)?;
            Ok(CacheEntry {
                name: string_at(data, key)?,
                path: string_at(data, value)?,
                flags,
            })
        })
        .collect()
}

fn u32_at(data: &[u8], at: usize, big: bool) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// The NUL-terminated UTF-8 string at `off`.
fn string_at(data: &[u8], off: u32) -> Result<String, CacheError> {
    let rest = data
        .get(off as usize..)
        .ok_or(CacheError::Corrupt("string offset"))?;
    let len = rest
        .iter()
        .take(MAX_STRING + 1)
        .position(|&b| b == 0)
        .ok_or(CacheError::Corrupt("unterminated string"))?;
    std::str::from_utf8(&rest[..len])
        .map(str::to_string)
        .map_err(|_| CacheError::Corrupt("string not UTF-8"))
}

/// Reads and parses the cache at `path` (at most [`MAX_CACHE_BYTES`]).
pub fn read(path: &Path) -> std::io::Result<Result<Vec<CacheEntry>, CacheError>> {
    use std::io::Read;
    let mut data = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CACHE_BYTES)
        .read_to_end(&mut data)?;
    Ok(parse(&data))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CACHE: &str = "/etc/ld.so.cache";

    fn real() -> Vec<u8> {
        std::fs::read(CACHE).expect("this machine's /etc/ld.so.cache (glibc's ldconfig writes it)")
    }

    /// `ldconfig -p` is glibc's own reader of the same file: `libc.so.6 (libc6,x86-64) =>
    /// /lib/x86_64-linux-gnu/libc.so.6`. Our parse must list exactly its pairs.
    #[test]
    fn the_machines_cache_reads_as_ldconfig_reads_it() {
        let ours = parse(&real()).unwrap();
        assert!(!ours.is_empty());
        let ldconfig = ["/sbin/ldconfig", "/usr/sbin/ldconfig"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("ldconfig (libc-bin) on this machine");
        let out = std::process::Command::new(ldconfig)
            .arg("-p")
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut theirs: Vec<(String, String)> = text
            .lines()
            .skip(1)
            .filter_map(|l| {
                let (left, path) = l.split_once(" => ")?;
                let name = left.trim().split(" (").next()?;
                Some((name.to_string(), path.trim().to_string()))
            })
            .collect();
        let mut mine: Vec<(String, String)> = ours
            .iter()
            .map(|e| (e.name.clone(), e.path.clone()))
            .collect();
        theirs.sort();
        mine.sort();
        assert_eq!(mine, theirs);
        // And libc is among them, as a file that exists.
        let libc = ours.iter().find(|e| e.name == "libc.so.6").unwrap();
        assert!(Path::new(&libc.path).exists(), "{libc:?}");
    }

    #[test]
    fn every_cut_and_every_flipped_byte_is_an_error_or_a_parse() {
        let data = real();
        for n in (0..data.len()).step_by(7) {
            let _ = parse(&data[..n]);
        }
        assert!(parse(&data[..NEW_HEADER - 1]).is_err());
        let mut d = data.clone();
        for i in (0..d.len().min(4096)).step_by(3) {
            d[i] ^= 0xff;
            let _ = parse(&d);
            d[i] ^= 0xff;
        }
    }

    #[test]
    fn hostile_counts_and_offsets_are_refused() {
        let mut h = NEW_MAGIC.to_vec();
        h.resize(NEW_HEADER, 0);
        h[28] = 2;
        assert_eq!(parse(&h).unwrap(), vec![]);
        // Four billion entries in 48 bytes.
        h[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse(&h), Err(CacheError::Corrupt("new entry count")));
        // One entry whose strings are past the end, then one without a NUL.
        let mut one = h.clone();
        one[20..24].copy_from_slice(&1u32.to_le_bytes());
        one.extend_from_slice(&[3, 3, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0]);
        one.extend_from_slice(&[0; 12]);
        assert_eq!(parse(&one), Err(CacheError::Corrupt("string offset")));
        let at = NEW_HEADER + 4;
        one[at..at + 4].copy_from_slice(&(NEW_HEADER as u32 + 12).to_le_bytes());
        one.extend_from_slice(b"libx.so");
        let last = one.len() - 7;
        one[NEW_HEADER + 8..NEW_HEADER + 12].copy_from_slice(&(last as u32).to_le_bytes());
        assert_eq!(parse(&one), Err(CacheError::Corrupt("unterminated string")));
        assert_eq!(parse(b"garbage"), Err(CacheError::Magic));
        // The old layout with a count larger than the file.
        let mut old = OLD_MAGIC.to_vec();
        old.resize(OLD_HEADER, 0);
        old[12..16].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(parse(&old), Err(CacheError::Corrupt("old entry count")));
    }

    #[test]
    fn the_old_layout_alone() {
        // Built as glibc's ldconfig -c old wrote it: header, entries, then strings.
        let mut d = OLD_MAGIC.to_vec();
        d.resize(OLD_HEADER, 0);
        d[12..16].copy_from_slice(&1u32.to_le_bytes());
        d.extend_from_slice(&0x0303u32.to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&10u32.to_le_bytes());
        d.extend_from_slice(b"libz.so.1\0/lib/libz.so.1\0");
        let e = parse(&d).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].name.as_str(), e[0].path.as_str(), e[0].flags),
            ("libz.so.1", "/lib/libz.so.1", 0x0303)
        );
    }
}
