//! The `Tool` trait and what the one list of tools ([`super::TOOLS`]) gives everyone else.
//!
//! A tool is a type implementing [`Tool`]. The [`tools!`](crate::tools) list in `tools/mod.rs`
//! turns the tools into the [`Spec`](super::Spec) enum (what travels to an agent), its
//! dispatch, and a list of [`Entry`] rows, one per tool, that the CLI (command tree, `--remote`,
//! render hints), the agent (name before Spec, log line), `ctl check`, `gen.rs` (man pages,
//! completions) and `tests/registry.rs` walk. Adding a tool is its own file plus one line there.

use std::fmt::Debug;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{RunEnv, Spec};
use crate::record::Sink;
use crate::tracefs::features::Feature;
use crate::Result;

/// How the CLI should render a run's records: hints a Spec carries, so a remote run renders as a
/// local one would.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderHints {
    /// Print the time above each counts table (`funccount -T`).
    pub timestamps: bool,
    /// Print column headers before the first event (`kprobe -H`).
    pub headers: bool,
    /// Print stacks folded, flame graph input (`stackcount --folded`).
    pub folded: bool,
    /// Write a flame graph of the stacks to this file, where the client runs
    /// (`stackcount --svg`).
    pub svg: Option<std::path::PathBuf>,
    /// The run reports counts, stacks or histograms, not events: what `--format openmetrics`
    /// can show.
    pub metrics: bool,
    /// How long the run traces (`-d SECS`): the progress line counts it down.
    pub duration: Option<std::time::Duration>,
    /// It reports every `-i SECS`: what `--live` redraws.
    pub interval: Option<std::time::Duration>,
    /// The run prints timed events or calls: what `--format chrome` puts on a timeline.
    pub timeline: bool,
    /// Spans as the function_graph tracer prints them, with these columns (funcgraph).
    pub graph: Option<crate::output::graph::GraphColumns>,
}

/// What a row of `ctl check` needs from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requires {
    /// Every one of these features.
    All(Vec<Feature>),
    /// At least one of these (a tool with several backends).
    Any(Vec<Feature>),
    /// A tracefs it can open as root, nothing more.
    Tracefs,
    /// Nothing of the kernel (it reads text).
    Nothing,
}

/// One row of `ctl check`: a label (`funccount (profiler)`) and what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub label: String,
    pub requires: Requires,
}

impl Need {
    pub fn new(label: impl Into<String>, requires: Requires) -> Need {
        Need {
            label: label.into(),
            requires,
        }
    }
}

/// A tool: everything about it that the rest of lktrace needs, in one place.
pub trait Tool: 'static {
    /// The subcommand (`lktrace NAME`) and, for standalone tools, the binary.
    const NAME: &'static str;
    /// One line for `-h` and the man page's NAME.
    const ABOUT: &'static str;
    /// What it does and how, for the man page's DESCRIPTION and `--help`: paragraphs separated
    /// by blank lines, as perf-tools' pages describe their tools.
    const DESCRIPTION: &'static str;
    /// Also ships as a binary of its own (`src/bin/NAME.rs`, a `[[bin]]`), perf-tools style.
    const STANDALONE: bool = false;
    /// May run on an agent (`--remote`). False for tools whose input is a local file.
    const REMOTE: bool = true;
    /// The record types it emits (`"type"` values, each documented in `docs/json.md`).
    const RECORDS: &'static [&'static str];
    /// Its real-kernel scenarios in `tests/vm_tools.rs` (`s.scenario("NAME", …)`); empty only
    /// for a tool that needs nothing of the kernel.
    const SCENARIOS: &'static [&'static str];
    /// Its man pages' section: 1, or 8 where perf-tools puts its tools (run as root).
    const MAN_SECTION: &'static str = "1";
    /// Sections of its man pages beyond what the arguments give, as (title, text), placed before
    /// EXAMPLES: perf-tools' REQUIREMENTS and OVERHEAD. Paragraphs are separated by blank lines.
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[];
    /// perf-tools' `eg,` lines at the end of `-h`: (command line, what it does). Real command
    /// lines for today's kernels (perf-tools' own, where a function moved, adapted).
    const EG: &'static [(&'static str, &'static str)] = &[];

    /// Its clap arguments (without `--remote`: the CLI adds that to every remote tool).
    type Args: clap::Args + clap::FromArgMatches;
    /// Its request: plain serde data, valid by construction (see `tools::values`).
    type Spec: Serialize + DeserializeOwned + Clone + Debug + PartialEq + Send + Sync + 'static;

    /// The arguments, checked once, as a Spec.
    fn spec(args: &Self::Args) -> Result<Self::Spec>;
    /// What `ctl check` reports for it.
    fn needs() -> Vec<Need>;
    /// One line for the agent's log. Client text is Debug-quoted: it must not forge log lines.
    fn describe(spec: &Self::Spec) -> String;
    fn render_hints(spec: &Self::Spec) -> RenderHints {
        let _ = spec;
        RenderHints::default()
    }
    /// Runs the Spec here, on this kernel (the agent calls exactly this).
    fn run(spec: &Self::Spec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()>;
}

