//! funcgraph: a kernel function's calls and their children as a graph with durations (the
//! function_graph tracer), as perf-tools' funcgraph.
//!
//! `funcgraph [-aCDhHPtT] [-m maxdepth] [-p PID] [-L TID] [-d secs] funcstring`, plus what
//! perf-tools users asked for: `--no-irqs` (interrupts that arrive during a call are left out:
//! `funcgraph-irqs` off) and `--min-us N` (only calls at least N us long: `tracing_thresh`,
//! under which the kernel records returns only). Each line of the graph is one `graph` record;
//! the text is the kernel's own. The tracer is the top-level one, taken exclusively
//! ([`super::engine::graph`]).

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::{graph, stream};
use super::values::{FuncPattern, GraphDepth, LatencyUs, Pid, RunSeconds};
use super::RunEnv;
use crate::record::{NoticeLevel, Record, Sink};
use crate::tracefs::features::Feature;
use crate::Result;

/// What the graph's text shows, and how the kernel measures (perf-tools' flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphView {
    /// Column headers (`-H`).
    pub headers: bool,
    /// The task column (`-P`).
    pub proc: bool,
    /// The time column (`-t`).
    pub time: bool,
    /// On-CPU time only (`-C`: `sleep-time` off).
    pub on_cpu: bool,
}

impl GraphView {
    /// The kernel options this view sets.
    pub fn options(&self) -> Vec<(&'static str, &'static str)> {
        let mut o = Vec::new();
        if self.on_cpu {
            o.push(("sleep-time", "0"));
        }
        o
    }

    pub fn hints(&self, no_duration: bool) -> super::RenderHints {
        super::RenderHints {
            headers: self.headers,
            graph_proc: self.proc,
            graph_time: self.time,
            graph_no_duration: no_duration,
            ..Default::default()
        }
    }
}

/// What to graph and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuncgraphSpec {
    /// The graphs' roots, into set_graph_function.
    pub pattern: FuncPattern,
    pub duration_s: Option<RunSeconds>,
    pub pid: Option<Pid>,
    pub tid: Option<Pid>,
    /// max_graph_depth (`-m`).
    pub max_depth: Option<GraphDepth>,
    /// tracing_thresh (`--min-us`).
    pub min_us: Option<LatencyUs>,
    pub view: GraphView,
    /// No durations (`-D`: `funcgraph-duration` off).
    pub no_duration: bool,
    /// Name every exit (`-T`: `funcgraph-tail`).
    pub tail: bool,
    /// Leave out interrupts (`--no-irqs`: `funcgraph-irqs` off).
    pub no_irqs: bool,
}

/// The funcgraph tool (see the module documentation).
pub struct Funcgraph;

/// REQUIREMENTS, shared with funcslower.
pub(crate) const REQUIREMENTS: &str =
    "Linux with tracefs, CONFIG_FUNCTION_GRAPH_TRACER and CONFIG_DYNAMIC_FTRACE (the function \
     must be in available_filter_functions), root. -m needs max_graph_depth (3.15+). Kernel \
     lockdown in confidentiality mode forbids tracefs.\n\n\
     The function_graph tracer is the top-level one, as in perf-tools: an instance offers only \
     the function tracer on 6.1, and set_graph_function, tracing_thresh and max_graph_depth are \
     global files. The run takes lktrace's global lock and refuses to start when another tracer \
     is set (current_tracer is not nop). Every file it changes (current_tracer, \
     set_graph_function, set_ftrace_filter, set_ftrace_pid, set_ftrace_notrace_pid, \
     tracing_thresh, max_graph_depth, tracing_on, the funcgraph-* and sleep-time options) is \
     journaled before it is changed and restored on exit, error, Ctrl-C, SIGTERM, SIGHUP or a \
     closed pipe; lktrace ctl reset (or the next lktrace run) restores what a run killed with \
     SIGKILL left.";

