//! tpoint: trace a tracepoint's events, as perf-tools' tpoint, on the stream engine.
//!
//! `tpoint [-hHsv] [-d secs] [-p PID] [-L TID] tracepoint [filter]`; `tpoint -l [GLOB]` lists
//! the kernel's tracepoints (available_events), all or those matching a glob.

use std::fmt;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::stream;
use super::silence::Silence;
use super::values::{EventFilter, NameGlob, Pid, RunSeconds, ValueError};
use super::RunEnv;
use crate::record::{Format, Record, Sink, Tracepoint};
use crate::tracefs::events::{self, EventRef};
use crate::tracefs::Error as TfError;
use crate::{Error, Result};

/// Longest system or event name taken (the kernel's event names are at most 64 chars).
const MAX_NAME: usize = 64;
fn good_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// A tracepoint, `SYSTEM:EVENT` (`sched:sched_process_exec`): two names of letters, digits,
/// `_` and `-`, so it names one directory under `events/` and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TracepointName {
    system: String,
    event: String,
}

impl TracepointName {
    pub fn system(&self) -> &str {
        &self.system
    }
    pub fn event(&self) -> &str {
        &self.event
    }
}

impl TryFrom<String> for TracepointName {
    type Error = ValueError;
    fn try_from(s: String) -> std::result::Result<TracepointName, ValueError> {
        let bad = || {
            let cut: String = s.chars().take(40).collect();
            ValueError::from(format!(
                "the tracepoint {cut:?} is not SYSTEM:EVENT (e.g. sched:sched_process_exec)"
            ))
        };
        // perf-tools also takes the kernel's own `SYSTEM/EVENT` spelling of set_event.
        let (system, event) = s.split_once([':', '/']).ok_or_else(bad)?;
        if !good_name(system) || !good_name(event) {
            return Err(bad());
        }
        Ok(TracepointName {
            system: system.to_string(),
            event: event.to_string(),
        })
    }
}

impl From<TracepointName> for String {
    fn from(t: TracepointName) -> String {
        t.to_string()
    }
}

impl fmt::Display for TracepointName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.system, self.event)
    }
}


/// What to trace and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRequest {
    pub tracepoint: TracepointName,
    /// An event filter expression, into the event's `filter` file in our instance.
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
    /// Print column headers (`-H`): a render hint.
    pub headers: bool,
}

/// A tpoint run: list tracepoints, or trace one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TpointSpec {
    /// `-l [GLOB]`.
    List { glob: Option<NameGlob> },
    Trace(TraceRequest),
}

/// The tpoint tool (see the module documentation).
pub struct Tpoint;

impl super::Tool for Tpoint {
    const NAME: &'static str = "tpoint";
    const ABOUT: &'static str = "Trace a tracepoint's events (perf-tools tpoint)";
    const DESCRIPTION: &'static str =
        "tpoint enables a tracepoint (a static trace point the kernel's developers put in its \
         code, SYSTEM:EVENT) and prints each event as the kernel prints it, with every field the \
         tracepoint records, while it happens or (-d SECS) at the end from a buffer. A filter \
         after the tracepoint is evaluated by the kernel on the event's fields. -l lists \
         tracepoints, -v prints one's format (its fields), -s the kernel stack of each event.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] =
        &["event", "stack", "lost", "format", "notice", "tracepoint"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("tpoint -l | grep open", "find tracepoints containing \"open\""),
        ("tpoint syscalls:sys_enter_openat", "trace openat() syscall entry"),
        ("tpoint block:block_rq_issue", "trace block I/O issue"),
        ("tpoint -s block:block_rq_issue", "show kernel stacks"),
    ];
    const SCENARIOS: &'static [&'static str] =
        &["tp_exec", "tp_filter", "tp_sigint", "tp_bad", "tp_list"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux with tracefs (4.1+) and instances (3.10+), the tracepoint itself (tpoint -l lists \
             what this kernel has; available_events), root. -p and -L need set_event_pid (4.4+); -s \
             needs CONFIG_STACKTRACE. Kernel lockdown in confidentiality mode forbids tracefs.\n\n\
             Each run enables the tracepoint in its own tracefs instance (instances/lktrace_PID), \
             with its filter and pid list there, and removes the instance on exit, error, Ctrl-C, \
             SIGTERM, SIGHUP or a closed pipe: other tracing users are not touched (on kernels up to \
             6.5 the kernel itself expands the top-level buffer once, the first time any event is \
             enabled, and never shrinks it). lktrace ctl reset removes what a run killed with \
             SIGKILL left.",
        ),
        (
            "FIELDS",
            "Each event is one line as the kernel's trace file prints it: TASK-PID, [CPU], the \
             irq and preemption flags, TIMESTAMP (seconds since boot), the tracepoint's name, \
             then its fields in the tracepoint's own format (tpoint -v SYSTEM:EVENT shows which \
             fields it has and how it prints them). With --json each event is a record with the \
             fields by name (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "Every event the tracepoint fires is written to the instance's ring buffer by the \
             kernel and, without -d, read and printed in user space as it comes: for tracepoints \
             that fire thousands of times a second (sched:sched_switch, irq, block on a busy disk) \
             the reading and printing is the cost, and the kernel drops events it has no room for \
             (reported as lost records and on stderr).\n\n\
             Use a filter, which the kernel evaluates before an event is written (events it fails \
             cost almost nothing), and -p or -L, which the kernel applies too. With -d the events \
             are buffered in the kernel (an 8 MiB buffer per CPU) and read once at the end; a \
             buffer that fills before then drops the newest events. Start with -d 1 to see how \
             frequent an event is.",
        ),
    ];
    type Args = TpointArgs;
    type Spec = TpointSpec;

    fn spec(args: &TpointArgs) -> Result<TpointSpec> {
        args.to_spec()
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        use crate::tracefs::features::Feature;
        vec![
            Need::new("tpoint", All(vec![Feature::Instances])),
            Need::new(
                "tpoint -s",
                All(vec![Feature::Instances, Feature::StackTrace]),
            ),
        ]
    }

    fn describe(spec: &TpointSpec) -> String {
        match spec {
            TpointSpec::List { glob } => format!("tpoint -l {:?}", glob.as_ref().map(NameGlob::as_str)),
            TpointSpec::Trace(t) => format!("tpoint {:?}", t.tracepoint.to_string()),
        }
    }

    fn render_hints(spec: &TpointSpec) -> super::RenderHints {
        super::RenderHints {
            headers: matches!(spec, TpointSpec::Trace(t) if t.headers),
            timeline: matches!(spec, TpointSpec::Trace(_)),
            duration: match spec {
                TpointSpec::Trace(t) => t.duration_s.map(RunSeconds::duration),
                _ => None,
            },
            ..Default::default()
        }
    }

    fn run(spec: &TpointSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        match spec {
            TpointSpec::List { glob } => list(glob.as_ref(), env, sink),
            TpointSpec::Trace(t) => trace(t, env, sink),
        }
    }
}

