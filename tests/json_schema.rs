//! Pins the JSON Lines output (docs/json.md): sample records of every type go through the real
//! renderer and every line must deserialise into the strict mirrors of `support/json_schema.rs`.

#[path = "support/json_schema.rs"]
mod json_schema;

use lktrace::output::{renderer, Mode, Options};
use lktrace::record::{
    Bucket, BufferStatus, Check, CheckItem, Count, Counts, DynamicEventStatus, Event, FieldValue,
    Fields, Format, Histogram, Hosted, InstanceStatus, Lost, Notice, NoticeLevel, Owner, Ping,
    Record, Reset, Span, Stack, StackCount, StackCounts, Status, Symbol, SymbolKind, Tracepoint,
    UserSymbol,
};

/// The `"type"` of a record. Exhaustive on purpose: a new Record variant does not compile here
/// until it has a sample below, a mirror in support/json_schema.rs and a section in docs/json.md.
fn kind(r: &Record) -> &'static str {
    match r {
        Record::Counts(_) => "counts",
        Record::Event(_) => "event",
        Record::Stack(_) => "stack",
        Record::StackCounts(_) => "stack_counts",
        Record::Histogram(_) => "histogram",
        Record::Span(_) => "span",
        Record::Lost(_) => "lost",
        Record::Notice(_) => "notice",
        Record::Format(_) => "format",
        Record::Tracepoint(_) => "tracepoint",
        Record::Symbol(_) => "symbol",
        Record::UserSymbol(_) => "user_symbol",
        Record::Status(_) => "status",
        Record::Check(_) => "check",
        Record::Reset(_) => "reset",
        Record::Ping(_) => "ping",
    }
}

fn event(full: bool) -> Record {
    Record::Event(Event {
        comm: "cat".into(),
        pid: 117,
        tgid: full.then_some(117),
        cpu: 1,
        flags: full.then(|| ".....".into()),
        timestamp: 2.527091,
        event: "open".into(),
        probe: full.then(|| "do_sys_openat2+0x0/0x170".into()),
        fields: Fields(vec![
            ("dfd".into(), FieldValue::Str("0xffffff9c".into())),
            (
                "filename".into(),
                FieldValue::Str("/tmp/marker-file".into()),
            ),
            ("count".into(), FieldValue::UInt(u64::MAX)),
            ("delta".into(), FieldValue::Int(-2)),
        ]),
        payload: None,
    })
}

