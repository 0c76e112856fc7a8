//! Rendering Records: tables for people (comfy-table), perf-tools text for event streams,
//! JSON Lines for pipelines. The same code renders local and remote runs.
//!
//! - [`json`]: one JSON object per Record, per line.
//! - [`text`]: the kernel's trace lines (events, stacks, lost events), notices.
//! - [`table`]: funccount's counts and the `ctl` reports.
//! - [`openmetrics`]: counts, stacks and histograms for Prometheus.
//! - [`chrome`]: events and calls for trace viewers (Chrome's Trace Event Format).
//!
//! The renderers are pure functions from a Record to text; the sinks here only decide where the
//! text goes (stdout or stderr) and when to flush.

pub mod chrome;
pub mod closed;
pub mod debug;
pub mod dist;
pub mod escape;
pub mod graph;
pub mod json;
pub mod live;
pub mod openmetrics;
pub mod progress;
pub mod stacks;
pub mod table;
pub mod text;

use std::io::{BufWriter, Write};

use crate::record::{Record, Sink, SinkError};

/// Bytes of output gathered before a `write(2)`, unless a flush comes first.
const OUT_BUFFER: usize = 64 << 10;

/// How records are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Tables and perf-tools style text.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
    /// Counts, stacks and histograms as OpenMetrics text, one exposition per interval.
    OpenMetrics,
    /// Events and calls as Chrome's Trace Event Format, for trace viewers.
    Chrome,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub mode: Mode,
    /// `-T`: print the time above each counts table.
    pub timestamps: bool,
    /// `-H`: print column headers before the first event.
    pub headers: bool,
    /// Records come from several hosts: tables gain a HOST column, text a host prefix.
    pub multi_host: bool,
    /// `--folded`: stacks as flame graph input, not bcc's text.
    pub folded: bool,
    /// The tool the records come from (OpenMetrics' `tool` label).
    pub tool: Option<String>,
    /// Spans as the function_graph tracer prints them, with these columns (funcgraph).
    pub graph: Option<graph::GraphColumns>,
}

/// A sink that renders to `out` (data) and `err` (notices, in human mode).
pub fn renderer<'a>(
    opts: Options,
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
) -> Box<dyn Sink + 'a> {
    match opts.mode {
        // In JSON mode stderr is not used: notices are records like any other.
        Mode::Json => Box::new(json::JsonSink::new(out)),
        Mode::OpenMetrics => Box::new(openmetrics::OpenMetricsSink::new(out, err, opts.tool)),
        Mode::Chrome => Box::new(chrome::ChromeSink::new(
            Box::new(BufWriter::with_capacity(OUT_BUFFER, out)),
            err,
        )),
        Mode::Human => Box::new(HumanSink {
            opts,
            out: BufWriter::with_capacity(OUT_BUFFER, out),
            err,
            blocks: 0,
            header_done: false,
            graph: graph::GraphText::default(),
        }),
    }
}

/// Tables and perf-tools text on `out`; notices and loss warnings on `err`.
///
/// `out` is buffered and written on [`Sink::flush`], which the tools call after each read of
/// their input, before they can block (see [`json::JsonSink`]).
struct HumanSink<'a> {
    opts: Options,
    out: BufWriter<Box<dyn Write + 'a>>,
    err: Box<dyn Write + 'a>,
    /// Multi-line reports written so far: a blank line goes between two of them.
    blocks: usize,
    /// Whether the -H header has been printed.
    header_done: bool,
    /// The calls open in the function_graph text.
    graph: graph::GraphText,
}

