//! uprobe: trace a user-space function's entry or return, as perf-tools' uprobe, on the stream
//! engine.
//!
//! `uprobe [-FhHsv] [-d secs] [-p PID] [-L TID] {-l target | definition [filter]}`: the
//! definition in perf-tools' syntax (`p:bash:readline`, `r:libc:malloc $retval`; see
//! [`uprobe_target`]) is resolved here, on the machine that runs the probe (an agent's own
//! files for `--remote`): the file found, the function's address turned into a file offset,
//! and written to uprobe_events in our group as `PATH:0xOFFSET`.

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::stream;
use super::engine::uprobe_target::{search, UprobeDefinition, UprobeTarget};
use super::values::{EventFilter, Pid, RunSeconds, ValueError};
use super::RunEnv;
use crate::elf::ElfFile;
use super::silence::Silence;
use crate::record::{Format, Record, Sink, UserSymbol};
use crate::tracefs::events::{self, EventRef};
use crate::tracefs::features::Feature;
use crate::tracefs::probe::arch::Arch;
use crate::tracefs::probe::ArgMode;
use crate::tracefs::Error as TfError;
use crate::{Error, Result};

/// What to trace and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRequest {
    pub definition: UprobeDefinition,
    /// An event filter expression, into the event's `filter` file in our instance.
    pub filter: Option<EventFilter>,
    /// Buffer for this many seconds, then print (`-d`); otherwise stream until Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// Every thread of this process (`-p`).
    pub pid: Option<Pid>,
    /// This one thread (`-L`).
    pub tid: Option<Pid>,
    /// A user stack trace with each event (`-s`).
    pub stacks: bool,
    /// Print the event's format and exit (`-v`).
    pub format_only: bool,
    /// Take what the checks would refuse (`-F`): another architecture's file, an address
    /// outside code.
    pub force: bool,
    /// Print column headers (`-H`): a render hint.
    pub headers: bool,
}

/// A uprobe run: list a file's functions, or trace one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UprobeSpec {
    /// `-l TARGET`.
    List { target: UprobeTarget },
    Trace(TraceRequest),
}

/// The uprobe tool (see the module documentation).
pub struct Uprobe;

