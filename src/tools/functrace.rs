//! functrace: trace kernel function calls (the function tracer), as perf-tools' functrace.
//!
//! `functrace [-hH] [-p PID] [-L TID] [-d secs] funcstring`. Each call is one `event` record
//! (`function`, with the function and its parent), streamed from trace_pipe or, with `-d`,
//! buffered in the kernel and read at the end.
//!
//! Unlike perf-tools, which takes the top-level tracer, the function tracer runs in our own
//! instance: its filter, pid list and buffer are ours alone, so functrace runs beside other
//! tracing users (and beside itself).

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::stream;
use super::values::{FuncPattern, Pid, RunSeconds};
use super::silence::Silence;
use super::RunEnv;
use crate::record::{NoticeLevel, Record, Sink};
use crate::tracefs::features::Feature;
use crate::tracefs::ftrace_filter::FilterList;
use crate::tracefs::{Error as TfError, Session};
use crate::{Error, Result};

/// What to trace and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctraceSpec {
    /// The function glob, into our instance's set_ftrace_filter.
    pub pattern: FuncPattern,
    /// Buffer for this many seconds, then print (`-d`); otherwise stream until Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// The threads of this process (`-p`).
    pub pid: Option<Pid>,
    /// This one thread (`-L`).
    pub tid: Option<Pid>,
    /// Print column headers (`-H`): a render hint.
    pub headers: bool,
}

/// The functrace tool (see the module documentation).
pub struct Functrace;

