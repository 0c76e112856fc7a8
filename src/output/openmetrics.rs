//! OpenMetrics text (`--format openmetrics`): counts, stacks and histograms as metrics, for
//! Prometheus through node_exporter's textfile collector (docs/metrics.md).
//!
//! Each burst of records (an `-i` interval, the end of a run: whatever comes before the tools'
//! [`Sink::flush`]) is one complete exposition ending in `# EOF`, so a reader can cut the stream
//! into files at those lines. Counts are gauges of the interval they cover (the tools' counts are
//! per interval, as perf-tools' are, not running totals): `rate()` is the value divided by
//! `lktrace_interval_seconds`. The names and labels are valid in both OpenMetrics 1.0 and
//! Prometheus' text format 0.0.4 (no `_total` counters, whose naming the two disagree on).

use std::fmt::Write as _;
use std::io::Write;

use crate::record::{Counts, Histogram, Record, Sink, SinkError, StackCounts};

/// One metric family of an exposition: its samples, in the order they came.
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    samples: Vec<String>,
}

/// Renders counting records as OpenMetrics; notices go to `err`, as in human mode.
pub struct OpenMetricsSink<'a> {
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
    /// The tool whose records these are (the `tool` label), if known.
    tool: Option<String>,
    families: Vec<Family>,
}

impl<'a> OpenMetricsSink<'a> {
    pub fn new(
        out: Box<dyn Write + 'a>,
        err: Box<dyn Write + 'a>,
        tool: Option<String>,
    ) -> OpenMetricsSink<'a> {
        OpenMetricsSink {
            out,
            err,
            tool,
            families: Vec::new(),
        }
    }

    fn family(
        &mut self,
        name: &'static str,
        kind: &'static str,
        help: &'static str,
    ) -> &mut Family {
        let at = match self.families.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                self.families.push(Family {
                    name,
                    kind,
                    help,
                    samples: Vec::new(),
                });
                self.families.len() - 1
            }
        };
        &mut self.families[at]
    }

    /// `{tool="…",host="…"` without the closing brace, for more labels to follow.
    fn base_labels(&self, host: Option<&str>) -> Labels {
        let mut l = Labels::default();
        if let Some(t) = &self.tool {
            l.add("tool", t);
        }
        if let Some(h) = host {
            l.add("host", h);
        }
        l
    }

    fn counts(&mut self, c: &Counts, host: Option<&str>) {
        let mut base = self.base_labels(host);
        base.add("backend", &c.backend);
        let interval = format!("lktrace_interval_seconds{} {}", base.done(), c.duration_s);
        let end = format!("lktrace_interval_end_seconds{} {}", base.done(), c.time);
        let mut samples = Vec::with_capacity(c.counts.len());
        for n in &c.counts {
            let mut l = base.clone();
            l.add("name", &n.name);
            for (k, v) in n.keys.iter().flat_map(|k| k.0.iter()) {
                l.add(&label_name(k), &v.to_string());
            }
            samples.push(format!("lktrace_events{} {}", l.done(), n.count));
        }
        self.family(
            "lktrace_events",
            "gauge",
            "Events counted in the interval (calls of a function, hits of a tracepoint), by name.",
        )
        .samples
        .extend(samples);
        self.family(
            "lktrace_interval_seconds",
            "gauge",
            "Length of the interval the counts cover.",
        )
        .samples
        .push(interval);
        self.family(
            "lktrace_interval_end_seconds",
            "gauge",
            "When the interval ended, seconds since the Unix epoch.",
        )
        .samples
        .push(end);
    }

    fn stacks(&mut self, s: &StackCounts, host: Option<&str>) {
        let mut base = self.base_labels(host);
        base.add("backend", &s.backend);
        let samples: Vec<String> = s
            .stacks
            .iter()
            .map(|st| {
                let mut l = base.clone();
                // Folded, outermost first, as flame graph tools write stacks.
                let folded: Vec<&str> = st.frames.iter().rev().map(String::as_str).collect();
                l.add("stack", &folded.join(";"));
                format!("lktrace_stack_hits{} {}", l.done(), st.count)
            })
            .collect();
        self.family(
            "lktrace_stack_hits",
            "gauge",
            "Times a kernel stack was seen during the run (outermost frame first).",
        )
        .samples
        .extend(samples);
    }

    fn histogram(&mut self, h: &Histogram, host: Option<&str>) {
        let mut base = self.base_labels(host);
        base.add("measure", &h.name);
        base.add("unit", &h.unit);
        for (k, v) in &h.keys.0 {
            base.add(&label_name(k), &v.to_string());
        }
        let mut buckets: Vec<_> = h.buckets.clone();
        buckets.sort_by_key(|b| b.high);
        let mut samples = Vec::with_capacity(buckets.len() + 2);
        let mut total = 0u64;
        for b in &buckets {
            total = total.saturating_add(b.count);
            let mut l = base.clone();
            l.add("le", &b.high.to_string());
            samples.push(format!("lktrace_distribution_bucket{} {total}", l.done()));
        }
        let mut inf = base.clone();
        inf.add("le", "+Inf");
        samples.push(format!("lktrace_distribution_bucket{} {total}", inf.done()));
        samples.push(format!("lktrace_distribution_count{} {total}", base.done()));
        self.family(
            "lktrace_distribution",
            "histogram",
            "A distribution counted in the kernel (log2 or linear buckets; le is a bucket's \
             highest value).",
        )
        .samples
        .extend(samples);
    }

    fn lost(&mut self, cpu: Option<u32>, count: Option<u64>, host: Option<&str>) {
        let mut l = self.base_labels(host);
        l.add("cpu", &cpu.map_or("all".to_string(), |c| c.to_string()));
        // A loss without a number is still a loss: at least one.
        let sample = format!("lktrace_lost_events{} {}", l.done(), count.unwrap_or(1));
        self.family(
            "lktrace_lost_events",
            "gauge",
            "Events the kernel dropped in the interval: the counts beside them are incomplete.",
        )
        .samples
        .push(sample);
    }

    fn render(&mut self, host: Option<&str>, record: &Record) -> Result<(), SinkError> {
        match record {
            Record::Counts(c) => self.counts(c, host),
            Record::StackCounts(s) => self.stacks(s, host),
            Record::Histogram(h) => self.histogram(h, host),
            Record::Lost(l) => self.lost(l.cpu, l.count, host),
            Record::Notice(n) => {
                let line = super::text::notice_line(n, host.is_some(), host);
                self.err
                    .write_all(super::escape::message_line(&line).as_bytes())
                    .and_then(|()| self.err.write_all(b"\n"))
                    .map_err(SinkError::from_io)?;
            }
            other => {
                return Err(SinkError::Format(format!(
                    "--format openmetrics shows counts, stacks and histograms, not {} records: \
                     use a counting tool (funccount, stackcount, kprobe --hist or --count)",
                    other.type_name()
                )))
            }
        }
        Ok(())
    }
}

