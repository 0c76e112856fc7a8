//! The count engine: which backend counts, starting it (falling back when a global backend is
//! busy), and the interval loop that emits one `counts` record per interval (or one at the
//! end). DESIGN.md section 4 has the table of backends.

mod function_trace;
mod hist;
mod kprobe_profile;
mod profiler;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::record::{Count, Counts, Record, Sink};
use crate::tools::values::FuncPattern;
use crate::tracefs::features::Feature;
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

/// What to count: kernel functions matching a glob.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub pattern: &'a FuncPattern,
    /// The traceable functions the pattern matches (non-empty).
    pub functions: &'a [String],
    /// Forced backend; chosen (with fallbacks) when `None`.
    pub backend: Option<Backend>,
    /// The most kprobes a kprobe backend may create.
    pub max_probes: usize,
}

/// One way of counting. `snapshot` returns cumulative counts since `start`.
trait Counter {
    fn start(&mut self, s: &mut Session, plan: &Plan<'_>, sink: &mut dyn Sink) -> Result<()>;
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

fn counter_for(b: Backend, plan: &Plan<'_>) -> Box<dyn Counter> {
    match b {
        Backend::Profiler => Box::new(profiler::ProfilerCounter::new(plan.functions)),
        Backend::KprobeProfile => Box::<kprobe_profile::KprobeCounter>::default(),
        Backend::Hist => Box::<hist::HistCounter>::default(),
        Backend::FunctionTrace => Box::<function_trace::TraceCounter>::default(),
    }
}

/// A counter that started: the backend it is, and why the ones before it were passed over.
pub struct Counting {
    backend: Backend,
    counter: Box<dyn Counter>,
    /// "the function profiler is in use by lktrace pid 12": for the Tracing notice.
    pub fallback: Option<String>,
}

impl Counting {
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// The backends to try, best first: only the forced one, or every one this kernel has (the
/// hist backend only when forced: it costs what kprobe_profile costs).
fn candidates(plan: &Plan<'_>, session: &Session) -> Result<Vec<Backend>> {
    let f = session.features();
    let n = plan.functions.len();
    if let Some(b) = plan.backend {
        match b {
            Backend::Profiler => f.require(Feature::FunctionProfiler)?,
            Backend::KprobeProfile | Backend::Hist => {
                f.require(Feature::Kprobes)?;
                if b == Backend::Hist {
                    f.require(Feature::HistTriggers)?;
                }
                if n > plan.max_probes {
                    return Err(Error::Usage(format!(
                        "the pattern matches {n} functions; the {} backend makes one kprobe each and stops at {} (raise --max-probes, or narrow the pattern)",
                        b.name(),
                        plan.max_probes
                    )));
                }
            }
            Backend::FunctionTrace => f.require(Feature::FunctionTracer)?,
        }
        return Ok(vec![b]);
    }
    let mut out = Vec::new();
    if f.has(Feature::FunctionProfiler) {
        out.push(Backend::Profiler);
    }
    if f.has(Feature::Kprobes) && n <= plan.max_probes {
        out.push(Backend::KprobeProfile);
    }
    if f.has(Feature::FunctionTracer) {
        out.push(Backend::FunctionTrace);
    }
    if out.is_empty() {
        f.require(Feature::FunctionTracer)?;
    }
    Ok(out)
}

/// Starts counting with the forced backend, or the best one. When the function profiler is
/// held by another lktrace run (the global lock), the automatic choice takes the next backend
/// and [`Counting::fallback`] says why; a forced `--backend profiler` fails. Someone else's
/// use of the profiler or of the top-level tracer (not ours to wait for) is an error either
/// way: the message says who.
pub fn start(session: &mut Session, plan: &Plan<'_>, sink: &mut dyn Sink) -> Result<Counting> {
    let list = candidates(plan, session)?;
    let mut passed: Vec<String> = Vec::new();
    for (i, &b) in list.iter().enumerate() {
        let last = i + 1 == list.len();
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
        let mut counter = counter_for(b, plan);
        counter.start(session, plan, sink)?;
        return Ok(Counting {
            backend: b,
            counter,
            fallback: (!passed.is_empty()).then(|| passed.join("; ")),
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
                keys: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, count: u64) -> Count {
        Count::named(name, count)
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
