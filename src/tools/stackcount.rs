//! stackcount: count the kernel stacks that lead to a function, in the kernel, as bcc's
//! stackcount.
//!
//! `stackcount [-p PID] [-L TID] [-d secs] [--folded] [--svg FILE] pattern`: one kprobe event
//! of ours with a probe on every function the glob matches, and a hist trigger on it keyed on
//! `stacktrace` (or, for `t:SYSTEM:EVENT`, the trigger on that tracepoint in our instance). The kernel keeps one counter per distinct stack; nothing is streamed, and the
//! table is read once at the end (DESIGN.md section 4, the hist backend).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::{count, stacks, stream};
use super::silence::{Silence, Watch};
use super::tpoint::TracepointName;
use super::values::{FuncPattern, MaxProbes, OutputFile, Pid, RunSeconds, ValueError};
use super::RunEnv;
use crate::record::{NoticeLevel, Record, Sink, StackCounts};
use crate::tracefs::events::{self, EventRef};
use crate::tracefs::features::Feature;
use crate::tracefs::{hist, Error as TfError, Session};
use crate::Result;

/// The one kprobe event of a run: every matched function is one more probe of it.
const EVENT: &str = "stackcount";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackcountSpec {
    /// Kernel functions (a glob: `vfs_read`, `vfs_*`) or a tracepoint (`t:SYSTEM:EVENT`).
    pub target: StackTarget,
    /// Stop after this many seconds (`-d`); otherwise at Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// Only the threads of this process (`-p`).
    pub pid: Option<Pid>,
    /// Only this thread (`-L`).
    pub tid: Option<Pid>,
    /// The most kprobes the run may create (one per matched function).
    pub max_probes: MaxProbes,
    /// Print folded stacks, flame graph input (`--folded`): a render hint.
    #[serde(default)]
    pub folded: bool,
    /// Write a flame graph SVG here (`--svg`): a render hint for the client, which writes the
    /// file where it runs; an agent never opens it.
    #[serde(default)]
    pub svg: Option<OutputFile>,
}

/// What stackcount counts the stacks of: kernel functions matching a glob, or a tracepoint
/// (`t:SYSTEM:EVENT`, bcc's spelling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackTarget {
    Function(FuncPattern),
    Tracepoint(TracepointName),
}

impl FromStr for StackTarget {
    type Err = ValueError;
    fn from_str(s: &str) -> std::result::Result<StackTarget, ValueError> {
        match s.strip_prefix("t:") {
            Some(tp) => TracepointName::try_from(tp.to_string()).map(StackTarget::Tracepoint),
            None => FuncPattern::try_from(s).map(StackTarget::Function),
        }
    }
}

impl fmt::Display for StackTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackTarget::Function(p) => write!(f, "{p}"),
            StackTarget::Tracepoint(t) => write!(f, "t:{t}"),
        }
    }
}

/// The stackcount tool (see the module documentation).
pub struct Stackcount;

