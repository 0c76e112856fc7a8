//! funclatency: a log2 histogram of how long kernel functions take, computed in the kernel, as
//! bcc's funclatency.
//!
//! `funclatency [-TumF] [-p PID] [-i SECS] [-d SECS] pattern`: one kprobe event of ours with a
//! probe at the entry of every function the glob matches, one kretprobe event with a probe at
//! each return, and a synthetic event (`synthetic_events`). In the run's own instance, hist
//! triggers do the rest: on entry `hist:keys=common_pid:ts0=common_timestamp` keeps each
//! thread's start time, on return `lat=common_timestamp-$ts0` is computed and
//! `onmatch(...).trace(...)` fires the synthetic event with it, and a third trigger on the
//! synthetic event buckets `lat.log2`. The table is read at each interval and at the end;
//! nothing is streamed.
//!
//! The triggers live in our instance, not at the top level: a hist trigger that uses
//! `common_timestamp` sets the trace clock of its instance (`global`) and leaves it so
//! (`hist_register_trigger`), and our instance goes with the run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::count::unix_now;
use super::engine::hist::parse_bucket;
use super::misses::Misses;
use super::silence::{Silence, Watch};
use super::values::{FuncPattern, IntervalSeconds, MaxProbes, Pid, RunSeconds};
use super::RunEnv;
use crate::record::{Bucket, FieldValue, Fields, Histogram, NoticeLevel, Record, Sink};
use crate::tracefs::events::EventRef;
use crate::tracefs::features::Feature;
use crate::tracefs::probe::{ProbeDef, ProbeKind, Target};
use crate::tracefs::synthetic::SynthField;
use crate::tracefs::{error_log, hist, Error as TfError};
use crate::tracefs::{sys, Session};
use crate::{Error, Result};

/// Our kprobe event with a probe at the entry of every matched function.
const ENTRY: &str = "funclat_entry";
/// Our kretprobe event with a probe at the return of every matched function.
const RETURN: &str = "funclat_return";

/// The unit latencies are measured and bucketed in (`-u`, `-m`; nanoseconds by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyUnit {
    #[default]
    Nsecs,
    Usecs,
    Msecs,
}

