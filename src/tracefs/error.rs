//! Typed errors of the tracefs library. Each carries the path and, where the kernel said
//! something, the kernel's own words. Rendering (the `lktrace: error:` line) happens in the CLI.

use std::io;
use std::path::PathBuf;

use super::error_log::ErrorLogEntry;
use super::probe::ProbeError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("tracefs is not mounted and could not be mounted at {path}: {source}")]
    MountFailed { path: PathBuf, source: io::Error },

    #[error("will not mount tracefs at {path}: {reason}")]
    MountRefused { path: PathBuf, reason: String },

    #[error("tracefs was not found (looked in /proc/mounts, /sys/kernel/tracing, /sys/kernel/debug/tracing)")]
    NotFound,

    #[error("{path} is not a tracefs directory")]
    NotTracefs { path: PathBuf },

    #[error("permission denied: {path}")]
    NotRoot { path: PathBuf },

    #[error("the kernel refused {path}: it is locked down ({mode})")]
    Lockdown { path: PathBuf, mode: String },

    #[error("the kernel refused {path} to root: {why}")]
    Refused { path: PathBuf, why: String },

    #[error("kernel.ftrace_enabled is 0: the function tracer and the function profiler would record nothing")]
    FtraceDisabled,

    #[error("{what} is not available in this kernel")]
    Missing {
        what: String,
        /// The CONFIG_ option that provides it.
        config: &'static str,
    },

    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    /// A write the kernel rejected, with its error_log entry when it wrote one: its message
    /// says more than the errno (`Invalid probed address or symbol` rather than ENOENT).
    #[error(
        "the kernel rejected `{written}` in {}: {}",
        path.display(),
        log.as_ref().map_or_else(|| source.to_string(), |l| l.message.clone())
    )]
    Rejected {
        path: PathBuf,
        written: String,
        source: io::Error,
        log: Option<Box<ErrorLogEntry>>,
    },

    #[error(transparent)]
    Probe(#[from] ProbeError),

    #[error("no traceable function matches `{pattern}`")]
    NoMatch { pattern: String },

    #[error("`{name}` is not in available_filter_functions, so it cannot be traced")]
    NotTraceable { name: String },

    #[error("no tracepoint `{name}` in available_events")]
    NoEvent { name: String },

    #[error("will not keep lock files in {path}: {reason}")]
    LockDir { path: PathBuf, reason: String },

    #[error("{what} is in use by {holder}")]
    Busy { what: String, holder: String },

    #[error("unexpected content in {path}: {detail}")]
    Parse { path: PathBuf, detail: String },

    #[error("{0}")]
    Unsupported(String),
}

impl Error {
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        let path = path.into();
        match source.kind() {
            io::ErrorKind::PermissionDenied => Error::NotRoot { path },
            _ => Error::Io { op, path, source },
        }
    }

    /// What to do about it, in the library's words: no command names, no flags (the CLI adds
    /// those where the error reaches it, see `crate::error`).
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NotFound | Error::MountFailed { .. } | Error::MountRefused { .. } => Some(
                "mount it with `mount -t tracefs nodev /sys/kernel/tracing` as root".into(),
            ),
            Error::NotRoot { .. } => Some("tracing needs root: run with sudo".into()),
            Error::Lockdown { .. } => Some(
                "the kernel's lockdown (confidentiality) forbids tracefs and kprobes; boot without lockdown=confidentiality or with Secure Boot off"
                    .into(),
            ),
            Error::Missing { config, .. } => {
                Some(format!("this kernel was built without {config}"))
            }
            Error::NotTraceable { .. } => Some(
                "it may be inlined, notrace, or in a module that is not loaded".into(),
            ),
            Error::NoMatch { .. } => {
                Some("check the pattern against available_filter_functions".into())
            }
            Error::Busy { .. } => Some("wait for it to finish".into()),
            Error::Refused { .. } => Some(
                "lockdown is not the reason: look for a security policy (a BPF LSM program, AppArmor, SELinux, landlock) or a sandbox that denies tracefs files"
                    .into(),
            ),
            Error::FtraceDisabled => Some(
                "turn it on with `sysctl kernel.ftrace_enabled=1`; this system-wide switch is left to you"
                    .into(),
            ),
            Error::LockDir { path, .. } => Some(format!(
                "it must be a directory owned by this user with mode 0700; remove {} and run again",
                path.display()
            )),
            Error::Rejected { log: None, .. } => {
                Some("`dmesg` may say more".into())
            }
            _ => None,
        }
    }

    /// The errno of a failed write, for callers that branch on it.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } | Error::Rejected { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}
