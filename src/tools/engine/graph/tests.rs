//! The converter on real function_graph output (see src/tracefs/graph_line/tests.rs for where
//! each fixture came from), and the text renderer read back against it line for line.

use super::*;
use crate::output::graph::{self, Columns};

const D12_DEFAULT: &str = include_str!("../../../../tests/fixtures/debian/funcgraph_vfs_read.txt");
const D12_ALL: &str =
    include_str!("../../../../tests/fixtures/debian/funcgraph_m3_proc_abstime_tail.txt");
const D12_NODUR: &str = include_str!("../../../../tests/fixtures/debian/funcgraph_noduration.txt");
const D12_SLOW: &str = include_str!("../../../../tests/fixtures/debian/funcslower_thresh100.txt");
const D13_DEFAULT: &str =
    include_str!("../../../../tests/fixtures/debian13/funcgraph_vfs_read.txt");
const D13_ALL: &str =
    include_str!("../../../../tests/fixtures/debian13/funcgraph_m3_proc_abstime_tail.txt");
const D13_NODUR: &str =
    include_str!("../../../../tests/fixtures/debian13/funcgraph_noduration.txt");
const D13_SLOW: &str = include_str!("../../../../tests/fixtures/debian13/funcslower_thresh1.txt");

fn records(text: &str) -> Vec<Graph> {
    let mut conv = GraphRecords::default();
    let mut out = Vec::new();
    for line in text.lines() {
        conv.feed(line, &mut out);
    }
    assert_eq!(conv.unparsed, 0, "{text}");
    out.into_iter()
        .map(|r| match r {
            Record::Graph(g) => g,
            other => panic!("{other:?}"),
        })
        .collect()
}

/// The graph lines of a capture (no headers, dashes or blank lines).
fn graph_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| matches!(graph_line::parse(l), Parsed::Graph(_)))
        .collect()
}

#[test]
fn rendered_text_is_the_kernels_line_for_line() {
    let dur = Columns {
        duration: true,
        ..Columns::default()
    };
    let all = Columns {
        proc: true,
        time: true,
        duration: true,
    };
    for (text, cols) in [
        (D12_DEFAULT, dur),
        (D13_DEFAULT, dur),
        (D12_ALL, all),
        (D13_ALL, all),
        (D12_NODUR, Columns::default()),
        (D13_NODUR, Columns::default()),
        (D12_SLOW, dur),
        (D13_SLOW, dur),
    ] {
        let recs = records(text);
        let lines = graph_lines(text);
        assert_eq!(recs.len(), lines.len());
        for (g, want) in recs.iter().zip(lines) {
            let got = graph::line(g, cols, false, None);
            let got = match g.kind {
                // Between its lines of dashes.
                GraphKind::Switch => got.lines().nth(1).unwrap_or("").to_string(),
                _ => got,
            };
            assert_eq!(got.trim_end(), want.trim_end());
        }
    }
}

#[test]
fn headers_are_the_kernels() {
    for (text, cols) in [
        (
            D12_DEFAULT,
            Columns {
                duration: true,
                ..Columns::default()
            },
        ),
        (
            D13_ALL,
            Columns {
                proc: true,
                time: true,
                duration: true,
            },
        ),
        (D12_NODUR, Columns::default()),
    ] {
        let head: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(graph::header(cols), head);
    }
}

#[test]
fn exits_are_named_from_their_entries() {
    let recs = records(D13_NODUR);
    let roots: Vec<&Graph> = recs
        .iter()
        .filter(|g| g.depth == 0 && g.kind == GraphKind::Exit)
        .collect();
    assert_eq!(roots.len(), 2, "two vfs_read calls");
    assert!(roots.iter().all(|g| g.name == "vfs_read" && !g.tail));
    let rw = recs
        .iter()
        .find(|g| g.kind == GraphKind::Exit && g.depth == 1)
        .unwrap();
    assert_eq!(rw.name, "rw_verify_area");
}

#[test]
fn task_and_time_from_the_columns() {
    let recs = records(D12_ALL);
    assert!(recs
        .iter()
        .all(|g| g.comm == "dd" && g.pid == 121 && g.cpu == 1));
    let first = &recs[0];
    assert_eq!(
        (
            first.kind,
            first.depth,
            first.name.as_str(),
            first.timestamp
        ),
        (GraphKind::Entry, 0, "vfs_read", 7.29445)
    );
    // -m 3 (max_graph_depth): nothing deeper than depth 2.
    assert!(recs.iter().all(|g| g.depth <= 2));
    let total: Vec<f64> = recs
        .iter()
        .filter(|g| g.kind == GraphKind::Exit && g.depth == 0)
        .filter_map(|g| g.duration_us)
        .collect();
    assert_eq!(total, vec![135.88, 22.365, 17.476]);
}

#[test]
fn a_threshold_leaves_named_exits_and_a_switch() {
    let recs = records(D12_SLOW);
    let kinds: Vec<GraphKind> = recs.iter().map(|g| g.kind).collect();
    assert_eq!(
        kinds,
        vec![GraphKind::Exit, GraphKind::Switch, GraphKind::Exit]
    );
    assert!(recs[0].tail && recs[0].name == "vfs_read");
    assert_eq!((recs[1].comm.as_str(), recs[1].pid), ("dd", 126));
    assert_eq!(recs[1].name, "dd-125");
    assert_eq!(recs[2].duration_us, Some(4755.259));
}