impl LatencyUnit {
    /// The timestamp as the hist triggers compute with it: nanoseconds, microseconds, or
    /// milliseconds (nanoseconds divided by 1000000, Linux 5.16+; `.usecs/1000` is refused:
    /// the operands of an expression must agree on `.usecs`, 6.1's check_expr_operands). Each
    /// end is cut to the millisecond before the difference, so a latency may read one
    /// millisecond more or less than bcc's.
    fn timestamp(self) -> &'static str {
        match self {
            LatencyUnit::Nsecs => "common_timestamp",
            LatencyUnit::Usecs => "common_timestamp.usecs",
            LatencyUnit::Msecs => "common_timestamp/1000000",
        }
    }

    /// The record's unit.
    pub fn short(self) -> &'static str {
        match self {
            LatencyUnit::Nsecs => "ns",
            LatencyUnit::Usecs => "us",
            LatencyUnit::Msecs => "ms",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunclatencySpec {
    /// Kernel functions, a glob (`vfs_read`, `vfs_*`).
    pub pattern: FuncPattern,
    /// Only the threads this process has when the run starts (`-p`).
    pub pid: Option<Pid>,
    /// Print a histogram every this many seconds (`-i`).
    pub interval_s: Option<IntervalSeconds>,
    /// Stop after this many seconds (`-d`); otherwise at Ctrl-C.
    pub duration_s: Option<RunSeconds>,
    /// `-u` microseconds, `-m` milliseconds, else nanoseconds.
    pub unit: LatencyUnit,
    /// One histogram per function (`-F`).
    pub per_function: bool,
    /// The time above each histogram (`-T`): a render hint.
    pub timestamps: bool,
    /// The most kprobes the run may create (two per matched function).
    pub max_probes: MaxProbes,
}

/// The funclatency tool (see the module documentation).
pub struct Funclatency;

impl super::Tool for Funclatency {
    const NAME: &'static str = "funclatency";
    const ABOUT: &'static str = "Time kernel functions: a latency histogram (bcc funclatency)";
    const DESCRIPTION: &'static str =
        "funclatency times the calls of the kernel functions a pattern matches, from entry to \
         return, and prints the latencies as a power-of-two histogram when tracing ends (-d \
         SECS, or Ctrl-C), or every -i SECS, as bcc's funclatency does. Nanoseconds by \
         default, microseconds with -u, milliseconds with -m. -F prints one histogram per \
         function, -p times the calls of one process only, -T puts the time above each \
         histogram.\n\nThe timing and the histogram are computed in the kernel by hist \
         triggers and a synthetic event: nothing is streamed. Each thread keeps one start \
         time, as in bcc: a call that begins before the previous one on the same thread \
         returned (recursion, or one matched function calling another) replaces it, so the \
         innermost call is measured and the calls around it are not counted at all. A \
         pattern that matches nested functions (ksys_read and the vfs_read it calls) \
         measures the inner ones.\n\nWhatever a run changes in tracefs is put back when it \
         ends: at the end of -d, on Ctrl-C, SIGTERM, SIGHUP, an error or a closed pipe.";
    const STANDALONE: bool = true;
    const RECORDS: &'static [&'static str] = &["histogram", "notice"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("funclatency do_sys_open", "time the do_sys_open() kernel function"),
        ("funclatency -u vfs_read", "time vfs_read(), in microseconds"),
        ("funclatency -m do_nanosleep", "time do_nanosleep(), in milliseconds"),
        ("funclatency -i 2 -d 10 vfs_read", "output every 2 seconds, for 10 seconds"),
        ("funclatency -mTi 5 vfs_read", "output every 5 seconds, with timestamps"),
        ("funclatency -p 181 vfs_read", "time process 181 only"),
        ("funclatency 'vfs_fstat*'", "time both vfs_fstat() and vfs_fstatat()"),
        ("funclatency -F 'vfs_r*'", "show one histogram per matched function"),
    ];
    const SCENARIOS: &'static [&'static str] = &[
        "fl_dd",
        "fl_sleep",
        "fl_pid",
        "fl_interval",
        "fl_nested",
        "fl_bad",
        "fl_sigint",
    ];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
            "REQUIREMENTS",
            "Linux 5.16+ with kprobes (CONFIG_KPROBE_EVENTS), hist triggers \
             (CONFIG_HIST_TRIGGERS), synthetic events (CONFIG_SYNTH_EVENTS) and instances; \
             tracefs, root. The functions must be traceable (available_filter_functions) and \
             outside the kprobe blacklist. Kernel lockdown in confidentiality mode forbids \
             tracefs.\n\nEach run creates two kprobe events in its own group (lkt_PID/\
             funclat_entry with a probe at the entry of every matched function, \
             lkt_PID/funclat_return with a return probe on each), a synthetic event named as \
             the group (synthetic/lkt_PID), and its own instance (instances/lktrace_PID) where \
             the three hist triggers go: a trigger that uses common_timestamp sets the trace \
             clock of its instance, and the instance is removed with the run, so the top-level \
             trace_clock stays as it was. All of it is removed on exit, error, Ctrl-C, SIGTERM, \
             SIGHUP or a closed pipe; lktrace ctl reset removes what a run killed with SIGKILL \
             left.",
        ),
        (
            "FIELDS",
            "Each line of the histogram is a range of latencies, LOW -> HIGH (both included: \
             the kernel's log2 buckets hold the values from 2^(k-1)+1 to 2^k), in the unit the \
             label names (latency (ns), (us) or (ms)), the number of calls whose latency fell \
             there, and a bar of stars scaled to the fullest range. The ranges shown run from \
             the lowest to the highest that counted a call. With -F, each histogram is headed \
             function = NAME. With -i each histogram counts the calls that returned in that \
             interval; with -T the time of day it ended heads it. With -m each end of a call is \
             cut to the millisecond before the difference is taken: a latency reads up to one \
             millisecond more or less than it was. With --json each histogram is a histogram \
             record (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "Each call of a traced function costs a kprobe at its entry and a kretprobe at its \
             return, and a hist trigger at each (a hash table lookup keyed by thread), plus a \
             third at the synthetic event: a few microseconds a call on current hardware, \
             which adds up for functions called hundreds of thousands of times a second \
             (vfs_read under load, kmalloc). Nothing is written to a ring buffer; the table is \
             read at each interval and at the end. Each matched function costs two kprobes to \
             arm and remove (a code patch and an RCU grace period each): a wide glob takes \
             seconds to start and stop, and --max-probes (default 200, so 100 functions) caps \
             it. Calls that were already running when tracing began are not counted; a \
             kretprobe has a limited number of calls it can follow at once (maxactive), and \
             returns beyond it are missed.",
        ),
    ];
    type Args = FunclatencyArgs;
    type Spec = FunclatencySpec;

    fn spec(args: &FunclatencyArgs) -> Result<FunclatencySpec> {
        Ok(FunclatencySpec {
            pattern: args.pattern.clone(),
            pid: args.pid,
            interval_s: args.interval,
            duration_s: args.duration,
            unit: if args.msecs {
                LatencyUnit::Msecs
            } else if args.usecs {
                LatencyUnit::Usecs
            } else {
                LatencyUnit::Nsecs
            },
            per_function: args.per_function,
            timestamps: args.timestamps,
            max_probes: args.max_probes,
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires::All};
        vec![Need::new(
            "funclatency",
            All(vec![
                Feature::Kprobes,
                Feature::HistTriggers,
                Feature::SynthEvents,
                Feature::Instances,
            ]),
        )]
    }

    fn describe(spec: &FunclatencySpec) -> String {
        format!("funclatency {:?}", spec.pattern.to_string())
    }

    fn render_hints(spec: &FunclatencySpec) -> super::RenderHints {
        super::RenderHints {
            timestamps: spec.timestamps,
            metrics: true,
            duration: spec.duration_s.map(RunSeconds::duration),
            interval: spec.interval_s.map(IntervalSeconds::duration),
            ..Default::default()
        }
    }

    fn run(spec: &FunclatencySpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        run(spec, env, sink)
    }
}

