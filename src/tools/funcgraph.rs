//! funcgraph: trace a kernel function's graph of child calls (the function_graph tracer), as
//! perf-tools' funcgraph.
//!
//! `funcgraph [-aCDhHPtT] [-m maxdepth] [-p PID] [-L TID] [-d secs] funcstring`, plus what
//! perf-tools never had: `--no-irqs` (interrupts left out, `funcgraph-irqs` off) and
//! `--min-us US` (only calls at least that long, `tracing_thresh`). Each completed call is a
//! `span` record (tools::engine::graph); the text is the kernel's function_graph layout
//! (output::graph), its columns chosen by -t, -P, -D and -T as the kernel's options would.

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::{graph as engine, stream};
use super::silence::Silence;
use super::values::{FuncPattern, GraphDepth, Micros, Pid, RunSeconds};
use super::RunEnv;
use crate::output::graph::GraphColumns;
use crate::record::Sink;
use crate::tracefs::features::Feature;
use crate::tracefs::ftrace_filter::FilterList;
use crate::tracefs::graph::Graph;
use crate::{Error, Result};

/// What to trace and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuncgraphSpec {
    /// The function glob, into set_graph_function.
    pub pattern: FuncPattern,
    /// Buffer for this many seconds, then print (`-d`); otherwise stream until Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// The threads of this process (`-p`).
    pub pid: Option<Pid>,
    /// This one thread (`-L`).
    pub tid: Option<Pid>,
    /// `-m`: max_graph_depth.
    pub max_depth: Option<GraphDepth>,
    /// `--min-us`: tracing_thresh.
    pub min_us: Option<Micros>,
    /// `-C`: on-CPU time only (sleep-time off).
    pub cpu_only: bool,
    /// `--no-irqs`: funcgraph-irqs off.
    pub no_irqs: bool,
    /// Render hints: `-H`, `-P`, `-t`, `-T`, `-D`.
    pub headers: bool,
    pub proc: bool,
    pub time: bool,
    pub tail: bool,
    pub no_duration: bool,
}

/// The funcgraph tool (see the module documentation).
pub struct Funcgraph;

