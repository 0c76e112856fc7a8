//! Argument distributions counted in the kernel, as bcc's argdist: a hist trigger on one of
//! our events keyed on one of its fields, either as a log2 histogram (`--hist FIELD`) or as a
//! count per value (`--count FIELD`). The trigger alone runs the event (soft-enabled): no
//! instance, no buffer, nothing streamed; the table is read once at the end.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::hist::{Buckets, Plan};
use crate::record::{Count, Counts, NoticeLevel, Record, Sink};
use crate::tools::values::FieldName;
use crate::tracefs::events::EventRef;
use crate::tracefs::probe::ProbeDef;
use crate::tracefs::{hist, Session};
use crate::{Error, Result};

/// Distinct values kept for `--count` (the hist table's size; the kernel counts what does not
/// fit as dropped, and we say so).
const COUNT_TABLE: usize = 8192;

/// What to make of the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// A log2 histogram of its values.
    Hist(FieldName),
    /// How often each value occurred.
    Count(FieldName),
}

impl Aggregate {
    pub fn field(&self) -> &FieldName {
        match self {
            Aggregate::Hist(f) | Aggregate::Count(f) => f,
        }
    }

    /// The trigger for `ev`'s table.
    fn trigger(&self, filter: Option<&str>) -> String {
        match self {
            Aggregate::Hist(f) => plan(f).trigger(filter),
            Aggregate::Count(f) => hist::trigger_command(
                &[f.as_str()],
                &["hitcount"],
                Some("hitcount.descending"),
                Some(COUNT_TABLE),
                filter,
            ),
        }
    }
}

fn plan(f: &FieldName) -> Plan {
    Plan {
        field: f.as_str().to_string(),
        buckets: Buckets::Log2,
        name: f.as_str().to_string(),
        unit: String::new(),
        by: Vec::new(),
    }
}

/// The field must be one of the probe's arguments (named, or the kernel's `argN`).
pub fn check_field(def: &ProbeDef, field: &str) -> Result<()> {
    let names: Vec<String> = def
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| a.name.clone().unwrap_or_else(|| format!("arg{}", i + 1)))
        .collect();
    if names.iter().any(|n| n == field) {
        return Ok(());
    }
    Err(Error::Usage(if names.is_empty() {
        format!(
            "the probe fetches nothing to count by {field}: add {field}=FETCH to its \
             definition (e.g. {field}=arg1, {field}=$retval)"
        )
    } else {
        format!(
            "the probe has no field {field}: its fields are {}",
            names.join(", ")
        )
    }))
}

/// How a tool runs an aggregation: its name for the notice, the user's filter, the threads of
/// `-p`/`-L`, and `-d`.
pub struct Run<'a> {
    pub what: &'a str,
    pub filter: Option<&'a str>,
    pub threads: Option<&'a [u32]>,
    pub duration: Option<Duration>,
}

/// The whole run on `ev`, one of the session's events: the trigger (which alone runs the
/// event: no instance, nothing streamed), the wait, the table read, and the session closed.
/// Triggers run before the kernel's pid filter, so `-p`/`-L` become part of the trigger's
/// filter: the threads the process has now.
pub fn run(
    mut session: Session,
    ev: &EventRef,
    agg: &Aggregate,
    how: &Run<'_>,
    sink: &mut dyn Sink,
) -> Result<()> {
    let pids = how.threads.and_then(hist::pid_filter);
    let filter = match (how.filter, pids) {
        (Some(f), Some(p)) => Some(format!("({f}) && {p}")),
        (Some(f), None) => Some(f.to_string()),
        (None, p) => p,
    };
    let result = start(&mut session, ev, agg, filter.as_deref()).and_then(|()| {
        let field = agg.field().as_str();
        let name = ev.event.as_deref().unwrap_or("?");
        let what = how.what;
        sink.emit(Record::notice(
            NoticeLevel::Info,
            match how.duration {
                Some(d) => format!(
                    "Tracing {what} {name}, counting {field} in the kernel, for {}...",
                    crate::tools::counted(d.as_secs_f64(), "second")
                ),
                None => {
                    format!("Tracing {what} {name}, counting {field} in the kernel. Ctrl-C to end.")
                }
            },
        ))?;
        sink.flush()?;
        finish(&session, ev, agg, how.duration, sink)
    });
    let closed = crate::tools::close_session(session);
    result.and(closed)?;
    Ok(sink.emit(crate::tools::silence::ending())?)
}

