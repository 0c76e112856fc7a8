//! syscount: count system calls, in the kernel, as perf-tools' syscount (which needs `perf`).
//!
//! `syscount [-chv] [-t top] {-p PID|-d seconds|command}`: one hist trigger on the
//! `raw_syscalls:sys_enter` tracepoint in our instance, keyed on the syscall number named by the
//! kernel's own syscall table (`id.syscall`, so the names are those of the running kernel and
//! architecture) and, unless only syscalls are counted (`-c`), on the task with its name
//! (`common_pid.execname`; see [`trigger_keys`]), summed by name here. Nothing is streamed: the table is
//! read once at the end. `-p` and a command are followed by the kernel (`set_event_pid` with
//! `event-fork`: new threads and children too), lktrace's own calls are left out.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::command;
use super::silence::{Silence, Watch};
use super::values::{Pid, RunSeconds};
use super::RunEnv;
use crate::record::{Count, Counts, FieldValue, Fields, NoticeLevel, Record, Sink};
use crate::tracefs::events::{self, EventRef};
use crate::tracefs::features::Feature;
use crate::tracefs::{hist, Error as TfError, Session};
use crate::{Error, Result};

/// The tracepoint every system call passes, with its number in `id`.
const SYSTEM: &str = "raw_syscalls";
const EVENT: &str = "sys_enter";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyscountSpec {
    /// Count by syscall name (`-c`); otherwise by process name.
    pub by_syscall: bool,
    /// Show the PID as well (`-v`).
    pub pids: bool,
    /// Only the busiest N rows (`-t`).
    pub top: Option<u32>,
    /// What to count, and for how long.
    pub scope: Scope,
}

/// perf-tools' `{-p PID|-d seconds|command}`: one of them, or the whole system until Ctrl-C.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The whole system, until Ctrl-C.
    All,
    /// The whole system for this long (`-d`).
    For(RunSeconds),
    /// This process, its threads and children, until Ctrl-C or its end (`-p`).
    Pid(Pid),
    /// A command run here and counted until it ends.
    Command(LocalCommand),
}

/// A command line to run where syscount runs. Never accepted from the network: an agent that
/// ran commands a client sent would be a remote shell (use `-p PID` there).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalCommand(Vec<String>);

/// The most arguments, and bytes in one, a command line may have.
const MAX_ARGS: usize = 4096;
const MAX_ARG: usize = 128 << 10;

impl LocalCommand {
    pub fn new(argv: Vec<String>) -> Result<LocalCommand> {
        if argv.is_empty() {
            return Err(Error::Usage("no command to run".into()));
        }
        if argv.len() > MAX_ARGS || argv.iter().any(|a| a.len() > MAX_ARG) {
            return Err(Error::Usage("the command line is too long".into()));
        }
        if argv.iter().any(|a| a.contains('\0')) {
            return Err(Error::Usage("the command line holds a NUL byte".into()));
        }
        Ok(LocalCommand(argv))
    }

    pub fn argv(&self) -> &[String] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LocalCommand {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> std::result::Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "syscount runs a command only where it runs, never one sent to an agent: use -p PID or -d SECS with --remote",
        ))
    }
}

/// The syscount tool (see the module documentation).
pub struct Syscount;

