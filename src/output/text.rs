//! perf-tools text for event streams: the kernel's own `trace_pipe` lines, rebuilt from Records.
//!
//! The layout follows `trace_print_context` (kernel `trace_output.c`) so that output of lktrace
//! diffs cleanly against `cat trace_pipe` and scripts written for perf-tools keep working:
//! `"%16s-%-7d [%03d] FLAGS %5lu.%06lu: name: payload"`.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::record::{
    Event, FieldValue, Format, Lost, Notice, NoticeLevel, Stack, Symbol, Tracepoint, UserSymbol,
};

/// The kernel's header of `trace` with the `irq-info` option on (the default), as -H prints it.
///
/// The `entries-in-buffer/entries-written` line is left out: a stream has no such totals, and
/// made-up numbers there would mislead.
pub const HEADER_IRQ_INFO: &str = "\
# tracer: nop
#
#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
";

/// The header when events carry no flag column (`irq-info` off), from `print_event_info`.
pub const HEADER_NO_IRQ_INFO: &str = "\
# tracer: nop
#
#           TASK-PID     CPU#     TIMESTAMP  FUNCTION
#              | |         |         |         |
";

/// The header that matches an event: with or without the flag column, naming the tracer that
/// made it (`function` for the function tracer's lines, as functrace's kernel prints it; `nop`
/// for events).
pub fn header_for(e: &Event) -> Cow<'static, str> {
    let header = if e.flags.is_some() {
        HEADER_IRQ_INFO
    } else {
        HEADER_NO_IRQ_INFO
    };
    if e.event == "function" {
        Cow::Owned(header.replacen("# tracer: nop", "# tracer: function", 1))
    } else {
        Cow::Borrowed(header)
    }
}

/// `[host] ` in multi-host runs, nothing otherwise.
fn host_prefix(out: &mut String, multi_host: bool, host: Option<&str>) {
    if let (true, Some(h)) = (multi_host, host) {
        out.push('[');
        out.push_str(h);
        out.push_str("] ");
    }
}

/// The context columns up to and including `": "` after the timestamp.
fn context(out: &mut String, comm: &str, pid: u32, cpu: u32, flags: Option<&str>, ts: f64) {
    // "[%03d] " then, with irq-info, the flags, then " %5lu.%06lu: ". Without flags the two
    // spaces around the missing column are both still printed by the kernel.
    // `%16s` pads by bytes, not characters: a UTF-8 comm lines up as the kernel's does.
    out.extend(std::iter::repeat_n(' ', 16usize.saturating_sub(comm.len())));
    out.push_str(comm);
    let _ = write!(out, "-{pid:<7} [{cpu:03}] ");
    if let Some(f) = flags {
        out.push_str(f);
    }
    let _ = write!(out, " {ts:>12.6}: ");
}

/// One event as the kernel prints it, without the newline.
pub fn event_line(e: &Event, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::with_capacity(128);
    host_prefix(&mut out, multi_host, host);
    context(
        &mut out,
        &e.comm,
        e.pid,
        e.cpu,
        e.flags.as_deref(),
        e.timestamp,
    );
    if e.event == "function" {
        // Function-tracer lines have no event name: just `func <-parent`.
        out.push_str(&function_payload(e));
        return out;
    }
    out.push_str(&e.event);
    out.push(':');
    let payload = payload(e);
    if !payload.is_empty() {
        out.push(' ');
        out.push_str(&payload);
    }
    out
}

/// `func <-parent` of a function-tracer event.
///
/// Taken from the raw payload when the parser kept it, else from the `func`/`parent` fields,
/// else from the probe column, so whichever the trace parser chose renders the same.
fn function_payload(e: &Event) -> Cow<'_, str> {
    if let Some(p) = &e.payload {
        return Cow::Borrowed(p);
    }
    // Names are text whether or not they look like hex, so no quoting here.
    let text = |name| {
        e.fields.get(name).map(|v| match v {
            FieldValue::Str(s) => Cow::Borrowed(s.as_str()),
            other => value_text(other),
        })
    };
    match (text("func"), text("parent")) {
        (Some(f), Some(p)) => Cow::Owned(format!("{f} <-{p}")),
        (Some(f), None) => f,
        _ => Cow::Borrowed(e.probe.as_deref().unwrap_or("")),
    }
}

