//! The command tree, global flags, error rendering and exit codes. The only place that prints
//! an error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Command, FromArgMatches, Subcommand};

use crate::exit_codes;
use crate::output::progress::{Progress, ProgressSink};
use crate::output::{self, Mode};
use crate::record::Sink;
use crate::remote::{self, AgentArgs, RemoteArgs};
use crate::tools::{self, RunEnv, Spec, Tool, TOOLS};
use crate::tracefs::tap::TapHandle;
use crate::{Error, Result};

/// Flags of every command.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Print JSON Lines (one object per line, each with a "type"); the same as --format json
    #[arg(long, global = true)]
    pub json: bool,
    /// How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics
    /// (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome
    /// (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)
    #[arg(long, global = true, value_name = "FORMAT", default_value = "text")]
    pub format: Format,
    /// Show no progress line (setup, teardown, time left of -d); it shows only on a terminal
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// A full-screen table redrawn every -i interval, busiest first, with rates (counting
    /// tools, stdout a terminal); q or Ctrl-C ends it
    #[arg(long, global = true)]
    pub live: bool,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    #[value(name = "openmetrics")]
    OpenMetrics,
    Chrome,
}

impl Global {
    fn mode(&self) -> Mode {
        match (self.json, self.format) {
            (true, _) | (false, Format::Json) => Mode::Json,
            (false, Format::Text) => Mode::Human,
            (false, Format::OpenMetrics) => Mode::OpenMetrics,
            (false, Format::Chrome) => Mode::Chrome,
        }
    }
}

/// Refuses a format the run has nothing for (openmetrics without counts, chrome without a
/// timeline): `spec` is the tool's run, `None` for the commands that are no tool run (ping,
/// keygen, the agent).
fn check_format(mode: Mode, spec: Option<&Spec>) -> Result<()> {
    let hints = spec.map(|s| s.render_hints()).unwrap_or_default();
    let what = spec.map_or("this command", |s| s.tool());
    match mode {
        Mode::OpenMetrics if !hints.metrics => Err(Error::Usage(format!(
            "--format openmetrics is for counting runs (funccount, stackcount, kprobe --hist or \
             --count), not {what}"
        ))),
        Mode::Chrome if !hints.timeline => Err(Error::Usage(format!(
            "--format chrome is for runs that trace events or calls (kprobe, tpoint, uprobe, \
             functrace, funcgraph, funcslower, parse), not {what}"
        ))),
        _ => Ok(()),
    }
}

/// Flags of the commands that work on a kernel's tracefs: every tool but `parse`, and the
/// agent (not `keygen`, `ping` or `completions`, which never touch a kernel).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct KernelArgs {
    /// Use this tracefs directory instead of finding it
    #[arg(long, value_name = "DIR", env = "LKTRACE_TRACEFS")]
    pub tracefs: Option<PathBuf>,
    /// Print on stderr every tracefs read and write made, with its time, and each phase's time
    #[arg(long)]
    pub debug: bool,
}

impl KernelArgs {
    /// The flags as parsed on `m`, the command that has them; none on a command without them.
    fn from_leaf(m: &clap::ArgMatches) -> KernelArgs {
        KernelArgs {
            tracefs: m.try_get_one::<PathBuf>("tracefs").ok().flatten().cloned(),
            debug: m
                .try_get_one::<bool>("debug")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false),
        }
    }
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

/// `lktrace completions`: the completion script of a shell, for lktrace or one of the
/// standalone binaries.
#[derive(Debug, Clone, clap::Args)]
struct CompletionsArgs {
    /// The shell
    shell: clap_complete::Shell,
    /// The binary to complete: lktrace, or a standalone tool (funccount, kprobe, ...)
    #[arg(default_value = "lktrace")]
    binary: String,
}

const COMPLETIONS_ABOUT: &str = "Print a shell's completion script (bash, zsh, fish, ...)";

/// Serve --remote clients: tools run here for holders of the key (UDP, port 34023)
const AGENT_ABOUT: &str =
    "Serve --remote clients: tools run here for holders of the key (UDP, port 34023)";

