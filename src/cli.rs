//! The command tree, global flags, error rendering and exit codes. The only place that prints
//! an error.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Command, FromArgMatches, Subcommand};

use crate::exit_codes;
use crate::output::{self, Mode};
use crate::remote::{self, AgentArgs, RemoteArgs};
use crate::tools::{self, RunEnv, Spec, Tool, TOOLS};
use crate::{Error, Result};

/// Flags every tool takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Print JSON Lines (one object per line, each with a "type")
    #[arg(long, global = true)]
    pub json: bool,
    /// Use this tracefs directory instead of finding it
    #[arg(long, global = true, value_name = "DIR", env = "LKTRACE_TRACEFS")]
    pub tracefs: Option<PathBuf>,
    /// Print on stderr every tracefs read and write made, with its time, and each phase's time
    #[arg(long, global = true)]
    pub debug: bool,
}

/// `ctl` subcommands of the client side: they never reach a kernel, so they are not part of
/// the ctl tool (tools do not know the remote layer).
#[derive(Debug, Clone, Subcommand)]
enum ClientCtl {
    /// Round-trip time, version and kernel of agents (needs --remote)
    Ping {
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Write a new random key for agent and clients (mode 0600; never overwrites)
    Keygen {
        /// Where to write it
        path: PathBuf,
    },
}

/// Serve --remote clients: tools run here for holders of the key (UDP, port 34023)
const AGENT_ABOUT: &str =
    "Serve --remote clients: tools run here for holders of the key (UDP, port 34023)";

/// The whole command tree, from the list of tools ([`TOOLS`]) plus `agent` and the client-side
/// `ctl` subcommands. Every tool that may run on an agent gets `--remote`/`--key-file` here.
pub fn command() -> Command {
    let root = Command::new("lktrace")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Linux kernel tracing tools on tracefs")
        .subcommand_required(true)
        .arg_required_else_help(true);
    let mut root = keep_about(root, Global::augment_args);
    for t in TOOLS {
        let mut sub = t.command();
        if t.remote() {
            sub = with_remote(sub);
        }
        if t.name() == tools::ctl::Ctl::NAME {
            sub = keep_about(sub, ClientCtl::augment_subcommands);
        }
        root = root.subcommand(sub);
    }
    root.subcommand(AgentArgs::augment_args(Command::new("agent")).about(AGENT_ABOUT))
}

/// `--remote` on a command, or on each of its subcommands (`ctl status --remote HOST`).
fn with_remote(cmd: Command) -> Command {
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    if subs.is_empty() {
        return keep_about(cmd, RemoteArgs::augment_args);
    }
    subs.iter().fold(cmd, |c, name| {
        c.mut_subcommand(name, |s| keep_about(s, RemoteArgs::augment_args))
    })
}

/// Applies `f` (a derived `augment_args`, which also sets `about` from its struct's doc
/// comment) and keeps the command's own about.
fn keep_about(cmd: Command, f: impl FnOnce(Command) -> Command) -> Command {
    let about = cmd.get_about().cloned();
    let long = cmd.get_long_about().cloned();
    let mut out = f(cmd);
    if let Some(a) = about {
        out = out.about(a);
    }
    if let Some(l) = long {
        out = out.long_about(l);
    }
    out
}

/// The innermost subcommand's matches: where a tool's `--remote` was parsed.
fn leaf(m: &clap::ArgMatches) -> &clap::ArgMatches {
    match m.subcommand() {
        Some((_, sub)) => leaf(sub),
        None => m,
    }
}

/// What the command line asks for, after clap.
enum Invocation {
    Agent(AgentArgs),
    Keygen(PathBuf),
    Ping(RemoteArgs),
    /// A tool's Spec (or why it could not be built), and where to run it.
    Tool {
        spec: Result<Spec>,
        remote: Option<RemoteArgs>,
    },
}

fn invocation(m: &clap::ArgMatches) -> std::result::Result<Invocation, clap::Error> {
    let Some((name, sub)) = m.subcommand() else {
        return Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand));
    };
    if name == "agent" {
        return Ok(Invocation::Agent(AgentArgs::from_arg_matches(sub)?));
    }
    if name == tools::ctl::Ctl::NAME {
        if let Some(("ping" | "keygen", _)) = sub.subcommand() {
            return Ok(match ClientCtl::from_arg_matches(sub)? {
                ClientCtl::Ping { remote } => Invocation::Ping(remote),
                ClientCtl::Keygen { path } => Invocation::Keygen(path),
            });
        }
    }
    let Some(tool) = tools::find(name) else {
        return Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand));
    };
    let remote = if tool.remote() {
        Some(RemoteArgs::from_arg_matches(leaf(sub))?)
    } else {
        None
    };
    Ok(Invocation::Tool {
        spec: tool.spec_from(sub),
        remote,
    })
}

