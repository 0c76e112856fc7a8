//! The remote mode: `lktrace agent` on the target, `--remote HOST` on any tool.
//! docs/protocol.md describes the protocol; each file here owns one layer of it:
//!
//! - [`wire`]: header and payload encoding (the only code that parses untrusted bytes).
//! - [`keyfile`]: the pre-shared key and the checks on its file.
//! - [`crypto`]: sealing with a session's keys, the replay window, cookies.
//! - [`handshake`]: Hello / Cookie, then the Noise handshake (Auth / Accept), or Refused.
//! - [`front`]: the agent's front door: cheap checks, cookie, tokens, then the handshake.
//! - [`limits`]: the front door's token buckets per address prefix.
//! - [`reliable`]: acks, retransmission, fragments, ordered delivery, loss accounting.
//! - [`msg`]: the messages (Spec, Records, Stop, Ping) inside the stream.
//! - [`batch`]: records agent → client: binary, many per message, strings interned.
//! - [`agent`]: the socket loop, runs, leases, limits.
//! - [`client`]: running a Spec on one or several agents, `ctl ping`.
//! - [`config`]: `config.toml` and `HOST[:PORT]` targets.
//! - [`args`]: the clap arguments the CLI flattens in.

pub mod agent;
pub mod agent_config;
pub mod args;
pub mod batch;
pub mod client;
pub mod config;
pub mod crypto;
pub mod front;
pub mod handshake;
pub mod keyfile;
pub mod limits;
pub mod msg;
pub mod reliable;
pub mod wire;

use std::path::PathBuf;

/// The original tool's port.
pub const DEFAULT_PORT: u16 = 34023;

/// What can go wrong on this side of the remote path, before or while talking to an agent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read key file {path}: {source}")]
    KeyIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key file {path} can be read by group or others (mode {mode:03o})")]
    KeyPermissions { path: PathBuf, mode: u32 },
    #[error("{path} is not a key file (64 hex digits, as `lktrace ctl keygen` writes)")]
    KeyFormat { path: PathBuf },
    #[error("key file {path} is {what}")]
    KeyNotRegular { path: PathBuf, what: &'static str },
    #[error("key file {path} belongs to uid {owner}, not to this user or root")]
    KeyOwner { path: PathBuf, owner: u32 },
    #[error("key file {path} holds a key whose bytes are all the same: not a secret")]
    KeyWeak { path: PathBuf },
    #[error("key file {path} exists already; not overwriting it")]
    KeyExists { path: PathBuf },
    #[error("no key file for this remote")]
    NoKey,
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    #[error("config file {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("bad remote {target:?}: {reason}")]
    Target { target: String, reason: String },
    #[error("bad --listen address {addr:?}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("cannot resolve {target}: {source}")]
    Resolve {
        target: String,
        source: std::io::Error,
    },
    #[error("{op}: {source}")]
    Socket {
        op: &'static str,
        source: std::io::Error,
    },
    #[error("no answer from {addr}")]
    NoAnswer { addr: String },
    #[error("the agent at {addr} did not accept our key")]
    AuthFailed { addr: String },
    #[error("the agent at {addr} {}", reason_text(*.reason))]
    Refused {
        addr: String,
        reason: wire::RefuseReason,
    },
    #[error("handshake: {0}")]
    Handshake(String),
    #[error("the agent speaks protocol version {theirs}, this lktrace speaks {ours}")]
    Version { theirs: u8, ours: u8 },
    #[error("the agent stopped answering")]
    Silent,
    #[error("the agent broke the protocol: {0}")]
    Protocol(String),
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::KeyPermissions { path, .. } => format!("chmod 600 {}", path.display()),
            Error::KeyNotRegular { .. } => {
                "name the key file itself: a regular file, not a link, FIFO or device".into()
            }
            Error::KeyOwner { path, .. } => {
                format!("chown the key file to this user (or root): {}", path.display())
            }
            Error::KeyWeak { .. } => "make a real key with `lktrace ctl keygen PATH`".into(),
            Error::KeyIo { .. } | Error::NoKey => {
                "make one with `lktrace ctl keygen PATH`, copy it to the agent, and pass --key-file PATH \
                 (or name it as key_file for this remote in the config file)"
                    .into()
            }
            Error::NoAnswer { .. } => {
                "is `lktrace agent --listen ADDR` running there (it listens on 127.0.0.1 unless told), \
                 and does a firewall pass UDP to it?"
                    .into()
            }
            Error::AuthFailed { .. } => "client and agent must use the same key file".into(),
            Error::Refused { reason, .. } => match reason {
                wire::RefuseReason::RateLimited => "wait a moment and try again".into(),
                wire::RefuseReason::ShuttingDown => "start the agent again".into(),
                _ => "wait for other clients to finish, or raise the agent's limits".into(),
            },
            Error::Version { .. } => "run the same lktrace version on both sides".into(),
            Error::Silent => "the network or the agent went away; the agent stops the run when its lease expires".into(),
            _ => return None,
        })
    }

    /// As the crate's error, attributed to `host` (a remote, or `agent` for the agent itself).
    pub fn into_crate(self, host: &str) -> crate::Error {
        crate::Error::Remote(Box::new(crate::error::RemoteError {
            host: host.to_string(),
            message: self.to_string(),
            hint: self.hint(),
            detail: None,
        }))
    }
}

fn reason_text(r: wire::RefuseReason) -> &'static str {
    match r {
        wire::RefuseReason::Full => "is busy: it has as many sessions as it takes",
        wire::RefuseReason::PerAddress => "has as many sessions from this address as it takes",
        wire::RefuseReason::RateLimited => "is rate-limiting handshakes from this address range",
        wire::RefuseReason::ShuttingDown => "is shutting down",
    }
}

pub use agent::{Agent, AgentOptions};
pub use args::{AgentArgs, RemoteArgs};
pub use config::{Config, RemoteTarget};
