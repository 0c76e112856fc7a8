//! kprobe: trace a kernel function's entry or return with arguments, as perf-tools' kprobe.
//!
//! `kprobe [-FhHsv] [-d secs] [-p PID] [-L TID] definition [filter]`, and beyond perf-tools
//! several definitions in one run (`kprobe 'p:do_sys_openat2' 'r:do_sys_openat2 $retval'`),
//! portable argument names `arg1..argN` (the running kernel's calling convention, or `$argN`
//! where it has BTF arguments), and a warning for a register that holds no argument.

use std::str::FromStr;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::argdist::{self, Aggregate};
use super::engine::stream;
use super::misses::Misses;
use super::silence::Silence;
use super::values::{EventFilter, FieldName, KprobeDefinition, Pid, RunSeconds, ValueError};
use super::RunEnv;
use crate::record::{Format, NoticeLevel, Record, Sink};
use crate::tracefs::events::{self, EventRef};
use crate::tracefs::features::Feature;
use crate::tracefs::probe::arch::Arch;
use crate::tracefs::probe::{ArgMode, ProbeDef, Target};
use crate::tracefs::{function_table, Error as TfError, Tracefs};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KprobeSpec {
    /// `p:[name] func [args]` / `r:[name] func [args]`, perf-tools style; one or more.
    pub definitions: KprobeDefinitions,
    /// An event filter expression (`filename ~ "*.conf"`), set on every event.
    pub filter: Option<EventFilter>,
    /// Buffer for this many seconds, then print (`-d`); otherwise stream until Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// Every thread of this process (`-p`).
    pub pid: Option<Pid>,
    /// This one thread (`-L`).
    pub tid: Option<Pid>,
    /// Kernel stack trace with each event (`-s`).
    pub stacks: bool,
    /// Print the event's format and exit (`-v`).
    pub format_only: bool,
    /// Skip the available_filter_functions check (`-F`).
    pub skip_check: bool,
    /// Print column headers (`-H`): a render hint.
    #[serde(default)]
    pub headers: bool,
    /// How events are read: the raw ring buffer, the text, or the best this kernel allows.
    #[serde(default)]
    pub reader: stream::Reader,
    /// A field counted in the kernel instead of events streamed (`--hist`, `--count`).
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
}

/// Most definitions in one kprobe run.
pub const MAX_DEFINITIONS: usize = 32;

/// The kprobe definitions of one run: at least one, at most [`MAX_DEFINITIONS`], each a
/// [`KprobeDefinition`], and their events named apart ([`kprobe_event_names`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<KprobeDefinition>", into = "Vec<KprobeDefinition>")]
pub struct KprobeDefinitions(Vec<KprobeDefinition>);

impl KprobeDefinitions {
    pub fn as_slice(&self) -> &[KprobeDefinition] {
        &self.0
    }

    /// Each definition parsed (they were checked when this was made).
    pub fn parsed(&self) -> Vec<ProbeDef> {
        self.0
            .iter()
            .filter_map(|d| ProbeDef::parse(d.as_str()).ok())
            .collect()
    }
}

impl TryFrom<Vec<KprobeDefinition>> for KprobeDefinitions {
    type Error = ValueError;
    fn try_from(v: Vec<KprobeDefinition>) -> Result<KprobeDefinitions, ValueError> {
        if v.is_empty() {
            return Err(ValueError::from("no probe definition".to_string()));
        }
        if v.len() > MAX_DEFINITIONS {
            return Err(ValueError::from(format!(
                "{} probe definitions; at most {MAX_DEFINITIONS} in one run",
                v.len()
            )));
        }
        let defs = KprobeDefinitions(v);
        let parsed = defs.parsed();
        if parsed.len() != defs.0.len() {
            return Err(ValueError::from("a probe definition does not parse".to_string()));
        }
        let names = kprobe_event_names(&parsed);
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(ValueError::from(format!(
                    "two definitions name their event {n}: give one another name (p:NAME FUNC)"
                )));
            }
        }
        Ok(defs)
    }
}

impl From<KprobeDefinition> for KprobeDefinitions {
    /// One definition is always a valid list.
    fn from(d: KprobeDefinition) -> KprobeDefinitions {
        KprobeDefinitions(vec![d])
    }
}

