//! The command tree, global flags, error rendering and exit codes. The only place that prints
//! an error.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::exit_codes;
use crate::output::{self, Mode};
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
}

#[derive(Debug, Clone, Subcommand)]
pub enum CtlCommand {
    /// Tracers, enabled events, dynamic events and instances, and who owns them
    Status,
    /// Which tools and backends this kernel can run, and why not
    Check,
    /// Remove what dead lktrace runs left behind
    Reset {
        /// Reset all of ftrace, like perf-tools' reset-ftrace
        #[arg(long)]
        all: bool,
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
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
            };
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
    if code == exit_codes::OK && env.stop.interrupted() {
        return exit_codes::INTERRUPTED;
    }
    code
}

fn run(cli: &Cli, env: &RunEnv) -> Result<()> {
    let opts = output::Options {
        mode: if cli.global.json {
            Mode::Json
        } else {
            Mode::Human
        },
        timestamps: matches!(&cli.command, Command::Funccount(a) if a.timestamps),
        headers: matches!(&cli.command, Command::Kprobe(a) if a.headers),
        ..Default::default()
    };
    let stdout = std::io::stdout();
    let mut sink = output::renderer(opts, Box::new(stdout.lock()), Box::new(std::io::stderr()));
    let r = match &cli.command {
        // Reads a local file: never a Spec for an agent.
        Command::Parse(a) => tools::parse::run_file(a, sink.as_mut()),
        other => tools::run(&spec_of(other)?, env, sink.as_mut()),
    };
    let f = sink.flush().map_err(Error::from);
    r.and(f)
}

/// The Spec of a command that can run here or on an agent.
fn spec_of(command: &Command) -> Result<Spec> {
    Ok(match command {
        Command::Funccount(a) => Spec::Funccount(a.to_spec()?),
        Command::Kprobe(a) => Spec::Kprobe(a.to_spec()?),
        Command::Ctl(CtlCommand::Status) => Spec::Ctl(CtlSpec::Status),
        Command::Ctl(CtlCommand::Check) => Spec::Ctl(CtlSpec::Check),
        Command::Ctl(CtlCommand::Reset { all }) => Spec::Ctl(CtlSpec::Reset { all: *all }),
        Command::Parse(_) => {
            return Err(Error::Usage(
                "parse reads local files and has no Spec".into(),
            ))
        }
    })
}

/// `lktrace: error: …`, then the kernel's words, then a hint.
pub fn render_error(e: &Error) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "lktrace: error: {e}");
    if let Some(d) = e.detail() {
        let _ = writeln!(err, "{d}");
    }
    if let Some(h) = e.hint() {
        let _ = writeln!(err, "hint: {h}");
    }
}