impl super::Tool for Functrace {
    const NAME: &'static str = "functrace";
    const ABOUT: &'static str = "Trace kernel function calls (perf-tools functrace)";
    const DESCRIPTION: &'static str =
        "functrace traces calls of the kernel functions a glob matches with the function tracer, \
         and prints each call as the kernel prints it: the function and the function it was \
         called from, while it happens or (-d SECS) at the end from a buffer. -p traces the \
         threads of one process, -L one thread; both are applied in the kernel. The glob is \
         matched by the kernel against available_filter_functions (lktrace list -f shows them).";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["event", "lost", "notice"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("functrace do_nanosleep", "trace the do_nanosleep() function"),
        ("functrace '*sleep'", "trace functions ending in \"sleep\""),
        ("functrace -p 198 'vfs*'", "trace \"vfs*\" funcs for PID 198"),
        ("functrace 'tcp*' > out", "trace all \"tcp*\" funcs to out file"),
        ("functrace -d 1 'tcp*' > out", "trace 1 sec, then write out file"),
    ];
    const SCENARIOS: &'static [&'static str] = &["ft_pid", "ft_sigint", "ft_bad", "ft_examples"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux with tracefs and instances (3.10+), CONFIG_FUNCTION_TRACER and \
             CONFIG_DYNAMIC_FTRACE (the function must be in available_filter_functions), root. \
             Kernel lockdown in confidentiality mode forbids tracefs.\n\n\
             Each run sets the function tracer in its own tracefs instance \
             (instances/lktrace_PID), with its filter and pid list there, and removes the \
             instance on exit, error, Ctrl-C, SIGTERM, SIGHUP or a closed pipe: the top-level \
             tracer and other tracing users are not touched. lktrace ctl reset removes what a \
             run killed with SIGKILL left.",
        ),
        (
            "FIELDS",
            "Each call is one line as the kernel's trace file prints it: TASK-PID, [CPU], the \
             irq and preemption flags, TIMESTAMP (seconds since boot), then FUNCTION <-PARENT: \
             the traced function and its caller. -H prints the kernel's column headers, # \
             tracer: function first. With --json each call is an event record (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "Every call of a traced function is written to the instance's ring buffer by the \
             kernel and, without -d, read and printed in user space as it comes. Functions \
             called hundreds of thousands of times a second (spin locks, kmalloc, vfs_* on a \
             busy system) cost measurably, and the kernel drops events it has no room for \
             (reported as lost records and on stderr). Start with a narrow glob, -p or -L \
             (applied in the kernel), and -d 1 to see how frequent a function is; or count \
             calls with funccount first, which costs far less.",
        ),
    ];
    type Args = FunctraceArgs;
    type Spec = FunctraceSpec;

    fn spec(args: &FunctraceArgs) -> Result<FunctraceSpec> {
        Ok(FunctraceSpec {
            pattern: args.funcstring.clone(),
            duration_s: args.duration,
            pid: args.pid,
            tid: args.tid,
            headers: args.headers,
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![Need::new(
            "functrace",
            All(vec![Feature::FunctionTracer, Feature::Instances]),
        )]
    }

    fn describe(spec: &FunctraceSpec) -> String {
        format!("functrace {:?}", spec.pattern.as_str())
    }

    fn render_hints(spec: &FunctraceSpec) -> super::RenderHints {
        super::RenderHints {
            headers: spec.headers,
            duration: spec.duration_s.map(RunSeconds::duration),
            timeline: true,
            ..Default::default()
        }
    }

    fn run(spec: &FunctraceSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Trace kernel function calls.
#[derive(Debug, Clone, Args)]
pub struct FunctraceArgs {
    /// Print column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Trace for SECS seconds (buffered), then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Trace the threads of this process
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<Pid>,
    /// Trace this thread only
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<Pid>,
    /// Function glob: do_nanosleep, '*sleep', 'vfs_*'
    pub funcstring: FuncPattern,
}

/// The kernel's refusal of the glob (EINVAL: it matched nothing traceable), in the words of
/// the resolver.
pub(crate) fn no_match(e: Error, pattern: &str) -> Error {
    match e {
        Error::Tracefs(TfError::NotTraceable { name }) if name == pattern => {
            TfError::NoMatch { pattern: name }.into()
        }
        other => other,
    }
}

/// `-p`/`-L` as the function tracer takes them: the threads into `set_ftrace_pid` (the
/// threads there now, as perf-tools does); without them, our own threads into
/// `set_ftrace_notrace_pid`, so our reads of trace_pipe are not traced (vfs_read!).
pub(crate) fn pid_filter(
    session: &mut Session,
    threads: Option<&[u32]>,
    pid_file: &str,
    sink: &mut dyn Sink,
) -> Result<()> {
    match threads {
        Some(tids) => {
            let list: Vec<String> = tids.iter().map(u32::to_string).collect();
            session.append_instance(pid_file, &format!("{}\n", list.join(" ")))?;
        }
        None if session.features().has(Feature::NotracePid) => {
            session.append_instance("set_ftrace_notrace_pid", &crate::tools::own_pid_list())?;
        }
        None => sink.emit(Record::notice(
            NoticeLevel::Warning,
            "this kernel has no set_ftrace_notrace_pid (5.8+): lktrace's own calls are traced too",
        ))?,
    }
    Ok(())
}

/// Sets the function tracer on `pattern` in our instance, with the pid filter, and streams or
/// buffers its calls.
pub fn run(spec: &FunctraceSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let tracefs = super::open_tracefs(env)?;
    let opts = stream::Options {
        duration: spec.duration_s.map(RunSeconds::duration),
        pid: spec.pid.map(Pid::get),
        tid: spec.tid.map(Pid::get),
        reader: stream::Reader::Text,
        stacks: false,
    };
    let threads = stream::threads(&opts)?;
    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    session.features().require(Feature::FunctionTracer)?;

    let list = FilterList::new(vec![spec.pattern.to_string()])
        .ok_or_else(|| Error::Usage("empty pattern".into()))?;
    // The kernel matches the glob itself and reads back what it selected.
    let functions = session
        .set_instance_filter(&list)
        .map_err(|e| no_match(e.into(), spec.pattern.as_str()))?;
    pid_filter(&mut session, threads.as_deref(), "set_ftrace_pid", sink)?;
    // The tgid column, where the kernel has it per instance; else /proc lookups.
    session.record_tgids()?;
    // A bigger buffer makes drops rarer (and lets the kernel expand its buffers before the
    // tracer is set: see Session::expand_buffers); it goes with the instance.
    session.grow_instance_buffer(if opts.duration.is_some() { 8192 } else { 4096 })?;
    // The tracer first: the kernel refuses to switch tracers (EBUSY) while trace_pipe is open.
    session.write_instance("current_tracer", "function")?;
    let tracer = session.instance_file("current_tracer")?;
    if session.tracefs().read_value(tracer)? != "function" {
        return Err(TfError::Missing {
            what: "the function tracer (the kernel kept current_tracer at nop)".into(),
            config: "CONFIG_FUNCTION_TRACER",
        }
        .into());
    }
    let pipe = session.instance_file("trace_pipe")?;
    let pipe = session
        .tracefs()
        .open_pipe(pipe)?
        .settle(std::time::Duration::from_millis(100));
    let what = match functions.as_slice() {
        [one] if one == spec.pattern.as_str() => format!("\"{one}\""),
        many => format!(
            "{} for \"{}\"",
            super::counted(many.len(), "function"),
            spec.pattern
        ),
    };
    let whom = match (spec.pid, spec.tid) {
        (Some(p), _) => format!(" for PID {p}"),
        (None, Some(t)) => format!(" for TID {t}"),
        _ => String::new(),
    };
    stream::announce(sink, &format!("{what}{whom}"), spec.duration_s, None)?;
    let mut silence = Silence::new(format!("functrace {what}"));
    silence.narrowed(opts.pid, opts.tid, None);
    silence.moved_in(functions.iter().map(String::as_str), session.tracefs());
    stream::finish(&opts, session, stream::Input::Text(pipe), sink, &silence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: FunctraceArgs,
    }

    fn spec(argv: &[&str]) -> std::result::Result<FunctraceSpec, String> {
        let mut v = vec!["functrace"];
        v.extend_from_slice(argv);
        let args = Cli::try_parse_from(v).map_err(|e| e.to_string())?.args;
        <Functrace as super::super::Tool>::spec(&args).map_err(|e| e.to_string())
    }

    #[test]
    fn perf_tools_flags() {
        let s = spec(&["-H", "-p", "1", "-d", "2", "vfs_*"]).unwrap();
        assert_eq!(s.pattern.as_str(), "vfs_*");
        assert!(s.headers);
        assert_eq!(s.pid.map(Pid::get), Some(1));
        assert_eq!(s.duration_s.map(RunSeconds::secs), Some(2.0));
        assert!(spec(&["-p", "1", "-L", "2", "vfs_read"]).is_err(), "-p or -L");
        assert!(spec(&["vfs_read:traceoff"]).is_err(), "one glob, no commands");
        assert!(spec(&["!vfs_read"]).is_err());
        assert!(spec(&[]).is_err());
        // Through serde, as an agent receives it.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<FunctraceSpec>(&json).unwrap(), s);
        assert!(serde_json::from_str::<FunctraceSpec>(
            r#"{"pattern":"a\nb","duration_s":null,"pid":null,"tid":null,"headers":false}"#
        )
        .is_err());
    }
}
