//! funccount: count kernel function calls matching a glob, in the kernel where possible.
//!
//! `funccount [-hT] [-i secs] [-d secs] [-t top] pattern`, as in perf-tools, with globs anywhere
//! in the pattern and a choice of backend (DESIGN.md section 4); as in bcc, `t:SYSTEM:EVENT`
//! counts tracepoints, `-r` takes a regular expression, `-p PID` one process, and `-P` counts
//! per process.

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::count;
use super::silence::{Silence, Watch};
use super::values::{IntervalSeconds, MaxProbes, Pid, RunSeconds, Top};
use super::RunEnv;
use crate::record::{NoticeLevel, Record, Sink};
use crate::tracefs::features::Feature;
use crate::tracefs::Error as TfError;
use crate::Result;

pub use super::engine::count::{Backend, Target};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunccountSpec {
    pub pattern: Target,
    /// Only this process, every thread it has when the run starts (`-p`).
    #[serde(default)]
    pub pid: Option<Pid>,
    /// A count per process (`-P`).
    #[serde(default)]
    pub per_process: bool,
    /// Stop after this many seconds (`-d`); otherwise at Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// Print a table every this many seconds (`-i`).
    pub interval_s: Option<IntervalSeconds>,
    /// Show only the top N functions (`-t`).
    pub top: Option<Top>,
    /// Forced backend (`--backend`); chosen automatically when `None`.
    pub backend: Option<Backend>,
    /// The most kprobes the kprobe_profile backend may create.
    pub max_probes: MaxProbes,
    /// Print the time above each table (`-T`): a render hint.
    #[serde(default)]
    pub timestamps: bool,
}

/// The funccount tool (see the module documentation).
pub struct Funccount;

