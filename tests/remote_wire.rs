//! The binary wire (protocol 4) changes nothing a user sees: a stream holding every kind of
//! record, with awkward values (empty and long strings, control characters, extreme numbers,
//! odd floats, records larger than a datagram), arrives as the very records the tool emitted,
//! and the JSON the client prints is byte for byte what a local run prints. Also through a
//! network that drops 30 % of datagrams.

mod remote_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lktrace::output::json::JsonSink;
use lktrace::record::*;
use lktrace::remote::agent::{AgentOptions, Runner};
use lktrace::tools::{RunEnv, Spec};
use lktrace::tracefs::stop::StopFlag;
use remote_support::*;

/// One of every kind, varied by `i`.
fn every_kind(i: u64) -> Vec<Record> {
    let fields = Fields(vec![
        ("dfd".into(), FieldValue::UInt(u64::MAX - i)),
        ("neg".into(), FieldValue::Int(i64::MIN + i as i64)),
        (
            "name".into(),
            FieldValue::Str(format!("/tmp/\u{1b}[31m\u{9b}é{i}")),
        ),
        ("empty".into(), FieldValue::Str(String::new())),
    ]);
    vec![
        Record::Event(Event {
            comm: format!("comm{}", i % 3),
            pid: i as u32,
            tgid: i.is_multiple_of(2).then_some(7),
            cpu: (i % 4) as u32,
            flags: (!i.is_multiple_of(3)).then(|| "dNh1.".into()),
            timestamp: 0.1 + 0.2 + i as f64 * 1e-7,
            event: "myopen".into(),
            probe: (i % 2 == 1).then(|| "do_sys_openat2+0x0/0x170".into()),
            fields: fields.clone(),
            payload: i
                .is_multiple_of(5)
                .then(|| format!("prev_comm=a ==> next {i}")),
        }),
        Record::Stack(Stack {
            comm: "dd".into(),
            pid: 5,
            cpu: 1,
            timestamp: f64::MIN_POSITIVE * i as f64,
            frames: (0..(i % 40))
                .map(|f| format!("frame_{f}+0x{i:x}/0x100"))
                .collect(),
        }),
        Record::Lost(Lost {
            cpu: i.is_multiple_of(2).then_some(3),
            count: (!i.is_multiple_of(3)).then_some(i),
        }),
        Record::Span(Span {
            comm: "cat".into(),
            pid: 9,
            cpu: 0,
            timestamp: 1.0e-9 * i as f64,
            name: "vfs_read".into(),
            duration_us: 1.0 / 3.0,
            depth: i.is_multiple_of(2).then_some(2),
            fields,
        }),
        Record::Counts(Counts {
            backend: "profiler".into(),
            duration_s: 1.5,
            time: 1.7e9 + i as f64,
            counts: vec![Count::named("vfs_read", i)],
        }),
        Record::Histogram(Histogram {
            time: None,
            name: "bytes".into(),
            unit: "b".into(),
            keys: Fields(vec![("comm".into(), FieldValue::Str("dd".into()))]),
            buckets: vec![Bucket {
                low: 0,
                high: 1,
                count: i,
            }],
        }),
        Record::notice(NoticeLevel::Warning, format!("notice {i}")),
        Record::Format(Format {
            event: "myopen".into(),
            text: "name: myopen\nID: 1\n".into(),
        }),
        Record::Status(Status {
            tracefs: "/sys/kernel/tracing".into(),
            current_tracer: "nop".into(),
            tracing_on: i.is_multiple_of(2),
            ftrace_filter: vec![],
            function_profile_enabled: None,
            enabled_events: vec![],
            dynamic_events: vec![],
            instances: vec![InstanceStatus {
                name: "i".into(),
                current_tracer: "function".into(),
                owner: Owner::Dead { pid: 3 },
            }],
            buffer: None,
            unreadable: vec![],
        }),
        Record::Check(Check {
            kernel_release: "6.1".into(),
            arch: "x86_64".into(),
            root: false,
            tracefs: None,
            lockdown: None,
            features: vec![CheckItem {
                name: "kprobes".into(),
                ok: true,
                reason: None,
            }],
            tools: vec![],
        }),
        Record::Reset(Reset {
            removed: vec!["kprobes/lkt_1".into()],
            reset: vec![],
        }),
        Record::Ping(Ping {
            rtt_us: 17.5,
            agent_version: "0.1.0".into(),
            kernel_release: "6.1".into(),
        }),
    ]
}