/// The whole command tree, from the list of tools ([`TOOLS`]) plus `agent`, `completions` and
/// the client-side `ctl` subcommands. Every tool that may run on an agent gets
/// `--remote`/`--key-file` here, and every one that works on a kernel `--tracefs`/`--debug`.
/// What `lktrace --help` and lktrace(1) say of the whole.
const LONG_ABOUT: &str = "Linux kernel tracing tools on tracefs.\n\n\
     lktrace is Brendan Gregg's perf-tools rebuilt as one static binary that drives the kernel's \
     own tracing files (ftrace, kprobes, uprobes, tracepoints, the function profiler, hist \
     triggers): no eBPF and no compiler on the target. Each tool takes perf-tools' (or bcc's) \
     options, prints their text for people, or JSON Lines with --json for pipelines, and leaves \
     tracefs as it found it. The perf-tools tools also ship as binaries of their own \
     (funccount, kprobe, ...).\n\n\
     Any tool can run on another machine through its agent (lktrace agent there, --remote HOST \
     here), authenticated with a key shared by both (lktrace ctl keygen).";

pub fn command() -> Command {
    let root = Command::new("lktrace")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Linux kernel tracing tools on tracefs")
        .long_about(LONG_ABOUT)
        .subcommand_required(true)
        .arg_required_else_help(true);
    let mut root = keep_about(root, Global::augment_args);
    for t in TOOLS {
        let mut sub = tool_command(*t);
        if t.name() == tools::ctl::Ctl::NAME {
            sub = keep_about(sub, ClientCtl::augment_subcommands);
        }
        root = root.subcommand(sub);
    }
    let agent = KernelArgs::augment_args(AgentArgs::augment_args(Command::new("agent")));
    root.subcommand(agent.about(AGENT_ABOUT)).subcommand(
        CompletionsArgs::augment_args(Command::new("completions")).about(COMPLETIONS_ABOUT),
    )
}

/// A tool's command with the flags the CLI adds: `--remote` where it may run on an agent,
/// `--tracefs`/`--debug` where it works on a kernel (on each subcommand of `ctl`).
fn tool_command(t: &dyn tools::Entry) -> Command {
    let mut sub = t.command();
    if t.remote() {
        sub = with_remote(sub);
    }
    if t.on_kernel() {
        sub = on_each_leaf(sub, &|c| keep_about(c, KernelArgs::augment_args));
    }
    sub
}

/// The command of a standalone binary (`funccount`): the tool's command under its own name,
/// with `--version` and the global flags, as `funccount -h` shows it.
pub fn standalone_command(tool: &str) -> Option<Command> {
    let t = tools::find(tool).filter(|t| t.standalone())?;
    let cmd = tool_command(t)
        .name(t.name())
        .bin_name(t.name())
        .display_name(t.name())
        .version(env!("CARGO_PKG_VERSION"));
    Some(keep_about(cmd, Global::augment_args))
}

/// `f` applied to `cmd`, or to each of its subcommands when it has some.
fn on_each_leaf(cmd: Command, f: &dyn Fn(Command) -> Command) -> Command {
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    if subs.is_empty() {
        return f(cmd);
    }
    subs.iter().fold(cmd, |c, name| {
        c.mut_subcommand(name, |s| on_each_leaf(s, f))
    })
}

/// `--remote` on a command, or on each of its subcommands (`ctl status --remote HOST`).
fn with_remote(cmd: Command) -> Command {
    on_each_leaf(cmd, &|c| keep_about(c, RemoteArgs::augment_args))
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
    Completions(CompletionsArgs),
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
        let mut a = AgentArgs::from_arg_matches(sub)?;
        // What the command line said wins over the config file; clap's defaults do not.
        a.from_command_line = sub
            .ids()
            .filter(|id| {
                sub.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
            })
            .map(|id| id.as_str().to_string())
            .collect();
        return Ok(Invocation::Agent(a));
    }
    if name == "completions" {
        return Ok(Invocation::Completions(CompletionsArgs::from_arg_matches(
            sub,
        )?));
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
    tool_invocation(tool, sub)
}

