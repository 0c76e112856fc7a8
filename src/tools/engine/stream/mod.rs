//! The stream engine: what every event tool (kprobe today, the snoops next) does around its
//! own events. `-p`/`-L` become the instance's pid filter (and a tgid check, since the kernel's
//! fork following also catches child processes); the instance gets the tgid column where it has
//! one; `-d` buffers in the kernel and reads once at the end; trace_pipe is read with name
//! settling, and `[LOST N EVENTS]` lines become `lost` records ([`records`]).

pub mod records;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

pub use records::TraceRecords;

use crate::record::{Record, Sink};
use crate::tracefs::pipe::TracePipe;
use crate::tracefs::{sys, Session};
use crate::{Error, Result};

/// Which tasks to trace, and for how long.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Buffer for this long, then print (`-d`); otherwise stream until stopped.
    pub duration: Option<Duration>,
    /// Every thread of this process (`-p`).
    pub pid: Option<u32>,
    /// This one thread (`-L`).
    pub tid: Option<u32>,
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
/// bigger buffer for `-d`) and opens its trace_pipe. Call before enabling the events.
pub fn prepare(
    session: &mut Session,
    opts: &Options,
    threads: Option<&[u32]>,
) -> Result<TracePipe> {
    let notrace = session.instance_file("set_event_notrace_pid")?;
    if let Some(pids) = threads {
        let list: Vec<String> = pids.iter().map(u32::to_string).collect();
        session.append_instance("set_event_pid", &format!("{}\n", list.join(" ")))?;
        // -p follows new threads of the process; -L is one thread only.
        if opts.pid.is_some() {
            session.set_instance_option("event-fork", "1")?;
        }
    } else if session.tracefs().exists(notrace) {
        // Keep our own work (reading /proc for tgids, say) out of the trace.
        session.append_instance("set_event_notrace_pid", &crate::tools::own_pid_list())?;
    }
    // The tgid column, where the kernel has it per instance (6.1 does); else /proc lookups.
    let tgid_option = session.instance_file("options/record-tgid")?;
    if session.tracefs().exists(tgid_option) {
        session.set_instance_option("record-tgid", "1")?;
    }
    if opts.duration.is_some() {
        // Buffered in the kernel for the whole duration: give it room.
        session.grow_instance_buffer(8192)?;
    }
    let pipe = session.instance_file("trace_pipe")?;
    let pipe = session.tracefs().open_pipe(pipe)?;
    Ok(pipe.settle(Duration::from_millis(100)))
}

/// Streams (no `-d`) or waits and then drains (`-d`) the instance's trace_pipe, until the
/// duration ends or the run is stopped; nothing traced is left unread.
pub fn run(
    opts: &Options,
    session: &Session,
    pipe: &mut TracePipe,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag();
    let mut conv = TraceRecords::new();
    let mut tgids = TgidCache {
        only_process: opts.pid,
        ..TgidCache::default()
    };
    let mut pending: Vec<Record> = Vec::new();
    if let Some(d) = opts.duration {
        let end = Instant::now() + d;
        while Instant::now() < end && !stop.is_set() {
            stop.sleep((end - Instant::now()).min(Duration::from_millis(200)));
        }
    } else {
        while !stop.is_set() {
            pipe.read_lines(Duration::from_millis(200), &mut |line| {
                conv.feed(line, &mut |r| pending.push(r))
            })?;
            emit_all(&mut pending, sink, &mut tgids)?;
            sink.flush()?;
        }
    }
    // Stop writing, then read what the buffer still holds: nothing traced is left unread.
    session.write_instance("tracing_on", "0")?;
    pipe.drain(&mut |line| conv.feed(line, &mut |r| pending.push(r)))?;
    conv.finish(&mut |r| pending.push(r));
    emit_all(&mut pending, sink, &mut tgids)?;
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

/// Thread group ids (and names the kernel had not cached) looked up in /proc, once per pid for
/// tgids; and the `-p` rule applied with them.
#[derive(Default)]
struct TgidCache {
    known: HashMap<u32, Option<u32>>,
    /// `-p PID`: the kernel follows forks (`event-fork`) so new threads are caught, which also
    /// catches child processes; keep only the threads of this process.
    only_process: Option<u32>,
    /// Threads seen to belong to another process: their stacks go too.
    foreign: HashSet<u32>,
}

impl TgidCache {
    fn fill(&mut self, mut r: Record) -> Option<Record> {
        match &mut r {
            Record::Event(e) => {
                if e.tgid.is_none() {
                    e.tgid = *self
                        .known
                        .entry(e.pid)
                        .or_insert_with(|| sys::tgid_of(e.pid));
                }
                if let (Some(want), Some(tgid)) = (self.only_process, e.tgid) {
                    if tgid != want {
                        self.foreign.insert(e.pid);
                        return None;
                    }
                }
            }
            Record::Stack(st) if self.foreign.contains(&st.pid) => return None,
            _ => {}
        }
        Some(r)
    }
}
