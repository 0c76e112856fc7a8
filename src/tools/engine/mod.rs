//! The engines tools are built from, so that a tool file keeps only what is its own:
//!
//! - [`count`]: counting calls in the kernel (function profiler, kprobe_profile, hist trigger,
//!   function-trace stream) with the backend choice and its fallbacks, and the interval loop
//!   that turns counters into `counts` records. funccount today; syscount and cachestat next.
//! - [`stream`]: trace text to records, and the trace_pipe loop of event tools (`-p`/`-L`
//!   with the tgid cache, `-d` buffered mode, lost-event accounting). kprobe today; every
//!   snoop next.
//! - [`hist`]: hist triggers with a bucketed key, read back into `histogram` records (log2 or
//!   linear buckets, split by any other keys).
//! - [`argdist`]: a field of one event as a log2 histogram or a count per value, in the
//!   kernel (kprobe `--hist`/`--count`).
//! - [`command`]: a command run under tracing, held before exec until the kernel follows it
//!   (syscount COMMAND).
//! - [`stacks`]: kernel stacks counted by a hist trigger keyed on `stacktrace`, read back into
//!   `stack_counts` (stackcount).
//! - [`graph`]: the top-level function_graph tracer read into `span` records (funcgraph,
//!   funcslower).

pub mod argdist;
#[cfg_attr(not(unix), path = "command_stub.rs")]
pub mod command;
pub mod count;
pub mod graph;
pub mod hist;
pub mod resolve;
pub mod stacks;
pub mod stream;
pub mod uprobe_target;
