use super::*;

fn spans(lines: &[&str]) -> Vec<Span> {
    let mut c = Calls::new();
    let mut out = Vec::new();
    for l in lines {
        c.feed(l, &mut |r| {
            if let Record::Span(s) = r {
                out.push(s)
            }
        });
    }
    out
}

fn calls(s: &Span) -> Option<u64> {
    match s.fields.get("calls") {
        Some(FieldValue::UInt(n)) => Some(*n),
        _ => None,
    }
}

#[test]
fn a_tree_comes_out_root_first_once_it_returns() {
    let lines = [
        "  100.000001 |   0)    dd-201     |               |  vfs_read() {",
        "  100.000002 |   0)    dd-201     |   2.100 us    |    rw_verify_area();",
        "  100.000003 |   1)    sh-99      |   1.000 us    |  vfs_read();",
        "  100.000004 |   0)    dd-201     |               |    ext4_file_read_iter() {",
        "  100.000005 |   0)    dd-201     |   1.500 us    |      filemap_read();",
        "  100.000030 |   0)    dd-201     | + 20.000 us   |    } /* ext4_file_read_iter */",
        "  100.000070 |   0)    dd-201     | + 65.800 us   |  } /* vfs_read */",
    ];
    let got: Vec<(String, u32, Option<u32>, Option<u64>)> = spans(&lines)
        .iter()
        .map(|s| (s.name.clone(), s.pid, s.depth, calls(s)))
        .collect();
    let want = [
        ("vfs_read", 99, 0, 0),
        ("vfs_read", 201, 0, 3),
        ("rw_verify_area", 201, 1, 0),
        ("ext4_file_read_iter", 201, 1, 1),
        ("filemap_read", 201, 2, 0),
    ]
    .map(|(n, p, d, c)| (n.to_string(), p, Some(d), Some(c)));
    assert_eq!(got, want);
    let root = &spans(&lines)[1];
    assert_eq!(root.timestamp, 100.000001);
    assert_eq!(root.duration_us, 65.8);
}

#[test]
fn a_lone_return_is_a_span_without_calls() {
    let s = spans(&["  101.000000 |   0)   sleep-300    | @ 100097.1 us |  } /* do_nanosleep */"]);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].name, "do_nanosleep");
    assert_eq!(calls(&s[0]), None);
    assert_eq!(s[0].timestamp, 100.899903);
}

#[test]
fn unfinished_calls_stay_unreported() {
    assert!(spans(&["  1.0 |   0)    dd-201     |               |  vfs_read() {"]).is_empty());
}

/// Real function_graph text (Debian 12's 6.1.0-57, tests/fixtures/README.md).
fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn real_graph_text_becomes_trees_and_renders_back_as_the_kernel_printed_it() {
    let text = fixture("debian/trace_funcgraph.txt");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let got = spans(&lines);
    let roots: Vec<&Span> = got.iter().filter(|s| s.depth == Some(0)).collect();
    assert_eq!(roots.len(), 20, "dd made 20 reads");
    assert!(roots.iter().all(|s| s.name == "vfs_read" && s.pid == 565));
    assert_eq!(got.iter().filter_map(|s| s.depth).max(), Some(2), "-m 3");
    // Every span of the trace came out: one per leaf line, one per entry line.
    let calls = lines.iter().filter(|l| !l.contains("  } /* ")).count();
    assert_eq!(got.len(), calls);
    // Rendered without the time column (the kernel prints a return's own time), the lines are
    // the kernel's own.
    let cols = crate::output::graph::GraphColumns {
        abstime: false,
        proc: true,
        duration: true,
        tail: true,
    };
    let mut g = crate::output::graph::GraphText::default();
    let rendered: String = got.iter().map(|s| g.span(s, cols, "")).collect();
    let kernel: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(" |  ").map_or(*l, |(_, rest)| rest))
        .collect();
    let ours: Vec<String> = rendered.lines().map(|l| l[1..].to_string()).collect();
    let kernel: Vec<String> = kernel.iter().map(|l| l.trim_start().to_string()).collect();
    assert_eq!(ours, kernel);
}

#[test]
fn real_thresh_text_is_lone_returns() {
    let text = fixture("debian/trace_funcslower.txt");
    let lines: Vec<&str> = text.lines().collect();
    let got = spans(&lines);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].name.as_str(), got[0].comm.as_str(), got[0].pid),
        ("do_nanosleep", "sleep", 267)
    );
    assert_eq!(got[0].duration_us, 100783.1);
    assert_eq!(got[0].timestamp, 9.099604);
}

#[test]
fn real_graph_text_of_6_12_parses_the_same() {
    use crate::tracefs::trace_line::graph::{parse_graph_line, GraphLine};
    let text = fixture("debian13/trace_funcgraph.txt");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let odd: Vec<&&str> = lines
        .iter()
        .filter(|l| matches!(parse_graph_line(l), GraphLine::Other(_)))
        .collect();
    assert!(odd.is_empty(), "{odd:?}");
    let got = spans(&lines);
    assert_eq!(got.iter().filter(|s| s.depth == Some(0)).count(), 20);
}
