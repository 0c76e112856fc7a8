//! The parser of `trace` / `trace_pipe` text lines (TRACEFS.md section 8).
//!
//! Borrowing and allocation-free: a line becomes slices of itself. Building owned records is
//! the caller's business, so a counter that only needs the event name pays nothing more.
//!
//! The context columns are printed by `trace_print_context` as
//! `"%16s-%-7d "` comm and pid, an optional `"(%7d) "` tgid, `"[%03d] "` cpu, an optional flags
//! column, then `" %5lu.%06lu: "` (or `" %12llu: "` for counter clocks). The comm may hold
//! spaces, `-` and `[`, so it is never split on whitespace: the parser looks for the structure
//! that follows it (`-PID`, tgid, `[CPU]`) instead.

/// The context columns every event line starts with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context<'a> {
    /// Task name; may contain spaces and `-`; `<...>` when the kernel had not cached it.
    pub comm: &'a str,
    pub pid: u32,
    /// Present with the `record-tgid` option (`(  123)` column); `None` for `(-------)` too.
    pub tgid: Option<u32>,
    pub cpu: u32,
    /// The irq/preempt flags column (`d.h1.`), absent when `irq-info` is off.
    pub flags: Option<&'a str>,
    /// Seconds (`2.521076`) or raw counter ticks for non-ns clocks.
    pub timestamp: f64,
}

/// What follows the context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Body<'a> {
    /// `name: payload` (kprobes, tracepoints, `tracing_mark_write`).
    ///
    /// The syscall tracepoints print no `name:` but `sys_read(fd: 3, ...)` on entry and
    /// `sys_read -> 0x3` on exit; those come out as `event: "sys_read"` with the rest
    /// (`(fd: 3, ...)`, `-> 0x3`) as the payload, which [`fields`] then reports as not being
    /// `name=value` pairs.
    Named { event: &'a str, payload: &'a str },
    /// Function tracer: `func <-parent` (parent absent with `nofuncgraph-parent` style output).
    Function {
        func: &'a str,
        parent: Option<&'a str>,
    },
    /// `<stack trace>`: the frames follow on ` => ` lines.
    StackHeader,
    /// `<user stack trace>`.
    UserStackHeader,
}

/// One line of trace text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Line<'a> {
    Event {
        ctx: Context<'a>,
        body: Body<'a>,
    },
    /// ` => do_sys_openat2` after a stack header.
    StackFrame(&'a str),
    /// `CPU:1 [LOST 12 EVENTS]`; `count` is `None` for `[LOST EVENTS]`.
    Lost {
        cpu: u32,
        count: Option<u64>,
    },
    /// `# ...` header lines and blank lines.
    Comment,
    /// Anything else, kept so nothing is dropped silently.
    Unknown(&'a str),
}

/// Parses one line (without its newline; a trailing `\r` or `\n` is tolerated).
pub fn parse_line(line: &str) -> Line<'_> {
    let line = line.trim_end_matches(['\n', '\r']);
    let b = line.as_bytes();
    let Some(&first) = b.first() else {
        return Line::Comment;
    };
    if first == b'#' {
        return Line::Comment;
    }
    if let Some(frame) = line.strip_prefix(" => ") {
        return Line::StackFrame(frame);
    }
    if first == b'C' {
        if let Some(lost) = parse_lost(line) {
            return lost;
        }
    }
    if let Some((ctx, body)) = parse_event(line) {
        return Line::Event { ctx, body };
    }
    if b.iter().all(u8::is_ascii_whitespace) {
        return Line::Comment;
    }
    Line::Unknown(line)
}

/// `CPU:%d [LOST %lu EVENTS]` or `CPU:%d [LOST EVENTS]` (`trace.c` print_trace_line).
fn parse_lost(line: &str) -> Option<Line<'_>> {
    let rest = line.strip_prefix("CPU:")?;
    let (cpu, rest) = split_digits(rest)?;
    let cpu = parse_u32(cpu)?;
    let rest = rest.strip_prefix(" [LOST ")?;
    let rest = rest.trim_end();
    if rest == "EVENTS]" {
        return Some(Line::Lost { cpu, count: None });
    }
    let (n, rest) = split_digits(rest)?;
    if rest != " EVENTS]" {
        return None;
    }
    Some(Line::Lost {
        cpu,
        count: Some(parse_u64(n)?),
    })
}

