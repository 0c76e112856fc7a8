//! Function graphs as the kernel prints them (kernel/trace/trace_functions_graph.c), column
//! for column: what `funcgraph` printed in perf-tools, which copied the kernel's text.

use std::fmt::Write;

use crate::record::{Graph, GraphKind};

/// Which columns to print, beside the CPU (always: the kernel's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns {
    /// `funcgraph-proc`: the task.
    pub proc: bool,
    /// `funcgraph-abstime`: the time.
    pub time: bool,
    /// `funcgraph-duration`: the duration.
    pub duration: bool,
}

/// Width of the task column (`TRACE_GRAPH_PROCINFO_LENGTH`).
const PROC_WIDTH: usize = 14;

/// The kernel's header for these columns (`print_graph_headers_flags`).
pub fn header(c: Columns) -> String {
    let mut a = String::from("# tracer: function_graph\n#\n#");
    let mut b = String::from("#");
    if c.time {
        a.push_str("     TIME       ");
        b.push_str("      |         ");
    }
    a.push_str(" CPU");
    b.push_str(" |  ");
    if c.proc {
        a.push_str("  TASK/PID       ");
        b.push_str("   |    |        ");
    }
    if c.duration {
        a.push_str("  DURATION   ");
        b.push_str("   |   |      ");
    }
    a.push_str("               FUNCTION CALLS\n");
    b.push_str("               |   |   |   |\n");
    a + &b
}

/// The overhead mark before a duration (`trace_find_mark`): strictly above 10 us `+`, 100 us
/// `!`, 1 ms `#`, 10 ms `*`, 100 ms `@`, 1 s `$`.
fn mark(ns: u64) -> char {
    const MARKS: [(u64, char); 6] = [
        (1_000_000_000, '$'),
        (100_000_000, '@'),
        (10_000_000, '*'),
        (1_000_000, '#'),
        (100_000, '!'),
        (10_000, '+'),
    ];
    MARKS.iter().find(|(v, _)| ns > *v).map_or(' ', |(_, c)| *c)
}

/// `  1.021 us    |  `, `! 609.641 us  |  `: the mark, at most seven digits and ` us `, padded
/// to the column (`trace_print_graph_duration`).
fn duration(out: &mut String, us: f64) {
    let ns = (us * 1000.0).round().max(0.0) as u64;
    let _ = write!(out, "{} ", mark(ns));
    let usecs = (ns / 1000).to_string();
    let mut len = usecs.len();
    out.push_str(&usecs);
    if len < 7 {
        // snprintf into min(5, 8 - len) bytes: 3 decimals, fewer as the integer part grows.
        let digits = (5usize.min(8 - len)).saturating_sub(1);
        let nsecs = format!("{:03}", ns % 1000);
        let cut = &nsecs[..digits.min(nsecs.len())];
        let _ = write!(out, ".{cut}");
        len += cut.len() + 1;
    }
    out.push_str(" us ");
    out.extend(std::iter::repeat_n(' ', 8usize.saturating_sub(len)));
    out.push_str("|  ");
}

/// `comm-pid` centred in the task column.
fn task(out: &mut String, comm: &str, pid: u32) {
    let s = format!("{comm}-{pid}");
    let spaces = PROC_WIDTH.saturating_sub(s.len());
    out.extend(std::iter::repeat_n(' ', spaces / 2));
    out.push_str(&s);
    out.extend(std::iter::repeat_n(' ', spaces - spaces / 2));
}

