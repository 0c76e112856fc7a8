use super::*;
use crate::record::*;

fn event(i: u64) -> Record {
    Record::Event(Event {
        comm: "bash".into(),
        pid: 1000 + (i % 50) as u32,
        tgid: Some(1000),
        cpu: (i % 2) as u32,
        flags: Some("d..1.".into()),
        timestamp: 1000.0 + i as f64 * 1e-6,
        event: "myopen".into(),
        probe: Some("do_sys_openat2+0x0/0x170".into()),
        fields: Fields(vec![
            ("dfd".into(), FieldValue::UInt(4294967196)),
            (
                "filename".into(),
                FieldValue::Str("/etc/ld.so.cache".into()),
            ),
            ("flags".into(), FieldValue::Str("0x88000".into())),
            ("neg".into(), FieldValue::Int(-7)),
        ]),
        payload: None,
    })
}

/// One record of every kind, with the awkward values: empty strings, None and Some, odd floats.
pub(crate) fn every_kind() -> Vec<Record> {
    let owner = Owner::Live { pid: 7 };
    vec![
        event(1),
        Record::Event(Event {
            comm: String::new(),
            pid: u32::MAX,
            tgid: None,
            cpu: 0,
            flags: None,
            timestamp: 0.1 + 0.2,
            event: "sched_switch".into(),
            probe: None,
            fields: Fields::default(),
            payload: Some("prev_comm=a ==> next_comm=b \u{1b}[31m".into()),
        }),
        Record::Stack(Stack {
            comm: "dd".into(),
            pid: 5,
            cpu: 1,
            timestamp: 12.5,
            frames: vec![
                "vfs_read+0x5/0x10".into(),
                "ksys_read".into(),
                "vfs_read+0x5/0x10".into(),
            ],
        }),
        Record::Lost(Lost {
            cpu: Some(3),
            count: None,
        }),
        Record::Lost(Lost {
            cpu: None,
            count: Some(u64::MAX),
        }),
        Record::Span(Span {
            comm: "cat".into(),
            pid: 9,
            cpu: 0,
            timestamp: 1.0e-9,
            name: "vfs_read".into(),
            duration_us: 3.25,
            depth: Some(2),
            fields: Fields(vec![("ret".into(), FieldValue::Int(i64::MIN))]),
        }),
        Record::Counts(Counts {
            backend: "profiler".into(),
            duration_s: 1.5,
            time: 1.7e9,
            counts: vec![
                Count::named("vfs_read", 10),
                Count {
                    name: "a b".into(),
                    count: 2,
                    keys: Some(Fields(vec![("comm".into(), FieldValue::Str("a".into()))])),
                },
            ],
        }),
        Record::Histogram(Histogram {
            time: None,
            name: "bytes".into(),
            unit: String::new(),
            keys: Fields::default(),
            buckets: vec![Bucket {
                low: 0,
                high: 1,
                count: 4,
            }],
        }),
        Record::notice(NoticeLevel::Warning, "careful"),
        Record::Format(Format {
            event: "myopen".into(),
            text: "name: myopen\nID: 1\n".into(),
        }),
        Record::Status(Status {
            tracefs: "/sys/kernel/tracing".into(),
            current_tracer: "nop".into(),
            tracing_on: true,
            ftrace_filter: vec![],
            function_profile_enabled: None,
            enabled_events: vec!["sched:sched_switch".into()],
            dynamic_events: vec![DynamicEventStatus {
                definition: "p:x y".into(),
                group: "kprobes".into(),
                event: "x".into(),
                owner: owner.clone(),
            }],
            instances: vec![InstanceStatus {
                name: "i".into(),
                current_tracer: "function".into(),
                owner: Owner::Dead { pid: 3 },
            }],
            buffer: Some(BufferStatus {
                per_cpu_kb: 7,
                total_kb: None,
                expanded: false,
                expands_to_kb: Some(1408),
            }),
            unreadable: vec![],
        }),
        Record::Check(Check {
            kernel_release: "6.1".into(),
            arch: "x86_64".into(),
            root: false,
            tracefs: None,
            lockdown: Some("none".into()),
            features: vec![CheckItem {
                name: "kprobes".into(),
                ok: true,
                reason: None,
            }],
            tools: vec![CheckItem {
                name: "funccount".into(),
                ok: false,
                reason: Some("why".into()),
            }],
        }),
        Record::Reset(Reset {
            removed: vec!["kprobes/lkt_1".into()],
            reset: vec!["tracing_on set back to 1 (was 0)".into()],
        }),
        Record::Ping(Ping {
            rtt_us: 17.5,
            agent_version: "0.1.0".into(),
            kernel_release: "6.1".into(),
        }),
    ]
}

