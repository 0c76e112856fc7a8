//! funcslower: trace kernel function calls slower than a threshold, as perf-tools'
//! funcslower.
//!
//! `funcslower [-aChHPt] [-p PID] [-L TID] [-d secs] funcstring latency_us`. The
//! function_graph tracer on the glob alone (set_ftrace_filter and set_graph_function), with
//! `tracing_thresh`: the kernel times every call and records only the returns of those that
//! took at least latency_us. Each is a `span` record without children; the text is the
//! kernel's `} /* func */` line with its duration.

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::{graph as engine, stream};
use super::funcgraph::{filter_list, whom};
use super::silence::Silence;
use super::values::{FuncPattern, Micros, Pid, RunSeconds};
use super::RunEnv;
use crate::output::graph::GraphColumns;
use crate::record::Sink;
use crate::tracefs::features::Feature;
use crate::tracefs::graph::Graph;
use crate::Result;

/// What to trace and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuncslowerSpec {
    /// The function glob, into set_ftrace_filter and set_graph_function.
    pub pattern: FuncPattern,
    /// Calls at least this long (tracing_thresh).
    pub latency_us: Micros,
    /// Buffer for this many seconds, then print (`-d`); otherwise stream until Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    pub pid: Option<Pid>,
    pub tid: Option<Pid>,
    /// `-C`: on-CPU time only (sleep-time off).
    pub cpu_only: bool,
    /// Render hints: `-H`, `-P`, `-t`.
    pub headers: bool,
    pub proc: bool,
    pub time: bool,
}

/// The funcslower tool (see the module documentation).
pub struct Funcslower;

