//! The function_graph engine of funcgraph and funcslower: the top-level tracer taken
//! ([`crate::tracefs::graph`]), its trace_pipe read until Ctrl-C (or for `-d SECS`, then
//! drained), and its lines turned into `span` records ([`Calls`]).
//!
//! Spans of one call tree come out together, in the order the calls were entered, once the
//! outermost call has returned: the tree's root first, each span with its `depth` and, in its
//! fields, `calls` (how many spans inside it follow). A return whose entry was not seen (with
//! `tracing_thresh` the kernel records returns only; or the entry was lost) is a span of its
//! own without `calls`. Calls still open when the run ends are not reported.

use std::collections::HashMap;
use std::time::Duration;

use crate::record::{FieldValue, Fields, Lost, Record, Sink, Span};
use crate::tools::silence::{Silence, Watch};
use crate::tracefs::graph::{self, Graph};
use crate::tracefs::trace_line::graph::{parse_graph_line, GraphContext, GraphLine};
use crate::tracefs::Session;
use crate::Result;

/// An open call: its span (duration unknown yet) and the spans inside it so far.
struct Open {
    span: Span,
    inside: Vec<Span>,
}

/// function_graph lines to spans (see the module documentation).
#[derive(Default)]
pub struct Calls {
    /// Per thread, the calls entered and not yet returned, outermost first.
    open: HashMap<u32, Vec<Open>>,
}

fn span(ctx: &GraphContext<'_>, depth: u32, name: &str, duration_us: f64) -> Span {
    Span {
        comm: ctx.comm.to_string(),
        pid: ctx.pid,
        cpu: ctx.cpu,
        timestamp: ctx.timestamp,
        name: name.to_string(),
        duration_us,
        depth: Some(depth),
        fields: Fields::default(),
    }
}

fn with_calls(mut s: Span, calls: usize) -> Span {
    s.fields
        .0
        .push(("calls".into(), FieldValue::UInt(calls as u64)));
    s
}

impl Calls {
    pub fn new() -> Calls {
        Calls::default()
    }

    /// Takes one line; what it completes goes to `out`.
    pub fn feed(&mut self, line: &str, out: &mut dyn FnMut(Record)) {
        match parse_graph_line(line) {
            GraphLine::Entry { ctx, depth, func } => {
                let stack = self.open.entry(ctx.pid).or_default();
                // A deeper call still open at this depth lost its return: drop it.
                while stack.last().is_some_and(|o| o.span.depth >= Some(depth)) {
                    stack.pop();
                }
                stack.push(Open {
                    span: span(&ctx, depth, func, 0.0),
                    inside: Vec::new(),
                });
            }
            GraphLine::Leaf {
                ctx,
                depth,
                func,
                duration_us,
            } => {
                let s = with_calls(span(&ctx, depth, func, duration_us), 0);
                self.done(ctx.pid, vec![s], out);
            }
            GraphLine::Exit {
                ctx,
                depth,
                func,
                duration_us,
            } => {
                let stack = self.open.entry(ctx.pid).or_default();
                while stack.last().is_some_and(|o| o.span.depth > Some(depth)) {
                    stack.pop();
                }
                let matched = stack.last().is_some_and(|o| {
                    o.span.depth == Some(depth) && func.is_none_or(|f| f == o.span.name)
                });
                let tree = if matched {
                    let Some(o) = stack.pop() else { return };
                    let mut s = o.span;
                    s.duration_us = duration_us;
                    let mut tree = vec![with_calls(s, o.inside.len())];
                    tree.extend(o.inside);
                    tree
                } else {
                    // The entry was never printed: the return alone, timed back to its entry.
                    let mut s = span(&ctx, depth, func.unwrap_or("?"), duration_us);
                    // To the microsecond, as the kernel prints times.
                    s.timestamp = ((ctx.timestamp - duration_us / 1e6) * 1e6).round() / 1e6;
                    vec![s]
                };
                self.done(ctx.pid, tree, out);
            }
            GraphLine::Lost { cpu, count } => out(Record::Lost(Lost {
                cpu: Some(cpu),
                count,
            })),
            GraphLine::Other(_) => {}
        }
    }

    /// A finished call tree: inside the call still open on its thread, or out.
    fn done(&mut self, pid: u32, tree: Vec<Span>, out: &mut dyn FnMut(Record)) {
        let stack = self.open.entry(pid).or_default();
        match stack.last_mut() {
            Some(parent) => parent.inside.extend(tree),
            None => {
                for s in tree {
                    out(Record::Span(s));
                }
            }
        }
    }
}

/// Says Tracing once the pipe is open (given the functions the kernel selected), and what may
/// explain a silent run.
pub type Announce<'a> = dyn FnMut(&[String], &mut dyn Sink) -> Result<Silence> + 'a;

/// Takes the tracer as `g` says, reads its calls as spans until the run ends (`-d`: after
/// `duration`, from the buffer), and tears down. `announce` says Tracing once the pipe is
/// open; a run that saw nothing ends with `silence`'s notice.
pub fn run(
    mut session: Session,
    g: &Graph<'_>,
    duration: Option<Duration>,
    sink: &mut dyn Sink,
    announce: &mut Announce<'_>,
) -> Result<()> {
    let selected = graph::take(&mut session, g)?;
    let mut pipe = session
        .tracefs()
        .open_pipe(graph::PIPE)?
        .settle(Duration::from_millis(100));
    let silence = announce(&selected, sink)?;
    let mut watch = Watch::new(sink);
    let result = read(&session, &mut pipe, duration, &mut watch);
    drop(pipe);
    result.and(crate::tools::close_session(session))?;
    Ok(watch.finish(&silence)?)
}

fn read(
    session: &Session,
    pipe: &mut crate::tracefs::pipe::TracePipe,
    duration: Option<Duration>,
    sink: &mut dyn Sink,
) -> Result<()> {
    let stop = session.stop_flag();
    let mut calls = Calls::new();
    let mut pending: Vec<Record> = Vec::new();
    if let Some(d) = duration {
        stop.sleep(d);
    } else {
        while !stop.is_set() {
            pipe.read_lines(Duration::from_millis(200), &mut |line| {
                calls.feed(line, &mut |r| pending.push(r))
            })?;
            for r in pending.drain(..) {
                sink.emit(r)?;
            }
            sink.flush()?;
        }
    }
    graph::stop(session)?;
    pipe.drain(&mut |line| calls.feed(line, &mut |r| pending.push(r)))?;
    for r in pending.drain(..) {
        sink.emit(r)?;
    }
    Ok(sink.flush()?)
}

#[cfg(test)]
mod tests;
