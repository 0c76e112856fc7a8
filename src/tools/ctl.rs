//! ctl: what tracefs holds (`status`), what this kernel can run (`check`), and cleaning up
//! (`reset`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Requires, RunEnv};
use crate::record::{
    BufferStatus, Check, CheckItem, DynamicEventStatus, InstanceStatus, Owner, Record, Reset, Sink,
    Status,
};
use crate::tracefs::features::{Feature, Features};
use crate::tracefs::stale::{Liveness, SessionId, INSTANCE_PREFIX};
use crate::tracefs::{
    buffer, dynamic_events, events, ftrace_filter, session, sys, Error as TfError, Tracefs,
};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CtlSpec {
    Status,
    Check,
    /// Remove what dead lktrace runs left; with `all`, what perf-tools' reset-ftrace does.
    Reset {
        all: bool,
    },
}

/// `lktrace ctl SUBCOMMAND`. The CLI adds the subcommands that never reach a kernel (`ping`,
/// `keygen`: they belong to the remote layer).
#[derive(Debug, Clone, clap::Args)]
pub struct CtlArgs {
    #[command(subcommand)]
    pub command: CtlCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum CtlCommand {
    /// Tracers, enabled events, dynamic events and instances, and who owns them
    Status,
    /// Which tools and backends this kernel can run, and why not
    Check,
    /// Remove what dead lktrace runs left behind
    Reset {
        /// Reset all of ftrace, like perf-tools' reset-ftrace
        #[arg(long)]
        all: bool,
    },
}

/// The ctl tool.
pub struct Ctl;

impl super::Tool for Ctl {
    const NAME: &'static str = "ctl";
    const ABOUT: &'static str = "Inspect and clean tracefs";
    const DESCRIPTION: &'static str =
        "ctl looks at and cleans up the kernel's tracing state. ctl status shows what is in use \
         in tracefs (tracers, instances, probes, triggers, filters), ours and others'. ctl check \
         says what this kernel offers each tool, from the files each needs. ctl reset removes \
         what a killed lktrace run left behind and puts back what it changed (with --all, \
         everything to the kernel's defaults). ctl keygen writes a key for the remote agent, and \
         ctl ping checks agents.";
    const RECORDS: &'static [&'static str] = &["status", "check", "reset", "ping"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("lktrace ctl status", "what tracefs holds now, and who owns it"),
        ("lktrace ctl check", "what this kernel can run, and why not"),
        ("lktrace ctl reset", "remove what killed runs left behind"),
        ("lktrace ctl reset --all", "reset all of ftrace (perf-tools reset-ftrace)"),
    ];
    const SCENARIOS: &'static [&'static str] =
        &["ctl_status", "ctl_check", "ctl_reset", "reset_all"];
    type Args = CtlArgs;
    type Spec = CtlSpec;

    fn spec(args: &CtlArgs) -> Result<CtlSpec> {
        Ok(match args.command {
            CtlCommand::Status => CtlSpec::Status,
            CtlCommand::Check => CtlSpec::Check,
            CtlCommand::Reset { all } => CtlSpec::Reset { all },
        })
    }

    fn needs() -> Vec<super::Need> {
        vec![super::Need::new(
            "ctl status / reset",
            super::Requires::Tracefs,
        )]
    }

    fn describe(spec: &CtlSpec) -> String {
        format!("ctl {spec:?}").to_lowercase()
    }

    fn run(spec: &CtlSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

pub fn run(spec: &CtlSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    match spec {
        CtlSpec::Status => {
            let t = super::open_tracefs(env)?;
            sink.emit(Record::Status(status(&t)?))?;
        }
        CtlSpec::Check => {
            let check = check(env);
            if crate::tracefs::security::security().mounted_privately {
                sink.emit(Record::notice(
                    crate::record::NoticeLevel::Info,
                    "securityfs was not mounted: the lockdown mode was read through a private read-only mount, removed again",
                ))?;
            }
            sink.emit(Record::Check(check))?
        }
        CtlSpec::Reset { all } => {
            let t = super::open_tracefs(env)?;
            let reset = if *all {
                reset_all(&t)?
            } else {
                Reset {
                    removed: session::reap_dead(&t),
                    reset: Vec::new(),
                }
            };
            sink.emit(Record::Reset(reset))?;
        }
    }
    Ok(sink.flush()?)
}

fn owner(id: Option<SessionId>) -> Owner {
    match id {
        None => Owner::Other,
        Some(id) => match id.liveness() {
            Liveness::Alive => Owner::Live { pid: id.pid },
            Liveness::Dead => Owner::Dead { pid: id.pid },
        },
    }
}

/// A snapshot of tracefs, with each dynamic event and instance attributed to its owner.
pub fn status(t: &Tracefs) -> Result<Status> {
    let current_tracer = t.read_value("current_tracer")?;
    let tracing_on = t
        .read_value("tracing_on")
        .map(|v| v == "1")
        .unwrap_or(false);
    // Lockdown or a security module may refuse these; status still shows the rest, and says
    // which it could not read (an empty filter would read as "all functions").
    let mut unreadable = Vec::new();
    let ftrace_filter = match t.read("set_ftrace_filter") {
        Ok(s) => ftrace_filter::parse_filter(&s),
        Err(e) => {
            if !matches!(&e, TfError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound) {
                unreadable.push(format!("set_ftrace_filter: {e}"));
            }
            Vec::new()
        }
    };
    let function_profile_enabled = t
        .exists("function_profile_enabled")
        .then(|| t.read_value("function_profile_enabled").ok())
        .flatten()
        .map(|v| v == "1");
    let enabled_events = events::enabled(t, Path::new("")).unwrap_or_default();
    let dynamic_events = dynamic_events::list_all(t)
        .into_iter()
        .map(|l| DynamicEventStatus {
            owner: owner(SessionId::from_group(&l.group)),
            definition: l.definition,
            group: l.group,
            event: l.event,
        })
        .collect();
    let instances = t
        .list_dir("instances")
        .unwrap_or_default()
        .into_iter()
        .map(|name| InstanceStatus {
            current_tracer: t
                .read_value(format!("instances/{name}/current_tracer"))
                .unwrap_or_else(|_| "?".into()),
            owner: owner(SessionId::from_instance(&name)),
            name,
        })
        .collect();
    Ok(Status {
        tracefs: t.root().display().to_string(),
        current_tracer,
        tracing_on,
        ftrace_filter,
        function_profile_enabled,
        enabled_events,
        dynamic_events,
        instances,
        buffer: buffer::top(t).ok().flatten().map(|b| BufferStatus {
            per_cpu_kb: b.per_cpu.kb,
            total_kb: b.total.map(|t| t.kb),
            expanded: b.per_cpu.is_expanded(),
            expands_to_kb: b.per_cpu.expands_to,
        }),
        unreadable,
    })
}

/// What this kernel can run, and for what is missing, why and what to do.
pub fn check(env: &RunEnv) -> Check {
    let root = sys::is_root();
    let found = crate::tracefs::mount::Discover {
        override_dir: env.tracefs.clone().filter(|d| !d.as_os_str().is_empty()),
        mount_if_missing: root,
    }
    .find();
    let lockdown = crate::tracefs::features::lockdown_mode();
    let (tracefs, features) = match &found {
        Ok(t) => (
            Some(t.root().display().to_string()),
            Some(Features::detect(t)),
        ),
        Err(_) => (None, None),
    };
    let reason_for = |f: Feature| -> Option<String> {
        let Some(features) = &features else {
            return Some(match &found {
                Err(e) => format!("{e}"),
                Ok(_) => "tracefs unavailable".into(),
            });
        };
        if !features.has(f) {
            return Some(match f.config() {
                // A version, not an option: "lacks Linux 5.2+" says nothing.
                v if v.starts_with("Linux ") => format!("needs {v}"),
                config => format!("the kernel lacks {config}"),
            });
        }
        if !root {
            return Some("needs root".into());
        }
        // Tried, not inferred from CONFIG: lockdown, a security module or a sandbox may refuse
        // the files while the kernel has them (the build machines: EPERM as root on
        // set_ftrace_filter under lockdown integrity).
        match (&found, probe_files(f)) {
            // Only a refusal counts: a file this kernel names otherwise is not one.
            (Ok(t), files) => files.iter().find_map(|(file, write)| {
                match t.try_access(file, *write) {
                    Err(
                        e @ (TfError::Lockdown { .. }
                        | TfError::Refused { .. }
                        | TfError::NotRoot { .. }),
                    ) => Some(e.to_string()),
                    _ => None,
                }
            }),
            (Err(_), _) => None,
        }
    };
    let item = |name: &str, reason: Option<String>| CheckItem {
        name: name.to_string(),
        ok: reason.is_none(),
        reason,
    };
    let feature_items: Vec<CheckItem> = Feature::ALL
        .iter()
        .map(|&f| item(f.name(), reason_for(f)))
        .collect();
    let first = |fs: &[Feature]| fs.iter().find_map(|&f| reason_for(f));
    let any_of = |fs: &[Feature]| -> Option<String> {
        if fs.iter().any(|&f| reason_for(f).is_none()) {
            None
        } else {
            first(fs)
        }
    };
    let tracefs_reason = if tracefs.is_some() && root {
        None
    } else if tracefs.is_none() {
        Some("tracefs not found".to_string())
    } else {
        Some("needs root".to_string())
    };
    let reason = |r: &Requires| -> Option<String> {
        match r {
            Requires::All(fs) => first(fs),
            Requires::Any(fs) => any_of(fs),
            Requires::Tracefs => tracefs_reason.clone(),
            Requires::Nothing => None,
        }
    };
    let mut tools: Vec<CheckItem> = super::TOOLS
        .iter()
        .flat_map(|t| t.needs())
        .map(|n| item(&n.label, reason(&n.requires)))
        .collect();
    // Not a tool: it runs tools for others, and needs what they need.
    tools.push(item("agent", None));
    Check {
        kernel_release: crate::tracefs::features::kernel_release(),
        arch: crate::tracefs::features::machine(),
        root,
        tracefs,
        lockdown,
        features: feature_items,
        tools,
    }
}

/// The files a tool needs for `f`, each with whether it writes them: what `ctl check` opens to
/// say a feature works (opened and closed, nothing read or written).
fn probe_files(f: Feature) -> &'static [(&'static str, bool)] {
    match f {
        Feature::Kprobes => &[("kprobe_events", true)],
        Feature::Uprobes => &[("uprobe_events", true)],
        Feature::DynamicEvents => &[("dynamic_events", true)],
        Feature::FunctionTracer => &[
            ("available_filter_functions", false),
            ("set_ftrace_filter", true),
            ("current_tracer", true),
        ],
        Feature::FunctionGraph => &[("set_graph_function", true), ("current_tracer", true)],
        Feature::FunctionProfiler => &[
            ("function_profile_enabled", true),
            ("set_ftrace_filter", true),
        ],
        Feature::ErrorLog => &[("error_log", false)],
        Feature::NotracePid => &[("set_ftrace_notrace_pid", true)],
        Feature::EventPid => &[("set_event_pid", true)],
        _ => &[],
    }
}

