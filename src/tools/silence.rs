//! Attached but silent: a run that saw no events says so at its end, with the likely reason
//! where lktrace can know it (a function the kernel's path no longer calls, a pid or filter
//! that narrowed the trace), instead of ending in a silence that reads as "nothing happened".

use std::cell::OnceCell;
use std::time::{Duration, Instant};

use crate::record::{NoticeLevel, Record, Sink, SinkError};
use crate::tracefs::{function_table, Tracefs};

/// Kernel functions people probe by name that the path they stand for no longer calls on
/// newer kernels: (old name, the path, the functions that path enters now, newest first).
/// A hint names the first of these the running kernel has (verified on Debian 12's 6.1 and
/// Debian 13's 6.12: docs/kernel-notes.md, "Functions that moved").
const MOVED: &[(&str, &str, &[&str])] = &[
    // 5.6 split openat2 out; open(2) and openat(2) call do_sys_openat2. Debian's builds
    // inline do_sys_open into open(2)'s handler; other builds still call it out of line
    // (then it fires and no hint is given).
    ("do_sys_open", "open(2)", &["do_sys_openat2"]),
    ("sys_open", "open(2)", &["do_sys_openat2"]),
    ("SyS_open", "open(2)", &["do_sys_openat2"]),
    ("sys_openat", "openat(2)", &["do_sys_openat2"]),
    // 4.17 syscall wrappers: the handlers are __x64_sys_* (arm64: __arm64_sys_*).
    // (Debian's 6.1 and 6.12 inline do_execve and do_execveat_common into the handler.)
    ("sys_execve", "execve(2)", EXECVE),
    ("SyS_execve", "execve(2)", EXECVE),
    ("do_execve", "execve(2)", EXECVE),
    // 5.10 renamed _do_fork.
    ("_do_fork", "fork(2) and clone(2)", &["kernel_clone"]),
    ("do_fork", "fork(2) and clone(2)", &["kernel_clone"]),
    // 5.9 renamed the block layer's entry.
    (
        "generic_make_request",
        "block I/O submission",
        &["submit_bio_noacct"],
    ),
    // 5.16-5.18, folios: the page cache functions cachestat used.
    (
        "add_to_page_cache_lru",
        "page cache insertion",
        &["filemap_add_folio"],
    ),
    (
        "mark_page_accessed",
        "page cache access",
        &["folio_mark_accessed"],
    ),
    (
        "account_page_dirtied",
        "page dirtying",
        &["folio_account_dirtied"],
    ),
];

const EXECVE: &[&str] = &[
    "__x64_sys_execve",
    "__arm64_sys_execve",
    "do_execveat_common",
];

/// What a run traced and what may explain silence, gathered as the run is set up.
#[derive(Debug, Clone, Default)]
pub struct Silence {
    what: String,
    hints: Vec<String>,
    /// The run's kprobes, whose misses its end reports (seen or not).
    pub misses: super::misses::Misses,
}

impl Silence {
    /// `what`: the traced thing as the notice names it (`kprobe myprobe (do_sys_open)`).
    pub fn new(what: impl Into<String>) -> Silence {
        Silence {
            what: what.into(),
            hints: Vec::new(),
            misses: Default::default(),
        }
    }

    /// Adds a reason the run may have seen nothing.
    pub fn hint(&mut self, hint: impl Into<String>) {
        self.hints.push(hint.into());
    }

    /// Adds, for each traced function the kernel's path has moved away from, the function
    /// that path enters on this kernel (`has` says whether the running kernel has a function).
    pub fn moved_functions<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
        has: impl Fn(&str) -> bool,
    ) {
        for name in names {
            let Some((_, path, now)) = MOVED.iter().find(|(old, _, _)| *old == name) else {
                continue;
            };
            if let Some(new) = now.iter().find(|n| has(n)) {
                self.hint(format!(
                    "{path} enters {new} on this kernel, not {name}: trace {new} instead"
                ));
            }
        }
    }

    /// [`Silence::moved_functions`] with the running kernel's traceable functions, read only
    /// when a name is one that moved.
    pub fn moved_in<'a>(&mut self, names: impl IntoIterator<Item = &'a str>, tracefs: &Tracefs) {
        let table = OnceCell::new();
        self.moved_functions(names, |f| {
            table
                .get_or_init(|| function_table::table(tracefs).ok())
                .as_ref()
                .is_some_and(|t| t.contains(f))
        });
    }

    /// The reasons a narrowed trace may be empty: `-p`/`-L` and an event filter.
    pub fn narrowed(&mut self, pid: Option<u32>, tid: Option<u32>, filter: Option<&str>) {
        if let Some(pid) = pid {
            self.hint(format!("only process {pid} was traced"));
        }
        if let Some(tid) = tid {
            self.hint(format!("only thread {tid} was traced"));
        }
        if let Some(f) = filter {
            let f = crate::output::escape::cut(f, 60);
            self.hint(format!("the filter {f:?} may reject every event"));
        }
    }

    /// The notice: "`what` saw no events in 5.0 s; reason; reason".
    pub fn notice(&self, elapsed: Duration) -> Record {
        let mut text = format!(
            "{} saw no events in {:.1} s",
            self.what,
            elapsed.as_secs_f64()
        );
        for h in &self.hints {
            text.push_str("; ");
            text.push_str(h);
        }
        Record::notice(NoticeLevel::Warning, text)
    }
}

