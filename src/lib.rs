//! lktrace: Linux kernel tracing tools on tracefs, in the spirit of perf-tools.
//!
//! - [`tracefs`]: everything that touches the kernel's tracing files (stands alone).
//! - [`record`]: what tools emit and where it goes.
//! - [`tools`]: one module per tool: its Spec, its arguments, its `run`.
//! - [`output`]: tables, perf-tools text, JSON Lines.
//! - [`remote`]: the UDP agent and client.
//! - [`cli`]: the command tree, error rendering, exit codes.

pub mod cli;
pub mod elf;
pub mod error;
pub mod exit_codes;
pub mod gen;
pub mod output;
pub mod record;
pub mod remote;
pub mod tools;
pub mod tracefs;

pub use error::{Error, Result};
