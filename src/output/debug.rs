//! `--debug`: every tracefs operation and phase of a run, one line each on stderr, and a
//! summary at the end. The lines are for people ("what did it do to my kernel?") and for the
//! overhead benchmark, which reads the summary.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::escape;
use crate::tracefs::tap::{Io, Tap};

/// Written data shown at most, in characters: a 500-function filter is one long write.
const MAX_DATA: usize = 120;

/// Prints to stderr as things happen; keeps totals for [`StderrTap::summary`].
pub struct StderrTap {
    start: Instant,
    totals: Mutex<Totals>,
}

#[derive(Default)]
struct Totals {
    ops: u64,
    in_kernel: Duration,
    /// Phases in the order they first ended, with their summed time.
    phases: Vec<(String, Duration)>,
}

impl Default for StderrTap {
    fn default() -> Self {
        StderrTap::new()
    }
}

impl StderrTap {
    pub fn new() -> StderrTap {
        StderrTap {
            start: Instant::now(),
            totals: Mutex::new(Totals::default()),
        }
    }

    fn line(&self, text: &str) {
        let at = self.start.elapsed().as_secs_f64();
        let _ = writeln!(
            std::io::stderr().lock(),
            "lktrace: debug: +{at:.3}s {}",
            escape::escape(text)
        );
    }

    /// One line: operations, their time in the kernel, the time of each phase.
    pub fn summary(&self) {
        let t = match self.totals.lock() {
            Ok(t) => t,
            Err(p) => p.into_inner(),
        };
        let mut s = format!(
            "{} tracefs operations, {} in the kernel; phases:",
            t.ops,
            ms(t.in_kernel)
        );
        for (name, d) in &t.phases {
            let _ = write!(s, " {name} {}", ms(*d));
        }
        drop(t);
        self.line(&s);
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// What one operation line says: op, path, data written (cut), size, time, the refusal.
pub fn describe(io: &Io<'_>) -> String {
    let mut s = format!("{} {}", io.op.name(), io.path.display());
    if let Some(d) = io.data {
        let _ = write!(s, " {:?}", escape::cut(d, MAX_DATA));
    }
    let _ = write!(s, " ({} B, {})", io.bytes, ms(io.took));
    if let Some(e) = io.error {
        let _ = write!(s, " failed: {e}");
    }
    s
}

impl Tap for StderrTap {
    fn io(&self, io: &Io<'_>) {
        self.line(&describe(io));
        if let Ok(mut t) = self.totals.lock() {
            t.ops += 1;
            t.in_kernel += io.took;
        }
    }

    fn phase(&self, name: &str, took: Duration) {
        self.line(&format!("phase {name}: {}", ms(took)));
        if let Ok(mut t) = self.totals.lock() {
            match t.phases.iter_mut().find(|(n, _)| n == name) {
                Some((_, d)) => *d += took,
                None => t.phases.push((name.to_string(), took)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracefs::tap::Op;
    use std::path::Path;

    #[test]
    fn a_line_names_the_file_the_data_and_the_refusal_and_stays_short() {
        let long = "vfs_read\n".repeat(100);
        let err = std::io::Error::from_raw_os_error(libc::EINVAL);
        let line = describe(&Io {
            op: Op::Append,
            path: Path::new("kprobe_events"),
            data: Some(&long),
            bytes: long.len(),
            took: Duration::from_micros(1500),
            error: Some(&err),
        });
        assert!(
            line.starts_with("append kprobe_events \"vfs_read\\nvfs_read"),
            "{line}"
        );
        assert!(
            line.contains("…\" (900 B, 1.5 ms) failed: Invalid argument"),
            "{line}"
        );
        assert!(line.len() < 250, "{line}");
    }
}