/// Encodes `records` the way the agent's sink does and returns the messages.
fn encode_all(records: &[Record]) -> Vec<Vec<u8>> {
    let mut enc = BatchEncoder::new();
    let mut out = Vec::new();
    for r in records {
        out.extend(enc.push(r));
        if enc.is_full() {
            out.extend(enc.take());
        }
    }
    out.extend(enc.take());
    out
}

fn decode_all(messages: &[Vec<u8>]) -> Vec<Record> {
    let mut buf = RecordBuf::new();
    for m in messages {
        decode(m, &mut buf).unwrap();
    }
    buf.drain().collect()
}

#[test]
fn every_record_kind_comes_back_equal_and_prints_the_same_json() {
    let records = every_kind();
    let messages = encode_all(&records);
    assert!(messages.iter().all(|m| m.len() <= BATCH_MAX));
    let back = decode_all(&messages);
    assert_eq!(back, records);
    for (a, b) in records.iter().zip(&back) {
        assert_eq!(
            serde_json::to_string(a).unwrap(),
            serde_json::to_string(b).unwrap()
        );
    }
    // And each alone, in a message of its own.
    for r in &records {
        let mut enc = BatchEncoder::new();
        assert!(enc.push(r).is_none());
        assert_eq!(decode_all(&[enc.take().unwrap()]), vec![r.clone()]);
    }
}

#[test]
fn a_batch_holds_many_events_in_one_fragment() {
    let records: Vec<Record> = (0..1000).map(event).collect();
    let messages = encode_all(&records);
    assert!(
        messages.iter().all(|m| m.len() <= BATCH_MAX),
        "one fragment each"
    );
    let per = records.len() / messages.len();
    // JSON packed about four such events per datagram; interned binary far more.
    assert!(per >= 20, "{per} events per message");
    assert_eq!(decode_all(&messages), records);
}

#[test]
fn reused_records_are_refilled_exactly() {
    let a: Vec<Record> = every_kind();
    let mut b = every_kind();
    b.reverse();
    let mut buf = RecordBuf::new();
    for m in encode_all(&a) {
        decode(&m, &mut buf).unwrap();
    }
    assert_eq!(buf.as_slice(), &a[..]);
    buf.clear();
    for m in encode_all(&b) {
        decode(&m, &mut buf).unwrap();
    }
    assert_eq!(buf.as_slice(), &b[..]);
    // Fewer fields and frames than the records kept from before: no stale ones remain.
    buf.clear();
    let short = vec![
        Record::Event(Event::empty()),
        Record::Stack(Stack {
            comm: "x".into(),
            pid: 1,
            cpu: 0,
            timestamp: 0.0,
            frames: vec![],
        }),
    ];
    for m in encode_all(&short) {
        decode(&m, &mut buf).unwrap();
    }
    assert_eq!(buf.as_slice(), &short[..]);
}

#[test]
fn a_record_larger_than_a_fragment_travels_alone() {
    let mut big = Event::empty();
    big.payload = Some("x".repeat(5000));
    let records = vec![event(1), Record::Event(big), event(2)];
    let messages = encode_all(&records);
    assert_eq!(messages.len(), 3);
    assert!(messages[1].len() > BATCH_MAX);
    assert_eq!(decode_all(&messages), records);
    // Two records in a message over a fragment: refused.
    let mut two = messages[1].clone();
    two.extend_from_slice(&messages[0][1..]);
    let mut buf = RecordBuf::new();
    assert_eq!(decode(&two, &mut buf), Err(DecodeError::Oversized));
    assert!(buf.is_empty() && !buf.reusable());
}

