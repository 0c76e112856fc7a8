//! The raw reader of the stream engine: every CPU's `per_cpu/cpuN/trace_pipe_raw` of the run's
//! instance, non-blocking, merged in time order by one [`CpuMerge`] in this thread, decoded
//! into reused records ([`raw_records`](super::raw_records)), lost events from the page headers
//! and, at the end, `per_cpu/cpuN/stats` (docs/raw-reader.md).

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use super::raw_records::{Converter, ProbeFormat};
use super::symbols::{Names, Symbols};
use super::TgidCache;
use crate::record::{Event, Lost, NoticeLevel, Record, Sink};
use crate::tracefs::events::EventRef;
use crate::tracefs::raw::{CpuMerge, CpuStats, EventTable, Next, PageLayout, ReaderSource};
use crate::tracefs::{format, Session};
use crate::Result;

/// The reorder window: an event waits for an empty CPU at most until the newest event seen is
/// this much later (ns of the trace clock), or that CPU has this many pages read ahead.
const WINDOW_NS: u64 = 10_000_000;
const MAX_PAGES: usize = 16;
/// Events handed out per round at most, so a stop request is seen under any load.
const ROUND_EVENTS: usize = 1 << 18;
/// The sleep between rounds when the last one read events, and when it read none. 100 ms, as
/// the text reader's settling: the kernel saves a task's comm only when it is next switched
/// out (and keeps the old one after an `exec` until then), so names read at once would more
/// often be `<...>` or stale than the text path's.
const BUSY_SLEEP: Duration = Duration::from_millis(100);
const IDLE_SLEEP: Duration = Duration::from_millis(100);

/// Where the raw reader reads, set up before the events are enabled.
pub struct RawInput {
    merge: CpuMerge<ReaderSource<File>>,
    table: EventTable,
    conv: Converter,
    /// Each CPU's stats file and the lost events reported for it so far.
    cpus: Vec<(u32, PathBuf, u64)>,
    /// The record lent to the sink, refilled event after event.
    rec: Record,
}

/// The Linux versions whose text flags column [`super::raw_records::flags_text`] reproduces
/// (tested on 6.1 and 6.12): from 6.0 to before 6.13 (lazy preemption's flags).
fn flags_known(release: &str) -> bool {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let major: u32 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let minor: u32 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    major == 6 && minor < 13
}

/// Opens the raw reader for `events` in the session's instance, or says why it cannot
/// reproduce their text here (`Ok(Err(why))`).
pub fn open(
    session: &mut Session,
    events: &[EventRef],
    want_tgid: bool,
) -> Result<std::result::Result<RawInput, String>> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let release = release.trim();
    if !flags_known(release) {
        return Ok(Err(format!(
            "the text flags of Linux {release} are not known to the raw reader"
        )));
    }
    if !Symbols::proc_has_addresses() {
        return Ok(Err("/proc/kallsyms shows no addresses".into()));
    }
    let header_page = session.instance_file("events/header_page")?;
    let header_event = session.instance_file("events/header_event")?;
    let per_cpu = session.instance_file("per_cpu")?;
    let t = session.tracefs();
    if !t.exists(&header_page) || !t.exists(per_cpu.join("cpu0/trace_pipe_raw")) {
        return Ok(Err("no per_cpu/cpuN/trace_pipe_raw here".into()));
    }
    let layout = match PageLayout::parse(
        &t.read_whole_once(&header_page)?,
        &t.read_whole_once(&header_event)?,
    ) {
        Ok(l) => l,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let mut table = EventTable::new();
    let mut probes = Vec::new();
    for ev in events {
        let Some(name) = &ev.event else {
            return Ok(Err("a whole group of events".into()));
        };
        let text = crate::tracefs::events::format_text(t, &ev.group, name)?;
        let Some(f) = format::parse(&text) else {
            return Ok(Err(format!("the format of {name} is not understood")));
        };
        let dec = match table.add(&f) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e.to_string())),
        };
        match ProbeFormat::new(&f, dec) {
            Ok(p) => probes.push(p),
            Err(why) => return Ok(Err(why)),
        }
    }
    let mut cpus: Vec<u32> = std::fs::read_dir(t.path(&per_cpu))
        .map_err(|e| crate::tracefs::Error::io("list", t.path(&per_cpu), e))?
        .filter_map(|d| d.ok())
        .filter_map(|d| d.file_name().to_str()?.strip_prefix("cpu")?.parse().ok())
        .collect();
    cpus.sort_unstable();
    let mut sources = Vec::new();
    let mut stats = Vec::new();
    for &c in &cpus {
        let dir = per_cpu.join(format!("cpu{c}"));
        sources.push((
            c,
            ReaderSource::new(t.open_raw(dir.join("trace_pipe_raw"))?),
        ));
        stats.push((c, dir.join("stats"), 0));
    }
    let merge = CpuMerge::new(layout, sources, WINDOW_NS).max_pages(MAX_PAGES);
    Ok(Ok(RawInput {
        merge,
        table,
        conv: Converter::new(
            probes,
            Names::new(want_tgid).asking_proc(),
            Symbols::from_proc(),
        ),
        cpus: stats,
        rec: Record::Event(Event::empty()),
    }))
}