/// perf-tools' reset-ftrace, plus our own leftovers: tracer off, filters empty, every event
/// disabled, every kprobe and uprobe removed, profiler off, our instances removed. Refuses
/// while a live lktrace run is using tracefs. Says what it did: what it removed, and each
/// setting it changed with its old value (a setting already at its default is left alone).
fn reset_all(t: &Tracefs) -> Result<Reset> {
    let live: Vec<String> = session::owned(t)
        .into_iter()
        .filter(|(_, l)| *l == Liveness::Alive)
        .map(|(id, _)| id.pid.to_string())
        .collect();
    if !live.is_empty() {
        return Err(TfError::Busy {
            what: "tracefs".into(),
            holder: format!("running lktrace (pid {})", live.join(", ")),
        }
        .into());
    }
    let mut removed = session::reap_dead(t);
    let mut reset = Vec::new();
    // Ok(true): done; Ok(false): this kernel lacks the file, nothing to reset.
    let step = |r: crate::tracefs::Result<()>| -> Result<bool> {
        match r {
            Ok(()) => Ok(true),
            // A file this kernel lacks is nothing to reset.
            Err(TfError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(false)
            }
            Err(e) => Err(Error::from(e)),
        }
    };
    for (file, default) in [
        ("tracing_on", "1"),
        ("current_tracer", "nop"),
        ("function_profile_enabled", "0"),
    ] {
        if !t.exists(file) {
            continue;
        }
        let old = t.read_value(file).ok();
        if old.as_deref() == Some(default) {
            continue;
        }
        if step(t.write(file, default))? {
            reset.push(match old {
                Some(old) => format!("{file} set back to {default} (was {old})"),
                None => format!("{file} set to {default}"),
            });
        }
    }
    for f in [
        "set_ftrace_filter",
        "set_ftrace_notrace",
        "set_graph_function",
        "set_graph_notrace",
        "set_ftrace_pid",
        "set_event_pid",
    ] {
        if t.exists(f) && step(t.truncate(f))? {
            reset.push(format!("{f} emptied"));
        }
    }
    if step(t.write("events/enable", "0"))? {
        reset.push("every event disabled".into());
    }
    for inst in t.list_dir("instances").unwrap_or_default() {
        if inst.starts_with(INSTANCE_PREFIX) {
            if step(crate::tracefs::instance::Instance::named(inst.clone()).remove(t))? {
                removed.push(format!("instance {inst}"));
            }
        } else {
            let _ = t.write(format!("instances/{inst}/events/enable"), "0");
        }
    }
    // O_TRUNC on these removes every probe (EBUSY while one is enabled: all are disabled now).
    for (f, what) in [("kprobe_events", "every kprobe"), ("uprobe_events", "every uprobe")] {
        if t.exists(f) && step(t.truncate(f))? {
            removed.push(what.into());
        }
    }
    if step(t.truncate("trace"))? {
        reset.push("trace buffer cleared".into());
    }
    Ok(Reset { removed, reset })
}