impl FromStr for KprobeDefinitions {
    type Err = ValueError;
    /// One definition.
    fn from_str(s: &str) -> Result<KprobeDefinitions, ValueError> {
        KprobeDefinition::try_from(s).map(KprobeDefinitions::from)
    }
}

impl From<KprobeDefinitions> for Vec<KprobeDefinition> {
    fn from(v: KprobeDefinitions) -> Vec<KprobeDefinition> {
        v.0
    }
}

/// The event name of each definition in one run: its own name, else the function's, and for
/// an unnamed definition whose name an earlier one took, `<func>_ret` for a return probe
/// (`p:do_sys_openat2` beside `r:do_sys_openat2`), else `<name>_<N>`.
pub fn kprobe_event_names(defs: &[ProbeDef]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(defs.len());
    for d in defs {
        let mut name = d.event_name();
        let explicit = d.event.as_deref().is_some_and(|e| !e.is_empty());
        if !explicit && names.contains(&name) {
            let base = name.clone();
            if d.is_return() {
                name = format!("{base}_ret");
            }
            let mut n = 2;
            while names.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
        }
        names.push(name);
    }
    names
}

/// The kprobe tool (see the module documentation).
pub struct Kprobe;

impl super::Tool for Kprobe {
    const NAME: &'static str = "kprobe";
    const ABOUT: &'static str = "Trace a kernel function with a kprobe (perf-tools kprobe)";
    const DESCRIPTION: &'static str =
        "kprobe traces a kernel function with a dynamic probe: a kprobe at its entry (p:) or a \
         kretprobe at its return (r:), fetching the arguments, registers, memory and return \
         value the definition names, and prints each event as the kernel prints it, while it \
         happens or (-d SECS) at the end from a buffer. The definition is the kernel's \
         kprobe_events syntax, as in perf-tools' kprobe; arg1..argN name the function's \
         arguments on any architecture. A filter after the definition is evaluated by the \
         kernel.\n\n--hist FIELD and --count FIELD count a field in the kernel (a hist trigger) \
         instead of printing events: a log2 histogram, or a count per value. -s prints the \
         kernel stack of each event, -v the event's format.\n\nThe probe goes in a group of this \
         run's own (lkt_PID) and is enabled in this run's own tracefs instance; both are removed \
         when it ends, also on Ctrl-C, SIGTERM, SIGHUP, an error or a closed pipe.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] =
        &["event", "stack", "lost", "format", "notice", "histogram", "counts"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("kprobe p:do_sys_openat2", "trace open() entry"),
        ("kprobe r:do_sys_openat2", "trace open() return"),
        ("kprobe 'r:do_sys_openat2 $retval'", "trace open() return value"),
        ("kprobe 'r:myopen do_sys_openat2 $retval'", "use a custom probe name"),
        ("kprobe 'p:myopen do_sys_openat2 filename=+0(%si):string'", "trace open() with filename"),
        ("kprobe 'p:myopen do_sys_openat2 filename=+0(arg2):string'", "the same on any architecture"),
        ("kprobe -s 'p:myprobe tcp_retransmit_skb'", "show kernel stacks"),
        ("kprobe 'p:do_sys_openat2 file=+0(%si):string' 'file ~ \"*stat\"'", "opened files ending in \"stat\""),
        ("kprobe --hist 'bytes' 'r:vfs_read bytes=$retval'", "histogram of read sizes, in the kernel"),
    ];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux with tracefs, kprobes (CONFIG_KPROBE_EVENTS) and instances (3.10+), root. \
             arg1..argN (the function's arguments by position) become the argument registers of \
             the architecture (x86_64, arm64, and others lktrace knows), or $argN where the \
             kernel resolves arguments from BTF (6.5+, CONFIG_PROBE_EVENTS_BTF_ARGS), which also \
             takes the function's own argument names. -p and -L need set_event_pid \
             (4.4+); -s needs CONFIG_STACKTRACE; --hist and --count need hist triggers \
             (CONFIG_HIST_TRIGGERS, 4.7+). The function must be in available_filter_functions \
             unless -F, and not in the kprobe blacklist. Kernel lockdown in confidentiality mode \
             forbids tracefs.",
        ),
        (
            "FIELDS",
            "Each event is one line as the kernel's trace file prints it: TASK-PID (the thread's \
             name and id; with -H the header names the columns), [CPU], the irq and preemption \
             flags, TIMESTAMP (seconds since boot, as the kernel printed it), the probe's name, \
             the probe site (function+offset, or for a return probe the caller <- function), \
             then each fetched argument as NAME=VALUE in the type it was fetched as (x32/x64 in \
             hex, u/s decimal, string in quotes). With --json each event is a record with these \
             as fields (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "Each hit costs the kernel the probe (an ftrace hook at a function's entry, a \
             breakpoint elsewhere; a kretprobe also swaps the return address) and the fetches, \
             then one ring buffer write. Without -d every event is read and printed in user \
             space as it comes: functions called hundreds of thousands of times a second are \
             costly to print, and the kernel drops events it has no room for (reported as lost \
             records and on stderr). A filter is evaluated before an event is written, and \
             --hist/--count write nothing at all: prefer them for hot functions. Start with -d 1 \
             to see how frequent a function is.",
        ),
    ];
    const SCENARIOS: &'static [&'static str] = &["kp_entry", "kp_return", "kp_pid", "kp_stack", "kp_silent", "kp_hist"];
    type Args = KprobeArgs;
    type Spec = KprobeSpec;

    fn spec(args: &KprobeArgs) -> Result<KprobeSpec> {
        args.to_spec()
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        use crate::tracefs::features::Feature;
        vec![
            Need::new("kprobe", All(vec![Feature::Kprobes, Feature::Instances])),
            Need::new(
                "kprobe -s",
                All(vec![Feature::Kprobes, Feature::StackTrace]),
            ),
        ]
    }

    fn describe(spec: &KprobeSpec) -> String {
        let defs: Vec<&str> = spec.definitions.as_slice().iter().map(|d| d.as_str()).collect();
        format!("kprobe {defs:?}")
    }

    fn render_hints(spec: &KprobeSpec) -> super::RenderHints {
        super::RenderHints {
            headers: spec.headers,
            metrics: spec.aggregate.is_some(),
            timeline: spec.aggregate.is_none() && !spec.format_only,
            duration: spec.duration_s.map(RunSeconds::duration),
            ..Default::default()
        }
    }

    fn run(spec: &KprobeSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Trace a kernel function with kprobes.
#[derive(Debug, Clone, Args)]
pub struct KprobeArgs {
    /// Skip the available_filter_functions check
    #[arg(short = 'F')]
    pub force: bool,
    /// Print column headers
    #[arg(short = 'H')]
    pub headers: bool,
    /// Print a kernel stack trace after each event
    #[arg(short = 's')]
    pub stacks: bool,
    /// Print the event's format and exit
    #[arg(short = 'v')]
    pub view_format: bool,
    /// Trace for SECS seconds (buffered), then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Trace every thread of this process
    #[arg(short = 'p', value_name = "PID", conflicts_with = "tid")]
    pub pid: Option<Pid>,
    /// Trace this thread only
    #[arg(short = 'L', value_name = "TID")]
    pub tid: Option<Pid>,
    /// How to read events: the binary ring buffer (raw, where the kernel allows and its text can
    /// be reproduced), the kernel's text (text), or the default (auto: text for now)
    #[arg(long, value_enum, value_name = "READER", default_value_t = stream::Reader::Auto)]
    pub reader: stream::Reader,
    /// Print a log2 histogram of this field of the probe (e.g. a size argument, or $retval
    /// fetched as ret=$retval), counted in the kernel, instead of each event
    #[arg(long, value_name = "FIELD", conflicts_with_all = ["count", "stacks", "view_format"])]
    pub hist: Option<FieldName>,
    /// Print how often each value of this field occurred, counted in the kernel, instead of
    /// each event
    #[arg(long, value_name = "FIELD", conflicts_with_all = ["stacks", "view_format"])]
    pub count: Option<FieldName>,
    /// One or more probe definitions, p:[NAME] FUNC [ARGS] or r:[NAME] FUNC [ARGS] (e.g.
    /// 'p:myopen do_sys_openat2 filename=+0(arg2):string'; arg1..argN are the function's
    /// arguments on any architecture), then optionally an event filter set on every event (e.g.
    /// 'filename ~ "*.conf"')
    #[arg(required = true, num_args = 1.., value_name = "DEFINITION")]
    pub definitions: Vec<String>,
}

/// A probe definition as opposed to a filter: `p`, `r` or `rN`, then `:` or a space.
fn is_definition(s: &str) -> bool {
    let t = s.trim_start();
    let rest = if let Some(r) = t.strip_prefix('p') {
        r
    } else if let Some(r) = t.strip_prefix('r') {
        r.trim_start_matches(|c: char| c.is_ascii_digit())
    } else {
        return false;
    };
    // `p vfs_read` is the kernel's own form; `p == 1` is a filter on a field named p.
    rest.starts_with(':')
        || (rest.starts_with(' ')
            && rest
                .trim_start()
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '/'))
}

