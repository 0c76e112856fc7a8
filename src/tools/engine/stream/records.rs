//! Turning trace text lines into Records: events with parsed fields, stacks gathered from their
//! ` => ` lines, `[LOST N EVENTS]` as a Lost record. Shared by kprobe, parse and the
//! function-trace backend of funccount.

use crate::record::{Event, FieldValue, Fields, Lost, NoticeLevel, Record, Stack};
use crate::tracefs::trace_line::{self, Body, Context, Line, RawValue};

/// A stateful line-to-record converter (a stack spans several lines).
///
/// [`feed_ref`](Self::feed_ref) lends each record it completes and fills the same records again
/// for the next lines: their strings keep their capacity, so a steady stream of events allocates
/// nothing. [`feed`](Self::feed) gives each record away, for callers that keep or change them.
#[derive(Debug)]
pub struct TraceRecords {
    /// The stack being gathered: its header was seen, its frames are coming.
    stack: Option<Stack>,
    /// The event lent out last, kept for its buffers.
    event: Event,
    /// The stack lent out last, kept for its buffers.
    done: Option<Stack>,
    /// Frame strings of stacks lent out before, for the frames of the next.
    spare_frames: Vec<String>,
    /// Field pairs of events lent out before, beyond the last event's own (an `open` with
    /// three fields, then an `openret` with one), for the next event with more.
    spare_fields: Vec<(String, FieldValue)>,
}

/// Spare frame strings (and field pairs) kept at most, and the largest string kept: what a
/// hostile stack of huge frames leaves behind stays small.
const SPARE_FRAMES: usize = 256;
const SPARE_BYTES: usize = 4096;

impl Default for TraceRecords {
    fn default() -> TraceRecords {
        TraceRecords {
            stack: None,
            event: Event::empty(),
            done: None,
            spare_frames: Vec::new(),
            spare_fields: Vec::new(),
        }
    }
}

impl TraceRecords {
    pub fn new() -> TraceRecords {
        TraceRecords::default()
    }

    /// Feeds one line (no newline); calls `out` for every record it completes.
    pub fn feed(&mut self, line: &str, out: &mut dyn FnMut(Record)) {
        self.feed_to(line, &mut Out::Give(out));
    }

    /// Emits what is pending (a stack whose last frame was the last line read).
    pub fn finish(&mut self, out: &mut dyn FnMut(Record)) {
        self.finish_to(&mut Out::Give(out));
    }

    /// Feeds one line (no newline); lends `out` every record it completes.
    pub fn feed_ref(&mut self, line: &str, out: &mut dyn FnMut(&Record)) {
        self.feed_to(line, &mut Out::Lend(out));
    }

    /// Lends out what is pending (a stack whose last frame was the last line read).
    pub fn finish_ref(&mut self, out: &mut dyn FnMut(&Record)) {
        self.finish_to(&mut Out::Lend(out));
    }

    fn feed_to(&mut self, line: &str, out: &mut Out<'_>) {
        let parsed = trace_line::parse_line(line);
        if let Line::StackFrame(frame) = parsed {
            match &mut self.stack {
                Some(stack) => {
                    let mut f = self.spare_frames.pop().unwrap_or_default();
                    set(&mut f, frame);
                    stack.frames.push(f);
                }
                // A reader that started mid-stack sees frames without their header.
                None => out.fresh(unparsed(
                    line,
                    " (a stack frame without its <stack trace> line)",
                )),
            }
            return;
        }
        // Any other line ends the stack being gathered.
        self.finish_to(out);
        match parsed {
            Line::Event { ctx, body } => match body {
                Body::StackHeader | Body::UserStackHeader => {
                    let mut stack = self.done.take().unwrap_or_else(|| Stack {
                        comm: String::new(),
                        pid: 0,
                        cpu: 0,
                        timestamp: 0.0,
                        frames: Vec::new(),
                    });
                    set(&mut stack.comm, ctx.comm);
                    stack.pid = ctx.pid;
                    stack.cpu = ctx.cpu;
                    stack.timestamp = ctx.timestamp;
                    for f in stack.frames.drain(..) {
                        if self.spare_frames.len() < SPARE_FRAMES && f.capacity() <= SPARE_BYTES {
                            self.spare_frames.push(f);
                        }
                    }
                    self.stack = Some(stack);
                }
                Body::Named { event, payload } => {
                    named_event(
                        &mut self.event,
                        &mut self.spare_fields,
                        &ctx,
                        event,
                        payload,
                    );
                    self.lend_event(out);
                }
                Body::Function { func, parent } => {
                    let e = &mut self.event;
                    base_event(e, &ctx, "function", None);
                    let mut fields = FieldsFill::new(&mut e.fields, &mut self.spare_fields);
                    fields.push("func", RawValue::Quoted(func));
                    if let Some(p) = parent {
                        fields.push("parent", RawValue::Quoted(p));
                    }
                    fields.done();
                    self.lend_event(out);
                }
            },
            Line::Lost { cpu, count } => out.fresh(Record::Lost(Lost {
                cpu: Some(cpu),
                count,
            })),
            Line::Comment => {}
            Line::Unknown(text) => out.fresh(unparsed(text, "")),
            Line::StackFrame(_) => {}
        }
    }