/// One graph line as the kernel prints it with these columns.
pub fn line(g: &Graph, c: Columns, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    if let (true, Some(h)) = (multi_host, host) {
        let _ = write!(out, "[{h}] ");
    }
    if g.kind == GraphKind::Switch {
        // verif_pid: between lines of dashes, no time column.
        let _ = write!(
            out,
            " ------------------------------------------\n {}) ",
            g.cpu
        );
        let (comm, pid) = g.name.rsplit_once('-').unwrap_or((g.name.as_str(), ""));
        task(&mut out, comm, pid.parse().unwrap_or(0));
        out.push_str(" => ");
        task(&mut out, &g.comm, g.pid);
        out.push_str("\n ------------------------------------------\n");
        return out;
    }
    if c.time {
        let secs = g.timestamp.trunc();
        let usecs = ((g.timestamp - secs) * 1e6).round() as u64;
        let _ = write!(out, "{:5}.{:06} |  ", secs as u64, usecs.min(999_999));
    }
    let _ = write!(out, " {}) ", g.cpu);
    if c.proc {
        task(&mut out, &g.comm, g.pid);
        out.push_str(" | ");
    }
    match g.kind {
        GraphKind::IrqEntry | GraphKind::IrqExit => {
            if c.duration {
                out.push_str("  ");
            }
            out.push_str(if g.kind == GraphKind::IrqEntry {
                "==========>"
            } else {
                "<=========="
            });
            if c.duration {
                out.push_str(" |");
            }
            return out;
        }
        _ => {}
    }
    if c.duration {
        match g.duration_us {
            Some(us) => duration(&mut out, us),
            None => out.push_str("              |  "),
        }
    }
    out.extend(std::iter::repeat_n(' ', 2 * g.depth.min(1000) as usize));
    match g.kind {
        GraphKind::Entry => {
            let _ = write!(out, "{}() {{", g.name);
        }
        GraphKind::Leaf => {
            let _ = write!(out, "{}();", g.name);
        }
        _ if g.tail && !g.name.is_empty() => {
            let _ = write!(out, "}} /* {} */", g.name);
        }
        _ => out.push('}'),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(kind: GraphKind, depth: u32, name: &str, d: Option<f64>) -> Graph {
        Graph {
            kind,
            comm: "dd".into(),
            pid: 121,
            cpu: 1,
            timestamp: 7.29445,
            depth,
            name: name.into(),
            duration_us: d,
            tail: false,
        }
    }

    #[test]
    fn columns_as_the_kernel_prints_them() {
        // Lines of tests/fixtures/debian/funcgraph_* (Debian 12, 6.1); the whole files are
        // read back line for line in tools/engine/graph.
        let c = Columns {
            duration: true,
            ..Columns::default()
        };
        assert_eq!(
            line(
                &g(GraphKind::Leaf, 8, "profile_tick", Some(1.021)),
                c,
                false,
                None
            ),
            " 1)   1.021 us    |                  profile_tick();"
        );
        let mut exit = g(GraphKind::Exit, 0, "vfs_read", Some(609.641));
        exit.tail = true;
        assert_eq!(
            line(&exit, c, false, None),
            " 1) ! 609.641 us  |  } /* vfs_read */"
        );
        let all = Columns {
            proc: true,
            time: true,
            duration: true,
        };
        assert_eq!(
            line(&g(GraphKind::Entry, 0, "vfs_read", None), all, false, None),
            "    7.294450 |   1)     dd-121     |               |  vfs_read() {"
        );
        assert_eq!(
            line(
                &g(GraphKind::Entry, 1, "rw_verify_area", None),
                Columns::default(),
                false,
                None
            ),
            " 1)   rw_verify_area() {"
        );
    }

    #[test]
    fn durations_keep_seven_digits() {
        let mut s = String::new();
        duration(&mut s, 4755.259);
        assert_eq!(s, "# 4755.259 us |  ");
        s.clear();
        duration(&mut s, 12345.678);
        assert_eq!(s, "* 12345.67 us |  ");
        s.clear();
        duration(&mut s, 12_345_678.0);
        assert_eq!(s, "$ 12345678 us |  ");
    }

    #[test]
    fn headers_for_the_columns() {
        let h = header(Columns {
            duration: true,
            ..Columns::default()
        });
        assert!(
            h.contains("# CPU  DURATION                  FUNCTION CALLS\n"),
            "{h}"
        );
        assert!(
            h.contains("# |     |   |                     |   |   |   |\n"),
            "{h}"
        );
        let h = header(Columns::default());
        assert!(h.contains("# CPU               FUNCTION CALLS\n"), "{h}");
    }
}
