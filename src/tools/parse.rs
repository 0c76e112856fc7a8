//! parse: saved ftrace text (`trace` or `trace_pipe` format, from any machine) into the same
//! records kprobe prints, so old captures go through `--json | jq` too.
//!
//! `lktrace parse [FILE]`: reads FILE, or standard input without one. Needs no tracefs and no
//! root: it only reads text.

use std::io::BufRead;
use std::path::PathBuf;

use super::engine::stream::TraceRecords;
use crate::record::{Record, Sink};
use crate::{Error, Result};

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

    fn run(spec: &ParseSpec, _env: &super::RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run_file(spec, sink)
    }
}

/// Runs `parse` on `spec.file` (or standard input).
pub fn run_file(spec: &ParseSpec, sink: &mut dyn Sink) -> Result<()> {
    match spec.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p)
                .map_err(|e| Error::Other(format!("cannot open {}: {e}", p.display())))?;
            run(&mut std::io::BufReader::with_capacity(64 * 1024, f), sink)
        }
        _ => run(&mut std::io::stdin().lock(), sink),
    }
}

/// Reads trace text line by line and emits its records into `sink`.
///
/// One buffer serves every line; invalid UTF-8 is converted lossily (U+FFFD) rather than
/// stopping the run. A sink error (the reader of our output went away) ends the run with that
/// error, so `| head` stops us promptly.
pub fn run(input: &mut dyn BufRead, sink: &mut dyn Sink) -> Result<()> {
    let mut conv = TraceRecords::new();
    let mut buf: Vec<u8> = Vec::with_capacity(512);
    let mut pending: Vec<Record> = Vec::new();
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::Other(format!("reading trace text: {e}")))?;
        if n == 0 {
            break;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
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
        run(&mut text.as_bytes(), &mut sink).unwrap();
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
        run(&mut input.as_slice(), &mut sink).unwrap();
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
        run(&mut "what is this\n".as_bytes(), &mut sink).unwrap();
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
        let err = run(&mut text.as_bytes(), &mut Closing(3)).unwrap_err();
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
        run_file(&ParseSpec { file: Some(p) }, &mut sink).unwrap();
        assert!(sink.0.iter().all(|r| matches!(r, Record::Event(_))));
        assert!(sink.0.len() >= 10);
        let missing = ParseSpec {
            file: Some(dir.path().join("nope")),
        };
        let e = run_file(&missing, &mut sink).unwrap_err();
        assert!(e.to_string().contains("nope"));
    }
}
