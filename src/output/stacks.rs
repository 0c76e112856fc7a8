//! stackcount's stacks for people, and as flame graph input.
//!
//! - [`text`]: bcc stackcount's layout: each stack's frames one a line, innermost first, indented
//!   two spaces, then its count indented four, then a blank line; the busiest stack last, next to
//!   the prompt (bcc sorts so).
//! - [`folded`]: Brendan Gregg's folded format (`stackcollapse` output, `flamegraph.pl` and
//!   inferno input): frames outermost first joined by `;`, a space, the count.
//! - [`svg`]: a flame graph of the folded stacks, drawn by inferno.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use crate::record::{NoticeLevel, Record, Sink, SinkError, StackCount, StackCounts};

/// `[host] ` in multi-host runs.
fn prefix(multi_host: bool, host: Option<&str>) -> String {
    match (multi_host, host) {
        (true, Some(h)) => format!("[{h}] "),
        _ => String::new(),
    }
}

/// bcc stackcount's text: least frequent stack first.
pub fn text(s: &StackCounts, multi_host: bool, host: Option<&str>) -> String {
    let p = prefix(multi_host, host);
    let mut out = String::new();
    for st in s.stacks.iter().rev() {
        for f in &st.frames {
            let _ = writeln!(out, "{p}  {f}");
        }
        let _ = writeln!(out, "{p}    {}\n", st.count);
    }
    out
}