/// The payload after `name: `: the raw text when there is one, else `(probe) name=value ...`.
fn payload(e: &Event) -> Cow<'_, str> {
    if let Some(p) = &e.payload {
        return Cow::Borrowed(p);
    }
    let mut out = String::new();
    if let Some(probe) = &e.probe {
        out.push('(');
        out.push_str(probe);
        out.push(')');
    }
    for (name, value) in &e.fields.0 {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(&value_text(value));
    }
    Cow::Owned(out)
}

/// A field value as the kernel printed it: numbers and hex bare, strings in double quotes.
pub fn value_text(v: &FieldValue) -> Cow<'_, str> {
    match v {
        FieldValue::Int(i) => Cow::Owned(i.to_string()),
        FieldValue::UInt(u) => Cow::Owned(u.to_string()),
        FieldValue::Str(s) if printed_bare(s) => Cow::Borrowed(s),
        // The kernel prints `"%s"` without escaping, so neither do we.
        FieldValue::Str(s) => Cow::Owned(format!("\"{s}\"")),
    }
}

/// Whether a string value was printed without quotes by the kernel.
///
/// A [`FieldValue::Str`] holds both quoted strings (their quotes stripped) and values the
/// kernel prints bare but the parser keeps as text: hex (`x32`, pointers), symbols
/// (`vfs_read+0x0/0x170`) and arrays (`{1,2,3}`). Records do not say which, so tell by shape.
fn printed_bare(s: &str) -> bool {
    let hex = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit());
    let is_hex = |t: &str| {
        let t = t.strip_prefix('-').unwrap_or(t);
        t.strip_prefix("0x").is_some_and(hex)
    };
    let is_symbol_offset = |t: &str| match t.rsplit_once('+') {
        Some((sym, off)) => {
            !sym.is_empty()
                && !sym.contains(char::is_whitespace)
                && match off.split_once('/') {
                    Some((a, b)) => is_hex(a) && is_hex(b),
                    None => is_hex(off),
                }
        }
        None => false,
    };
    let is_array = |t: &str| t.starts_with('{') && t.ends_with('}');
    is_hex(s) || is_symbol_offset(s) || is_array(s)
}

/// The `<stack trace>` line and its ` => frame` lines, each ending in a newline.
pub fn stack_lines(s: &Stack, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::with_capacity(64 * (s.frames.len() + 1));
    host_prefix(&mut out, multi_host, host);
    // The Stack record carries no flags; the kernel's stack entries of a kprobe show none set.
    context(&mut out, &s.comm, s.pid, s.cpu, Some("....."), s.timestamp);
    out.push_str("<stack trace>\n");
    for frame in &s.frames {
        host_prefix(&mut out, multi_host, host);
        out.push_str(" => ");
        out.push_str(frame);
        out.push('\n');
    }
    out
}

/// The kernel's `CPU:0 [LOST 12 EVENTS]` line (no newline); network loss has no CPU.
pub fn lost_line(l: &Lost, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    host_prefix(&mut out, multi_host, host);
    match (l.cpu, l.count) {
        (Some(cpu), Some(n)) => {
            let _ = write!(out, "CPU:{cpu} [LOST {n} EVENTS]");
        }
        (Some(cpu), None) => {
            let _ = write!(out, "CPU:{cpu} [LOST EVENTS]");
        }
        (None, Some(n)) => {
            let _ = write!(out, "[LOST {n} EVENTS in transit]");
        }
        (None, None) => out.push_str("[LOST EVENTS in transit]"),
    }
    out
}

