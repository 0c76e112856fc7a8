//! Hist triggers: building the `hist:` command and parsing an event's `hist` file.
//!
//! A `hist` file holds one table per trigger (`trace_events_hist.c` `hist_show`):
//!
//! ```text
//! # event histogram
//! #
//! # trigger info: hist:keys=common_pid.execname:vals=hitcount:...:size=2048 [active]
//! #
//!
//! { common_pid: dd              [       123] } hitcount:        100
//!
//! Totals:
//!     Hits: 101
//!     Entries: 2
//!     Dropped: 0
//! ```
//!
//! A `stacktrace` key spans several lines, from `{ stacktrace:` to the line starting with `}`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistEntry {
    /// `(key, value-as-printed)` pairs of the `{ ... }` part.
    pub keys: Vec<(String, String)>,
    pub hitcount: u64,
    /// Other `name: value` columns.
    pub values: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistTable {
    /// The `trigger info:` text.
    pub trigger: String,
    pub entries: Vec<HistEntry>,
    pub hits: u64,
    pub entry_count: u64,
    pub dropped: u64,
}

/// Parses a `hist` file: one table per trigger.
pub fn parse(text: &str) -> Vec<HistTable> {
    let mut tables: Vec<HistTable> = Vec::new();
    // Text of an entry whose `{ ... }` has not closed yet (multi-line stacktrace keys).
    let mut pending: Option<String> = None;
    for line in text.lines() {
        if let Some(p) = pending.as_mut() {
            p.push('\n');
            p.push_str(line);
            if line.trim_start().starts_with('}') {
                let full = pending.take().unwrap_or_default();
                if let (Some(t), Some(e)) = (tables.last_mut(), parse_entry(&full)) {
                    t.entries.push(e);
                }
            }
            continue;
        }
        let t = line.trim();
        if t == "# event histogram" {
            tables.push(HistTable {
                trigger: String::new(),
                entries: Vec::new(),
                hits: 0,
                entry_count: 0,
                dropped: 0,
            });
            continue;
        }
        let Some(table) = tables.last_mut() else {
            continue;
        };
        if let Some(info) = t.strip_prefix("# trigger info:") {
            table.trigger = info.trim().to_string();
        } else if t.starts_with('{') {
            if t.contains('}') {
                if let Some(e) = parse_entry(t) {
                    table.entries.push(e);
                }
            } else {
                pending = Some(t.to_string());
            }
        } else if let Some(v) = t.strip_prefix("Hits:") {
            table.hits = v.trim().parse().unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Entries:") {
            table.entry_count = v.trim().parse().unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Dropped:") {
            table.dropped = v.trim().parse().unwrap_or(0);
        }
    }
    tables
}

/// `{ k1: v1, k2: v2 } hitcount:   1  bytes_req:   176`
fn parse_entry(text: &str) -> Option<HistEntry> {
    let inner_start = text.find('{')? + 1;
    let close = text.rfind('}')?;
    if close < inner_start {
        return None;
    }
    let keys = parse_keys(&text[inner_start..close]);
    let mut hitcount = None;
    let mut values = Vec::new();
    let mut words = text[close + 1..].split_whitespace();
    while let Some(name) = words.next() {
        let name = name.strip_suffix(':')?;
        let v: u64 = words.next()?.parse().ok()?;
        if name == "hitcount" {
            hitcount = Some(v);
        } else {
            values.push((name.to_string(), v));
        }
    }
    Some(HistEntry {
        keys,
        hitcount: hitcount?,
        values,
    })
}

/// Splits `k1: v1, k2: v2` where a value may hold `,`, spaces and brackets: a new key starts
/// at `, name:`. Multi-line values (stack traces) keep one frame per line, trimmed.
fn parse_keys(inner: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = inner.trim();
    while let Some((name, after)) = key_at(rest) {
        let mut end = after.len();
        let mut search = 0;
        while let Some(i) = after[search..].find(", ") {
            let at = search + i;
            if key_at(&after[at + 2..]).is_some() {
                end = at;
                break;
            }
            search = at + 2;
        }
        let value: Vec<&str> = after[..end]
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        out.push((name.to_string(), value.join("\n")));
        rest = after.get(end + 2..).unwrap_or("");
    }
    out
}

/// `name:` (a field name, possibly with a `.modifier`) at the start of `s`, and what follows.
fn key_at(s: &str) -> Option<(&str, &str)> {
    let n = s
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'.'))?;
    if n == 0 || s.as_bytes()[n] != b':' {
        return None;
    }
    Some((&s[..n], &s[n + 1..]))
}

/// A `common_pid.execname` key's value as printed (`dd              [       123]`): the
/// process name and the pid.
pub fn execname(printed: &str) -> Option<(String, u32)> {
    let (comm, rest) = printed.rsplit_once('[')?;
    let pid = rest.trim_end().strip_suffix(']')?.trim().parse().ok()?;
    Some((comm.trim().to_string(), pid))
}

