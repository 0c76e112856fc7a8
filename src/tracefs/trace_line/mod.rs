//! The parser of `trace` / `trace_pipe` text lines (TRACEFS.md section 8).
//!
//! Borrowing and allocation-free: a line becomes slices of itself. Building owned records is
//! the caller's business, so a counter that only needs the event name pays nothing more.
//!
//! The context columns are printed by `trace_print_context` as
//! `"%16s-%-7d "` comm and pid, an optional `"(%7d) "` tgid, `"[%03d] "` cpu, an optional flags
//! column, then `" %5lu.%06lu: "` (or `" %12llu: "` for counter clocks). The comm may hold
//! spaces, `-` and `[`, so it is never split on whitespace: the parser looks for the structure
//! that follows it (`-PID`, tgid, `[CPU]`) instead.
//!
//! This file parses a line's structure; [`payload`] what an event line carries (a probe site,
//! `name=value` fields).

pub mod graph;
mod payload;
#[cfg(test)]
pub(crate) mod tests;

pub use payload::{fields, probe_payload, Fields, ProbePayload, RawValue};

/// The context columns every event line starts with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context<'a> {
    /// Task name; may contain spaces and `-`; `<...>` when the kernel had not cached it.
    pub comm: &'a str,
    pub pid: u32,
    /// Present with the `record-tgid` option (`(  123)` column); `None` for `(-------)` too.
    pub tgid: Option<u32>,
    pub cpu: u32,
    /// The irq/preempt flags column (`d.h1.`), absent when `irq-info` is off.
    pub flags: Option<&'a str>,
    /// Seconds (`2.521076`) or raw counter ticks for non-ns clocks.
    pub timestamp: f64,
}

/// What follows the context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Body<'a> {
    /// `name: payload` (kprobes, tracepoints, `tracing_mark_write`).
    ///
    /// The syscall tracepoints print no `name:` but `sys_read(fd: 3, ...)` on entry and
    /// `sys_read -> 0x3` on exit; those come out as `event: "sys_read"` with the rest
    /// (`(fd: 3, ...)`, `-> 0x3`) as the payload, which [`fields`] then reports as not being
    /// `name=value` pairs.
    Named { event: &'a str, payload: &'a str },
    /// Function tracer: `func <-parent` (parent absent with `nofuncgraph-parent` style output).
    Function {
        func: &'a str,
        parent: Option<&'a str>,
    },
    /// `<stack trace>`: the frames follow on ` => ` lines.
    StackHeader,
    /// `<user stack trace>`.
    UserStackHeader,
}

/// One line of trace text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Line<'a> {
    Event {
        ctx: Context<'a>,
        body: Body<'a>,
    },
    /// ` => do_sys_openat2` after a stack header.
    StackFrame(&'a str),
    /// `CPU:1 [LOST 12 EVENTS]`; `count` is `None` for `[LOST EVENTS]`.
    Lost {
        cpu: u32,
        count: Option<u64>,
    },
    /// `# ...` header lines and blank lines.
    Comment,
    /// Anything else, kept so nothing is dropped silently.
    Unknown(&'a str),
}

/// Parses one line (without its newline; a trailing `\r` or `\n` is tolerated).
pub fn parse_line(line: &str) -> Line<'_> {
    let line = line.trim_end_matches(['\n', '\r']);
    let b = line.as_bytes();
    let Some(&first) = b.first() else {
        return Line::Comment;
    };
    if first == b'#' {
        return Line::Comment;
    }
    if let Some(frame) = line.strip_prefix(" => ") {
        return Line::StackFrame(frame);
    }
    if first == b'C' {
        if let Some(lost) = parse_lost(line) {
            return lost;
        }
    }
    if let Some((ctx, body)) = parse_event(line) {
        return Line::Event { ctx, body };
    }
    if b.iter().all(u8::is_ascii_whitespace) {
        return Line::Comment;
    }
    Line::Unknown(line)
}

/// `CPU:%d [LOST %lu EVENTS]` or `CPU:%d [LOST EVENTS]` (`trace.c` print_trace_line).
fn parse_lost(line: &str) -> Option<Line<'_>> {
    let rest = line.strip_prefix("CPU:")?;
    let (cpu, rest) = split_digits(rest)?;
    let cpu = parse_u32(cpu)?;
    let rest = rest.strip_prefix(" [LOST ")?;
    let rest = rest.trim_end();
    if rest == "EVENTS]" {
        return Some(Line::Lost { cpu, count: None });
    }
    let (n, rest) = split_digits(rest)?;
    if rest != " EVENTS]" {
        return None;
    }
    Some(Line::Lost {
        cpu,
        count: Some(parse_u64(n)?),
    })
}

/// The context columns and the body of an event line, or `None` when the line has not that
/// structure.
fn parse_event(line: &str) -> Option<(Context<'_>, Body<'_>)> {
    let b = line.as_bytes();
    // The kernel pads the comm to 16 bytes, so in an untouched line the `-PID` dash sits at
    // byte 16. Try there first (the common case costs one check), then search: the line may
    // have been trimmed, or come from a kernel with other widths.
    let (dash, after) = match (b.get(16) == Some(&b'-'))
        .then(|| columns_after_comm(line, 16))
        .flatten()
    {
        Some(found) => (16, found),
        None => {
            let mut found = None;
            for (i, &c) in b.iter().enumerate() {
                if c == b'-' {
                    if let Some(cols) = columns_after_comm(line, i) {
                        found = Some((i, cols));
                        break;
                    }
                }
            }
            found?
        }
    };
    let comm = line[..dash].trim_start_matches(' ');
    let (pid, tgid, cpu, rest) = after;
    let (flags, timestamp, body) = parse_time_columns(rest)?;
    let ctx = Context {
        comm,
        pid,
        tgid,
        cpu,
        flags,
        timestamp,
    };
    Some((ctx, parse_body(body)?))
}