impl super::Tool for Stackcount {
    const NAME: &'static str = "stackcount";
    const ABOUT: &'static str = "Count the kernel stacks that call a function (bcc stackcount)";
    const DESCRIPTION: &'static str =
        "stackcount counts the distinct kernel stacks that led to calls of the functions a \
         pattern matches (or to a tracepoint, t:SYSTEM:EVENT), in the kernel, and prints each \
         stack with its count when tracing ends (-d SECS, or Ctrl-C), most frequent last as \
         bcc's stackcount does. --folded prints the stacks folded, the input of flame graph \
         tools, and --svg FILE draws the flame graph itself. -p and -L count one process or one \
         thread.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["stack_counts", "notice"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("stackcount submit_bio", "count kernel stack traces for submit_bio()"),
        ("stackcount -d 5 'vfs_read'", "count stacks of vfs_read() for 5 seconds"),
        ("stackcount -p 185 ip_output", "only count stacks when PID 185 is on-CPU"),
        ("stackcount t:sched:sched_switch", "count stacks for context switch events"),
        ("stackcount --folded -d 10 vfs_read > out.folded", "flame graph input"),
        ("stackcount --svg out.svg -d 10 vfs_read", "a flame graph"),
    ];
    const SCENARIOS: &'static [&'static str] =
        &["sc_dd", "sc_folded", "sc_sigint", "sc_bad", "sc_tp", "sc_examples"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux 5.7+ with kprobes (CONFIG_KPROBE_EVENTS), hist triggers (CONFIG_HIST_TRIGGERS) \
             and stack traces (CONFIG_STACKTRACE), tracefs, root. The functions must be \
             traceable (available_filter_functions) and outside the kprobe blacklist. Kernel \
             lockdown in confidentiality mode forbids tracefs. Without hist triggers stackcount \
             refuses to run and says so.\n\n\
             Each run creates one kprobe event in its own group (lkt_PID/stackcount), a \
             probe of it on every matched function, and a hist trigger on it; all are removed on \
             exit, error, Ctrl-C, SIGTERM, SIGHUP or a closed pipe. A tracepoint (t:SYSTEM:EVENT) \
             needs no kprobes: its trigger goes on the event in the run's own instance \
             (instances/lktrace_PID), which is removed with it. lktrace ctl reset removes what \
             a run killed with SIGKILL left.",
        ),
        (
            "FIELDS",
            "Each stack is printed innermost frame first, one function a line, indented, then \
             its count: how many times the traced functions were reached through that stack. \
             With --folded, one line a stack: the frames outermost first joined by ;, a space, \
             the count. With --json each stack is a stack_counts record (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "Stacks are counted in the kernel: at every call of a probed function the kprobe \
             fires, the kernel walks the stack (16 frames at most) and adds one to that stack's \
             entry in the hist table. Nothing is written to a ring buffer and nothing is read \
             until the end, when the table (at most 8192 distinct stacks; more are counted as \
             dropped, and the run says so) is read once. The cost is the kprobe and the stack \
             walk per call: about a microsecond or two on current hardware, which adds up for \
             functions called hundreds of thousands of times a second (vfs_read under a busy \
             workload, kmalloc). Each matched function costs a kprobe to arm and remove (a code \
             patch and an RCU grace period): a wide glob takes seconds to start and stop, and \
             --max-probes (default 200) caps it. Start with -d 1 and one function.",
        ),
    ];
    type Args = StackcountArgs;
    type Spec = StackcountSpec;

    fn spec(args: &StackcountArgs) -> Result<StackcountSpec> {
        Ok(StackcountSpec {
            target: args.target.clone(),
            duration_s: args.duration,
            pid: args.pid,
            tid: args.tid,
            max_probes: args.max_probes,
            folded: args.folded,
            svg: args.svg.clone(),
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![
            Need::new(
                "stackcount",
                All(vec![
                    Feature::Kprobes,
                    Feature::HistTriggers,
                    Feature::StackTrace,
                ]),
            ),
            Need::new(
                "stackcount t:",
                All(vec![
                    Feature::Instances,
                    Feature::HistTriggers,
                    Feature::StackTrace,
                ]),
            ),
        ]
    }

    fn describe(spec: &StackcountSpec) -> String {
        format!("stackcount {:?}", spec.target.to_string())
    }

    fn render_hints(spec: &StackcountSpec) -> super::RenderHints {
        super::RenderHints {
            folded: spec.folded,
            svg: spec.svg.as_ref().map(|f| PathBuf::from(f.as_str())),
            metrics: true,
            duration: spec.duration_s.map(RunSeconds::duration),
            ..Default::default()
        }
    }

    fn run(spec: &StackcountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Count the kernel stacks that call a function.
#[derive(Debug, Clone, Args)]
pub struct StackcountArgs {
    /// Only the threads of this process
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<Pid>,
    /// Only this thread
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<Pid>,
    /// Trace for SECS seconds, then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Print folded stacks (outermost first, `;`-joined, then the count): flame graph input
    #[arg(long)]
    pub folded: bool,
    /// Also write a flame graph of the stacks to FILE (SVG)
    #[arg(long, value_name = "FILE")]
    pub svg: Option<OutputFile>,
    /// Most kprobes the run may create (one per matched function)
    #[arg(long, default_value_t = MaxProbes::default(), value_name = "N")]
    pub max_probes: MaxProbes,
    /// Function glob (vfs_read, vfs_*, tcp_*send*), or t:SYSTEM:EVENT for a tracepoint
    /// (t:sched:sched_process_exec)
    #[arg(value_name = "PATTERN")]
    pub target: StackTarget,
}

/// Runs stackcount: the probes and the trigger, the wait, the table read into one
/// `stack_counts` record, and tracefs left as it was found.
pub fn run(spec: &StackcountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let opts = stream::Options {
        duration: None,
        pid: spec.pid.map(Pid::get),
        tid: spec.tid.map(Pid::get),
        reader: stream::Reader::Auto,
        stacks: false,
    };
    let threads = stream::threads(&opts)?;
    let tracefs = super::open_tracefs(env)?;
    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let result = counted(&mut session, spec, threads.as_deref(), sink);
    let closed = super::close_session(session);
    result.and(closed)
}

/// A trigger in place: where its table is read, the functions probed (their stacks start in
/// the probe's machinery, cut off above them), and what the notices call it.
struct Started {
    hist: PathBuf,
    probed: Vec<String>,
    what: String,
    silence: Silence,
}

/// Kernel functions: one kprobe event of ours with a probe on each, the trigger at the top
/// level (the event is ours alone; the trigger alone runs the probes: no instance, no buffer).
fn start_functions(
    session: &mut Session,
    spec: &StackcountSpec,
    pattern: &FuncPattern,
    filter: Option<&str>,
    sink: &mut dyn Sink,
) -> Result<Started> {
    session.features().require(Feature::Kprobes)?;
    let functions = super::engine::resolve::functions_to_probe(
        session,
        pattern,
        spec.max_probes.get(),
        1,
        "stackcount",
    )?;
    let functions = count::probe_functions(session, &functions, EVENT, sink)?;
    let ev = EventRef::event(&session.group(), EVENT);
    session.add_trigger(&ev, &stacks::trigger(filter))?;
    let what = format!(
        "{} for \"{pattern}\"",
        super::counted(functions.len(), "function")
    );
    let mut silence = Silence::new(format!("stackcount {what}"));
    silence.moved_in(functions.iter().map(String::as_str), session.tracefs());
    Ok(Started {
        hist: session.trigger_file(&ev, "hist"),
        probed: functions,
        what,
        silence,
    })
}

/// A tracepoint: the trigger on its event in our instance (the top-level trigger file is
/// everyone's); the trigger alone runs it there.
fn start_tracepoint(session: &mut Session, tp: &TracepointName, filter: Option<&str>) -> Result<Started> {
    if !events::exists(session.tracefs(), tp.system(), tp.event()) {
        return Err(TfError::NoEvent {
            name: tp.to_string(),
        }
        .into());
    }
    let ev = EventRef::event(tp.system(), tp.event());
    session.add_instance_trigger(&ev, &stacks::trigger(filter))?;
    let what = format!("tracepoint {tp}");
    Ok(Started {
        hist: session.instance_event_file(&ev, "hist")?,
        probed: Vec::new(),
        silence: Silence::new(format!("stackcount {what}")),
        what,
    })
}

fn counted(
    session: &mut Session,
    spec: &StackcountSpec,
    threads: Option<&[u32]>,
    sink: &mut dyn Sink,
) -> Result<()> {
    let f = session.features();
    // Without hist triggers the stacks would have to be streamed and counted here; not done
    // (yet): said plainly instead.
    f.require(Feature::HistTriggers)?;
    f.require(Feature::StackTrace)?;
    let filter = threads.and_then(crate::tracefs::hist::pid_filter);
    let mut started = match &spec.target {
        StackTarget::Function(p) => start_functions(session, spec, p, filter.as_deref(), sink)?,
        StackTarget::Tracepoint(t) => start_tracepoint(session, t, filter.as_deref())?,
    };
    sink.emit(Record::notice(
        NoticeLevel::Info,
        format!(
            "Tracing {}, counting stacks in the kernel... {}",
            started.what,
            match spec.duration_s {
                Some(d) => format!("for {}, or Ctrl-C to end.", super::counted(d, "second")),
                None => "Hit Ctrl-C to end.".to_string(),
            }
        ),
    ))?;
    sink.flush()?;
    started
        .silence
        .narrowed(spec.pid.map(Pid::get), spec.tid.map(Pid::get), None);
    let mut watch = Watch::new(sink);
    let begun = Instant::now();
    wait(session, spec.duration_s.map(RunSeconds::duration));
    let text = {
        let _phase = session.tracefs().phase("read");
        session.tracefs().read(&started.hist)?
    };
    let tables = hist::parse(&text);
    watch.emit(Record::StackCounts(StackCounts {
        backend: "hist".into(),
        duration_s: begun.elapsed().as_secs_f64(),
        stacks: stacks::read(&tables, &started.probed),
    }))?;
    let dropped = stacks::dropped(&tables);
    if dropped > 0 {
        watch.emit(Record::notice(
            NoticeLevel::Warning,
            super::table_full(dropped, "stacks", stacks::TABLE_SIZE),
        ))?;
    }
    watch.flush()?;
    Ok(watch.finish(&started.silence)?)
}

/// Until the duration is over or the run is stopped (Ctrl-C, a remote stop).
fn wait(session: &Session, duration: Option<Duration>) {
    let stop = session.stop_flag();
    match duration {
        Some(d) => {
            stop.sleep(d);
        }
        None => while !stop.sleep(Duration::from_secs(1)) {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::Tool;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: StackcountArgs,
    }

    fn spec(argv: &[&str]) -> std::result::Result<StackcountSpec, String> {
        let mut v = vec!["stackcount"];
        v.extend_from_slice(argv);
        let cli = Cli::try_parse_from(v).map_err(|e| e.to_string())?;
        Stackcount::spec(&cli.args).map_err(|e| e.to_string())
    }

    #[test]
    fn arguments_make_a_spec_and_hints() {
        let s = spec(&["-p", "12", "-d", "2", "--folded", "--svg", "/tmp/x.svg", "vfs_*"]).unwrap();
        assert_eq!(s.target, StackTarget::Function("vfs_*".parse().unwrap()));
        assert_eq!(s.pid.map(Pid::get), Some(12));
        assert_eq!(s.duration_s.map(RunSeconds::secs), Some(2.0));
        let h = Stackcount::render_hints(&s);
        assert!(h.folded);
        assert_eq!(h.svg.as_deref(), Some(std::path::Path::new("/tmp/x.svg")));
        assert!(spec(&["-p", "1", "-L", "2", "vfs_read"]).is_err());
        assert!(spec(&["vfs_read;x"]).unwrap_err().contains("';'"));
        assert!(spec(&["-d", "0", "vfs_read"]).is_err());
        assert!(spec(&[]).is_err());
        let t = spec(&["t:sched:sched_process_exec"]).unwrap();
        assert_eq!(t.target.to_string(), "t:sched:sched_process_exec");
        assert!(matches!(&t.target, StackTarget::Tracepoint(tp) if tp.event() == "sched_process_exec"));
        assert!(spec(&["t:sched"]).unwrap_err().contains("SYSTEM:EVENT"));
        assert!(spec(&["t:a:b c"]).is_err());
    }

    #[test]
    fn an_agent_decodes_only_valid_specs() {
        let s = spec(&["-L", "7", "vfs_read"]).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<StackcountSpec>(&json).unwrap(), s);
        let bad = json.replace("vfs_read", "vfs_read\\nx");
        assert!(serde_json::from_str::<StackcountSpec>(&bad).is_err());
        let bad = json.replace("\"svg\":null", "\"svg\":\"a\\u0007b\"");
        assert_ne!(bad, json);
        assert!(serde_json::from_str::<StackcountSpec>(&bad).is_err());
        let bad = json.replace("\"tid\":7", "\"tid\":0");
        assert!(serde_json::from_str::<StackcountSpec>(&bad).is_err());
    }
}
