use super::*;

fn ctx(line: &str) -> GraphContext<'_> {
    match parse_graph_line(line) {
        GraphLine::Entry { ctx, .. }
        | GraphLine::Leaf { ctx, .. }
        | GraphLine::Exit { ctx, .. } => ctx,
        other => panic!("not a call: {other:?}"),
    }
}

#[test]
fn entry_leaf_exit() {
    let entry = "  100.000001 |   0)    dd-201     |               |  vfs_read() {";
    let leaf = "  100.000002 |   0)    dd-201     |   2.100 us    |    rw_verify_area();";
    let exit = "  100.000070 |   0)    dd-201     | + 65.800 us   |  } /* vfs_read */";
    assert!(matches!(
        parse_graph_line(entry),
        GraphLine::Entry {
            depth: 0,
            func: "vfs_read",
            ..
        }
    ));
    assert!(
        matches!(parse_graph_line(leaf), GraphLine::Leaf { depth: 1, func: "rw_verify_area", duration_us, .. } if duration_us == 2.1)
    );
    assert!(
        matches!(parse_graph_line(exit), GraphLine::Exit { depth: 0, func: Some("vfs_read"), duration_us, .. } if duration_us == 65.8)
    );
    let c = ctx(entry);
    assert_eq!((c.cpu, c.comm, c.pid), (0, "dd", 201));
    assert_eq!(c.timestamp, 100.000001);
}

#[test]
fn comm_with_dashes_and_bars() {
    let c = ctx("  1.5 |  12) a-b|c-77   |   0.300 us    |  x();");
    assert_eq!((c.cpu, c.comm, c.pid), (12, "a-b|c", 77));
}

#[test]
fn plain_exit_and_marks() {
    assert!(matches!(
        parse_graph_line("  1.0 |   1)  <idle>-0    | ! 100123.4 us |    }"),
        GraphLine::Exit { depth: 1, func: None, duration_us, .. } if duration_us == 100123.4
    ));
    assert!(matches!(
        parse_graph_line("  1.0 |   1)  sleep-99    | $ 1000234 us  |  } /* do_nanosleep */"),
        GraphLine::Exit { func: Some("do_nanosleep"), duration_us, .. } if duration_us == 1000234.0
    ));
}

#[test]
fn other_lines() {
    for l in [
        "",
        "# tracer: function_graph",
        " ------------------------------------------",
        "   0)    dd-201     =>    sh-100    ",
        "  1.0 |   0)    dd-201     |   ==========> |",
        "  1.0 |   0)    dd-201     |   <========== |",
        "  1.0 |   0)    dd-201     |               |   odd() {",
    ] {
        assert!(matches!(parse_graph_line(l), GraphLine::Other(_)), "{l:?}");
    }
    assert_eq!(
        parse_graph_line("CPU:1 [LOST 12 EVENTS]"),
        GraphLine::Lost {
            cpu: 1,
            count: Some(12)
        }
    );
}