impl super::Tool for Funccount {
    const NAME: &'static str = "funccount";
    const ABOUT: &'static str = "Count kernel function calls (perf-tools funccount)";
    const DESCRIPTION: &'static str =
        "funccount counts calls of the kernel functions a pattern matches, and prints a table of \
         each function and its count when tracing ends (-d SECS, or Ctrl-C), or every -i SECS. \
         It also takes bcc's patterns: tracepoints (t:SYSTEM:EVENT) and functions of user-space \
         programs and libraries (u:FILE:FUNC).\n\nThe counting happens in the kernel: with the \
         function profiler where the kernel has one, else with the function tracer in a private \
         instance, kprobes' own hit counters (kprobe_profile) or hist triggers. The Tracing \
         notice says which backend it chose and why; --backend chooses one. -p counts one \
         process, -P gives a count per process.\n\nWhatever a run changes in tracefs is put back \
         when it ends: at the end of -d, on Ctrl-C, SIGTERM, SIGHUP, an error or a closed pipe.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["counts", "lost", "notice"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("funccount 'vfs*'", "trace all funcs that match \"vfs*\""),
        ("funccount -d 5 'tcp*'", "trace \"tcp*\" funcs for 5 seconds"),
        ("funccount -t 10 'ext4*'", "show top 10 \"ext4*\" funcs"),
        ("funccount -i 1 'ext4*'", "summary every 1 second"),
        ("funccount -i 1 -d 5 'ext4*'", "5 x 1 second summaries"),
        ("funccount 't:sched:sched_*'", "count sched tracepoints (bcc)"),
        ("funccount -P -d 5 vfs_read", "per process (bcc)"),
        ("funccount u:c:malloc", "count libc malloc() calls (bcc)"),
    ];
    const SCENARIOS: &'static [&'static str] = &[
        "fc_auto",
        "fc_hist",
        "fc_interval",
        "fc_tp",
        "fc_tp_per",
        "fc_pid",
        "fc_regex",
        "fc_user",
        "fc_examples",
    ];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "PATTERNS",
            "vfs_* or p:vfs_*: kernel functions matching a glob (available_filter_functions).    \
             With -r the pattern is a regular expression over those names, matched by lktrace    \
             (the names it selects are written, never the expression). t:SYSTEM:EVENT:           \
             tracepoints matching a glob (available_events), e.g. t:sched:sched_process_*.       \
             u:FILE:FUNC: functions of a user-space file, FILE as uprobe takes it (a path, a     \
             program in PATH, a library: u:c:malloc is libc's malloc), FUNC a glob over its      \
             symbols (lktrace list -u FILE lists them).",
        ),
        (
            "REQUIREMENTS",
            "Linux with tracefs, root. Kernel functions: the function profiler              \
             (CONFIG_FUNCTION_PROFILER, counted in the kernel), else the function tracer         \
             (CONFIG_FUNCTION_TRACER) in a private instance, else kprobes (CONFIG_KPROBE_EVENTS, \
             kprobe_profile); the Tracing notice says which and why. -p and -P, tracepoints and  \
             user functions are counted by hist triggers (CONFIG_HIST_TRIGGERS, 4.7+), kernel    \
             functions there through one multi-probe kprobe event (5.7+), user functions through \
             uprobes (CONFIG_UPROBE_EVENTS). Kernel lockdown in confidentiality mode forbids     \
             tracefs.",
        ),
        (
            "FIELDS",
            "FUNC: the function (or tracepoint, or user function), as the kernel names it. \
             COUNT: how many times it was called while tracing. With -P, COMM-PID first: the \
             process that made the calls, its name as the kernel last saw it. With -T, each \
             table is headed by the time of day it was taken. With -i the counts are those of \
             each interval, not running totals. Where the kernel dropped events (the \
             function_trace backend at high rates), a notice after the table says the counts are \
             incomplete.",
        ),
        (
            "OVERHEAD",
            "Every backend but function_trace counts in the kernel: nothing is written to a ring \
             buffer and only the table is read, at -i intervals or at the end. function_trace    \
             writes one event per call and lktrace counts them as they are read: at high call    \
             rates the kernel drops events, and the result says how many. Setting up and         \
             removing N kprobes costs an RCU grace period each (seconds for hundreds under       \
             emulation): docs/performance.md has the measurements. Each traced call costs the    \
             kernel its hook (tens to hundreds of nanoseconds); tracing functions called         \
             millions of times a second (e.g. '*' or spin locks) slows the machine visibly.",
        ),
    ];
    type Args = FunccountArgs;
    type Spec = FunccountSpec;

    fn spec(args: &FunccountArgs) -> Result<FunccountSpec> {
        args.to_spec()
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::*};
        vec![
            Need::new("funccount (profiler)", All(vec![Feature::FunctionProfiler])),
            Need::new("funccount (kprobe_profile)", All(vec![Feature::Kprobes])),
            Need::new(
                "funccount (function_trace)",
                All(vec![Feature::FunctionTracer]),
            ),
            Need::new(
                "funccount",
                Any(vec![
                    Feature::FunctionProfiler,
                    Feature::Kprobes,
                    Feature::FunctionTracer,
                ]),
            ),
        ]
    }

    fn describe(spec: &FunccountSpec) -> String {
        format!("funccount {:?}", spec.pattern)
    }

    fn render_hints(spec: &FunccountSpec) -> super::RenderHints {
        super::RenderHints {
            timestamps: spec.timestamps,
            metrics: true,
            duration: spec.duration_s.map(RunSeconds::duration),
            interval: spec.interval_s.map(IntervalSeconds::duration),
            ..Default::default()
        }
    }

    fn run(spec: &FunccountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Count kernel function calls.
#[derive(Debug, Clone, Args)]
pub struct FunccountArgs {
    /// Print a timestamp with each table (-T)
    #[arg(short = 'T')]
    pub timestamps: bool,
    /// Print a table every SECS seconds
    #[arg(short = 'i', value_name = "SECS")]
    pub interval: Option<IntervalSeconds>,
    /// Trace for SECS seconds, then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Show only the top N functions
    #[arg(short = 't', value_name = "N")]
    pub top: Option<Top>,
    /// Where to count (default: the best this kernel has)
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Most kprobes the kprobe-profile backend may create
    #[arg(long, default_value_t = MaxProbes::default(), value_name = "N")]
    pub max_probes: MaxProbes,
    /// Only this process (its threads now), counted by the hist backend
    #[arg(short = 'p', value_name = "PID")]
    pub pid: Option<Pid>,
    /// A count per process as well (COMM-PID FUNC)
    #[arg(short = 'P')]
    pub per_process: bool,
    /// The pattern is a regular expression over function names
    #[arg(short = 'r')]
    pub regex: bool,
    /// vfs_*, p:tcp_*send*, t:sched:sched_*, or with -r '^vfs_(read|write)$'
    pub pattern: String,
}

impl FunccountArgs {
    /// Every value was checked as clap parsed it (the types in `tools::values`).
    pub fn to_spec(&self) -> Result<FunccountSpec> {
        Ok(FunccountSpec {
            pattern: Target::parse(&self.pattern, self.regex)
                .map_err(|e| crate::Error::Usage(e.to_string()))?,
            pid: self.pid,
            per_process: self.per_process,
            duration_s: self.duration,
            interval_s: self.interval,
            top: self.top,
            backend: self.backend,
            max_probes: self.max_probes,
            timestamps: self.timestamps,
        })
    }
}

/// The kernel's refusal of the pattern as a filter (EINVAL: it matched nothing traceable)
/// says so in the words of the resolver.
fn no_match(e: crate::Error, pattern: &Target) -> crate::Error {
    match e {
        crate::Error::Tracefs(TfError::NotTraceable { name }) if name == pattern.to_string() => {
            TfError::NoMatch { pattern: name }.into()
        }
        other => other,
    }
}

/// Runs funccount: matches the functions, lets the count engine pick a backend and count,
/// and leaves tracefs as it found it.
pub fn run(spec: &FunccountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    // A wrong pid changes nothing in tracefs: looked up before the session opens.
    let threads = match spec.pid {
        Some(pid) => Some(
            crate::tracefs::sys::threads_of(pid.get())
                .map_err(|_| crate::Error::Usage(format!("no process with pid {pid}")))?,
        ),
        None => None,
    };
    let tracefs = super::open_tracefs(env)?;
    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let plan = count::Plan {
        target: &spec.pattern,
        backend: spec.backend,
        max_probes: spec.max_probes.get(),
        threads: threads.as_deref(),
        per_process: spec.per_process,
    };
    let result = count::start(&mut session, &plan, sink).map_err(|e| no_match(e, &spec.pattern)).and_then(|mut counting| {
        sink.emit(Record::notice(
            NoticeLevel::Info,
            format!(
                "Tracing \"{}\" ({}, backend {}: {})... {}",
                spec.pattern,
                super::counted(counting.functions.len(), spec.pattern.noun()),
                counting.backend().name(),
                counting.why,
                match spec.duration_s {
                    Some(d) => format!("for {}, or Ctrl-C to end.", super::counted(d, "second")),
                    None => "Ctrl-C to end.".to_string(),
                }
            ),
        ))?;
        sink.flush()?;
        let schedule = count::Schedule {
            duration: spec.duration_s.map(RunSeconds::duration),
            interval: spec.interval_s.map(IntervalSeconds::duration),
            top: spec.top.map(Top::get),
        };
        let mut silence = Silence::new(format!(
            "funccount \"{}\" ({})",
            spec.pattern,
            super::counted(counting.functions.len(), spec.pattern.noun())
        ));
        if spec.pattern.is_functions() {
            silence.moved_in(counting.functions.iter().map(String::as_str), session.tracefs());
        }
        silence.narrowed(spec.pid.map(|p| p.get()), None, None);
        let mut watch = Watch::new(sink);
        count::run(&mut counting, schedule, &session, &mut watch)?;
        Ok(watch.finish(&silence)?)
    });
    // Teardown errors are reported, not swallowed: tracefs must be left as found.
    let report = session.close();
    result?;
    if let Some(e) = report.failures.into_iter().next() {
        return Err(e.into());
    }
    Ok(())
}