/// A frame as one field of a folded line: `;` separates frames and a space ends the stack, so
/// neither may appear inside one (kernel symbols have neither; a hostile table might).
fn folded_frame(f: &str) -> String {
    f.chars()
        .map(|c| {
            if c == ';' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// One folded line, without the newline: `outermost;...;innermost COUNT`.
pub fn folded_line(st: &StackCount) -> String {
    let frames: Vec<String> = st.frames.iter().rev().map(|f| folded_frame(f)).collect();
    format!("{} {}", frames.join(";"), st.count)
}

/// Folded stacks, one a line, busiest first; in multi-host runs each stack starts with its
/// host as the outermost frame, so one flame graph shows every host side by side.
pub fn folded(s: &StackCounts, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    for st in &s.stacks {
        if let (true, Some(h)) = (multi_host, host) {
            out.push_str(&folded_frame(h));
            out.push(';');
        }
        out.push_str(&folded_line(st));
        out.push('\n');
    }
    out
}

/// Writes a flame graph of `s` as SVG to `w`. An empty run draws inferno's "no stack
/// counts" picture (it refuses to draw nothing): a file is written either way.
pub fn svg(s: &StackCounts, title: &str, w: impl std::io::Write) -> std::io::Result<()> {
    let lines: Vec<String> = s.stacks.iter().map(folded_line).collect();
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title.to_string();
    opts.count_name = "calls".to_string();
    match inferno::flamegraph::from_lines(&mut opts, lines.iter().map(String::as_str), w) {
        // Nothing to draw: inferno has written its picture saying so, and says so again.
        Err(e) if lines.is_empty() && e.kind() == std::io::ErrorKind::InvalidData => Ok(()),
        r => r,
    }
}

/// Passes every record on to `inner`, and writes a flame graph of each `stack_counts` record
/// to `path` (the last one wins; stackcount emits one), then says so. Runs where the client
/// runs: a remote run's flame graph is written here, not on the agent.
pub struct FlameGraphSink<'a> {
    inner: Box<dyn Sink + 'a>,
    path: PathBuf,
}

impl<'a> FlameGraphSink<'a> {
    pub fn new(inner: Box<dyn Sink + 'a>, path: PathBuf) -> FlameGraphSink<'a> {
        FlameGraphSink { inner, path }
    }

    fn write(&self, s: &StackCounts) -> Result<(), SinkError> {
        let file = std::fs::File::create(&self.path).map_err(|e| self.failed(e))?;
        let mut w = std::io::BufWriter::new(file);
        svg(s, "stackcount", &mut w).map_err(|e| self.failed(e))?;
        w.flush().map_err(|e| self.failed(e))
    }

    fn failed(&self, e: std::io::Error) -> SinkError {
        SinkError::Io(std::io::Error::new(
            e.kind(),
            format!("the flame graph {}: {e}", self.path.display()),
        ))
    }

    fn note(&mut self, r: &Record) -> Result<(), SinkError> {
        if let Record::StackCounts(s) = r {
            self.write(s)?;
            self.inner.emit(Record::notice(
                NoticeLevel::Info,
                format!(
                    "wrote a flame graph of {} to {}",
                    crate::tools::counted(s.stacks.len(), "stack"),
                    self.path.display()
                ),
            ))?;
        }
        Ok(())
    }
}

impl Sink for FlameGraphSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.note(&record)?;
        self.inner.emit(record)
    }
    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.note(record)?;
        self.inner.emit_ref(record)
    }
    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.note(&record)?;
        self.inner.emit_from(host, record)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StackCounts {
        StackCounts {
            backend: "hist".into(),
            duration_s: 2.0,
            stacks: vec![
                StackCount {
                    frames: vec![
                        "vfs_read".into(),
                        "ksys_read".into(),
                        "do_syscall_64".into(),
                    ],
                    count: 100,
                },
                StackCount {
                    frames: vec!["vfs_read".into(), "kernel_read".into()],
                    count: 2,
                },
            ],
        }
    }

    #[test]
    fn text_is_bccs_busiest_last() {
        assert_eq!(
            text(&sample(), false, None),
            "  vfs_read\n  kernel_read\n    2\n\n  vfs_read\n  ksys_read\n  do_syscall_64\n    100\n\n"
        );
        assert!(text(&sample(), true, Some("b")).starts_with("[b]   vfs_read\n"));
    }

    #[test]
    fn folded_is_outermost_first_busiest_first() {
        assert_eq!(
            folded(&sample(), false, None),
            "do_syscall_64;ksys_read;vfs_read 100\nkernel_read;vfs_read 2\n"
        );
        assert!(folded(&sample(), true, Some("board"))
            .starts_with("board;do_syscall_64;ksys_read;vfs_read 100\n"));
        let odd = StackCount {
            frames: vec!["a;b c".into()],
            count: 1,
        };
        assert_eq!(folded_line(&odd), "a_b_c 1");
    }

    /// Keeps what passes through, readable after the sink is gone.
    #[derive(Default, Clone)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<Record>>>);

    impl Sink for Shared {
        fn emit(&mut self, r: Record) -> Result<(), SinkError> {
            self.0.borrow_mut().push(r);
            Ok(())
        }
    }

    #[test]
    fn svg_is_drawn_and_the_sink_writes_it() {
        let mut out = Vec::new();
        svg(&sample(), "t", &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("<?xml"), "{}", &s[..80.min(s.len())]);
        assert!(s.contains("ksys_read"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.svg");
        let seen = Shared::default();
        let mut sink = FlameGraphSink::new(Box::new(seen.clone()), path.clone());
        sink.emit(Record::StackCounts(sample())).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("vfs_read"));
        {
            let got = seen.0.borrow();
            assert!(matches!(&got[0], Record::Notice(n) if n.message.contains("2 stacks")));
            assert!(matches!(&got[1], Record::StackCounts(_)));
        }
        // An empty run still writes a file.
        sink.emit(Record::StackCounts(StackCounts {
            stacks: vec![],
            ..sample()
        }))
        .unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("<?xml"));
        let mut bad = FlameGraphSink::new(Box::new(seen), dir.path().join("no/such/dir.svg"));
        let e = bad.emit(Record::StackCounts(sample())).unwrap_err();
        assert!(e.to_string().contains("no/such/dir.svg"), "{e}");
    }
}