/// From the dash before the pid: `-PID  [(TGID) ][CPU] ` and what follows.
fn columns_after_comm(line: &str, dash: usize) -> Option<(u32, Option<u32>, u32, &str)> {
    let rest = &line[dash + 1..];
    let (pid, rest) = split_digits(rest)?;
    let pid = parse_u32(pid)?;
    let mut rest = skip_spaces1(rest)?;
    let mut tgid = None;
    if let Some(r) = rest.strip_prefix('(') {
        let close = r.find(')')?;
        let inner = r[..close].trim_start_matches(' ');
        if !inner.is_empty() && inner.bytes().all(|c| c == b'-') {
            // `(-------)`: the kernel had no tgid for this pid.
        } else {
            tgid = Some(parse_u32(inner)?);
        }
        rest = skip_spaces1(&r[close + 1..])?;
    }
    let r = rest.strip_prefix('[')?;
    let (cpu, r) = split_digits(r)?;
    let cpu = parse_u32(cpu)?;
    let r = r.strip_prefix(']')?;
    Some((pid, tgid, cpu, r))
}

/// After `[CPU]`: ` FLAGS  SECS.USECS: body` (flags optional; counter clocks print an integer).
fn parse_time_columns(rest: &str) -> Option<(Option<&str>, f64, &str)> {
    let rest = skip_spaces1(rest)?;
    // The flags column starts with the irqs-off character (`d D b X .`), never a digit, so a
    // first token starting with a digit is the timestamp.
    let tok_end = rest.find(' ').unwrap_or(rest.len());
    let tok = &rest[..tok_end];
    let (flags, rest) = if (tok.len() == 4 || tok.len() == 5)
        && !tok.as_bytes()[0].is_ascii_digit()
        && tok.bytes().all(|c| c.is_ascii_graphic())
    {
        (Some(tok), skip_spaces1(&rest[tok_end..])?)
    } else {
        (None, rest)
    };
    let colon = rest.find(':')?;
    let timestamp = parse_timestamp(&rest[..colon])?;
    let body = &rest[colon + 1..];
    let body = match body.strip_prefix(' ') {
        Some(b) => b,
        None if body.is_empty() => body,
        None => return None,
    };
    Some((flags, timestamp, body))
}

/// `2.521076` or `123456789` (counter clocks), without allocating.
fn parse_timestamp(s: &str) -> Option<f64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || int.len() > 19 || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole = parse_u64(int)?;
    match frac {
        None => Some(whole as f64),
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => {
            let n = parse_u64(f)?;
            // One division of two exact integers is the correctly rounded value of the decimal
            // the kernel printed, so it prints back as that decimal (3.580576, where
            // `whole + n / 10^k` gave 3.5805759999999998). Past 2^53 (over 104 days of uptime
            // in nanoseconds) the integers are not exact: parse the text instead.
            let scale = POW10[f.len()];
            match whole.checked_mul(scale).and_then(|w| w.checked_add(n)) {
                Some(all) if all < 1 << 53 => Some(all as f64 / scale as f64),
                _ => s.parse().ok(),
            }
        }
        Some(_) => None,
    }
}

const POW10: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// The body after the context, or `None` when it has none of the known shapes (the line is
/// then reported as unknown rather than guessed at).
fn parse_body(body: &str) -> Option<Body<'_>> {
    match body {
        "<stack trace>" => return Some(Body::StackHeader),
        "<user stack trace>" => return Some(Body::UserStackHeader),
        _ => {}
    }
    let b = body.as_bytes();
    let ident = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
        .unwrap_or(b.len());
    if ident > 0 {
        match b.get(ident) {
            // `name: payload`, or `name:` with an empty payload.
            Some(b':') if matches!(b.get(ident + 1), None | Some(b' ')) => {
                let payload = body.get(ident + 2..).unwrap_or("");
                return Some(Body::Named {
                    event: &body[..ident],
                    payload,
                });
            }
            // Syscall tracepoints: `sys_read(fd: 3, ...)` and `sys_read -> 0x3`.
            Some(b'(') if body.ends_with(')') => {
                return Some(Body::Named {
                    event: &body[..ident],
                    payload: &body[ident..],
                });
            }
            Some(b' ') if body[ident..].starts_with(" -> ") => {
                return Some(Body::Named {
                    event: &body[..ident],
                    payload: &body[ident + 1..],
                });
            }
            _ => {}
        }
    }
    // Function tracer: `func <-parent`; `func` alone without the parent option. A module
    // function prints as `func [mod]`.
    if let Some(arrow) = body.find(" <-") {
        return Some(Body::Function {
            func: &body[..arrow],
            parent: Some(&body[arrow + 3..]),
        });
    }
    let single = match body.split_once(' ') {
        None => !body.is_empty(),
        Some((_, m)) => m.starts_with('[') && m.ends_with(']') && !m.contains(' '),
    };
    single.then_some(Body::Function {
        func: body,
        parent: None,
    })
}

fn split_digits(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| s.split_at(n))
}

/// Skips at least one space.
fn skip_spaces1(s: &str) -> Option<&str> {
    let t = s.trim_start_matches(' ');
    (t.len() < s.len()).then_some(t)
}

fn parse_u32(s: &str) -> Option<u32> {
    s.parse().ok()
}

fn parse_u64(s: &str) -> Option<u64> {
    s.parse().ok()
}
