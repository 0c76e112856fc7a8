//! `span` records of funcgraph and funcslower as the kernel's function_graph tracer prints
//! them (`trace_functions_graph.c`): `CPU) DURATION | call`, with the columns perf-tools'
//! flags choose (`-t` time, `-P` task, `-D` no duration, `-T` tails).
//!
//! The engine (tools::engine::graph) sends a call tree's spans together, root first, each
//! with `calls`, the number of spans inside it that follow; so a call with calls is printed
//! as `func() {`, its closing `}` once that many spans have come, and a call without
//! `calls` (a return whose entry was not seen: funcslower) as `} /* func */`.

use crate::record::{FieldValue, Span};

/// Which columns of the function_graph layout to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphColumns {
    /// `-t`: the time of each line, seconds (`funcgraph-abstime`).
    pub abstime: bool,
    /// `-P`: the task, `comm-pid` (`funcgraph-proc`).
    pub proc: bool,
    /// Not `-D`: the duration column (`funcgraph-duration`).
    pub duration: bool,
    /// `-T`: the function's name on its closing brace (`funcgraph-tail`).
    pub tail: bool,
}

/// A call printed as `func() {` whose `}` is still to come.
struct Open {
    span: Span,
    /// Spans inside it still to come.
    left: u64,
}

/// The state of the text: the calls open now, and whether the header was printed.
#[derive(Default)]
pub struct GraphText {
    open: Vec<Open>,
}

impl GraphText {
    /// The lines `s` completes (each with its newline): its own, then the `}` of the calls it
    /// was the last span of.
    pub fn span(&mut self, s: &Span, cols: GraphColumns, prefix: &str) -> String {
        let mut out = String::new();
        for o in &mut self.open {
            o.left = o.left.saturating_sub(1);
        }
        let calls = match s.fields.get("calls") {
            Some(FieldValue::UInt(n)) => Some(*n),
            Some(FieldValue::Int(n)) => u64::try_from(*n).ok(),
            _ => None,
        };
        let end = s.timestamp + s.duration_us / 1e6;
        match calls {
            Some(0) => line(
                &mut out,
                prefix,
                cols,
                s,
                s.timestamp,
                Some(s.duration_us),
                &format!("{}();", s.name),
            ),
            Some(n) => {
                line(
                    &mut out,
                    prefix,
                    cols,
                    s,
                    s.timestamp,
                    None,
                    &format!("{}() {{", s.name),
                );
                self.open.push(Open {
                    span: s.clone(),
                    left: n,
                });
            }
            None => line(
                &mut out,
                prefix,
                cols,
                s,
                end,
                Some(s.duration_us),
                &format!("}} /* {} */", s.name),
            ),
        }
        while self.open.last().is_some_and(|o| o.left == 0) {
            let Some(o) = self.open.pop() else { break };
            let s = &o.span;
            let text = match cols.tail {
                true => format!("}} /* {} */", s.name),
                false => "}".to_string(),
            };
            let end = s.timestamp + s.duration_us / 1e6;
            line(&mut out, prefix, cols, s, end, Some(s.duration_us), &text);
        }
        out
    }
}

/// The header `-H` prints, as the kernel's `trace` file begins.
pub fn header(cols: GraphColumns) -> String {
    let mut a = String::from("#");
    let mut b = String::from("#");
    if cols.abstime {
        a.push_str("     TIME       ");
        b.push_str("      |         ");
    }
    a.push_str(" CPU");
    b.push_str(" |  ");
    if cols.proc {
        a.push_str("  TASK/PID       ");
        b.push_str("   |    |        ");
    }
    if cols.duration {
        a.push_str("  DURATION   ");
        b.push_str("   |   |      ");
    }
    a.push_str("               FUNCTION CALLS");
    b.push_str("               |   |   |   |");
    format!("# tracer: function_graph\n#\n{a}\n{b}\n")
}

/// One line: time, CPU, task, duration, then two spaces per depth and `text`.
fn line(
    out: &mut String,
    prefix: &str,
    cols: GraphColumns,
    s: &Span,
    time: f64,
    duration_us: Option<f64>,
    text: &str,
) {
    out.push_str(prefix);
    if cols.abstime {
        out.push_str(&format!("{time:>12.6} |  "));
    }
    out.push_str(&format!(" {}) ", s.cpu));
    if cols.proc {
        out.push_str(&proc_column(&s.comm, s.pid));
        out.push_str(" | ");
    }
    if cols.duration {
        match duration_us {
            Some(us) => {
                out.push(mark(us));
                out.push(' ');
                out.push_str(&duration(us));
                out.push_str("|  ");
            }
            None => out.push_str("              |  "),
        }
    }
    let depth = s.depth.unwrap_or(0) as usize;
    out.push_str(&" ".repeat(2 * depth));
    out.push_str(text);
    out.push('\n');
}

