//! One module per tool. Each has a plain `Spec` (serde: it is what travels to a remote agent),
//! clap `Args` converted once into that Spec, and a `run` that drives a tracefs Session and
//! emits Records into a Sink.

pub mod ctl;
pub mod funccount;
pub mod kprobe;
pub mod parse;
pub mod stream;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::record::Sink;
use crate::tracefs::stop::StopFlag;
use crate::Result;

/// A complete, validated request for one tool: the unit the remote protocol carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "tool", rename_all = "snake_case")]
pub enum Spec {
    Funccount(funccount::FunccountSpec),
    Kprobe(kprobe::KprobeSpec),
    Ctl(ctl::CtlSpec),
}

/// What a run needs from where it runs, beyond its Spec.
#[derive(Debug, Clone, Default)]
pub struct RunEnv {
    /// `--tracefs DIR` / `LKTRACE_TRACEFS`.
    pub tracefs: Option<PathBuf>,
    /// Set to stop the run early (Ctrl-C, a remote stop, a lease that expired).
    pub stop: StopFlag,
}

/// Runs a Spec here, on this kernel. The agent calls exactly this.
pub fn run(spec: &Spec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    match spec {
        Spec::Funccount(s) => funccount::run(s, env, sink),
        Spec::Kprobe(s) => kprobe::run(s, env, sink),
        Spec::Ctl(s) => ctl::run(s, env, sink),
    }
}

/// Opens tracefs the way every tool does.
#[cfg(target_os = "linux")]
pub(crate) fn open_tracefs(env: &RunEnv) -> Result<crate::tracefs::Tracefs> {
    Ok(crate::tracefs::mount::Discover::from_env(env.tracefs.clone()).find()?)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn open_tracefs(_env: &RunEnv) -> Result<crate::tracefs::Tracefs> {
    Err(crate::Error::Usage(
        "tracing runs on Linux only; use --remote HOST to trace a Linux machine from here".into(),
    ))
}

/// Tells the user what a new session cleaned up after dead runs.
pub(crate) fn report_reaped(session: &crate::tracefs::Session, sink: &mut dyn Sink) -> Result<()> {
    for r in session.reaped() {
        sink.emit(crate::record::Record::notice(
            crate::record::NoticeLevel::Warning,
            format!("removed what a dead lktrace run left: {r}"),
        ))?;
    }
    Ok(())
}

/// This process and the calling thread, as a tracefs pid list (`set_*_notrace_pid` take
/// kernel task ids: in the agent a run is a thread, not the process).
pub(crate) fn own_pid_list() -> String {
    let pid = std::process::id();
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u32;
        if tid != pid {
            return format!("{pid} {tid}\n");
        }
    }
    format!("{pid}\n")
}
