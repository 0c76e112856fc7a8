//! Exit codes, in one place.

/// The run did what was asked (a closed output pipe counts: the reader chose to stop).
pub const OK: i32 = 0;
/// Something failed; the message says what.
pub const ERROR: i32 = 1;
/// The command line was wrong.
pub const USAGE: i32 = 2;
/// Stopped by Ctrl-C (128 + SIGINT), after printing what was gathered and cleaning up.
pub const INTERRUPTED: i32 = 130;