/// perf-tools' last line, once the run is over: every tool that said "Tracing ..." ends with it.
pub fn ending() -> Record {
    Record::notice(NoticeLevel::Info, "Ending tracing...")
}

/// Passes records through and notes whether any was data (an event, a span, a stack, a
/// histogram with counts, a counts table with a count, a lost report).
pub struct Watch<'a> {
    sink: &'a mut dyn Sink,
    started: Instant,
    seen: bool,
}

impl<'a> Watch<'a> {
    pub fn new(sink: &'a mut dyn Sink) -> Watch<'a> {
        Watch {
            sink,
            started: Instant::now(),
            seen: false,
        }
    }

    /// Whether anything traced came through.
    pub fn seen(&self) -> bool {
        self.seen
    }

    /// Ends the watch: the silence notice when nothing came through, then perf-tools' last
    /// line, [`ending`].
    pub fn finish(self, silence: &Silence) -> Result<(), SinkError> {
        if !self.seen {
            self.sink.emit(silence.notice(self.started.elapsed()))?;
        }
        self.sink.emit(ending())?;
        self.sink.flush()
    }

    fn note(&mut self, r: &Record) {
        self.seen |= match r {
            Record::Event(_) | Record::Span(_) | Record::Stack(_) | Record::Lost(_) => true,
            Record::Counts(c) => !c.counts.is_empty(),
            Record::StackCounts(c) => !c.stacks.is_empty(),
            Record::Histogram(h) => h.buckets.iter().any(|b| b.count > 0),
            _ => false,
        };
    }
}

impl Sink for Watch<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.note(&record);
        self.sink.emit(record)
    }
    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.note(record);
        self.sink.emit_ref(record)
    }
    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.note(&record);
        self.sink.emit_from(host, record)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.sink.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::VecSink;

    fn text(r: &Record) -> String {
        match r {
            Record::Notice(n) => n.message.clone(),
            other => panic!("not a notice: {other:?}"),
        }
    }

    #[test]
    fn a_moved_function_names_what_the_path_enters_now() {
        let mut s = Silence::new("kprobe myprobe (do_sys_open)");
        s.moved_functions(["do_sys_open", "vfs_read"], |n| n == "do_sys_openat2");
        let t = text(&s.notice(Duration::from_millis(5000)));
        assert_eq!(
            t,
            "kprobe myprobe (do_sys_open) saw no events in 5.0 s; open(2) enters \
             do_sys_openat2 on this kernel, not do_sys_open: trace do_sys_openat2 instead"
        );
    }

    #[test]
    fn no_hint_when_the_kernel_lacks_the_successor_or_the_name_never_moved() {
        let mut s = Silence::new("x");
        s.moved_functions(["do_sys_open"], |_| false);
        s.moved_functions(["vfs_read"], |_| true);
        assert_eq!(text(&s.notice(Duration::ZERO)), "x saw no events in 0.0 s");
    }

    #[test]
    fn the_first_successor_the_kernel_has_is_named() {
        let mut s = Silence::new("x");
        s.moved_functions(["sys_execve"], |n| n == "__x64_sys_execve");
        assert!(text(&s.notice(Duration::ZERO)).contains("execve(2) enters __x64_sys_execve"));
    }

    #[test]
    fn watch_says_nothing_after_data_and_warns_after_none() {
        let silence = Silence::new("tpoint sched:sched_process_exec");
        let mut out = VecSink::default();
        let mut w = Watch::new(&mut out);
        w.emit(Record::notice(NoticeLevel::Info, "Tracing..."))
            .unwrap();
        assert!(!w.seen());
        w.finish(&silence).unwrap();
        assert_eq!(out.0.len(), 3);
        assert_eq!(out.0[2], ending(), "perf-tools' last line comes last");
        match &out.0[1] {
            Record::Notice(n) => {
                assert_eq!(n.level, NoticeLevel::Warning);
                assert!(n
                    .message
                    .starts_with("tpoint sched:sched_process_exec saw no events"));
            }
            other => panic!("{other:?}"),
        }

        let mut out = VecSink::default();
        let mut w = Watch::new(&mut out);
        w.emit(Record::Counts(crate::record::Counts {
            backend: "profiler".into(),
            duration_s: 1.0,
            time: 0.0,
            counts: vec![],
        }))
        .unwrap();
        assert!(!w.seen(), "an empty counts table is not data");
        w.emit(Record::Counts(crate::record::Counts {
            backend: "profiler".into(),
            duration_s: 1.0,
            time: 0.0,
            counts: vec![crate::record::Count {
                name: "vfs_read".into(),
                count: 3,
                keys: None,
            }],
        }))
        .unwrap();
        assert!(w.seen());
        w.finish(&silence).unwrap();
        assert_eq!(out.0.len(), 3, "no silence notice after data");
        assert_eq!(out.0[2], ending());
    }
}
