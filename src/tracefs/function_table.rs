//! The kernel's function records, numbered as `available_filter_functions` lists them, kept
//! between runs; and what the numbers buy. Since Linux 5.1 a `set_ftrace_filter` token of
//! digits selects the record on that line of `available_filter_functions` (counting from 1),
//! found by walking the record pages. A glob instead makes the kernel look up the name of every
//! record (about 50,000 kallsyms lookups): 70–100 ms of a 0.1 s profiler run under TCG. So when
//! the list is kept and the pattern is a plain glob, the filter is written as indexes and read
//! back; only if the read-back names differ from the ones selected (a module came or went) is
//! the list dropped and the glob written instead.

use std::path::PathBuf;

use super::error::Result;
use super::ftrace_filter::glob_match;
use super::Tracefs;

mod sorted;

/// More indexes than this cost more in write(2)s (the kernel takes one token per write) than
/// the glob costs in lookups.
pub const MAX_INDEXES: usize = 1000;

/// What `available_filter_functions` read: one entry per line, so entry N-1 is index N. A line
/// the kernel could not name reads as `__ftrace_invalid_address___N` (6.0+) or empty.
#[derive(Debug, Clone)]
pub struct FunctionTable {
    text: String,
}

/// The indexes of a pattern's functions and their names, as the kernel reads them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Filter tokens: record numbers, in kernel order.
    pub indexes: Vec<String>,
    /// The selected records' names, sorted (a name the kernel has twice appears twice).
    pub names: Vec<String>,
}

impl FunctionTable {
    /// From `available_filter_functions` (the ` [module]` suffixes are dropped) or a kept list.
    pub fn parse(text: &str) -> FunctionTable {
        let mut kept = String::with_capacity(text.len());
        for line in text.lines() {
            kept.push_str(line.split_whitespace().next().unwrap_or(""));
            kept.push('\n');
        }
        FunctionTable { text: kept }
    }

    fn records(&self) -> impl Iterator<Item = &str> {
        self.text.lines()
    }

    /// Whether the kernel can trace a function of this name.
    pub fn contains(&self, name: &str) -> bool {
        !name.is_empty() && self.records().any(|n| n == name)
    }

    /// Each traceable name once, in kernel order (no unnamed records).
    pub fn names(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.records()
            .filter(|n| !n.is_empty() && !is_unnamed(n))
            .filter(|n| seen.insert(*n))
            .map(str::to_string)
            .collect()
    }

    /// The records `tokens` select, if every token is a plain name or glob the kernel would
    /// match against names alone (no `!`, no `:mod:` or commands, no digits first), together
    /// they select between 1 and [`MAX_INDEXES`] records, and none of them is unnamed.
    pub fn select(&self, tokens: &[String]) -> Option<Selection> {
        if !plain(tokens) {
            return None;
        }
        let mut sel = Selection {
            indexes: Vec::new(),
            names: Vec::new(),
        };
        // Each token's literal start (before any wildcard) is searched for as a line start:
        // this runs over some 60,000 names on every run, and a substring search is about nine
        // times faster than matching line by line (TCG makes every instruction count).
        let tokens: Vec<(&str, &str)> = tokens.iter().map(|t| (t.as_str(), literal(t))).collect();
        let text = self.text.as_str();
        let bytes = text.as_bytes();
        let starts: Vec<usize> = if tokens.iter().any(|(_, literal)| literal.is_empty()) {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
                .filter(|&i| i < bytes.len())
                .collect()
        } else {
            let mut v = Vec::new();
            for (_, literal) in &tokens {
                if text.starts_with(literal) {
                    v.push(0);
                }
                let needle = format!("\n{literal}");
                v.extend(memchr::memmem::find_iter(bytes, needle.as_bytes()).map(|i| i + 1));
            }
            v.sort_unstable();
            v.dedup();
            v
        };
        // Line numbers from the newlines between one candidate and the next.
        let (mut line, mut at) = (0usize, 0usize);
        for start in starts {
            line += memchr::memchr_iter(b'\n', &bytes[at..start]).count();
            at = start;
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |e| start + e);
            let name = &text[start..end];
            let hit = tokens
                .iter()
                .any(|&(t, literal)| match literal.len() == t.len() {
                    true => name == t,
                    false => name.starts_with(literal) && glob_match(t, name),
                });
            if !hit {
                continue;
            }
            if name.is_empty() || is_unnamed(name) || sel.indexes.len() == MAX_INDEXES {
                return None;
            }
            sel.indexes.push((line + 1).to_string());
            sel.names.push(name.to_string());
        }
        sel.names.sort_unstable();
        (!sel.indexes.is_empty()).then_some(sel)
    }
}

