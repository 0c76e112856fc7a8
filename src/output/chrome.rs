//! Chrome's Trace Event Format (`--format chrome`): a run's events and calls as a JSON array for
//! trace viewers (Perfetto's ui.perfetto.dev, `chrome://tracing`, speedscope).
//!
//! A call with its duration (a [`Span`]: funcgraph, funcslower) is a complete event (`"ph":"X"`)
//! at its entry time with its duration, so nested calls stack up in the viewer as they nested in
//! the kernel; an event (kprobe, tpoint, uprobe, functrace, parse) is an instant event
//! (`"ph":"i"`) on its thread's track, its fields as `args`; a stack (`-s`) is an instant named
//! `stack` with the frames; lost events are a global instant naming the count. Times are
//! microseconds, as the format wants, from the kernel's timestamps (seconds since boot with the
//! default clock). Each thread's track is named after its comm (`thread_name` metadata); with
//! several hosts each host is a process of its own (`process_name` = the host).
//!
//! The array is written as records come (the format allows a reader to open it while it
//! grows) and closed with `]` when the sink is dropped, at the end of the run, whatever ended it.
//! Notices go to stderr, as in text mode.

use std::collections::HashMap;
use std::io::Write;

use serde_json::{json, Map, Value};

use crate::record::{Event, Lost, Record, Sink, SinkError, Span, Stack};

/// Renders records as one Trace Event Format array on `out`.
pub struct ChromeSink<'a> {
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
    /// Whether `[` (and so any element) has been written.
    opened: bool,
    /// The process of each (host, thread) whose track was named: a stack or a call, which
    /// carries no thread group id, goes where its thread's events went.
    threads: HashMap<(u32, u32), u32>,
    /// Hosts seen, in order: a host's process id is its index + 1.
    hosts: Vec<String>,
}