/// The context columns and the body of an event line, or `None` when the line has not that
/// structure.
fn parse_event(line: &str) -> Option<(Context<'_>, Body<'_>)> {
    let b = line.as_bytes();
    // The kernel pads the comm to 16 bytes, so in an untouched line the `-PID` dash sits at
    // byte 16. Try there first (the common case costs one check), then search: the line may
    // have been trimmed, or come from a kernel with other widths.
    let (dash, after) = match (b.get(16) == Some(&b'-'))
        .then(|| columns_after_comm(line, 16))
        .flatten()
    {
        Some(found) => (16, found),
        None => {
            let mut found = None;
            for (i, &c) in b.iter().enumerate() {
                if c == b'-' {
                    if let Some(cols) = columns_after_comm(line, i) {
                        found = Some((i, cols));
                        break;
                    }
                }
            }
            found?
        }
    };
    let comm = line[..dash].trim_start_matches(' ');
    let (pid, tgid, cpu, rest) = after;
    let (flags, timestamp, body) = parse_time_columns(rest)?;
    let ctx = Context {
        comm,
        pid,
        tgid,
        cpu,
        flags,
        timestamp,
    };
    Some((ctx, parse_body(body)?))
}

/// From the dash before the pid: `-PID  [(TGID) ][CPU] ` and what follows.
fn columns_after_comm(line: &str, dash: usize) -> Option<(u32, Option<u32>, u32, &str)> {
    let rest = &line[dash + 1..];
    let (pid, rest) = split_digits(rest)?;
    let pid = parse_u32(pid)?;
    let mut rest = skip_spaces1(rest)?;
    let mut tgid = None;
    if let Some(r) = rest.strip_prefix('(') {
        let close = r.find(')')?;
        let inner = r[..close].trim_start_matches(' ');
        if !inner.is_empty() && inner.bytes().all(|c| c == b'-') {
            // `(-------)`: the kernel had no tgid for this pid.
        } else {
            tgid = Some(parse_u32(inner)?);
        }
        rest = skip_spaces1(&r[close + 1..])?;
    }
    let r = rest.strip_prefix('[')?;
    let (cpu, r) = split_digits(r)?;
    let cpu = parse_u32(cpu)?;
    let r = r.strip_prefix(']')?;
    Some((pid, tgid, cpu, r))
}

/// After `[CPU]`: ` FLAGS  SECS.USECS: body` (flags optional; counter clocks print an integer).
fn parse_time_columns(rest: &str) -> Option<(Option<&str>, f64, &str)> {
    let rest = skip_spaces1(rest)?;
    // The flags column starts with the irqs-off character (`d D b X .`), never a digit, so a
    // first token starting with a digit is the timestamp.
    let tok_end = rest.find(' ').unwrap_or(rest.len());
    let tok = &rest[..tok_end];
    let (flags, rest) = if (tok.len() == 4 || tok.len() == 5)
        && !tok.as_bytes()[0].is_ascii_digit()
        && tok.bytes().all(|c| c.is_ascii_graphic())
    {
        (Some(tok), skip_spaces1(&rest[tok_end..])?)
    } else {
        (None, rest)
    };
    let colon = rest.find(':')?;
    let timestamp = parse_timestamp(&rest[..colon])?;
    let body = &rest[colon + 1..];
    let body = match body.strip_prefix(' ') {
        Some(b) => b,
        None if body.is_empty() => body,
        None => return None,
    };
    Some((flags, timestamp, body))
}

/// `2.521076` or `123456789` (counter clocks), without allocating.
fn parse_timestamp(s: &str) -> Option<f64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || int.len() > 19 || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole = parse_u64(int)? as f64;
    match frac {
        None => Some(whole),
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => {
            let n = parse_u64(f)? as f64;
            Some(whole + n / POW10[f.len()])
        }
        Some(_) => None,
    }
}

