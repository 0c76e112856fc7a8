//! On real function_graph output: `tests/fixtures/debian/funcgraph_*` from Debian 12's
//! 6.1.0-57-cloud-amd64, `tests/fixtures/debian13/funcgraph_*` from Debian 13's
//! 6.12.117+deb13-cloud-amd64 (2 CPUs under QEMU, `set_graph_function` vfs_read around dd).

use super::*;

const D12_DEFAULT: &str = include_str!("../../../tests/fixtures/debian/funcgraph_vfs_read.txt");
const D12_ALL: &str =
    include_str!("../../../tests/fixtures/debian/funcgraph_m3_proc_abstime_tail.txt");
const D12_NODUR: &str = include_str!("../../../tests/fixtures/debian/funcgraph_noduration.txt");
const D12_SLOW: &str = include_str!("../../../tests/fixtures/debian/funcslower_thresh100.txt");
const D13_DEFAULT: &str = include_str!("../../../tests/fixtures/debian13/funcgraph_vfs_read.txt");
const D13_ALL: &str =
    include_str!("../../../tests/fixtures/debian13/funcgraph_m3_proc_abstime_tail.txt");
const D13_NODUR: &str = include_str!("../../../tests/fixtures/debian13/funcgraph_noduration.txt");
const D13_SLOW: &str = include_str!("../../../tests/fixtures/debian13/funcslower_thresh1.txt");

pub(crate) const FIXTURES: &[&str] = &[
    D12_DEFAULT,
    D12_ALL,
    D12_NODUR,
    D12_SLOW,
    D13_DEFAULT,
    D13_ALL,
    D13_NODUR,
    D13_SLOW,
];

fn graph(line: &str) -> GraphLine<'_> {
    match parse(line) {
        Parsed::Graph(g) => g,
        other => panic!("{line:?}: {other:?}"),
    }
}

#[test]
fn every_real_line_parses() {
    for text in FIXTURES {
        for line in text.lines() {
            assert!(
                !matches!(parse(line), Parsed::Unknown(_)),
                "unparsed: {line:?}"
            );
        }
    }
}

#[test]
fn default_columns_cpu_duration_call() {
    let g = graph(" 1)               |            hrtimer_update_next_event() {");
    assert_eq!(g.cpu, Some(1));
    assert_eq!((g.time, g.task, g.duration_us), (None, None, None));
    assert_eq!(
        g.call,
        Call::Entry {
            depth: 5,
            func: "hrtimer_update_next_event"
        }
    );
    let g = graph(" 1)   1.021 us    |                  profile_tick();");
    assert_eq!(g.duration_us, Some(1.021));
    assert_eq!(
        g.call,
        Call::Leaf {
            depth: 8,
            func: "profile_tick"
        }
    );
    let g = graph(" 1) ! 609.641 us  |  } /* vfs_read */");
    assert_eq!(g.duration_us, Some(609.641));
    assert_eq!(
        g.call,
        Call::Exit {
            depth: 0,
            func: Some("vfs_read")
        }
    );
    let g = graph(" 0) + 11.897 us   |        }");
    assert_eq!(
        g.call,
        Call::Exit {
            depth: 3,
            func: None
        }
    );
    assert!(D12_DEFAULT.contains(" 1) ! 609.641 us  |  } /* vfs_read */"));
    assert!(D13_DEFAULT.contains(" 0) + 11.897 us   |        }"));
}

#[test]
fn abstime_proc_and_tail_columns() {
    let line =
        "    7.294474 |   1)     dd-121     | + 12.270 us   |      security_file_permission();";
    assert!(D12_ALL.contains(line));
    let g = graph(line);
    assert_eq!(g.time, Some(7.294474));
    assert_eq!(g.cpu, Some(1));
    assert_eq!(g.task, Some(("dd", 121)));
    assert_eq!(g.duration_us, Some(12.27));
    assert_eq!(
        g.call,
        Call::Leaf {
            depth: 2,
            func: "security_file_permission"
        }
    );
    let g = graph("   44.101690 |   0)     dd-172     |               |  vfs_read() {");
    assert_eq!((g.time, g.task), (Some(44.10169), Some(("dd", 172))));
    assert_eq!(
        g.call,
        Call::Entry {
            depth: 0,
            func: "vfs_read"
        }
    );
}

#[test]
fn without_durations_the_call_follows_the_cpu() {
    let g = graph(" 1)     security_file_permission() {");
    assert_eq!(g.duration_us, None);
    assert_eq!(
        g.call,
        Call::Entry {
            depth: 2,
            func: "security_file_permission"
        }
    );
    assert_eq!(
        graph(" 0) }").call,
        Call::Exit {
            depth: 0,
            func: None
        }
    );
}

#[test]
fn entries_and_exits_balance_in_a_whole_graph() {
    // The no-duration captures hold whole vfs_read calls: every entry has its exit.
    for text in [D12_NODUR, D13_NODUR] {
        let mut depth = 0i64;
        let mut calls = 0;
        for line in text.lines() {
            if let Parsed::Graph(g) = parse(line) {
                match g.call {
                    Call::Entry { depth: d, .. } => {
                        assert_eq!(d as i64, depth, "{line}");
                        depth += 1;
                    }
                    Call::Exit { depth: d, .. } => {
                        depth -= 1;
                        assert_eq!(d as i64, depth, "{line}");
                        calls += 1;
                    }
                    Call::Leaf { depth: d, .. } => assert_eq!(d as i64, depth, "{line}"),
                    _ => {}
                }
            }
        }
        assert_eq!(depth, 0);
        assert!(calls >= 2, "two vfs_read calls at least");
    }
}

#[test]
fn thresholds_print_exits_only_and_task_switches_between() {
    let exits: Vec<f64> = D12_SLOW
        .lines()
        .filter_map(|l| match parse(l) {
            Parsed::Graph(GraphLine {
                call:
                    Call::Exit {
                        func: Some("vfs_read"),
                        ..
                    },
                duration_us,
                ..
            }) => duration_us,
            _ => None,
        })
        .collect();
    assert_eq!(exits, vec![115.67, 4755.259]);
    let switch = D12_SLOW
        .lines()
        .find_map(|l| match parse(l) {
            Parsed::Graph(GraphLine {
                call: Call::Switch { from, to },
                ..
            }) => Some((from, to)),
            _ => None,
        })
        .unwrap();
    assert_eq!(switch, ("dd-125", "dd-126"));
    assert_eq!(
        D13_SLOW
            .lines()
            .filter(|l| matches!(parse(l), Parsed::Graph(_)))
            .count(),
        3
    );
}

#[test]
fn lost_events_and_odd_lines() {
    assert_eq!(
        parse("CPU:1 [LOST 120 EVENTS]"),
        Parsed::Lost {
            cpu: 1,
            count: Some(120)
        }
    );
    assert!(matches!(parse("garbage here"), Parsed::Unknown(_)));
    assert!(matches!(parse(" 0) + 1.0 xs |  f();"), Parsed::Unknown(_)));
    assert_eq!(
        parse(" ------------------------------------------"),
        Parsed::Skip
    );
    assert_eq!(parse("# tracer: function_graph"), Parsed::Skip);
}