impl Sink for OpenMetricsSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.render(None, &record)
    }

    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.render(None, record)
    }

    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.render(Some(host), &record)
    }

    /// Writes what came since the last flush as one exposition.
    fn flush(&mut self) -> Result<(), SinkError> {
        if !self.families.is_empty() {
            let text = exposition(&std::mem::take(&mut self.families));
            self.out
                .write_all(text.as_bytes())
                .map_err(SinkError::from_io)?;
        }
        self.out.flush().map_err(SinkError::from_io)?;
        self.err.flush().map_err(SinkError::from_io)
    }
}

fn exposition(families: &[Family]) -> String {
    let mut s = String::new();
    for f in families {
        let _ = writeln!(s, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(s, "# TYPE {} {}", f.name, f.kind);
        for sample in &f.samples {
            s.push_str(sample);
            s.push('\n');
        }
    }
    s.push_str("# EOF\n");
    s
}

/// A label set being built: `{a="x",b="y"}`.
#[derive(Debug, Clone, Default)]
struct Labels(Vec<(String, String)>);

impl Labels {
    fn add(&mut self, name: &str, value: &str) {
        self.0.push((name.to_string(), value.to_string()));
    }

    fn done(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", label_value(v)))
            .collect();
        format!("{{{}}}", parts.join(","))
    }
}

/// A label value with `\`, `"` and newlines escaped, as both formats require, and cut to a
/// length a time series database keeps (kernel text can be long).
fn label_value(v: &str) -> String {
    const MAX: usize = 1024;
    let mut out = String::with_capacity(v.len().min(MAX) + 8);
    for (i, c) in v.chars().enumerate() {
        if i >= MAX {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            // Shown as the text `\x1b`, never as the character itself.
            c if c.is_control() => {
                let _ = write!(out, "\\\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A key's name as a label name: `[a-zA-Z_][a-zA-Z0-9_]*`, other characters as `_`, and never
/// one of the labels this sink sets itself (which would be a duplicate).
fn label_name(k: &str) -> String {
    let mut s: String = k
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if matches!(
        s.as_str(),
        "tool" | "host" | "backend" | "name" | "measure" | "unit" | "le" | "stack" | "cpu"
    ) {
        s.insert_str(0, "key_");
    }
    s
}

#[cfg(test)]
mod tests;
