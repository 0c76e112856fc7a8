//! The agent's options and counters, and `lktrace agent` itself ([`serve`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

use super::super::args::AgentArgs;
use super::super::crypto::Key;
use super::Agent;
use crate::record::Sink;
use crate::tools::{RunEnv, Spec};
use crate::tracefs::stop::StopFlag;

/// What runs a Spec. The CLI's agent uses [`crate::tools::run`]; tests and benchmarks give a
/// synthetic one (the network path does not care what produces the records).
pub type Runner = Arc<dyn Fn(&Spec, &RunEnv, &mut dyn Sink) -> crate::Result<()> + Send + Sync>;

#[derive(Clone)]
pub struct AgentOptions {
    pub max_runs: usize,
    pub max_sessions: usize,
    pub max_sessions_per_ip: usize,
    pub lease: Duration,
    pub tracefs: Option<PathBuf>,
    /// Cookies answered per second, in total (burst the same).
    pub hello_rate: f64,
    /// Cookies answered per second to one address prefix (/24, /64).
    pub hello_rate_per_prefix: f64,
    /// Auths with a valid cookie handshaked per second, in total.
    pub auth_rate: f64,
    /// The same, per address prefix.
    pub auth_rate_per_prefix: f64,
    /// After SIGTERM, how long final records and Done may take to reach clients.
    pub grace: Duration,
    pub runner: Runner,
    /// Told of every tracefs operation of every run (`lktrace agent --debug`).
    pub tap: Option<crate::tracefs::tap::TapHandle>,
    /// Log a line per run to stderr.
    pub log: bool,
}

impl std::fmt::Debug for AgentOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentOptions")
            .field("max_runs", &self.max_runs)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Default for AgentOptions {
    fn default() -> AgentOptions {
        AgentOptions {
            max_runs: 4,
            max_sessions: 64,
            max_sessions_per_ip: 16,
            lease: Duration::from_secs(10),
            tracefs: None,
            hello_rate: 2000.0,
            hello_rate_per_prefix: 500.0,
            auth_rate: 500.0,
            auth_rate_per_prefix: 100.0,
            grace: Duration::from_secs(3),
            runner: Arc::new(|spec: &Spec, env: &RunEnv, sink: &mut dyn Sink| {
                crate::tools::run(spec, env, sink)
            }),
            tap: None,
            log: true,
        }
    }
}

/// Counters, for logs and tests.
#[derive(Debug, Default)]
pub struct Stats {
    pub datagrams_in: AtomicU64,
    pub dropped: AtomicU64,
    /// Sessions whose client proved it holds the handshake's keys (its first Data opened).
    pub sessions_opened: AtomicU64,
    /// Handshakes answered with an Accept (each a session waiting for that proof).
    pub handshakes: AtomicU64,
    /// Sessions in the table now (answered or open).
    pub sessions_live: AtomicUsize,
    /// Auths with a valid cookie answered with a refusal (busy, rate-limited, ...).
    pub refused: AtomicU64,
    pub runs_started: AtomicU64,
    pub runs_active: AtomicUsize,
}

/// `lktrace agent`: binds, logs a line, serves until `stop` (SIGINT/SIGTERM routed to it by the
/// caller with [`StopFlag::install_signal_handlers`]), then stops every run and waits for their
/// teardown.
pub fn serve(args: &AgentArgs, stop: StopFlag) -> crate::Result<()> {
    let addr = args.listen_addr().map_err(|e| e.into_crate("agent"))?;
    let key = Key::load(&args.key_file).map_err(|e| e.into_crate("agent"))?;
    let opts = AgentOptions {
        max_runs: args.max_runs as usize,
        lease: args.lease(),
        tracefs: args.tracefs.clone(),
        tap: args.tap.clone(),
        ..AgentOptions::default()
    };
    let agent = Agent::bind(addr, key, opts)?;
    eprintln!(
        "lktrace agent {}: listening on {} (key {}, lease {} s, at most {} runs)",
        env!("CARGO_PKG_VERSION"),
        agent.local_addr(),
        args.key_file.display(),
        args.lease_secs,
        args.max_runs
    );
    if !agent.local_addr().ip().is_loopback() {
        eprintln!("lktrace agent: reachable from the network: anyone holding the key can trace this kernel as root");
    }
    agent.run(stop)
}