impl super::Tool for Funcgraph {
    const NAME: &'static str = "funcgraph";
    const ABOUT: &'static str =
        "Trace kernel function graphs, showing child function calls (perf-tools funcgraph)";
    const DESCRIPTION: &'static str =
        "funcgraph traces the calls of the kernel functions a glob matches, and every function \
         they call in turn, with the function_graph tracer, and prints them as the kernel \
         prints that tracer's trace: each call indented by its depth, with its duration, a \
         call with children opening a brace that its return closes. -m limits the depth, -p \
         traces the threads of one process and -L one thread (both in the kernel), -C times \
         on-CPU time only. --no-irqs leaves out the handlers of interrupts taken during a \
         traced call (the calls at an interrupt's edges, irq_enter_rcu() say, still show), and \
         --min-us US shows only the returns of calls that took at least US microseconds (the \
         kernel's tracing_thresh); perf-tools had neither.\n\n\
         This is an exploratory tool: it costs much more than funccount or functrace, since \
         the kernel hooks every function while it runs. Use it to learn what a function does \
         on this kernel, then switch to cheaper tools. The glob is matched by the kernel \
         against available_filter_functions (lktrace list -f shows them); a narrow one \
         (one function) keeps the output readable.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["span", "lost", "notice"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("funcgraph do_nanosleep", "trace do_nanosleep() and children"),
        (
            "funcgraph -m 3 do_sys_openat2",
            "trace do_sys_openat2() to 3 levels only",
        ),
        (
            "funcgraph -a do_sys_openat2",
            "include timestamps and process name",
        ),
        ("funcgraph -p 198 vfs_read", "trace vfs_read() for PID 198 only"),
        (
            "funcgraph -d 1 do_sys_openat2 >out",
            "trace 1 sec, then write to file",
        ),
        (
            "funcgraph --no-irqs --min-us 100 vfs_read",
            "vfs_read() calls of 100 us or more, no interrupts",
        ),
    ];
    const SCENARIOS: &'static [&'static str] = &["fg_pid", "fg_bad"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux with tracefs, CONFIG_FUNCTION_GRAPH_TRACER and CONFIG_DYNAMIC_FTRACE (the \
             function must be in available_filter_functions), root. Kernel lockdown in \
             confidentiality mode forbids tracefs.\n\n\
             The function_graph tracer's own files (set_graph_function, max_graph_depth, \
             tracing_thresh) exist at the top level of tracefs only (Linux 6.1 and 6.12 alike), \
             so funcgraph takes the top-level tracer, as perf-tools does: it refuses when \
             another tracer is set there, events are enabled there, the function profiler runs \
             or the top-level set_ftrace_filter is set (someone else uses it), takes lktrace's \
             and perf-tools' locks, records every file it changes (current_tracer, \
             set_graph_function, max_graph_depth, tracing_thresh, set_ftrace_pid, \
             set_ftrace_notrace_pid, the funcgraph options, tracing_on) and puts each back on \
             exit, error, Ctrl-C, SIGTERM, SIGHUP or a closed pipe; lktrace ctl reset puts \
             them back after a SIGKILL.",
        ),
        (
            "FIELDS",
            "As the kernel's function_graph trace: TIME (with -t, seconds since boot), CPU, \
             TASK/PID (with -P; the kernel cuts the name to 7 characters), DURATION (not with \
             -D: microseconds from call to return, including time asleep unless -C, marked + \
             above 10 us, ! above 100 us, # above 1 ms, * above 10 ms, @ above 100 ms, $ above \
             1 s), then FUNCTION CALLS: func() { opens a call with children, } closes it with \
             its duration (} /* func */ with -T), func(); is a call without traced children. \
             -H prints the column headers. With --json each completed call is a span record \
             (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "High. While it runs the kernel enters the graph tracer for every function call, \
             and records every call made inside a traced function; perf-tools expects the \
             kernel to run 50% slower or worse. Trace one function, with -m, -p or -L to \
             narrow it, and -d 1 first to see how much it prints; the kernel drops what its \
             buffer has no room for (reported as lost records and on stderr). Under \
             emulation (QEMU without KVM) keep runs short.",
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
            cpu_only: args.cpu_only,
            no_irqs: args.no_irqs,
            headers: args.headers || args.all,
            proc: args.proc || args.all,
            time: args.time || args.all,
            tail: args.tail,
            no_duration: args.no_duration,
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![Need::new(
            "funcgraph",
            All(vec![Feature::FunctionGraph, Feature::FunctionTracer]),
        )]
    }

    fn describe(spec: &FuncgraphSpec) -> String {
        format!("funcgraph {:?}", spec.pattern.as_str())
    }

    fn render_hints(spec: &FuncgraphSpec) -> super::RenderHints {
        super::RenderHints {
            headers: spec.headers,
            duration: spec.duration_s.map(RunSeconds::duration),
            timeline: true,
            graph: Some(GraphColumns {
                abstime: spec.time,
                proc: spec.proc,
                duration: !spec.no_duration,
                tail: spec.tail,
            }),
            ..Default::default()
        }
    }

    fn run(spec: &FuncgraphSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Trace kernel function graphs.
#[derive(Debug, Clone, Args)]
pub struct FuncgraphArgs {
    /// All info (same as -HPt)
    #[arg(short = 'a')]
    pub all: bool,
    /// Measure on-CPU time only
    #[arg(short = 'C')]
    pub cpu_only: bool,
    /// Trace for SECS seconds (buffered), then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Do not show function duration
    #[arg(short = 'D')]
    pub no_duration: bool,
    /// Include column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Max stack depth to show
    #[arg(short = 'm', value_name = "MAXDEPTH")]
    pub max_depth: Option<GraphDepth>,
    /// Trace when this pid is on-CPU
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<Pid>,
    /// Trace when this thread is on-CPU
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<Pid>,
    /// Show process names & PIDs
    #[arg(short = 'P')]
    pub proc: bool,
    /// Show timestamps
    #[arg(short = 't')]
    pub time: bool,
    /// Comment function tails
    #[arg(short = 'T')]
    pub tail: bool,
    /// Leave out interrupts taken during a traced call (funcgraph-irqs off)
    #[arg(long = "no-irqs")]
    pub no_irqs: bool,
    /// Show only calls that took at least US microseconds (tracing_thresh)
    #[arg(long = "min-us", value_name = "US")]
    pub min_us: Option<Micros>,
    /// Function glob: do_nanosleep, 'vfs_rea*'
    pub funcstring: FuncPattern,
}

/// Who `-p`/`-L` name, for the Tracing line.
pub(crate) fn whom(pid: Option<Pid>, tid: Option<Pid>) -> String {
    match (pid, tid) {
        (Some(p), _) => format!(" for PID {p}"),
        (None, Some(t)) => format!(" for TID {t}"),
        _ => String::new(),
    }
}

/// The glob as one filter list.
pub(crate) fn filter_list(pattern: &FuncPattern) -> Result<FilterList> {
    FilterList::new(vec![pattern.to_string()]).ok_or_else(|| Error::Usage("empty pattern".into()))
}

/// Takes the top-level function_graph tracer on the glob and prints its calls.
pub fn run(spec: &FuncgraphSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let tracefs = super::open_tracefs(env)?;
    let opts = stream::Options {
        pid: spec.pid.map(Pid::get),
        tid: spec.tid.map(Pid::get),
        ..Default::default()
    };
    let threads = stream::threads(&opts)?;
    let session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let list = filter_list(&spec.pattern)?;
    let own = crate::tools::own_pid_list();
    let g = Graph {
        graph: Some(&list),
        filter: None,
        max_depth: spec.max_depth.map(GraphDepth::get),
        thresh_us: spec.min_us.map(Micros::get),
        threads: threads.as_deref(),
        notrace: Some(&own),
        irqs: !spec.no_irqs,
        sleep_time: !spec.cpu_only,
    };
    let pattern = spec.pattern.as_str();
    let mut announce = |functions: &[String], sink: &mut dyn Sink| -> Result<Silence> {
        let what = format!("\"{pattern}\"{}", whom(spec.pid, spec.tid));
        stream::announce(sink, &what, spec.duration_s, None)?;
        let mut silence = Silence::new(format!("funcgraph \"{pattern}\""));
        silence.narrowed(opts.pid, opts.tid, None);
        if let Some(us) = spec.min_us {
            silence.hint(format!("only calls of {us} us or more were shown"));
        }
        let _ = functions;
        Ok(silence)
    };
    engine::run(
        session,
        &g,
        spec.duration_s.map(RunSeconds::duration),
        sink,
        &mut announce,
    )
    .map_err(|e| super::functrace::no_match(e, pattern))
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
        let s = spec(&["-a", "-C", "-m", "3", "-p", "1", "-d", "2", "vfs_read"]).unwrap();
        assert!(s.headers && s.proc && s.time && s.cpu_only && !s.tail);
        assert_eq!(s.max_depth.map(GraphDepth::get), Some(3));
        let s = spec(&["-DT", "--no-irqs", "--min-us", "100", "-L", "5", "do_nanosleep"]).unwrap();
        assert!(s.no_duration && s.tail && s.no_irqs);
        assert_eq!(s.min_us.map(Micros::get), Some(100));
        assert!(spec(&["-p", "1", "-L", "2", "vfs_read"]).is_err(), "-p or -L");
        assert!(spec(&["-m", "0", "vfs_read"]).is_err());
        assert!(spec(&["--min-us", "0", "vfs_read"]).is_err());
        assert!(spec(&["vfs read"]).is_err());
        assert!(spec(&[]).is_err());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<FuncgraphSpec>(&json).unwrap(), s);
        let bad = json.replace("\"max_depth\":null", "\"max_depth\":999");
        assert!(serde_json::from_str::<FuncgraphSpec>(&bad).is_err());
    }
}