impl HumanSink<'_> {
    /// Data for stdout; untrusted text in it (comm names, string fields, file names) is
    /// escaped on the way out.
    fn out(&mut self, s: &str) -> Result<(), SinkError> {
        self.out
            .write_all(escape::data_block(s).as_bytes())
            .map_err(SinkError::from_io)
    }

    fn out_line(&mut self, s: &str) -> Result<(), SinkError> {
        self.out(s)?;
        self.out("\n")
    }

    /// A message for stderr: cut to a readable length and escaped. What stdout holds goes out
    /// first, so that on a terminal the message shows after the records before it.
    fn err_line(&mut self, s: &str) -> Result<(), SinkError> {
        self.out.flush().map_err(SinkError::from_io)?;
        // One write for the line and its newline: a progress line (output/progress.rs) is
        // taken off the screen per write, and must not come back between the two.
        let line = format!("{}\n", escape::message_line(s));
        self.err
            .write_all(line.as_bytes())
            .map_err(SinkError::from_io)?;
        self.err.flush().map_err(SinkError::from_io)
    }

    /// A multi-line report, separated from the one before by a blank line (perf-tools prints
    /// one between the intervals of funccount -i).
    fn block(&mut self, s: &str) -> Result<(), SinkError> {
        if self.blocks > 0 {
            self.out("\n")?;
        }
        self.blocks += 1;
        self.out(s)
    }
}

impl HumanSink<'_> {
    /// Renders one record; `host` names where it came from in multi-host runs.
    fn render(&mut self, host: Option<&str>, record: &Record) -> Result<(), SinkError> {
        let multi = self.opts.multi_host;
        match record {
            Record::Counts(c) => {
                self.block(&table::counts(c, self.opts.timestamps, multi, host))?
            }
            Record::Event(e) => {
                if self.opts.headers && !self.header_done {
                    self.header_done = true;
                    self.out(&text::header_for(e))?;
                }
                self.out_line(&text::event_line(e, multi, host))?;
            }
            Record::Stack(s) => self.out(&text::stack_lines(s, multi, host))?,
            Record::StackCounts(s) if self.opts.folded => {
                self.out(&stacks::folded(s, multi, host))?
            }
            Record::StackCounts(s) => self.out(&stacks::text(s, multi, host))?,
            Record::Histogram(h) => {
                let mut text = String::new();
                if let (true, Some(t)) = (self.opts.timestamps, h.time) {
                    text.push_str(&table::local_hms(t));
                    text.push('\n');
                }
                text.push_str(&dist::histogram(h, multi, host));
                self.block(&text)?
            }
            Record::Span(s) => match self.opts.graph {
                Some(cols) => {
                    if self.opts.headers && !self.header_done {
                        self.header_done = true;
                        self.out(&graph::header(cols))?;
                    }
                    let prefix = match (multi, host) {
                        (true, Some(h)) => format!("[{h}] "),
                        _ => String::new(),
                    };
                    let text = self.graph.span(s, cols, &prefix);
                    self.out(&text)?
                }
                None => self.out_line(&dist::span_line(s, multi, host))?,
            },
            Record::Lost(l) => {
                // In the stream where it happened, and on stderr too: loss must never pass
                // unseen, even when stdout goes to a file nobody reads to the end.
                self.out_line(&text::lost_line(l, multi, host))?;
                self.err_line(&text::lost_warning(l, multi, host))?;
            }
            Record::Notice(n) => self.err_line(&text::notice_line(n, multi, host))?,
            Record::Format(f) => self.out(&text::format_text(f, multi, host))?,
            Record::Tracepoint(t) => self.out_line(&text::tracepoint_line(t, multi, host))?,
            Record::Symbol(sym) => self.out_line(&text::symbol_line(sym, multi, host))?,
            Record::UserSymbol(t) => self.out_line(&text::user_symbol_line(t, multi, host))?,
            Record::Status(s) => self.block(&table::status(s, multi, host))?,
            Record::Check(c) => self.block(&table::check(c, multi, host))?,
            Record::Reset(r) => self.block(&table::reset(r, multi, host))?,
            Record::Ping(p) => self.out(&table::ping(p, host))?,
        }
        Ok(())
    }
}