/// Trace a tracepoint's events.
#[derive(Debug, Clone, Args)]
pub struct TpointArgs {
    /// List tracepoints (all, or those matching the glob given in place of TRACEPOINT)
    #[arg(short = 'l')]
    pub list: bool,
    /// Print column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Print a kernel stack trace after each event
    #[arg(short = 's')]
    pub stacks: bool,
    /// Print the tracepoint's format and exit
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
    /// SYSTEM:EVENT, e.g. sched:sched_process_exec (with -l: a glob, e.g. 'sched:*')
    #[arg(required_unless_present = "list")]
    pub tracepoint: Option<String>,
    /// Event filter, e.g. 'filename ~ "*bash*"'
    pub filter: Option<String>,
}

impl TpointArgs {
    pub fn to_spec(&self) -> Result<TpointSpec> {
        let usage = |e: ValueError| Error::Usage(e.to_string());
        if self.list {
            if self.filter.is_some() {
                return Err(Error::Usage(
                    "-l takes one glob; a filter is for tracing".into(),
                ));
            }
            let glob = self
                .tracepoint
                .clone()
                .map(NameGlob::try_from)
                .transpose()
                .map_err(usage)?;
            return Ok(TpointSpec::List { glob });
        }
        let Some(tp) = &self.tracepoint else {
            return Err(Error::Usage("a tracepoint (SYSTEM:EVENT) is needed".into()));
        };
        Ok(TpointSpec::Trace(TraceRequest {
            tracepoint: TracepointName::try_from(tp.clone()).map_err(usage)?,
            filter: self
                .filter
                .as_deref()
                .map(EventFilter::try_from)
                .transpose()
                .map_err(usage)?,
            duration_s: self.duration,
            pid: self.pid,
            tid: self.tid,
            stacks: self.stacks,
            format_only: self.view_format,
            headers: self.headers,
        }))
    }
}

/// `SYSTEM:EVENT` lines of available_events, parsed; other lines are skipped.
pub fn parse_available(text: &str) -> Vec<Tracepoint> {
    text.lines()
        .filter_map(|l| l.trim().split_once(':'))
        .filter(|(s, e)| !s.is_empty() && !e.is_empty())
        .map(|(s, e)| Tracepoint {
            system: s.to_string(),
            event: e.to_string(),
        })
        .collect()
}

fn list(glob: Option<&NameGlob>, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let tracefs = super::open_tracefs(env)?;
    let text = tracefs.read("available_events")?;
    let mut found = 0usize;
    for t in parse_available(&text) {
        if glob.is_none_or(|g| g.matches_tracepoint(&t.system, &t.event)) {
            found += 1;
            sink.emit(Record::Tracepoint(t))?;
        }
    }
    if found == 0 {
        if let Some(g) = glob {
            return Err(Error::Other(format!("no tracepoint matches `{}`", g.as_str())));
        }
    }
    Ok(sink.flush()?)
}