/// `comm-pid` centred in 14 columns, the comm cut to 7 characters (`print_graph_proc`).
fn proc_column(comm: &str, pid: u32) -> String {
    let comm: String = comm.chars().take(7).collect();
    let text = format!("{comm}-{pid}");
    let spaces = 14usize.saturating_sub(text.chars().count());
    format!(
        "{}{text}{}",
        " ".repeat(spaces / 2),
        " ".repeat(spaces - spaces / 2)
    )
}

/// The overhead mark of a duration (`trace_find_mark`).
fn mark(us: f64) -> char {
    const MARKS: [(f64, char); 6] = [
        (1_000_000.0, '$'),
        (100_000.0, '@'),
        (10_000.0, '*'),
        (1_000.0, '#'),
        (100.0, '!'),
        (10.0, '+'),
    ];
    MARKS
        .iter()
        .find(|(at, _)| us > *at)
        .map_or(' ', |(_, c)| *c)
}

/// A duration as `trace_print_graph_duration` prints it: microseconds, as many digits of the
/// nanoseconds as fit in 7 digits, ` us `, padded to 12 columns.
fn duration(us: f64) -> String {
    let ns = (us * 1000.0).round().max(0.0) as u64;
    let (usecs, rem) = (ns / 1000, ns % 1000);
    let mut out = usecs.to_string();
    let len = out.len();
    if len < 7 {
        let digits = (8 - len).min(5) - 1;
        let frac = format!("{rem:03}");
        out.push('.');
        out.push_str(&frac[..digits.min(3)]);
    }
    let width = out.len();
    out.push_str(" us ");
    out.push_str(&" ".repeat(8usize.saturating_sub(width)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Fields;

    fn span(name: &str, depth: u32, us: f64, calls: Option<u64>) -> Span {
        Span {
            comm: "dd".into(),
            pid: 201,
            cpu: 0,
            timestamp: 100.0,
            name: name.into(),
            duration_us: us,
            depth: Some(depth),
            fields: Fields(
                calls
                    .map(|n| vec![("calls".into(), FieldValue::UInt(n))])
                    .unwrap_or_default(),
            ),
        }
    }

    #[test]
    fn a_tree_as_the_kernel_prints_it() {
        let cols = GraphColumns {
            duration: true,
            ..Default::default()
        };
        let mut g = GraphText::default();
        let text: String = [
            span("vfs_read", 0, 65.8, Some(3)),
            span("rw_verify_area", 1, 2.1, Some(0)),
            span("ext4_file_read_iter", 1, 50.25, Some(1)),
            span("filemap_read", 2, 1234.5, Some(0)),
        ]
        .iter()
        .map(|s| g.span(s, cols, ""))
        .collect();
        let want: String = [
            " 0)               |  vfs_read() {",
            " 0)   2.100 us    |    rw_verify_area();",
            " 0)               |    ext4_file_read_iter() {",
            " 0) # 1234.500 us |      filemap_read();",
            " 0) + 50.250 us   |    }",
            " 0) + 65.800 us   |  }",
        ]
        .map(|l| format!("{l}\n"))
        .concat();
        assert_eq!(text, want);
    }

    #[test]
    fn a_lone_return_names_its_function() {
        let cols = GraphColumns {
            duration: true,
            proc: true,
            ..Default::default()
        };
        let s = span("do_nanosleep", 0, 100097.1, None);
        assert_eq!(
            GraphText::default().span(&s, cols, ""),
            " 0)     dd-201     | @ 100097.1 us |  } /* do_nanosleep */\n"
        );
    }

    #[test]
    fn durations_fit_their_column() {
        assert_eq!(duration(0.45), "0.450 us    ");
        assert_eq!(duration(100097.1), "100097.1 us ");
        assert_eq!(duration(1000234.0), "1000234 us  ");
        assert_eq!(mark(5.0), ' ');
        assert_eq!(mark(150.0), '!');
    }
}