impl super::Tool for Uprobe {
    const NAME: &'static str = "uprobe";
    const ABOUT: &'static str = "Trace a user-space function with a uprobe (perf-tools uprobe)";
    const DESCRIPTION: &'static str =
        "uprobe traces a function of a user-space program or library with a dynamic probe: a \
         uprobe at its entry (p:) or a uretprobe at its return (r:), fetching the registers, \
         memory and return value the definition names, and prints each event as the kernel \
         prints it, while it happens or (-d SECS) at the end from a buffer. The definition is \
         perf-tools' uprobe syntax: FILE:FUNC, where FILE is a path, a program in PATH or a \
         library (libc), and FUNC a function name, FUNC+OFFSET or 0xADDR. The probe is set on \
         the file: every process that runs it is traced unless -p or -L choose one. -l lists the \
         functions of a file.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] =
        &["event", "stack", "lost", "format", "notice", "user_symbol"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("uprobe p:bash:readline", "trace readline() calls in all running \"bash\" executables"),
        ("uprobe p:/bin/bash:readline", "trace readline() with explicit executable path"),
        ("uprobe 'r:bash:readline +0($retval):string'", "trace the return of readline() with return value as a string"),
        ("uprobe p:libc:sleep", "trace sleep() calls in all running libc shared libraries"),
        ("uprobe 'p:libc:sleep %di'", "trace sleep() with register %di (x86)"),
        ("uprobe p:libc:0xbf130", "trace this address (use caution: must be instruction aligned)"),
        ("uprobe -p 1182 p:libc:gettimeofday", "trace gettimeofday() for PID 1182 only"),
        ("uprobe 'r:libc:fopen file=$retval' 'file == 0'", "trace the return of fopen() only when it returns NULL"),
    ];
    const SCENARIOS: &'static [&'static str] = &[
        "up_busybox",
        "up_prog",
        "up_return",
        "up_list",
        "up_sigint",
        "up_bad",
        "up_examples",
    ];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux with tracefs, uprobes (CONFIG_UPROBE_EVENTS, 3.5+; 4.0+ advised, as perf-tools \
             says: earlier kernels could hang or crash traced processes) and instances (3.10+), \
             root. -p and -L need set_event_pid (4.4+); -s needs user stack trace support \
             (options/userstacktrace, CONFIG_USER_STACKTRACE_SUPPORT). No objdump, ldconfig or \
             file(1): lktrace reads the ELF symbol tables (.symtab, .dynsym) and /etc/ld.so.cache \
             itself.\n\n\
             A bare name is a program in PATH (absolute entries only), else a library found as \
             the dynamic linker finds it (/etc/ld.so.cache, then /lib/<multiarch>, /usr/lib/\
             <multiarch>, /lib64, /usr/lib64, /lib, /usr/lib); libc and c both mean libc.so.6. \
             The name resolves to a regular file by its canonical path, which is what the probe \
             is set on (uprobes are per file: every process running that file is traced). A \
             function's address becomes a file offset through the PT_LOAD segment holding it; an \
             address written as 0xADDR is an address of the file as its symbol table and -l show \
             it, and must be in an executable segment (-F takes any, and an address outside every \
             segment as a raw file offset, as perf-tools did). Stripped files have no function \
             names: address their code as 0xADDR.\n\n\
             The probe is defined in uprobe_events in a group of this run's own (lkt_PID) and \
             enabled in this run's own instance; both are removed on exit, error, Ctrl-C, \
             SIGTERM, SIGHUP or a closed pipe. lktrace ctl reset, or the next lktrace run, \
             removes what a run killed with SIGKILL left.",
        ),
        (
            "FIELDS",
            "Each event is one line as the kernel's trace file prints it: TASK-PID, [CPU], the \
             irq and preemption flags, TIMESTAMP (seconds since boot), the probe's name, the \
             probe site as an address in the file (for a return probe, the caller <- function), \
             then each fetched value as NAME=VALUE. With -s the user stack follows each event, \
             one frame a line. With --json each event is a record with these as fields \
             (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "Each hit of a uprobe is a breakpoint trap in the traced process: a few microseconds \
             each, in every process that runs the probed file, whether or not -p selects it \
             (the pid filter drops events after the trap). Probing a hot library function \
             (libc:malloc) slows every process on the system that calls it; test in a lab first. \
             Events are read and printed as they come without -d; with -d they are buffered in \
             the kernel and read once at the end. A filter is evaluated by the kernel before an \
             event is written.\n\n\
             An address that is not the start of an instruction corrupts the traced program's \
             code: lktrace checks that it is in an executable segment, not that it is an \
             instruction boundary. Prefer function names.",
        ),
    ];
    type Args = UprobeArgs;
    type Spec = UprobeSpec;

    fn spec(args: &UprobeArgs) -> Result<UprobeSpec> {
        args.to_spec()
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![
            Need::new("uprobe", All(vec![Feature::Uprobes, Feature::Instances])),
            Need::new(
                "uprobe -s",
                All(vec![Feature::Uprobes, Feature::StackTrace]),
            ),
        ]
    }

    fn describe(spec: &UprobeSpec) -> String {
        match spec {
            UprobeSpec::List { target } => format!("uprobe -l {:?}", target.as_str()),
            UprobeSpec::Trace(t) => format!("uprobe {:?}", t.definition.as_str()),
        }
    }

    fn render_hints(spec: &UprobeSpec) -> super::RenderHints {
        super::RenderHints {
            headers: matches!(spec, UprobeSpec::Trace(t) if t.headers),
            timeline: matches!(spec, UprobeSpec::Trace(_)),
            duration: match spec {
                UprobeSpec::Trace(t) => t.duration_s.map(RunSeconds::duration),
                _ => None,
            },
            ..Default::default()
        }
    }

    fn run(spec: &UprobeSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        match spec {
            UprobeSpec::List { target } => list(target, sink),
            UprobeSpec::Trace(t) => trace(t, env, sink),
        }
    }
}

