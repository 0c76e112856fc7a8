//! The count engine: which backend counts, starting it (falling back when a global backend is
//! busy), and the interval loop that emits one `counts` record per interval (or one at the
//! end). DESIGN.md section 4 has the table of backends.

mod function_trace;
mod hist;
mod kprobe_profile;
mod profiler;
mod target;
mod tracepoints;
mod uprobes;

pub use target::{Target, UserFunctions};

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::record::{Count, Counts, Fields, NoticeLevel, Record, Sink};
use crate::tracefs::features::Feature;
use crate::tracefs::ftrace_filter::FilterList;
use crate::tracefs::{ftrace_filter, function_table};
use crate::tracefs::{Error as TfError, Session};
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

/// What to count, and how.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub target: &'a Target,
    /// Forced backend; chosen (with fallbacks) when `None`.
    pub backend: Option<Backend>,
    /// The most kprobes a kprobe backend may create.
    pub max_probes: usize,
    /// Only these threads (`-p`, `-L`): the hist trigger's filter.
    pub threads: Option<&'a [u32]>,
    /// A count per process as well (`-P`): the hist trigger's first key.
    pub per_process: bool,
}

impl Plan<'_> {
    /// `-p`, `-L` and `-P` need the hist backend: a filter and keys on a hist trigger.
    fn needs_hist(&self) -> bool {
        self.threads.is_some() || self.per_process || !self.target.is_functions()
    }

    /// The trigger filter `-p`/`-L` make: the threads the process has now.
    fn pid_filter(&self) -> Option<String> {
        self.threads.and_then(crate::tracefs::hist::pid_filter)
    }
}

/// The hist key of `-P`, and how its printed value reads back (`dd   [   123]`).
const PROCESS_KEY: &str = "common_pid.execname";

/// A per-process count's name (`dd-123 vfs_read`) and keys, for the `counts` record.
fn process_count(comm: &str, pid: u32, what: &str, what_key: &str) -> (String, Fields) {
    use crate::record::FieldValue;
    (
        format!("{comm}-{pid} {what}"),
        Fields(vec![
            ("comm".into(), FieldValue::Str(comm.to_string())),
            ("pid".into(), FieldValue::UInt(pid.into())),
            (what_key.into(), FieldValue::Str(what.to_string())),
        ]),
    )
}

/// A hist trigger per event, each event one counted name (funccount's tracepoints and user
/// functions): keyed on `common_type` (one row, the event's count) or on the process with
/// `-P`; `-p` the filter. Read back as one snapshot.
#[derive(Default)]
struct EventCounts {
    per_process: bool,
    /// What a name is, in a `-P` count's keys (`tracepoint`, `func`).
    what_key: &'static str,
    /// Each counted name and its event's `hist` file.
    events: Vec<(String, std::path::PathBuf)>,
    keys: HashMap<String, Fields>,
}

impl EventCounts {
    fn new(plan: &Plan<'_>, what_key: &'static str) -> EventCounts {
        EventCounts {
            per_process: plan.per_process,
            what_key,
            ..EventCounts::default()
        }
    }

    /// The trigger each event gets.
    fn trigger(&self, plan: &Plan<'_>) -> String {
        let (key, size) = match self.per_process {
            true => (PROCESS_KEY, 8192),
            // One row per event: the smallest table the kernel takes.
            false => ("common_type", 128),
        };
        crate::tracefs::hist::trigger_command(
            &[key],
            &["hitcount"],
            None,
            Some(size),
            plan.pid_filter().as_deref(),
        )
    }

    fn push(&mut self, name: String, hist_file: std::path::PathBuf) {
        self.events.push((name, hist_file));
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        let mut tally = Tally {
            per_process: self.per_process,
            what_key: self.what_key,
            keys: &mut self.keys,
            out: &mut out,
        };
        for (name, hist_file) in &self.events {
            let text = s.tracefs().read(hist_file)?;
            for table in crate::tracefs::hist::parse(&text) {
                for entry in table.entries {
                    tally.add(&entry, name);
                }
            }
        }
        Ok(out)
    }

    fn keys(&self, name: &str) -> Option<Fields> {
        self.keys.get(name).cloned()
    }
}