/// At least one record of every type, with optional fields both absent and present.
fn samples() -> Vec<Hosted> {
    let owners = [
        Owner::Other,
        Owner::Live { pid: 7 },
        Owner::Dead { pid: 42 },
    ];
    let v = vec![
        Record::Counts(Counts {
            backend: "kprobe_profile".into(),
            duration_s: 1.0,
            time: 1_764_130_000.25,
            counts: vec![
                Count {
                    name: "vfs_write".into(),
                    count: 3,
                    keys: None,
                },
                Count {
                    name: "vfs_read".into(),
                    count: 100,
                    keys: None,
                },
            ],
        }),
        Record::Counts(Counts {
            backend: "profiler".into(),
            duration_s: 0.5,
            time: 0.0,
            counts: vec![],
        }),
        Record::Counts(Counts {
            backend: "hist".into(),
            duration_s: 5.0,
            time: 1.0,
            counts: vec![Count {
                name: "dd read".into(),
                count: 100,
                keys: Some(Fields(vec![
                    ("comm".into(), FieldValue::Str("dd".into())),
                    ("syscall".into(), FieldValue::Str("read".into())),
                ])),
            }],
        }),
        Record::Histogram(Histogram {
            time: None,
            name: "bytes".into(),
            unit: "bytes".into(),
            keys: Fields(vec![("comm".into(), FieldValue::Str("dd".into()))]),
            buckets: vec![
                Bucket {
                    low: 0,
                    high: 1,
                    count: 100,
                },
                Bucket {
                    low: 513,
                    high: 1024,
                    count: 3,
                },
            ],
        }),
        Record::Histogram(Histogram {
            time: None,
            name: "latency".into(),
            unit: String::new(),
            keys: Fields::default(),
            buckets: vec![],
        }),
        Record::Span(Span {
            comm: "dd".into(),
            pid: 123,
            cpu: 0,
            timestamp: 12.5,
            name: "vfs_read".into(),
            duration_us: 3.25,
            depth: Some(1),
            fields: Fields::default(),
        }),
        Record::Span(Span {
            comm: "dd".into(),
            pid: 123,
            cpu: 1,
            timestamp: 12.75,
            name: "vfs_write".into(),
            duration_us: 1000.0,
            depth: None,
            fields: Fields(vec![("ret".into(), FieldValue::Int(-11))]),
        }),
        event(true),
        event(false),
        Record::Event(Event {
            comm: "<...>".into(),
            pid: 133,
            tgid: None,
            cpu: 0,
            flags: Some("...1.".into()),
            timestamp: 3.579472,
            event: "sys_read".into(),
            probe: None,
            fields: Fields::default(),
            payload: Some("(fd: 3, buf: 7f75ead2a000, count: 10000)".into()),
        }),
        Record::Stack(Stack {
            comm: "sh".into(),
            pid: 105,
            cpu: 1,
            timestamp: 2.625912,
            frames: vec!["do_sys_openat2".into(), "__x64_sys_openat".into()],
        }),
        Record::StackCounts(StackCounts {
            backend: "hist".into(),
            duration_s: 2.003,
            stacks: vec![
                StackCount {
                    frames: vec![
                        "vfs_read".into(),
                        "ksys_read".into(),
                        "do_syscall_64".into(),
                    ],
                    count: 100,
                },
                StackCount {
                    frames: vec!["vfs_read".into()],
                    count: 1,
                },
            ],
        }),
        Record::StackCounts(StackCounts {
            backend: "hist".into(),
            duration_s: 0.5,
            stacks: vec![],
        }),
        Record::Lost(Lost {
            cpu: Some(0),
            count: Some(2760),
        }),
        Record::Lost(Lost {
            cpu: None,
            count: None,
        }),
        Record::Notice(Notice {
            level: NoticeLevel::Info,
            message: "counting with kprobe_profile".into(),
        }),
        Record::notice(NoticeLevel::Warning, "lost 3 events"),
        Record::Format(Format {
            event: "open".into(),
            text: "name: open\nID: 1392\n".into(),
        }),
        Record::Tracepoint(Tracepoint {
            system: "sched".into(),
            event: "sched_process_exec".into(),
        }),
        Record::Symbol(Symbol {
            kind: SymbolKind::Function,
            name: "vfs_read".into(),
            module: None,
        }),
        Record::Symbol(Symbol {
            kind: SymbolKind::Kprobe,
            name: "ext4_sync_fs".into(),
            module: Some("ext4".into()),
        }),
        Record::Symbol(Symbol {
            kind: SymbolKind::Tracepoint,
            name: "sched:sched_switch".into(),
            module: None,
        }),
        Record::UserSymbol(UserSymbol {
            file: "/usr/lib/x86_64-linux-gnu/libc.so.6".into(),
            name: "malloc".into(),
            address: 0xa0d20,
            offset: 0xa0d20,
        }),
        Record::Status(Status {
            tracefs: "/sys/kernel/tracing".into(),
            current_tracer: "nop".into(),
            tracing_on: true,
            ftrace_filter: vec!["vfs_read".into()],
            function_profile_enabled: Some(false),
            enabled_events: vec!["sched:sched_switch".into()],
            dynamic_events: owners
                .iter()
                .map(|o| DynamicEventStatus {
                    definition: "p:lkt_42/open do_sys_openat2".into(),
                    group: "lkt_42".into(),
                    event: "open".into(),
                    owner: o.clone(),
                })
                .collect(),
            instances: owners
                .iter()
                .map(|o| InstanceStatus {
                    name: "lktrace_7".into(),
                    current_tracer: "function".into(),
                    owner: o.clone(),
                })
                .collect(),
            buffer: None,
            unreadable: vec![],
        }),
        Record::Status(Status {
            tracefs: "/sys/kernel/tracing".into(),
            current_tracer: "nop".into(),
            tracing_on: false,
            ftrace_filter: vec![],
            function_profile_enabled: None,
            enabled_events: vec![],
            dynamic_events: vec![],
            instances: vec![],
            buffer: Some(BufferStatus {
                per_cpu_kb: 7,
                total_kb: Some(14),
                expanded: false,
                expands_to_kb: Some(1408),
            }),
            unreadable: vec![],
        }),
        Record::Check(Check {
            kernel_release: "6.1.0-47-cloud-amd64".into(),
            arch: "x86_64".into(),
            root: true,
            tracefs: None,
            lockdown: Some("none".into()),
            features: vec![
                CheckItem {
                    name: "kprobes".into(),
                    ok: true,
                    reason: None,
                },
                CheckItem {
                    name: "function_profiler".into(),
                    ok: false,
                    reason: Some("needs CONFIG_FUNCTION_PROFILER".into()),
                },
            ],
            tools: vec![],
        }),
        Record::Reset(Reset {
            removed: vec!["instance lktrace_42".into()],
            reset: vec![],
        }),
        Record::Ping(Ping {
            rtt_us: 123.4,
            agent_version: "0.1.0".into(),
            kernel_release: "6.1.0".into(),
        }),
    ];
    // Every record once as a local run writes it, and again as a multi-host run does.
    let local = v
        .iter()
        .cloned()
        .map(|record| Hosted { record, host: None });
    let hosted = v.iter().cloned().map(|record| Hosted {
        record,
        host: Some("board".into()),
    });
    local.chain(hosted).collect()
}

