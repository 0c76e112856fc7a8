//! The stream engine: what every event tool (kprobe today, the snoops next) does around its
//! own events. `-p`/`-L` become the instance's pid filter (and a tgid check, since the kernel's
//! fork following also catches child processes); the instance gets the tgid column where it has
//! one; `-d` buffers in the kernel and reads once at the end; trace_pipe is read with name
//! settling, and `[LOST N EVENTS]` lines become `lost` records ([`records`]). Where the kernel
//! has `per_cpu/cpuN/trace_pipe_raw` and the events' text can be reproduced, the raw reader
//! ([`raw`]) reads the binary ring buffer instead and makes the same records.

pub mod raw;
pub mod raw_records;
pub mod records;
pub mod symbols;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

pub use records::TraceRecords;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::record::{Event, Record, Sink};
use crate::tools::silence::{Silence, Watch};
use crate::tracefs::events::EventRef;
use crate::tracefs::pipe::TracePipe;
use crate::tracefs::{sys, Session};
use crate::{Error, Result};

/// How the events are read from the kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    /// The kernel's text for now: raw was not measured faster, and it reads /proc/kallsyms first.
    #[default]
    Auto,
    /// The binary ring buffer (per_cpu/cpuN/trace_pipe_raw), or an error where it cannot be used.
    Raw,
    /// The kernel's text (trace_pipe).
    Text,
}

impl Reader {
    pub fn name(self) -> &'static str {
        match self {
            Reader::Auto => "auto",
            Reader::Raw => "raw",
            Reader::Text => "text",
        }
    }
}

/// Which tasks to trace, for how long, and how.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Buffer for this long, then print (`-d`); otherwise stream until stopped.
    pub duration: Option<Duration>,
    /// Every thread of this process (`-p`).
    pub pid: Option<u32>,
    /// This one thread (`-L`).
    pub tid: Option<u32>,
    pub reader: Reader,
    /// Stack traces follow the events (the `stacktrace` option): read as text.
    pub stacks: bool,
}

/// An open reader of the run's instance.
pub enum Input {
    Text(TracePipe),
    Raw(Box<raw::RawInput>),
}

/// The reader [`prepare`] opened, and what to tell the user of it (`reader raw`, or
/// `reader text` with the reason raw was not used).
pub struct Prepared {
    pub input: Input,
    pub note: String,
}

/// The threads `-p`/`-L` name, looked up before the session opens (a wrong pid changes
/// nothing in tracefs). `None` means every task.
pub fn threads(opts: &Options) -> Result<Option<Vec<u32>>> {
    Ok(match (opts.pid, opts.tid) {
        (Some(pid), _) => Some(
            sys::threads_of(pid).map_err(|_| Error::Usage(format!("no process with pid {pid}")))?,
        ),
        (None, Some(tid)) => {
            if !sys::process_alive(tid) {
                return Err(Error::Usage(format!("no thread with id {tid}")));
            }
            Some(vec![tid])
        }
        (None, None) => None,
    })
}

/// Sets up our instance for streaming (pid filter, our own pids kept out, the tgid column, a
/// bigger buffer for `-d`) and opens its reader of `events`: raw or text as `opts.reader`
/// says. Call before enabling the events.
pub fn prepare(
    session: &mut Session,
    opts: &Options,
    threads: Option<&[u32]>,
    events: &[EventRef],
) -> Result<Prepared> {
    let notrace = session.instance_file("set_event_notrace_pid")?;
    if let Some(pids) = threads {
        // -p follows new threads of the process; -L is one thread only.
        session.follow_pids(pids, opts.pid.is_some())?;
    } else if session.tracefs().exists(notrace) {
        // Keep our own work (reading /proc for tgids, say) out of the trace.
        session.append_instance("set_event_notrace_pid", &crate::tools::own_pid_list())?;
    }
    // The tgid column, where the kernel has it per instance (6.1 does); else /proc lookups.
    let tgid_option = session.instance_file("options/record-tgid")?;
    let record_tgid = session.tracefs().exists(tgid_option);
    if record_tgid {
        session.set_instance_option("record-tgid", "1")?;
    }
    if opts.duration.is_some() {
        // Buffered in the kernel for the whole duration: give it room.
        session.grow_instance_buffer(8192)?;
    }
    let why_text = match (opts.reader, opts.stacks) {
        (Reader::Text, _) => None,
        // Auto is not raw by default yet: the raw reader loads /proc/kallsyms on its first event (a few
        // thousand read(2)s that a concurrent funccount of vfs_read counted: the real-kernel
        // suite's overlapping runs), and it was not measured faster than text
        // (docs/performance.md, issue 10).
        (Reader::Auto, _) => None,
        (_, true) => Some("stack traces are read as text".to_string()),
        // Streaming raw reads (trace_pipe_raw polled while the probe fires) once left Debian
        // 12's 6.1 in a soft lockup in our read under QEMU (docs/kernel-notes.md): until that
        // is understood, raw is for buffered runs only.
        (_, false) if opts.duration.is_none() => Some(
            "a streaming raw read once locked up a 6.1 kernel; use -d SECS, or the text reader"
                .to_string(),
        ),
        (_, false) => {
            let _phase = session.tracefs().phase("open raw reader");
            match raw::open(session, events, record_tgid)? {
                Ok(input) => {
                    return Ok(Prepared {
                        input: Input::Raw(Box::new(input)),
                        note: "reader raw".into(),
                    })
                }
                Err(why) => Some(why),
            }
        }
    };
    if let (Reader::Raw, Some(why)) = (opts.reader, &why_text) {
        return Err(Error::Usage(format!("--reader raw cannot be used: {why}")));
    }
    let pipe = session.instance_file("trace_pipe")?;
    let pipe = session.tracefs().open_pipe(pipe)?;
    Ok(Prepared {
        input: Input::Text(pipe.settle(Duration::from_millis(100))),
        note: match why_text {
            Some(why) => format!("reader text: {why}"),
            None => "reader text".into(),
        },
    })
}