/// What a token starts with before its first wildcard.
fn literal(token: &str) -> &str {
    &token[..token.find(['*', '?', '[']).unwrap_or(token.len())]
}

/// Whether the plain token list `tokens` could be said as indexes (see
/// [`FunctionTable::select`]): the same test, before anything is read.
fn plain(tokens: &[String]) -> bool {
    let plain = |t: &String| {
        !t.is_empty()
            && !t.starts_with(|c: char| c == '!' || c.is_ascii_digit())
            && !t.contains(|c: char| c == ':' || c.is_whitespace())
    };
    !tokens.is_empty() && tokens.iter().all(plain)
}

fn is_unnamed(name: &str) -> bool {
    name.starts_with("__ftrace_invalid_address__")
}

/// The running kernel's function table: kept in the lock directory (root's alone) per boot id
/// and loaded modules, read from the kernel and kept on first use. A tree that is not the
/// running kernel's tracefs is always read. The kernel builds `available_filter_functions` on
/// every read, 0.15–0.95 s under TCG; the kept list reads in milliseconds.
pub fn table(t: &Tracefs) -> Result<FunctionTable> {
    table_kept_at(t, cache_path(t))
}

/// [`table`], kept at `cache` (the running kernel's, from [`cache_path`]).
fn table_kept_at(t: &Tracefs, cache: Option<PathBuf>) -> Result<FunctionTable> {
    let Some(cache) = cache else {
        return Ok(FunctionTable::parse(&t.read("available_filter_functions")?));
    };
    if let Ok(text) = super::lockdir::read_small(&cache, CACHE_CAP) {
        if !text.is_empty() {
            let table = FunctionTable { text };
            // Kept by a version without the sorted file.
            let sorted = sorted_path(&cache);
            if !sorted.exists() {
                let _ = super::lockdir::write_replace(&sorted, &sorted::build(&table.text));
            }
            return Ok(table);
        }
    }
    let table = FunctionTable::parse(&t.read("available_filter_functions")?);
    if let Some(dir) = cache.parent() {
        forget_in(dir);
    }
    let _ = super::lockdir::write_replace(&cache, table.text.as_bytes());
    let _ = super::lockdir::write_replace(&sorted_path(&cache), &sorted::build(&table.text));
    Ok(table)
}

/// What [`FunctionTable::select`] selects for `tokens`, found in the kept table's sorted file
/// when every token has a literal start: a few kilobytes read instead of the whole table.
/// Falls back to the whole table (read from the kernel and kept on the first run of a boot)
/// only where the sorted file cannot answer.
pub fn select(t: &Tracefs, tokens: &[String]) -> Option<Selection> {
    if !plain(tokens) {
        return None;
    }
    let cache = cache_path(t);
    if let Some(c) = &cache {
        let with_literals: Vec<(&str, &str)> =
            tokens.iter().map(|t| (t.as_str(), literal(t))).collect();
        if let Ok(mut f) = super::lockdir::open_existing(&sorted_path(c), false) {
            match sorted::select(&mut f, &with_literals) {
                sorted::Lookup::Selected(sel) => return Some(sel),
                sorted::Lookup::NotByIndex => return None,
                sorted::Lookup::Unanswered => {}
            }
        }
    }
    table_kept_at(t, cache).ok()?.select(tokens)
}

/// The sorted file beside a kept table (`records-KEY` → `sorted-KEY`).
fn sorted_path(records: &std::path::Path) -> PathBuf {
    let name = records
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .replacen(CACHE_PREFIXES[0], CACHE_PREFIXES[2], 1)
        })
        .unwrap_or_default();
    records.with_file_name(name)
}

/// Each traceable function once, in kernel order, from the kept table.
pub fn available_functions_cached(t: &Tracefs) -> Result<Vec<String>> {
    Ok(table(t)?.names())
}

/// Drops every kept table (another boot's, other modules', or one the kernel contradicted).
pub fn forget(t: &Tracefs) {
    if let Some(dir) = cache_path(t).and_then(|c| c.parent().map(PathBuf::from)) {
        forget_in(&dir);
    }
}

