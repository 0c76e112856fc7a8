//! One line of the function_graph tracer's text (`trace`, `trace_pipe`), parsed.
//!
//! The kernel prints the graph in columns, each present when its option is on
//! (kernel/trace/trace_functions_graph.c): `funcgraph-abstime` (`    7.294450 |  `),
//! `funcgraph-cpu` (` 1) `), `funcgraph-proc` (`dd-121` centred in 14 columns, then ` | `),
//! `funcgraph-duration` (an overhead mark and `12.270 us` in 14 columns, or 14 spaces on an
//! entry, then `|  `), then two spaces per call depth and the call: `vfs_read() {` (an entry),
//! `folio_unlock();` (a leaf: entry and exit in one line), `}` or `} /* vfs_read */` (an exit,
//! named when `funcgraph-tail` is on or its entry was not printed, as under `tracing_thresh`).
//! Between them: a task switch on the CPU (` 0)     dd-125     =>     dd-126    ` between lines
//! of dashes), interrupt markers (`==========>`, `<==========`), lost events. The columns are
//! told apart by their content, so one parser reads every combination of options.

use super::trace_line::{self, Line};

/// Spaces per call depth (`TRACE_GRAPH_INDENT`).
const INDENT: usize = 2;

/// What a line says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Call<'a> {
    /// `func() {`: the call's children follow.
    Entry { depth: u32, func: &'a str },
    /// `func();`: a call without traced children, entry and exit at once.
    Leaf { depth: u32, func: &'a str },
    /// `}`, or `} /* func */` when the kernel names it.
    Exit { depth: u32, func: Option<&'a str> },
    /// `==========>`: an interrupt came in.
    IrqEntry,
    /// `<==========`: it went.
    IrqExit,
    /// The CPU switched tasks: `comm-pid` before and after, as printed.
    Switch { from: &'a str, to: &'a str },
    /// A comment in the graph (`/* ... */`: an event or trace_printk), its text.
    Comment { depth: u32, text: &'a str },
}

/// A graph line: the columns that were printed, and the call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphLine<'a> {
    /// Seconds (`funcgraph-abstime`).
    pub time: Option<f64>,
    pub cpu: Option<u32>,
    /// `comm` and pid (`funcgraph-proc`).
    pub task: Option<(&'a str, u32)>,
    /// Microseconds, on leaves and exits (`funcgraph-duration`).
    pub duration_us: Option<f64>,
    pub call: Call<'a>,
}

/// A line of graph output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parsed<'a> {
    Graph(GraphLine<'a>),
    /// `CPU:1 [LOST 120 EVENTS]`.
    Lost {
        cpu: u32,
        count: Option<u64>,
    },
    /// Headers, the dashes around a task switch, blank lines.
    Skip,
    /// Anything else, kept for the caller to report.
    Unknown(&'a str),
}

/// Parses one line (without its newline).
pub fn parse(line: &str) -> Parsed<'_> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.bytes().all(|b| b == b'-') {
        return Parsed::Skip;
    }
    if trimmed.contains("[LOST") {
        if let Line::Lost { cpu, count } = trace_line::parse_line(line) {
            return Parsed::Lost { cpu, count };
        }
    }
    parse_graph(line).map_or(Parsed::Unknown(line), Parsed::Graph)
}

fn parse_graph(line: &str) -> Option<GraphLine<'_>> {
    let mut rest = line;
    let mut time = None;
    // `%5lu.%06lu |  `: a number with a dot before the first `|`, and no `)` (the CPU's).
    if let Some((head, tail)) = rest.split_once(" |") {
        let h = head.trim();
        if h.contains('.') && !h.contains(')') {
            if let Ok(t) = h.parse::<f64>() {
                time = Some(t);
                rest = tail;
            }
        }
    }
    // ` %*d) `.
    let mut cpu = None;
    let t = rest.trim_start();
    if let Some(close) = t.find(')') {
        let digits = &t[..close];
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            cpu = digits.parse().ok();
            rest = &t[close + 1..];
            rest = rest.strip_prefix(' ').unwrap_or(rest);
        }
    }
    cpu?;
    if !rest.contains('|') {
        if let Some((from, to)) = rest.split_once("=>") {
            if !rest.contains("==========") {
                return Some(GraphLine {
                    time,
                    cpu,
                    task: None,
                    duration_us: None,
                    call: Call::Switch {
                        from: from.trim(),
                        to: to.trim(),
                    },
                });
            }
        }
    }
    // `comm-pid` centred, then ` | `.
    let mut task = None;
    if let Some(bar) = rest.find(" | ") {
        if let Some(tp) = task_of(rest[..bar].trim()) {
            task = Some(tp);
            rest = &rest[bar + 3..];
        }
    }
    // The duration column: 14 columns then `|  `, holding a duration, nothing or an irq mark.
    let mut duration_us = None;
    if let Some(bar) = rest.find('|') {
        let col = rest[..bar].trim();
        let after = &rest[bar + 1..];
        let marker = match col {
            "==========>" => Some(Call::IrqEntry),
            "<==========" => Some(Call::IrqExit),
            _ => None,
        };
        if let Some(call) = marker {
            return Some(GraphLine {
                time,
                cpu,
                task,
                duration_us: None,
                call,
            });
        }
        if col.is_empty() {
            rest = after.strip_prefix("  ")?;
        } else {
            duration_us = Some(duration(col)?);
            rest = after.strip_prefix("  ")?;
        }
    } else {
        match rest.trim() {
            "==========>" => {
                return Some(GraphLine {
                    time,
                    cpu,
                    task,
                    duration_us,
                    call: Call::IrqEntry,
                })
            }
            "<==========" => {
                return Some(GraphLine {
                    time,
                    cpu,
                    task,
                    duration_us,
                    call: Call::IrqExit,
                })
            }
            _ => {}
        }
    }
    let call = call(rest)?;
    Some(GraphLine {
        time,
        cpu,
        task,
        duration_us,
        call,
    })
}