/// The counts of the hist backends' tables, by name: `what` itself, or with `-P` one
/// `comm-pid what` per process (its keys kept in `keys`, `what_key` naming `what` there).
struct Tally<'a> {
    per_process: bool,
    what_key: &'a str,
    keys: &'a mut HashMap<String, Fields>,
    out: &'a mut HashMap<String, u64>,
}

impl Tally<'_> {
    fn add(&mut self, entry: &crate::tracefs::hist::HistEntry, what: &str) {
        let key = if self.per_process {
            let Some((comm, pid)) = entry
                .keys
                .iter()
                .find(|(k, _)| k == "common_pid")
                .and_then(|(_, v)| crate::tracefs::hist::execname(v))
            else {
                return;
            };
            let (key, fields) = process_count(&comm, pid, what, self.what_key);
            self.keys.insert(key.clone(), fields);
            key
        } else {
            what.to_string()
        };
        *self.out.entry(key).or_insert(0) += entry.hitcount;
    }
}

/// The traceable functions a pattern matches, found once and kept. Backends that write a
/// function filter let the kernel match (it reads back what it selected) and never need
/// this; the kprobe backends do, and it costs reading all of `available_filter_functions`.
#[derive(Debug, Default)]
pub struct Matched(Option<Vec<String>>);

impl Matched {
    fn get(&mut self, s: &Session, target: &Target) -> Result<&[String]> {
        if self.0.is_none() {
            let found: Vec<String> = match target {
                Target::Functions(glob) => {
                    let _phase = s.tracefs().phase("resolve functions");
                    let all = function_table::available_functions_cached(s.tracefs())?;
                    ftrace_filter::matching(&all, glob)
                        .into_iter()
                        .map(str::to_string)
                        .collect()
                }
                Target::Regex(re) => {
                    let _phase = s.tracefs().phase("resolve functions");
                    let all = function_table::available_functions_cached(s.tracefs())?;
                    let re = re.regex();
                    let mut found: Vec<String> =
                        all.iter().filter(|f| re.is_match(f)).cloned().collect();
                    // A name in several modules is one function to the filter.
                    found.dedup();
                    found
                }
                Target::Tracepoints(glob) => tracepoints::matching(s, glob)?,
                // The uprobe counter reads the file itself.
                Target::User(_) => Vec::new(),
            };
            if found.is_empty() {
                return Err(match target {
                    Target::Tracepoints(glob) => TfError::NoEvent {
                        name: String::from(glob.clone()),
                    },
                    _ => TfError::NoMatch {
                        pattern: target.to_string(),
                    },
                }
                .into());
            }
            self.0 = Some(found);
        }
        Ok(self.0.as_deref().unwrap_or_default())
    }

    /// What a backend that writes set_ftrace_filter writes: the glob itself (the kernel
    /// matches it and reads back what it selected), or the names a regex selected.
    fn filter_list(&mut self, s: &Session, target: &Target) -> Result<FilterList> {
        let list = match target.glob() {
            Some(glob) => vec![glob.to_string()],
            None => self.get(s, target)?.to_vec(),
        };
        FilterList::new(list).ok_or_else(|| Error::Usage("empty pattern".into()))
    }
}

/// Every one of `functions` as one more probe of a single event of ours, `event` (written
/// again with the same GRP/EVENT, a probe is added to that event: 5.7+), for a hist trigger
/// hung on that event: funccount's hist backend, stackcount. Returns the functions the kernel
/// took (never empty); those it refused are reported on `sink`.
pub fn probe_functions(
    s: &mut Session,
    functions: &[String],
    event: &str,
    sink: &mut dyn Sink,
) -> Result<Vec<String>> {
    let named: Vec<(String, &str)> = functions
        .iter()
        .map(|f| (event.to_string(), f.as_str()))
        .collect();
    let refused = kprobe_profile::attach_entry_probes(s, &named, sink)?;
    Ok(kprobe_profile::accepted(functions, &refused))
}