/// The stderr warning that goes with a Lost record, so loss is seen even when stdout is a file.
pub fn lost_warning(l: &Lost, multi_host: bool, host: Option<&str>) -> String {
    let mut msg = String::new();
    match l.count {
        Some(n) => {
            let _ = write!(msg, "lost {}", crate::tools::counted(n, "event"));
        }
        None => msg.push_str("lost events"),
    }
    match l.cpu {
        Some(cpu) => {
            let _ = write!(msg, " on CPU {cpu} (the kernel's buffer was full)");
        }
        None => msg.push_str(" in transit from the agent"),
    }
    notice_line(
        &Notice {
            level: NoticeLevel::Warning,
            message: msg,
        },
        multi_host,
        host,
    )
}

/// `lktrace: message` or `lktrace: warning: message` (no newline), for stderr.
pub fn notice_line(n: &Notice, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::from("lktrace: ");
    if n.level == NoticeLevel::Warning {
        out.push_str("warning: ");
    }
    host_prefix(&mut out, multi_host, host);
    out.push_str(&n.message);
    out
}

/// An event's format file as is, ending in a newline; each line prefixed in multi-host runs.
/// `sched:sched_switch`, as perf-tools' `tpoint -l` prints available_events.
pub fn tracepoint_line(t: &Tracepoint, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::with_capacity(t.system.len() + t.event.len() + 1);
    host_prefix(&mut out, multi_host, host);
    out.push_str(&t.system);
    out.push(':');
    out.push_str(&t.event);
    out
}

/// `function   vfs_read`, `kprobe     ext4_sync_fs [ext4]`: the kind first, so `awk` and
/// `grep` see the same columns whatever the names.
pub fn symbol_line(s: &Symbol, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::with_capacity(s.name.len() + 24);
    host_prefix(&mut out, multi_host, host);
    let _ = write!(out, "{:<10} {}", s.kind.name(), s.name);
    if let Some(m) = &s.module {
        let _ = write!(out, " [{m}]");
    }
    out
}

/// `readline`, as perf-tools' `uprobe -l` prints a file's functions (the name alone).
pub fn user_symbol_line(s: &UserSymbol, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::with_capacity(s.name.len() + 1);
    host_prefix(&mut out, multi_host, host);
    out.push_str(&s.name);
    out
}