fn forget_in(dir: &std::path::Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        if CACHE_PREFIXES.iter().any(|p| n.starts_with(p)) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// `records-` holds one line per record, `sorted-` the same sorted by name ([`sorted`]);
/// `functions-` (before indexes were used) held each name once and is only ever removed.
const CACHE_PREFIXES: [&str; 3] = ["records-", "functions-", "sorted-"];
/// Far above any kernel's list (Debian's 6.12: about 60,000 records, 1.5 MB).
const CACHE_CAP: u64 = 16 << 20;

fn cache_path(t: &Tracefs) -> Option<PathBuf> {
    if !t.is_running_kernels() {
        return None;
    }
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let modules = std::fs::read_to_string("/proc/modules").unwrap_or_default();
    let key = cache_key(boot.trim(), &modules);
    Some(
        super::lockdir::lock_dir()
            .ok()?
            .join(format!("{}{key}", CACHE_PREFIXES[0])),
    )
}

/// The boot id and a hash (FNV-1a: stable across builds) of the loaded modules' names in the
/// order /proc/modules lists them: the kernel numbers a module's records after those loaded
/// before it, so the same modules loaded in another order number differently.
fn cache_key(boot_id: &str, proc_modules: &str) -> String {
    let names: Vec<&str> = proc_modules
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in names.join(" ").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let boot: String = boot_id.chars().filter(char::is_ascii_hexdigit).collect();
    format!("{boot}-{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn indexes_count_every_line_from_one() {
        // Real lines (Debian 12's 6.1), an unnamed record, an empty line, a module's function
        // and a name the kernel has twice.
        let text = include_str!("../../tests/fixtures/debian/available_filter_functions.head.txt");
        let head = text.lines().count();
        let t = FunctionTable::parse(&format!(
            "{text}__ftrace_invalid_address___64\n\nvfs_read\nvfs_write\next4_read [ext4]\nvfs_read\n"
        ));
        let sel = t.select(&strings(&["vfs_*"])).unwrap();
        assert_eq!(
            sel.indexes,
            vec![
                (head + 3).to_string(),
                (head + 4).to_string(),
                (head + 6).to_string()
            ]
        );
        assert_eq!(sel.names, strings(&["vfs_read", "vfs_read", "vfs_write"]));
        let sel = t.select(&strings(&["ext4_read", "vfs_write"])).unwrap();
        assert_eq!(sel.indexes.len(), 2);
        assert_eq!(sel.names, strings(&["ext4_read", "vfs_write"]));
        // Names once, in order, no unnamed records.
        let names = t.names();
        assert_eq!(names.iter().filter(|n| *n == "vfs_read").count(), 1);
        assert!(!names.iter().any(|n| n.is_empty() || is_unnamed(n)));
        assert!(names.iter().any(|n| n == "do_one_initcall"));
    }

    #[test]
    fn what_indexes_cannot_say_goes_to_the_kernel_as_written() {
        let t = FunctionTable::parse("vfs_read\n__ftrace_invalid_address___8\n\nvfs_write\n");
        // Negation, modules, commands, digits, nothing matched, unnamed records.
        for tokens in [
            vec!["!vfs_read"],
            vec!["vfs_read:mod:ext4"],
            vec!["*:mod:ext4"],
            vec!["vfs_read:traceoff"],
            vec!["12"],
            vec!["nothing_*"],
            vec!["*"],
            vec!["__ftrace*"],
            vec![],
        ] {
            assert_eq!(t.select(&strings(&tokens)), None, "{tokens:?}");
        }
        assert!(t.select(&strings(&["vfs_*"])).is_some());
        let many: String = (0..=MAX_INDEXES).map(|i| format!("f{i}\n")).collect();
        let t = FunctionTable::parse(&many);
        assert_eq!(t.select(&strings(&["f*"])), None, "over the limit");
        // f1, f10–f19, f100–f199, f1000.
        assert_eq!(t.select(&strings(&["f1*"])).unwrap().indexes.len(), 112);
    }

    #[test]
    fn the_table_is_kept_per_boot_and_module_order() {
        let a = cache_key("0b5e-1f", "ext4 1 0 - Live\nvirtio 2 1 - Live\n");
        assert_eq!(
            a,
            cache_key("0b5e-1f", "ext4 9 3 - Live\nvirtio 2 0 - Live\n")
        );
        assert_ne!(
            a,
            cache_key("0b5e-1f", "virtio 2 1 - Live\next4 1 0 - Live\n")
        );
        assert_ne!(
            a,
            cache_key("0b5e-20", "ext4 1 0 - Live\nvirtio 2 1 - Live\n")
        );
        assert_ne!(a, cache_key("0b5e-1f", "ext4 1 0 - Live\n"));
        assert!(a.starts_with("0b5e1f-"), "{a}");
        // A tree that is not the running kernel's is never kept.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("available_filter_functions"), "vfs_read\n").unwrap();
        let t = Tracefs::at(dir.path());
        assert!(cache_path(&t).is_none());
        assert_eq!(available_functions_cached(&t).unwrap(), vec!["vfs_read"]);
    }
}
