//! Turning trace text lines into Records: events with parsed fields, stacks gathered from their
//! ` => ` lines, `[LOST N EVENTS]` as a Lost record. Shared by kprobe, parse and the
//! function-trace backend of funccount.

use crate::record::{Event, FieldValue, Fields, Lost, NoticeLevel, Record, Stack};
use crate::tracefs::trace_line::{self, Body, Context, Line, RawValue};

/// A stateful line-to-record converter (a stack spans several lines).
#[derive(Debug, Default)]
pub struct TraceRecords {
    /// The stack being gathered: its header was seen, its frames are coming.
    stack: Option<Stack>,
}

impl TraceRecords {
    pub fn new() -> TraceRecords {
        TraceRecords::default()
    }

    /// Feeds one line (no newline); calls `out` for every record it completes.
    pub fn feed(&mut self, line: &str, out: &mut dyn FnMut(Record)) {
        let parsed = trace_line::parse_line(line);
        if let Line::StackFrame(frame) = parsed {
            match &mut self.stack {
                Some(stack) => stack.frames.push(frame.to_string()),
                // A reader that started mid-stack sees frames without their header.
                None => out(unparsed(
                    line,
                    " (a stack frame without its <stack trace> line)",
                )),
            }
            return;
        }
        // Any other line ends the stack being gathered.
        self.finish(out);
        match parsed {
            Line::Event { ctx, body } => match body {
                Body::StackHeader | Body::UserStackHeader => {
                    self.stack = Some(Stack {
                        comm: ctx.comm.to_string(),
                        pid: ctx.pid,
                        cpu: ctx.cpu,
                        timestamp: ctx.timestamp,
                        frames: Vec::new(),
                    });
                }
                Body::Named { event, payload } => {
                    out(Record::Event(named_event(&ctx, event, payload)))
                }
                Body::Function { func, parent } => {
                    let mut fields = vec![("func".to_string(), FieldValue::Str(func.to_string()))];
                    if let Some(p) = parent {
                        fields.push(("parent".to_string(), FieldValue::Str(p.to_string())));
                    }
                    out(Record::Event(base_event(&ctx, "function", Fields(fields))));
                }
            },
            Line::Lost { cpu, count } => out(Record::Lost(Lost {
                cpu: Some(cpu),
                count,
            })),
            Line::Comment => {}
            Line::Unknown(text) => out(unparsed(text, "")),
            Line::StackFrame(_) => {}
        }
    }

    /// Emits what is pending (a stack whose last frame was the last line read).
    pub fn finish(&mut self, out: &mut dyn FnMut(Record)) {
        if let Some(stack) = self.stack.take() {
            out(Record::Stack(stack));
        }
    }
}

fn unparsed(line: &str, why: &str) -> Record {
    Record::notice(
        NoticeLevel::Warning,
        format!("unparsed trace line{why}: {line}"),
    )
}

fn base_event(ctx: &Context<'_>, event: &str, fields: Fields) -> Event {
    Event {
        comm: ctx.comm.to_string(),
        pid: ctx.pid,
        tgid: ctx.tgid,
        cpu: ctx.cpu,
        flags: ctx.flags.map(str::to_string),
        timestamp: ctx.timestamp,
        event: event.to_string(),
        probe: None,
        fields,
        payload: None,
    }
}

fn named_event(ctx: &Context<'_>, event: &str, payload: &str) -> Event {
    let p = trace_line::probe_payload(payload);
    let mut it = trace_line::fields(p.rest);
    let mut fields = Vec::new();
    for (name, raw) in it.by_ref() {
        fields.push((name.to_string(), convert(raw)));
    }
    let mut e = base_event(ctx, event, Fields::default());
    e.probe = p.site.map(str::to_string);
    if it.complete() {
        e.fields = Fields(fields);
    } else {
        // Not name=value pairs (a tracepoint with its own format): keep the text whole rather
        // than half-parsed fields.
        e.payload = Some(payload.to_string());
    }
    e
}

