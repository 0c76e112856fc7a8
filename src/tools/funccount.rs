//! funccount: count kernel function calls matching a glob, in the kernel where possible.
//!
//! `funccount [-hT] [-i secs] [-d secs] [-t top] pattern`, as in perf-tools, with globs anywhere
//! in the pattern and a choice of backend (DESIGN.md section 4).

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::count;
use super::silence::{Silence, Watch};
use super::values::{FuncPattern, IntervalSeconds, MaxProbes, RunSeconds, Top};
use super::RunEnv;
use crate::record::{NoticeLevel, Record, Sink};
use crate::tracefs::features::Feature;
use crate::tracefs::Error as TfError;
use crate::Result;

pub use super::engine::count::Backend;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunccountSpec {
    pub pattern: FuncPattern,
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
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["counts", "lost", "notice"];
    const SCENARIOS: &'static [&'static str] = &["fc_auto", "fc_hist", "fc_interval"];
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
    /// Function glob: vfs_*, *_read, tcp_*send*, vfs_[rw]*
    pub pattern: FuncPattern,
}

impl FunccountArgs {
    /// Every value was checked as clap parsed it (the types in `tools::values`).
    pub fn to_spec(&self) -> Result<FunccountSpec> {
        Ok(FunccountSpec {
            pattern: self.pattern.clone(),
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
fn no_match(e: crate::Error, pattern: &FuncPattern) -> crate::Error {
    match e {
        crate::Error::Tracefs(TfError::NotTraceable { name }) if name == pattern.as_str() => {
            TfError::NoMatch { pattern: name }.into()
        }
        other => other,
    }
}

/// Runs funccount: matches the functions, lets the count engine pick a backend and count,
/// and leaves tracefs as it found it.
pub fn run(spec: &FunccountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let tracefs = super::open_tracefs(env)?;
    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let plan = count::Plan {
        pattern: &spec.pattern,
        backend: spec.backend,
        max_probes: spec.max_probes.get(),
    };
    let result = count::start(&mut session, &plan, sink).map_err(|e| no_match(e, &spec.pattern)).and_then(|mut counting| {
        sink.emit(Record::notice(
            NoticeLevel::Info,
            format!(
                "Tracing \"{}\" ({}, backend {}: {})... {}",
                spec.pattern,
                super::counted(counting.functions.len(), "function"),
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
            super::counted(counting.functions.len(), "function")
        ));
        silence.moved_in(counting.functions.iter().map(String::as_str), session.tracefs());
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
    sink.emit(Record::notice(NoticeLevel::Info, "Ending tracing..."))?;
    Ok(())
}
