//! `--format openmetrics` output as Prometheus reads it: every kind of record it shows, rendered
//! by the real sink, must pass `promtool check metrics` (Prometheus' own parser and linter).
//! promtool comes from Debian's prometheus package, extracted by tests/tools/fetch-promtool.sh
//! (tests/vm/setup.sh runs it); without it the test fails, saying so.

#[path = "support/promtool.rs"]
mod promtool;

use promtool::check;

use lktrace::output::{renderer, Mode, Options};
use lktrace::record::{
    Bucket, Count, Counts, FieldValue, Fields, Histogram, Lost, Record, StackCount, StackCounts,
};

fn render(records: Vec<Record>) -> String {
    let mut out = Vec::new();
    {
        let opts = Options {
            mode: Mode::OpenMetrics,
            tool: Some("funccount".into()),
            ..Options::default()
        };
        let mut sink = renderer(opts, Box::new(&mut out), Box::new(std::io::sink()));
        for r in records {
            sink.emit(r).unwrap();
        }
        sink.flush().unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn every_metric_record_passes_promtool() {
    let text = render(vec![
        Record::Counts(Counts {
            backend: "hist".into(),
            duration_s: 1.0,
            time: 1764750000.25,
            counts: vec![
                Count::named("vfs_read", 501),
                Count {
                    name: "dd-1234 vfs_read".into(),
                    count: 3,
                    keys: Some(Fields(vec![
                        ("comm".into(), FieldValue::Str("d\"d\\".into())),
                        ("pid".into(), FieldValue::UInt(1234)),
                    ])),
                },
            ],
        }),
        Record::StackCounts(StackCounts {
            backend: "hist".into(),
            duration_s: 3.0,
            stacks: vec![StackCount {
                frames: vec![
                    "vfs_read".into(),
                    "ksys_read".into(),
                    "do_syscall_64".into(),
                ],
                count: 103,
            }],
        }),
        Record::Histogram(Histogram {
            time: None,
            name: "bytes".into(),
            unit: "bytes".into(),
            keys: Fields::default(),
            buckets: vec![
                Bucket {
                    low: 0,
                    high: 0,
                    count: 2,
                },
                Bucket {
                    low: 1,
                    high: 1,
                    count: 100,
                },
                Bucket {
                    low: 2,
                    high: 3,
                    count: 0,
                },
                Bucket {
                    low: 4,
                    high: 7,
                    count: 9,
                },
            ],
        }),
        Record::Lost(Lost {
            cpu: Some(1),
            count: Some(5),
        }),
    ]);
    assert!(text.ends_with("# EOF\n"), "{text}");
    let (ok, said) = check(&text);
    assert!(ok, "promtool refused:\n{said}\n{text}");
}

/// The check is real: promtool refuses what Prometheus could not read.
#[test]
fn promtool_refuses_broken_text() {
    let (ok, _) = check("# TYPE x gauge\nx{a=\"1} 2\n");
    assert!(!ok);
}
