//! kprobe: trace a kernel function's entry or return with arguments, as perf-tools' kprobe.
//!
//! `kprobe [-FhHsv] [-d secs] [-p PID] [-L TID] definition [filter]`

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::stream::TraceRecords;
use super::values::{EventFilter, KprobeDefinition, Pid, RunSeconds};
use super::RunEnv;
use crate::record::{Format, NoticeLevel, Record, Sink};
use crate::tracefs::events::{self, EventRef};
use crate::tracefs::pipe::TracePipe;
use crate::tracefs::probe::{ProbeDef, Target};
use crate::tracefs::{ftrace_filter, sys, Error as TfError, Session};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KprobeSpec {
    /// `p:[name] func [args]` / `r:[name] func [args]`, perf-tools style.
    pub definition: KprobeDefinition,
    /// An event filter expression (`filename ~ "*.conf"`).
    pub filter: Option<EventFilter>,
    /// Buffer for this many seconds, then print (`-d`); otherwise stream until Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// Every thread of this process (`-p`).
    pub pid: Option<Pid>,
    /// This one thread (`-L`).
    pub tid: Option<Pid>,
    /// Kernel stack trace with each event (`-s`).
    pub stacks: bool,
    /// Print the event's format and exit (`-v`).
    pub format_only: bool,
    /// Skip the available_filter_functions check (`-F`).
    pub skip_check: bool,
    /// Print column headers (`-H`): a render hint.
    #[serde(default)]
    pub headers: bool,
}

/// The kprobe tool (see the module documentation).
pub struct Kprobe;