impl RawInput {
    /// Hands out what the merge lets go now (everything, when `draining`); the number of
    /// events read.
    fn pump(
        &mut self,
        session: &Session,
        tgids: &mut TgidCache,
        sink: &mut dyn Sink,
    ) -> Result<usize> {
        let t = session.tracefs();
        let read = |f: &str| t.read(f).ok();
        self.conv.names.new_round();
        let mut n = 0;
        while n < ROUND_EVENTS {
            let next = match self.merge.next_event() {
                Ok(next) => next,
                Err(e) => {
                    sink.emit(Record::notice(
                        NoticeLevel::Warning,
                        format!("raw ring buffer: {e}"),
                    ))?;
                    continue;
                }
            };
            match next {
                Next::Event { cpu, ts, payload } => {
                    n += 1;
                    let Record::Event(e) = &mut self.rec else {
                        continue;
                    };
                    let filled = match self.table.record(payload) {
                        Ok(r) => self.conv.fill(&read, cpu, ts, &r, e),
                        Err(err) => Err(err.to_string()),
                    };
                    if let Err(why) = filled {
                        sink.emit(Record::notice(
                            NoticeLevel::Warning,
                            format!("raw ring buffer: {why}"),
                        ))?;
                        continue;
                    }
                    if tgids.keep(e) {
                        sink.emit_ref(&self.rec)?;
                    }
                }
                Next::Lost { cpu, count } => {
                    // Unknown counts come from the CPU's stats at the end.
                    if let Some(count) = count {
                        if let Some(c) = self.cpus.iter_mut().find(|c| c.0 == cpu) {
                            c.2 = c.2.saturating_add(count);
                        }
                        sink.emit(Record::Lost(Lost {
                            cpu: Some(cpu),
                            count: Some(count),
                        }))?;
                    }
                }
                Next::Wait | Next::End => break,
            }
        }
        Ok(n)
    }

    /// After the last read: what each CPU's stats say it overwrote beyond what the page
    /// headers counted, as `lost` records with the exact number.
    fn reconcile(&mut self, session: &Session, sink: &mut dyn Sink) -> Result<()> {
        for (cpu, path, reported) in &mut self.cpus {
            let Ok(text) = session.tracefs().read(&*path) else {
                continue;
            };
            let overrun = CpuStats::parse(&text).overrun;
            if overrun > *reported {
                sink.emit(Record::Lost(Lost {
                    cpu: Some(*cpu),
                    count: Some(overrun - *reported),
                }))?;
                *reported = overrun;
            }
        }
        Ok(())
    }
}

/// Streams (no `-d`) or waits and then reads everything (`-d`), until the duration ends or the
/// run is stopped; nothing traced is left unread.
pub(super) fn run(
    duration: Option<Duration>,
    session: &Session,
    input: &mut RawInput,
    tgids: &mut TgidCache,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag();
    if let Some(d) = duration {
        stop.sleep(d);
    } else {
        while !stop.is_set() {
            let mut n = input.pump(session, tgids, sink)?;
            if n == 0 {
                // A quiet round: what the window still holds goes out.
                input.merge.set_draining(true);
                n = input.pump(session, tgids, sink)?;
                input.merge.set_draining(false);
            }
            sink.flush()?;
            stop.sleep(if n > 0 { BUSY_SLEEP } else { IDLE_SLEEP });
        }
    }
    session.write_instance("tracing_on", "0")?;
    input.merge.set_draining(true);
    while input.pump(session, tgids, sink)? > 0 {}
    input.reconcile(session, sink)?;
    Ok(sink.flush()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_known_for_the_tested_kernels_only() {
        assert!(flags_known("6.1.0-57-cloud-amd64"));
        assert!(flags_known("6.12.117+deb13-cloud-amd64"));
        assert!(flags_known("6.1.192"));
        assert!(!flags_known("6.13.0"));
        assert!(!flags_known("5.15.0-91-generic"));
        assert!(!flags_known(""));
    }
}