/// An `id.syscall` key's value as printed (`sys_read                      [  0]`): the name
/// in the kernel's syscall table (`unknown_syscall` where it has none) and the number.
pub fn syscall(printed: &str) -> Option<(&str, u64)> {
    let (name, rest) = printed.rsplit_once('[')?;
    let nr = rest.trim_end().strip_suffix(']')?.trim().parse().ok()?;
    Some((name.trim(), nr))
}

/// `(common_pid == 1 || common_pid == 2)`: threads as a trigger's filter. A trigger runs before
/// the kernel's pid filter (set_event_pid), so a trigger limited to some threads says so in
/// its own filter. `None` for no threads.
pub fn pid_filter(threads: &[u32]) -> Option<String> {
    if threads.is_empty() {
        return None;
    }
    let each: Vec<String> = threads
        .iter()
        .map(|p| format!("common_pid == {p}"))
        .collect();
    Some(format!("({})", each.join(" || ")))
}

/// Builds a trigger: `hist:keys=a,b:vals=x:sort=s:size=N if FILTER`. `vals` may be empty
/// (hitcount alone is kept anyway); `size` is the table's entries (the kernel's default 2048).
pub fn trigger_command(
    keys: &[&str],
    vals: &[&str],
    sort: Option<&str>,
    size: Option<usize>,
    filter: Option<&str>,
) -> String {
    let mut s = format!("hist:keys={}", keys.join(","));
    if !vals.is_empty() {
        s.push_str(":vals=");
        s.push_str(&vals.join(","));
    }
    if let Some(sort) = sort {
        s.push_str(":sort=");
        s.push_str(sort);
    }
    if let Some(size) = size {
        s.push_str(&format!(":size={size}"));
    }
    if let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) {
        s.push_str(" if ");
        s.push_str(f);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real hist file of Debian's 6.1.192 kernel: common_pid.execname keys on a vfs_read kprobe.
    const DEB: &str = include_str!("../../tests/fixtures/debian/hist_rd.txt");

    #[test]
    fn debian_6_1_hist() {
        let t = parse(DEB);
        assert_eq!(t.len(), 1);
        let t = &t[0];
        assert_eq!(
            t.trigger,
            "hist:keys=common_pid.execname:vals=hitcount:sort=hitcount.descending:size=2048 [active]"
        );
        assert_eq!((t.hits, t.entry_count, t.dropped), (101, 2, 0));
        assert_eq!(
            t.entries[0],
            HistEntry {
                keys: vec![("common_pid".into(), "dd              [       123]".into())],
                hitcount: 100,
                values: vec![],
            }
        );
        assert_eq!(t.entries[1].hitcount, 1);
        assert_eq!(t.entries[1].keys[0].1, "cat             [       124]");
        let p = parse(include_str!("../../tests/fixtures/profiler/hist_rd.txt"));
        assert_eq!(p[0].entries.len(), p[0].entry_count as usize);
    }

    #[test]
    fn two_tables_values_and_stack_keys() {
        let text = format!(
            "{DEB}\n# event histogram\n#\n# trigger info: hist:keys=call_site.sym,bytes_req:vals=bytes_alloc [active]\n#\n\n\
{{ call_site: [ffffffff8123abcd] foo+0x1d/0x40, bytes_req:        176 }} hitcount:          1  bytes_alloc:        256\n\
{{ stacktrace:\n         __kmalloc+0x10b/0x1a0\n         kmemdup+0x20/0x50\n}} hitcount:          3  bytes_alloc:        64\n\n\
Totals:\n    Hits: 4\n    Entries: 2\n    Dropped: 1\n"
        );
        let t = parse(&text);
        assert_eq!(t.len(), 2);
        let b = &t[1];
        assert_eq!((b.hits, b.entry_count, b.dropped), (4, 2, 1));
        assert_eq!(
            b.entries[0].keys,
            vec![
                (
                    "call_site".to_string(),
                    "[ffffffff8123abcd] foo+0x1d/0x40".to_string()
                ),
                ("bytes_req".to_string(), "176".to_string()),
            ]
        );
        assert_eq!(b.entries[0].values, vec![("bytes_alloc".to_string(), 256)]);
        assert_eq!(
            b.entries[1].keys,
            vec![(
                "stacktrace".to_string(),
                "__kmalloc+0x10b/0x1a0\nkmemdup+0x20/0x50".to_string()
            )]
        );
        assert_eq!(b.entries[1].hitcount, 3);
    }

    #[test]
    fn trigger_commands() {
        assert_eq!(
            trigger_command(
                &["common_pid.execname"],
                &[],
                Some("hitcount.descending"),
                Some(4096),
                None
            ),
            "hist:keys=common_pid.execname:sort=hitcount.descending:size=4096"
        );
        assert_eq!(
            trigger_command(&["a", "b"], &["x", "y"], None, None, Some("count > 10")),
            "hist:keys=a,b:vals=x,y if count > 10"
        );
        assert!(parse("").is_empty());
        assert!(
            parse("{ a: 1 } hitcount: 3\n").is_empty(),
            "entries outside a table"
        );
    }
}