impl super::Tool for Kprobe {
    const NAME: &'static str = "kprobe";
    const ABOUT: &'static str = "Trace a kernel function with a kprobe (perf-tools kprobe)";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["event", "stack", "lost", "format", "notice"];
    const SCENARIOS: &'static [&'static str] = &["kp_entry", "kp_return", "kp_pid", "kp_stack"];
    type Args = KprobeArgs;
    type Spec = KprobeSpec;

    fn spec(args: &KprobeArgs) -> Result<KprobeSpec> {
        args.to_spec()
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        use crate::tracefs::features::Feature;
        vec![
            Need::new("kprobe", All(vec![Feature::Kprobes, Feature::Instances])),
            Need::new(
                "kprobe -s",
                All(vec![Feature::Kprobes, Feature::StackTrace]),
            ),
        ]
    }

    fn describe(spec: &KprobeSpec) -> String {
        format!("kprobe {:?}", spec.definition)
    }

    fn render_hints(spec: &KprobeSpec) -> super::RenderHints {
        super::RenderHints {
            headers: spec.headers,
            ..Default::default()
        }
    }

    fn run(spec: &KprobeSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Trace a kernel function with kprobes.
#[derive(Debug, Clone, Args)]
pub struct KprobeArgs {
    /// Skip the available_filter_functions check
    #[arg(short = 'F')]
    pub force: bool,
    /// Print column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Print a kernel stack trace after each event
    #[arg(short = 's')]
    pub stacks: bool,
    /// Print the event's format and exit
    #[arg(short = 'v')]
    pub view_format: bool,
    /// Trace for SECS seconds (buffered), then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Trace every thread of this process
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<Pid>,
    /// Trace this thread only
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<Pid>,
    /// p:[NAME] FUNC [ARGS] or r:[NAME] FUNC [ARGS], e.g. 'p:myopen do_sys_openat2 filename=+0(%si):string'
    pub definition: String,
    /// Event filter, e.g. 'filename ~ "*.conf"'
    pub filter: Option<String>,
}

impl KprobeArgs {
    pub fn to_spec(&self) -> Result<KprobeSpec> {
        // Parsed here first so a bad definition is shown with the parser's caret; the
        // KprobeDefinition below runs the same parse (and the agent runs it again).
        let def = ProbeDef::parse(&self.definition).map_err(TfError::from)?;
        if def.is_uprobe() {
            return Err(Error::Usage(
                "that is a uprobe definition (PATH:OFFSET); kprobe traces kernel functions".into(),
            ));
        }
        let usage = |e: super::values::ValueError| Error::Usage(e.to_string());
        let definition = KprobeDefinition::try_from(self.definition.as_str()).map_err(usage)?;
        let filter = self
            .filter
            .as_deref()
            .map(EventFilter::try_from)
            .transpose()
            .map_err(usage)?;
        Ok(KprobeSpec {
            definition,
            filter,
            duration_s: self.duration,
            pid: self.pid,
            tid: self.tid,
            stacks: self.stacks,
            format_only: self.view_format,
            skip_check: self.force,
            headers: self.headers,
        })
    }
}

/// Runs kprobe: defines the probe in our group, enables it in our instance (with the pid
/// filter, filter expression and stack option asked for), and streams or buffers its events.
pub fn run(spec: &KprobeSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    // Checked when the Spec was made; parsed again for its parts.
    let def = ProbeDef::parse(spec.definition.as_str()).map_err(TfError::from)?;
    let tracefs = super::open_tracefs(env)?;
    if !spec.skip_check {
        if let Target::Symbol {
            module: None,
            symbol,
            ..
        } = &def.target
        {
            let names = ftrace_filter::available_functions(&tracefs)?;
            if !names.iter().any(|n| n == symbol) {
                return Err(TfError::NotTraceable {
                    name: symbol.clone(),
                }
                .into());
            }
        }
    }
    let pids = match (spec.pid.map(Pid::get), spec.tid.map(Pid::get)) {
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
    };

    let mut session = Session::open(tracefs, env.stop.clone())?;
    super::report_reaped(&session, sink)?;
    session.add_probes(std::slice::from_ref(&def))?;
    let group = session.group();
    let event = def.event_name();
    let ev = EventRef::event(&group, &event);

    if spec.format_only {
        let text = events::format_text(session.tracefs(), &group, &event)?;
        sink.emit(Record::Format(Format {
            event: event.clone(),
            text,
            host: None,
        }))?;
        return close(session);
    }

    if let Some(filter) = &spec.filter {
        session.set_filter(&ev, filter.as_str())?;
    }
    if let Some(pids) = &pids {
        let list: Vec<String> = pids.iter().map(u32::to_string).collect();
        session.append_instance("set_event_pid", &format!("{}\n", list.join(" ")))?;
        // -p follows new threads of the process; -L is one thread only.
        if spec.pid.is_some() {
            session.set_instance_option("event-fork", "1")?;
        }
    } else if session
        .tracefs()
        .exists(session.instance().rel("set_event_notrace_pid"))
    {
        // Keep our own work (reading /proc for tgids, say) out of the trace.
        session.append_instance("set_event_notrace_pid", &super::own_pid_list())?;
    }
    // The tgid column, where the kernel has it per instance (6.1 does); else /proc lookups.
    if session
        .tracefs()
        .exists(session.instance().rel("options/record-tgid"))
    {
        session.set_instance_option("record-tgid", "1")?;
    }
    if spec.stacks {
        session.set_instance_option("stacktrace", "1")?;
    }
    if spec.duration_s.is_some() {
        // Buffered in the kernel for the whole duration: give it room.
        let _ = session.write_instance("buffer_size_kb", "8192");
    }
    let pipe_path = session.tracefs().path(session.instance().rel("trace_pipe"));
    let mut pipe = TracePipe::open(&pipe_path)?.settle(Duration::from_millis(100));
    session.enable(&ev)?;
    sink.emit(Record::notice(
        NoticeLevel::Info,
        match spec.duration_s {
            Some(d) => format!("Tracing kprobe {event} for {d} seconds (buffered)..."),
            None => format!("Tracing kprobe {event}. Ctrl-C to end."),
        },
    ))?;
    sink.flush()?;

    let result = stream(spec, &session, &mut pipe, sink);
    // The pipe must be closed before the instance can be removed.
    drop(pipe);
    let closed = close(session);
    result.and(closed)
}

fn close(mut session: Session) -> Result<()> {
    let report = session.close();
    match report.failures.into_iter().next() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Streams (no `-d`) or waits and then drains (`-d`) the instance's trace_pipe.
fn stream(
    spec: &KprobeSpec,
    session: &Session,
    pipe: &mut TracePipe,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag();
    let mut conv = TraceRecords::new();
    let mut tgids = TgidCache {
        only_process: spec.pid.map(Pid::get),
        ..TgidCache::default()
    };
    let mut pending: Vec<Record> = Vec::new();
    if let Some(d) = spec.duration_s {
        let end = Instant::now() + d.duration();
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
