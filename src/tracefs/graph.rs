//! The function_graph tracer, taken at the top level.
//!
//! Up to at least 6.12 the files that narrow function_graph (`set_graph_function`,
//! `set_graph_notrace`, `max_graph_depth`, `tracing_thresh`) exist at the top level only, so
//! the tracer is set there, not in an instance (docs/kernel-notes.md). The top level is
//! everyone's: [`take`] refuses when someone else uses it (a tracer other than `nop`, events
//! enabled there, the function profiler on) and changes every file through the Session's
//! journal under the global lock, so teardown (or `ctl reset`, after a SIGKILL) puts each back.
//!
//! The graph functions always narrow what is recorded (`set_graph_function`): the whole kernel
//! under function_graph costs too much (a TCG guest locked up that way).

use super::features::Feature;
use super::ftrace_filter::FilterList;
use super::{Error, Result, Session};

/// What to trace, and how.
#[derive(Debug, Clone, Default)]
pub struct Graph<'a> {
    /// Into `set_graph_function`: the calls that open a graph (never empty).
    pub graph: Option<&'a FilterList>,
    /// Into `set_ftrace_filter`: only these functions are recorded at all (funcslower).
    /// `None` leaves it as it is, which must be empty (every function).
    pub filter: Option<&'a FilterList>,
    /// `max_graph_depth`.
    pub max_depth: Option<u32>,
    /// `tracing_thresh`, microseconds: only calls at least this long, and only their returns.
    pub thresh_us: Option<u64>,
    /// Into `set_ftrace_pid`: these threads only.
    pub threads: Option<&'a [u32]>,
    /// Into `set_ftrace_notrace_pid` when `threads` is `None`: our own threads.
    pub notrace: Option<&'a str>,
    /// `funcgraph-irqs`: interrupts taken during a traced call are shown inside it.
    pub irqs: bool,
    /// `sleep-time`: a call's time includes the time its task slept (off: on-CPU time).
    pub sleep_time: bool,
}

/// The options lktrace's parser needs (trace_line::graph), always on; and which other ones.
const PARSED: &[&str] = &[
    "funcgraph-abstime",
    "funcgraph-cpu",
    "funcgraph-proc",
    "funcgraph-duration",
    "funcgraph-overhead",
    "funcgraph-tail",
];

/// Where the top level's text is read.
pub const PIPE: &str = "trace_pipe";

/// Sets up function_graph at the top level (see the module documentation) and turns tracing
/// on. Returns the graph functions as the kernel selected them (or the filter's, without
/// graph functions). The caller opens [`PIPE`] afterwards: the kernel refuses to change the
/// tracer while trace_pipe is open.
pub fn take(session: &mut Session, g: &Graph<'_>) -> Result<Vec<String>> {
    session.features().require(Feature::FunctionGraph)?;
    session.lock_global("the top-level function_graph tracer")?;
    let t = session.tracefs().clone();
    let tracer = t.read_value("current_tracer")?;
    if tracer != "nop" {
        return Err(busy(format!(
            "someone else: current_tracer is {tracer} (lktrace ctl reset --all clears it)"
        )));
    }
    if t.exists("function_profile_enabled") && t.read_value("function_profile_enabled")? == "1" {
        return Err(busy(
            "the function profiler (function_profile_enabled is 1)".into(),
        ));
    }
    let events = t.read("set_event")?;
    if let Some(first) = events.lines().map(str::trim).find(|l| !l.is_empty()) {
        return Err(busy(format!(
            "someone else: events are enabled at the top level ({first}, in set_event)"
        )));
    }
    if g.filter.is_none() {
        let filter = super::ftrace_filter::parse_filter(&t.read("set_ftrace_filter")?);
        if let Some(first) = filter.first() {
            return Err(busy(format!(
                "someone else: the top-level set_ftrace_filter holds {first} \
                 ({} functions; lktrace ctl reset --all clears it)",
                filter.len()
            )));
        }
    }
    if let Some(d) = g.max_depth {
        session.set_global("max_graph_depth", &d.to_string())?;
    }
    if let Some(us) = g.thresh_us {
        session.set_global("tracing_thresh", &us.to_string())?;
    }
    match (g.threads, g.notrace) {
        (Some(tids), _) => {
            let list: Vec<String> = tids.iter().map(u32::to_string).collect();
            session.set_global("set_ftrace_pid", &format!("{}\n", list.join(" ")))?;
        }
        (None, Some(own)) if t.exists("set_ftrace_notrace_pid") => {
            session.set_global("set_ftrace_notrace_pid", own)?;
        }
        _ => {}
    }
    let mut selected = Vec::new();
    if let Some(filter) = g.filter {
        selected = session.set_global_filter("set_ftrace_filter", filter)?;
    }
    if let Some(graph) = g.graph {
        selected = session.set_global_filter("set_graph_function", graph)?;
    }
    session.set_global("current_tracer", "function_graph")?;
    if t.read_value("current_tracer")? != "function_graph" {
        return Err(Error::Missing {
            what: "the function_graph tracer (the kernel kept current_tracer at nop)".into(),
            config: "CONFIG_FUNCTION_GRAPH_TRACER",
        });
    }
    // Options after the tracer: older kernels make a tracer's options when it is set.
    let wanted = PARSED
        .iter()
        .map(|o| (*o, true))
        .chain([("funcgraph-irqs", g.irqs), ("sleep-time", g.sleep_time)]);
    for (option, on) in wanted {
        let rel = format!("options/{option}");
        if !t.exists(&rel) {
            if PARSED.contains(&option) || !on {
                return Err(Error::Missing {
                    what: format!("the {option} option of function_graph"),
                    config: "CONFIG_FUNCTION_GRAPH_TRACER",
                });
            }
            continue;
        }
        let value = if on { "1" } else { "0" };
        if t.read_value(&rel)? != value {
            session.set_global(&rel, value)?;
        }
    }
    // Always through the journal: [`stop`] turns it off at the end.
    session.set_global("tracing_on", "1")?;
    Ok(selected)
}

/// Stops the top level writing (at the end of a run, before its buffer is drained); teardown
/// puts the old value back.
pub fn stop(session: &Session) -> Result<()> {
    session.tracefs().write("tracing_on", "0")
}

fn busy(holder: String) -> Error {
    Error::Busy {
        what: "the top-level tracer".into(),
        holder,
    }
}