pub fn format_text(f: &Format, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::with_capacity(f.text.len() + 1);
    if multi_host && host.is_some() {
        for line in f.text.lines() {
            host_prefix(&mut out, multi_host, host);
            out.push_str(line);
            out.push('\n');
        }
    } else {
        out.push_str(&f.text);
        if !f.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Fields;

    const FIXTURE: &str = include_str!("../../tests/fixtures/debian/trace_kprobes.txt");
    const STACK_FIXTURE: &str = include_str!("../../tests/fixtures/debian/trace_kprobe_stack.txt");

    fn open(
        comm: &str,
        pid: u32,
        cpu: u32,
        ts: f64,
        dfd: &str,
        filename: &str,
        flags: &str,
    ) -> Event {
        Event {
            comm: comm.into(),
            pid,
            tgid: None,
            cpu,
            flags: Some(".....".into()),
            timestamp: ts,
            event: "open".into(),
            probe: Some("do_sys_openat2+0x0/0x170".into()),
            fields: Fields(vec![
                ("dfd".into(), FieldValue::Str(dfd.into())),
                ("filename".into(), FieldValue::Str(filename.into())),
                ("flags".into(), FieldValue::Str(flags.into())),
            ]),
            payload: None,
        }
    }

    fn openret(comm: &str, pid: u32, cpu: u32, ts: f64, ret: &str) -> Event {
        Event {
            comm: comm.into(),
            pid,
            tgid: None,
            cpu,
            flags: Some(".....".into()),
            timestamp: ts,
            event: "openret".into(),
            probe: Some("__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2".into()),
            fields: Fields(vec![("ret".into(), FieldValue::Str(ret.into()))]),
            payload: None,
        }
    }

    /// The events of `trace_kprobes.txt`, typed in by hand from the fixture's values.
    fn fixture_events() -> Vec<Event> {
        let d = "0xffffff9c";
        vec![
            open(
                "sh",
                105,
                0,
                2.521076,
                d,
                "events/lkt_cap/openret/enable",
                "0x8241",
            ),
            open("sh", 105, 0, 2.522166, d, "/dev/null", "0x8241"),
            openret("sh", 105, 0, 2.522380, "0x3"),
            open("cat", 117, 1, 2.527091, d, "/tmp/marker-file", "0x8000"),
            openret("cat", 117, 1, 2.527230, "0x3"),
            open("sh", 105, 0, 2.528632, d, "/dev/null", "0x8241"),
            openret("sh", 105, 0, 2.528718, "0x3"),
            open("ls", 118, 1, 2.531048, d, "/tmp", "0x98800"),
            openret("ls", 118, 1, 2.531259, "0x3"),
            open("sh", 105, 0, 2.534563, d, "/dev/null", "0x8241"),
            openret("sh", 105, 0, 2.534677, "0x3"),
            open("cat", 119, 1, 2.538982, d, "/nonexistent", "0x8000"),
            openret("cat", 119, 1, 2.539140, "0xfffffffffffffffe"),
            open(
                "sh",
                105,
                0,
                2.541269,
                d,
                "events/lkt_cap/open/enable",
                "0x8241",
            ),
            openret("sh", 105, 0, 2.541418, "0x3"),
            openret("sh", 105, 0, 2.541953, "0x3"),
        ]
    }

    #[test]
    fn events_match_the_kernels_lines() {
        let expected: Vec<&str> = FIXTURE.lines().filter(|l| !l.starts_with('#')).collect();
        let got: Vec<String> = fixture_events()
            .iter()
            .map(|e| event_line(e, false, Some("board")))
            .collect();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, e);
        }
    }

    #[test]
    fn header_matches_the_fixture_without_the_entries_line() {
        let fixture: String = FIXTURE
            .lines()
            .filter(|l| l.starts_with('#') && !l.starts_with("# entries-in-buffer"))
            .map(|l| format!("{l}\n"))
            .collect();
        // The fixture has `#` both before and after the entries line; we keep one.
        assert_eq!(fixture.replacen("#\n#\n", "#\n", 1), HEADER_IRQ_INFO);
    }

    #[test]
    fn stack_matches_the_kernels_lines() {
        let s = Stack {
            comm: "sh".into(),
            pid: 105,
            cpu: 1,
            timestamp: 2.625912,
            frames: vec![
                "do_sys_openat2".into(),
                "__x64_sys_openat".into(),
                "do_syscall_64".into(),
                "entry_SYSCALL_64_after_hwframe".into(),
            ],
        };
        let expected: String = STACK_FIXTURE
            .lines()
            .skip(13)
            .take(5)
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(stack_lines(&s, false, Some("pi")), expected);
    }

    #[test]
    fn no_flags_column_keeps_the_kernels_two_spaces() {
        let mut e = open("<...>", 133, 0, 3.579472, "0x1", "x", "0x0");
        e.flags = None;
        e.event = "sys_read".into();
        e.probe = None;
        e.fields = Fields::default();
        e.payload = Some("(fd: 3, buf: 7f75ead2a000, count: 10000)".into());
        assert_eq!(
            event_line(&e, false, Some("board")),
            "           <...>-133     [000]      3.579472: sys_read: (fd: 3, buf: 7f75ead2a000, count: 10000)"
        );
    }

    #[test]
    fn numbers_strings_symbols_and_host_prefix() {
        let mut e = open("cat", 7, 12, 12345.5, "0x1", "a b", "0x0");
        e.fields = Fields(vec![
            ("n".into(), FieldValue::Int(-2)),
            ("u".into(), FieldValue::UInt(10)),
            ("s".into(), FieldValue::Str("0x10 file".into())),
            ("sym".into(), FieldValue::Str("vfs_read+0x0/0x170".into())),
            ("arr".into(), FieldValue::Str("{1,2}".into())),
        ]);
        e.probe = None;
        assert_eq!(
            event_line(&e, true, Some("board")),
            "[board]              cat-7       [012] ..... 12345.500000: open: n=-2 u=10 s=\"0x10 file\" sym=vfs_read+0x0/0x170 arr={1,2}"
        );
        assert!(!event_line(&e, false, Some("board")).starts_with('['));
    }

    #[test]
    fn function_events_print_func_and_parent() {
        let mut e = open("ls", 118, 1, 2.5, "0x1", "x", "0x0");
        e.event = "function".into();
        assert!(header_for(&e).starts_with("# tracer: function\n"));
        e.probe = None;
        e.fields = Fields(vec![
            ("func".into(), FieldValue::Str("vfs_read".into())),
            ("parent".into(), FieldValue::Str("ksys_read".into())),
        ]);
        let want = "              ls-118     [001] .....     2.500000: vfs_read <-ksys_read";
        assert_eq!(event_line(&e, false, Some("board")), want);
        e.fields = Fields::default();
        e.payload = Some("vfs_read <-ksys_read".into());
        assert_eq!(event_line(&e, false, Some("board")), want);
    }

    #[test]
    fn comm_is_padded_by_bytes_like_printf() {
        let e = open("caf\u{e9}", 9, 0, 1.0, "0x1", "x", "0x0");
        assert!(
            event_line(&e, false, Some("board")).starts_with("           caf\u{e9}-9       [000]")
        );
    }

    #[test]
    fn probe_without_fields() {
        let mut e = open("ls", 1, 0, 1.0, "0x1", "x", "0x0");
        e.fields = Fields::default();
        assert!(
            event_line(&e, false, Some("board")).ends_with(": open: (do_sys_openat2+0x0/0x170)")
        );
    }

    #[test]
    fn lost_lines_and_warnings() {
        let l = |cpu, count| Lost { cpu, count };
        assert_eq!(
            lost_line(&l(Some(0), Some(2760)), false, None),
            "CPU:0 [LOST 2760 EVENTS]"
        );
        assert_eq!(
            lost_line(&l(Some(1), None), false, None),
            "CPU:1 [LOST EVENTS]"
        );
        assert_eq!(
            lost_line(&l(None, Some(3)), false, None),
            "[LOST 3 EVENTS in transit]"
        );
        assert_eq!(
            lost_line(&l(None, None), false, Some("pi")),
            "[LOST EVENTS in transit]"
        );
        assert_eq!(
            lost_warning(&l(Some(0), Some(2760)), false, None),
            "lktrace: warning: lost 2760 events on CPU 0 (the kernel's buffer was full)"
        );
        assert_eq!(
            lost_warning(&l(None, Some(3)), false, None),
            "lktrace: warning: lost 3 events in transit from the agent"
        );
    }

    #[test]
    fn notices() {
        let mut n = Notice {
            level: NoticeLevel::Info,
            message: "counting with kprobe_profile".into(),
        };
        assert_eq!(
            notice_line(&n, false, Some("pi")),
            "lktrace: counting with kprobe_profile"
        );
        n.level = NoticeLevel::Warning;
        assert_eq!(
            notice_line(&n, true, Some("pi")),
            "lktrace: warning: [pi] counting with kprobe_profile"
        );
    }

    #[test]
    fn format_is_verbatim() {
        let f = Format {
            event: "open".into(),
            text: "name: open\nID: 1\n".into(),
        };
        assert_eq!(format_text(&f, false, Some("pi")), "name: open\nID: 1\n");
        assert_eq!(
            format_text(&f, true, Some("pi")),
            "[pi] name: open\n[pi] ID: 1\n"
        );
    }
}