impl super::Tool for Funcslower {
    const NAME: &'static str = "funcslower";
    const ABOUT: &'static str =
        "Trace kernel functions slower than a threshold in microseconds (perf-tools funcslower)";
    const DESCRIPTION: &'static str =
        "funcslower times the calls of the kernel functions a glob matches with the \
         function_graph tracer and prints those that took at least latency_us microseconds, \
         one line each as the kernel prints a return: CPU, duration, } /* function */. The \
         threshold is applied in the kernel (tracing_thresh), so fast calls cost a timing and \
         no output. -p traces the threads of one process, -L one thread; -C times on-CPU time \
         only (without it a call's time includes the time it slept).\n\n\
         Latency outliers can be found and counted this way. Start with a high threshold (100000 \
         for 100 ms) and lower it. The glob is matched by the kernel against \
         available_filter_functions (lktrace list -f shows them).";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["span", "lost", "notice"];
    const EG: &'static [(&'static str, &'static str)] = &[
        (
            "funcslower vfs_read 10000",
            "trace vfs_read() slower than 10 ms",
        ),
        (
            "funcslower -HPt vfs_read 10000",
            "same, with headers, timestamps and process names",
        ),
        (
            "funcslower -p 198 vfs_read 10000",
            "slow vfs_read()s of PID 198 only",
        ),
        (
            "funcslower -C do_nanosleep 1000",
            "do_nanosleep() on-CPU for 1 ms or more",
        ),
    ];
    const SCENARIOS: &'static [&'static str] = &["fs_sleep", "fs_sigint", "fs_bad"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux with tracefs, CONFIG_FUNCTION_GRAPH_TRACER and CONFIG_DYNAMIC_FTRACE (the \
             function must be in available_filter_functions), root. Kernel lockdown in \
             confidentiality mode forbids tracefs.\n\n\
             tracing_thresh and set_graph_function exist at the top level of tracefs only \
             (Linux 6.1 and 6.12 alike), so funcslower takes the top-level tracer, as perf-tools \
             does: it refuses when another tracer is set there, events are enabled there or the \
             function profiler runs, takes lktrace's and perf-tools' locks, records every file it \
             changes (current_tracer, set_ftrace_filter, set_graph_function, tracing_thresh, \
             set_ftrace_pid, set_ftrace_notrace_pid, the funcgraph options, tracing_on) and puts \
             each back on exit, error, Ctrl-C, SIGTERM, SIGHUP or a closed pipe; lktrace ctl \
             reset puts them back after a SIGKILL.",
        ),
        (
            "FIELDS",
            "As the kernel prints a function_graph return: TIME (with -t: seconds since boot, \
             when the call returned), CPU, TASK/PID (with -P; the kernel cuts the name to 7 \
             characters), DURATION (microseconds from call to return, including time asleep \
             unless -C; marked ! above 100 us, # above 1 ms, * above 10 ms, @ above 100 ms, $ \
             above 1 s), then } /* FUNCTION */. -H prints the column headers. With --json each \
             slow call is a span record (docs/json.md), its timestamp the call's entry.",
        ),
        (
            "OVERHEAD",
            "Timing and filtering happen in the kernel: every call of the traced functions is \
             timed (an entry and a return hook), and only the slow ones are written to the \
             buffer and read here. A frequent function costs in proportion to its calls even \
             when nothing is printed; a low threshold on a frequent function prints many lines \
             (try -d SECS, which buffers in the kernel).",
        ),
    ];
    type Args = FuncslowerArgs;
    type Spec = FuncslowerSpec;

    fn spec(args: &FuncslowerArgs) -> Result<FuncslowerSpec> {
        Ok(FuncslowerSpec {
            pattern: args.funcstring.clone(),
            latency_us: args.latency_us,
            duration_s: args.duration,
            pid: args.pid,
            tid: args.tid,
            cpu_only: args.cpu_only,
            headers: args.headers || args.all,
            proc: args.proc || args.all,
            time: args.time || args.all,
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![Need::new(
            "funcslower",
            All(vec![Feature::FunctionGraph, Feature::FunctionTracer]),
        )]
    }

    fn describe(spec: &FuncslowerSpec) -> String {
        format!(
            "funcslower {:?} {}",
            spec.pattern.as_str(),
            spec.latency_us
        )
    }

    fn render_hints(spec: &FuncslowerSpec) -> super::RenderHints {
        super::RenderHints {
            headers: spec.headers,
            duration: spec.duration_s.map(RunSeconds::duration),
            timeline: true,
            graph: Some(GraphColumns {
                abstime: spec.time,
                proc: spec.proc,
                duration: true,
                tail: true,
            }),
            ..Default::default()
        }
    }

    fn run(spec: &FuncslowerSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Trace kernel functions slower than a threshold.
#[derive(Debug, Clone, Args)]
pub struct FuncslowerArgs {
    /// All info (same as -HPt)
    #[arg(short = 'a')]
    pub all: bool,
    /// Measure on-CPU time only
    #[arg(short = 'C')]
    pub cpu_only: bool,
    /// Trace for SECS seconds (buffered), then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Include column headers
    #[arg(short = 'H')]
    pub headers: bool,
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
    /// Function glob: vfs_read, 'ext4_*'
    pub funcstring: FuncPattern,
    /// Minimum duration to show, microseconds (filtered in the kernel)
    pub latency_us: Micros,
}

/// Times the glob's calls in the kernel and prints the slow ones.
pub fn run(spec: &FuncslowerSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
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
        filter: Some(&list),
        max_depth: None,
        thresh_us: Some(spec.latency_us.get()),
        threads: threads.as_deref(),
        notrace: Some(&own),
        irqs: true,
        sleep_time: !spec.cpu_only,
    };
    let pattern = spec.pattern.as_str();
    let us = spec.latency_us;
    let mut announce = |_: &[String], sink: &mut dyn Sink| -> Result<Silence> {
        let what = format!(
            "\"{pattern}\"{} slower than {us} us",
            whom(spec.pid, spec.tid)
        );
        stream::announce(sink, &what, spec.duration_s, None)?;
        let mut silence = Silence::new(format!("funcslower \"{pattern}\" {us}"));
        silence.narrowed(opts.pid, opts.tid, None);
        silence.hint(format!("no call took {us} us or more"));
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
        args: FuncslowerArgs,
    }

    fn spec(argv: &[&str]) -> std::result::Result<FuncslowerSpec, String> {
        let mut v = vec!["funcslower"];
        v.extend_from_slice(argv);
        let args = Cli::try_parse_from(v).map_err(|e| e.to_string())?.args;
        <Funcslower as super::super::Tool>::spec(&args).map_err(|e| e.to_string())
    }

    #[test]
    fn perf_tools_flags() {
        let s = spec(&["-a", "-C", "-p", "1", "-d", "2", "vfs_read", "10000"]).unwrap();
        assert!(s.headers && s.proc && s.time && s.cpu_only);
        assert_eq!(s.latency_us.get(), 10000);
        assert!(spec(&["vfs_read"]).is_err(), "latency_us is needed");
        assert!(spec(&["vfs_read", "0"]).is_err());
        assert!(spec(&["vfs_read", "-5"]).is_err());
        assert!(spec(&["vfs_read", "ten"]).is_err());
        assert!(spec(&["-p", "1", "-L", "2", "vfs_read", "10"]).is_err());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<FuncslowerSpec>(&json).unwrap(), s);
        let bad = json.replace("\"latency_us\":10000", "\"latency_us\":0");
        assert!(serde_json::from_str::<FuncslowerSpec>(&bad).is_err());
    }
}
