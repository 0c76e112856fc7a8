//! `set_ftrace_filter` and `available_filter_functions`.
//!
//! Two kernel facts shape this file. An empty filter means *every* function, so a filter is
//! only ever built from a non-empty list ([`FilterList`] cannot be empty) and read back before a
//! tracer or profiler is switched on. And the kernel takes one token per write step, failing
//! the whole write at the first token that matches nothing, so we write one token per write(2)
//! and report the token that failed.

use std::path::Path;

use super::error::{Error, Result};
use super::function_table;
use super::Tracefs;

/// What an empty `set_ftrace_filter` reads back as.
pub const ALL_FUNCTIONS: &str = "#### all functions enabled ####";

/// A non-empty list of filter tokens: exact names or kernel globs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterList(Vec<String>);

impl FilterList {
    pub fn new(tokens: Vec<String>) -> Option<FilterList> {
        let tokens: Vec<String> = tokens
            .into_iter()
            .filter(|t| !t.trim().is_empty())
            .collect();
        (!tokens.is_empty()).then_some(FilterList(tokens))
    }

    pub fn tokens(&self) -> &[String] {
        &self.0
    }
}

/// Names in `available_filter_functions`, without the ` [module]` suffix, in kernel order,
/// duplicates kept once.
pub fn available_functions(t: &Tracefs) -> Result<Vec<String>> {
    let text = t.read("available_filter_functions")?;
    Ok(function_table::FunctionTable::parse(&text).names())
}