/// A tool seen through the list: object-safe, so the list is a plain slice.
pub trait Entry: Sync {
    fn name(&self) -> &'static str;
    fn about(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn standalone(&self) -> bool;
    fn remote(&self) -> bool;
    fn records(&self) -> &'static [&'static str];
    fn scenarios(&self) -> &'static [&'static str];
    fn man_section(&self) -> &'static str {
        "1"
    }
    fn man_extra(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    fn eg(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// `lktrace NAME` with its arguments (no `--remote`, no global flags).
    fn command(&self) -> clap::Command;
    /// The Spec of a parsed command line (`m` are the matches of this tool's subcommand).
    fn spec_from(&self, m: &clap::ArgMatches) -> Result<Spec>;
    /// The Spec an agent received as JSON. Decoding runs every validating constructor, so a
    /// Spec that decodes is one the CLI would have built; the error says what was refused.
    fn decode(&self, body: &[u8]) -> std::result::Result<Spec, String>;
    fn needs(&self) -> Vec<Need>;
    /// It works on a kernel's tracefs (every tool but those that only read text, like parse).
    fn on_kernel(&self) -> bool {
        self.needs().iter().any(|n| n.requires != Requires::Nothing)
    }
}

/// perf-tools' `eg,` block: each command line, then what it does, aligned as perf-tools
/// aligns them (a long line puts its comment on the next).
pub fn eg_text(eg: &[(&str, &str)]) -> Option<String> {
    if eg.is_empty() {
        return None;
    }
    let mut out = String::from("eg,");
    for (cmd, what) in eg {
        if cmd.len() <= 32 {
            out.push_str(&format!("\n    {cmd:<33}# {what}"));
        } else {
            out.push_str(&format!("\n    {cmd}\n    {:<33}# {what}", ""));
        }
    }
    Some(out)
}

/// The [`Entry`] of tool `T`.
pub struct Row<T>(PhantomData<fn() -> T>);

impl<T> Row<T> {
    pub const fn new() -> Row<T> {
        Row(PhantomData)
    }
}

impl<T> Default for Row<T> {
    fn default() -> Row<T> {
        Row::new()
    }
}

impl<T: Tool> Entry for Row<T>
where
    Spec: From<T::Spec>,
{
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn about(&self) -> &'static str {
        T::ABOUT
    }
    fn description(&self) -> &'static str {
        T::DESCRIPTION
    }
    fn standalone(&self) -> bool {
        T::STANDALONE
    }
    fn remote(&self) -> bool {
        T::REMOTE
    }
    fn records(&self) -> &'static [&'static str] {
        T::RECORDS
    }
    fn scenarios(&self) -> &'static [&'static str] {
        T::SCENARIOS
    }
    fn man_section(&self) -> &'static str {
        T::MAN_SECTION
    }
    fn man_extra(&self) -> &'static [(&'static str, &'static str)] {
        T::MAN_EXTRA
    }
    fn eg(&self) -> &'static [(&'static str, &'static str)] {
        T::EG
    }
    fn command(&self) -> clap::Command {
        let cmd = <T::Args as clap::Args>::augment_args(clap::Command::new(T::NAME))
            .about(T::ABOUT)
            .long_about(T::DESCRIPTION)
            // `-d -1` is a value to refuse with our words, not an unknown flag.
            .allow_negative_numbers(true);
        match eg_text(T::EG) {
            Some(eg) => cmd.after_help(eg),
            None => cmd,
        }
    }
    fn spec_from(&self, m: &clap::ArgMatches) -> Result<Spec> {
        let args = <T::Args as clap::FromArgMatches>::from_arg_matches(m)
            .map_err(|e| crate::Error::Usage(e.to_string()))?;
        Ok(Spec::from(T::spec(&args)?))
    }
    fn decode(&self, body: &[u8]) -> std::result::Result<Spec, String> {
        serde_json::from_slice::<T::Spec>(body)
            .map(Spec::from)
            .map_err(|e| e.to_string())
    }
    fn needs(&self) -> Vec<Need> {
        T::needs()
    }
}