impl super::Tool for Syscount {
    const NAME: &'static str = "syscount";
    const ABOUT: &'static str = "Count system calls, in the kernel (perf-tools syscount)";
    const DESCRIPTION: &'static str =
        "syscount counts system calls by process name, or with -c by syscall name, for the \
         whole system until Ctrl-C, for -d SECS, for one process (-p PID), or while a command \
         given after the options runs. It needs no perf: the kernel counts them itself, with \
         a hist trigger on the raw_syscalls:sys_enter tracepoint in a tracefs instance of \
         lktrace's own, and the table is read once at the end, so the cost does not grow with \
         the number of calls printed. The syscall names are the running kernel's own (the \
         hist trigger's .syscall key), right for its architecture.\n\n\
         With -p or a command the kernel follows the process: its threads and the children \
         it starts are counted too. lktrace's own system calls are never counted. Rows are \
         sorted by count, the largest last as in perf-tools; -t N keeps the N largest.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["counts", "notice"];
    const SCENARIOS: &'static [&'static str] = &[
        "sy_cmd",
        "sy_pid",
        "sy_all",
        "sy_sigint",
        "sy_bad",
        "sy_examples",
    ];
    const MAN_SECTION: &'static str = "8";
    const EG: &'static [(&'static str, &'static str)] = &[
        ("syscount", "syscalls by process name"),
        ("syscount -c", "syscalls by syscall name"),
        ("syscount -d 5", "trace for 5 seconds"),
        ("syscount -cp 923", "syscall names for PID 923"),
        ("syscount -c ls", "syscall names for \"ls\""),
    ];
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux with tracefs and instances, CONFIG_FTRACE_SYSCALLS (the raw_syscalls \
             tracepoints), CONFIG_HIST_TRIGGERS (4.7+; the .syscall key) and set_event_pid \
             (4.4+), root. No perf, no compiler. The trigger and the pid list live in lktrace's \
             own instance (instances/lktrace_PID), removed on exit, error, Ctrl-C or SIGTERM.",
        ),
        (
            "FIELDS",
            "COMM: the process name: the name the task had when it first made that system \
             call, so a program's calls after exec count under its own name and the few it \
             makes between fork and exec under its parent's. \
             PID (-v): the thread that made the calls (the kernel counts per task). SYSCALL \
             (-c): the syscall's name in the kernel's table without its sys_ prefix (a number \
             the table does not name shows as syscall_N). COUNT: calls made while tracing. \
             With --json one counts record (docs/json.md), each row's keys named comm, pid, \
             syscall.",
        ),
        (
            "OVERHEAD",
            "Every system call of the counted tasks runs the trigger: a hash table update in \
             the kernel, no ring buffer, nothing copied to user space until the end. On a \
             system making millions of calls a second that is measurable (a few percent); with \
             -p or a command only those tasks pay for the filter being true. perf-tools' \
             version recorded every call to perf.data in most modes.",
        ),
    ];
    type Args = SyscountArgs;
    type Spec = SyscountSpec;

    fn spec(args: &SyscountArgs) -> Result<SyscountSpec> {
        let scope = match (args.pid, args.duration, args.command.is_empty()) {
            (None, None, true) => Scope::All,
            (Some(p), None, true) => Scope::Pid(p),
            (None, Some(d), true) => Scope::For(d),
            (None, None, false) => Scope::Command(LocalCommand::new(args.command.clone())?),
            _ => {
                return Err(Error::Usage(
                    "pick one of -p PID, -d SECS or a command".into(),
                ))
            }
        };
        Ok(SyscountSpec {
            by_syscall: args.by_syscall,
            pids: args.verbose,
            top: args.top,
            scope,
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![Need::new(
            "syscount",
            All(vec![
                Feature::HistTriggers,
                Feature::Instances,
                Feature::EventPid,
            ]),
        )]
    }

    fn describe(spec: &SyscountSpec) -> String {
        let scope = match &spec.scope {
            Scope::All => "until stopped".to_string(),
            Scope::For(d) => format!("-d {d}"),
            Scope::Pid(p) => format!("-p {p}"),
            Scope::Command(c) => format!("{:?}", c.argv()),
        };
        format!(
            "syscount{} {scope}",
            if spec.by_syscall { " -c" } else { "" }
        )
    }

    fn render_hints(spec: &SyscountSpec) -> super::RenderHints {
        super::RenderHints {
            metrics: true,
            duration: match spec.scope {
                Scope::For(d) => Some(d.duration()),
                _ => None,
            },
            ..Default::default()
        }
    }

    fn run(spec: &SyscountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Count system calls.
#[derive(Debug, Clone, Args)]
pub struct SyscountArgs {
    /// Show counts by syscall name
    #[arg(short = 'c')]
    pub by_syscall: bool,
    /// Verbose: show the PID
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Trace this PID only (its threads and children too)
    #[arg(short = 'p', value_name = "PID")]
    pub pid: Option<Pid>,
    /// Duration of the trace, in seconds
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Show the top NUM rows only
    #[arg(short = 't', value_name = "NUM", value_parser = clap::value_parser!(u32).range(1..))]
    pub top: Option<u32>,
    /// Run this command and count its system calls (and its children's)
    #[arg(value_name = "COMMAND", trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Counts system calls as the Spec says: the trigger, the wait, one `counts` record, and
/// tracefs left as it was found.
pub fn run(spec: &SyscountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let threads = match &spec.scope {
        Scope::Pid(p) => Some(
            crate::tracefs::sys::threads_of(p.get())
                .map_err(|_| Error::Usage(format!("no process with pid {p}")))?,
        ),
        _ => None,
    };
    let tracefs = super::open_tracefs(env)?;
    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let result = counted(&mut session, spec, threads, sink);
    let closed = super::close_session(session);
    result.and(closed)
}

/// The hist trigger's keys and table size for the Spec's columns.
///
/// A process's name is the kernel's `common_pid.execname`, which it takes when the table entry
/// is made. Keyed on the process alone, a program started from a shell would count under the
/// shell's name (its first calls come between fork and exec); keyed on the process and the
/// syscall, each (task, syscall) entry takes the name the task had at its first call of that
/// syscall, so after exec its calls count under the new name and only the few made between
/// fork and exec under the old one. The rows are summed by name here.
fn trigger_keys(spec: &SyscountSpec) -> (&'static [&'static str], usize) {
    match (spec.by_syscall, spec.pids) {
        (true, false) => (&["id.syscall"], 1024),
        _ => (&["common_pid.execname", "id.syscall"], 1 << 15),
    }
}

fn counted(
    session: &mut Session,
    spec: &SyscountSpec,
    threads: Option<Vec<u32>>,
    sink: &mut dyn Sink,
) -> Result<()> {
    session.features().require(Feature::HistTriggers)?;
    if !events::exists(session.tracefs(), SYSTEM, EVENT) {
        return Err(TfError::Missing {
            what: "the raw_syscalls:sys_enter tracepoint".into(),
            config: "CONFIG_FTRACE_SYSCALLS",
        }
        .into());
    }
    let held = match &spec.scope {
        Scope::Command(c) => Some(command::hold(c.argv())?),
        _ => None,
    };
    // Followed by the kernel: the pid list of our instance, with forks added as they happen.
    let followed: Option<Vec<u32>> = match (&threads, &held) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(h)) => Some(vec![h.pid()]),
        (None, None) => None,
    };
    if let Some(pids) = &followed {
        session.features().require(Feature::EventPid)?;
        session.follow_pids(pids, true)?;
    }
    let (keys, size) = trigger_keys(spec);
    let own = crate::tools::own_pid_list();
    let filter: Vec<String> = own
        .split_whitespace()
        .map(|p| format!("common_pid != {p}"))
        .collect();
    let trigger = hist::trigger_command(
        keys,
        &["hitcount"],
        None,
        Some(size),
        Some(&filter.join(" && ")),
    );
    let ev = EventRef::event(SYSTEM, EVENT);
    session.add_instance_trigger(&ev, &trigger)?;
    let hist_file = session.instance_event_file(&ev, "hist")?;

    let top = spec
        .top
        .map(|n| format!(" Top {n} only."))
        .unwrap_or_default();
    let source = "raw_syscalls:sys_enter, counted in the kernel";
    let what = match &spec.scope {
        Scope::All => format!("Tracing ({source}).{top}.. Ctrl-C to end."),
        Scope::For(d) => format!(
            "Tracing for {} ({source}).{top}..",
            super::counted(d, "second")
        ),
        Scope::Pid(p) => format!("Tracing PID {p} ({source}).{top}.. Ctrl-C to end."),
        Scope::Command(c) => format!(
            "Tracing while running: \"{}\" ({source}).{top}..",
            c.argv().join(" ")
        ),
    };
    sink.emit(Record::notice(NoticeLevel::Info, what))?;
    sink.flush()?;
    let mut silence = Silence::new(<Syscount as super::Tool>::describe(spec));
    if let Scope::Pid(p) = spec.scope {
        silence.narrowed(Some(p.get()), None, None);
    }
    let mut watch = Watch::new(sink);
    let begun = Instant::now();
    let stop = session.stop_flag().clone();
    let mut ended = None;
    match (held, spec.scope.clone()) {
        (Some(h), Scope::Command(c)) => {
            let status = h.release()?.wait(&stop)?;
            ended = command::how_it_ended(&c.argv()[0], status);
        }
        (_, Scope::For(d)) => {
            stop.sleep(d.duration());
        }
        (_, Scope::Pid(p)) => {
            // Until Ctrl-C or the process has ended (a zombie its parent has not reaped yet
            // has ended too).
            while !stop.sleep(Duration::from_millis(500))
                && crate::tracefs::sys::process_running(p.get())
            {}
        }
        _ => while !stop.sleep(Duration::from_secs(1)) {},
    }
    let text = {
        let _phase = session.tracefs().phase("read");
        session.tracefs().read(&hist_file)?
    };
    let tables = hist::parse(&text);
    let mut counts = rows(spec, &tables);
    counts.sort_by(|a, b| a.count.cmp(&b.count).then_with(|| a.name.cmp(&b.name)));
    if let Some(n) = spec.top {
        let keep = counts.len().saturating_sub(n as usize);
        counts.drain(..keep);
    }
    watch.emit(Record::Counts(Counts {
        backend: "hist".into(),
        duration_s: begun.elapsed().as_secs_f64(),
        time: crate::tools::engine::count::unix_now(),
        counts,
    }))?;
    let dropped: u64 = tables.iter().map(|t| t.dropped).sum();
    if dropped > 0 {
        let distinct = if spec.by_syscall {
            "processes and syscalls"
        } else {
            "processes"
        };
        watch.emit(Record::notice(
            NoticeLevel::Warning,
            super::table_full(dropped, distinct, size),
        ))?;
    }
    if let Some(e) = ended {
        watch.emit(Record::notice(NoticeLevel::Info, e))?;
    }
    watch.flush()?;
    Ok(watch.finish(&silence)?)
}

/// The table's rows as counts: by process name (summed over its tasks unless `-v`), by
/// syscall, or by both.
fn rows(spec: &SyscountSpec, tables: &[hist::HistTable]) -> Vec<Count> {
    /// (pid with -v, comm unless -c alone, syscall with -c).
    type Key = (Option<u32>, Option<String>, Option<String>);
    let mut sum: HashMap<Key, u64> = HashMap::new();
    for entry in tables.iter().flat_map(|t| &t.entries) {
        let key_of = |name: &str| entry.keys.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let process = match spec.pids || !spec.by_syscall {
            true => match key_of("common_pid").and_then(|v| hist::execname(v)) {
                Some(p) => Some(p),
                None => continue,
            },
            false => None,
        };
        let syscall = match key_of("id").and_then(|v| syscall_of(v)) {
            Some(s) => Some(s).filter(|_| spec.by_syscall),
            None => continue,
        };
        let (comm, pid) = process.unzip();
        let key = (pid.filter(|_| spec.pids), comm, syscall);
        *sum.entry(key).or_insert(0) += entry.hitcount;
    }
    sum.into_iter()
        .map(|((pid, comm, syscall), count)| {
            let mut keys = Vec::new();
            if let Some(p) = pid {
                keys.push(("pid".to_string(), FieldValue::UInt(p.into())));
            }
            if let Some(c) = comm {
                keys.push(("comm".to_string(), FieldValue::Str(c)));
            }
            if let Some(s) = syscall {
                keys.push(("syscall".to_string(), FieldValue::Str(s)));
            }
            let name = keys
                .iter()
                .map(|(_, v)| v.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            Count {
                name,
                count,
                keys: Some(Fields(keys)),
            }
        })
        .collect()
}

/// The syscall's name without `sys_`, or `syscall_N` for a number the kernel's table does not
/// name.
fn syscall_of(printed: &str) -> Option<String> {
    let (name, nr) = hist::syscall(printed)?;
    Some(match name {
        "" | "unknown_syscall" => format!("syscall_{nr}"),
        n => n.strip_prefix("sys_").unwrap_or(n).to_string(),
    })
}

#[cfg(test)]
mod tests;