/// The Spec of tool `tool` from its matches `m`, and where to run it.
fn tool_invocation(
    tool: &dyn tools::Entry,
    m: &clap::ArgMatches,
) -> std::result::Result<Invocation, clap::Error> {
    let remote = if tool.remote() {
        Some(RemoteArgs::from_arg_matches(leaf(m))?)
    } else {
        None
    };
    Ok(Invocation::Tool {
        spec: tool.spec_from(m),
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
    let standalone = |name: &str| tools::find(name).filter(|t| t.standalone());
    // Called by another name (a link named `funccount` to this binary, as the VM guests and
    // small installs have it), lktrace is that tool: one binary serves them all. And
    // `lktrace funccount ...` builds only that tool's command, not every tool's (the whole tree
    // is most of a run's start: under emulation 0.1 s of it), named as lktrace's subcommand.
    let invoked = || {
        let a = args.first()?;
        standalone(std::path::Path::new(a).file_name()?.to_str()?)
    };
    let entry = match tool.and_then(standalone).or_else(invoked) {
        Some(e) => Some((e, None)),
        None => match args.get(1).and_then(|a| standalone(a.to_str()?)) {
            Some(e) => {
                args.remove(0);
                Some((e, Some(format!("lktrace {}", e.name()))))
            }
            None => None,
        },
    };
    let chosen = entry.and_then(|(e, usage)| {
        let cmd = standalone_command(e.name())?;
        Some((
            e,
            match usage {
                Some(name) => cmd.bin_name(name.clone()).display_name(name),
                None => cmd,
            },
        ))
    });
    let parsed = match chosen {
        Some((entry, cmd)) => cmd.try_get_matches_from(args).and_then(|m| {
            let global = Global::from_arg_matches(&m)?;
            Ok((
                global,
                KernelArgs::from_leaf(&m),
                tool_invocation(entry, &m)?,
            ))
        }),
        None => command().try_get_matches_from(args).and_then(|m| {
            let global = Global::from_arg_matches(&m)?;
            let kernel = m
                .subcommand()
                .map(|(_, sub)| KernelArgs::from_leaf(leaf(sub)));
            Ok((global, kernel.unwrap_or_default(), invocation(&m)?))
        }),
    };
    let (global, kernel, inv) = match parsed {
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
    let debug = kernel
        .debug
        .then(|| std::sync::Arc::new(output::debug::StderrTap::new()));
    let env = RunEnv {
        tracefs: kernel.tracefs.clone(),
        tap: debug
            .clone()
            .map(|t| crate::tracefs::tap::TapHandle(t as std::sync::Arc<_>)),
        ..RunEnv::default()
    };
    if let Err(e) = env.stop.install_signal_handlers() {
        eprintln!("lktrace: warning: cannot catch signals: {e}");
    }
    let agent = matches!(inv, Invocation::Agent(_));
    if !agent {
        // `| head` ends the run at once, as it would at the next write: exit 0, torn down.
        let stop = env.stop.clone();
        output::closed::watch_stdout(move || stop.request());
    }
    let result = run(&global, &kernel, inv, &env);
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

fn run(global: &Global, kernel: &KernelArgs, inv: Invocation, env: &RunEnv) -> Result<()> {
    let mode = global.mode();
    let spec = match &inv {
        Invocation::Tool { spec: Ok(spec), .. } => Some(spec),
        _ => None,
    };
    if !matches!(inv, Invocation::Tool { spec: Err(_), .. }) {
        check_format(mode, spec)?;
    }
    let tool = spec.map(|s| s.tool());
    let sink_for =
        |hints: tools::RenderHints, multi_host: bool, progress: Option<&Arc<Progress>>| {
            let opts = output::Options {
                mode,
                timestamps: hints.timestamps,
                headers: hints.headers,
                multi_host,
                folded: hints.folded,
                tool: tool.map(str::to_string),
                graph: hints.graph,
            };
            let sink = match progress {
                Some(p) => {
                    let sink = output::renderer(
                        opts,
                        Box::new(p.writer(std::io::stdout().lock())),
                        Box::new(p.writer(std::io::stderr())),
                    );
                    Box::new(ProgressSink::new(Arc::clone(p), sink)) as Box<dyn Sink>
                }
                None => output::renderer(
                    opts,
                    Box::new(std::io::stdout().lock()),
                    Box::new(std::io::stderr()),
                ),
            };
            match hints.svg {
                Some(path) => Box::new(output::stacks::FlameGraphSink::new(sink, path)),
                None => sink,
            }
        };
    match inv {
        Invocation::Agent(a) => {
            let mut a = a.with_config().map_err(|e| e.into_crate("agent"))?;
            a.tracefs = kernel.tracefs.clone();
            a.tap = env.tap.clone();
            remote::agent::serve(&a, env.stop.clone())
        }
        Invocation::Keygen(path) => {
            remote::crypto::keygen(&path)?;
            let mut sink = sink_for(Default::default(), false, None);
            sink.emit(crate::record::Record::notice(
                crate::record::NoticeLevel::Info,
                format!(
                    "wrote a new key to {} (mode 0600): give the agent and each client a copy (--key-file, or key_file in the config)",
                    path.display()
                ),
            ))?;
            sink.flush().map_err(Error::from)
        }
        Invocation::Completions(c) => {
            let script = if c.binary == "lktrace" {
                Some(crate::gen::completions(command(), c.shell))
            } else {
                crate::gen::standalone_completions(&c.binary, c.shell)
            };
            let Some(script) = script else {
                return Err(Error::Usage(format!(
                    "no binary {:?} to complete: lktrace or a standalone tool ({})",
                    c.binary,
                    crate::gen::standalone().join(", ")
                )));
            };
            std::io::stdout()
                .lock()
                .write_all(&script)
                .map_err(crate::record::SinkError::from_io)?;
            Ok(())
        }
        Invocation::Ping(ra) => {
            let Some(targets) = ra.targets()? else {
                return Err(Error::Usage(
                    "ctl ping needs --remote HOST[:PORT] (or a name from the config file)".into(),
                ));
            };
            let mut sink = sink_for(Default::default(), targets.len() > 1, None);
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
            let hints = spec.render_hints();
            // Only for people: a terminal, the text format, and no -q.
            let progress = (mode == Mode::Human
                && !global.quiet
                && !global.live
                && std::io::stderr().is_terminal())
            .then(|| Progress::new(hints.duration));
            let mut sink = if global.live {
                live_sink(mode, &spec, &hints, env)?
            } else {
                sink_for(hints, multi, progress.as_ref())
            };
            let local = RunEnv {
                tap: tools_tap(env, progress.as_ref()),
                ..env.clone()
            };
            let r = match (&targets, &remote) {
                (Some(t), Some(ra)) => {
                    if kernel.debug {
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
                _ => tools::run(&spec, &local, sink.as_mut()),
            };
            r.and(sink.flush().map_err(Error::from))
        }
    }
}

/// `--live`'s sink, or why it cannot be had: a counting run with -i, in text mode, its table
/// on a terminal.
fn live_sink(
    mode: Mode,
    spec: &Spec,
    hints: &tools::RenderHints,
    env: &RunEnv,
) -> Result<Box<dyn Sink>> {
    if mode != Mode::Human {
        return Err(Error::Usage(
            "--live draws tables: not with --json or --format".into(),
        ));
    }
    if !(hints.metrics && hints.interval.is_some()) {
        return Err(Error::Usage(format!(
            "--live redraws a counting run's table every interval: {} needs -i SECS (funccount -i 1 --live 'vfs_*')",
            spec.tool()
        )));
    }
    if !std::io::stdout().is_terminal() {
        return Err(Error::Usage("--live needs a terminal on stdout".into()));
    }
    let sink =
        output::live::LiveSink::start(spec.tool(), env.stop.clone(), Box::new(std::io::stdout()))
            .map_err(|e| Error::Other(format!("cannot take over the terminal for --live: {e}")))?;
    Ok(Box::new(sink))
}

/// The run's tap: `--debug`'s, the progress line's, both or none.
fn tools_tap(env: &RunEnv, progress: Option<&Arc<Progress>>) -> Option<TapHandle> {
    let p = progress.map(|p| TapHandle(Arc::clone(p) as Arc<dyn crate::tracefs::tap::Tap>));
    TapHandle::both(env.tap.clone(), p)
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