/// The Tracing notice of a stream run, in perf-tools' words: `Tracing WHAT for N seconds
/// (buffered)...` with -d, `Tracing WHAT. Ctrl-C to end.` without; `note` (how it reads) goes
/// inside the parentheses. Flushed at once: it says tracing has begun.
pub fn announce(
    sink: &mut dyn Sink,
    what: &str,
    duration: Option<impl std::fmt::Display>,
    note: Option<&str>,
) -> Result<()> {
    let text = match (duration, note) {
        (Some(d), Some(n)) => format!(
            "Tracing {what} for {} (buffered, {n})...",
            crate::tools::counted(d, "second")
        ),
        (Some(d), None) => format!(
            "Tracing {what} for {} (buffered)...",
            crate::tools::counted(d, "second")
        ),
        (None, Some(n)) => format!("Tracing {what} ({n}). Ctrl-C to end."),
        (None, None) => format!("Tracing {what}. Ctrl-C to end."),
    };
    sink.emit(Record::notice(crate::record::NoticeLevel::Info, text))?;
    sink.flush()?;
    Ok(())
}

/// [`run`], then the reader closed and the session with it (the pipe must be closed before
/// the instance can be removed): a stream tool's last step. A teardown failure is reported even
/// when the run succeeded. A run that saw no events ends with `silence`'s notice; probes that
/// missed hits say how many ([`crate::tools::misses`]).
pub fn finish(
    opts: &Options,
    session: Session,
    mut input: Input,
    sink: &mut dyn Sink,
    silence: &Silence,
) -> Result<()> {
    let mut watch = Watch::new(sink);
    let result = run(opts, &session, &mut input, &mut watch);
    // While the probes are still there: what they missed is in kprobe_profile.
    for r in silence.misses.report(session.tracefs()) {
        watch.emit(r)?;
    }
    drop(input);
    result.and(crate::tools::close_session(session))?;
    Ok(watch.finish(silence)?)
}

/// Streams (no `-d`) or waits and then drains (`-d`) the instance's trace_pipe, until the
/// duration ends or the run is stopped; nothing traced is left unread.
pub fn run(
    opts: &Options,
    session: &Session,
    input: &mut Input,
    sink: &mut dyn Sink,
) -> Result<()> {
    let mut tgids = TgidCache {
        only_process: opts.pid,
        ..TgidCache::default()
    };
    match input {
        Input::Text(pipe) => run_text(opts, session, pipe, &mut tgids, sink),
        Input::Raw(raw) => raw::run(opts.duration, session, raw, &mut tgids, sink),
    }
}

fn run_text(
    opts: &Options,
    session: &Session,
    pipe: &mut TracePipe,
    tgids: &mut TgidCache,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag();
    let mut conv = TraceRecords::new();
    let mut pending: Vec<Record> = Vec::new();
    if let Some(d) = opts.duration {
        // Wakes early on Ctrl-C.
        stop.sleep(d);
    } else {
        while !stop.is_set() {
            pipe.read_lines(Duration::from_millis(200), &mut |line| {
                conv.feed(line, &mut |r| pending.push(r))
            })?;
            emit_all(&mut pending, sink, tgids)?;
            sink.flush()?;
        }
    }
    // Stop writing, then read what the buffer still holds: nothing traced is left unread.
    session.write_instance("tracing_on", "0")?;
    pipe.drain(&mut |line| conv.feed(line, &mut |r| pending.push(r)))?;
    conv.finish(&mut |r| pending.push(r));
    emit_all(&mut pending, sink, tgids)?;
    Ok(sink.flush()?)
}

fn emit_all(pending: &mut Vec<Record>, sink: &mut dyn Sink, tgids: &mut TgidCache) -> Result<()> {
    for r in pending.drain(..) {
        if let Some(r) = tgids.fill(r) {
            sink.emit(r)?;
        }
    }
    Ok(())
}

/// Thread group ids looked up in /proc (where the kernel has no `record-tgid`), once per
/// thread and name, and only for a thread that still has the name the trace gave it (else the
/// tgid stays unknown); and the `-p` rule applied with them.
#[derive(Default)]
struct TgidCache {
    known: HashMap<(u32, String), Option<u32>>,
    /// `-p PID`: the kernel follows forks (`event-fork`) so new threads are caught, which also
    /// catches child processes; keep only the threads of this process.
    only_process: Option<u32>,
    /// Threads seen to belong to another process: their stacks go too.
    foreign: HashSet<u32>,
}

impl TgidCache {
    fn fill(&mut self, mut r: Record) -> Option<Record> {
        let keep = match &mut r {
            Record::Event(e) => self.keep(e),
            Record::Stack(st) => !self.foreign.contains(&st.pid),
            _ => true,
        };
        keep.then_some(r)
    }

    /// Fills the event's tgid if the trace had none; false when `-p` does not want it.
    fn keep(&mut self, e: &mut Event) -> bool {
        if e.tgid.is_none() {
            let pid = e.pid;
            e.tgid = *self
                .known
                .entry((pid, e.comm.clone()))
                .or_insert_with_key(|(_, comm)| sys::tgid_of_named(pid, comm));
        }
        if let (Some(want), Some(tgid)) = (self.only_process, e.tgid) {
            if tgid != want {
                self.foreign.insert(e.pid);
                return false;
            }
        }
        true
    }
}