impl KprobeArgs {
    pub fn to_spec(&self) -> Result<KprobeSpec> {
        let usage = |e: super::values::ValueError| Error::Usage(e.to_string());
        let (defs, filter) = match self.definitions.split_last() {
            Some((last, rest)) if !rest.is_empty() && !is_definition(last) => (rest, Some(last)),
            _ => (&self.definitions[..], None),
        };
        let mut definitions = Vec::with_capacity(defs.len());
        for text in defs {
            if !is_definition(text) {
                return Err(Error::Usage(format!(
                    "{text:?} is not a probe definition (p:... or r:...); only the last argument \
                     may be a filter"
                )));
            }
            // Parsed here first so a bad definition is shown with the parser's caret; the
            // KprobeDefinition below runs the same parse (and the agent runs it again).
            let def = ProbeDef::parse(text).map_err(TfError::from)?;
            if def.is_uprobe() {
                return Err(Error::Usage(
                    "that is a uprobe definition (PATH:OFFSET); kprobe traces kernel functions"
                        .into(),
                ));
            }
            definitions.push(KprobeDefinition::try_from(text.as_str()).map_err(usage)?);
        }
        let definitions = KprobeDefinitions::try_from(definitions).map_err(usage)?;
        let filter = filter
            .map(|f| EventFilter::try_from(f.as_str()))
            .transpose()
            .map_err(usage)?;
        Ok(KprobeSpec {
            definitions,
            filter,
            duration_s: self.duration,
            pid: self.pid,
            tid: self.tid,
            stacks: self.stacks,
            format_only: self.view_format,
            skip_check: self.force,
            headers: self.headers,
            reader: self.reader,
            aggregate: match (&self.hist, &self.count) {
                (Some(f), _) => Some(Aggregate::Hist(f.clone())),
                (None, Some(f)) => Some(Aggregate::Count(f.clone())),
                (None, None) => None,
            },
        })
        .and_then(|spec| {
            aggregate_field(&spec)?;
            Ok(spec)
        })
    }
}

