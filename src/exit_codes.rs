//! Exit codes, in one place.

/// The run did what was asked (a closed output pipe counts: the reader chose to stop).
pub const OK: i32 = 0;
/// Something failed; the message says what.
pub const ERROR: i32 = 1;
/// The command line was wrong.
pub const USAGE: i32 = 2;
/// Stopped by Ctrl-C (128 + SIGINT), after printing what was gathered and cleaning up.
pub const INTERRUPTED: i32 = 130;

/// Ends the process the way SIGINT would have, after our cleanup: with the default action
/// restored and the signal raised again, so the parent sees "killed by SIGINT" and a shell loop
/// around us stops too (as fd does). Falls back to exiting with [`INTERRUPTED`].
pub fn exit_by_sigint() -> ! {
    #[cfg(unix)]
    // SAFETY: restoring the default action and raising a signal have no preconditions; nothing
    // runs after raise() when it takes effect.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::raise(libc::SIGINT);
    }
    std::process::exit(INTERRUPTED)
}