/// The stream: every kind 300 times over, a record larger than a datagram now and then, and a
/// flush every few records as a tool's reads of the pipe would.
fn stream() -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..300 {
        out.extend(every_kind(i));
        if i.is_multiple_of(50) {
            out.push(big_counts(i));
            let mut e = every_kind(i).remove(0);
            if let Record::Event(ev) = &mut e {
                ev.payload = Some("x".repeat(3000 + i as usize));
            }
            out.push(e);
        }
    }
    out
}

fn runner(records: Arc<Vec<Record>>) -> Runner {
    Arc::new(move |_: &Spec, _: &RunEnv, sink: &mut dyn Sink| {
        for (i, r) in records.iter().enumerate() {
            sink.emit(r.clone())?;
            if i % 37 == 0 {
                sink.flush()?;
            }
        }
        Ok(())
    })
}

/// What the CLI's `--json` renderer writes for `records`.
fn json(records: &[Record]) -> Vec<u8> {
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    {
        let mut sink = JsonSink::new(Box::new(Shared(Arc::clone(&buf))));
        for r in records {
            sink.emit_ref(r).unwrap();
        }
        sink.flush().unwrap();
    }
    let out = buf.lock().unwrap().clone();
    out
}

#[test]
fn every_record_kind_arrives_as_emitted_and_prints_the_same_json() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let records = Arc::new(stream());
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: runner(Arc::clone(&records)),
            ..AgentOptions::default()
        },
    );
    let spec = kprobe_spec("p:synth 0");
    let run = |t: lktrace::remote::RemoteTarget| {
        let mut sink = VecSink::default();
        lktrace::remote::client::run_remote(&[t], Some(&kp), &spec, &mut sink, &StopFlag::new())
            .unwrap();
        sink.0
    };
    let remote = run(target(agent.addr));
    assert_eq!(remote.len(), records.len());
    if let Some(i) = (0..records.len()).find(|&i| remote[i] != records[i]) {
        panic!(
            "record {i} differs:\n got  {:?}\n want {:?}",
            remote[i], records[i]
        );
    }
    assert_eq!(json(&remote), json(&records), "the printed JSON differs");

    // The same through a network that drops 30 %, duplicates 10 % and reorders.
    let proxy = LossyProxy::start(
        agent.addr,
        Impair {
            drop: 0.30,
            dup: 0.10,
            max_delay: Duration::from_millis(4),
        },
        7,
    );
    let lossy = run(target(proxy.addr));
    assert!(
        lossy == *records,
        "through the lossy relay the records differ"
    );
}

/// A tool that emits a record and then says nothing for a long time, without a flush: the
/// record is not held back in the agent's half-full batch; it arrives within milliseconds (the
/// linger), not when the next record comes.
#[test]
fn a_lone_record_is_not_held_back_by_batching() {
    use lktrace::remote::client::{ClientOptions, Connection, Incoming};
    use lktrace::remote::msg::{ToAgent, ToClient};
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = key_file(dir.path(), "key");
    let quiet: Runner = Arc::new(|_: &Spec, env: &RunEnv, sink: &mut dyn Sink| {
        sink.emit(Record::notice(NoticeLevel::Info, "first"))?;
        let t0 = Instant::now();
        while !env.stop.is_set() && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        sink.emit(Record::notice(NoticeLevel::Info, "second"))?;
        Ok(())
    });
    let agent = TestAgent::start(
        key.clone(),
        AgentOptions {
            runner: quiet,
            ..AgentOptions::default()
        },
    );
    let mut c = Connection::open(agent.addr, &key, &ClientOptions::default()).unwrap();
    let t0 = Instant::now();
    c.send(&ToAgent::Start(Box::new(kprobe_spec("p:synth 0"))))
        .unwrap();
    loop {
        if let Some(Incoming::Message(ToClient::Record(r))) = c.poll().unwrap() {
            assert_eq!(*r, Record::notice(NoticeLevel::Info, "first"));
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(4),
            "the record was held back"
        );
    }
    // Milliseconds in fact; a second allows for a loaded machine, and is far below the 5 s
    // the record would wait for company.
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    c.send(&ToAgent::Stop).unwrap();
    c.close();
}