/// `dd-121`: a name, a dash, a pid (the name may hold dashes itself).
fn task_of(s: &str) -> Option<(&str, u32)> {
    let (comm, pid) = s.rsplit_once('-')?;
    if comm.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((comm, pid.parse().ok()?))
}

/// `+ 12.270 us`, `1.021 us`, `# 4755.259 us`, `12345678 us`: an optional overhead mark, a
/// number of microseconds.
fn duration(col: &str) -> Option<f64> {
    let s = col
        .strip_prefix(['+', '!', '#', '*', '@', '$'])
        .unwrap_or(col)
        .trim_start();
    let n = s.strip_suffix("us")?.trim_end();
    n.parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 0.0)
}

/// The call part: indentation, then `f() {`, `f();`, `}`, `} /* f */` or `/* text */`.
fn call(text: &str) -> Option<Call<'_>> {
    let body = text.trim_start_matches(' ');
    let depth = ((text.len() - body.len()) / INDENT) as u32;
    let body = body.trim_end();
    if let Some(rest) = body.strip_prefix('}') {
        let rest = rest.trim();
        if rest.is_empty() {
            return Some(Call::Exit { depth, func: None });
        }
        let name = rest.strip_prefix("/*")?.strip_suffix("*/")?.trim();
        return Some(Call::Exit {
            depth,
            func: (!name.is_empty()).then_some(name),
        });
    }
    if let Some(inner) = body.strip_prefix("/*") {
        let text = inner.strip_suffix("*/").unwrap_or(inner).trim();
        return Some(Call::Comment { depth, text });
    }
    if let Some(func) = body.strip_suffix("() {") {
        return good_func(func).then_some(Call::Entry { depth, func });
    }
    if let Some(func) = body.strip_suffix("();") {
        return good_func(func).then_some(Call::Leaf { depth, func });
    }
    None
}

/// A kernel symbol as `%ps` prints it: `vfs_read`, `rcu_nocb_unlock_irqrestore.part.0`, and
/// for a module's function `ext4_file_read_iter [ext4]`.
fn good_func(f: &str) -> bool {
    let (name, module) = match f.split_once(' ') {
        Some((n, m)) => (n, Some(m)),
        None => (f, None),
    };
    !name.is_empty()
        && !name.contains(char::is_whitespace)
        && module.is_none_or(|m| m.starts_with('[') && m.ends_with(']') && !m.contains(' '))
}

#[cfg(test)]
mod tests;