/// One way of counting. `snapshot` returns cumulative counts since `start`.
trait Counter {
    /// Starts counting; returns the functions counted (never empty).
    fn start(
        &mut self,
        s: &mut Session,
        plan: &Plan<'_>,
        matched: &mut Matched,
        sink: &mut dyn Sink,
    ) -> Result<Vec<String>>;
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
    /// The keys of a counted name, where it stands for more than one (`-P`: the process).
    fn keys(&self, name: &str) -> Option<Fields> {
        let _ = name;
        None
    }
    /// Events the kernel dropped before they were counted (backends that stream), and
    /// whether some drop came without its count.
    fn lost(&self) -> (u64, bool) {
        (0, false)
    }
}

fn counter_for(b: Backend, target: &Target) -> Box<dyn Counter> {
    match b {
        Backend::Profiler => Box::<profiler::ProfilerCounter>::default(),
        Backend::KprobeProfile => Box::<kprobe_profile::KprobeCounter>::default(),
        Backend::Hist => match target {
            Target::User(_) => Box::<uprobes::UprobeCounter>::default(),
            Target::Tracepoints(_) => Box::<tracepoints::TracepointCounter>::default(),
            Target::Functions(_) | Target::Regex(_) => Box::<hist::HistCounter>::default(),
        },
        Backend::FunctionTrace => Box::<function_trace::TraceCounter>::default(),
    }
}

/// A counter that started: the backend it is, and why the ones before it were passed over.
pub struct Counting {
    backend: Backend,
    counter: Box<dyn Counter>,
    /// Why this backend: "counts in the kernel", "the function profiler is busy: it is in
    /// use by lktrace pid 12". For the Tracing notice.
    pub why: String,
    /// The functions (or tracepoints) counted.
    pub functions: Vec<String>,
}