impl<'a> ChromeSink<'a> {
    pub fn new(out: Box<dyn Write + 'a>, err: Box<dyn Write + 'a>) -> ChromeSink<'a> {
        ChromeSink {
            out,
            err,
            opened: false,
            threads: HashMap::new(),
            hosts: Vec::new(),
        }
    }

    fn element(&mut self, v: &Value) -> Result<(), SinkError> {
        let sep: &[u8] = if self.opened { b",\n" } else { b"[\n" };
        self.opened = true;
        self.out.write_all(sep).map_err(SinkError::from_io)?;
        serde_json::to_writer(&mut self.out, v)
            .map_err(|e| SinkError::from_io(std::io::Error::other(e)))
    }

    /// The process id of a host's records (0 when the run has one host: then the kernel's
    /// thread group id, where known, groups the threads).
    fn host_pid(&mut self, host: Option<&str>) -> Result<Option<u32>, SinkError> {
        let Some(host) = host else { return Ok(None) };
        if let Some(i) = self.hosts.iter().position(|h| h == host) {
            return Ok(Some(i as u32 + 1));
        }
        self.hosts.push(host.to_string());
        let pid = self.hosts.len() as u32;
        self.element(&json!({
            "ph": "M", "name": "process_name", "pid": pid, "tid": 0,
            "args": { "name": host },
        }))?;
        Ok(Some(pid))
    }

    /// The (process, thread) of a task, its track named after `comm` the first time.
    fn track(
        &mut self,
        host: Option<&str>,
        tgid: Option<u32>,
        tid: u32,
        comm: &str,
    ) -> Result<(u32, u32), SinkError> {
        let host = self.host_pid(host)?;
        let key = (host.unwrap_or(0), tid);
        if let Some(&pid) = self.threads.get(&key) {
            return Ok((pid, tid));
        }
        let pid = host.or(tgid).unwrap_or(tid);
        self.threads.insert(key, pid);
        self.element(&json!({
            "ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
            "args": { "name": format!("{comm}-{tid}") },
        }))?;
        Ok((pid, tid))
    }

    fn span(&mut self, s: &Span, host: Option<&str>) -> Result<(), SinkError> {
        let (pid, tid) = self.track(host, None, s.pid, &s.comm)?;
        let mut args = fields_map(&s.fields);
        args.insert("cpu".into(), s.cpu.into());
        if let Some(d) = s.depth {
            args.insert("depth".into(), d.into());
        }
        self.element(&json!({
            "name": s.name, "cat": "call", "ph": "X",
            "ts": micros(s.timestamp), "dur": round3(s.duration_us),
            "pid": pid, "tid": tid, "args": args,
        }))
    }

    fn event(&mut self, e: &Event, host: Option<&str>) -> Result<(), SinkError> {
        let (pid, tid) = self.track(host, e.tgid, e.pid, &e.comm)?;
        let mut args = fields_map(&e.fields);
        args.insert("cpu".into(), e.cpu.into());
        if let Some(p) = &e.probe {
            args.insert("probe".into(), p.as_str().into());
        }
        if let Some(p) = &e.payload {
            args.insert("payload".into(), p.as_str().into());
        }
        self.element(&json!({
            "name": e.event, "cat": "event", "ph": "i", "s": "t",
            "ts": micros(e.timestamp), "pid": pid, "tid": tid, "args": args,
        }))
    }

    fn stack(&mut self, s: &Stack, host: Option<&str>) -> Result<(), SinkError> {
        let (pid, tid) = self.track(host, None, s.pid, &s.comm)?;
        self.element(&json!({
            "name": "stack", "cat": "stack", "ph": "i", "s": "t",
            "ts": micros(s.timestamp), "pid": pid, "tid": tid,
            "args": { "cpu": s.cpu, "frames": s.frames },
        }))
    }

    fn lost(&mut self, l: &Lost, host: Option<&str>) -> Result<(), SinkError> {
        let pid = self.host_pid(host)?.unwrap_or(0);
        let name = match l.count {
            Some(n) => format!("lost {n} events"),
            None => "lost events".to_string(),
        };
        // A lost record has no time of its own; 0 puts the marker at the start, where a
        // viewer's global instants are easy to find.
        self.element(&json!({
            "name": name, "cat": "lost", "ph": "i", "s": "g", "ts": 0, "pid": pid, "tid": 0,
            "args": { "cpu": l.cpu, "count": l.count },
        }))
    }

    /// A line for stderr, as text mode writes it.
    fn err_line(&mut self, text: &str) -> Result<(), SinkError> {
        let line = format!("{}\n", super::escape::message_line(text));
        self.err
            .write_all(line.as_bytes())
            .map_err(SinkError::from_io)?;
        self.err.flush().map_err(SinkError::from_io)
    }

    fn render(&mut self, r: &Record, host: Option<&str>) -> Result<(), SinkError> {
        match r {
            Record::Span(s) => self.span(s, host),
            Record::Event(e) => self.event(e, host),
            Record::Stack(s) => self.stack(s, host),
            Record::Lost(l) => {
                // On stderr too: loss must never pass unseen.
                self.err_line(&super::text::lost_warning(l, host.is_some(), host))?;
                self.lost(l, host)
            }
            Record::Notice(n) => self.err_line(&super::text::notice_line(n, host.is_some(), host)),
            // The CLI refuses --format chrome for runs that print other records (see
            // RenderHints::timeline); one that comes anyway has no place on a timeline.
            other => Err(SinkError::Format(format!(
                "a {} record has no place in a trace viewer's timeline",
                other.type_name()
            ))),
        }
    }
}

/// Seconds as the format's microseconds, to the nanosecond (the kernel's resolution), without
/// the float noise `3.580576 * 1e6` carries.
fn micros(seconds: f64) -> f64 {
    round3(seconds * 1e6)
}

fn round3(us: f64) -> f64 {
    (us * 1000.0).round() / 1000.0
}

fn fields_map(f: &crate::record::Fields) -> Map<String, Value> {
    match serde_json::to_value(f) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

impl Sink for ChromeSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.render(&record, None)
    }

    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.render(record, None)
    }

    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.render(&record, Some(host))
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(SinkError::from_io)
    }
}

impl Drop for ChromeSink<'_> {
    fn drop(&mut self) {
        // The end of the run, however it ended. A reader that went away cannot be told.
        let end: &[u8] = if self.opened { b"\n]\n" } else { b"[]\n" };
        let _ = self.out.write_all(end);
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests;