#[test]
fn every_truncation_is_an_error_and_leaves_nothing_behind() {
    let messages = encode_all(&every_kind());
    for m in &messages {
        for cut in 0..m.len() {
            let mut buf = RecordBuf::new();
            buf.push(event(0));
            let r = decode(&m[..cut], &mut buf);
            // A cut between two items is a shorter valid message; anywhere else an error.
            if r.is_err() {
                assert_eq!(buf.len(), 1, "nothing of a failed message is kept");
            }
        }
    }
    // Cut inside the first (and only) item: always an error.
    let one = encode_all(&[event(3)]);
    for cut in 0..one[0].len() {
        assert!(
            decode(&one[0][..cut], &mut RecordBuf::new()).is_err(),
            "cut at {cut}"
        );
    }
}

/// Builds an item by hand: postcard values after a kind byte.
fn raw(parts: &[&[u8]]) -> Vec<u8> {
    let mut m = vec![RECORDS];
    for p in parts {
        m.extend_from_slice(p);
    }
    m
}

#[test]
fn hostile_messages_are_refused_without_allocating_for_them() {
    let mut buf = RecordBuf::new();
    let mut check = |m: Vec<u8>, want: DecodeError| {
        assert_eq!(decode(&m, &mut buf), Err(want), "{m:?}");
        assert!(buf.is_empty());
    };
    check(vec![], DecodeError::NotRecords);
    check(vec![10, 1], DecodeError::NotRecords);
    check(vec![RECORDS], DecodeError::Empty);
    check(raw(&[&[0]]), DecodeError::UnknownKind(0));
    check(raw(&[&[99]]), DecodeError::UnknownKind(99));
    // A string length prefix of 2^32-1 with three bytes behind it.
    check(
        raw(&[&[EVENT, 1, 0xff, 0xff, 0xff, 0xff, 0x0f], b"abc"]),
        DecodeError::Malformed,
    );
    // A varint longer than a u32 can hold.
    check(
        raw(&[&[EVENT, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]]),
        DecodeError::Malformed,
    );
    // Invalid UTF-8 in a string.
    check(raw(&[&[EVENT, 1, 2, 0xc3, 0x28]]), DecodeError::Malformed);
    // A reference to a string never defined, and a required string left out.
    check(raw(&[&[EVENT, 2]]), DecodeError::BadRef(2));
    check(raw(&[&[EVENT, 0]]), DecodeError::MissingString);
    // An event: comm "a", pid 1, tgid None, cpu 0, flags none, ts, event ref 0, probe none,
    // payload none, then a field count of 4 billion with nothing behind it.
    let head: &[u8] = &[EVENT, 1, 1, b'a', 1, 0, 0, 0];
    let ts = 1.0f64.to_le_bytes();
    let tail: &[u8] = &[2, 0, 0];
    check(
        raw(&[head, &ts, tail, &[0xff, 0xff, 0xff, 0xff, 0x0f]]),
        DecodeError::Count(u32::MAX),
    );
    check(
        raw(&[
            &[STACK, 1, 1, b'a', 1, 0],
            &ts,
            &[0xfe, 0xff, 0xff, 0xff, 0x0f],
        ]),
        DecodeError::Count(u32::MAX - 1),
    );
    // A field whose value kind does not exist.
    check(
        raw(&[head, &ts, tail, &[1, 2, 7, 0]]),
        DecodeError::UnknownValue(7),
    );
    // JSON that is not a record.
    let mut j = vec![JSON, 5];
    j.extend_from_slice(b"{\"a\"}");
    assert!(matches!(
        decode(&raw(&[&j]), &mut buf),
        Err(DecodeError::Json(_))
    ));
}

#[test]
fn references_cannot_expand_a_message_without_bound() {
    // A one-record message just over a fragment: one stack whose frames are all references to
    // one long string. Each 2-byte reference would copy that string once.
    let long = "f".repeat(4000);
    let frames = 10_000u32;
    let mut m = vec![RECORDS, STACK, 1, 1, b'a', 1, 0];
    m.extend_from_slice(&0f64.to_le_bytes());
    let mut enc = BatchEncoder::new();
    enc.put(&frames);
    enc.put(&S_NEW);
    enc.put(&(long.len() as u32));
    m.extend_from_slice(&enc.buf);
    m.extend_from_slice(long.as_bytes());
    // Refs to id 1 (the long frame; id 0 is "a").
    for _ in 1..frames {
        m.extend_from_slice(&[3]);
    }
    // 10k × 4000 bytes would be 40 MB from a 14 KB message: the budget (256 KiB) stops it.
    assert_eq!(decode(&m, &mut RecordBuf::new()), Err(DecodeError::Budget));
}