/// Time kernel functions: a latency histogram.
#[derive(Debug, Clone, Args)]
pub struct FunclatencyArgs {
    /// Print the time of day above each histogram
    #[arg(short = 'T')]
    pub timestamps: bool,
    /// Microseconds (default: nanoseconds)
    #[arg(short = 'u', conflicts_with = "msecs")]
    pub usecs: bool,
    /// Milliseconds (default: nanoseconds)
    #[arg(short = 'm')]
    pub msecs: bool,
    /// One histogram per function
    #[arg(short = 'F')]
    pub per_function: bool,
    /// Only this process (its threads now)
    #[arg(short = 'p', value_name = "PID")]
    pub pid: Option<Pid>,
    /// Print a histogram every SECS seconds
    #[arg(short = 'i', value_name = "SECS")]
    pub interval: Option<IntervalSeconds>,
    /// Trace for SECS seconds, then print
    #[arg(short = 'd', value_name = "SECS")]
    pub duration: Option<RunSeconds>,
    /// Most kprobes the run may create (two per matched function)
    #[arg(long, default_value_t = MaxProbes::default(), value_name = "N")]
    pub max_probes: MaxProbes,
    /// Function glob (vfs_read, vfs_*, do_nanosleep)
    #[arg(value_name = "PATTERN")]
    pub pattern: FuncPattern,
}

fn probe(kind: ProbeKind, event: &str, function: &str) -> ProbeDef {
    ProbeDef {
        kind,
        group: None,
        event: Some(event.to_string()),
        target: Target::Symbol {
            module: None,
            symbol: function.to_string(),
            offset: 0,
        },
        args: Vec::new(),
        return_suffix: false,
    }
}