    fn finish_to(&mut self, out: &mut Out<'_>) {
        if let Some(stack) = self.stack.take() {
            if let Some(Record::Stack(s)) = out.kept(Record::Stack(stack)) {
                self.done = Some(s);
            }
        }
    }

    /// Hands out the event just filled; when it was only lent, takes its buffers back.
    fn lend_event(&mut self, out: &mut Out<'_>) {
        let r = Record::Event(std::mem::replace(&mut self.event, Event::empty()));
        if let Some(Record::Event(e)) = out.kept(r) {
            self.event = e;
        }
    }
}

/// Where completed records go: lent (the buffers come back for the next line) or given away
/// (the caller keeps them; the next line starts with fresh buffers, as cheap as building).
enum Out<'a> {
    Lend(&'a mut dyn FnMut(&Record)),
    Give(&'a mut dyn FnMut(Record)),
}

impl Out<'_> {
    /// Hands `r` out; returns it when it was only lent.
    fn kept(&mut self, r: Record) -> Option<Record> {
        match self {
            Out::Lend(f) => {
                f(&r);
                Some(r)
            }
            Out::Give(f) => {
                f(r);
                None
            }
        }
    }

    /// A record made for this line alone (a notice, a loss): nothing to take back.
    fn fresh(&mut self, r: Record) {
        let _ = self.kept(r);
    }
}

/// `dst = src`, in `dst`'s own buffer.
fn set(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

/// `dst = src.map(to_string)`, reusing the string `dst` holds.
fn set_opt(dst: &mut Option<String>, src: Option<&str>) {
    match (dst.as_mut(), src) {
        (Some(d), Some(s)) => set(d, s),
        (None, Some(s)) => *dst = Some(s.to_string()),
        (_, None) => *dst = None,
    }
}

fn unparsed(line: &str, why: &str) -> Record {
    Record::notice(
        NoticeLevel::Warning,
        format!("unparsed trace line{why}: {line}"),
    )
}

/// Fills the context of an event, its name and its probe site; no fields or payload yet.
fn base_event(e: &mut Event, ctx: &Context<'_>, event: &str, probe: Option<&str>) {
    set(&mut e.comm, ctx.comm);
    e.pid = ctx.pid;
    e.tgid = ctx.tgid;
    e.cpu = ctx.cpu;
    set_opt(&mut e.flags, ctx.flags);
    e.timestamp = ctx.timestamp;
    set(&mut e.event, event);
    set_opt(&mut e.probe, probe);
    e.payload = None;
}

fn named_event(
    e: &mut Event,
    spare: &mut Vec<(String, FieldValue)>,
    ctx: &Context<'_>,
    event: &str,
    payload: &str,
) {
    let p = trace_line::probe_payload(payload);
    let mut it = trace_line::fields(p.rest);
    base_event(e, ctx, event, p.site);
    let mut fields = FieldsFill::new(&mut e.fields, spare);
    for (name, raw) in it.by_ref() {
        fields.push(name, raw);
    }
    fields.done();
    if !it.complete() {
        // Not name=value pairs (a tracepoint with its own format): keep the text whole rather
        // than half-parsed fields.
        e.fields.0.clear();
        e.payload = Some(payload.to_string());
    }
}

/// Refills a [`Fields`] pair by pair, reusing the names and string values already there, and
/// spare pairs beyond them.
struct FieldsFill<'a> {
    fields: &'a mut Fields,
    spare: &'a mut Vec<(String, FieldValue)>,
    n: usize,
}

