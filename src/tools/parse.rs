//! parse: saved ftrace text (`trace` or `trace_pipe` format, from any machine) into the same
//! records kprobe prints, so old captures go through `--json | jq` too.
//!
//! `lktrace parse [FILE]`: reads FILE, or standard input without one. Needs no tracefs and no
//! root: it only reads text.

use std::io::{BufRead, Read};
use std::path::PathBuf;

use super::engine::stream::TraceRecords;
use crate::record::{NoticeLevel, Record, Sink};
use crate::tracefs::stop::StopFlag;
use crate::{Error, Result};

/// A line longer than this is cut here (the rest of it skipped), so a file with no newline
/// (`/dev/zero`) cannot take all memory. Real trace lines are a few hundred bytes.
pub const MAX_LINE: usize = 1 << 20;

/// Turn saved trace text into events, stacks and lost-event records.
#[derive(Debug, Clone, clap::Args)]
pub struct ParseArgs {
    /// A saved `trace` or `trace_pipe` text file; standard input when omitted or `-`
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// What to parse. Never sent to an agent (`Tool::REMOTE` is false): the file is here.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParseSpec {
    pub file: Option<PathBuf>,
}

/// The parse tool.
pub struct Parse;

impl super::Tool for Parse {
    const NAME: &'static str = "parse";
    const ABOUT: &'static str = "Parse saved ftrace text (trace or trace_pipe format) into records";
    const DESCRIPTION: &'static str =
        "parse reads text saved from the kernel's trace or trace_pipe files (a file, or standard \
         input) and prints its events as lktrace's tools print them: as the kernel's text again, \
         or with --json as JSON Lines records, one a line, for jq and pipelines. It understands \
         the events of kprobes, uprobes, tracepoints and the function tracer, stack traces and \
         lost-event lines; a line it cannot read is kept as it is, not dropped. It needs nothing \
         of the kernel and runs anywhere.";
    const REMOTE: bool = false;
    const RECORDS: &'static [&'static str] = &["event", "stack", "lost", "notice"];
    // It reads text and needs nothing of the kernel: tests/parse_cli.rs covers it.
    const EG: &'static [(&'static str, &'static str)] = &[
        ("lktrace parse trace.txt --json | jq .", "saved trace text as JSON Lines"),
        ("cat trace_pipe | lktrace parse", "a live trace_pipe, parsed"),
    ];
    const SCENARIOS: &'static [&'static str] = &[];
    type Args = ParseArgs;
    type Spec = ParseSpec;

    fn spec(args: &ParseArgs) -> Result<ParseSpec> {
        Ok(ParseSpec {
            file: args.file.clone(),
        })
    }

    fn needs() -> Vec<super::Need> {
        vec![super::Need::new("parse", super::Requires::Nothing)]
    }

    fn describe(spec: &ParseSpec) -> String {
        format!("parse {:?}", spec.file)
    }

    fn render_hints(_: &ParseSpec) -> super::RenderHints {
        super::RenderHints {
            timeline: true,
            ..Default::default()
        }
    }

    fn run(spec: &ParseSpec, env: &super::RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run_file(spec, &env.stop, sink)
    }
}

/// Runs `parse` on `spec.file` (or standard input) until its end or until `stop` (Ctrl-C):
/// a read blocked on a pipe or terminal wakes for it.
pub fn run_file(spec: &ParseSpec, stop: &StopFlag, sink: &mut dyn Sink) -> Result<()> {
    let input: Input = match spec.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => std::fs::File::open(p)
            .map_err(|e| Error::Other(format!("cannot open {}: {e}", p.display())))?
            .into_input(),
        _ => stdin_file()?,
    };
    let reader = WakeOnStop {
        inner: input,
        stop: stop.clone(),
    };
    run(
        &mut std::io::BufReader::with_capacity(64 * 1024, reader),
        stop,
        sink,
    )
}

/// Standard input as a plain file descriptor (no std buffer of its own in front, so that
/// polling the descriptor tells the truth about what can be read).
#[cfg(unix)]
fn stdin_file() -> Result<Input> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| Error::Other(format!("standard input: {e}")))?;
    Ok(std::fs::File::from(fd))
}

#[cfg(not(unix))]
fn stdin_file() -> Result<Input> {
    Ok(Box::new(std::io::stdin()))
}

/// What parse reads: a descriptor we can poll on unix; any reader elsewhere.
#[cfg(unix)]
type Input = std::fs::File;
#[cfg(not(unix))]
type Input = Box<dyn Read>;

