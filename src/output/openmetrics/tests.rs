use super::*;
use crate::record::{Bucket, Count, FieldValue, Fields, Lost, NoticeLevel, StackCount};

/// Renders records, flushing after each burst (`None` = flush); returns (stdout, stderr).
fn render(tool: Option<&str>, records: Vec<Option<Record>>) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    {
        let mut sink = OpenMetricsSink::new(
            Box::new(&mut out),
            Box::new(&mut err),
            tool.map(str::to_string),
        );
        for r in records {
            match r {
                Some(r) => sink.emit(r).unwrap(),
                None => sink.flush().unwrap(),
            }
        }
        sink.flush().unwrap();
    }
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn counts(n: u64) -> Record {
    Record::Counts(Counts {
        backend: "profiler".into(),
        duration_s: 1.0,
        time: 1700000000.5,
        counts: vec![Count::named("vfs_open", 2), Count::named("vfs_read", n)],
    })
}

#[test]
fn each_interval_is_one_exposition_with_eof() {
    let (out, err) = render(
        Some("funccount"),
        vec![
            Some(Record::notice(NoticeLevel::Info, "Tracing")),
            Some(counts(5)),
            None,
            Some(counts(7)),
        ],
    );
    let want_one = |n: u64| {
        format!(
            "# HELP lktrace_events Events counted in the interval (calls of a function, hits of a tracepoint), by name.\n\
             # TYPE lktrace_events gauge\n\
             lktrace_events{{tool=\"funccount\",backend=\"profiler\",name=\"vfs_open\"}} 2\n\
             lktrace_events{{tool=\"funccount\",backend=\"profiler\",name=\"vfs_read\"}} {n}\n\
             # HELP lktrace_interval_seconds Length of the interval the counts cover.\n\
             # TYPE lktrace_interval_seconds gauge\n\
             lktrace_interval_seconds{{tool=\"funccount\",backend=\"profiler\"}} 1\n\
             # HELP lktrace_interval_end_seconds When the interval ended, seconds since the Unix epoch.\n\
             # TYPE lktrace_interval_end_seconds gauge\n\
             lktrace_interval_end_seconds{{tool=\"funccount\",backend=\"profiler\"}} 1700000000.5\n\
             # EOF\n"
        )
    };
    assert_eq!(out, format!("{}{}", want_one(5), want_one(7)));
    assert_eq!(err, "lktrace: Tracing\n");
}

#[test]
fn histograms_are_cumulative_with_inf_and_count() {
    let h = Record::Histogram(Histogram {
        time: None,
        name: "bytes".into(),
        unit: "bytes".into(),
        keys: Fields(vec![("comm".into(), FieldValue::Str("dd".into()))]),
        buckets: vec![
            Bucket {
                low: 2,
                high: 3,
                count: 4,
            },
            Bucket {
                low: 0,
                high: 1,
                count: 1,
            },
        ],
    });
    let (out, _) = render(None, vec![Some(h)]);
    let l = "measure=\"bytes\",unit=\"bytes\",comm=\"dd\"";
    assert!(
        out.contains(&format!("lktrace_distribution_bucket{{{l},le=\"1\"}} 1\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("lktrace_distribution_bucket{{{l},le=\"3\"}} 5\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "lktrace_distribution_bucket{{{l},le=\"+Inf\"}} 5\n"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("lktrace_distribution_count{{{l}}} 5\n")),
        "{out}"
    );
    assert!(
        out.contains("# TYPE lktrace_distribution histogram\n"),
        "{out}"
    );
}

#[test]
fn stacks_are_folded_outermost_first_and_losses_counted() {
    let s = Record::StackCounts(StackCounts {
        backend: "hist".into(),
        duration_s: 3.0,
        stacks: vec![StackCount {
            frames: vec!["vfs_read".into(), "ksys_read".into()],
            count: 9,
        }],
    });
    let lost = Record::Lost(Lost {
        cpu: None,
        count: None,
    });
    let (out, _) = render(Some("stackcount"), vec![Some(s), Some(lost)]);
    assert!(
        out.contains("lktrace_stack_hits{tool=\"stackcount\",backend=\"hist\",stack=\"ksys_read;vfs_read\"} 9\n"),
        "{out}"
    );
    assert!(
        out.contains("lktrace_lost_events{tool=\"stackcount\",cpu=\"all\"} 1\n"),
        "{out}"
    );
}

#[test]
fn hostile_text_is_escaped_and_key_names_made_labels() {
    let c = Record::Counts(Counts {
        backend: "hist".into(),
        duration_s: 1.0,
        time: 0.0,
        counts: vec![Count {
            name: "a\"b\\c\nd\u{1b}[2J".into(),
            count: 1,
            keys: Some(Fields(vec![
                ("name".into(), FieldValue::UInt(3)),
                ("common-pid".into(), FieldValue::Int(-1)),
                ("9x".into(), FieldValue::UInt(0)),
            ])),
        }],
    });
    let (out, _) = render(None, vec![Some(c)]);
    assert!(!out.contains('\u{1b}'), "{out}");
    assert!(
        out.contains(
            "name=\"a\\\"b\\\\c\\nd\\\\x1b[2J\",key_name=\"3\",common_pid=\"-1\",_9x=\"0\"} 1"
        ),
        "{out}"
    );
}

#[test]
fn events_are_refused_in_words() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut sink = OpenMetricsSink::new(Box::new(&mut out), Box::new(&mut err), None);
    let e = Record::Format(crate::record::Format {
        event: "x".into(),
        text: "y".into(),
    });
    let msg = sink.emit(e).unwrap_err().to_string();
    assert!(msg.contains("not format records"), "{msg}");
}

/// The names in `type_name` are serde's.
#[test]
fn type_names_are_the_json_types() {
    for r in [counts(1), Record::notice(NoticeLevel::Info, "x")] {
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(v["type"], r.type_name());
    }
}