/// Trace a user-space function with a uprobe.
#[derive(Debug, Clone, Args)]
pub struct UprobeArgs {
    /// Force: take a file of another architecture, an address outside code
    #[arg(short = 'F')]
    pub force: bool,
    /// List the functions of TARGET (a program, a library or a path) where uprobes can go
    #[arg(short = 'l', value_name = "TARGET", conflicts_with_all = ["definition", "filter"])]
    pub list: Option<String>,
    /// Print column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Print a user stack trace after each event
    #[arg(short = 's')]
    pub stacks: bool,
    /// Print the event's format and exit
    #[arg(short = 'v', conflicts_with = "duration")]
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
    /// {p|r}[:NAME] FILE:FUNCTION[+OFFS] [ARGS], FILE:0xADDR in place of the function, or
    /// {p|r}:FILE:FUNCTION [ARGS] (e.g. p:bash:readline, 'r:bash:readline +0($retval):string',
    /// 'p:libc:malloc size=arg1'; arg1..argN are the function's arguments on any architecture)
    #[arg(required_unless_present = "list", value_name = "DEFINITION")]
    pub definition: Option<String>,
    /// Event filter, e.g. 'size > 1024'
    pub filter: Option<String>,
}

impl UprobeArgs {
    pub fn to_spec(&self) -> Result<UprobeSpec> {
        let usage = |e: ValueError| Error::Usage(e.to_string());
        if let Some(target) = &self.list {
            return Ok(UprobeSpec::List {
                target: UprobeTarget::try_from(target.clone()).map_err(usage)?,
            });
        }
        let Some(text) = &self.definition else {
            return Err(Error::Usage("a uprobe definition is needed (e.g. p:bash:readline)".into()));
        };
        // Parsed here first so a bad definition is shown with the parser's caret.
        let definition = UprobeDefinition::parse(text).map_err(TfError::from)?;
        Ok(UprobeSpec::Trace(TraceRequest {
            definition,
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
            force: self.force,
            headers: self.headers,
        }))
    }
}

/// `-l`: the functions of a file with the offsets a uprobe on each takes, by name.
fn list(target: &UprobeTarget, sink: &mut dyn Sink) -> Result<()> {
    list_functions(target, &|_| true, sink)?;
    Ok(sink.flush()?)
}

/// The functions of a file a uprobe can go on, those `keep` takes, as `user_symbol` records
/// (uprobe -l, lktrace list -u). Returns how many matched; a file without any is an error.
pub(crate) fn list_functions(
    target: &UprobeTarget,
    keep: &dyn Fn(&str) -> bool,
    sink: &mut dyn Sink,
) -> Result<usize> {
    let file = search().resolve(target.as_str())?;
    let elf = ElfFile::open(&file, true)?;
    let shown = file.display().to_string();
    let (mut found, mut code) = (0usize, 0usize);
    for (f, offset) in elf.code_functions() {
        code += 1;
        if !keep(&f.name) {
            continue;
        }
        found += 1;
        sink.emit(Record::UserSymbol(UserSymbol {
            file: shown.clone(),
            name: f.name.clone(),
            address: f.address,
            offset,
        }))?;
    }
    if code == 0 {
        return Err(crate::elf::Error::Stripped { path: file }.into());
    }
    Ok(found)
}

