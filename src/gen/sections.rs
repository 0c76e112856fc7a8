//! The man page sections every page shares, written once: EXIT STATUS, ENVIRONMENT, FILES and
//! SEE ALSO, each with what applies to the page's command (a tool that touches the kernel, a
//! client of agents, the agent).

use clap::Command;

use crate::exit_codes;

/// What a page's command reaches, read off its arguments.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    /// It works on a kernel's tracefs (`--tracefs`).
    pub kernel: bool,
    /// It can be a client of agents (`--remote`).
    pub client: bool,
    /// It is the agent.
    pub agent: bool,
}

impl Reach {
    /// `whole` is the top page (`lktrace`), which speaks for every command.
    pub fn of(cmd: &Command, whole: bool) -> Reach {
        if whole {
            return Reach {
                kernel: true,
                client: true,
                agent: true,
            };
        }
        let has = |id: &str| cmd.get_arguments().any(|a| a.get_id().as_str() == id);
        Reach {
            kernel: has("tracefs"),
            client: has("remote"),
            agent: cmd.get_name().ends_with("agent"),
        }
    }
}

/// A term and what it means: a `.TP` paragraph.
pub type Item = (String, String);

/// EXIT STATUS, ENVIRONMENT and FILES, as (title, items).
pub fn common(reach: &Reach) -> Vec<(&'static str, Vec<Item>)> {
    let out = vec![
        ("EXIT STATUS", exit_status()),
        ("ENVIRONMENT", environment(reach)),
        ("FILES", files(reach)),
    ];
    out.into_iter()
        .filter(|(_, items)| !items.is_empty())
        .collect()
}

fn exit_status() -> Vec<Item> {
    vec![
        (
            exit_codes::OK.to_string(),
            "The run did what was asked, also when the reader of its output went away (as \
             with | head)."
                .into(),
        ),
        (
            exit_codes::ERROR.to_string(),
            "It failed: one line on stderr says what, and usually what to do. Whatever it had \
             changed in tracefs has been put back."
                .into(),
        ),
        (
            exit_codes::USAGE.to_string(),
            "The command line was wrong: one line names the argument.".into(),
        ),
        (
            exit_codes::INTERRUPTED.to_string(),
            "Ctrl-C (SIGINT): what was gathered is printed, tracefs is put back, and the \
             process ends killed by SIGINT, as a shell loop around it expects (the shell \
             reports 130)."
                .into(),
        ),
    ]
}

fn environment(reach: &Reach) -> Vec<Item> {
    let mut items = Vec::new();
    let mut add = |term: &str, text: &str| items.push((term.to_string(), text.to_string()));
    if reach.kernel {
        add(
            "LKTRACE_TRACEFS",
            "The tracefs directory to use, as --tracefs (default: where /proc/mounts says \
             tracefs is, else /sys/kernel/tracing, mounted when absent).",
        );
        add(
            "LKTRACE_LOCK_DIR",
            "The directory for lock files and journals instead of /run/lktrace. As root it \
             must be a directory owned by root that nobody else can write; meant for tests.",
        );
    }
    if reach.client {
        add("LKTRACE_REMOTE", "The agents to run on, as --remote.");
    }
    if reach.client || reach.agent {
        add(
            "LKTRACE_CONFIG",
            "The client's config file instead of $XDG_CONFIG_HOME/lktrace/config.toml \
             (XDG_CONFIG_HOME defaults to ~/.config).",
        );
    }
    items
}

fn files(reach: &Reach) -> Vec<Item> {
    let mut items = Vec::new();
    let mut add = |term: &str, text: &str| items.push((term.to_string(), text.to_string()));
    if reach.kernel {
        add(
            "/sys/kernel/tracing",
            "tracefs, the kernel's tracing files (on older systems /sys/kernel/debug/tracing). \
             lktrace works in an instance of its own (instances/lktrace_PID) where the kernel \
             allows, and puts its probes in a group of its own (lkt_PID).",
        );
        add(
            "/run/lktrace",
            "Locks and journals (mode 0700, root's). A journal holds the value of every global \
             tracing file a run changed, written before the change; if a run is killed, the \
             next run (or lktrace ctl reset) puts those values back and removes the run's \
             probes and instance.",
        );
        add(
            crate::tracefs::ftrace_lock::PERF_TOOLS_LOCK,
            "perf-tools' lock file. perf-tools' tools refuse to run while it exists; lktrace \
             creates it (never following a link) for as long as it changes tracefs, so the two \
             never work at the same time, and refuses to start while a perf-tools tool holds \
             it. Runs of lktrace share it among themselves.",
        );
    }
    if reach.client {
        add(
            "~/.config/lktrace/config.toml",
            "Named remotes and the default key file.",
        );
        add(
            "~/.config/lktrace/key",
            "The key shared with the agents (mode 0600).",
        );
    }
    if reach.agent {
        add(
            "/etc/lktrace/agent.toml",
            "The agent's settings (listen, key_file, max_runs, lease_secs), read when it exists \
             or named by --config; a flag on the command line wins. An unknown key is an \
             error. It must be owned by root and writable by nobody else.",
        );
        add(
            "/etc/lktrace/agent.key",
            "The agent's key (--key-file), made by lktrace ctl keygen; it must not be readable \
             by group or others.",
        );
    }
    items
}

/// SEE ALSO of the page of `tool` (`funccount`, `ctl-status`, `lktrace`); `own` is the tool's
/// name when it is one of the list.
pub fn see_also(tool: &str, own: Option<&str>) -> String {
    let mut refs: Vec<String> = Vec::new();
    if tool != "lktrace" {
        refs.push("lktrace(1)".into());
    }
    if own.is_some() && tool != "ctl" {
        refs.push("lktrace-ctl(1)".into());
    }
    for t in crate::tools::TOOLS.iter() {
        if Some(t.name()) != own && t.man_section() == "8" {
            refs.push(format!("lktrace-{}({})", t.name(), t.man_section()));
        }
    }
    format!(
        "{}.\n\n\
         The kernel's Documentation/trace/ (ftrace.rst, kprobetrace.rst, uprobetracer.rst, \
         events.rst, histogram.rst). Brendan Gregg's perf-tools \
         (https://github.com/brendangregg/perf-tools) and bcc, whose tools these follow.",
        refs.join(", ")
    )
}