/// The kernel's glob (`glob_match` in lib/glob.c): `*`, `?`, `[abc]`, `[a-z]`, `[!a]`/`[^a]`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p = pattern.as_bytes();
    let n = name.as_bytes();
    let (mut pi, mut ni) = (0usize, 0usize);
    let (mut star_p, mut star_n) = (usize::MAX, 0usize);
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star_p = pi;
                    star_n = ni;
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = match_class(p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == b'[' {
                        // An unterminated class is a literal '[' (as in lib/glob.c).
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        if star_p == usize::MAX {
            return false;
        }
        pi = star_p + 1;
        star_n += 1;
        ni = star_n;
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Matches one byte against the class starting at `p[start] == '['`.
/// Returns (matched, index after the class), or `None` when the class is unterminated.
fn match_class(p: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            let hi = p[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// True when the pattern uses glob syntax rather than naming one function.
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// The traceable functions a pattern selects, in kernel order.
pub fn matching<'a>(names: &'a [String], pattern: &str) -> Vec<&'a str> {
    names
        .iter()
        .map(String::as_str)
        .filter(|n| glob_match(pattern, n))
        .collect()
}

/// The plain function entries of a filter file (no triggers, no "all functions" banner).
pub fn parse_filter(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        // Triggers (`func:traceoff:unlimited`) are not cleared by truncation and are not ours.
        .filter(|l| !l.contains(':'))
        .map(|l| l.split_whitespace().next().unwrap_or(l).to_string())
        .collect()
}

/// Replaces the filter file at `rel` (top level or an instance's) with `list` in one open
/// and close (the kernel matches globs itself and patches code once, at close), and returns
/// the functions it selects as the kernel reads them back: never empty, since an empty filter
/// means every function.
pub fn set(t: &Tracefs, rel: &Path, list: &FilterList) -> Result<Vec<String>> {
    if let Some(now) = set_by_index(t, rel, list)? {
        return Ok(now);
    }
    t.write_list(rel, list.tokens()).map_err(|e| match e {
        // EINVAL: the token matched no traceable function.
        Error::Rejected {
            written, source, ..
        } if source.raw_os_error() == Some(libc::EINVAL) => Error::NotTraceable { name: written },
        other => other,
    })?;
    let mut now = parse_filter(&t.read(rel)?);
    if now.iter().any(|f| is_glob(f)) {
        // A file that keeps a glob as written is no kernel's (a test's tree): match it here.
        let all = available_functions(t)?;
        now = now
            .iter()
            .flat_map(|f| match is_glob(f) {
                true => matching(&all, f).into_iter().map(str::to_string).collect(),
                false => vec![f.clone()],
            })
            .collect();
        if now.is_empty() {
            return Err(Error::NotTraceable {
                name: list.tokens().join(" "),
            });
        }
    }
    if now.is_empty() {
        return Err(Error::Parse {
            path: t.path(rel),
            detail: "the filter read back empty (which would mean every function)".into(),
        });
    }
    Ok(now)
}

/// Writes the filter as record indexes when the running kernel's function table is kept and
/// the tokens are plain globs ([`function_table`]), and returns what the kernel read back if it
/// is what the table selected. `None`: write the tokens as they are (the table said nothing,
/// the kernel refused digits (before 5.1), or the read-back differed, and the table is dropped).
fn set_by_index(t: &Tracefs, rel: &Path, list: &FilterList) -> Result<Option<Vec<String>>> {
    if !t.is_running_kernels() {
        return Ok(None);
    }
    let Some(sel) = function_table::select(t, list.tokens()) else {
        return Ok(None);
    };
    if t.write_list(rel, &sel.indexes).is_err() {
        return Ok(None);
    }
    let now = parse_filter(&t.read(rel)?);
    let mut read_back = now.clone();
    read_back.sort_unstable();
    if read_back == sel.names {
        return Ok(Some(now));
    }
    function_table::forget(t);
    Ok(None)
}

/// Restores a saved list of plain entries (possibly empty: "all functions", as it was), in
/// one open and close.
pub fn restore(t: &Tracefs, rel: &Path, saved: &[String]) -> Result<()> {
    t.write_list(rel, saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_anywhere() {
        assert!(glob_match("vfs_*", "vfs_read"));
        assert!(glob_match("*_read", "vfs_read"));
        assert!(glob_match("*fs_re*", "vfs_read"));
        assert!(glob_match("v*_r*d", "vfs_read"));
        assert!(glob_match("vfs_rea?", "vfs_read"));
        assert!(glob_match("vfs_[rw]*", "vfs_write"));
        assert!(glob_match("vfs_[!w]*", "vfs_read"));
        assert!(!glob_match("vfs_[!rw]*", "vfs_read"));
        assert!(glob_match("vfs_[a-s]ead", "vfs_read"));
        assert!(!glob_match("vfs_*", "do_vfs_read"));
        assert!(!glob_match("vfs_read", "vfs_readv"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a**b", "ab"));
    }

    #[test]
    fn available_functions_from_a_real_kernel() {
        let text = include_str!("../../tests/fixtures/debian/available_filter_functions.head.txt");
        let names =
            function_table::FunctionTable::parse(&format!("{text}ext4_read [ext4]\n")).names();
        assert!(names.iter().any(|n| n == "do_one_initcall"));
        assert!(
            names.iter().any(|n| n == "ext4_read"),
            "module suffix dropped"
        );
        assert!(!names
            .iter()
            .any(|n| n.starts_with("__ftrace_invalid_address")));
        assert_eq!(
            matching(&names, "vdso_*"),
            vec!["vdso_mremap", "vdso_fault", "vdso_join_timens"]
        );
    }

    #[test]
    fn filter_list_cannot_be_empty() {
        assert!(FilterList::new(vec![]).is_none());
        assert!(FilterList::new(vec![" ".into()]).is_none());
        assert!(FilterList::new(vec!["vfs_read".into()]).is_some());
    }

    #[test]
    fn parse_filter_ignores_banner_and_triggers() {
        assert!(parse_filter(ALL_FUNCTIONS).is_empty());
        assert_eq!(
            parse_filter("vfs_read\ndo_fault:traceoff:unlimited\nvfs_write\n"),
            vec!["vfs_read", "vfs_write"]
        );
    }

    #[test]
    fn indexes_the_kernel_contradicts_give_way_to_the_glob_and_the_table_is_dropped() {
        // A "running kernel" whose filter file keeps what is written: the indexes read back
        // as digits, not the names the table selected.
        crate::tracefs::lock::use_test_dir();
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("sys_kernel");
        std::fs::create_dir(&sys).unwrap();
        std::fs::write(
            dir.path().join("available_filter_functions"),
            "do_one_initcall\nvfs_read\nvfs_write\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("set_ftrace_filter"), "").unwrap();
        let t = Tracefs::at(dir.path()).with_sys_kernel(&sys);
        let table = function_table::table(&t).unwrap();
        assert_eq!(
            table.select(&["vfs_*".into()]).unwrap().indexes,
            vec!["2", "3"]
        );
        let list = FilterList::new(vec!["vfs_*".into()]).unwrap();
        let got = set(&t, Path::new("set_ftrace_filter"), &list).unwrap();
        assert_eq!(got, vec!["vfs_read", "vfs_write"]);
        assert_eq!(t.read("set_ftrace_filter").unwrap(), "vfs_*\n");
        let kept = std::fs::read_dir(crate::tracefs::lockdir::lock_dir().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("records-"))
            .count();
        assert_eq!(kept, 0, "a contradicted table is dropped");
    }

    #[test]
    fn set_and_restore_on_a_fake_tree() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tracefs::at(dir.path());
        std::fs::write(dir.path().join("set_ftrace_filter"), "old_one\n").unwrap();
        let list = FilterList::new(vec!["vfs_read".into(), "vfs_write".into()]).unwrap();
        set(&t, Path::new("set_ftrace_filter"), &list).unwrap();
        assert_eq!(
            t.read("set_ftrace_filter").unwrap(),
            "vfs_read\nvfs_write\n"
        );
        restore(&t, Path::new("set_ftrace_filter"), &["old_one".into()]).unwrap();
        assert_eq!(t.read("set_ftrace_filter").unwrap(), "old_one\n");
    }
}
