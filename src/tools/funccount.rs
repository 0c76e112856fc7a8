//! funccount: count kernel function calls matching a glob, in the kernel where possible.
//!
//! `funccount [-hT] [-i secs] [-d secs] [-t top] pattern`, as in perf-tools, with globs anywhere
//! in the pattern and a choice of backend (DESIGN.md section 4).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::values::{FuncPattern, IntervalSeconds, MaxProbes, RunSeconds, Top};
use super::RunEnv;
use crate::record::{Count, Counts, Lost, NoticeLevel, Record, Sink};
use crate::tracefs::events::EventRef;
use crate::tracefs::features::Feature;
use crate::tracefs::ftrace_filter::{self, FilterList};
use crate::tracefs::pipe::TracePipe;
use crate::tracefs::probe::{ProbeDef, ProbeKind, Target};
use crate::tracefs::trace_line::{self, Body, Line};
use crate::tracefs::{
    dynamic_events, hist, kprobe_profile, profiler, Error as TfError, Session, Tracefs,
};
use crate::{Error, Result};

/// Where the counting happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// The function profiler: per-CPU counters in the kernel (CONFIG_FUNCTION_PROFILER).
    Profiler,
    /// One kprobe per function, hits read from kprobe_profile; nothing streamed.
    KprobeProfile,
    /// One multi-probe kprobe event on every function and a hist trigger keyed on the probed
    /// function; nothing streamed. Needs CONFIG_HIST_TRIGGERS and Linux 5.7+ (multi-probe
    /// events). Chosen only with --backend: it costs what kprobe_profile costs.
    Hist,
    /// The function tracer in a private instance; trace_pipe lines counted here.
    FunctionTrace,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Profiler => "profiler",
            Backend::KprobeProfile => "kprobe_profile",
            Backend::Hist => "hist",
            Backend::FunctionTrace => "function_trace",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunccountSpec {
    pub pattern: FuncPattern,
    /// Stop after this many seconds (`-d`); otherwise at Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// Print a table every this many seconds (`-i`).
    pub interval_s: Option<IntervalSeconds>,
    /// Show only the top N functions (`-t`).
    pub top: Option<Top>,
    /// Forced backend (`--backend`); chosen automatically when `None`.
    pub backend: Option<Backend>,
    /// The most kprobes the kprobe_profile backend may create.
    pub max_probes: MaxProbes,
    /// Print the time above each table (`-T`): a render hint.
    #[serde(default)]
    pub timestamps: bool,
}

/// The funccount tool (see the module documentation).
pub struct Funccount;

