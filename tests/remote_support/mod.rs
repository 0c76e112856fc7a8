//! Shared by the remote_* tests: keys, an in-process agent on loopback, a fake tracefs, a
//! synthetic runner, a lossy UDP proxy, and a local-vs-remote comparison.
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lktrace::record::{
    Count, Counts, Event, FieldValue, Fields, NoticeLevel, Record, Sink, VecSink,
};
use lktrace::remote::agent::{Agent, AgentOptions, Runner, Stats};
use lktrace::remote::crypto::{self, Key};
use lktrace::remote::RemoteTarget;
use lktrace::tools::kprobe::KprobeSpec;
use lktrace::tools::{RunEnv, Spec};
use lktrace::tracefs::stop::StopFlag;

/// Session lock files go to a private directory, never /run.
pub fn init() {
    static ONCE: OnceLock<PathBuf> = OnceLock::new();
    ONCE.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("lktrace-remote-tests-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        // The lock directory must be writable by its owner alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        lktrace::tracefs::lockdir::use_dir(&d);
        d
    });
}

pub fn key_file(dir: &Path, name: &str) -> (PathBuf, Key) {
    let p = dir.join(name);
    crypto::keygen(&p).unwrap();
    let k = Key::load(&p).unwrap();
    (p, k)
}

pub struct TestAgent {
    pub addr: SocketAddr,
    pub stop: StopFlag,
    pub stats: Arc<Stats>,
    handle: Option<JoinHandle<lktrace::Result<()>>>,
}

impl TestAgent {
    pub fn start(key: Key, opts: AgentOptions) -> TestAgent {
        init();
        let agent = Agent::bind(
            "127.0.0.1:0".parse().unwrap(),
            key,
            AgentOptions {
                log: std::env::var_os("AGENT_LOG").is_some(),
                ..opts
            },
        )
        .unwrap();
        let addr = agent.local_addr();
        let stats = agent.stats();
        let stop = StopFlag::new();
        let s2 = stop.clone();
        let handle = std::thread::spawn(move || agent.run(s2));
        TestAgent {
            addr,
            stop,
            stats,
            handle: Some(handle),
        }
    }

    pub fn target(&self) -> RemoteTarget {
        target(self.addr)
    }

    /// SIGTERM, in effect: returns once every run is torn down.
    pub fn shutdown(mut self) {
        self.stop.request();
        self.handle.take().unwrap().join().unwrap().unwrap();
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.stop.request();
            let _ = h.join();
        }
    }
}

pub fn target(addr: SocketAddr) -> RemoteTarget {
    RemoteTarget {
        label: addr.to_string(),
        host: addr.ip().to_string(),
        port: addr.port(),
        key_file: None,
    }
}

