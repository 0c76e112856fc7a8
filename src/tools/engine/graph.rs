//! The graph engine: the function_graph tracer at the top level, for funcgraph and funcslower.
//!
//! Why the top level: on 6.1 an instance offers only `function nop` (its available_tracers),
//! and where an instance has function_graph (6.12) it still has no set_graph_function,
//! tracing_thresh or max_graph_depth of its own: those are global files. So, as perf-tools
//! does, the run takes the top-level tracer, but exclusively (lktrace's global lock, and a
//! refusal when another tracer is set there), and every file it changes is recorded first in
//! the session's undo log and on-disk journal: Ctrl-C, errors and a closed pipe restore them at
//! once, and a run killed with SIGKILL is restored by the next run or `lktrace ctl reset`.
//! (docs/kernel-notes.md, function_graph.)

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::record::{Graph, GraphKind, Lost, NoticeLevel, Record, Sink};
use crate::tracefs::features::Feature;
use crate::tracefs::ftrace_filter::FilterList;
use crate::tracefs::graph_line::{self, Call, GraphLine, Parsed};
use crate::tracefs::pipe::TracePipe;
use crate::tracefs::{Error as TfError, Session};
use crate::{Error, Result};

/// Deepest call the converter keeps names for (the kernel's own limit is far below).
const MAX_DEPTH: usize = 1024;

/// What to set up at the top level.
#[derive(Debug, Clone, Default)]
pub struct Setup<'a> {
    /// set_graph_function: the graphs' roots.
    pub graph: &'a str,
    /// set_ftrace_filter: the only functions traced (funcslower); `None` clears it (every
    /// function under the roots is traced).
    pub filter: Option<&'a str>,
    /// tracing_thresh, microseconds: only returns at least this slow are recorded.
    pub thresh_us: Option<u64>,
    /// max_graph_depth.
    pub max_depth: Option<u32>,
    /// Options to set (`funcgraph-tail`, `sleep-time`, ...), name and value.
    pub options: Vec<(&'static str, &'static str)>,
    /// set_ftrace_pid: these threads only; `None`: every task but ours.
    pub threads: Option<&'a [u32]>,
}

/// The functions set_graph_function selected, and the open reader.
pub struct Started {
    pub functions: Vec<String>,
    pub pipe: TracePipe,
}

/// Takes the top-level tracer and sets it up (the pipe opened before the tracer is set, so
/// what the buffer holds is read). On error, what was changed is undone with the session.
pub fn start(session: &mut Session, setup: &Setup<'_>) -> Result<Started> {
    session.features().require(Feature::FunctionGraph)?;
    session.lock_global("the top-level tracer (function_graph)")?;
    let tracer = session.tracefs().read_value("current_tracer")?;
    if tracer != "nop" {
        return Err(TfError::Busy {
            what: "the top-level tracer".into(),
            holder: format!("someone else (current_tracer is {tracer})"),
        }
        .into());
    }
    let graph = FilterList::new(vec![setup.graph.to_string()])
        .ok_or_else(|| Error::Usage("empty pattern".into()))?;
    let functions = session.set_global_filter("set_graph_function", &graph)?;
    match setup.filter {
        Some(f) => {
            let list = FilterList::new(vec![f.to_string()])
                .ok_or_else(|| Error::Usage("empty pattern".into()))?;
            session.set_global_filter("set_ftrace_filter", &list)?;
        }
        None => session.clear_global_filter("set_ftrace_filter")?,
    }
    match setup.threads {
        Some(tids) => session.set_global_pids("set_ftrace_pid", tids)?,
        None => {
            // Our own reads of trace_pipe call vfs_read: keep this process out.
            if session.features().has(Feature::NotracePid) {
                let own: Vec<u32> = crate::tools::own_pid_list()
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect();
                session.set_global_pids("set_ftrace_notrace_pid", &own)?;
            }
        }
    }
    session.set_global("tracing_thresh", &setup.thresh_us.unwrap_or(0).to_string())?;
    if session.tracefs().exists("max_graph_depth") {
        session.set_global("max_graph_depth", &setup.max_depth.unwrap_or(0).to_string())?;
    } else if setup.max_depth.is_some() {
        return Err(TfError::Missing {
            what: "max_graph_depth (3.15+)".into(),
            config: "CONFIG_FUNCTION_GRAPH_TRACER",
        }
        .into());
    }
    // The task and time columns always, so every record has them; the text shows them for -P
    // and -t only. The rest as asked, and the CPU and overhead columns as the kernel's default.
    let mut options = vec![
        ("funcgraph-proc", "1"),
        ("funcgraph-abstime", "1"),
        ("funcgraph-cpu", "1"),
        ("funcgraph-overhead", "1"),
    ];
    for (name, value) in &setup.options {
        options.retain(|(n, _)| n != name);
        options.push((name, value));
    }
    for (name, value) in options {
        let rel = format!("options/{name}");
        if session.tracefs().exists(&rel) {
            session.set_global(&rel, value)?;
        }
    }
    session.set_global("tracing_on", "1")?;
    // The tracer first: the kernel refuses to switch tracers (EBUSY) while trace_pipe is open.
    let phase = session.tracefs().phase("enable");
    session.set_global("current_tracer", "function_graph")?;
    phase.end();
    if session.tracefs().read_value("current_tracer")? != "function_graph" {
        return Err(TfError::Missing {
            what: "the function_graph tracer (the kernel kept current_tracer)".into(),
            config: "CONFIG_FUNCTION_GRAPH_TRACER",
        }
        .into());
    }
    let pipe = session.tracefs().open_pipe("trace_pipe")?;
    let pipe = pipe.settle(Duration::from_millis(100));
    Ok(Started { functions, pipe })
}