/// An entry and a return probe on each function, all in one write; when the kernel refuses
/// one (the kprobe blacklist), one write each, and the functions refused are named in a
/// warning. Returns the functions with both probes (never empty).
fn attach(s: &mut Session, functions: &[String], sink: &mut dyn Sink) -> Result<Vec<String>> {
    let defs: Vec<ProbeDef> = functions
        .iter()
        .flat_map(|f| {
            [
                probe(ProbeKind::Kprobe, ENTRY, f),
                probe(ProbeKind::Kretprobe { maxactive: None }, RETURN, f),
            ]
        })
        .collect();
    if s.add_probes(&defs).is_ok() {
        return Ok(functions.to_vec());
    }
    let mut refused: Vec<String> = Vec::new();
    for (d, e) in s.add_probes_each(&defs)? {
        let f = d.symbol().unwrap_or("?").to_string();
        if !refused.contains(&f) {
            sink.emit(Record::notice(
                NoticeLevel::Warning,
                format!("skipped {f}: {e}"),
            ))?;
            refused.push(f);
        }
    }
    let kept: Vec<String> = functions
        .iter()
        .filter(|f| !refused.contains(f))
        .cloned()
        .collect();
    if kept.is_empty() {
        return Err(Error::Other(
            "the kernel refused a kprobe on every matching function".into(),
        ));
    }
    Ok(kept)
}

/// The three triggers of a run, as written (and removed again).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Triggers {
    /// Rows of the synthetic event's table.
    rows: usize,
    entry: String,
    ret: String,
    synth: String,
}

/// The triggers for our `group`, its synthetic event `synth`, and an optional thread filter.
/// Table sizes: the entry and return tables hold one row per thread that called (8192: a busy
/// machine has thousands), the synthetic one a row per bucket (and per function with -F).
fn triggers(
    group: &str,
    synth: &str,
    unit: LatencyUnit,
    per_function: bool,
    functions: usize,
    filter: Option<&str>,
) -> Triggers {
    let ts = unit.timestamp();
    let cond = filter.map(|f| format!(" if {f}")).unwrap_or_default();
    let params = if per_function {
        "$lat,__probe_func"
    } else {
        "$lat"
    };
    let keys: &[&str] = if per_function {
        &["func.sym", "lat.log2"]
    } else {
        &["lat.log2"]
    };
    let rows = (functions * 64).next_power_of_two().clamp(2048, 1 << 17);
    Triggers {
        rows,
        entry: format!("hist:keys=common_pid:ts0={ts}:size=8192{cond}"),
        ret: format!(
            "hist:keys=common_pid:lat={ts}-$ts0:size=8192:onmatch({group}.{ENTRY}).trace({synth},{params}){cond}"
        ),
        synth: hist::trigger_command(keys, &["hitcount"], None, Some(rows), None),
    }
}

/// The synthetic event's fields: the latency, and with -F the function (a kretprobe event's
/// `__probe_func`, as its format types it).
fn synth_fields(per_function: bool) -> Vec<SynthField> {
    let mut v = vec![SynthField {
        ty: "u64".into(),
        name: "lat".into(),
    }];
    if per_function {
        v.push(SynthField {
            ty: "unsigned long".into(),
            name: "func".into(),
        });
    }
    v
}

/// Cumulative counts read from the synthetic event's table: per function (`""` without -F),
/// per bucket.
type Tally = BTreeMap<String, BTreeMap<(u64, u64), u64>>;

/// Reads the table: `{ func: [ffffffff8134a0b0] vfs_read, lat: ~ 2^10 } hitcount: 3`.
fn tally(tables: &[hist::HistTable]) -> Tally {
    let mut out = Tally::new();
    for t in tables {
        for e in &t.entries {
            let Some(bucket) = e
                .keys
                .iter()
                .find(|(k, _)| k == "lat")
                .and_then(|(_, v)| parse_bucket(v))
            else {
                continue;
            };
            let func = e
                .keys
                .iter()
                .find(|(k, _)| k == "func")
                .map(|(_, v)| {
                    let name = v.rsplit(']').next().unwrap_or(v).trim();
                    name.split('+').next().unwrap_or(name).to_string()
                })
                .unwrap_or_default();
            *out.entry(func).or_default().entry(bucket).or_insert(0) += e.hitcount;
        }
    }
    out
}