impl super::Tool for Funcgraph {
    const NAME: &'static str = "funcgraph";
    const ABOUT: &'static str =
        "Graph a kernel function's calls and children with durations (perf-tools funcgraph)";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["graph", "lost", "notice"];
    const SCENARIOS: &'static [&'static str] =
        &["fg_vfs_read", "fg_depth", "fg_sigint", "fg_bad", "fg_busy", "fg_examples"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        ("REQUIREMENTS", REQUIREMENTS),
        (
            "OVERHEAD",
            "Every call under the traced function, each child to any depth, is timed and \
             written to the ring buffer twice (entry and return): a function with deep call \
             trees (vfs_read through a file system, a syscall entry) costs far more than the \
             function tracer, and slows what is traced. The kernel drops what it has no room \
             for (reported as lost records and on stderr). Start with -m 3 or 4, a narrow \
             function, -p or -L (applied in the kernel), --no-irqs to leave interrupt work out, \
             and -d 1 to see how much there is. --min-us N records only returns of calls at \
             least N us long (the kernel drops the rest before they reach the buffer).",
        ),
    ];
    type Args = FuncgraphArgs;
    type Spec = FuncgraphSpec;

    fn spec(args: &FuncgraphArgs) -> Result<FuncgraphSpec> {
        Ok(FuncgraphSpec {
            pattern: args.funcstring.clone(),
            duration_s: args.duration,
            pid: args.pid,
            tid: args.tid,
            max_depth: args.max_depth,
            min_us: args.min_us,
            view: GraphView {
                headers: args.headers || args.all,
                proc: args.proc || args.all,
                time: args.time || args.all,
                on_cpu: args.on_cpu,
            },
            no_duration: args.no_duration,
            tail: args.tail,
            no_irqs: args.no_irqs,
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![Need::new("funcgraph", All(vec![Feature::FunctionGraph]))]
    }

    fn describe(spec: &FuncgraphSpec) -> String {
        format!("funcgraph {:?}", spec.pattern.as_str())
    }

    fn render_hints(spec: &FuncgraphSpec) -> super::RenderHints {
        spec.view.hints(spec.no_duration)
    }

    fn run(spec: &FuncgraphSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Graph a kernel function's calls and their children, with durations.
#[derive(Debug, Clone, Args)]
pub struct FuncgraphArgs {
    /// All info (same as -HPt)
    #[arg(short = 'a')]
    pub all: bool,
    /// Measure on-CPU time only (time asleep is not counted in durations)
    #[arg(short = 'C')]
    pub on_cpu: bool,
    /// Do not show function durations
    #[arg(short = 'D')]
    pub no_duration: bool,
    /// Print column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Show process names and pids
    #[arg(short = 'P')]
    pub proc: bool,
    /// Show timestamps
    #[arg(short = 't')]
    pub time: bool,
    /// Name the function at each close (comment function tails)
    #[arg(short = 'T')]
    pub tail: bool,
    /// Go at most DEPTH calls deep
    #[arg(short = 'm', value_name = "DEPTH")]
    pub max_depth: Option<GraphDepth>,
    /// Trace for SECS seconds (buffered), then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Trace when this process's threads are on-CPU
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<Pid>,
    /// Trace when this thread is on-CPU
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<Pid>,
    /// Leave out interrupts that arrive during a call
    #[arg(long)]
    pub no_irqs: bool,
    /// Show only calls that took at least US microseconds (their returns only: tracing_thresh)
    #[arg(long, value_name = "US")]
    pub min_us: Option<LatencyUs>,
    /// Function glob, the graphs' roots: do_nanosleep, 'vfs_rea*'
    pub funcstring: FuncPattern,
}

/// Runs a graph at the top level with `setup`, telling the user what it traces.
pub(crate) fn run_graph(
    what: &str,
    setup: graph::Setup<'_>,
    opts: &stream::Options,
    env: &RunEnv,
    sink: &mut dyn Sink,
) -> Result<()> {
    let tracefs = super::open_tracefs(env)?;
    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let pattern = setup.graph;
    let started =
        graph::start(&mut session, &setup).map_err(|e| super::functrace::no_match(e, pattern))?;
    let roots = match started.functions.as_slice() {
        [one] if one == pattern => format!("\"{one}\""),
        many => format!("{} for \"{pattern}\"", super::counted(many.len(), "function")),
    };
    let whom = match (opts.pid, opts.tid) {
        (Some(p), _) => format!(" for PID {p}"),
        (None, Some(t)) => format!(" for TID {t}"),
        _ => String::new(),
    };
    sink.emit(Record::notice(
        NoticeLevel::Info,
        match opts.duration {
            Some(d) => format!(
                "Tracing {roots}{what}{whom} for {} (buffered)...",
                super::counted(d.as_secs_f64(), "second")
            ),
            None => format!("Tracing {roots}{what}{whom}... Ctrl-C to end."),
        },
    ))?;
    sink.flush()?;
    graph::finish(opts.duration, session, started.pipe, sink)
}

/// Sets up the graph and streams or buffers it.
pub fn run(spec: &FuncgraphSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let opts = stream::Options {
        duration: spec.duration_s.map(RunSeconds::duration),
        pid: spec.pid.map(Pid::get),
        tid: spec.tid.map(Pid::get),
        ..Default::default()
    };
    let threads = stream::threads(&opts)?;
    let mut options = spec.view.options();
    if spec.no_duration {
        options.push(("funcgraph-duration", "0"));
    }
    options.push(("funcgraph-tail", if spec.tail { "1" } else { "0" }));
    options.push(("funcgraph-irqs", if spec.no_irqs { "0" } else { "1" }));
    let setup = graph::Setup {
        graph: spec.pattern.as_str(),
        filter: None,
        thresh_us: spec.min_us.map(LatencyUs::get),
        max_depth: spec.max_depth.map(GraphDepth::get),
        options,
        threads: threads.as_deref(),
    };
    let what = match spec.min_us {
        Some(us) => format!(" (calls of {us} us or more)"),
        None => String::new(),
    };
    run_graph(&what, setup, &opts, env, sink)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: FuncgraphArgs,
    }

    fn spec(argv: &[&str]) -> std::result::Result<FuncgraphSpec, String> {
        let mut v = vec!["funcgraph"];
        v.extend_from_slice(argv);
        let args = Cli::try_parse_from(v).map_err(|e| e.to_string())?.args;
        <Funcgraph as super::super::Tool>::spec(&args).map_err(|e| e.to_string())
    }

    #[test]
    fn perf_tools_flags() {
        let s = spec(&["-a", "-m", "3", "-p", "1", "-d", "2", "do_sys_open"]).unwrap();
        assert!(s.view.headers && s.view.proc && s.view.time, "-a is -HPt");
        assert_eq!(s.max_depth.map(GraphDepth::get), Some(3));
        let s = spec(&["-CDT", "--no-irqs", "--min-us", "100", "vfs_read"]).unwrap();
        assert!(s.view.on_cpu && s.no_duration && s.tail && s.no_irqs);
        assert_eq!(s.min_us.map(LatencyUs::get), Some(100));
        assert_eq!(s.view.options(), vec![("sleep-time", "0")]);
        assert!(spec(&["-m", "0", "vfs_read"]).is_err());
        assert!(spec(&["--min-us", "0", "vfs_read"]).is_err());
        assert!(spec(&["-p", "1", "-L", "1", "vfs_read"]).is_err());
        assert!(spec(&["vfs_read\n"]).is_err());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<FuncgraphSpec>(&json).unwrap(), s);
        let bad = json.replace("\"max_depth\":null", "\"max_depth\":0");
        assert!(serde_json::from_str::<FuncgraphSpec>(&bad).is_err());
    }
}
