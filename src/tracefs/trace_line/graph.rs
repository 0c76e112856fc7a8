//! The parser of the function_graph tracer's text lines (`trace_functions_graph.c`), as
//! `trace_pipe` prints them with the options lktrace sets: `funcgraph-abstime`,
//! `funcgraph-cpu`, `funcgraph-proc`, `funcgraph-duration`, `funcgraph-overhead` and
//! `funcgraph-tail` on (see `tracefs::graph`).
//!
//! A line is then `TIME | CPU) COMM-PID | DURATION | FUNCTION`:
//!
//! ```text
//!  1002.403402 |   0)    dd-201     |               |  vfs_read() {
//!  1002.403410 |   0)    dd-201     |   2.100 us    |    rw_verify_area();
//!  1002.403468 |   0)    dd-201     | + 65.800 us   |  } /* vfs_read */
//! ```
//!
//! `print_graph_prologue` prints the time (`"%5lu.%06lu |  "`), the CPU (`" %*d) "`), the task
//! (`comm-pid` centred in 14 columns, the comm cut to 7 characters, then `" | "`), then
//! `print_graph_duration` the overhead mark and the duration (or blanks on an entry) and
//! `"|  "`, then two spaces per call depth and the call. The comm may hold `|`, the function
//! text never does: the columns are found from both ends. Lines of another shape (the
//! `==========>` irq markers, `------` task-switch banners, `=>` lines) are [`GraphLine::Other`].

use super::{parse_line, Line};

/// The columns before the call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphContext<'a> {
    /// Seconds (`funcgraph-abstime`).
    pub timestamp: f64,
    pub cpu: u32,
    /// Cut to 7 characters by the kernel; `<...>` when it had not cached the name.
    pub comm: &'a str,
    pub pid: u32,
}

/// One line of function_graph text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GraphLine<'a> {
    /// `func() {`: a call whose children follow.
    Entry {
        ctx: GraphContext<'a>,
        depth: u32,
        func: &'a str,
    },
    /// `func();`: a call without traced children, with its duration.
    Leaf {
        ctx: GraphContext<'a>,
        depth: u32,
        func: &'a str,
        duration_us: f64,
    },
    /// `}` or `} /* func */`: a call returns. The kernel names the function when the tail
    /// option is on or when the entry was not printed (`tracing_thresh`, lost events).
    Exit {
        ctx: GraphContext<'a>,
        depth: u32,
        func: Option<&'a str>,
        duration_us: f64,
    },
    /// `CPU:1 [LOST 12 EVENTS]`.
    Lost { cpu: u32, count: Option<u64> },
    /// Headers, blank lines, irq markers, task-switch banners: nothing to report.
    Other(&'a str),
}

/// Parses one line (without its newline).
pub fn parse_graph_line(line: &str) -> GraphLine<'_> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.starts_with("CPU:") {
        if let Line::Lost { cpu, count } = parse_line(line) {
            return GraphLine::Lost { cpu, count };
        }
    }
    parse_call(line).unwrap_or(GraphLine::Other(line))
}

fn parse_call(line: &str) -> Option<GraphLine<'_>> {
    // TIME | CPU) TASK | DURATION |  CALL
    let (time, rest) = line.split_once('|')?;
    let timestamp: f64 = time.trim().parse().ok()?;
    let (cpu, rest) = rest.trim_start().split_once(") ")?;
    let cpu: u32 = cpu.parse().ok()?;
    let (before_call, call) = rest.rsplit_once('|')?;
    let (task, duration) = before_call.rsplit_once('|')?;
    let (comm, pid) = task.trim().rsplit_once('-')?;
    let pid: u32 = pid.parse().ok()?;
    let ctx = GraphContext {
        timestamp,
        cpu,
        comm,
        pid,
    };
    // "|  " then two spaces per depth.
    let text = call.strip_prefix("  ")?;
    let body = text.trim_start_matches(' ');
    let indent = text.len() - body.len();
    if indent % 2 != 0 || body.is_empty() {
        return None;
    }
    let depth = u32::try_from(indent / 2).ok()?;
    let body = body.trim_end();
    let duration = parse_duration(duration);
    if let Some(func) = body.strip_suffix("() {") {
        return name(func).map(|func| GraphLine::Entry { ctx, depth, func });
    }
    if let Some(func) = body.strip_suffix("();") {
        return Some(GraphLine::Leaf {
            ctx,
            depth,
            func: name(func)?,
            duration_us: duration?,
        });
    }
    let tail = body.strip_prefix('}')?.trim_start();
    let func = match tail {
        "" => None,
        t => Some(name(t.strip_prefix("/*")?.strip_suffix("*/")?.trim())?),
    };
    Some(GraphLine::Exit {
        ctx,
        depth,
        func,
        duration_us: duration?,
    })
}

/// A function name as `%ps` prints it (`vfs_read`, `foo.cold`, `bar [mod]`): no blanks at its
/// ends, no braces.
fn name(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && !s.contains(['{', '}', '(', ')', ';'])).then_some(s)
}

/// `" + 65.800 us   "`: an optional overhead mark (`+ ! # * @ $`), microseconds, ` us`.
/// `None` for a blank column (an entry).
fn parse_duration(col: &str) -> Option<f64> {
    let s = col.trim();
    let s = s.trim_start_matches(['+', '!', '#', '*', '@', '$']).trim();
    s.strip_suffix("us")?.trim().parse().ok()
}

#[cfg(test)]
mod tests;