/// Streams (no `duration`) or waits and then drains the top-level trace_pipe until the
/// duration ends or the run is stopped; then closes the session (the pipe first).
pub fn finish(
    duration: Option<Duration>,
    session: Session,
    mut pipe: TracePipe,
    sink: &mut dyn Sink,
) -> Result<()> {
    let result = pump(duration, &session, &mut pipe, sink);
    drop(pipe);
    result.and(crate::tools::close_session(session))
}

fn pump(
    duration: Option<Duration>,
    session: &Session,
    pipe: &mut TracePipe,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag();
    let mut conv = GraphRecords::default();
    let mut pending: Vec<Record> = Vec::new();
    if let Some(d) = duration {
        let end = Instant::now() + d;
        while Instant::now() < end && !stop.is_set() {
            stop.sleep((end - Instant::now()).min(Duration::from_millis(200)));
        }
    } else {
        while !stop.is_set() {
            pipe.read_lines(Duration::from_millis(200), &mut |line| {
                conv.feed(line, &mut pending)
            })?;
            for r in pending.drain(..) {
                sink.emit(r)?;
            }
            sink.flush()?;
        }
    }
    // Stop writing (the old value comes back at close), then read what the buffer holds.
    session.tracefs().write("tracing_on", "0")?;
    pipe.drain(&mut |line| conv.feed(line, &mut pending))?;
    for r in pending.drain(..) {
        sink.emit(r)?;
    }
    if conv.unparsed > 0 {
        sink.emit(Record::notice(
            NoticeLevel::Warning,
            format!(
                "{} lines of the graph did not parse and were skipped",
                conv.unparsed
            ),
        ))?;
    }
    Ok(sink.flush()?)
}

/// Turns graph lines into `graph` records: names the exits the kernel left unnamed (from the
/// entries seen on that CPU) and gives each line the task and time of its CPU's last line
/// where it had none (a task switch prints neither).
#[derive(Default)]
pub struct GraphRecords {
    /// Per CPU: the open calls' names, by depth.
    open: HashMap<u32, Vec<String>>,
    /// Per CPU: the last task and time seen.
    last: HashMap<u32, (String, u32, f64)>,
    /// Lines that did not parse.
    pub unparsed: u64,
}

impl GraphRecords {
    pub fn feed(&mut self, line: &str, out: &mut Vec<Record>) {
        match graph_line::parse(line) {
            Parsed::Graph(g) => {
                if let Some(r) = self.record(&g) {
                    out.push(r);
                }
            }
            Parsed::Lost { cpu, count } => out.push(Record::Lost(Lost {
                cpu: Some(cpu),
                count,
            })),
            Parsed::Skip => {}
            Parsed::Unknown(_) => self.unparsed += 1,
        }
    }

    fn record(&mut self, g: &GraphLine<'_>) -> Option<Record> {
        let cpu = g.cpu?;
        let last = self.last.entry(cpu).or_insert((String::new(), 0, 0.0));
        if let Some((comm, pid)) = g.task {
            if last.0 != comm {
                last.0 = comm.to_string();
            }
            last.1 = pid;
        }
        if let Some(t) = g.time {
            last.2 = t;
        }
        let (comm, pid, timestamp) = (last.0.clone(), last.1, last.2);
        let open = self.open.entry(cpu).or_default();
        let (kind, depth, name, tail) = match g.call {
            Call::Entry { depth, func } => {
                let d = depth as usize;
                if d < MAX_DEPTH {
                    open.truncate(d);
                    open.resize(d, String::new());
                    open.push(func.to_string());
                }
                (GraphKind::Entry, depth, func.to_string(), false)
            }
            Call::Leaf { depth, func } => (GraphKind::Leaf, depth, func.to_string(), false),
            Call::Exit { depth, func } => {
                let seen = open.get(depth as usize).cloned().unwrap_or_default();
                open.truncate(depth as usize);
                match func {
                    Some(f) => (GraphKind::Exit, depth, f.to_string(), true),
                    None => (GraphKind::Exit, depth, seen, false),
                }
            }
            Call::IrqEntry => (GraphKind::IrqEntry, 0, String::new(), false),
            Call::IrqExit => (GraphKind::IrqExit, 0, String::new(), false),
            Call::Switch { from, to } => {
                // The new task runs on this CPU from now on.
                let (comm, pid) = to.rsplit_once('-')?;
                let pid: u32 = pid.parse().ok()?;
                let r = Graph {
                    kind: GraphKind::Switch,
                    comm: comm.to_string(),
                    pid,
                    cpu,
                    timestamp,
                    depth: 0,
                    name: from.to_string(),
                    duration_us: None,
                    tail: false,
                };
                *last = (comm.to_string(), pid, timestamp);
                return Some(Record::Graph(r));
            }
            // Events and trace_printk in the graph: none are enabled by these tools.
            Call::Comment { .. } => return None,
        };
        Some(Record::Graph(Graph {
            kind,
            comm,
            pid,
            cpu,
            timestamp,
            depth,
            name,
            duration_us: g.duration_us,
            tail,
        }))
    }
}

#[cfg(test)]
mod tests;
