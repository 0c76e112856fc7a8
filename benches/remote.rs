//! The remote path on loopback: an authenticated ping round trip on an open session, and a
//! streamed run of synthetic kprobe events (the records a kprobe run emits) with zero loss,
//! direct and through a relay that drops 30 % of the datagrams each way.
//!
//! cargo bench --bench remote

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
        self.emit_ref(&r)
    }

    // Lent records, as the CLI's JSON and text renderers take them from a remote run.
    fn emit_ref(&mut self, r: &Record) -> Result<(), SinkError> {
        match r {
            Record::Event(_) => self.events += 1,
            Record::Lost(l) => self.lost += l.count.unwrap_or(1),
            _ => {}
        }
        Ok(())
    }
}

/// A relay between client and agent that drops `drop` of the datagrams in each direction
/// (seeded, so every run sees the same pattern of loss). Nothing is delayed or kept.
fn lossy_relay(agent: SocketAddr, drop: f64, stop: Arc<AtomicBool>) -> SocketAddr {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    for s in [&front, &back] {
        s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    }
    let addr = front.local_addr().unwrap();
    let client: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
    for dir in 0..2u64 {
        let (from, to) = if dir == 0 {
            (Arc::clone(&front), Arc::clone(&back))
        } else {
            (Arc::clone(&back), Arc::clone(&front))
        };
        let (client, stop) = (Arc::clone(&client), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (dir + 1);
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                let Ok((n, src)) = from.recv_from(&mut buf) else {
                    continue;
                };
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if ((x >> 11) as f64 / (1u64 << 53) as f64) < drop {
                    continue;
                }
                let dest = if dir == 0 {
                    *client.lock().unwrap() = Some(src);
                    Some(agent)
                } else {
                    *client.lock().unwrap()
                };
                if let Some(d) = dest {
                    let _ = to.send_to(&buf[..n], d);
                }
            }
        });
    }
    addr
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
        reader: Default::default(),
        aggregate: None,
        definitions: "p:myopen do_sys_openat2".parse().unwrap(),
        filter: None,
        duration_s: None,
        pid: None,
        tid: None,
        stacks: false,
        format_only: false,
        skip_check: false,
        headers: false,
    });
    let relay_stop = Arc::new(AtomicBool::new(false));
    let relay = lossy_relay(addr, 0.30, Arc::clone(&relay_stop));
    let lossy = RemoteTarget {
        label: relay.to_string(),
        host: relay.ip().to_string(),
        port: relay.port(),
        key_file: None,
    };
    let mut g = c.benchmark_group("stream");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(EVENTS));
    for (name, t) in [
        ("kprobe events streamed, zero loss", &target),
        (
            "kprobe events streamed, 30 % of datagrams dropped, zero loss",
            &lossy,
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sink = Counting { events: 0, lost: 0 };
                client::run_remote(
                    std::slice::from_ref(t),
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
    }
    g.finish();
    relay_stop.store(true, Ordering::Relaxed);
    stop.request();
}

criterion_group!(benches, bench);
criterion_main!(benches);
