//! A progress line on stderr while a run sets up, traces for `-d SECS` and tears down: how
//! many tracefs operations setup and teardown have made (attaching hundreds of kprobes takes
//! seconds), and the time left of the tracing window.
//!
//! Only on a terminal, never in JSON or OpenMetrics output and not with `-q` (the CLI decides).
//! It learns what the run does from the library's [`Tap`] (each tracefs operation) and from
//! the records the run emits (the "Tracing ..." notice opens the window, the next record or
//! "Ending tracing..." closes it). What the run prints goes through [`Progress::writer`], which
//! takes the line off the screen while a write happens, so output never lands inside it.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::record::{Record, Sink, SinkError};
use crate::tracefs::tap::{Io, Tap};

/// Setup shorter than this shows nothing (most runs: no flicker).
const SHOW_AFTER: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    SettingUp,
    Tracing,
    TearingDown,
}

struct State {
    stage: Stage,
    ops: u64,
    shown: bool,
    since: Instant,
}

/// The progress line of one run.
pub struct Progress {
    bar: ProgressBar,
    /// `-d SECS`: the window counted down.
    duration: Option<Duration>,
    state: Mutex<State>,
}

impl Progress {
    pub fn new(duration: Option<Duration>) -> Arc<Progress> {
        // Hidden until the run has taken long enough to be worth a line.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        Arc::new(Progress {
            bar,
            duration,
            state: Mutex::new(State {
                stage: Stage::SettingUp,
                ops: 0,
                shown: false,
                since: Instant::now(),
            }),
        })
    }

    /// A writer whose writes take the progress line off the screen first.
    pub fn writer<W: Write>(self: &Arc<Self>, inner: W) -> SuspendWriter<W> {
        SuspendWriter {
            progress: Arc::clone(self),
            inner,
        }
    }

    /// Removes the line for good (the run is over).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn show(&self, st: &mut State) {
        if !st.shown {
            st.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    fn ops_line(&self, st: &mut State) {
        let what = match st.stage {
            Stage::SettingUp => "setting up",
            Stage::TearingDown => "tearing down",
            Stage::Tracing => return,
        };
        if !st.shown && st.since.elapsed() >= SHOW_AFTER {
            self.bar.set_style(spinner_style());
            self.show(st);
        }
        let noun = if st.ops == 1 {
            "operation"
        } else {
            "operations"
        };
        self.bar
            .set_message(format!("{what}: {} tracefs {noun}", st.ops));
    }

    /// The window opened ("Tracing ..." was said).
    fn tracing(&self) {
        let mut st = self.state();
        if st.stage != Stage::SettingUp {
            return;
        }
        st.stage = Stage::Tracing;
        match self.duration {
            Some(d) if d >= Duration::from_secs(2) => {
                self.bar.set_style(countdown_style());
                self.bar.set_length(d.as_secs());
                self.bar.set_position(0);
                self.bar.reset_elapsed();
                self.bar.set_message("tracing");
                self.show(&mut st);
                let bar = self.bar.clone();
                // The bar's own clock moves it: nothing of the run's thread is spent on it.
                std::thread::spawn(move || {
                    while !bar.is_finished() && bar.position() < d.as_secs() {
                        std::thread::sleep(Duration::from_millis(250));
                        bar.set_position(bar.elapsed().as_secs().min(d.as_secs()));
                    }
                });
            }
            // No window to count: the run's own output owns the screen now.
            _ => {
                self.bar.set_draw_target(ProgressDrawTarget::hidden());
                st.shown = false;
            }
        }
    }

    /// The window closed: what follows is teardown.
    fn tearing_down(&self) {
        let mut st = self.state();
        if st.stage != Stage::Tracing {
            return;
        }
        st.stage = Stage::TearingDown;
        st.ops = 0;
        st.since = Instant::now();
        if st.shown {
            self.bar.set_style(spinner_style());
            self.bar.reset_elapsed();
        }
        self.ops_line(&mut st);
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} lktrace: {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn countdown_style() -> ProgressStyle {
    ProgressStyle::with_template("lktrace: {msg} [{bar:30}] {pos}/{len} s, {eta} left")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Tap for Progress {
    fn io(&self, _io: &Io<'_>) {
        let mut st = self.state();
        if st.stage == Stage::Tracing {
            // Reads of the results at the end of the window: it is over.
            drop(st);
            self.tearing_down();
            st = self.state();
        }
        st.ops += 1;
        self.ops_line(&mut st);
    }

    fn phase(&self, _name: &str, _took: Duration) {}
}

/// Takes the progress line off the screen for each write.
pub struct SuspendWriter<W> {
    progress: Arc<Progress>,
    inner: W,
}

impl<W: Write> Write for SuspendWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (bar, inner) = (&self.progress.bar, &mut self.inner);
        bar.suspend(|| inner.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let (bar, inner) = (&self.progress.bar, &mut self.inner);
        bar.suspend(|| inner.write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Passes records on, telling the progress line when the tracing window opens and closes.
pub struct ProgressSink<'a> {
    progress: Arc<Progress>,
    inner: Box<dyn Sink + 'a>,
}

impl<'a> ProgressSink<'a> {
    pub fn new(progress: Arc<Progress>, inner: Box<dyn Sink + 'a>) -> ProgressSink<'a> {
        ProgressSink { progress, inner }
    }

    fn saw(&self, record: &Record) {
        match record {
            Record::Notice(n) if n.message.starts_with("Tracing") => self.progress.tracing(),
            Record::Notice(n) if !n.message.starts_with("Ending tracing") => {}
            _ => self.progress.tearing_down(),
        }
    }
}

impl Sink for ProgressSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.saw(&record);
        self.inner.emit(record)
    }

    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.saw(record);
        self.inner.emit_ref(record)
    }

    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.saw(&record);
        self.inner.emit_from(host, record)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush()
    }
}

impl Drop for ProgressSink<'_> {
    fn drop(&mut self) {
        self.progress.finish();
    }
}

#[cfg(test)]
mod tests;
