//! The clap arguments of `lktrace agent`, for the CLI to flatten in.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::config::split_host_port;
use super::{Error, DEFAULT_PORT};

/// Run the remote agent: tools run here on behalf of authenticated `--remote` clients
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// Address to listen on; 127.0.0.1 unless you say otherwise (e.g. 0.0.0.0:34023, [::]:34023)
    #[arg(long, value_name = "ADDR[:PORT]", default_value = "127.0.0.1:34023")]
    pub listen: String,
    /// The pre-shared key (from `lktrace ctl keygen`); must not be readable by group or others
    #[arg(long, value_name = "PATH", default_value = "/etc/lktrace/agent.key")]
    pub key_file: PathBuf,
    /// Most runs at once, over all clients
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_runs: u32,
    /// Seconds without a heartbeat after which a client's run is stopped and cleaned up
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub lease_secs: u64,
    /// Settings file (default: /etc/lktrace/agent.toml when it exists); flags given here win
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The flags given on the command line (their ids), which the config file does not
    /// override: filled by the CLI from clap's value sources.
    #[arg(skip)]
    pub from_command_line: Vec<String>,
    /// The tracefs directory runs use. Not a flag of its own: the CLI's global `--tracefs`
    /// (and `LKTRACE_TRACEFS`) already means this, so the CLI copies it in.
    #[arg(skip)]
    pub tracefs: Option<PathBuf>,
    /// The global `--debug`, copied in by the CLI like `tracefs`.
    #[arg(skip)]
    pub tap: Option<crate::tracefs::tap::TapHandle>,
}

impl AgentArgs {
    pub fn listen_addr(&self) -> Result<SocketAddr, Error> {
        parse_listen(&self.listen)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }
}

/// `--remote` and `--key-file` for the tools' side. Flatten it into each tool's subcommand (or
/// into the global flags *without* `global = true`: `lktrace agent` has its own `--key-file`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Remote options")]
pub struct RemoteArgs {
    /// Run on these agents instead of here: config names or HOST[:PORT], comma-separated
    #[arg(long, value_name = "HOST[:PORT],...", env = "LKTRACE_REMOTE")]
    pub remote: Option<String>,
    /// The key shared with the agent(s) (default: the config's key_file, then ~/.config/lktrace/key)
    #[arg(long, value_name = "PATH", requires = "remote")]
    pub key_file: Option<PathBuf>,
}

impl RemoteArgs {
    /// The targets named by `--remote`, with the config file's remotes resolved; `None` when
    /// the run is local.
    pub fn targets(&self) -> crate::Result<Option<Vec<super::RemoteTarget>>> {
        let Some(list) = &self.remote else {
            return Ok(None);
        };
        let cfg = super::Config::load_default().map_err(|e| crate::Error::Usage(e.to_string()))?;
        super::RemoteTarget::parse_list(list, &cfg)
            .map(Some)
            .map_err(|e| crate::Error::Usage(e.to_string()))
    }
}

/// `ADDR[:PORT]`: an IP address (or `localhost`), port 34023 by default.
pub fn parse_listen(s: &str) -> Result<SocketAddr, Error> {
    let bad = |reason: String| Error::Listen {
        addr: s.to_string(),
        reason,
    };
    let (host, port) = split_host_port(s).map_err(bad)?;
    let port = port.unwrap_or(DEFAULT_PORT);
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .next()
        .ok_or_else(|| bad("resolves to no address".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        assert_eq!(
            parse_listen("127.0.0.1").unwrap(),
            "127.0.0.1:34023".parse().unwrap()
        );
        assert_eq!(
            parse_listen("0.0.0.0:9").unwrap(),
            "0.0.0.0:9".parse().unwrap()
        );
        assert_eq!(parse_listen("[::]:9").unwrap(), "[::]:9".parse().unwrap());
        assert!(parse_listen("1.2.3.4:0").is_err());
    }

    #[test]
    fn flattens_beside_a_global_tracefs_flag() {
        use clap::{CommandFactory, Parser, Subcommand};
        #[derive(Parser)]
        struct Cli {
            #[arg(long, global = true)]
            tracefs: Option<PathBuf>,
            #[command(subcommand)]
            cmd: Cmd,
        }
        #[derive(Subcommand)]
        enum Cmd {
            Agent(AgentArgs),
        }
        Cli::command().debug_assert();
        let c = Cli::try_parse_from(["x", "agent", "--listen", "0.0.0.0", "--lease-secs", "3"])
            .unwrap();
        let Cmd::Agent(a) = c.cmd;
        assert_eq!(a.lease_secs, 3);
        assert_eq!(a.max_runs, 4);
    }
}