/// Attaches the trigger to `ev` (one of the session's events); the kernel counts from here.
fn start(
    session: &mut Session,
    ev: &EventRef,
    agg: &Aggregate,
    filter: Option<&str>,
) -> Result<()> {
    Ok(session.add_trigger(ev, &agg.trigger(filter))?)
}

/// Waits for the duration or the stop, then reads the table into records: one `histogram`
/// (`--hist`) or one `counts` table, values ascending by count as funccount prints them
/// (`--count`), and a warning if the table dropped events.
fn finish(
    session: &Session,
    ev: &EventRef,
    agg: &Aggregate,
    duration: Option<Duration>,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag();
    let started = Instant::now();
    match duration {
        Some(d) => {
            stop.sleep(d);
        }
        None => while !stop.sleep(Duration::from_secs(1)) {},
    }
    let text = session.tracefs().read(session.trigger_file(ev, "hist"))?;
    let tables = hist::parse(&text);
    let dropped: u64 = tables.iter().map(|t| t.dropped).sum();
    match agg {
        Aggregate::Hist(f) => {
            let mut recs = plan(f).read(&tables);
            if recs.is_empty() {
                recs.push(Record::Histogram(crate::record::Histogram {
                    time: None,
                    name: f.as_str().to_string(),
                    unit: String::new(),
                    keys: crate::record::Fields(Vec::new()),
                    buckets: Vec::new(),
                }));
            }
            for r in recs {
                sink.emit(r)?;
            }
        }
        Aggregate::Count(f) => {
            let mut counts: Vec<Count> = tables
                .iter()
                .flat_map(|t| &t.entries)
                .filter_map(|e| {
                    let (_, v) = e.keys.iter().find(|(k, _)| k == f.as_str())?;
                    Some(Count {
                        name: v.trim().to_string(),
                        count: e.hitcount,
                        keys: None,
                    })
                })
                .collect();
            super::count::sort_and_cut(&mut counts, None);
            sink.emit(Record::Counts(Counts {
                backend: "hist".into(),
                duration_s: started.elapsed().as_secs_f64(),
                time: super::count::unix_now(),
                counts,
            }))?;
        }
    }
    if dropped > 0 {
        sink.emit(Record::notice(
            NoticeLevel::Warning,
            crate::tools::table_full(dropped, "values", COUNT_TABLE),
        ))?;
    }
    Ok(sink.flush()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> FieldName {
        FieldName::try_from(s.to_string()).unwrap()
    }

    #[test]
    fn field_names_are_identifiers() {
        assert!(FieldName::try_from("size".to_string()).is_ok());
        assert!(FieldName::try_from("arg1".to_string()).is_ok());
        for bad in ["", "1x", "a b", "x:y", "a.log2", "x if 1", &"a".repeat(33)] {
            assert!(FieldName::try_from(bad.to_string()).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<Aggregate>(r#"{"hist":"a;b"}"#).is_err());
    }

    #[test]
    fn triggers() {
        assert_eq!(
            Aggregate::Hist(f("size")).trigger(None),
            "hist:keys=size.log2:vals=hitcount"
        );
        assert_eq!(
            Aggregate::Count(f("ret")).trigger(Some("ret < 0")),
            "hist:keys=ret:vals=hitcount:sort=hitcount.descending:size=8192 if ret < 0"
        );
    }
}