/// The histograms of one interval: `now` minus `before`, one per function (or one), log2
/// buckets from the lowest to the highest that counted (those between filled with zeros, as
/// bcc prints them). Without any call, one empty histogram (none per function with -F).
fn histograms(now: &Tally, before: &Tally, unit: LatencyUnit, time: Option<f64>) -> Vec<Histogram> {
    let mut out = Vec::new();
    for (func, buckets) in now {
        let mut counted: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        for (b, c) in buckets {
            let prev = before.get(func).and_then(|p| p.get(b)).copied().unwrap_or(0);
            let d = c.saturating_sub(prev);
            if d > 0 {
                counted.insert(*b, d);
            }
        }
        if counted.is_empty() {
            continue;
        }
        out.push(histogram(func, fill_log2(&counted), unit, time));
    }
    if out.is_empty() && now.keys().all(String::is_empty) {
        out.push(histogram("", Vec::new(), unit, time));
    }
    out
}

fn histogram(func: &str, buckets: Vec<Bucket>, unit: LatencyUnit, time: Option<f64>) -> Histogram {
    Histogram {
        name: "latency".into(),
        unit: unit.short().into(),
        keys: Fields(if func.is_empty() {
            Vec::new()
        } else {
            vec![("function".into(), FieldValue::Str(func.to_string()))]
        }),
        buckets,
        time,
    }
}

/// Log2 buckets `(low, high)` with counts, ascending, gaps between the first and the last
/// filled with empty buckets.
fn fill_log2(counted: &BTreeMap<(u64, u64), u64>) -> Vec<Bucket> {
    let power = |high: u64| high.checked_ilog2().unwrap_or(0);
    let (Some(first), Some(last)) = (counted.keys().next(), counted.keys().next_back()) else {
        return Vec::new();
    };
    let (lo, hi) = (power(first.1), power(last.1));
    (lo..=hi)
        .map(|k| {
            let high = 1u64 << k;
            let low = if k == 0 { 0 } else { (1u64 << (k - 1)) + 1 };
            Bucket {
                low,
                high,
                count: counted.get(&(low, high)).copied().unwrap_or(0),
            }
        })
        .collect()
}

/// Runs funclatency: the probes, the synthetic event and the triggers, the histograms at each
/// interval and at the end, and tracefs left as it was found.
pub fn run(spec: &FunclatencySpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    // A wrong pid changes nothing in tracefs: looked up before the session opens.
    let threads = match spec.pid {
        Some(pid) => Some(
            sys::threads_of(pid.get())
                .map_err(|_| Error::Usage(format!("no process with pid {pid}")))?,
        ),
        None => None,
    };
    let tracefs = super::open_tracefs(env)?;
    let mut session = super::open_session(tracefs, env)?;
    super::report_reaped(&session, sink)?;
    let result = timed(&mut session, spec, threads.as_deref(), sink);
    let closed = super::close_session(session);
    result.and(closed)
}

/// Keeps this process's own calls out (its waits are nanosleeps, its reads of the table
/// vfs_reads): `common_pid != PID` for the process and the calling thread (in the agent a run
/// is a thread).
fn not_us() -> Option<String> {
    let ids = super::own_pid_list();
    let each: Vec<String> = ids
        .split_whitespace()
        .map(|p| format!("common_pid != {p}"))
        .collect();
    (!each.is_empty()).then(|| each.join(" && "))
}

