//! The remote path on loopback: an authenticated ping round trip on an open session, and a
//! streamed run of synthetic kprobe events (the records a kprobe run emits) with zero loss.
//!
//! cargo bench --bench remote

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lktrace::record::{Event, FieldValue, Fields, Record, Sink, SinkError};
use lktrace::remote::agent::{Agent, AgentOptions};
use lktrace::remote::client::{self, ClientOptions, Connection};
use lktrace::remote::crypto::Key;
use lktrace::remote::RemoteTarget;
use lktrace::tools::kprobe::KprobeSpec;
use lktrace::tools::{RunEnv, Spec};
use lktrace::tracefs::stop::StopFlag;

const EVENTS: u64 = 200_000;

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
        ]),
        payload: None,
    })
}

struct Counting {
    events: u64,
    lost: u64,
}

impl Sink for Counting {
    fn emit(&mut self, r: Record) -> Result<(), SinkError> {
        match r {
            Record::Event(_) => self.events += 1,
            Record::Lost(l) => self.lost += l.count.unwrap_or(1),
            _ => {}
        }
        Ok(())
    }
}

fn start_agent(key: Key) -> (std::net::SocketAddr, StopFlag) {
    let runner = Arc::new(|_: &Spec, _: &RunEnv, sink: &mut dyn Sink| {
        for i in 0..EVENTS {
            sink.emit(event(i))?;
        }
        Ok(())
    });
    let opts = AgentOptions {
        runner,
        log: false,
        ..AgentOptions::default()
    };
    let agent = Agent::bind("127.0.0.1:0".parse().unwrap(), key, opts).unwrap();
    let addr = agent.local_addr();
    let stop = StopFlag::new();
    let s = stop.clone();
    std::thread::spawn(move || agent.run(s));
    (addr, stop)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let kp = dir.path().join("key");
    lktrace::remote::crypto::keygen(&kp).unwrap();
    let key = Key::load(&kp).unwrap();
    let (addr, stop) = start_agent(key.clone());

    let mut conn = Connection::open(addr, &key, &ClientOptions::default()).unwrap();
    c.bench_function("ctl ping round trip (authenticated, loopback)", |b| {
        b.iter(|| conn.ping().unwrap())
    });
    conn.close();

    let target = RemoteTarget {
        label: addr.to_string(),
        host: addr.ip().to_string(),
        port: addr.port(),
        key_file: None,
    };
    let spec = Spec::Kprobe(KprobeSpec {
        definition: "p:myopen do_sys_openat2".parse().unwrap(),
        filter: None,
        duration_s: None,
        pid: None,
        tid: None,
        stacks: false,
        format_only: false,
        skip_check: false,
        headers: false,
    });
    let mut g = c.benchmark_group("stream");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(EVENTS));
    g.bench_function("kprobe events streamed, zero loss", |b| {
        b.iter(|| {
            let mut sink = Counting { events: 0, lost: 0 };
            client::run_remote(
                std::slice::from_ref(&target),
                Some(&kp),
                &spec,
                &mut sink,
                &StopFlag::new(),
            )
            .unwrap();
            assert_eq!(
                (sink.events, sink.lost),
                (EVENTS, 0),
                "every event, none lost"
            );
        })
    });
    g.finish();
    stop.request();
}

criterion_group!(benches, bench);
criterion_main!(benches);