/// Resolves the definition, defines the probe in our group (its `argN` made concrete for this
/// machine), enables it in our instance (pid filter, filter expression and user stacks as
/// asked), and streams or buffers its events.
fn trace(req: &TraceRequest, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    // Before tracefs is touched: a name that resolves to nothing changes nothing.
    let resolved = req.definition.resolve(&search(), req.force)?;
    let tracefs = super::open_tracefs(env)?;
    let opts = stream::Options {
        duration: req.duration_s.map(RunSeconds::duration),
        pid: req.pid.map(Pid::get),
        tid: req.tid.map(Pid::get),
        // The raw reader reproduces kprobe print formats only.
        reader: stream::Reader::Text,
        stacks: req.stacks,
    };
    let threads = stream::threads(&opts)?;

    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let arch = Arch::from_machine(&session.features().arch);
    let def = resolved
        .def
        .resolve_args(ArgMode::User(arch))
        .map_err(TfError::from)?;
    let name = def.event_name();
    session.add_probes(std::slice::from_ref(&def))?;
    let group = session.group();
    let ev = EventRef::event(&group, &name);

    if req.format_only {
        let text = events::format_text(session.tracefs(), &group, &name)?;
        sink.emit(Record::Format(Format { event: name, text }))?;
        return super::close_session(session);
    }
    if let Some(filter) = &req.filter {
        session.set_filter(&ev, filter.as_str())?;
    }
    if req.stacks {
        let option = session.instance_file("options/userstacktrace")?;
        if !session.tracefs().exists(option) {
            return Err(TfError::Missing {
                what: "user stack traces".into(),
                config: "CONFIG_USER_STACKTRACE_SUPPORT",
            }
            .into());
        }
        session.set_instance_option("userstacktrace", "1")?;
    }
    let prepared = stream::prepare(&mut session, &opts, threads.as_deref(), std::slice::from_ref(&ev))?;
    let input = prepared.input;
    session.enable(&ev)?;
    // The definition as the kernel has it, without our group: what perf-tools printed.
    let mut shown = def.clone();
    shown.group = None;
    stream::announce(sink, &format!("uprobe {name} ({shown})"), req.duration_s, None)?;

    let mut silence = Silence::new(format!("uprobe {name} ({shown})"));
    silence.narrowed(opts.pid, opts.tid, req.filter.as_ref().map(|f| f.as_str()));
    stream::finish(&opts, session, input, sink, &silence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: UprobeArgs,
    }

    fn spec(argv: &[&str]) -> std::result::Result<UprobeSpec, String> {
        let mut v = vec!["uprobe"];
        v.extend_from_slice(argv);
        Cli::try_parse_from(v)
            .map_err(|e| e.to_string())?
            .args
            .to_spec()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn perf_tools_command_lines() {
        let UprobeSpec::Trace(t) = spec(&["-d", "2", "r:libc:fopen file=$retval", "file == 0"]).unwrap() else {
            panic!()
        };
        assert_eq!(t.definition.as_str(), "r:libc:fopen file=$retval");
        assert_eq!(t.filter.as_deref(), Some("file == 0"));
        assert!(matches!(
            spec(&["-l", "bash"]).unwrap(),
            UprobeSpec::List { target } if target.as_str() == "bash"
        ));
        let UprobeSpec::Trace(t) = spec(&["-p", "1182", "-s", "-H", "p:libc:gettimeofday"]).unwrap() else {
            panic!()
        };
        assert!(t.stacks && t.headers && t.pid.is_some());
        assert!(spec(&["-l", "bash", "p:bash:readline"]).is_err());
        assert!(spec(&[]).is_err());
        assert!(spec(&["-v", "-d", "1", "p:bash:readline"]).is_err());
        let e = spec(&["p:bash:readline $nope"]).unwrap_err();
        assert!(e.contains("$nope") || e.contains("nope"), "{e}");
        assert!(spec(&["-l", "../etc/shadow"]).is_err());
    }

    #[test]
    fn a_spec_travels_as_json_and_is_checked_again() {
        let s = spec(&["p:bash:readline"]).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<UprobeSpec>(&json).unwrap(), s);
        let hostile = json.replace("p:bash:readline", "p:bash:readline\\n-:x");
        assert!(serde_json::from_str::<UprobeSpec>(&hostile).is_err());
    }
}
