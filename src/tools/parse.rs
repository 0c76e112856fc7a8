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
    const REMOTE: bool = false;
    const RECORDS: &'static [&'static str] = &["event", "stack", "lost", "notice"];
    // It reads text and needs nothing of the kernel: tests/parse_cli.rs covers it.
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

/// What one call of [`Lines::next`] found.
enum Line {
    /// A whole line is in the buffer (without its newline).
    Whole,
    /// The first [`MAX_LINE`] bytes of a longer line are in the buffer; the rest is skipped.
    Cut,
    End,
}

/// Lines of at most `cap` bytes from a BufRead, in one reused buffer.
struct Lines {
    cap: usize,
    /// The line before was cut: skip to its end first.
    skipping: bool,
}

impl Lines {
    fn next(
        &mut self,
        r: &mut dyn BufRead,
        buf: &mut Vec<u8>,
        stop: &StopFlag,
    ) -> std::io::Result<Line> {
        buf.clear();
        loop {
            if stop.is_set() {
                return Ok(Line::End);
            }
            let avail = r.fill_buf()?;
            if avail.is_empty() {
                self.skipping = false;
                return Ok(if buf.is_empty() {
                    Line::End
                } else {
                    Line::Whole
                });
            }
            let newline = avail.iter().position(|&b| b == b'\n');
            let take = newline.unwrap_or(avail.len());
            if self.skipping {
                r.consume(take + usize::from(newline.is_some()));
                if newline.is_some() {
                    self.skipping = false;
                }
                continue;
            }
            let room = self.cap - buf.len();
            if take > room {
                buf.extend_from_slice(&avail[..room]);
                r.consume(room);
                self.skipping = true;
                return Ok(Line::Cut);
            }
            buf.extend_from_slice(&avail[..take]);
            r.consume(take + usize::from(newline.is_some()));
            if newline.is_some() {
                return Ok(Line::Whole);
            }
        }
    }
}

/// Reads trace text line by line and emits its records into `sink`, until the end of the
/// input or `stop`.
///
/// One buffer serves every line; invalid UTF-8 is converted lossily (U+FFFD) rather than
/// stopping the run. A line over [`MAX_LINE`] bytes is cut there with a notice naming it. A sink
/// error (the reader of our output went away) ends the run with that error, so `| head` stops
/// us promptly.
pub fn run(input: &mut dyn BufRead, stop: &StopFlag, sink: &mut dyn Sink) -> Result<()> {
    let mut conv = TraceRecords::new();
    let mut buf: Vec<u8> = Vec::with_capacity(512);
    let mut pending: Vec<Record> = Vec::new();
    let mut lines = Lines {
        cap: MAX_LINE,
        skipping: false,
    };
    let mut number: u64 = 0;
    loop {
        let got = lines
            .next(input, &mut buf, stop)
            .map_err(|e| Error::Other(format!("reading trace text: {e}")))?;
        number += 1;
        match got {
            Line::End => break,
            Line::Whole => {}
            Line::Cut => sink.emit(Record::notice(
                NoticeLevel::Warning,
                format!(
                    "line {number} is longer than {} MiB: the rest of it is skipped",
                    MAX_LINE >> 20
                ),
            ))?,
        }
        while matches!(buf.last(), Some(b'\r')) {
            buf.pop();
        }
        let line = String::from_utf8_lossy(&buf);
        conv.feed(&line, &mut |r| pending.push(r));
        for r in pending.drain(..) {
            sink.emit(r)?;
        }
    }
    conv.finish(&mut |r| pending.push(r));
    for r in pending.drain(..) {
        sink.emit(r)?;
    }
    Ok(())
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
