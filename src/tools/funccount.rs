//! funccount: count kernel function calls matching a glob, in the kernel where possible.
//!
//! `funccount [-hT] [-i secs] [-d secs] [-t top] pattern`, as in perf-tools, with globs anywhere
//! in the pattern and a choice of backend (DESIGN.md section 4).

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::RunEnv;
use crate::record::Sink;
use crate::Result;

/// Where the counting happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// The function profiler: per-CPU counters in the kernel (CONFIG_FUNCTION_PROFILER).
    Profiler,
    /// One kprobe per function, hits read from kprobe_profile; nothing streamed.
    KprobeProfile,
    /// The function tracer in a private instance; trace_pipe lines counted here.
    FunctionTrace,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Profiler => "profiler",
            Backend::KprobeProfile => "kprobe_profile",
            Backend::FunctionTrace => "function_trace",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunccountSpec {
    pub pattern: String,
    /// Stop after this many seconds (`-d`); otherwise at Ctrl-C.
    pub duration_s: Option<f64>,
    /// Print a table every this many seconds (`-i`).
    pub interval_s: Option<f64>,
    /// Show only the top N functions (`-t`).
    pub top: Option<usize>,
    /// Forced backend (`--backend`); chosen automatically when `None`.
    pub backend: Option<Backend>,
    /// The most kprobes the kprobe_profile backend may create.
    pub max_probes: usize,
}

/// Count kernel function calls.
#[derive(Debug, Clone, Args)]
pub struct FunccountArgs {
    /// Print a timestamp with each table (-T)
    #[arg(short = 'T')]
    pub timestamps: bool,
    /// Print a table every SECS seconds
    #[arg(short = 'i', value_name = "SECS")]
    pub interval: Option<f64>,
    /// Trace for SECS seconds, then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<f64>,
    /// Show only the top N functions
    #[arg(short = 't', value_name = "N")]
    pub top: Option<usize>,
    /// Where to count (default: the best this kernel has)
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Most kprobes the kprobe-profile backend may create
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_probes: usize,
    /// Function glob: vfs_*, *_read, tcp_*send*, vfs_[rw]*
    pub pattern: String,
}

impl FunccountArgs {
    pub fn to_spec(&self) -> Result<FunccountSpec> {
        for (name, v) in [("-i", self.interval), ("-d", self.duration)] {
            if let Some(v) = v {
                if !(v > 0.0 && v.is_finite()) {
                    return Err(crate::Error::Usage(format!("{name} needs a positive number of seconds")));
                }
            }
        }
        if self.top == Some(0) {
            return Err(crate::Error::Usage("-t needs a number above 0".into()));
        }
        if self.pattern.trim().is_empty() || self.pattern.contains(char::is_whitespace) {
            return Err(crate::Error::Usage("the pattern must be one glob without spaces".into()));
        }
        Ok(FunccountSpec {
            pattern: self.pattern.clone(),
            duration_s: self.duration,
            interval_s: self.interval,
            top: self.top,
            backend: self.backend,
            max_probes: self.max_probes,
        })
    }
}

pub fn run(_spec: &FunccountSpec, _env: &RunEnv, _sink: &mut dyn Sink) -> Result<()> {
    Err(crate::Error::Other("funccount: not yet implemented".into()))
}