impl<'a> FieldsFill<'a> {
    fn new(fields: &'a mut Fields, spare: &'a mut Vec<(String, FieldValue)>) -> FieldsFill<'a> {
        FieldsFill {
            fields,
            spare,
            n: 0,
        }
    }

    fn push(&mut self, name: &str, raw: RawValue<'_>) {
        if self.n == self.fields.0.len() {
            let pair = self
                .spare
                .pop()
                .unwrap_or_else(|| (String::new(), FieldValue::UInt(0)));
            self.fields.0.push(pair);
        }
        if let Some((k, v)) = self.fields.0.get_mut(self.n) {
            set(k, name);
            convert(raw, v);
        }
        self.n += 1;
    }

    /// Sets aside what the previous record had beyond this one's pairs.
    fn done(self) {
        for pair in self.fields.0.drain(self.n..) {
            let small = match &pair.1 {
                FieldValue::Str(s) => s.capacity() <= SPARE_BYTES,
                _ => true,
            };
            if self.spare.len() < SPARE_FRAMES && small && pair.0.capacity() <= SPARE_BYTES {
                self.spare.push(pair);
            }
        }
    }
}

/// Decimal numbers become numbers; hex stays text (`0x…`: pointers and flags read better so);
/// quoted strings lose their quotes; anything else is kept as printed. Written into `dst`,
/// reusing its string.
fn convert(raw: RawValue<'_>, dst: &mut FieldValue) {
    let text = match raw {
        RawValue::Quoted(s) => s,
        RawValue::Bare(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
                if s.starts_with('-') {
                    if let Ok(v) = s.parse::<i64>() {
                        *dst = FieldValue::Int(v);
                        return;
                    }
                } else if let Ok(v) = s.parse::<u64>() {
                    *dst = FieldValue::UInt(v);
                    return;
                }
            }
            s
        }
    };
    match dst {
        FieldValue::Str(d) => set(d, text),
        _ => *dst = FieldValue::Str(text.to_string()),
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

    /// One converter fed many lines reuses its buffers: every record must still equal what a
    /// fresh converter makes of the same line alone. The lines change shape from one to the
    /// next (more fields, fewer, none; numbers where strings were; flags and probe present and
    /// absent; a tracepoint payload; function lines; stacks of different depths).
    #[test]
    fn reused_buffers_leave_nothing_stale() {
        let lines = [
            "              sh-105     [000] .....     2.521076: open: (do_sys_openat2+0x0/0x170) dfd=0xffffff9c filename=\"/dev/null\" flags=0x8241",
            "              sh-105     [000] .....     2.522380: openret: (__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2) ret=0x3",
            "             cat-117     [001] .....     2.527091: open: (do_sys_openat2+0x0/0x170) dfd=0xffffff9c filename=\"/tmp/marker-file\" flags=0x8000",
            "            bash-7     (    5) [000] 1.000000: p: a=12 b=-3 c=0x10 d=(fault) e=99999999999999999999",
            "            bash-7     [000] .....  1.000001: p: a=x b=1",
            "           <...>-133     [000] ...1.     3.579472: sys_read(fd: 3, buf: 7f75ead2a000, count: 10000)",
            "            bash-7     [000] .....  1.000001: vfs_read <-ksys_read",
            "            bash-7     [000] .....  1.000002: vfs_write",
            "              sh-105     [000] .....     2.522380: openret: (__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2) ret=0x3",
            "CPU:1 [LOST 5 EVENTS]",
            "garbage",
        ];
        let mut reused = TraceRecords::new();
        for _ in 0..2 {
            for line in lines {
                let mut fresh = Vec::new();
                TraceRecords::new().feed(line, &mut |r| fresh.push(r));
                let mut got = Vec::new();
                reused.feed_ref(line, &mut |r| got.push(r.clone()));
                assert_eq!(got, fresh, "{line}");
                assert!(!got.is_empty(), "{line}");
            }
        }
        // Stacks: a deep one, a shallow one, an empty one, each whole and nothing more.
        let header = |ts: &str| format!("            bash-7     [000] .....  {ts}: <stack trace>");
        let mut text = vec![header("1.0")];
        text.extend((0..6).map(|i| format!(" => deep{i}")));
        text.push(header("1.1"));
        text.push(" => shallow".to_string());
        text.push(header("1.2"));
        text.push(lines[1].to_string());
        let mut got = Vec::new();
        for line in &text {
            reused.feed_ref(line, &mut |r| got.push(r.clone()));
        }
        reused.finish_ref(&mut |r| got.push(r.clone()));
        let frames: Vec<Vec<String>> = got
            .iter()
            .filter_map(|r| match r {
                Record::Stack(s) => Some(s.frames.clone()),
                _ => None,
            })
            .collect();
        let deep: Vec<String> = (0..6).map(|i| format!("deep{i}")).collect();
        assert_eq!(frames, vec![deep, vec!["shallow".to_string()], vec![]]);
        assert_eq!(got.len(), 4, "{got:?}");
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
