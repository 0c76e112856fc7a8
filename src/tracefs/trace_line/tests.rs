//! The line parser against real output of Linux 6.1 kernels, and truncated and random input.

use super::*;

// Real output of Linux 6.1 kernels (Debian cloud 6.1.192 and the profiler build of 6.1.192).
const DEB_KPROBES: &str = include_str!("../../../tests/fixtures/debian/trace_kprobes.txt");
const DEB_STACK: &str = include_str!("../../../tests/fixtures/debian/trace_kprobe_stack.txt");
const DEB_LOST: &str = include_str!("../../../tests/fixtures/debian/trace_pipe_lost.txt");
const PROF_KPROBES: &str = include_str!("../../../tests/fixtures/profiler/trace_kprobes.txt");
const PROF_STACK: &str = include_str!("../../../tests/fixtures/profiler/trace_kprobe_stack.txt");
const PROF_LOST: &str = include_str!("../../../tests/fixtures/profiler/trace_pipe_lost.txt");

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
    let (ctx, _) =
        ev("             cat-78      (-------) [001] .....     3.596021: rd: (vfs_read+0x0/0x140)");
    assert_eq!(ctx.tgid, None);
    assert_eq!(ctx.pid, 78);
}

#[test]
fn no_flags_column_and_four_char_flags() {
    let (ctx, body) = ev("             cat-78      [001]     3.596021: rd: (vfs_read+0x0/0x140)");
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
    let (ctx, _) = ev("            bash-1     [000] .....  123456789012: rd: (vfs_read+0x0/0x140)");
    assert_eq!(ctx.timestamp, 123456789012.0);
    let (ctx, _) = ev("            bash-1     [000]  123456789012: rd: ");
    assert_eq!(ctx.flags, None);
    assert_eq!(ctx.timestamp, 123456789012.0);
}

#[test]
fn function_tracer_lines() {
    let (ctx, body) = ev("            bash-1234    [001] d..1.  1234.567890: vfs_read <-ksys_read");
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
        " ", "-", "[", "]", "(", ")", ":", "\"", "=", ".", "0", "7", "a", "é", "<", ">", "{", "}",
        "#", "CPU:", " => ", "[LOST ", " EVENTS]", " <-", ": ", "d..1.", "x=", "\t", "\u{fffd}",
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

/// A timestamp prints back as the decimal the kernel printed (JSON shows `3.580576`, not
/// `3.5805759999999998`), for every fraction length and past 2^53 nanoseconds too.
#[test]
fn timestamps_print_back_as_the_kernel_printed_them() {
    for t in [
        "3.580576",
        "4.806619",
        "226.147592",
        "0.000001",
        "1234.5",
        "98765.123456789",
        "123456789.123456",
    ] {
        let line = format!("            bash-1     [000] .....  {t}: rd: (vfs_read+0x0/0x140)");
        let (ctx, _) = ev(&line);
        assert_eq!(ctx.timestamp.to_string(), t, "{t}");
        assert_eq!(ctx.timestamp, t.parse::<f64>().unwrap(), "{t}");
    }
    // Past 2^53 in the smallest unit: the text parsed, the nearest f64 to it.
    for t in ["10000000.123456789", "9999999999.999999"] {
        let line = format!("            bash-1     [000] .....  {t}: rd: (vfs_read+0x0/0x140)");
        let (ctx, _) = ev(&line);
        assert_eq!(ctx.timestamp, t.parse::<f64>().unwrap(), "{t}");
    }
}