impl Counting {
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// The kprobe backends make one probe per function: refused past `--max-probes`.
fn too_many(b: Backend, n: usize, max: usize) -> Option<String> {
    (n > max).then(|| {
        format!(
            "the pattern matches {n} functions; the {} backend makes one kprobe each and stops at {max} (raise --max-probes, or narrow the pattern)",
            b.name()
        )
    })
}

/// The backends to try, best first, each with why it comes there (for the Tracing notice):
/// only the forced one, or every one this kernel has.
///
/// The order weighs what each costs to start and stop as well as how exact it is (measured in
/// docs/performance.md). The profiler counts in the kernel, exactly, and starts with one filter
/// write. Without it, the function tracer starts and stops in one step for any number of
/// functions (the kernel patches them all at once), and its counts are exact unless the kernel
/// drops events (then the result says so); kprobe_profile is exact at any rate but arms and
/// removes one kprobe per function, each a code patch and an RCU grace period: several times
/// the cost for `vfs_*`. The hist backend costs what kprobe_profile costs: only when forced.
fn candidates(plan: &Plan<'_>, session: &Session) -> Result<Vec<(Backend, &'static str)>> {
    let f = session.features();
    if plan.needs_hist() {
        let why = match (plan.target.is_functions(), plan.backend) {
            (false, None | Some(Backend::Hist)) if matches!(plan.target, Target::User(_)) => {
                "a uprobe and a hist trigger on each function, counting in the kernel"
            }
            (false, None | Some(Backend::Hist)) => "a hist trigger on each tracepoint, counting in the kernel",
            (true, None | Some(Backend::Hist)) => "counts in the kernel, with the filter and keys -p, -L and -P need",
            (false, Some(b)) => return Err(Error::Usage(format!(
                "tracepoints (t:) and user functions (u:) are counted by the hist backend, not {}", b.name()
            ))),
            (true, Some(b)) => return Err(Error::Usage(format!(
                "-p, -L and -P count with the hist backend (a filter and keys on a hist trigger), not {}", b.name()
            ))),
        };
        match plan.target {
            Target::Functions(_) | Target::Regex(_) => f.require(Feature::Kprobes)?,
            Target::User(_) => f.require(Feature::Uprobes)?,
            Target::Tracepoints(_) => {}
        }
        f.require(Feature::HistTriggers)?;
        return Ok(vec![(Backend::Hist, why)]);
    }
    if let Some(b) = plan.backend {
        match b {
            Backend::Profiler => f.require(Feature::FunctionProfiler)?,
            Backend::KprobeProfile | Backend::Hist => {
                f.require(Feature::Kprobes)?;
                if b == Backend::Hist {
                    f.require(Feature::HistTriggers)?;
                }
            }
            Backend::FunctionTrace => f.require(Feature::FunctionTracer)?,
        }
        return Ok(vec![(b, "as asked")]);
    }
    let mut out = Vec::new();
    if f.has(Feature::FunctionProfiler) {
        out.push((Backend::Profiler, "counts in the kernel"));
    }
    if f.has(Feature::FunctionTracer) {
        out.push((
            Backend::FunctionTrace,
            if out.is_empty() {
                "no function profiler here; the function tracer starts in one step, where kprobe_profile arms a kprobe per function"
            } else {
                "the function profiler is busy"
            },
        ));
    }
    if f.has(Feature::Kprobes) {
        out.push((
            Backend::KprobeProfile,
            if out.is_empty() {
                "no function profiler or function tracer here"
            } else {
                "after the function tracer"
            },
        ));
    }
    if out.is_empty() {
        f.require(Feature::FunctionTracer)?;
    }
    Ok(out)
}

/// The warning for counts the kernel dropped: `lost` events, or more than that when some loss
/// was not counted.
pub fn incomplete(lost: u64, uncounted: bool) -> String {
    let n = match (lost, uncounted) {
        (0, _) => "events".to_string(),
        (n, false) => crate::tools::counted(n, "event"),
        (n, true) => format!("at least {}", crate::tools::counted(n, "event")),
    };
    format!(
        "counts are incomplete: the kernel dropped {n} before they were read (the buffer filled); --backend kprobe-profile counts in the kernel without loss"
    )
}

/// Starts counting with the forced backend, or the best one. When the function profiler is
/// held by another lktrace run (the global lock), the automatic choice takes the next backend
/// and [`Counting::fallback`] says why; a forced `--backend profiler` fails. Someone else's
/// use of the profiler or of the top-level tracer (not ours to wait for) is an error either
/// way: the message says who.
pub fn start(session: &mut Session, plan: &Plan<'_>, sink: &mut dyn Sink) -> Result<Counting> {
    let list = candidates(plan, session)?;
    let mut passed: Vec<String> = Vec::new();
    let mut matched = Matched::default();
    for (i, &(b, why)) in list.iter().enumerate() {
        let last = i + 1 == list.len();
        if matches!(b, Backend::KprobeProfile | Backend::Hist) && plan.target.is_functions() {
            let n = matched.get(session, plan.target)?.len();
            if let Some(why) = too_many(b, n, plan.max_probes) {
                if plan.backend.is_some() || last {
                    return Err(Error::Usage(why));
                }
                passed.push(why);
                continue;
            }
        }
        if b == Backend::Profiler && !last {
            match session.lock_global(profiler::WHAT) {
                Ok(()) => {}
                Err(e @ TfError::Busy { .. }) => {
                    passed.push(e.to_string());
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut counter = counter_for(b, plan.target);
        let functions = counter.start(session, plan, &mut matched, sink)?;
        return Ok(Counting {
            backend: b,
            counter,
            why: match passed.is_empty() {
                true => why.to_string(),
                false => format!("{why}: {}", passed.join("; ")),
            },
            functions,
        });
    }
    Err(Error::Other("no counting backend could start".into()))
}

/// When to report and stop, and how many rows to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Schedule {
    pub duration: Option<Duration>,
    pub interval: Option<Duration>,
    pub top: Option<usize>,
}

/// The interval loop, shared by every backend: one `counts` record per interval (or one at
/// the end), counts per interval (deltas of the cumulative snapshots).
pub fn run(
    counting: &mut Counting,
    schedule: Schedule,
    session: &Session,
    sink: &mut dyn Sink,
) -> Result<()> {
    let backend = counting.backend;
    let counter = counting.counter.as_mut();
    let stop = session.stop_flag().clone();
    let start = Instant::now();
    let end = schedule.duration.map(|d| start + d);
    let mut previous: HashMap<String, u64> = HashMap::new();
    let mut interval_start = start;
    loop {
        let now = Instant::now();
        let mut deadline = schedule.interval.map(|i| interval_start + i);
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
            let _phase = session.tracefs().phase("stop");
            counter.finish(session, sink)?;
        }
        let phase = session.tracefs().phase("read");
        let totals = counter.snapshot(session)?;
        phase.end();
        let mut delta: Vec<Count> = totals
            .iter()
            .map(|(name, &c)| Count {
                name: name.clone(),
                count: c.saturating_sub(previous.get(name).copied().unwrap_or(0)),
                keys: counter.keys(name),
            })
            .filter(|c| c.count > 0)
            .collect();
        sort_and_cut(&mut delta, schedule.top);
        sink.emit(Record::Counts(Counts {
            backend: backend.name().to_string(),
            duration_s: now.duration_since(interval_start).as_secs_f64(),
            time: unix_now(),
            counts: delta,
        }))?;
        sink.flush()?;
        previous = totals;
        interval_start = now;
        if finished {
            let (lost, uncounted) = counter.lost();
            if lost > 0 || uncounted {
                sink.emit(Record::notice(
                    NoticeLevel::Warning,
                    incomplete(lost, uncounted),
                ))?;
            }
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

/// Seconds since the Unix epoch (a record's `time`).
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, count: u64) -> Count {
        Count::named(name, count)
    }

    #[test]
    fn process_keys_as_the_kernel_prints_them() {
        // 6.1's `common_pid.execname` (Debian 12 guest, sched_process_exec).
        assert_eq!(
            crate::tracefs::hist::execname("true            [       134]"),
            Some(("true".into(), 134))
        );
        assert_eq!(
            crate::tracefs::hist::execname("kworker/0:1 x   [         7]"),
            Some(("kworker/0:1 x".into(), 7))
        );
        assert_eq!(crate::tracefs::hist::execname("dd"), None);
        let (name, keys) = process_count("dd", 12, "vfs_read", "func");
        assert_eq!(name, "dd-12 vfs_read");
        assert_eq!(keys.0.len(), 3);
    }

    #[test]
    fn tally_sums_per_name_or_per_process() {
        let entry = |pid: &str, n| crate::tracefs::hist::HistEntry {
            keys: vec![("common_pid".into(), pid.into())],
            hitcount: n,
            values: Vec::new(),
        };
        let (mut keys, mut out) = (HashMap::new(), HashMap::new());
        let mut t = Tally {
            per_process: true,
            what_key: "func",
            keys: &mut keys,
            out: &mut out,
        };
        t.add(&entry("dd              [        12]", 3), "vfs_read");
        t.add(&entry("dd              [        12]", 4), "vfs_read");
        t.add(&entry("garbage", 9), "vfs_read");
        assert_eq!(out.get("dd-12 vfs_read"), Some(&7));
        assert_eq!(out.len(), 1);
        assert_eq!(keys["dd-12 vfs_read"].0[2].0, "func");
        let (mut keys, mut out) = (HashMap::new(), HashMap::new());
        let mut t = Tally {
            per_process: false,
            what_key: "func",
            keys: &mut keys,
            out: &mut out,
        };
        t.add(&entry("x [1]", 2), "sched:sched_switch");
        t.add(&entry("y [2]", 5), "sched:sched_switch");
        assert_eq!(out.get("sched:sched_switch"), Some(&7));
        assert!(keys.is_empty());
    }

    #[test]
    fn pid_filter_names_every_thread() {
        let t = Target::parse("vfs_read", false).unwrap();
        let plan = Plan {
            target: &t,
            backend: None,
            max_probes: 10,
            threads: Some(&[5, 6]),
            per_process: false,
        };
        assert_eq!(
            plan.pid_filter().as_deref(),
            Some("(common_pid == 5 || common_pid == 6)")
        );
        assert!(plan.needs_hist());
    }

    #[test]
    fn sorted_ascending_and_top_keeps_the_busiest() {
        let mut v = vec![c("b", 5), c("a", 100), c("c", 1), c("d", 5)];
        sort_and_cut(&mut v, None);
        assert_eq!(v, vec![c("c", 1), c("b", 5), c("d", 5), c("a", 100)]);
        sort_and_cut(&mut v, Some(2));
        assert_eq!(v, vec![c("d", 5), c("a", 100)]);
    }
}