/// A trigger, its refusal explained with the kernel's error_log entry: a trigger's errors are
/// logged in the error_log of the instance it is in.
fn add_trigger(session: &mut Session, ev: &EventRef, trigger: &str) -> Result<()> {
    match session.add_instance_trigger(ev, trigger) {
        Ok(()) => Ok(()),
        Err(TfError::Rejected {
            path,
            written,
            source,
            log: None,
        }) => {
            let log = session
                .instance()
                .map(|i| i.dir().join("error_log"))
                .and_then(|f| session.tracefs().read(f).ok())
                // The kernel logs hist errors as `hist:SYSTEM:EVENT:...`, not as written; the
                // instance is ours, so its newest entry is ours too.
                .and_then(|text| {
                    error_log::find_for(&text, trigger).or_else(|| error_log::parse(&text).pop())
                })
                .map(Box::new);
            Err(TfError::Rejected {
                path,
                written,
                source,
                log,
            }
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

fn timed(
    session: &mut Session,
    spec: &FunclatencySpec,
    threads: Option<&[u32]>,
    sink: &mut dyn Sink,
) -> Result<()> {
    let f = session.features();
    for need in [
        Feature::Kprobes,
        Feature::HistTriggers,
        Feature::SynthEvents,
        Feature::Instances,
    ] {
        f.require(need)?;
    }
    let functions = super::engine::resolve::functions_to_probe(
        session,
        &spec.pattern,
        spec.max_probes.get(),
        2,
        "funclatency",
    )?;
    let functions = attach(session, &functions, sink)?;
    let returns: Vec<ProbeDef> = functions
        .iter()
        .map(|f| probe(ProbeKind::Kretprobe { maxactive: None }, RETURN, f))
        .collect();
    let synth = session.add_synthetic(synth_fields(spec.per_function))?;
    let group = session.group();
    let filter = match threads {
        Some(t) => hist::pid_filter(t),
        None => not_us(),
    };
    let t = triggers(
        &group,
        &session.synthetic_name(),
        spec.unit,
        spec.per_function,
        functions.len(),
        filter.as_deref(),
    );
    // The bucketing trigger first, so no latency goes uncounted; then the start times, then
    // the returns that read them (removed in the opposite order: a variable cannot go while a
    // trigger uses it).
    add_trigger(session, &synth, &t.synth)?;
    add_trigger(session, &EventRef::event(&group, ENTRY), &t.entry)?;
    add_trigger(session, &EventRef::event(&group, RETURN), &t.ret)?;
    let hist_file = session.instance_event_file(&synth, "hist")?;
    let what = format!(
        "{} for \"{}\"",
        super::counted(functions.len(), "function"),
        spec.pattern
    );
    sink.emit(Record::notice(
        NoticeLevel::Info,
        format!(
            "Tracing {what}, latency in the kernel... {}",
            match spec.duration_s {
                Some(d) => format!("for {}, or Ctrl-C to end.", super::counted(d, "second")),
                None => "Hit Ctrl-C to end.".to_string(),
            }
        ),
    ))?;
    sink.flush()?;
    let mut silence = Silence::new(format!("funclatency {what}"));
    silence.misses = Misses::of(&returns);
    silence.moved_in(functions.iter().map(String::as_str), session.tracefs());
    silence.narrowed(spec.pid.map(Pid::get), None, None);
    let mut watch = Watch::new(sink);
    let stop = session.stop_flag().clone();
    let start = Instant::now();
    let end = spec.duration_s.map(|d| start + d.duration());
    let interval = spec.interval_s.map(IntervalSeconds::duration);
    let mut before = Tally::new();
    let mut from = start;
    loop {
        let mut deadline = interval.map(|i| from + i);
        if let Some(e) = end {
            deadline = Some(deadline.map_or(e, |d| d.min(e)));
        }
        let stopped = match deadline {
            Some(d) => stop.sleep(d.saturating_duration_since(Instant::now())),
            None => loop {
                if stop.sleep(Duration::from_secs(1)) {
                    break true;
                }
            },
        };
        let now = Instant::now();
        let finished = stopped || end.is_some_and(|e| now >= e);
        let text = {
            let _phase = session.tracefs().phase("read");
            session.tracefs().read(&hist_file)?
        };
        let tables = hist::parse(&text);
        let counts = tally(&tables);
        for h in histograms(&counts, &before, spec.unit, Some(unix_now())) {
            watch.emit(Record::Histogram(h))?;
        }
        let dropped: u64 = tables.iter().map(|t| t.dropped).sum();
        if finished && dropped > 0 {
            watch.emit(Record::notice(
                NoticeLevel::Warning,
                super::table_full(dropped, "buckets", t.rows),
            ))?;
        }
        watch.flush()?;
        before = counts;
        from = now;
        if finished {
            break;
        }
    }
    for r in silence.misses.report(session.tracefs()) {
        watch.emit(r)?;
    }
    Ok(watch.finish(&silence)?)
}

#[cfg(test)]
mod tests;