const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// The body after the context, or `None` when it has none of the known shapes (the line is
/// then reported as unknown rather than guessed at).
fn parse_body(body: &str) -> Option<Body<'_>> {
    match body {
        "<stack trace>" => return Some(Body::StackHeader),
        "<user stack trace>" => return Some(Body::UserStackHeader),
        _ => {}
    }
    let b = body.as_bytes();
    let ident = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
        .unwrap_or(b.len());
    if ident > 0 {
        match b.get(ident) {
            // `name: payload`, or `name:` with an empty payload.
            Some(b':') if matches!(b.get(ident + 1), None | Some(b' ')) => {
                let payload = body.get(ident + 2..).unwrap_or("");
                return Some(Body::Named {
                    event: &body[..ident],
                    payload,
                });
            }
            // Syscall tracepoints: `sys_read(fd: 3, ...)` and `sys_read -> 0x3`.
            Some(b'(') if body.ends_with(')') => {
                return Some(Body::Named {
                    event: &body[..ident],
                    payload: &body[ident..],
                });
            }
            Some(b' ') if body[ident..].starts_with(" -> ") => {
                return Some(Body::Named {
                    event: &body[..ident],
                    payload: &body[ident + 1..],
                });
            }
            _ => {}
        }
    }
    // Function tracer: `func <-parent`; `func` alone without the parent option. A module
    // function prints as `func [mod]`.
    if let Some(arrow) = body.find(" <-") {
        return Some(Body::Function {
            func: &body[..arrow],
            parent: Some(&body[arrow + 3..]),
        });
    }
    let single = match body.split_once(' ') {
        None => !body.is_empty(),
        Some((_, m)) => m.starts_with('[') && m.ends_with(']') && !m.contains(' '),
    };
    single.then_some(Body::Function {
        func: body,
        parent: None,
    })
}

fn split_digits(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| s.split_at(n))
}

/// Skips at least one space.
fn skip_spaces1(s: &str) -> Option<&str> {
    let t = s.trim_start_matches(' ');
    (t.len() < s.len()).then_some(t)
}

fn parse_u32(s: &str) -> Option<u32> {
    s.parse().ok()
}

fn parse_u64(s: &str) -> Option<u64> {
    s.parse().ok()
}

/// A field value as it appears in a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawValue<'a> {
    /// `"..."` with the quotes removed.
    Quoted(&'a str),
    /// Anything else: `0x3`, `-2`, `(fault)`, `{1,2}`.
    Bare(&'a str),
}

/// A kprobe/uprobe payload: `(do_sys_openat2+0x0/0x170) dfd=0xffffff9c filename="/tmp" ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbePayload<'a> {
    /// The parenthesised probe site, without the parentheses; `None` for other payloads.
    pub site: Option<&'a str>,
    /// The rest, to iterate with [`fields`].
    pub rest: &'a str,
}

/// Splits off the probe site of a payload.
///
/// A site is `(sym+off/size)`, `(caller+off/size <- func)`, or for uprobes `(0x55d5c5a4d000)`
/// and `(0x... <- 0x...)`; module symbols carry ` [mod]`. Parenthesised text with `:` or `,`
/// in it is not a site (`(fd: 3, buf: ...)` of a syscall event).
pub fn probe_payload(payload: &str) -> ProbePayload<'_> {
    let not_site = ProbePayload {
        site: None,
        rest: payload,
    };
    let Some(inner) = payload.strip_prefix('(') else {
        return not_site;
    };
    let Some(close) = inner.find(')') else {
        return not_site;
    };
    let site = &inner[..close];
    if site.is_empty() || site.bytes().any(|c| matches!(c, b':' | b',' | b'(' | b'=')) {
        return not_site;
    }
    let after = &inner[close + 1..];
    let rest = match after.strip_prefix(' ') {
        Some(r) => r,
        None if after.is_empty() => after,
        None => return not_site,
    };
    ProbePayload {
        site: Some(site),
        rest,
    }
}

/// Iterates `name=value` pairs. Stops (and [`Fields::complete`] turns false) when the text is
/// not `name=value` pairs.
///
/// The kernel does not escape values, so a value ends where the next ` name=` starts (or at the
/// end of the line): a string like `"a b"` or a module symbol `foo+0x0/0x10 [ext4]` keeps its
/// spaces, and a quoted string ends at a `"` followed by the end or by ` name=`.
pub fn fields(rest: &str) -> Fields<'_> {
    Fields { rest, ok: true }
}

pub struct Fields<'a> {
    rest: &'a str,
    ok: bool,
}

impl<'a> Fields<'a> {
    /// False when iteration met text that is not `name=value`.
    pub fn complete(&self) -> bool {
        self.ok
    }
}