/// `-v` prints the format and traces nothing, so a duration means nothing with it: refused as
/// perf-tools refuses it ("use either -d or -v"). With `--hist`/`--count`: one definition, and
/// the field one of its arguments (named, or the kernel's `argN`). Checked by the CLI and again
/// where the run happens, before tracefs is touched.
fn aggregate_field(spec: &KprobeSpec) -> Result<()> {
    if spec.format_only && spec.duration_s.is_some() {
        return Err(Error::Usage(
            "-v prints the event's format and traces nothing: use either -d or -v, not both"
                .into(),
        ));
    }
    let Some(agg) = &spec.aggregate else {
        return Ok(());
    };
    let field = agg.field().as_str();
    let defs = spec.definitions.parsed();
    let [def] = defs.as_slice() else {
        return Err(Error::Usage(format!(
            "--hist and --count take one probe definition, not {}",
            defs.len()
        )));
    };
    argdist::check_field(def, field)
}

/// Runs kprobe: defines the probes in our group (argument names made concrete for this
/// kernel), enables them in our instance (with the pid filter, filter expression and stack
/// option asked for), and streams or buffers their events.
pub fn run(spec: &KprobeSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    // The agent runs the same check the CLI ran.
    aggregate_field(spec)?;
    // Checked when the Spec was made; parsed again for their parts.
    let mut defs = spec.definitions.parsed();
    let names = kprobe_event_names(&defs);
    let tracefs = super::open_tracefs(env)?;
    if !spec.skip_check {
        let symbols: Vec<&str> = defs
            .iter()
            .filter_map(|d| match &d.target {
                Target::Symbol {
                    module: None,
                    symbol,
                    ..
                } => Some(symbol.as_str()),
                _ => None,
            })
            .collect();
        if !symbols.is_empty() {
            let _phase = tracefs.phase("resolve functions");
            let available = function_table::available_functions_cached(&tracefs)?;
            if let Some(missing) = symbols.iter().find(|s| !available.iter().any(|n| n == *s)) {
                return Err(TfError::NotTraceable {
                    name: missing.to_string(),
                }
                .into());
            }
        }
    }
    let opts = stream::Options {
        duration: spec.duration_s.map(RunSeconds::duration),
        pid: spec.pid.map(Pid::get),
        tid: spec.tid.map(Pid::get),
        reader: spec.reader,
        stacks: spec.stacks,
    };
    let threads = stream::threads(&opts)?;

    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    // The running kernel's architecture (an agent's own), and whether it resolves arguments.
    let features = session.features();
    let arch = Arch::from_machine(&features.arch);
    let mode = if features.has(Feature::BtfArgs) {
        ArgMode::Btf
    } else {
        ArgMode::Registers(arch)
    };
    for (d, name) in defs.iter_mut().zip(&names) {
        if let Some(arch) = arch {
            for w in d.register_warnings(arch) {
                sink.emit(Record::notice(NoticeLevel::Warning, w))?;
            }
        }
        *d = d.resolve_args(mode).map_err(TfError::from)?;
        d.event = Some(name.clone());
    }
    session.add_probes(&defs)?;
    let group = session.group();
    let events: Vec<EventRef> = names.iter().map(|n| EventRef::event(&group, n)).collect();

    if spec.format_only {
        for name in &names {
            let text = events::format_text(session.tracefs(), &group, name)?;
            sink.emit(Record::Format(Format {
                event: name.clone(),
                text,
            }))?;
        }
        return super::close_session(session);
    }

    if let Some(agg) = &spec.aggregate {
        let run = argdist::Run {
            what: "kprobe",
            filter: spec.filter.as_ref().map(|f| f.as_str()),
            threads: threads.as_deref(),
            duration: spec.duration_s.map(RunSeconds::duration),
        };
        return argdist::run(session, &events[0], agg, &run, sink);
    }
    if let Some(filter) = &spec.filter {
        for ev in &events {
            session.set_filter(ev, filter.as_str())?;
        }
    }
    if spec.stacks {
        session.set_instance_option("stacktrace", "1")?;
    }
    let prepared = stream::prepare(&mut session, &opts, threads.as_deref(), &events)?;
    let input = prepared.input;
    // Several events start together: the group is ours alone.
    match events.as_slice() {
        [one] => session.enable(one)?,
        _ => session.enable(&EventRef::group(&group))?,
    }
    let what = match names.as_slice() {
        [one] => format!("kprobe {one}"),
        many => format!("kprobes {}", many.join(", ")),
    };
    let mut silence = silence(spec, &defs, &names, session.tracefs());
    silence.misses = Misses::of(&defs);
    let note = prepared.note;
    stream::announce(sink, &what, spec.duration_s, Some(&note))?;

    stream::finish(&opts, session, input, sink, &silence)
}