fn render_json(records: &[Hosted]) -> String {
    let mut out = Vec::new();
    {
        let opts = Options {
            mode: Mode::Json,
            multi_host: true,
            ..Options::default()
        };
        let mut sink = renderer(opts, Box::new(&mut out), Box::new(std::io::sink()));
        for h in records {
            match &h.host {
                Some(host) => sink.emit_from(host, h.record.clone()),
                None => sink.emit(h.record.clone()),
            }
            .expect("render");
        }
        sink.flush().expect("flush");
    }
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn every_record_type_matches_its_mirror() {
    let records = samples();
    let out = render_json(&records);
    let lines = json_schema::validate_output(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines.len(), records.len(), "one line per record:\n{out}");
    for (line, h) in lines.iter().zip(&records) {
        assert_eq!(line.kind(), kind(&h.record));
    }
    let kinds: std::collections::BTreeSet<&str> = records.iter().map(|h| kind(&h.record)).collect();
    assert_eq!(kinds.len(), 16, "a sample of every record type");
}

#[test]
fn host_appears_only_when_set() {
    let records = samples();
    let out = render_json(&records);
    let half = records.len() / 2;
    for (i, l) in out.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v.get("host").is_some(), i >= half, "{l}");
    }
}

#[test]
fn json_output_round_trips_to_the_same_records() {
    let records = samples();
    let out = render_json(&records);
    for (l, r) in out.lines().zip(&records) {
        let back: Hosted = serde_json::from_str(l).unwrap();
        assert_eq!(&back, r);
    }
}

#[test]
fn an_extra_field_is_rejected() {
    let out = render_json(&samples());
    for l in out.lines() {
        let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
        v.as_object_mut()
            .unwrap()
            .insert("surprise".into(), 1.into());
        let bad = v.to_string();
        assert!(json_schema::validate_line(&bad).is_err(), "accepted: {bad}");
    }
    // Nested objects are strict too.
    let bad = r#"{"type":"counts","backend":"profiler","duration_s":1.0,"time":0.0,"counts":[{"name":"f","count":1,"x":2}]}"#;
    assert!(json_schema::validate_line(bad).is_err());
    let bad = r#"{"type":"reset","removed":[],"host":null}"#;
    assert!(
        json_schema::validate_line(bad).is_err(),
        "host is absent, never null"
    );
    let bad = r#"{"type":"lost","count":1}"#;
    assert!(
        json_schema::validate_line(bad).is_err(),
        "cpu is always present"
    );
    let bad = r#"{"type":"bogus"}"#;
    assert!(json_schema::validate_line(bad).is_err());
}

#[test]
fn the_documented_examples_validate() {
    // Every JSON line in docs/json.md (lines starting with `{"type"`) must match the mirrors.
    let doc = include_str!("../docs/json.md");
    let examples: Vec<&str> = doc.lines().filter(|l| l.starts_with("{\"type\"")).collect();
    assert!(examples.len() >= 10, "docs/json.md has an example per type");
    let mut kinds = std::collections::BTreeSet::new();
    for l in examples {
        let line = json_schema::validate_line(l).unwrap_or_else(|e| panic!("docs/json.md: {e}"));
        kinds.insert(line.kind());
        // And the library reads them back as the same JSON it writes.
        let r: Hosted =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("docs/json.md: {e}: {l}"));
        let again = serde_json::to_string(&r).unwrap();
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(l).unwrap(),
            serde_json::from_str(&again).unwrap(),
        );
        assert_eq!(a, b, "docs/json.md example is not what lktrace writes: {l}");
    }
    assert_eq!(kinds.len(), 16, "docs/json.md has an example of every type");
}
