//! Tables for people: funccount's counts in perf-tools' layout, and the `ctl` reports.
//!
//! Every table uses the border-less preset with a header, like perf-tools' `printf` columns, and
//! never wraps or truncates: a function name cut short is a wrong answer, and output piped to a
//! file must not depend on the terminal's width.

use std::fmt::Write as _;

use comfy_table::{presets::NOTHING, CellAlignment, ContentArrangement, Table};

use crate::record::{BufferStatus, Check, CheckItem, Counts, Owner, Ping, Reset, Status};

/// Spaces between columns.
const GAP: u16 = 2;

/// A border-less table with `headers`; columns listed in `right` are right-aligned (numbers).
fn plain(headers: &[&str], right: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(headers.to_vec());
    let last = headers.len().saturating_sub(1);
    for (i, col) in t.column_iter_mut().enumerate() {
        // No padding at the line's ends: the first column starts at the margin like perf-tools.
        col.set_padding((0, if i == last { 0 } else { GAP }));
        if right.contains(&i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The table's lines, trailing blanks trimmed, each ending in a newline.
fn text(t: &Table) -> String {
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// funccount's table for one interval: optional time line, then `FUNC COUNT` (HOST first when
/// several hosts are shown). Rows stay in the order given (ascending, as the tool sorted them).
pub fn counts(c: &Counts, timestamps: bool, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    if timestamps {
        out.push_str(&local_hms(c.time));
        out.push('\n');
    }
    let host = host.unwrap_or("-");
    // Counts keyed by more than one thing (`funccount -P`) get a column per key.
    let key_names: Option<Vec<String>> = c
        .counts
        .iter()
        .find_map(|r| r.keys.as_ref())
        .map(|k| k.0.iter().map(|(n, _)| n.to_uppercase()).collect());
    let mut header: Vec<&str> = Vec::new();
    if multi_host {
        header.push("HOST");
    }
    match &key_names {
        Some(names) => header.extend(names.iter().map(String::as_str)),
        None => header.push("FUNC"),
    }
    header.push("COUNT");
    let mut t = plain(&header, &[header.len() - 1]);
    for row in &c.counts {
        let mut cells = Vec::with_capacity(header.len());
        if multi_host {
            cells.push(host.to_string());
        }
        match (&key_names, &row.keys) {
            (Some(names), Some(keys)) => {
                cells.extend(keys.0.iter().map(|(_, v)| v.to_string()));
                cells.resize(
                    cells.len().max(names.len() + usize::from(multi_host)),
                    String::new(),
                );
            }
            (Some(names), None) => {
                cells.push(row.name.clone());
                cells.resize(names.len() + usize::from(multi_host), String::new());
            }
            (None, _) => cells.push(row.name.clone()),
        }
        cells.push(row.count.to_string());
        t.add_row(cells);
    }
    out.push_str(&text(&t));
    out
}

/// `HH:MM:SS` of a Unix time in the local time zone (UTC where there is no `localtime_r`).
pub fn local_hms(epoch_s: f64) -> String {
    if !epoch_s.is_finite() {
        return "??:??:??".to_string();
    }
    // Saturating float-to-int cast: out-of-range times stay in range instead of wrapping.
    let secs = epoch_s.floor() as i64;
    match local_parts(secs) {
        Some((h, m, s)) => format!("{h:02}:{m:02}:{s:02}"),
        None => utc_hms(secs),
    }
}

/// `HH:MM:SS` in UTC.
pub fn utc_hms(secs: i64) -> String {
    let day = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(unix)]
fn local_parts(secs: i64) -> Option<(i32, i32, i32)> {
    // time_t is 32 bits on some targets (older 32-bit ARM): out of range means no local time.
    #[allow(clippy::useless_conversion)]
    let t: libc::time_t = secs.try_into().ok()?;
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for the
    // call, and the reentrant variant keeps no shared state.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return None;
    }
    Some((tm.tm_hour, tm.tm_min, tm.tm_sec))
}

#[cfg(not(unix))]
fn local_parts(_secs: i64) -> Option<(i32, i32, i32)> {
    None
}

/// How an owner reads in a table.
pub fn owner_text(o: &Owner) -> String {
    match o {
        Owner::Other => "-".to_string(),
        Owner::Live { pid } => format!("live lktrace pid {pid}"),
        Owner::Dead { pid } => format!("dead lktrace pid {pid} (ctl reset removes it)"),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `name:` then value, the values aligned.
fn key_values(out: &mut String, rows: &[(&str, String)]) {
    let width = rows.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    for (k, v) in rows {
        let _ = writeln!(out, "{:<width$}  {v}", format!("{k}:"));
    }
}

fn host_title(out: &mut String, host: Option<&str>, multi_host: bool) {
    if let (true, Some(h)) = (multi_host, host) {
        let _ = writeln!(out, "[{h}]");
    }
}

/// `ctl status`: global state, then the dynamic events and instances with their owners.
pub fn status(s: &Status, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    host_title(&mut out, host, multi_host);
    let refused = s
        .unreadable
        .iter()
        .any(|u| u.starts_with("set_ftrace_filter:"));
    let filter = if refused {
        "unreadable (see below)".to_string()
    } else if s.ftrace_filter.is_empty() {
        "all functions".to_string()
    } else {
        s.ftrace_filter.join(" ")
    };
    let profiler = match s.function_profile_enabled {
        Some(true) => "on",
        Some(false) => "off",
        None => "not in this kernel",
    };
    let events = if s.enabled_events.is_empty() {
        "none".to_string()
    } else {
        s.enabled_events.join(" ")
    };
    key_values(
        &mut out,
        &[
            ("tracefs", s.tracefs.clone()),
            ("current tracer", s.current_tracer.clone()),
            ("tracing on", yes_no(s.tracing_on).to_string()),
            ("function filter", filter),
            ("function profiler", profiler.to_string()),
            ("enabled events", events),
            ("top-level buffer", buffer_text(s.buffer.as_ref())),
        ],
    );
    out.push('\n');
    if s.dynamic_events.is_empty() {
        out.push_str("dynamic events: none\n");
    } else {
        let mut t = plain(&["DEFINITION", "OWNER"], &[]);
        for d in &s.dynamic_events {
            t.add_row(vec![d.definition.clone(), owner_text(&d.owner)]);
        }
        out.push_str(&text(&t));
    }
    out.push('\n');
    if s.instances.is_empty() {
        out.push_str("instances: none\n");
    } else {
        let mut t = plain(&["NAME", "TRACER", "OWNER"], &[]);
        for i in &s.instances {
            t.add_row(vec![
                i.name.clone(),
                i.current_tracer.clone(),
                owner_text(&i.owner),
            ]);
        }
        out.push_str(&text(&t));
    }
    if !s.unreadable.is_empty() {
        out.push('\n');
        for u in &s.unreadable {
            let _ = writeln!(out, "unreadable: {u}");
        }
    }
    out
}

/// `1410 KiB per CPU, 2820 KiB in all` or, before the kernel grew it, what it will grow to.
fn buffer_text(b: Option<&BufferStatus>) -> String {
    let Some(b) = b else {
        return "unreadable".into();
    };
    let mut s = format!("{} KiB per CPU", b.per_cpu_kb);
    if let Some(t) = b.total_kb {
        let _ = write!(s, ", {t} KiB in all");
    }
    match b.expands_to_kb {
        Some(n) if !b.expanded => {
            let _ = write!(
                s,
                " (not expanded: grows to {n} KiB per CPU once anything is traced)"
            );
        }
        _ => s.push_str(" (expanded)"),
    }
    s
}

fn check_items(title: &str, items: &[CheckItem]) -> String {
    let mut t = plain(&[title, "OK", "REASON"], &[]);
    for i in items {
        let ok = if i.ok { "OK" } else { "NO" };
        t.add_row(vec![
            i.name.clone(),
            ok.to_string(),
            i.reason.clone().unwrap_or_default(),
        ]);
    }
    text(&t)
}

/// `ctl check`: the kernel, then what works and why not.
pub fn check(c: &Check, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    host_title(&mut out, host, multi_host);
    key_values(
        &mut out,
        &[
            ("kernel", c.kernel_release.clone()),
            ("arch", c.arch.clone()),
            ("root", yes_no(c.root).to_string()),
            (
                "tracefs",
                c.tracefs.clone().unwrap_or_else(|| "not found".to_string()),
            ),
            (
                "lockdown",
                c.lockdown
                    .clone()
                    .unwrap_or_else(|| "not in this kernel".to_string()),
            ),
        ],
    );
    out.push('\n');
    out.push_str(&check_items("FEATURE", &c.features));
    out.push('\n');
    out.push_str(&check_items("TOOL", &c.tools));
    out
}

/// `ctl reset`: what was removed, then what was set back, one per line.
pub fn reset(r: &Reset, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    host_title(&mut out, host, multi_host);
    if r.removed.is_empty() && r.reset.is_empty() {
        out.push_str("nothing to remove\n");
    }
    for item in &r.removed {
        let _ = writeln!(out, "removed {item}");
    }
    for done in &r.reset {
        let _ = writeln!(out, "{done}");
    }
    out
}

/// `HOST: rtt 0.123 ms, agent 0.1.0, kernel 6.1.0`.
pub fn ping(p: &Ping, host: Option<&str>) -> String {
    let host = host.unwrap_or("agent");
    format!(
        "{host}: rtt {:.3} ms, agent {}, kernel {}\n",
        p.rtt_us / 1000.0,
        p.agent_version,
        p.kernel_release
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Count, DynamicEventStatus, FieldValue, InstanceStatus};

    fn sample_counts() -> Counts {
        Counts {
            backend: "profiler".into(),
            duration_s: 1.0,
            time: 3723.9,
            counts: vec![
                Count {
                    name: "vfs_write".into(),
                    count: 7,
                    keys: None,
                },
                Count {
                    name: "a_rather_long_function_name_that_must_not_wrap_ever".into(),
                    count: 12345,
                    keys: None,
                },
            ],
        }
    }

    #[test]
    fn counts_like_perf_tools() {
        assert_eq!(
            counts(&sample_counts(), false, false, Some("pi")),
            "\
FUNC                                                 COUNT
vfs_write                                                7
a_rather_long_function_name_that_must_not_wrap_ever  12345
"
        );
    }

    #[test]
    fn counts_per_process_get_a_column_per_key() {
        let (a, b) = (
            Count {
                name: "dd-12 vfs_read".into(),
                count: 100,
                keys: Some(crate::record::Fields(vec![
                    ("comm".into(), FieldValue::Str("dd".into())),
                    ("pid".into(), FieldValue::UInt(12)),
                    ("func".into(), FieldValue::Str("vfs_read".into())),
                ])),
            },
            Count::named("x", 1),
        );
        let c = Counts {
            backend: "hist".into(),
            duration_s: 1.0,
            time: 0.0,
            counts: vec![b, a],
        };
        assert_eq!(
            counts(&c, false, false, None),
            "COMM  PID  FUNC      COUNT\nx                        1\ndd    12   vfs_read    100\n"
        );
    }

    #[test]
    fn counts_multi_host_and_empty() {
        let mut c = sample_counts();
        c.counts.truncate(1);
        assert_eq!(
            counts(&c, false, true, Some("pi")),
            "HOST  FUNC       COUNT\npi    vfs_write      7\n"
        );
        c.counts.clear();
        assert_eq!(counts(&c, false, false, Some("pi")), "FUNC  COUNT\n");
    }

    #[test]
    fn counts_with_time_line() {
        let out = counts(&sample_counts(), true, false, Some("pi"));
        let first = out.lines().next().unwrap();
        assert_eq!(first.len(), 8, "{first}");
        assert!(first.bytes().enumerate().all(|(i, b)| if i == 2 || i == 5 {
            b == b':'
        } else {
            b.is_ascii_digit()
        }));
        assert_eq!(utc_hms(3723), "01:02:03");
        assert_eq!(utc_hms(-1), "23:59:59");
        assert_eq!(local_hms(f64::NAN), "??:??:??");
    }

    #[test]
    fn status_report() {
        let s = Status {
            tracefs: "/sys/kernel/tracing".into(),
            current_tracer: "nop".into(),
            tracing_on: true,
            ftrace_filter: vec![],
            function_profile_enabled: None,
            enabled_events: vec!["sched:sched_switch".into()],
            dynamic_events: vec![
                DynamicEventStatus {
                    definition: "p:lkt_42/open do_sys_openat2".into(),
                    group: "lkt_42".into(),
                    event: "open".into(),
                    owner: Owner::Dead { pid: 42 },
                },
                DynamicEventStatus {
                    definition: "p:kprobes/x vfs_read".into(),
                    group: "kprobes".into(),
                    event: "x".into(),
                    owner: Owner::Other,
                },
            ],
            instances: vec![InstanceStatus {
                name: "lktrace_7".into(),
                current_tracer: "function".into(),
                owner: Owner::Live { pid: 7 },
            }],
            buffer: Some(BufferStatus {
                per_cpu_kb: 7,
                total_kb: Some(14),
                expanded: false,
                expands_to_kb: Some(1408),
            }),
            unreadable: vec![],
        };
        assert_eq!(
            status(&s, false, Some("pi")),
            "\
tracefs:            /sys/kernel/tracing
current tracer:     nop
tracing on:         yes
function filter:    all functions
function profiler:  not in this kernel
enabled events:     sched:sched_switch
top-level buffer:   7 KiB per CPU, 14 KiB in all (not expanded: grows to 1408 KiB per CPU once anything is traced)

DEFINITION                    OWNER
p:lkt_42/open do_sys_openat2  dead lktrace pid 42 (ctl reset removes it)
p:kprobes/x vfs_read          -

NAME       TRACER    OWNER
lktrace_7  function  live lktrace pid 7
"
        );
        let empty = Status {
            dynamic_events: vec![],
            instances: vec![],
            buffer: Some(BufferStatus {
                per_cpu_kb: 1410,
                total_kb: Some(2820),
                expanded: true,
                expands_to_kb: None,
            }),
            unreadable: vec![],
            ..s
        };
        let out = status(&empty, true, Some("pi"));
        assert!(out.starts_with("[pi]\ntracefs:"));
        assert!(
            out.contains("\ntop-level buffer:   1410 KiB per CPU, 2820 KiB in all (expanded)\n")
        );
        assert!(out.ends_with("\ndynamic events: none\n\ninstances: none\n"));
    }

    #[test]
    fn check_report() {
        let c = Check {
            kernel_release: "6.1.0-47-cloud-amd64".into(),
            arch: "x86_64".into(),
            root: true,
            tracefs: Some("/sys/kernel/tracing".into()),
            lockdown: None,
            features: vec![
                CheckItem {
                    name: "kprobes".into(),
                    ok: true,
                    reason: None,
                },
                CheckItem {
                    name: "function_profiler".into(),
                    ok: false,
                    reason: Some("needs CONFIG_FUNCTION_PROFILER".into()),
                },
            ],
            tools: vec![CheckItem {
                name: "funccount".into(),
                ok: true,
                reason: None,
            }],
        };
        assert_eq!(
            check(&c, false, Some("pi")),
            "\
kernel:    6.1.0-47-cloud-amd64
arch:      x86_64
root:      yes
tracefs:   /sys/kernel/tracing
lockdown:  not in this kernel

FEATURE            OK  REASON
kprobes            OK
function_profiler  NO  needs CONFIG_FUNCTION_PROFILER

TOOL       OK  REASON
funccount  OK
"
        );
    }

    #[test]
    fn reset_and_ping() {
        let mut r = Reset {
            removed: vec![],
            reset: vec![],
        };
        assert_eq!(reset(&r, false, Some("pi")), "nothing to remove\n");
        r.removed = vec!["instance lktrace_42".into(), "kprobe lkt_42/open".into()];
        assert_eq!(
            reset(&r, false, Some("pi")),
            "removed instance lktrace_42\nremoved kprobe lkt_42/open\n"
        );
        r.removed.clear();
        r.reset = vec!["tracing_on set back to 1 (was 0)".into()];
        assert_eq!(reset(&r, false, None), "tracing_on set back to 1 (was 0)\n");
        let p = Ping {
            rtt_us: 123.4,
            agent_version: "0.1.0".into(),
            kernel_release: "6.1.0".into(),
        };
        assert_eq!(
            ping(&p, Some("pi")),
            "pi: rtt 0.123 ms, agent 0.1.0, kernel 6.1.0\n"
        );
    }

    #[test]
    fn owners() {
        assert_eq!(owner_text(&Owner::Other), "-");
        assert_eq!(owner_text(&Owner::Live { pid: 3 }), "live lktrace pid 3");
    }
}