/// What kprobe says when its probes saw nothing: each probe and its function, and the
/// function the kernel's path enters now where the probed one moved away (the design's
/// `p:myprobe do_sys_open` on 6.x).
fn silence(
    spec: &KprobeSpec,
    defs: &[ProbeDef],
    names: &[String],
    tracefs: &Tracefs,
) -> Silence {
    let probes: Vec<String> = defs
        .iter()
        .zip(names)
        .map(|(d, n)| match d.symbol() {
            Some(sym) => format!("{n} ({sym})"),
            None => n.clone(),
        })
        .collect();
    let mut s = Silence::new(match probes.as_slice() {
        [one] => format!("kprobe {one}"),
        many => format!("kprobes {}", many.join(", ")),
    });
    s.moved_in(defs.iter().filter_map(|d| d.symbol()), tracefs);
    s.narrowed(
        spec.pid.map(Pid::get),
        spec.tid.map(Pid::get),
        spec.filter.as_ref().map(|f| f.as_str()),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: KprobeArgs,
    }

    fn spec(argv: &[&str]) -> Result<KprobeSpec> {
        let mut v = vec!["kprobe"];
        v.extend_from_slice(argv);
        Cli::try_parse_from(v)
            .map_err(|e| Error::Usage(e.to_string()))?
            .args
            .to_spec()
    }

    fn defs(s: &KprobeSpec) -> Vec<&str> {
        s.definitions.as_slice().iter().map(|d| d.as_str()).collect()
    }

    #[test]
    fn one_definition_and_a_filter_as_in_perf_tools() {
        let s = spec(&["r:do_sys_openat2 ret=$retval", "ret > 0xfffffffffffff000"]).unwrap();
        assert_eq!(defs(&s), ["r:do_sys_openat2 ret=$retval"]);
        assert_eq!(s.filter.as_deref(), Some("ret > 0xfffffffffffff000"));
        let s = spec(&["p:vfs_read count=%dx", "p == 1"]).unwrap();
        assert_eq!(s.filter.as_deref(), Some("p == 1"));
        let s = spec(&["p:vfs_read"]).unwrap();
        assert_eq!(s.filter, None);
    }

    #[test]
    fn several_definitions_then_maybe_a_filter() {
        let s = spec(&["p:do_sys_openat2", "r:do_sys_openat2 $retval"]).unwrap();
        assert_eq!(defs(&s), ["p:do_sys_openat2", "r:do_sys_openat2 $retval"]);
        assert_eq!(s.filter, None);
        let s = spec(&["p vfs_read", "r2:vfs_read $retval", "common_pid != 0"]).unwrap();
        assert_eq!(defs(&s).len(), 2);
        assert_eq!(s.filter.as_deref(), Some("common_pid != 0"));
        let e = spec(&["p:vfs_read", "count > 1", "p:vfs_write"]).unwrap_err();
        assert!(e.to_string().contains("only the last argument"), "{e}");
        let e = spec(&["p:a vfs_read", "p:a vfs_write"]).unwrap_err();
        assert!(e.to_string().contains("name their event a"), "{e}");
        assert!(spec(&[]).is_err());
    }

    #[test]
    fn format_only_takes_no_duration() {
        let e = spec(&["-v", "-d", "1", "p:vfs_read"]).unwrap_err();
        assert!(matches!(e, Error::Usage(_)), "{e}");
        assert!(e.to_string().contains("use either -d or -v"), "{e}");
        // The agent runs the same check on a Spec it received.
        let mut s = spec(&["-v", "p:vfs_read"]).unwrap();
        s.duration_s = spec(&["-d", "1", "p:vfs_read"]).unwrap().duration_s;
        let e = run(&s, &RunEnv::default(), &mut crate::record::VecSink::default()).unwrap_err();
        assert!(e.to_string().contains("use either -d or -v"), "{e}");
    }

    fn def_list(list: &[&str]) -> Result<KprobeDefinitions, ValueError> {
        let v: Result<Vec<KprobeDefinition>, ValueError> = list
            .iter()
            .map(|d| KprobeDefinition::try_from(*d))
            .collect();
        KprobeDefinitions::try_from(v?)
    }

    #[test]
    fn several_definitions_get_events_of_their_own() {
        let d = def_list(&[
            "p:do_sys_openat2",
            "r:do_sys_openat2 $retval",
            "p:vfs_read",
            "p:vfs_read",
        ])
        .unwrap();
        assert_eq!(
            kprobe_event_names(&d.parsed()),
            [
                "do_sys_openat2",
                "do_sys_openat2_ret",
                "vfs_read",
                "vfs_read_2"
            ]
        );
        let e = def_list(&["p:a vfs_read", "p:a vfs_write"]).unwrap_err();
        assert!(
            e.to_string().contains("two definitions name their event a"),
            "{e}"
        );
        assert!(def_list(&[]).is_err());
        let many = vec!["p:vfs_read"; MAX_DEFINITIONS + 1];
        assert!(def_list(&many).is_err());
        // Through serde, as an agent receives it.
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<KprobeDefinitions>(&json).unwrap(), d);
        assert!(
            serde_json::from_str::<KprobeDefinitions>(r#"["p:a vfs_read","p:a vfs_write"]"#)
                .is_err()
        );
        assert!(serde_json::from_str::<KprobeDefinitions>("[]").is_err());
    }
}