/// A tracefs tree in a directory: enough for Session::open and for tools to read.
pub fn fake_tracefs(dir: &Path) -> PathBuf {
    let t = dir.join("tracing");
    for d in [
        "instances",
        "events",
        "options",
        "per_cpu/cpu0",
        "trace_stat",
    ] {
        std::fs::create_dir_all(t.join(d)).unwrap();
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/debian");
    let fx = |name: &str| std::fs::read_to_string(fixtures.join(name)).unwrap_or_default();
    let pfx = |name: &str| {
        std::fs::read_to_string(fixtures.join("../profiler").join(name)).unwrap_or_default()
    };
    for (f, v) in [
        ("trace", String::new()),
        ("trace_pipe", String::new()),
        ("current_tracer", "nop\n".into()),
        ("tracing_on", "1\n".into()),
        ("available_tracers", fx("available_tracers.txt")),
        (
            "available_filter_functions",
            fx("available_filter_functions.head.txt") + "vfs_read\nvfs_write\nvfs_open\n",
        ),
        // The function profiler's files, with real counts from the profiler kernel, so
        // funccount counts something on this tree. Values without a newline: a plain file
        // reads back what a restore writes.
        ("function_profile_enabled", "0".into()),
        ("trace_stat/function0", pfx("trace_stat_function0.txt")),
        ("trace_stat/function1", pfx("trace_stat_function1.txt")),
        ("set_ftrace_filter", String::new()),
        ("kprobe_events", String::new()),
        ("uprobe_events", String::new()),
        ("dynamic_events", String::new()),
        ("kprobe_profile", String::new()),
        ("error_log", String::new()),
        ("README", fx("README.txt")),
        ("set_event", String::new()),
        ("set_event_pid", String::new()),
        ("buffer_size_kb", "1408\n".into()),
    ] {
        std::fs::write(t.join(f), v).unwrap();
    }
    t
}

/// `p:synth N` makes N events; `p:synth-big N` adds a large counts record every 100 events;
/// `p:synth-until-stop` streams until stopped, then emits a closing notice. Anything else runs
/// the real tool.
pub fn synthetic_runner() -> Runner {
    Arc::new(|spec: &Spec, env: &RunEnv, sink: &mut dyn Sink| {
        let Spec::Kprobe(k) = spec else {
            return lktrace::tools::run(spec, env, sink);
        };
        let Some(pseudo) = k.filter.as_deref().filter(|f| f.starts_with("p:synth")) else {
            return lktrace::tools::run(spec, env, sink);
        };
        let mut it = pseudo.split_whitespace();
        let kind = it.next().unwrap_or("");
        let n: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        match kind {
            "p:synth" | "p:synth-big" => {
                for i in 0..n {
                    sink.emit(event(i))?;
                    if kind == "p:synth-big" && i % 100 == 0 {
                        sink.emit(big_counts(i))?;
                    }
                }
                Ok(())
            }
            "p:synth-until-stop" => {
                let mut i = 0;
                while !env.stop.is_set() {
                    sink.emit(event(i))?;
                    i += 1;
                    if i % 50 == 0 {
                        sink.flush()?;
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                sink.emit(Record::notice(
                    NoticeLevel::Info,
                    format!("stopped after {i} events"),
                ))?;
                Ok(())
            }
            "p:synth-until-hurry" => {
                // Ignores the first stop, like a teardown that takes long; only a second one
                // (a second Ctrl-C) ends it.
                let mut i = 0;
                while !env.stop.hurry() {
                    sink.emit(event(i))?;
                    i += 1;
                    sink.flush()?;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(())
            }
            "p:synth-session" => {
                // Holds a real Session (instance directory) on the fake tracefs until stopped.
                let t = lktrace::tracefs::Tracefs::at(env.tracefs.clone().unwrap());
                let mut s = lktrace::tracefs::Session::open(t, env.stop.clone())?;
                s.ensure_instance()?;
                let mut i = 0;
                while !env.stop.is_set() {
                    if let Err(e) = sink.emit(event(i)) {
                        s.close();
                        return Err(e.into());
                    }
                    i += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                s.close();
                Ok(())
            }
            _ => lktrace::tools::run(spec, env, sink),
        }
    })
}

pub fn event(i: u64) -> Record {
    Record::Event(Event {
        comm: format!("proc{}", i % 7),
        pid: (1000 + i % 13) as u32,
        tgid: Some(1000),
        cpu: (i % 2) as u32,
        flags: Some("d..1.".into()),
        timestamp: 100.0 + i as f64 * 0.000_125,
        event: "myopen".into(),
        probe: Some("do_sys_openat2+0x0/0x170".into()),
        fields: Fields(vec![
            (
                "filename".into(),
                FieldValue::Str(format!("/usr/lib/x86_64-linux-gnu/lib{i}.so.6")),
            ),
            ("dfd".into(), FieldValue::UInt(4294967196)),
            ("flags".into(), FieldValue::Str("0x88000".into())),
        ]),
        payload: None,
    })
}

pub fn big_counts(i: u64) -> Record {
    Record::Counts(Counts {
        backend: "profiler".into(),
        duration_s: 1.0,
        time: 1_700_000_000.0 + i as f64,
        counts: (0..400)
            .map(|j| Count {
                name: format!("vfs_function_number_{j}"),
                count: j * i,
                keys: None,
            })
            .collect(),
    })
}

/// A kprobe Spec for `def`: a real definition, or a synthetic one (`p:synth N`, see
/// [`synthetic_runner`]), which rides in the filter beside a valid definition (a Spec holds only
/// valid definitions).
pub fn kprobe_spec(def: &str) -> Spec {
    let (definition, filter) = if def.starts_with("p:synth") {
        ("p:synth vfs_read", Some(def.parse().unwrap()))
    } else {
        (def, None)
    };
    Spec::Kprobe(KprobeSpec {
        reader: Default::default(),
        aggregate: None,
        definitions: definition.parse().unwrap(),
        filter,
        duration_s: Some(0.2.try_into().unwrap()),
        pid: None,
        tid: None,
        stacks: false,
        format_only: false,
        skip_check: false,
        headers: false,
    })
}

/// Records as JSON lines, and the error message, with what legitimately differs between two
/// runs of one spec masked: our session names (pid and sequence number) and the wall-clock
/// `time`/`duration_s` of a counts table. Event timestamps are compared exactly.
pub fn normalise(records: &[Record], err: Option<String>) -> (Vec<String>, Option<String>) {
    let re = regex::Regex::new(r"(lktrace_|lkt_|session-)\d+(_\d+)?").unwrap();
    let clock = regex::Regex::new(r#""(time|duration_s)":[-+0-9.eE]+"#).unwrap();
    let lines = records
        .iter()
        .map(|r| {
            let j = serde_json::to_string(r).unwrap();
            let j = re.replace_all(&j, "${1}N");
            clock.replace_all(&j, "\"${1}\":T").into_owned()
        })
        .collect();
    (lines, err.map(|e| re.replace_all(&e, "${1}N").into_owned()))
}

pub fn run_local(
    runner: &Runner,
    spec: &Spec,
    tracefs: Option<PathBuf>,
) -> (Vec<String>, Option<String>) {
    let mut sink = VecSink::default();
    let env = RunEnv {
        tracefs,
        stop: StopFlag::new(),
        tap: None,
    };
    let r = runner(spec, &env, &mut sink);
    normalise(&sink.0, r.err().map(|e| e.to_string()))
}

/// The remote error is `HOST: message`; the local one is `message`.
pub fn run_remote(
    targets: &[RemoteTarget],
    key: &Path,
    spec: &Spec,
) -> (Vec<String>, Option<String>) {
    let mut sink = VecSink::default();
    let r =
        lktrace::remote::client::run_remote(targets, Some(key), spec, &mut sink, &StopFlag::new());
    let err = r.err().map(|e| match e {
        lktrace::Error::Remote(r) => r.message,
        other => panic!("not an agent's error: {other}"),
    });
    normalise(&sink.0, err)
}

/// A UDP relay that drops, duplicates and delays (so reorders) datagrams, with a seeded RNG.
pub struct LossyProxy {
    pub addr: SocketAddr,
    back: Arc<UdpSocket>,
    agent: SocketAddr,
    /// Every datagram the client sent, before impairment.
    pub captured: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Every datagram the agent sent back, before impairment.
    pub captured_back: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    pub forwarded: Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Clone, Copy)]
pub struct Impair {
    pub drop: f64,
    pub dup: f64,
    /// Each datagram is held for a random 0..max_delay: later ones overtake it.
    pub max_delay: Duration,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl LossyProxy {
    pub fn start(agent: SocketAddr, imp: Impair, seed: u64) -> LossyProxy {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let back = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        front
            .set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        back.set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        let addr = front.local_addr().unwrap();
        let client: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let forwarded = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let captured: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let captured_back: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let mut threads = Vec::new();
        for dir in 0..2 {
            let (from, to) = if dir == 0 {
                (front.clone(), back.clone())
            } else {
                (back.clone(), front.clone())
            };
            let client = client.clone();
            let stop = stop.clone();
            let fwd = forwarded.clone();
            let cap = if dir == 0 {
                captured.clone()
            } else {
                captured_back.clone()
            };
            threads.push(std::thread::spawn(move || {
                let mut rng = Rng(seed.wrapping_mul(2654435761).wrapping_add(dir as u64 + 1) | 1);
                let mut held: Vec<(Instant, Vec<u8>)> = Vec::new();
                let mut buf = [0u8; 2048];
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok((n, src)) = from.recv_from(&mut buf) {
                        if dir == 0 {
                            *client.lock().unwrap() = Some(src);
                        }
                        cap.lock().unwrap().push(buf[..n].to_vec());
                        if rng.next() >= imp.drop {
                            let copies = if rng.next() < imp.dup { 2 } else { 1 };
                            for _ in 0..copies {
                                let delay = imp.max_delay.mul_f64(rng.next());
                                held.push((Instant::now() + delay, buf[..n].to_vec()));
                            }
                        }
                    }
                    let now = Instant::now();
                    let dest = if dir == 0 {
                        Some(agent)
                    } else {
                        *client.lock().unwrap()
                    };
                    let (due, later): (Vec<_>, Vec<_>) =
                        held.drain(..).partition(|(t, _)| *t <= now);
                    held = later;
                    if let Some(dest) = dest {
                        for (_, d) in due {
                            let _ = to.send_to(&d, dest);
                            fwd.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
            }));
        }
        LossyProxy {
            addr,
            back,
            agent,
            captured,
            captured_back,
            stop,
            threads,
            forwarded,
        }
    }

    /// Sends a datagram to the agent from the proxy's own address (where the client's
    /// session lives): what an attacker on the path could replay.
    pub fn inject_to_agent(&self, d: &[u8]) {
        let _ = self.back.send_to(d, self.agent);
    }
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Like assert_eq, but says where two long runs first differ instead of printing both.
pub fn assert_same(
    got: &(Vec<String>, Option<String>),
    want: &(Vec<String>, Option<String>),
    ctx: &str,
) {
    assert_eq!(got.1, want.1, "{ctx}: errors differ");
    if let Some(i) = (0..got.0.len().max(want.0.len())).find(|&i| got.0.get(i) != want.0.get(i)) {
        panic!(
            "{ctx}: {} records, expected {}; first difference at {i}:\n got  {:?}\n want {:?}",
            got.0.len(),
            want.0.len(),
            got.0.get(i),
            want.0.get(i)
        );
    }
}