/// Length of a field name at the start of `b` when it is followed by `=`.
#[inline]
fn name_then_eq(b: &[u8]) -> Option<usize> {
    let n = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))?;
    (n > 0 && b[n] == b'=').then_some(n)
}

/// Where a value starting at `b[0]` ends: the first ` name=` or the end of the text.
#[inline]
fn value_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(off) = b[i..].iter().position(|&c| c == b' ') {
        let sp = i + off;
        if name_then_eq(&b[sp + 1..]).is_some() {
            return sp;
        }
        i = sp + 1;
    }
    b.len()
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a str, RawValue<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if !self.ok {
            return None;
        }
        let rest = self.rest.trim_end_matches(' ');
        if rest.is_empty() {
            self.rest = rest;
            return None;
        }
        let b = rest.as_bytes();
        let Some(n) = name_then_eq(b) else {
            self.ok = false;
            return None;
        };
        let name = &rest[..n];
        let vstart = n + 1;
        let vb = &b[vstart..];
        if vb.first() == Some(&b'"') {
            // Find the closing quote: a `"` followed by the end or by ` name=`.
            let mut i = 1;
            while let Some(off) = vb[i..].iter().position(|&c| c == b'"') {
                let q = i + off;
                let after = &vb[q + 1..];
                if after.is_empty() {
                    self.rest = "";
                    return Some((name, RawValue::Quoted(&rest[vstart + 1..vstart + q])));
                }
                if after[0] == b' ' && name_then_eq(&after[1..]).is_some() {
                    self.rest = &rest[vstart + q + 2..];
                    return Some((name, RawValue::Quoted(&rest[vstart + 1..vstart + q])));
                }
                i = q + 1;
            }
            // An unterminated string: the line was cut, or this is not our format.
            self.ok = false;
            return None;
        }
        let end = value_end(vb, 0);
        let value = &rest[vstart..vstart + end];
        self.rest = if end < vb.len() {
            &rest[vstart + end + 1..]
        } else {
            ""
        };
        Some((name, RawValue::Bare(value)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // Real output of Linux 6.1 kernels (Debian cloud 6.1.192 and the profiler build of 6.1.192).
    const DEB_KPROBES: &str = include_str!("../../tests/fixtures/debian/trace_kprobes.txt");
    const DEB_STACK: &str = include_str!("../../tests/fixtures/debian/trace_kprobe_stack.txt");
    const DEB_LOST: &str = include_str!("../../tests/fixtures/debian/trace_pipe_lost.txt");
    const PROF_KPROBES: &str = include_str!("../../tests/fixtures/profiler/trace_kprobes.txt");
    const PROF_STACK: &str = include_str!("../../tests/fixtures/profiler/trace_kprobe_stack.txt");
    const PROF_LOST: &str = include_str!("../../tests/fixtures/profiler/trace_pipe_lost.txt");

    /// The trace_pipe_lost fixtures were captured with `grep -n`, so their first line carries a
    /// `NNNN:` line number before the kernel's `CPU:0 [LOST ...]` text (tests/fixtures/README.md).
    pub(crate) fn strip_grep_n(line: &str) -> &str {
        match line.split_once(':') {
            Some((n, rest)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => rest,
            _ => line,
        }
    }

    fn ev(line: &str) -> (Context<'_>, Body<'_>) {
        match parse_line(line) {
            Line::Event { ctx, body } => (ctx, body),
            other => panic!("not an event: {other:?} for {line:?}"),
        }
    }

    fn all_fields(rest: &str) -> (Vec<(&str, RawValue<'_>)>, bool) {
        let mut it = fields(rest);
        let v: Vec<_> = it.by_ref().collect();
        (v, it.complete())
    }

    /// Every line of a trace_kprobes.txt capture: comments, or open/openret events whose
    /// site and fields are all there.
    fn check_kprobes_fixture(text: &str, open_site: &str, openret_site: &str) -> usize {
        let mut events = 0;
        for line in text.lines() {
            match parse_line(line) {
                Line::Comment => assert!(line.starts_with('#') || line.trim().is_empty()),
                Line::Event { ctx, body } => {
                    events += 1;
                    assert!(["sh", "cat", "ls"].contains(&ctx.comm), "{line}");
                    assert_eq!(ctx.flags, Some("....."));
                    assert_eq!(ctx.tgid, None);
                    assert!(ctx.cpu <= 1);
                    assert!(ctx.timestamp > 2.0 && ctx.timestamp < 3.0);
                    let Body::Named { event, payload } = body else {
                        panic!("{line}")
                    };
                    let p = probe_payload(payload);
                    let (f, complete) = all_fields(p.rest);
                    assert!(complete, "{line}");
                    match event {
                        "open" => {
                            assert_eq!(p.site, Some(open_site));
                            assert_eq!(f.len(), 3);
                            assert_eq!(f[0], ("dfd", RawValue::Bare("0xffffff9c")));
                            assert_eq!(f[1].0, "filename");
                            assert!(matches!(f[1].1, RawValue::Quoted(_)));
                            assert_eq!(f[2].0, "flags");
                        }
                        "openret" => {
                            assert_eq!(p.site, Some(openret_site));
                            assert_eq!(f.len(), 1);
                            assert_eq!(f[0].0, "ret");
                        }
                        other => panic!("event {other}"),
                    }
                }
                other => panic!("unexpected {other:?} for {line}"),
            }
        }
        events
    }

    #[test]
    fn every_line_of_debian_6_1_trace_kprobes() {
        let n = check_kprobes_fixture(
            DEB_KPROBES,
            "do_sys_openat2+0x0/0x170",
            "__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2",
        );
        assert_eq!(n, 16);
    }

    #[test]
    fn every_line_of_profiler_6_1_trace_kprobes() {
        // The profiler build inlines differently: the kretprobe returns into do_sys_open.
        let n = check_kprobes_fixture(
            PROF_KPROBES,
            "do_sys_openat2+0x0/0xcc",
            "do_sys_open+0x31/0x3a <- do_sys_openat2",
        );
        assert_eq!(n, 16);
    }

    #[test]
    fn exact_values_of_one_debian_6_1_line() {
        let line = DEB_KPROBES.lines().nth(15).unwrap();
        let (ctx, body) = ev(line);
        assert_eq!(ctx.comm, "cat");
        assert_eq!(ctx.pid, 117);
        assert_eq!(ctx.cpu, 1);
        assert!((ctx.timestamp - 2.527091).abs() < 1e-9);
        let Body::Named { event, payload } = body else {
            panic!()
        };
        assert_eq!(event, "open");
        let p = probe_payload(payload);
        let (f, _) = all_fields(p.rest);
        assert_eq!(
            f,
            vec![
                ("dfd", RawValue::Bare("0xffffff9c")),
                ("filename", RawValue::Quoted("/tmp/marker-file")),
                ("flags", RawValue::Bare("0x8000")),
            ]
        );
        let neg = DEB_KPROBES
            .lines()
            .find(|l| l.contains("0xfffffffffffffffe"))
            .unwrap();
        let (_, Body::Named { payload, .. }) = ev(neg) else {
            panic!()
        };
        let (f, _) = all_fields(probe_payload(payload).rest);
        assert_eq!(f, vec![("ret", RawValue::Bare("0xfffffffffffffffe"))]);
    }

    fn check_stack_fixture(text: &str, frames_per_stack: usize) {
        let mut headers = 0;
        let mut frames = 0;
        let mut opens = 0;
        for line in text.lines() {
            match parse_line(line) {
                Line::Comment => {}
                Line::StackFrame(f) => {
                    frames += 1;
                    assert!(!f.starts_with(' ') && !f.is_empty());
                }
                Line::Event {
                    body: Body::StackHeader,
                    ..
                } => headers += 1,
                Line::Event {
                    body:
                        Body::Named {
                            event: "open",
                            payload,
                        },
                    ..
                } => {
                    opens += 1;
                    let p = probe_payload(payload);
                    assert!(p.site.unwrap().starts_with("do_sys_openat2+0x0/"));
                    let (f, complete) = all_fields(p.rest);
                    assert!(complete);
                    assert_eq!(f.len(), 3);
                }
                other => panic!("unexpected {other:?} for {line}"),
            }
        }
        assert_eq!((headers, opens), (3, 3));
        assert_eq!(frames, 3 * frames_per_stack);
    }

    #[test]
    fn stack_fixture_debian_6_1() {
        check_stack_fixture(DEB_STACK, 4);
        assert_eq!(
            parse_line(" => entry_SYSCALL_64_after_hwframe"),
            Line::StackFrame("entry_SYSCALL_64_after_hwframe")
        );
    }

    #[test]
    fn stack_fixture_profiler_6_1() {
        // This build has x64_sys_call in the syscall path: five frames per stack.
        check_stack_fixture(PROF_STACK, 5);
    }

    fn check_lost_fixture(text: &str, cpu: u32, comm: &str, pid: u32) {
        let mut lines = text.lines();
        let first = strip_grep_n(lines.next().unwrap());
        assert_eq!(
            parse_line(first),
            Line::Lost {
                cpu,
                count: Some(2760)
            }
        );
        let mut n = 0;
        for line in lines {
            let (ctx, body) = ev(line);
            n += 1;
            assert_eq!((ctx.comm, ctx.pid, ctx.cpu), (comm, pid, cpu));
            let Body::Named { event, payload } = body else {
                panic!("{body:?}")
            };
            assert_eq!(event, "sys_read");
            assert!(payload.starts_with("(fd: 3, buf: "), "{payload}");
            let p = probe_payload(payload);
            assert_eq!(p.site, None);
            let (f, complete) = all_fields(p.rest);
            assert!(f.is_empty());
            assert!(!complete, "syscall payload is not name=value");
        }
        assert_eq!(n, 5);
    }

    #[test]
    fn lost_fixture_debian_6_1() {
        check_lost_fixture(DEB_LOST, 0, "<...>", 133);
        let (ctx, _) = ev(DEB_LOST.lines().nth(1).unwrap());
        assert_eq!(ctx.flags, Some("...1."));
    }

    #[test]
    fn lost_fixture_profiler_6_1() {
        check_lost_fixture(PROF_LOST, 1, "cat", 78);
    }

    #[test]
    fn lost_without_count_and_malformed_lost() {
        assert_eq!(
            parse_line("CPU:3 [LOST EVENTS]"),
            Line::Lost {
                cpu: 3,
                count: None
            }
        );
        assert!(matches!(
            parse_line("CPU:3 [LOST x EVENTS]"),
            Line::Unknown(_)
        ));
        assert!(matches!(
            parse_line("CPU:x [LOST 1 EVENTS]"),
            Line::Unknown(_)
        ));
    }

    #[test]
    fn comm_with_spaces_dash_and_bracket() {
        let (ctx, body) =
            ev(" my prog-1 [x]-4242    [003] d.h1.  1234.000001: tracing_mark_write: hi there");
        assert_eq!(ctx.comm, "my prog-1 [x]");
        assert_eq!(ctx.pid, 4242);
        assert_eq!(ctx.cpu, 3);
        assert_eq!(ctx.flags, Some("d.h1."));
        assert_eq!(
            body,
            Body::Named {
                event: "tracing_mark_write",
                payload: "hi there"
            }
        );
    }

    #[test]
    fn comm_with_digits_after_dash() {
        // `kworker/u4:2-events_unbound` style names and a comm ending in `-12`.
        let (ctx, _) = ev("      worker-12-77      [000] .....   5.000000: x: ");
        assert_eq!((ctx.comm, ctx.pid), ("worker-12", 77));
    }

    #[test]
    fn uncached_comm_and_tgid_column() {
        let (ctx, _) = ev("           <...>-133     (    130) [000] ...1.     3.579472: rd: (vfs_read+0x0/0x140) count=1");
        assert_eq!(ctx.comm, "<...>");
        assert_eq!(ctx.tgid, Some(130));
        let (ctx, _) = ev(
            "             cat-78      (-------) [001] .....     3.596021: rd: (vfs_read+0x0/0x140)",
        );
        assert_eq!(ctx.tgid, None);
        assert_eq!(ctx.pid, 78);
    }

    #[test]
    fn no_flags_column_and_four_char_flags() {
        let (ctx, body) =
            ev("             cat-78      [001]     3.596021: rd: (vfs_read+0x0/0x140)");
        assert_eq!(ctx.flags, None);
        assert!((ctx.timestamp - 3.596021).abs() < 1e-9);
        assert!(matches!(body, Body::Named { event: "rd", .. }));
        let (ctx, _) =
            ev("            bash-1     [000] d.h1   100.5: irq_handler_entry: irq=1 name=i8042");
        assert_eq!(ctx.flags, Some("d.h1"));
        assert!((ctx.timestamp - 100.5).abs() < 1e-9);
    }

    #[test]
    fn counter_clock_timestamp() {
        let (ctx, _) =
            ev("            bash-1     [000] .....  123456789012: rd: (vfs_read+0x0/0x140)");
        assert_eq!(ctx.timestamp, 123456789012.0);
        let (ctx, _) = ev("            bash-1     [000]  123456789012: rd: ");
        assert_eq!(ctx.flags, None);
        assert_eq!(ctx.timestamp, 123456789012.0);
    }

    #[test]
    fn function_tracer_lines() {
        let (ctx, body) =
            ev("            bash-1234    [001] d..1.  1234.567890: vfs_read <-ksys_read");
        assert_eq!(ctx.pid, 1234);
        assert_eq!(
            body,
            Body::Function {
                func: "vfs_read",
                parent: Some("ksys_read")
            }
        );
        let (_, body) = ev("            bash-1234    [001] .....  1.0: foo.isra.0");
        assert_eq!(
            body,
            Body::Function {
                func: "foo.isra.0",
                parent: None
            }
        );
    }

    #[test]
    fn named_with_empty_payload_and_user_stack() {
        let (_, body) = ev("            bash-1   [000] .....  1.000000: myprobe:");
        assert_eq!(
            body,
            Body::Named {
                event: "myprobe",
                payload: ""
            }
        );
        let (_, body) = ev("            bash-1   [000] .....  1.000000: <user stack trace>");
        assert_eq!(body, Body::UserStackHeader);
        let (_, body) = ev("            bash-1   [000] .....  1.000000: sys_read -> 0x3");
        assert_eq!(
            body,
            Body::Named {
                event: "sys_read",
                payload: "-> 0x3"
            }
        );
    }

    #[test]
    fn unknown_and_comment_lines() {
        assert_eq!(parse_line(""), Line::Comment);
        assert_eq!(parse_line("   "), Line::Comment);
        assert_eq!(parse_line("# tracer: nop"), Line::Comment);
        assert_eq!(parse_line("hello world"), Line::Unknown("hello world"));
        assert!(matches!(parse_line("bash-12 [000] x"), Line::Unknown(_)));
        assert!(matches!(
            parse_line("bash-12 [000] ..... 1.0 no colon"),
            Line::Unknown(_)
        ));
        // A context followed by text of no known shape is not guessed to be a function.
        assert!(matches!(
            parse_line("            bash-1   [000] .....  1.000000: some free text"),
            Line::Unknown(_)
        ));
        assert!(matches!(
            parse_line("            bash-1   [000] .....  1.000000: "),
            Line::Unknown(_)
        ));
        assert!(matches!(
            parse_line("            bash-1   [000] .....  1.000000: ext4_read [ext4]"),
            Line::Event {
                body: Body::Function {
                    func: "ext4_read [ext4]",
                    parent: None
                },
                ..
            }
        ));
    }

    #[test]
    fn field_values_of_every_kind() {
        let (f, ok) = all_fields(
            r#"a=0x3 b=-2 c=(fault) d={1,2,3} s="with spaces and a=b inside" t="q"uote" u="" x=12"#,
        );
        assert!(ok);
        assert_eq!(
            f,
            vec![
                ("a", RawValue::Bare("0x3")),
                ("b", RawValue::Bare("-2")),
                ("c", RawValue::Bare("(fault)")),
                ("d", RawValue::Bare("{1,2,3}")),
                ("s", RawValue::Quoted("with spaces and a=b inside")),
                ("t", RawValue::Quoted("q\"uote")),
                ("u", RawValue::Quoted("")),
                ("x", RawValue::Bare("12")),
            ]
        );
        // A module symbol keeps its ` [mod]`.
        let (f, ok) = all_fields("sym=ext4_read+0x0/0x10 [ext4] n=1");
        assert!(ok);
        assert_eq!(f[0], ("sym", RawValue::Bare("ext4_read+0x0/0x10 [ext4]")));
        // The kernel does not escape quotes: the first `"` followed by ` name=` ends a string.
        let (f, _) = all_fields(r#"s="a" b=1""#);
        assert_eq!(
            f,
            vec![("s", RawValue::Quoted("a")), ("b", RawValue::Bare("1\""))]
        );
    }

    #[test]
    fn fields_incomplete_cases() {
        let (f, ok) = all_fields("a=1 garbage");
        assert_eq!(f, vec![("a", RawValue::Bare("1 garbage"))]);
        assert!(ok, "a bare value runs to the next name=");
        let (f, ok) = all_fields("garbage a=1");
        assert!(f.is_empty() && !ok);
        let (f, ok) = all_fields(r#"s="unterminated"#);
        assert!(f.is_empty() && !ok);
        let (f, ok) = all_fields("");
        assert!(f.is_empty() && ok);
    }

    #[test]
    fn probe_sites() {
        assert_eq!(
            probe_payload("(0x55d5c5a4d000) arg1=0x1"),
            ProbePayload {
                site: Some("0x55d5c5a4d000"),
                rest: "arg1=0x1"
            }
        );
        assert_eq!(
            probe_payload("(vfs_read+0x0/0x140)").site,
            Some("vfs_read+0x0/0x140")
        );
        assert_eq!(probe_payload("no site").site, None);
        assert_eq!(probe_payload("(unclosed").site, None);
        assert_eq!(probe_payload("(a)b").site, None);
    }

    /// Deterministic xorshift, so the property tests need no extra crate.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        pub fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn exercise(line: &str) {
        if let Line::Event {
            body: Body::Named { payload, .. },
            ..
        } = parse_line(line)
        {
            let p = probe_payload(payload);
            let mut it = fields(p.rest);
            for (name, v) in it.by_ref() {
                assert!(!name.is_empty());
                let _ = v;
            }
            let _ = it.complete();
        }
    }

    /// Random strings over the characters the parser looks at: no panic, and every slice it
    /// hands out is part of the line.
    #[test]
    fn no_panic_on_random_lines() {
        let alphabet: &[&str] = &[
            " ", "-", "[", "]", "(", ")", ":", "\"", "=", ".", "0", "7", "a", "é", "<", ">", "{",
            "}", "#", "CPU:", " => ", "[LOST ", " EVENTS]", " <-", ": ", "d..1.", "x=", "\t",
            "\u{fffd}",
        ];
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..50_000 {
            let mut s = String::new();
            for _ in 0..rng.below(40) {
                s.push_str(alphabet[rng.below(alphabet.len())]);
            }
            let range = s.as_ptr() as usize..=s.as_ptr() as usize + s.len();
            match parse_line(&s) {
                Line::Event { ctx, body } => {
                    assert!(range.contains(&(ctx.comm.as_ptr() as usize)));
                    if let Body::Named { payload, .. } = body {
                        let p = probe_payload(payload);
                        for (name, v) in fields(p.rest) {
                            assert!(range.contains(&(name.as_ptr() as usize)));
                            let (RawValue::Quoted(v) | RawValue::Bare(v)) = v;
                            assert!(range.contains(&(v.as_ptr() as usize + v.len())));
                        }
                    }
                }
                Line::Unknown(u) => assert_eq!(u.len(), s.trim_end_matches(['\n', '\r']).len()),
                _ => {}
            }
        }
    }

    #[test]
    fn no_panic_on_truncated_and_mutated_fixture_lines() {
        let corpus: Vec<&str> = [DEB_KPROBES, DEB_STACK, DEB_LOST, PROF_KPROBES, PROF_STACK]
            .iter()
            .flat_map(|t| t.lines())
            .collect();
        let alphabet: &[char] = &[
            ' ', '-', '[', ']', '(', ')', ':', '"', '=', '.', '0', '9', 'a', 'é', '<', '{', '\t',
        ];
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for line in &corpus {
            for (i, _) in line.char_indices() {
                exercise(&line[..i]);
                exercise(&line[i..]);
            }
        }
        for _ in 0..20_000 {
            let base = corpus[rng.below(corpus.len())];
            let mut s: Vec<char> = base.chars().collect();
            for _ in 0..1 + rng.below(4) {
                let pos = rng.below(s.len() + 1);
                match rng.below(3) {
                    0 if pos < s.len() => {
                        s.remove(pos);
                    }
                    1 => s.insert(pos, alphabet[rng.below(alphabet.len())]),
                    _ if pos < s.len() => s[pos] = alphabet[rng.below(alphabet.len())],
                    _ => {}
                }
            }
            let s: String = s.into_iter().collect();
            exercise(&s);
        }
    }
}
