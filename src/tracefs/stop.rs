//! Asking a run to stop: Ctrl-C, SIGTERM, SIGHUP, SIGPIPE locally; a client's stop request or
//! an expired lease in the agent. Tools poll the flag between short waits; teardown reads
//! [`StopFlag::hurry`] to take the fast path after a second signal.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shared, cheap to clone. Counts requests: the first asks to stop, the second to hurry; and
/// remembers the last signal (other than SIGPIPE) that asked.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicUsize>, Arc<AtomicI32>);

impl StopFlag {
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    pub fn request(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// True when a signal other than SIGPIPE asked to stop: the run was interrupted (exit
    /// 130), as opposed to ending because its reader went away (exit 0).
    pub fn interrupted(&self) -> bool {
        self.signal().is_some()
    }

    /// The last signal (not SIGPIPE) that asked to stop, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.1.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }

    /// A second request came: tear down with the fewest writes.
    pub fn hurry(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 1
    }

    /// Sleeps up to `d`, waking early when a stop is requested. Returns true if stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if self.is_set() {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }

    /// Routes SIGINT, SIGTERM, SIGHUP and SIGPIPE to this flag instead of killing the process,
    /// so teardown always runs. Safe to call more than once.
    ///
    /// SIGHUP and SIGTERM that were ignored when the process started stay ignored, as shells
    /// and perf-tools' bash leave them: `nohup funccount -i 60 … &` survives the terminal
    /// closing. SIGINT is always caught: POSIX has a script's `&` jobs start with it ignored,
    /// and `kill -INT $!` is how scripts stop a tracer (with its teardown). SIGPIPE too: the
    /// Rust runtime itself ignores it before main, which says nothing of the parent's wish.
    pub fn install_signal_handlers(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGPIPE, SIGTERM};
            for sig in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
                if (sig == SIGHUP || sig == SIGTERM) && ignored_at_start(sig) {
                    continue;
                }
                let counter = Arc::clone(&self.0);
                let signal = Arc::clone(&self.1);
                // SAFETY: the handler only does atomic stores, which are async-signal-safe.
                unsafe {
                    signal_hook::low_level::register(sig, move || {
                        if sig != SIGPIPE {
                            signal.store(sig, Ordering::SeqCst);
                        }
                        counter.fetch_add(1, Ordering::SeqCst);
                    })?;
                }
            }
        }
        #[cfg(windows)]
        {
            use signal_hook::consts::{SIGINT, SIGTERM};
            for sig in [SIGINT, SIGTERM] {
                let counter = Arc::clone(&self.0);
                let signal = Arc::clone(&self.1);
                // SAFETY: as above.
                unsafe {
                    signal_hook::low_level::register(sig, move || {
                        signal.store(sig, Ordering::SeqCst);
                        counter.fetch_add(1, Ordering::SeqCst);
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// True when `sig`'s disposition is "ignore" right now (before we install anything, that is
/// what the parent left us).
#[cfg(unix)]
fn ignored_at_start(sig: i32) -> bool {
    // SAFETY: sigaction with a null new action only reads the current one into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_wakes_on_request_and_second_request_hurries() {
        let f = StopFlag::new();
        assert!(!f.sleep(Duration::from_millis(1)));
        f.request();
        assert!(f.sleep(Duration::from_secs(10)));
        assert!(!f.hurry());
        f.request();
        assert!(f.hurry());
    }
}