impl Sink for HumanSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.render(None, &record)
    }

    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.render(None, record)
    }

    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.render(Some(host), &record)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(SinkError::from_io)?;
        self.err.flush().map_err(SinkError::from_io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Count, Counts, Event, Fields, Lost, NoticeLevel};

    /// Renders records in human mode; returns (stdout, stderr).
    fn human(opts: Options, records: Vec<Record>) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        {
            let mut sink = renderer(opts, Box::new(&mut out), Box::new(&mut err));
            for r in records {
                sink.emit(r).unwrap();
            }
            sink.flush().unwrap();
        }
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn event(ts: f64) -> Record {
        Record::Event(Event {
            comm: "cat".into(),
            pid: 117,
            tgid: None,
            cpu: 1,
            flags: Some(".....".into()),
            timestamp: ts,
            event: "openret".into(),
            probe: Some("__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2".into()),
            fields: Fields(vec![(
                "ret".into(),
                crate::record::FieldValue::Str("0x3".into()),
            )]),
            payload: None,
        })
    }

    fn counts(n: u64) -> Record {
        Record::Counts(Counts {
            backend: "profiler".into(),
            duration_s: 1.0,
            time: 0.0,
            counts: vec![Count {
                name: "vfs_read".into(),
                count: n,
                keys: None,
            }],
        })
    }

    #[test]
    fn headers_once_then_events_lost_in_stream_and_on_stderr() {
        let opts = Options {
            headers: true,
            ..Options::default()
        };
        let lost = Record::Lost(Lost {
            cpu: Some(1),
            count: Some(5),
        });
        let (out, err) = human(opts, vec![event(2.527230), lost, event(2.6)]);
        let want = format!(
            "{}{}\n{}\n{}\n",
            text::HEADER_IRQ_INFO,
            "             cat-117     [001] .....     2.527230: openret: (__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2) ret=0x3",
            "CPU:1 [LOST 5 EVENTS]",
            "             cat-117     [001] .....     2.600000: openret: (__x64_sys_openat+0x6a/0xa0 <- do_sys_openat2) ret=0x3",
        );
        assert_eq!(out, want);
        assert_eq!(
            err,
            "lktrace: warning: lost 5 events on CPU 1 (the kernel's buffer was full)\n"
        );
    }

    #[test]
    fn intervals_are_separated_by_a_blank_line_and_notices_go_to_stderr() {
        let (out, err) = human(
            Options::default(),
            vec![
                Record::notice(NoticeLevel::Info, "counting with profiler"),
                counts(1),
                counts(2),
            ],
        );
        assert_eq!(
            out,
            "FUNC      COUNT\nvfs_read      1\n\nFUNC      COUNT\nvfs_read      2\n"
        );
        assert_eq!(err, "lktrace: counting with profiler\n");
    }

    /// Hostile text (from a saved trace, the kernel or an agent) reaches the terminal
    /// escaped, and a huge echoed line makes a short warning.
    #[test]
    fn control_characters_are_escaped_and_warnings_cut() {
        let mut e = event(1.0);
        if let Record::Event(ev) = &mut e {
            ev.comm = "evil\u{1b}]0;owned\u{7}".into();
        }
        let warn = Record::notice(
            NoticeLevel::Warning,
            format!("unknown line: \u{1b}[2J{}", "y".repeat(10_000_000)),
        );
        let (out, err) = human(Options::default(), vec![e, warn, counts(1)]);
        assert!(!out.contains('\u{1b}') && !err.contains('\u{1b}'));
        assert!(out.contains("evil\\x1b]0;owned\\x07"), "{out}");
        assert!(err.contains("\\x1b[2J"));
        assert!(err.len() < 1000, "{} bytes of warning", err.len());
        assert!(err.trim_end().ends_with('…'));
    }

    #[test]
    fn json_mode_puts_notices_on_stdout() {
        let opts = Options {
            mode: Mode::Json,
            ..Options::default()
        };
        let (out, err) = human(opts, vec![Record::notice(NoticeLevel::Warning, "w")]);
        assert_eq!(
            out,
            "{\"type\":\"notice\",\"level\":\"warning\",\"message\":\"w\"}\n"
        );
        assert_eq!(err, "");
    }
}