/// Traces one tracepoint: checks it exists, enables it in our instance (with the pid filter,
/// filter expression and stack option asked for), and streams or buffers its events.
fn trace(req: &TraceRequest, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let tp = &req.tracepoint;
    let tracefs = super::open_tracefs(env)?;
    if !events::exists(&tracefs, tp.system(), tp.event()) {
        return Err(TfError::NoEvent {
            name: tp.to_string(),
        }
        .into());
    }
    if req.format_only {
        let text = events::format_text(&tracefs, tp.system(), tp.event())?;
        sink.emit(Record::Format(Format {
            event: tp.event().to_string(),
            text,
        }))?;
        return Ok(sink.flush()?);
    }
    let opts = stream::Options {
        duration: req.duration_s.map(RunSeconds::duration),
        pid: req.pid.map(Pid::get),
        tid: req.tid.map(Pid::get),
        // The raw reader reproduces kprobe print formats only; a tracepoint's own format
        // (any printk) is the kernel's to render.
        reader: stream::Reader::Text,
        stacks: req.stacks,
    };
    let threads = stream::threads(&opts)?;

    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let ev = EventRef::event(tp.system(), tp.event());
    if let Some(filter) = &req.filter {
        session.set_filter(&ev, filter.as_str())?;
    }
    if req.stacks {
        session.set_instance_option("stacktrace", "1")?;
    }
    let prepared = stream::prepare(
        &mut session,
        &opts,
        threads.as_deref(),
        std::slice::from_ref(&ev),
    )?;
    let pipe = prepared.input;
    session.enable(&ev)?;
    stream::announce(sink, &tp.to_string(), req.duration_s, None)?;

    let mut silence = Silence::new(format!("tpoint {tp}"));
    silence.narrowed(opts.pid, opts.tid, req.filter.as_ref().map(|f| f.as_str()));
    stream::finish(&opts, session, pipe, sink, &silence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> std::result::Result<TracepointName, ValueError> {
        TracepointName::try_from(s.to_string())
    }

    #[test]
    fn tracepoint_names_are_one_event_directory() {
        let t = name("sched:sched_process_exec").unwrap();
        assert_eq!((t.system(), t.event()), ("sched", "sched_process_exec"));
        assert_eq!(name("syscalls/sys_enter_openat").unwrap().to_string(), "syscalls:sys_enter_openat");
        for bad in ["sched", "sched:", ":x", "../x:y", "a:b/c", "a:b\n", "a b:c", "a:*"] {
            assert!(name(bad).is_err(), "{bad:?}");
        }
        // Through serde, as an agent receives it.
        assert!(serde_json::from_str::<TracepointName>(r#""../../x:y""#).is_err());
        assert_eq!(
            serde_json::from_str::<TracepointName>(r#""block:block_rq_issue""#).unwrap(),
            name("block:block_rq_issue").unwrap()
        );
    }

    #[test]
    fn globs_match_system_event_or_either() {
        let g = |s: &str| NameGlob::try_from(s.to_string()).unwrap();
        assert!(g("sched:*").matches_tracepoint("sched", "sched_switch"));
        assert!(!g("sched:*").matches_tracepoint("block", "block_rq_issue"));
        assert!(g("sched_*").matches_tracepoint("sched", "sched_switch"));
        assert!(g("block").matches_tracepoint("block", "block_rq_issue"));
        assert!(g("*:sys_enter_open*").matches_tracepoint("syscalls", "sys_enter_openat"));
        assert!(NameGlob::try_from("a;b".to_string()).is_err());
        assert!(NameGlob::try_from(String::new()).is_err());
    }

    #[test]
    fn available_events_lines() {
        // Lines of Debian 6.1's available_events.
        let t = parse_available("sched:sched_process_exec\nsyscalls:sys_enter_openat\n\nkprobes:x\n");
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].system, "syscalls");
        assert_eq!(t[1].event, "sys_enter_openat");
    }

    #[test]
    fn a_list_spec_takes_no_filter() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: TpointArgs,
        }
        let spec = |v: &[&str]| {
            let mut argv = vec!["tpoint"];
            argv.extend_from_slice(v);
            Cli::try_parse_from(argv).map_err(|e| e.to_string()).and_then(|c| c.args.to_spec().map_err(|e| e.to_string()))
        };
        assert_eq!(spec(&["-l"]).unwrap(), TpointSpec::List { glob: None });
        assert!(matches!(spec(&["-l", "sched:*"]).unwrap(), TpointSpec::List { glob: Some(_) }));
        assert!(spec(&["-l", "sched:*", "pid == 1"]).is_err());
        assert!(spec(&[]).is_err());
        let TpointSpec::Trace(t) = spec(&["-d", "2", "sched:sched_process_exec", "pid > 1"]).unwrap() else {
            panic!("not a trace")
        };
        assert_eq!(t.filter.as_deref(), Some("pid > 1"));
        assert!(spec(&["no_colon"]).is_err());
    }
}