trait IntoInput {
    fn into_input(self) -> Input;
}

impl IntoInput for std::fs::File {
    #[cfg(unix)]
    fn into_input(self) -> Input {
        self
    }
    #[cfg(not(unix))]
    fn into_input(self) -> Input {
        Box::new(self)
    }
}

/// A reader that returns end of input once `stop` is set, instead of staying blocked in
/// `read(2)` (signal handlers restart it): it waits for data in short polls.
struct WakeOnStop {
    inner: Input,
    stop: StopFlag,
}

impl Read for WakeOnStop {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.is_set() {
            return Ok(0);
        }
        #[cfg(unix)]
        while !crate::tracefs::sys::wait_readable(
            &self.inner,
            std::time::Duration::from_millis(100),
        )? {
            if self.stop.is_set() {
                return Ok(0);
            }
        }
        self.inner.read(buf)
    }
}

/// One line as [`Lines`] found it: known valid UTF-8, or bytes still to check.
enum Text<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
}

/// Splits what a reader hands over, chunk by chunk, into lines of at most `cap` bytes (without
/// their newline): a line inside one chunk is passed on where it lies, with no copy; only a line
/// that spans chunks is gathered in `carry`.
struct Lines {
    cap: usize,
    /// The start of a line whose end is in a later chunk.
    carry: Vec<u8>,
    /// The line being read was cut at `cap`: skip to its end.
    skipping: bool,
}

impl Lines {
    fn new(cap: usize) -> Lines {
        Lines {
            cap,
            carry: Vec::new(),
            skipping: false,
        }
    }

