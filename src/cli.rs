//! The command tree, global flags, error rendering and exit codes. The only place that prints
//! an error.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::exit_codes;
use crate::output::{self, Mode};
use crate::remote::{self, AgentArgs, RemoteArgs};
use crate::tools::{
    self, ctl::CtlSpec, funccount::FunccountArgs, kprobe::KprobeArgs, parse::ParseArgs, RunEnv,
    Spec,
};
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
}

#[derive(Debug, Parser)]
#[command(
    name = "lktrace",
    version,
    about = "Linux kernel tracing tools on tracefs"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Count kernel function calls (perf-tools funccount)
    Funccount(FunccountArgs),
    /// Trace a kernel function with a kprobe (perf-tools kprobe)
    Kprobe(KprobeArgs),
    /// Inspect and clean tracefs
    #[command(subcommand)]
    Ctl(CtlCommand),
    /// Parse saved ftrace text (trace or trace_pipe format) into records
    Parse(ParseArgs),
    /// Serve --remote clients: tools run here for holders of the key (UDP, port 34023)
    Agent(AgentArgs),
}

#[derive(Debug, Clone, Subcommand)]
pub enum CtlCommand {
    /// Tracers, enabled events, dynamic events and instances, and who owns them
    Status {
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Which tools and backends this kernel can run, and why not
    Check {
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Remove what dead lktrace runs left behind
    Reset {
        /// Reset all of ftrace, like perf-tools' reset-ftrace
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        remote: RemoteArgs,
    },
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

/// Entry point of every binary. `tool` is `Some("funccount")` for the funccount binary, which
/// then parses its arguments as `lktrace funccount` would.
pub fn main_for(tool: Option<&str>) -> i32 {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(t) = tool {
        args.insert(1, t.into());
    }
    let cli = match Cli::try_parse_from(args) {
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
    let env = RunEnv {
        tracefs: cli.global.tracefs.clone(),
        ..RunEnv::default()
    };
    if let Err(e) = env.stop.install_signal_handlers() {
        eprintln!("lktrace: warning: cannot catch signals: {e}");
    }
    let result = run(&cli, &env);
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
    let agent = matches!(cli.command, Command::Agent(_));
    if code == exit_codes::OK && env.stop.interrupted() && !agent {
        return exit_codes::INTERRUPTED;
    }
    code
}

fn run(cli: &Cli, env: &RunEnv) -> Result<()> {
    let mut opts = output::Options {
        mode: if cli.global.json {
            Mode::Json
        } else {
            Mode::Human
        },
        timestamps: matches!(&cli.command, Command::Funccount(a) if a.timestamps),
        headers: matches!(&cli.command, Command::Kprobe(a) if a.headers),
        ..Default::default()
    };
    let targets = match remote_args(&cli.command) {
        Some(r) => r.targets()?,
        None => None,
    };
    opts.multi_host = targets.as_ref().is_some_and(|t| t.len() > 1);
    let stdout = std::io::stdout();
    let mut sink = output::renderer(opts, Box::new(stdout.lock()), Box::new(std::io::stderr()));
    let r = match (&cli.command, &targets) {
        (Command::Agent(a), _) => {
            let mut a = a.clone();
            a.tracefs = cli.global.tracefs.clone();
            remote::agent::serve(&a, env.stop.clone())
        }
        (Command::Ctl(CtlCommand::Keygen { path }), _) => remote::crypto::keygen(path),
        // Reads a local file: never a Spec for an agent.
        (Command::Parse(a), _) => tools::parse::run_file(a, &env.stop, sink.as_mut()),
        (Command::Ctl(CtlCommand::Ping { .. }), None) => Err(Error::Usage(
            "ctl ping needs --remote HOST[:PORT] (or a name from the config file)".into(),
        )),
        (Command::Ctl(CtlCommand::Ping { remote: ra }), Some(t)) => {
            remote::client::ping(t, ra.key_file.as_deref(), &env.stop).and_then(|records| {
                for rec in records {
                    sink.emit(rec)?;
                }
                Ok(())
            })
        }
        (other, Some(t)) => {
            let key = remote_args(other).and_then(|r| r.key_file.as_deref());
            remote::client::run_remote(t, key, &spec_of(other)?, sink.as_mut(), &env.stop)
        }
        (other, None) => tools::run(&spec_of(other)?, env, sink.as_mut()),
    };
    let f = sink.flush().map_err(Error::from);
    r.and(f)
}

/// The `--remote` flags of a command that can run on an agent.
fn remote_args(command: &Command) -> Option<&RemoteArgs> {
    match command {
        Command::Funccount(a) => Some(&a.remote),
        Command::Kprobe(a) => Some(&a.remote),
        Command::Ctl(
            CtlCommand::Status { remote }
            | CtlCommand::Check { remote }
            | CtlCommand::Reset { remote, .. }
            | CtlCommand::Ping { remote },
        ) => Some(remote),
        Command::Ctl(CtlCommand::Keygen { .. }) | Command::Parse(_) | Command::Agent(_) => None,
    }
}

/// The Spec of a command that can run here or on an agent.
fn spec_of(command: &Command) -> Result<Spec> {
    Ok(match command {
        Command::Funccount(a) => Spec::Funccount(a.to_spec()?),
        Command::Kprobe(a) => Spec::Kprobe(a.to_spec()?),
        Command::Ctl(CtlCommand::Status { .. }) => Spec::Ctl(CtlSpec::Status),
        Command::Ctl(CtlCommand::Check { .. }) => Spec::Ctl(CtlSpec::Check),
        Command::Ctl(CtlCommand::Reset { all, .. }) => Spec::Ctl(CtlSpec::Reset { all: *all }),
        Command::Ctl(CtlCommand::Ping { .. } | CtlCommand::Keygen { .. })
        | Command::Parse(_)
        | Command::Agent(_) => return Err(Error::Usage("this command has no Spec to run".into())),
    })
}

/// `lktrace: error: …`, then the kernel's words, then a hint. Each line goes through the one
/// escaping helper: an error may echo a pattern, a kernel message or an agent's words.
pub fn render_error(e: &Error) {
    let mut err = std::io::stderr().lock();
    let mut line = |s: &str| {
        let _ = writeln!(err, "{}", output::escape::message_line(s));
    };
    line(&format!("lktrace: error: {e}"));
    if let Some(d) = e.detail() {
        d.lines().for_each(&mut line);
    }
    if let Some(h) = e.hint() {
        line(&format!("hint: {h}"));
    }
}