impl super::Tool for Funccount {
    const NAME: &'static str = "funccount";
    const ABOUT: &'static str = "Count kernel function calls (perf-tools funccount)";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["counts", "lost", "notice"];
    const SCENARIOS: &'static [&'static str] = &["fc_auto", "fc_hist", "fc_interval"];
    type Args = FunccountArgs;
    type Spec = FunccountSpec;

    fn spec(args: &FunccountArgs) -> Result<FunccountSpec> {
        args.to_spec()
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::*};
        vec![
            Need::new("funccount (profiler)", All(vec![Feature::FunctionProfiler])),
            Need::new("funccount (kprobe_profile)", All(vec![Feature::Kprobes])),
            Need::new(
                "funccount (function_trace)",
                All(vec![Feature::FunctionTracer]),
            ),
            Need::new(
                "funccount",
                Any(vec![
                    Feature::FunctionProfiler,
                    Feature::Kprobes,
                    Feature::FunctionTracer,
                ]),
            ),
        ]
    }

    fn describe(spec: &FunccountSpec) -> String {
        format!("funccount {:?}", spec.pattern)
    }

    fn render_hints(spec: &FunccountSpec) -> super::RenderHints {
        super::RenderHints {
            timestamps: spec.timestamps,
            ..Default::default()
        }
    }

    fn run(spec: &FunccountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Count kernel function calls.
#[derive(Debug, Clone, Args)]
pub struct FunccountArgs {
    /// Print a timestamp with each table (-T)
    #[arg(short = 'T')]
    pub timestamps: bool,
    /// Print a table every SECS seconds
    #[arg(short = 'i', value_name = "SECS")]
    pub interval: Option<IntervalSeconds>,
    /// Trace for SECS seconds, then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Show only the top N functions
    #[arg(short = 't', value_name = "N")]
    pub top: Option<Top>,
    /// Where to count (default: the best this kernel has)
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Most kprobes the kprobe-profile backend may create
    #[arg(long, default_value_t = MaxProbes::default(), value_name = "N")]
    pub max_probes: MaxProbes,
    /// Function glob: vfs_*, *_read, tcp_*send*, vfs_[rw]*
    pub pattern: FuncPattern,
}

impl FunccountArgs {
    /// Every value was checked as clap parsed it (the types in `tools::values`).
    pub fn to_spec(&self) -> Result<FunccountSpec> {
        Ok(FunccountSpec {
            pattern: self.pattern.clone(),
            duration_s: self.duration,
            interval_s: self.interval,
            top: self.top,
            backend: self.backend,
            max_probes: self.max_probes,
            timestamps: self.timestamps,
        })
    }
}

/// Runs funccount: picks a backend, counts, emits one Counts record per interval (or one at
/// the end), and leaves tracefs as it found it.
pub fn run(spec: &FunccountSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    let tracefs = super::open_tracefs(env)?;
    let functions = ftrace_filter::available_functions(&tracefs)?;
    let matched: Vec<String> = ftrace_filter::matching(&functions, &spec.pattern)
        .into_iter()
        .map(str::to_string)
        .collect();
    if matched.is_empty() {
        return Err(TfError::NoMatch {
            pattern: spec.pattern.to_string(),
        }
        .into());
    }
    let mut session = Session::open(tracefs, env.stop.clone())?;
    super::report_reaped(&session, sink)?;
    let backend = choose_backend(spec, &session, matched.len())?;
    let mut counter: Box<dyn Counter> = match backend {
        Backend::Profiler => Box::new(ProfilerCounter::new(&matched)),
        Backend::KprobeProfile => Box::new(KprobeCounter::default()),
        Backend::Hist => Box::new(HistCounter::default()),
        Backend::FunctionTrace => Box::new(TraceCounter::default()),
    };
    counter.start(&mut session, spec, &matched, sink)?;
    sink.emit(Record::notice(
        NoticeLevel::Info,
        format!(
            "Tracing \"{}\" ({} functions, backend {})... {}",
            spec.pattern,
            matched.len(),
            backend.name(),
            match spec.duration_s {
                Some(d) => format!("for {d} seconds, or Ctrl-C to end."),
                None => "Ctrl-C to end.".to_string(),
            }
        ),
    ))?;
    sink.flush()?;
    let result = count_loop(spec, backend, counter.as_mut(), &session, sink);
    // Teardown errors are reported, not swallowed: tracefs must be left as found.
    let report = session.close();
    result?;
    if let Some(e) = report.failures.into_iter().next() {
        return Err(e.into());
    }
    sink.emit(Record::notice(NoticeLevel::Info, "Ending tracing..."))?;
    Ok(())
}

fn choose_backend(spec: &FunccountSpec, session: &Session, n: usize) -> Result<Backend> {
    let f = session.features();
    if let Some(b) = spec.backend {
        match b {
            Backend::Profiler => f.require(Feature::FunctionProfiler)?,
            Backend::KprobeProfile | Backend::Hist => {
                f.require(Feature::Kprobes)?;
                if b == Backend::Hist {
                    f.require(Feature::HistTriggers)?;
                }
                if n > spec.max_probes.get() {
                    return Err(Error::Usage(format!(
                        "the pattern matches {n} functions; the {} backend makes one kprobe each and stops at {} (raise --max-probes, or narrow the pattern)",
                        b.name(),
                        spec.max_probes
                    )));
                }
            }
            Backend::FunctionTrace => f.require(Feature::FunctionTracer)?,
        }
        return Ok(b);
    }
    if f.has(Feature::FunctionProfiler) {
        Ok(Backend::Profiler)
    } else if f.has(Feature::Kprobes) && n <= spec.max_probes.get() {
        Ok(Backend::KprobeProfile)
    } else if f.has(Feature::FunctionTracer) {
        Ok(Backend::FunctionTrace)
    } else {
        f.require(Feature::FunctionTracer)?;
        unreachable!("require fails when the feature is absent")
    }
}

/// The interval loop, shared by every backend.
fn count_loop(
    spec: &FunccountSpec,
    backend: Backend,
    counter: &mut dyn Counter,
    session: &Session,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag().clone();
    let start = Instant::now();
    let end = spec.duration_s.map(|d| start + d.duration());
    let interval = spec.interval_s.map(IntervalSeconds::duration);
    let mut previous: HashMap<String, u64> = HashMap::new();
    let mut interval_start = start;
    loop {
        let now = Instant::now();
        let mut deadline = interval.map(|i| interval_start + i);
        if let Some(e) = end {
            deadline = Some(deadline.map_or(e, |d| d.min(e)));
        }
        let stopped = match deadline {
            Some(d) if now >= d => false,
            Some(d) => counter.pump(session, (d - now).min(Duration::from_millis(200)), sink)?,
            None => counter.pump(session, Duration::from_millis(200), sink)?,
        } || stop.is_set();
        let now = Instant::now();
        let interval_due = deadline.is_some_and(|d| now >= d);
        if !(interval_due || stopped) {
            continue;
        }
        let finished = stopped || end.is_some_and(|e| now >= e);
        if finished {
            counter.finish(session, sink)?;
        }
        let totals = counter.snapshot(session)?;
        let mut delta: Vec<Count> = totals
            .iter()
            .map(|(name, &c)| Count {
                name: name.clone(),
                count: c.saturating_sub(previous.get(name).copied().unwrap_or(0)),
            })
            .filter(|c| c.count > 0)
            .collect();
        sort_and_cut(&mut delta, spec.top.map(Top::get));
        sink.emit(Record::Counts(Counts {
            backend: backend.name().to_string(),
            duration_s: now.duration_since(interval_start).as_secs_f64(),
            time: unix_now(),
            counts: delta,
            host: None,
        }))?;
        sink.flush()?;
        previous = totals;
        interval_start = now;
        if finished {
            return Ok(());
        }
    }
}

/// perf-tools order: ascending by count (the busiest last, next to the prompt); `-t N` keeps
/// the N busiest.
pub fn sort_and_cut(counts: &mut Vec<Count>, top: Option<usize>) {
    counts.sort_by(|a, b| a.count.cmp(&b.count).then_with(|| a.name.cmp(&b.name)));
    if let Some(n) = top {
        let cut = counts.len().saturating_sub(n);
        counts.drain(..cut);
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// One way of counting. `snapshot` returns cumulative counts since `start`.
trait Counter {
    fn start(
        &mut self,
        s: &mut Session,
        spec: &FunccountSpec,
        matched: &[String],
        sink: &mut dyn Sink,
    ) -> Result<()>;
    /// Waits up to `timeout` (reading the trace if this backend streams). True if stopped.
    fn pump(&mut self, s: &Session, timeout: Duration, sink: &mut dyn Sink) -> Result<bool> {
        let _ = sink;
        Ok(s.stop_flag().sleep(timeout))
    }
    /// Called once before the last snapshot: stop counting, drain what is buffered.
    fn finish(&mut self, s: &Session, sink: &mut dyn Sink) -> Result<()> {
        let _ = (s, sink);
        Ok(())
    }
    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>>;
}

/// The function profiler: counters per CPU in `trace_stat/function<N>`, global.
struct ProfilerCounter {
    /// The kernel cuts names to 30 characters; this maps a cut name back to the full one
    /// when only one matched function has that prefix.
    full_names: HashMap<String, Option<String>>,
}

impl ProfilerCounter {
    fn new(matched: &[String]) -> ProfilerCounter {
        let mut full_names: HashMap<String, Option<String>> = HashMap::new();
        for name in matched {
            let cut: String = name.chars().take(profiler::NAME_WIDTH).collect();
            full_names
                .entry(cut)
                .and_modify(|v| *v = None)
                .or_insert_with(|| Some(name.clone()));
        }
        ProfilerCounter { full_names }
    }
}

impl Counter for ProfilerCounter {
    fn start(
        &mut self,
        s: &mut Session,
        spec: &FunccountSpec,
        _matched: &[String],
        _sink: &mut dyn Sink,
    ) -> Result<()> {
        s.lock_global("the function profiler")?;
        let t = s.tracefs().clone();
        if t.read_value("function_profile_enabled")? == "1" {
            return Err(TfError::Busy {
                what: "the function profiler".into(),
                holder: "someone else (function_profile_enabled is 1)".into(),
            }
            .into());
        }
        // The profiler follows the top-level filter, which the top-level function tracer
        // shares: changing it under someone's running tracer would change their trace.
        let tracer = t.read_value("current_tracer")?;
        if tracer != "nop" {
            return Err(TfError::Busy {
                what: "the top-level set_ftrace_filter".into(),
                holder: format!("the running {tracer} tracer; try --backend kprobe-profile"),
            }
            .into());
        }
        let list = FilterList::new(vec![spec.pattern.to_string()])
            .ok_or_else(|| Error::Usage("empty pattern".into()))?;
        s.set_global_filter("set_ftrace_filter", &list)?;
        // 0 -> 1 resets the counters.
        s.set_global("function_profile_enabled", "1")?;
        Ok(())
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let rows = profiler::read_all(s.tracefs())?;
        let mut out = HashMap::new();
        for row in rows {
            // Only what we asked for: a kernel whose profiler ignores the filter (6.11 until
            // the Jan-2025 fix) counts every function.
            let Some(full) = self.full_names.get(&row.name) else {
                continue;
            };
            let name = full.clone().unwrap_or_else(|| row.name.clone());
            *out.entry(name).or_insert(0) += row.hits;
        }
        Ok(out)
    }
}

/// One kprobe per function; the kernel counts hits in `kprobe_profile` while the probes are
/// enabled in our instance, whose buffer is off: nothing is streamed.
#[derive(Default)]
struct KprobeCounter {
    /// event name -> function name
    events: HashMap<String, String>,
}

impl Counter for KprobeCounter {
    fn start(
        &mut self,
        s: &mut Session,
        _spec: &FunccountSpec,
        matched: &[String],
        sink: &mut dyn Sink,
    ) -> Result<()> {
        // kprobe_profile shows event names without their group: avoid names other groups use.
        let taken: HashSet<String> = dynamic_events::list_all(s.tracefs())
            .into_iter()
            .map(|l| l.event)
            .collect();
        let mut used = HashSet::new();
        let named: Vec<(String, &str)> = matched
            .iter()
            .map(|f| (unique_event_name(f, &taken, &mut used), f.as_str()))
            .collect();
        let refused = attach_entry_probes(s, &named, sink)?;
        for (name, f) in named {
            if !refused.contains(f) {
                self.events.insert(name, f.to_string());
            }
        }
        let group = s.group();
        s.enable(&EventRef::group(&group))?;
        Ok(())
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let text = s.tracefs().read("kprobe_profile")?;
        let mut out = HashMap::new();
        for line in kprobe_profile::parse_kprobe_profile(&text) {
            if let Some(f) = self.events.get(&line.event) {
                *out.entry(f.clone()).or_insert(0) += line.hits;
            }
        }
        Ok(out)
    }
}

/// Every function as one more probe of a single event; the kernel's hist trigger on that event,
/// keyed on `__probe_ip.sym`, counts per function. One event to enable and one table to read.
#[derive(Default)]
struct HistCounter {
    matched: HashSet<String>,
}

/// The one event of the hist backend.
const HIST_EVENT: &str = "funccount";

impl Counter for HistCounter {
    fn start(
        &mut self,
        s: &mut Session,
        _spec: &FunccountSpec,
        matched: &[String],
        sink: &mut dyn Sink,
    ) -> Result<()> {
        self.matched = matched.iter().cloned().collect();
        // Written again with the same GRP/EVENT, a probe is added to that event (5.7+).
        let named: Vec<(String, &str)> = matched
            .iter()
            .map(|f| (HIST_EVENT.to_string(), f.as_str()))
            .collect();
        attach_entry_probes(s, &named, sink)?;
        let ev = EventRef::event(&s.group(), HIST_EVENT);
        // Room for every function: the table size is a power of two, 2^7..=2^17.
        let size = matched.len().next_power_of_two().clamp(128, 1 << 17);
        let trigger = format!(
            "{}:size={size}",
            hist::trigger_command(&["__probe_ip.sym"], &["hitcount"], None, None)
        );
        s.add_trigger(&ev, &trigger)?;
        s.enable(&ev)?;
        Ok(())
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let ev = EventRef::event(&s.group(), HIST_EVENT);
        let text = s.tracefs().read(ev.file(&s.scope(), "hist"))?;
        let mut out = HashMap::new();
        for table in hist::parse(&text) {
            for entry in table.entries {
                // `{ __probe_ip: [ffffffff8134a0b0] vfs_read }`: the name after the address.
                let Some((_, printed)) = entry.keys.iter().find(|(k, _)| k == "__probe_ip") else {
                    continue;
                };
                let name = printed.rsplit(']').next().unwrap_or(printed).trim();
                let name = name.split('+').next().unwrap_or(name);
                if self.matched.contains(name) {
                    *out.entry(name.to_string()).or_insert(0) += entry.hitcount;
                }
            }
        }
        Ok(out)
    }
}

/// Attaches a kprobe at the entry of each `(event name, function)`, in one batch write, with
/// our instance's buffer off first (counting backends need no buffer). One function the kernel
/// will not probe (kprobe blacklist, notrace) spoils a batch: then they go one by one and the
/// refused ones are named in a warning. Returns the refused functions.
fn attach_entry_probes<'a>(
    s: &mut Session,
    named: &[(String, &'a str)],
    sink: &mut dyn Sink,
) -> Result<HashSet<&'a str>> {
    let defs: Vec<ProbeDef> = named
        .iter()
        .map(|(event, f)| ProbeDef {
            kind: ProbeKind::Kprobe,
            group: None,
            event: Some(event.clone()),
            target: Target::Symbol {
                module: None,
                symbol: f.to_string(),
                offset: 0,
            },
            args: Vec::new(),
            return_suffix: false,
        })
        .collect();
    s.write_instance("tracing_on", "0")?;
    let mut refused = HashSet::new();
    if s.add_probes(&defs).is_ok() {
        return Ok(refused);
    }
    for (d, e) in s.add_probes_each(&defs)? {
        let f = d.symbol().unwrap_or("?");
        sink.emit(Record::notice(
            NoticeLevel::Warning,
            format!("skipped {f}: {e}"),
        ))?;
        if let Some((_, name)) = named.iter().find(|(_, n)| *n == f) {
            refused.insert(*name);
        }
    }
    if refused.len() == named.len() {
        return Err(Error::Other(
            "the kernel refused a kprobe on every matching function".into(),
        ));
    }
    Ok(refused)
}

/// A legal event name for `func`, unused by other groups and by us.
fn unique_event_name(func: &str, taken: &HashSet<String>, used: &mut HashSet<String>) -> String {
    let base = crate::tracefs::probe::sanitize_event_name(func);
    let mut name = base.clone();
    let mut n = 1;
    while taken.contains(&name) || used.contains(&name) {
        let suffix = format!("_lkt{n}");
        let keep = 64usize.saturating_sub(suffix.len()).min(base.len());
        name = format!("{}{suffix}", &base[..keep]);
        n += 1;
    }
    used.insert(name.clone());
    name
}

/// The function tracer in our instance, each trace_pipe line counted here. Costs the most;
/// the kernel drops events when we fall behind, and we report how many.
#[derive(Default)]
struct TraceCounter {
    pipe: Option<TracePipe>,
    counts: HashMap<String, u64>,
    tracefs: Option<Tracefs>,
}

impl TraceCounter {
    fn take_line(&mut self, line: &str, lost: &mut Vec<Record>) {
        match trace_line::parse_line(line) {
            Line::Event {
                body: Body::Function { func, .. },
                ..
            } => {
                if let Some(c) = self.counts.get_mut(func) {
                    *c += 1;
                } else {
                    self.counts.insert(func.to_string(), 1);
                }
            }
            Line::Lost { cpu, count } => lost.push(Record::Lost(Lost {
                cpu: Some(cpu),
                count,
                host: None,
            })),
            _ => {}
        }
    }
}

impl Counter for TraceCounter {
    fn start(
        &mut self,
        s: &mut Session,
        spec: &FunccountSpec,
        _matched: &[String],
        sink: &mut dyn Sink,
    ) -> Result<()> {
        let list = FilterList::new(vec![spec.pattern.to_string()])
            .ok_or_else(|| Error::Usage("empty pattern".into()))?;
        s.set_instance_filter(&list)?;
        // Our own reads of trace_pipe would be traced as fast as we read them (vfs_read!):
        // keep this process and this thread out.
        if s.features().has(Feature::NotracePid) {
            s.append_instance("set_ftrace_notrace_pid", &super::own_pid_list())?;
        } else {
            sink.emit(Record::notice(
                NoticeLevel::Warning,
                "this kernel has no set_ftrace_notrace_pid (5.8+): lktrace's own calls are counted too",
            ))?;
        }
        // Bigger per-CPU buffers make drops rarer; the instance (and its memory) goes at exit.
        let _ = s.write_instance("buffer_size_kb", "4096");
        s.write_instance("current_tracer", "function")?;
        let tracer = s.tracefs().read_value(s.instance().rel("current_tracer"))?;
        if tracer != "function" {
            return Err(TfError::Missing {
                what: "the function tracer (the kernel kept current_tracer at nop)".into(),
                config: "CONFIG_FUNCTION_TRACER",
            }
            .into());
        }
        self.tracefs = Some(s.tracefs().clone());
        self.pipe = Some(TracePipe::open(
            &s.tracefs().path(s.instance().rel("trace_pipe")),
        )?);
        Ok(())
    }

    fn pump(&mut self, s: &Session, timeout: Duration, sink: &mut dyn Sink) -> Result<bool> {
        let Some(mut pipe) = self.pipe.take() else {
            return Ok(s.stop_flag().sleep(timeout));
        };
        let mut lost = Vec::new();
        let r = pipe.read_lines(timeout, &mut |line| self.take_line(line, &mut lost));
        self.pipe = Some(pipe);
        r?;
        for l in lost {
            sink.emit(l)?;
        }
        Ok(s.stop_flag().is_set())
    }

    fn finish(&mut self, s: &Session, sink: &mut dyn Sink) -> Result<()> {
        s.write_instance("tracing_on", "0")?;
        if let Some(mut pipe) = self.pipe.take() {
            let mut lost = Vec::new();
            pipe.drain(&mut |line| self.take_line(line, &mut lost))?;
            for l in lost {
                sink.emit(l)?;
            }
        }
        Ok(())
    }

    fn snapshot(&mut self, _s: &Session) -> Result<HashMap<String, u64>> {
        Ok(self.counts.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, count: u64) -> Count {
        Count {
            name: name.into(),
            count,
        }
    }

    #[test]
    fn sorted_ascending_and_top_keeps_the_busiest() {
        let mut v = vec![c("b", 5), c("a", 100), c("c", 1), c("d", 5)];
        sort_and_cut(&mut v, None);
        assert_eq!(v, vec![c("c", 1), c("b", 5), c("d", 5), c("a", 100)]);
        sort_and_cut(&mut v, Some(2));
        assert_eq!(v, vec![c("d", 5), c("a", 100)]);
    }

    #[test]
    fn event_names_avoid_other_groups_and_each_other() {
        let taken: HashSet<String> = ["vfs_read".to_string()].into();
        let mut used = HashSet::new();
        assert_eq!(
            unique_event_name("vfs_read", &taken, &mut used),
            "vfs_read_lkt1"
        );
        assert_eq!(
            unique_event_name("foo.isra.0", &taken, &mut used),
            "foo_isra_0"
        );
        assert_eq!(
            unique_event_name("foo_isra_0", &taken, &mut used),
            "foo_isra_0_lkt1"
        );
        let long = "x".repeat(80);
        let n = unique_event_name(&long, &taken, &mut used);
        assert_eq!(n.len(), 64);
    }

    #[test]
    fn profiler_names_cut_at_30_are_restored_when_unique() {
        let long = "a_function_name_longer_than_thirty_chars".to_string();
        let p = ProfilerCounter::new(&[long.clone(), "vfs_read".into()]);
        assert_eq!(p.full_names.get(&long[..30]), Some(&Some(long.clone())));
        let twin = format!("{}_twin", &long);
        let p = ProfilerCounter::new(&[long.clone(), twin]);
        assert_eq!(p.full_names.get(&long[..30]), Some(&None));
    }
}
