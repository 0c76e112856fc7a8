//! kprobe: trace a kernel function's entry or return with arguments, as perf-tools' kprobe.
//!
//! `kprobe [-FhHsv] [-d secs] [-p PID] [-L TID] definition [filter]`

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::stream;
use super::values::{EventFilter, KprobeDefinition, Pid, RunSeconds};
use super::RunEnv;
use crate::record::{Format, NoticeLevel, Record, Sink};
use crate::tracefs::events::{self, EventRef};
use crate::tracefs::probe::{ProbeDef, Target};
use crate::tracefs::{ftrace_filter, Error as TfError, Session};
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
    /// How events are read: the raw ring buffer, the text, or the best this kernel allows.
    #[serde(default)]
    pub reader: stream::Reader,
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
    /// How to read events: the binary ring buffer (raw), the kernel's text (text), or raw where
    /// this kernel allows and its text can be reproduced (auto)
    #[arg(long, value_enum, value_name = "READER", default_value_t = stream::Reader::Auto)]
    pub reader: stream::Reader,
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
            reader: self.reader,
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
            let _phase = tracefs.phase("resolve functions");
            let names = ftrace_filter::available_functions_cached(&tracefs)?;
            if !names.iter().any(|n| n == symbol) {
                return Err(TfError::NotTraceable {
                    name: symbol.clone(),
                }
                .into());
            }
        }
    }
    let opts = stream::Options {
        duration: spec.duration_s.map(RunSeconds::duration),
        pid: spec.pid.map(Pid::get),
        tid: spec.tid.map(Pid::get),
        reader: spec.reader,
        stacks: spec.stacks,
    };
    let threads = stream::threads(&opts)?;

    let mut session = super::open_session(tracefs, env)?;
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
        }))?;
        return close(session);
    }

    if let Some(filter) = &spec.filter {
        session.set_filter(&ev, filter.as_str())?;
    }
    if spec.stacks {
        session.set_instance_option("stacktrace", "1")?;
    }
    let prepared = stream::prepare(
        &mut session,
        &opts,
        threads.as_deref(),
        std::slice::from_ref(&ev),
    )?;
    let mut input = prepared.input;
    session.enable(&ev)?;
    let note = prepared.note;
    sink.emit(Record::notice(
        NoticeLevel::Info,
        match spec.duration_s {
            Some(d) => format!("Tracing kprobe {event} for {d} seconds (buffered, {note})..."),
            None => format!("Tracing kprobe {event} ({note}). Ctrl-C to end."),
        },
    ))?;
    sink.flush()?;

    let result = stream::run(&opts, &session, &mut input, sink);
    // The pipe must be closed before the instance can be removed.
    drop(input);
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