    /// Calls `line` for every line that ends in `chunk`, and for the first `cap` bytes of a
    /// longer one (`cut` true, the rest then skipped).
    fn feed(&mut self, chunk: &[u8], line: &mut dyn FnMut(Text<'_>, bool) -> Result<()>) -> Result<()> {
        // UTF-8 checked once for the whole chunk (nearly always valid): the lines inside it are
        // then string slices, checked again never.
        let text = match std::str::from_utf8(chunk) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&chunk[..e.valid_up_to()]).unwrap_or_default(),
        };
        let mut at = 0;
        while at < chunk.len() {
            let rest = &chunk[at..];
            let newline = memchr::memchr(b'\n', rest);
            let take = newline.unwrap_or(rest.len());
            let (start, end) = (at, at + take);
            let part = &chunk[start..end];
            at = end + 1;
            if self.skipping {
                self.skipping = newline.is_none();
                continue;
            }
            let room = self.cap - self.carry.len();
            if part.len() > room {
                self.carry.extend_from_slice(&part[..room]);
                self.skipping = newline.is_none();
                self.emit_carry(true, line)?;
            } else if newline.is_none() {
                self.carry.extend_from_slice(part);
            } else if self.carry.is_empty() {
                let t = match text.get(start..end) {
                    Some(s) => Text::Str(s),
                    None => Text::Bytes(part),
                };
                line(t, false)?;
            } else {
                self.carry.extend_from_slice(part);
                self.emit_carry(false, line)?;
            }
        }
        Ok(())
    }

    /// The end of the input: a last line without its newline.
    fn finish(&mut self, line: &mut dyn FnMut(Text<'_>, bool) -> Result<()>) -> Result<()> {
        self.skipping = false;
        if self.carry.is_empty() {
            return Ok(());
        }
        self.emit_carry(false, line)
    }

    fn emit_carry(
        &mut self,
        cut: bool,
        line: &mut dyn FnMut(Text<'_>, bool) -> Result<()>,
    ) -> Result<()> {
        let r = line(Text::Bytes(&self.carry), cut);
        self.carry.clear();
        // A cut line left a megabyte behind: give it back.
        self.carry.shrink_to(4096);
        r
    }
}

/// Reads trace text line by line and emits its records into `sink`, until the end of the
/// input or `stop`.
///
/// Invalid UTF-8 is converted lossily (U+FFFD) rather than stopping the run. A line over
/// [`MAX_LINE`] bytes is cut there with a notice naming it. The sink is flushed after the lines
/// of each read, before the next read can block, so a reader of a live pipe sees each record
/// at once while a file goes out in large writes. A sink error (the reader of our output went
/// away) ends the run with that error, so `| head` stops us promptly.
pub fn run(input: &mut dyn BufRead, stop: &StopFlag, sink: &mut dyn Sink) -> Result<()> {
    let mut records = LineRecords {
        conv: TraceRecords::new(),
        number: 0,
    };
    let mut lines = Lines::new(MAX_LINE);
    while !stop.is_set() {
        let chunk = input
            .fill_buf()
            .map_err(|e| Error::Other(format!("reading trace text: {e}")))?;
        if chunk.is_empty() {
            // The end of the input; after a stop, a half-read last line is dropped.
            if !stop.is_set() {
                lines.finish(&mut |b, cut| records.line(b, cut, sink))?;
            }
            break;
        }
        let n = chunk.len();
        lines.feed(chunk, &mut |b, cut| records.line(b, cut, sink))?;
        input.consume(n);
        sink.flush()?;
    }
    let mut failed = None;
    records.conv.finish_ref(&mut |r| failed = sink.emit_ref(r).err());
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(sink.flush()?)
}

/// Lines to records, numbering the lines for the notices that name one.
struct LineRecords {
    conv: TraceRecords,
    number: u64,
}

impl LineRecords {
    fn line(&mut self, line: Text<'_>, cut: bool, sink: &mut dyn Sink) -> Result<()> {
        self.number += 1;
        if cut {
            sink.emit(Record::notice(
                NoticeLevel::Warning,
                format!(
                    "line {} is longer than {} MiB: the rest of it is skipped",
                    self.number,
                    MAX_LINE >> 20
                ),
            ))?;
        }
        let text = match line {
            Text::Str(s) => std::borrow::Cow::Borrowed(s),
            // Valid UTF-8 is borrowed; anything else converted lossily.
            Text::Bytes(b) => String::from_utf8_lossy(b),
        };
        let text = text.trim_end_matches('\r');
        // Records are lent to the sink, which renders them and keeps nothing: the converter
        // fills the same buffers again for the next line.
        let mut failed = None;
        self.conv.feed_ref(text, &mut |r| {
            if failed.is_none() {
                failed = sink.emit_ref(r).err();
            }
        });
        failed.map_or(Ok(()), |e| Err(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{FieldValue, NoticeLevel, SinkError, VecSink};

    #[test]
    fn debian_6_1_capture_becomes_records() {
        let text = include_str!("../../tests/fixtures/debian/trace_kprobe_stack.txt");
        let mut sink = VecSink::default();
        run(&mut text.as_bytes(), &StopFlag::new(), &mut sink).unwrap();
        assert_eq!(sink.0.len(), 6);
        let Record::Event(e) = &sink.0[2] else {
            panic!()
        };
        assert_eq!(
            e.fields.get("filename"),
            Some(&FieldValue::Str("/tmp/marker-file".into()))
        );
        let Record::Stack(s) = &sink.0[5] else {
            panic!()
        };
        assert_eq!(
            s.frames.last().map(String::as_str),
            Some("entry_SYSCALL_64_after_hwframe")
        );
    }

    #[test]
    fn crlf_no_final_newline_and_invalid_utf8() {
        let mut input: Vec<u8> = Vec::new();
        input.extend_from_slice(
            b"            b\xffsh-7     [000] .....  1.000000: p: (f+0x0/0x1) s=\"x\"\r\n",
        );
        input
            .extend_from_slice(b"            bash-7     [000] .....  1.000001: p: (f+0x0/0x1) n=5");
        let mut sink = VecSink::default();
        run(&mut input.as_slice(), &StopFlag::new(), &mut sink).unwrap();
        assert_eq!(sink.0.len(), 2);
        let Record::Event(a) = &sink.0[0] else {
            panic!("{:?}", sink.0[0])
        };
        assert_eq!(a.comm, "b\u{fffd}sh");
        assert_eq!(a.fields.get("s"), Some(&FieldValue::Str("x".into())));
        let Record::Event(b) = &sink.0[1] else {
            panic!()
        };
        assert_eq!(b.fields.get("n"), Some(&FieldValue::UInt(5)));
    }

    #[test]
    fn unknown_lines_are_reported_not_dropped() {
        let mut sink = VecSink::default();
        run(
            &mut "what is this\n".as_bytes(),
            &StopFlag::new(),
            &mut sink,
        )
        .unwrap();
        let [Record::Notice(n)] = sink.0.as_slice() else {
            panic!("{:?}", sink.0)
        };
        assert_eq!(n.level, NoticeLevel::Warning);
        assert!(n.message.contains("what is this"));
    }

    /// Records of `input` read through a buffer of `cap` bytes.
    fn records_through(input: &[u8], cap: usize) -> Vec<Record> {
        let mut sink = VecSink::default();
        let mut r = std::io::BufReader::with_capacity(cap, input);
        run(&mut r, &StopFlag::new(), &mut sink).unwrap();
        sink.0
    }

    /// Lines split across reads (every size of read from one byte up), CRLF, a multi-byte
    /// character and an invalid byte on either side of a read boundary: the same records as
    /// one read of everything.
    #[test]
    fn lines_across_read_boundaries_give_the_same_records() {
        let mut input = include_bytes!("../../tests/fixtures/debian/trace_kprobe_stack.txt").to_vec();
        input.extend_from_slice(
            "            b\u{e4}sh-7     [000] .....  1.000000: p: (f+0x0/0x1) s=\"\u{20ac}\"\r\n"
                .as_bytes(),
        );
        input.extend_from_slice(b"            b\xffsh-7     [000] .....  1.000001: p: (f+0x0/0x1) n=5\r\r\n");
        input.extend_from_slice(b"            bash-7     [000] .....  1.000002: p: (f+0x0/0x1) n=6");
        let whole = records_through(&input, input.len() + 1);
        assert_eq!(whole.len(), 9, "{whole:#?}");
        let Record::Event(e) = &whole[6] else {
            panic!("{:?}", whole[6])
        };
        assert_eq!(e.comm, "b\u{e4}sh");
        assert_eq!(e.fields.get("s"), Some(&FieldValue::Str("\u{20ac}".into())));
        let Record::Event(e) = &whole[7] else {
            panic!("{:?}", whole[7])
        };
        assert_eq!(e.comm, "b\u{fffd}sh");
        for cap in (1..40).chain([63, 64, 100, 127, 128, 500]) {
            assert_eq!(records_through(&input, cap), whole, "reads of {cap} bytes");
        }
    }

    /// A line over the cap is cut at it wherever the reads end, its notice names the right
    /// line, and the lines after it are whole.
    #[test]
    fn cut_lines_across_read_boundaries() {
        let mut input = b"            bash-7     [000] .....  1.0: p: (f+0x0/0x1) n=1\n".to_vec();
        input.extend(std::iter::repeat_n(b'A', MAX_LINE + 10));
        input.extend_from_slice(b"\n            bash-7     [000] .....  2.0: p: (f+0x0/0x1) n=2\n");
        for cap in [7, 4096, 64 << 10, MAX_LINE + 100] {
            let recs = records_through(&input, cap);
            let kinds: Vec<&str> = recs
                .iter()
                .map(|r| match r {
                    Record::Event(_) => "event",
                    Record::Notice(n) if n.message.starts_with("line 2 is longer") => "cut",
                    Record::Notice(n) if n.message.starts_with("unparsed trace line") => "unparsed",
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(kinds, ["event", "cut", "unparsed", "event"], "reads of {cap} bytes");
            let Record::Notice(n) = &recs[2] else { panic!() };
            assert_eq!(n.message.len(), "unparsed trace line: ".len() + MAX_LINE);
        }
    }

    /// A sink whose reader leaves after `n` records.
    struct Closing(usize);
    impl Sink for Closing {
        fn emit(&mut self, _r: Record) -> std::result::Result<(), SinkError> {
            if self.0 == 0 {
                return Err(SinkError::Closed);
            }
            self.0 -= 1;
            Ok(())
        }
    }

    #[test]
    fn closed_output_ends_the_run() {
        let text = include_str!("../../tests/fixtures/debian/trace_kprobes.txt");
        let err = run(&mut text.as_bytes(), &StopFlag::new(), &mut Closing(3)).unwrap_err();
        assert!(err.is_closed_output(), "{err:?}");
    }

    #[test]
    fn run_file_reads_a_file_and_reports_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        std::fs::write(
            &p,
            include_str!("../../tests/fixtures/profiler/trace_kprobes.txt"),
        )
        .unwrap();
        let mut sink = VecSink::default();
        run_file(&ParseSpec { file: Some(p) }, &StopFlag::new(), &mut sink).unwrap();
        assert!(sink.0.iter().all(|r| matches!(r, Record::Event(_))));
        assert!(sink.0.len() >= 10);
        let missing = ParseSpec {
            file: Some(dir.path().join("nope")),
        };
        let e = run_file(&missing, &StopFlag::new(), &mut sink).unwrap_err();
        assert!(e.to_string().contains("nope"));
    }
}