/// Entry point of every binary. `tool` is `Some("funccount")` for the funccount binary, which
/// then parses its arguments as `lktrace funccount` would.
pub fn main_for(tool: Option<&str>) -> i32 {
    // Where lock files and journals go, for tests and unusual set-ups (made safe and checked by
    // the library like the default).
    if let Some(dir) = std::env::var_os("LKTRACE_LOCK_DIR").filter(|v| !v.is_empty()) {
        crate::tracefs::lockdir::use_dir(dir);
    }
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(t) = tool {
        args.insert(1, t.into());
    }
    let parsed = command().try_get_matches_from(args).and_then(|m| {
        let global = Global::from_arg_matches(&m)?;
        Ok((global, invocation(&m)?))
    });
    let (global, inv) = match parsed {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            // A usage error echoes what was typed: through the same helper as every error.
            let text = e.render().to_string();
            let mut err = std::io::stderr().lock();
            for line in text.lines() {
                let _ = writeln!(err, "{}", output::escape::message_line(line));
            }
            return exit_codes::USAGE;
        }
        Err(e) => {
            // --help, --version: our own text, printed as clap formats it.
            let _ = e.print();
            return exit_codes::OK;
        }
    };
    let debug = global
        .debug
        .then(|| std::sync::Arc::new(output::debug::StderrTap::new()));
    let env = RunEnv {
        tracefs: global.tracefs.clone(),
        tap: debug
            .clone()
            .map(|t| crate::tracefs::tap::TapHandle(t as std::sync::Arc<_>)),
        ..RunEnv::default()
    };
    if let Err(e) = env.stop.install_signal_handlers() {
        eprintln!("lktrace: warning: cannot catch signals: {e}");
    }
    let agent = matches!(inv, Invocation::Agent(_));
    let result = run(&global, inv, &env);
    if let Some(t) = &debug {
        t.summary();
    }
    let code = match result {
        Ok(()) => exit_codes::OK,
        Err(e) if e.is_closed_output() => exit_codes::OK,
        Err(e) => {
            render_error(&e);
            match e {
                Error::Usage(_) => exit_codes::USAGE,
                _ => exit_codes::ERROR,
            }
        }
    };
    // A closed pipe also raises the stop flag (SIGPIPE); only a real signal is an interruption.
    // The agent's normal end is SIGTERM/SIGINT.
    if code == exit_codes::OK && env.stop.interrupted() && !agent {
        if env.stop.signal() == Some(libc::SIGINT) {
            // Everything is printed and torn down: die of the SIGINT we caught.
            let _ = std::io::Write::flush(&mut std::io::stdout());
            exit_codes::exit_by_sigint();
        }
        return exit_codes::INTERRUPTED;
    }
    code
}

fn run(global: &Global, inv: Invocation, env: &RunEnv) -> Result<()> {
    let mode = if global.json { Mode::Json } else { Mode::Human };
    let sink_for = |hints: tools::RenderHints, multi_host: bool| {
        let opts = output::Options {
            mode,
            timestamps: hints.timestamps,
            headers: hints.headers,
            multi_host,
        };
        output::renderer(
            opts,
            Box::new(std::io::stdout().lock()),
            Box::new(std::io::stderr()),
        )
    };
    match inv {
        Invocation::Agent(mut a) => {
            a.tracefs = global.tracefs.clone();
            a.tap = env.tap.clone();
            remote::agent::serve(&a, env.stop.clone())
        }
        Invocation::Keygen(path) => remote::crypto::keygen(&path),
        Invocation::Ping(ra) => {
            let Some(targets) = ra.targets()? else {
                return Err(Error::Usage(
                    "ctl ping needs --remote HOST[:PORT] (or a name from the config file)".into(),
                ));
            };
            let mut sink = sink_for(Default::default(), targets.len() > 1);
            let r = remote::client::ping(&targets, ra.key_file.as_deref(), &env.stop).and_then(
                |records| {
                    for h in records {
                        match &h.host {
                            Some(host) => sink.emit_from(host, h.record)?,
                            None => sink.emit(h.record)?,
                        }
                    }
                    Ok(())
                },
            );
            r.and(sink.flush().map_err(Error::from))
        }
        Invocation::Tool { spec, remote } => {
            let targets = match &remote {
                Some(r) => r.targets()?,
                None => None,
            };
            let spec = spec?;
            let multi = targets.as_ref().is_some_and(|t| t.len() > 1);
            let mut sink = sink_for(spec.render_hints(), multi);
            let r = match (&targets, &remote) {
                (Some(t), Some(ra)) => {
                    if global.debug {
                        eprintln!("lktrace: debug: the tracefs work happens on the agent: start it with `lktrace agent --debug` to see it there");
                    }
                    remote::client::run_remote(
                        t,
                        ra.key_file.as_deref(),
                        &spec,
                        sink.as_mut(),
                        &env.stop,
                    )
                }
                _ => tools::run(&spec, env, sink.as_mut()),
            };
            r.and(sink.flush().map_err(Error::from))
        }
    }
}

/// `lktrace: error: …`, then the kernel's words, then a hint; each host's in turn when several
/// failed. Each line goes through the one escaping helper: an error may echo a pattern, a
/// kernel message or an agent's words.
pub fn render_error(e: &Error) {
    let mut err = std::io::stderr().lock();
    let mut line = |s: &str| {
        let _ = writeln!(err, "{}", output::escape::message_line(s));
    };
    for e in e.each() {
        if e.is_closed_output() {
            continue;
        }
        line(&format!("lktrace: error: {e}"));
        if let Some(d) = e.detail() {
            d.lines().for_each(&mut line);
        }
        if let Some(h) = e.hint() {
            line(&format!("hint: {h}"));
        }
    }
}
