//! A tap on this library's own tracefs I/O: every read, write, mkdir and rmdir it makes, with
//! how long the kernel took, and the time of each phase of a run (resolve, attach, detach...).
//!
//! What a user sees with `--debug` ("what did it do to my kernel?"), and how the cost of a run
//! is found (docs/performance.md). The library only reports; what to print and where is the
//! caller's business. Without a tap nothing is measured beyond one branch per operation.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One operation on a tracefs file or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    /// O_TRUNC: a control file's value replaced.
    Write,
    /// O_APPEND: added to a list.
    Append,
    /// Opened with O_TRUNC and nothing written: a list emptied.
    Truncate,
    Mkdir,
    Rmdir,
    List,
    /// A file kept open by the caller (a trace pipe).
    Open,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Append => "append",
            Op::Truncate => "truncate",
            Op::Mkdir => "mkdir",
            Op::Rmdir => "rmdir",
            Op::List => "list",
            Op::Open => "open",
        }
    }
}

/// What one operation did.
#[derive(Debug)]
pub struct Io<'a> {
    pub op: Op,
    /// Relative to the tracefs root when under it.
    pub path: &'a Path,
    /// What was written (writes and appends).
    pub data: Option<&'a str>,
    /// Bytes read or written (entries, for a listing).
    pub bytes: usize,
    pub took: Duration,
    /// The kernel's refusal, when it refused.
    pub error: Option<&'a std::io::Error>,
}

/// Receives what the library does. Called on the thread that did it.
pub trait Tap: Send + Sync {
    fn io(&self, io: &Io<'_>);
    /// A phase of a run ended after `took`.
    fn phase(&self, name: &str, took: Duration);
}

/// A shared tap, as a [`super::Tracefs`] and a run's environment hold it.
#[derive(Clone)]
pub struct TapHandle(pub Arc<dyn Tap>);

impl std::fmt::Debug for TapHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TapHandle")
    }
}

impl TapHandle {
    /// `a` and `b` both told everything (a debug log and a progress line), or either alone.
    pub fn both(a: Option<TapHandle>, b: Option<TapHandle>) -> Option<TapHandle> {
        match (a, b) {
            (Some(a), Some(b)) => Some(TapHandle(Arc::new(Pair(a, b)))),
            (a, b) => a.or(b),
        }
    }
}

/// Two taps as one.
struct Pair(TapHandle, TapHandle);

impl Tap for Pair {
    fn io(&self, io: &Io<'_>) {
        self.0 .0.io(io);
        self.1 .0.io(io);
    }

    fn phase(&self, name: &str, took: Duration) {
        self.0 .0.phase(name, took);
        self.1 .0.phase(name, took);
    }
}

/// Times a phase from its creation to its drop (or [`PhaseTimer::end`]) and reports it to the
/// tap, if there is one.
#[must_use = "a phase is timed until this is dropped"]
pub struct PhaseTimer {
    tap: Option<TapHandle>,
    name: &'static str,
    start: Instant,
}

impl PhaseTimer {
    pub fn start(tap: Option<&TapHandle>, name: &'static str) -> PhaseTimer {
        PhaseTimer {
            tap: tap.cloned(),
            name,
            start: Instant::now(),
        }
    }

    pub fn end(self) {}
}

impl Drop for PhaseTimer {
    fn drop(&mut self) {
        if let Some(t) = &self.tap {
            t.0.phase(self.name, self.start.elapsed());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Keeps what it is told, for tests.
    #[derive(Default)]
    pub(crate) struct Recorder {
        pub(crate) lines: Mutex<Vec<String>>,
    }

    impl Tap for Recorder {
        fn io(&self, io: &Io<'_>) {
            let err = if io.error.is_some() { " ERR" } else { "" };
            self.lines.lock().unwrap().push(format!(
                "{} {} {:?}{err}",
                io.op.name(),
                io.path.display(),
                io.data
            ));
        }
        fn phase(&self, name: &str, _took: Duration) {
            self.lines.lock().unwrap().push(format!("phase {name}"));
        }
    }

    #[test]
    fn every_operation_and_phase_reaches_the_tap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("current_tracer"), "nop\n").unwrap();
        let rec = Arc::new(Recorder::default());
        let t = super::super::Tracefs::at(dir.path()).with_tap(TapHandle(rec.clone()));
        t.read_value("current_tracer").unwrap();
        t.write("current_tracer", "function\n").unwrap();
        t.append("current_tracer", "x").unwrap();
        assert!(t.read("missing").is_err());
        t.mkdir("instances").unwrap();
        t.rmdir("instances").unwrap();
        t.phase("attach").end();
        let lines = rec.lines.lock().unwrap().clone();
        assert_eq!(
            lines,
            vec![
                "read current_tracer None",
                "write current_tracer Some(\"function\\n\")",
                "append current_tracer Some(\"x\")",
                "read missing None ERR",
                "mkdir instances None",
                "rmdir instances None",
                "phase attach",
            ]
        );
    }
}
