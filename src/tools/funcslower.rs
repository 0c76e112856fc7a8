//! funcslower: calls of a kernel function slower than a latency, as perf-tools' funcslower.
//!
//! `funcslower [-aChHPt] [-p PID] [-L TID] [-d secs] funcstring latency_us`: the
//! function_graph tracer on the function alone (set_ftrace_filter and set_graph_function) with
//! `tracing_thresh`, so the kernel records only the returns that took at least `latency_us`;
//! each is a `graph` exit record with its duration, printed as the kernel prints it. The engine
//! is funcgraph's ([`super::engine::graph`]).

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::{graph, stream};
use super::funcgraph::GraphView;
use super::values::{FuncPattern, LatencyUs, Pid, RunSeconds};
use super::RunEnv;
use crate::record::Sink;
use crate::tracefs::features::Feature;
use crate::Result;

/// What to trace and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuncslowerSpec {
    pub pattern: FuncPattern,
    /// tracing_thresh: returns at least this slow.
    pub latency_us: LatencyUs,
    pub duration_s: Option<RunSeconds>,
    pub pid: Option<Pid>,
    pub tid: Option<Pid>,
    pub view: GraphView,
}

/// The funcslower tool (see the module documentation).
pub struct Funcslower;

impl super::Tool for Funcslower {
    const NAME: &'static str = "funcslower";
    const ABOUT: &'static str =
        "Trace kernel function calls slower than a latency (perf-tools funcslower)";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["graph", "lost", "notice"];
    const SCENARIOS: &'static [&'static str] =
        &["fs_thresh", "fs_sigint", "fs_bad", "fs_examples"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        ("REQUIREMENTS", super::funcgraph::REQUIREMENTS),
        (
            "OVERHEAD",
            "Only the function itself is traced (set_ftrace_filter), and the kernel times \
             every call of it, but writes only the calls slower than latency_us to the ring \
             buffer: the cost is the timing of each call (a few hundred nanoseconds, more \
             under virtualisation), paid by every caller of the function while the run lasts. \
             For a function called hundreds of thousands of times a second that is measurable; \
             -p or -L narrow it in the kernel.",
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
            view: GraphView {
                headers: args.headers || args.all,
                proc: args.proc || args.all,
                time: args.time || args.all,
                on_cpu: args.on_cpu,
            },
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![Need::new("funcslower", All(vec![Feature::FunctionGraph]))]
    }

    fn describe(spec: &FuncslowerSpec) -> String {
        format!(
            "funcslower {:?} {}",
            spec.pattern.as_str(),
            spec.latency_us
        )
    }

    fn render_hints(spec: &FuncslowerSpec) -> super::RenderHints {
        spec.view.hints(false)
    }

    fn run(spec: &FuncslowerSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Trace kernel function calls slower than a latency.
#[derive(Debug, Clone, Args)]
pub struct FuncslowerArgs {
    /// All info (same as -HPt)
    #[arg(short = 'a')]
    pub all: bool,
    /// Measure on-CPU time only (time asleep is not counted)
    #[arg(short = 'C')]
    pub on_cpu: bool,
    /// Print column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Show process names and pids
    #[arg(short = 'P')]
    pub proc: bool,
    /// Show timestamps
    #[arg(short = 't')]
    pub time: bool,
    /// Trace for SECS seconds (buffered), then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Trace when this process's threads are on-CPU
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<Pid>,
    /// Trace when this thread is on-CPU
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<Pid>,
    /// Function glob: vfs_read, 'ext4_*'
    pub funcstring: FuncPattern,
    /// Show calls that took at least this many microseconds
    pub latency_us: LatencyUs,
}

/// Sets up the threshold graph and streams or buffers the slow returns.
pub fn run(spec: &FuncslowerSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let opts = stream::Options {
        duration: spec.duration_s.map(RunSeconds::duration),
        pid: spec.pid.map(Pid::get),
        tid: spec.tid.map(Pid::get),
        ..Default::default()
    };
    let threads = stream::threads(&opts)?;
    let mut options = spec.view.options();
    // The kernel's defaults, whatever a user left: exits named, interrupts kept.
    options.push(("funcgraph-duration", "1"));
    options.push(("funcgraph-irqs", "1"));
    let setup = graph::Setup {
        graph: spec.pattern.as_str(),
        filter: Some(spec.pattern.as_str()),
        thresh_us: Some(spec.latency_us.get()),
        max_depth: None,
        options,
        threads: threads.as_deref(),
    };
    let what = format!(" slower than {} us", spec.latency_us);
    super::funcgraph::run_graph(&what, setup, &opts, env, sink)
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
        let s = spec(&["-aC", "-p", "1", "vfs_read", "10000"]).unwrap();
        assert_eq!(s.latency_us.get(), 10000);
        assert!(s.view.headers && s.view.proc && s.view.time && s.view.on_cpu);
        assert!(spec(&["vfs_read"]).is_err(), "latency_us is required");
        assert!(spec(&["vfs_read", "0"]).is_err());
        assert!(spec(&["vfs_read", "-5"]).is_err());
        assert!(spec(&["vfs_read", "ten"]).is_err());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<FuncslowerSpec>(&json).unwrap(), s);
        assert!(serde_json::from_str::<FuncslowerSpec>(
            &json.replace("\"latency_us\":10000", "\"latency_us\":0")
        )
        .is_err());
    }
}
