//! kprobe: trace a kernel function's entry or return with arguments, as perf-tools' kprobe.
//!
//! `kprobe [-FhHsv] [-d secs] [-p PID] [-L TID] definition [filter]`

use clap::Args;
use serde::{Deserialize, Serialize};

use super::RunEnv;
use crate::record::Sink;
use crate::Result;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KprobeSpec {
    /// `p:[name] func [args]` / `r:[name] func [args]`, perf-tools style.
    pub definition: String,
    /// An event filter expression (`filename ~ "*.conf"`).
    pub filter: Option<String>,
    /// Buffer for this many seconds, then print (`-d`); otherwise stream until Ctrl-C.
    pub duration_s: Option<f64>,
    /// Every thread of this process (`-p`).
    pub pid: Option<u32>,
    /// This one thread (`-L`).
    pub tid: Option<u32>,
    /// Kernel stack trace with each event (`-s`).
    pub stacks: bool,
    /// Print the event's format and exit (`-v`).
    pub format_only: bool,
    /// Skip the available_filter_functions check (`-F`).
    pub skip_check: bool,
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
    pub duration: Option<f64>,
    /// Trace every thread of this process
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<u32>,
    /// Trace this thread only
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<u32>,
    /// p:[NAME] FUNC [ARGS] or r:[NAME] FUNC [ARGS], e.g. 'p:myopen do_sys_openat2 filename=+0(%si):string'
    pub definition: String,
    /// Event filter, e.g. 'filename ~ "*.conf"'
    pub filter: Option<String>,
}

impl KprobeArgs {
    pub fn to_spec(&self) -> Result<KprobeSpec> {
        if let Some(d) = self.duration {
            if !(d > 0.0 && d.is_finite()) {
                return Err(crate::Error::Usage("-d needs a positive number of seconds".into()));
            }
        }
        Ok(KprobeSpec {
            definition: self.definition.clone(),
            filter: self.filter.clone(),
            duration_s: self.duration,
            pid: self.pid,
            tid: self.tid,
            stacks: self.stacks,
            format_only: self.view_format,
            skip_check: self.force,
        })
    }
}

pub fn run(_spec: &KprobeSpec, _env: &RunEnv, _sink: &mut dyn Sink) -> Result<()> {
    Err(crate::Error::Other("kprobe: not yet implemented".into()))
}