/// Decimal numbers become numbers; hex stays text (`0x…`: pointers and flags read better so);
/// quoted strings lose their quotes; anything else is kept as printed.
fn convert(raw: RawValue<'_>) -> FieldValue {
    match raw {
        RawValue::Quoted(s) => FieldValue::Str(s.to_string()),
        RawValue::Bare(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
                if s.starts_with('-') {
                    if let Ok(v) = s.parse::<i64>() {
                        return FieldValue::Int(v);
                    }
                } else if let Ok(v) = s.parse::<u64>() {
                    return FieldValue::UInt(v);
                }
            }
            FieldValue::Str(s.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Record> {
        let mut t = TraceRecords::new();
        let mut out = Vec::new();
        for line in text.lines() {
            t.feed(line, &mut |r| out.push(r));
        }
        t.finish(&mut |r| out.push(r));
        out
    }

    fn events(recs: &[Record]) -> Vec<&Event> {
        recs.iter()
            .filter_map(|r| match r {
                Record::Event(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn debian_6_1_stack_fixture_gives_three_events_and_three_stacks() {
        let recs = run(include_str!(
            "../../../../tests/fixtures/debian/trace_kprobe_stack.txt"
        ));
        assert_eq!(recs.len(), 6, "{recs:#?}");
        let frames = vec![
            "do_sys_openat2",
            "__x64_sys_openat",
            "do_syscall_64",
            "entry_SYSCALL_64_after_hwframe",
        ];
        for pair in recs.chunks(2) {
            let (Record::Event(e), Record::Stack(s)) = (&pair[0], &pair[1]) else {
                panic!("expected event then stack: {pair:?}")
            };
            assert_eq!(e.event, "open");
            assert_eq!(e.probe.as_deref(), Some("do_sys_openat2+0x0/0x170"));
            assert_eq!(
                (s.comm.as_str(), s.pid, s.cpu),
                (e.comm.as_str(), e.pid, e.cpu)
            );
            assert_eq!(s.frames, frames);
        }
        let Record::Event(cat) = &recs[2] else {
            panic!()
        };
        assert_eq!(cat.comm, "cat");
        assert_eq!(cat.pid, 121);
        assert_eq!(cat.tgid, None);
        assert_eq!(cat.flags.as_deref(), Some("....."));
        assert_eq!(
            cat.fields.get("filename"),
            Some(&FieldValue::Str("/tmp/marker-file".into()))
        );
        assert_eq!(
            cat.fields.get("dfd"),
            Some(&FieldValue::Str("0xffffff9c".into()))
        );
        assert_eq!(cat.payload, None);
    }

    #[test]
    fn profiler_6_1_stack_fixture_last_stack_flushed_by_finish() {
        let recs = run(include_str!(
            "../../../../tests/fixtures/profiler/trace_kprobe_stack.txt"
        ));
        assert_eq!(recs.len(), 6);
        let Record::Stack(last) = &recs[5] else {
            panic!()
        };
        assert_eq!(last.frames.len(), 5);
        assert_eq!(last.frames[2], "x64_sys_call");
    }

    #[test]
    fn debian_6_1_kprobes_fixture_openret() {
        let recs = run(include_str!(
            "../../../../tests/fixtures/debian/trace_kprobes.txt"
        ));
        let ev = events(&recs);
        assert_eq!(ev.len(), 16);
        assert_eq!(recs.len(), 16, "comments make no records");
        let ret = ev.iter().find(|e| e.event == "openret").unwrap();
        assert_eq!(
            ret.probe.as_deref(),
            Some("__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2")
        );
        assert_eq!(ret.fields.get("ret"), Some(&FieldValue::Str("0x3".into())));
        assert_eq!(ret.fields.0.len(), 1);
    }

    #[test]
    fn debian_6_1_lost_fixture() {
        // The fixture was captured with `grep -n`: drop the line number of its first line.
        let text = include_str!("../../../../tests/fixtures/debian/trace_pipe_lost.txt");
        let text: String = text
            .lines()
            .map(|l| crate::tracefs::trace_line::tests::strip_grep_n(l).to_string() + "\n")
            .collect();
        let recs = run(&text);
        assert_eq!(
            recs[0],
            Record::Lost(Lost {
                cpu: Some(0),
                count: Some(2760),
            })
        );
        let ev = events(&recs);
        assert_eq!(ev.len(), 5);
        assert_eq!(ev[0].event, "sys_read");
        assert_eq!(ev[0].comm, "<...>");
        assert!(ev[0].fields.is_empty());
        assert_eq!(
            ev[0].payload.as_deref(),
            Some("(fd: 3, buf: 7f75ead2a000, count: 10000)")
        );
        assert_eq!(ev[0].probe, None);
    }

    #[test]
    fn unknown_lines_become_warnings_and_numbers_convert() {
        let text = "garbage here\n => orphan\n            bash-7     (    5) [000] .....  1.000000: p: (f+0x0/0x1) a=12 b=-3 c=0x10 d=(fault) e=99999999999999999999 f={1,2}\n            bash-7     [000] .....  1.000001: vfs_read <-ksys_read\n";
        let recs = run(text);
        assert_eq!(recs.len(), 4);
        for r in &recs[..2] {
            let Record::Notice(n) = r else {
                panic!("{r:?}")
            };
            assert_eq!(n.level, NoticeLevel::Warning);
            assert!(n.message.starts_with("unparsed trace line"));
        }
        let Record::Notice(n) = &recs[0] else {
            panic!()
        };
        assert!(n.message.ends_with(": garbage here"));
        let Record::Event(e) = &recs[2] else { panic!() };
        assert_eq!(e.tgid, Some(5));
        assert_eq!(
            e.fields.0,
            vec![
                ("a".to_string(), FieldValue::UInt(12)),
                ("b".to_string(), FieldValue::Int(-3)),
                ("c".to_string(), FieldValue::Str("0x10".into())),
                ("d".to_string(), FieldValue::Str("(fault)".into())),
                (
                    "e".to_string(),
                    FieldValue::Str("99999999999999999999".into())
                ),
                ("f".to_string(), FieldValue::Str("{1,2}".into())),
            ]
        );
        let Record::Event(f) = &recs[3] else { panic!() };
        assert_eq!(f.event, "function");
        assert_eq!(
            f.fields.get("func"),
            Some(&FieldValue::Str("vfs_read".into()))
        );
        assert_eq!(
            f.fields.get("parent"),
            Some(&FieldValue::Str("ksys_read".into()))
        );
    }

    /// Truncations of every real line (both 6.1 kernels) through the record builder: no panic,
    /// and every line still yields at most one record (stacks aside).
    #[test]
    fn truncated_lines_never_panic() {
        let texts = [
            include_str!("../../../../tests/fixtures/debian/trace_kprobes.txt"),
            include_str!("../../../../tests/fixtures/debian/trace_kprobe_stack.txt"),
            include_str!("../../../../tests/fixtures/profiler/trace_pipe_lost.txt"),
        ];
        let mut t = TraceRecords::new();
        for text in texts {
            for line in text.lines() {
                for (i, _) in line.char_indices() {
                    for part in [&line[..i], &line[i..]] {
                        let mut n = 0;
                        t.feed(part, &mut |_| n += 1);
                        assert!(n <= 2, "{part:?} gave {n} records");
                    }
                }
            }
        }
        t.finish(&mut |_| {});
    }

    #[test]
    fn stack_ends_at_next_event_and_empty_stack_is_kept() {
        let text = "            bash-7     [000] .....  1.0: <stack trace>\n            bash-7     [000] .....  1.1: <user stack trace>\n => <00007f0000001000>\n";
        let recs = run(text);
        assert_eq!(recs.len(), 2);
        let Record::Stack(a) = &recs[0] else { panic!() };
        assert!(a.frames.is_empty());
        let Record::Stack(b) = &recs[1] else { panic!() };
        assert_eq!(b.frames, vec!["<00007f0000001000>"]);
    }
}
