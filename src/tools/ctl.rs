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
        CtlSpec::Check => sink.emit(Record::Check(check(env)))?,
        CtlSpec::Reset { all } => {
            let t = super::open_tracefs(env)?;
            let removed = if *all {
                reset_all(&t)?
            } else {
                session::reap_dead(&t)
            };
            sink.emit(Record::Reset(Reset {
                removed,
            }))?;
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
    // Under lockdown these are unreadable; status still shows the rest.
    let ftrace_filter = t
        .read("set_ftrace_filter")
        .map(|s| ftrace_filter::parse_filter(&s))
        .unwrap_or_default();
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
    let locked = lockdown.as_deref() == Some("confidentiality");
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
            return Some(format!("the kernel lacks {}", f.config()));
        }
        // Lockdown leaves the files in place but refuses to open them.
        let blocked_by_lockdown = matches!(
            f,
            Feature::Kprobes
                | Feature::Uprobes
                | Feature::FunctionTracer
                | Feature::FunctionGraph
                | Feature::FunctionProfiler
        );
        if locked && blocked_by_lockdown {
            return Some("kernel lockdown (confidentiality) forbids it".into());
        }
        if !root {
            return Some("needs root".into());
        }
        None
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

/// perf-tools' reset-ftrace, plus our own leftovers: tracer off, filters empty, every event
/// disabled, every kprobe and uprobe removed, profiler off, our instances removed. Refuses
/// while a live lktrace run is using tracefs.
fn reset_all(t: &Tracefs) -> Result<Vec<String>> {
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
    let mut done = session::reap_dead(t);
    let mut step = |what: &str, r: crate::tracefs::Result<()>| -> Result<()> {
        match r {
            Ok(()) => {
                done.push(what.to_string());
                Ok(())
            }
            Err(e @ TfError::Lockdown { .. }) | Err(e @ TfError::NotRoot { .. }) => {
                Err(Error::from(e))
            }
            // A file this kernel lacks is nothing to reset.
            Err(TfError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(())
            }
            Err(e) => Err(Error::from(e)),
        }
    };
    step("tracing_on = 1", t.write("tracing_on", "1"))?;
    step("current_tracer = nop", t.write("current_tracer", "nop"))?;
    if t.exists("function_profile_enabled") {
        step(
            "function_profile_enabled = 0",
            t.write("function_profile_enabled", "0"),
        )?;
    }
    for f in [
        "set_ftrace_filter",
        "set_ftrace_notrace",
        "set_graph_function",
        "set_graph_notrace",
        "set_ftrace_pid",
        "set_event_pid",
    ] {
        if t.exists(f) {
            step(&format!("{f} emptied"), t.truncate(f))?;
        }
    }
    step("every event disabled", t.write("events/enable", "0"))?;
    for inst in t.list_dir("instances").unwrap_or_default() {
        if inst.starts_with(INSTANCE_PREFIX) {
            step(
                &format!("instance {inst} removed"),
                crate::tracefs::instance::Instance::named(inst.clone()).remove(t),
            )?;
        } else {
            let _ = t.write(format!("instances/{inst}/events/enable"), "0");
        }
    }
    // O_TRUNC on these removes every probe (EBUSY while one is enabled: all are disabled now).
    for f in ["kprobe_events", "uprobe_events"] {
        if t.exists(f) {
            step(&format!("{f} emptied"), t.truncate(f))?;
        }
    }
    step("trace buffer cleared", t.truncate("trace"))?;
    Ok(done)
}
