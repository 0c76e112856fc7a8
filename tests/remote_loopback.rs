//! An agent on loopback, in-process: every tool remotely vs locally, multi-host, ping,
//! Ctrl-C, the lease, shutdown.

mod remote_support;

use std::time::{Duration, Instant};

use lktrace::record::{Record, VecSink};
use lktrace::remote::agent::AgentOptions;
use lktrace::remote::client::{self, ClientOptions, Connection, Incoming};
use lktrace::remote::msg::{ToAgent, ToClient};
use lktrace::tools::ctl::CtlSpec;
use lktrace::tools::funccount::FunccountSpec;
use lktrace::tools::Spec;
use lktrace::tracefs::stop::StopFlag;
use remote_support::*;

fn real_tool_specs() -> Vec<Spec> {
    vec![
        Spec::Ctl(CtlSpec::Status),
        Spec::Ctl(CtlSpec::Check),
        Spec::Ctl(CtlSpec::Reset { all: false }),
        Spec::Funccount(FunccountSpec {
            pattern: "vfs_*".parse().unwrap(),
            pid: None,
            per_process: false,
            duration_s: Some(0.2.try_into().unwrap()),
            interval_s: None,
            top: None,
            backend: None,
            max_probes: Default::default(),
            timestamps: false,
        }),
        kprobe_spec("p:myopen do_sys_openat2 filename=+0(%si):string"),
    ]
}

/// Every tool, through the real `tools::run` on a fake tracefs: the agent's JSON (records and
/// error) equals a local run's. Depends on the tools being implemented to compare records;
/// until then it compares their errors, which must also travel unchanged.
#[test]
fn every_tool_remote_equals_local_on_a_fake_tracefs() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    // One tree for both runs: the same input. Each run leaves it as it found it.
    let tree = fake_tracefs(&dir.path().join("t"));
    let agent = TestAgent::start(
        key,
        AgentOptions {
            tracefs: Some(tree.clone()),
            ..AgentOptions::default()
        },
    );
    let runner = AgentOptions::default().runner;
    for spec in real_tool_specs() {
        let local = run_local(&runner, &spec, Some(tree.clone()));
        let remote = run_remote(&[agent.target()], &kp, &spec);
        // `normalise` blanks the wall clock and our pid-based names; all else must be equal.
        assert_eq!(remote, local, "{spec:?}");
        if let Spec::Funccount(_) = spec {
            let counts = local
                .0
                .iter()
                .find(|l| l.contains("\"counts\""))
                .expect("a counts record");
            // function0 + function1 of the profiler kernel's fixture.
            assert!(
                counts.contains("{\"name\":\"vfs_read\",\"count\":100}"),
                "{counts}"
            );
        }
    }
    agent.shutdown();
}

#[test]
fn streamed_events_and_large_records_arrive_complete_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let runner = synthetic_runner();
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: runner.clone(),
            ..AgentOptions::default()
        },
    );
    let spec = kprobe_spec("p:synth-big 3000");
    let local = run_local(&runner, &spec, None);
    assert_eq!(local.0.len(), 3030);
    assert_eq!(run_remote(&[agent.target()], &kp, &spec), local);
}

#[test]
fn several_hosts_at_once_tag_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let runner = synthetic_runner();
    let a = TestAgent::start(
        key.clone(),
        AgentOptions {
            runner: runner.clone(),
            ..AgentOptions::default()
        },
    );
    let b = TestAgent::start(
        key,
        AgentOptions {
            runner: runner.clone(),
            ..AgentOptions::default()
        },
    );
    let spec = kprobe_spec("p:synth 500");
    let mut sink = VecSink::default();
    client::run_remote(
        &[a.target(), b.target()],
        Some(&kp),
        &spec,
        &mut sink,
        &StopFlag::new(),
    )
    .unwrap();
    let local = run_local(&runner, &spec, None).0;
    for t in [a.target(), b.target()] {
        let mine: Vec<Record> = sink
            .0
            .iter()
            .zip(&sink.1)
            .filter(|(_, h)| h.as_deref() == Some(t.label.as_str()))
            .map(|(r, _)| r.clone())
            .collect();
        assert_eq!(normalise(&mine, None).0, local, "host {}", t.label);
    }
    assert_eq!(sink.0.len(), 1000);
    // Every record came with its host (the JSON envelope's "host").
    assert!(sink
        .1
        .iter()
        .all(|h| h.as_deref().is_some_and(|h| h.starts_with("127.0.0.1:"))));
}

#[test]
fn ping_reports_rtt_version_and_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let agent = TestAgent::start(key, AgentOptions::default());
    let recs = client::ping(&[agent.target()], Some(&kp), &StopFlag::new()).unwrap();
    let [lktrace::record::Hosted {
        record: Record::Ping(p),
        host,
    }] = recs.as_slice()
    else {
        panic!("{recs:?}")
    };
    assert!(p.rtt_us > 0.0 && p.rtt_us < 100_000.0, "{}", p.rtt_us);
    assert_eq!(p.agent_version, env!("CARGO_PKG_VERSION"));
    assert!(!p.kernel_release.is_empty());
    assert_eq!(host.as_deref(), Some(agent.target().label.as_str()));
    assert_eq!(
        agent
            .stats
            .runs_started
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[test]
fn ctrl_c_stops_the_remote_run_and_keeps_its_last_records() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            ..AgentOptions::default()
        },
    );
    let stop = StopFlag::new();
    let s2 = stop.clone();
    let t0 = Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        s2.request();
    });
    let mut sink = VecSink::default();
    client::run_remote(
        &[agent.target()],
        Some(&kp),
        &kprobe_spec("p:synth-until-stop"),
        &mut sink,
        &stop,
    )
    .unwrap();
    stopper.join().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(3), "stopped at once");
    let last = sink.0.last().unwrap();
    let Record::Notice(n) = last else {
        panic!("{last:?}")
    };
    assert_eq!(
        n.message,
        format!("stopped after {} events", sink.0.len() - 1)
    );
    wait_until(Duration::from_secs(2), || {
        agent
            .stats
            .runs_active
            .load(std::sync::atomic::Ordering::SeqCst)
            == 0
    });
}

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < limit, "condition not met within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn instances(tree: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(tree.join("instances"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// The client vanishes mid-run (no Stop, no Close): within the lease the agent has stopped the
/// run and removed the instance its Session created.
#[test]
fn lease_expiry_stops_the_run_and_cleans_tracefs() {
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = key_file(dir.path(), "key");
    let tree = fake_tracefs(dir.path());
    let lease = Duration::from_secs(2);
    let agent = TestAgent::start(
        key.clone(),
        AgentOptions {
            runner: synthetic_runner(),
            tracefs: Some(tree.clone()),
            lease,
            ..AgentOptions::default()
        },
    );
    let mut c = Connection::open(agent.addr, &key, &ClientOptions::default()).unwrap();
    c.send(&ToAgent::Start(Box::new(kprobe_spec("p:synth-session"))))
        .unwrap();
    let mut got = 0;
    while got < 5 {
        if let Some(Incoming::Message(ToClient::Record(_))) = c.poll().unwrap() {
            got += 1;
        }
    }
    let during = instances(&tree);
    assert_eq!(during.len(), 1, "{during:?}");
    assert!(during[0].starts_with("lktrace_"));
    let killed = Instant::now();
    drop(c); // as if the client were killed: not a word to the agent
    wait_until(lease + Duration::from_secs(2), || {
        instances(&tree).is_empty()
    });
    wait_until(Duration::from_secs(1), || {
        agent
            .stats
            .runs_active
            .load(std::sync::atomic::Ordering::SeqCst)
            == 0
    });
    assert!(
        killed.elapsed() >= lease - Duration::from_millis(100),
        "not before the lease"
    );
}

/// SIGTERM on the agent: every run is stopped and torn down before serve returns.
#[test]
fn agent_shutdown_tears_down_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let tree = fake_tracefs(dir.path());
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            tracefs: Some(tree.clone()),
            ..AgentOptions::default()
        },
    );
    let target = agent.target();
    let client = std::thread::spawn(move || {
        let mut sink = VecSink::default();
        let r = client::run_remote(
            &[target],
            Some(&kp),
            &kprobe_spec("p:synth-session"),
            &mut sink,
            &StopFlag::new(),
        );
        (r, sink.0.len())
    });
    wait_until(Duration::from_secs(5), || instances(&tree).len() == 1);
    let stats = agent.stats.clone();
    agent.shutdown();
    assert!(instances(&tree).is_empty());
    assert_eq!(
        stats.runs_active.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    let (r, n) = client.join().unwrap();
    r.unwrap();
    assert!(n > 0);
}

#[test]
fn runs_beyond_the_cap_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            max_runs: 1,
            ..AgentOptions::default()
        },
    );
    let stop = StopFlag::new();
    let (t, k, s) = (agent.target(), kp.clone(), stop.clone());
    let first = std::thread::spawn(move || {
        let mut sink = VecSink::default();
        client::run_remote(
            &[t],
            Some(&k),
            &kprobe_spec("p:synth-until-stop"),
            &mut sink,
            &s,
        )
    });
    wait_until(Duration::from_secs(5), || {
        agent
            .stats
            .runs_active
            .load(std::sync::atomic::Ordering::SeqCst)
            == 1
    });
    let mut sink = VecSink::default();
    let e = client::run_remote(
        &[agent.target()],
        Some(&kp),
        &kprobe_spec("p:synth 1"),
        &mut sink,
        &StopFlag::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("busy"), "{e}");
    stop.request();
    first.join().unwrap().unwrap();
}

#[test]
fn ipv6_loopback_and_bracketed_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let Ok(agent) = lktrace::remote::Agent::bind(
        "[::1]:0".parse().unwrap(),
        key,
        AgentOptions {
            log: false,
            ..AgentOptions::default()
        },
    ) else {
        eprintln!("no IPv6 loopback here: skipped");
        return;
    };
    let port = agent.local_addr().port();
    let stop = StopFlag::new();
    let s = stop.clone();
    let h = std::thread::spawn(move || agent.run(s));
    let cfg = lktrace::remote::Config::default();
    let targets =
        lktrace::remote::RemoteTarget::parse_list(&format!("[::1]:{port}"), &cfg).unwrap();
    let recs = client::ping(&targets, Some(&kp), &StopFlag::new()).unwrap();
    assert_eq!(recs.len(), 1);
    stop.request();
    h.join().unwrap().unwrap();
}

/// A sink that stalls (a paused pager) for longer than the lease: the client keeps the session
/// alive, the agent's tool waits (backpressure), and nothing is lost.
#[test]
fn a_stalled_output_backpressures_the_agent_without_loss_or_lease_expiry() {
    use lktrace::record::{Sink, SinkError};
    struct Stalling {
        n: u64,
        stall: Duration,
    }
    impl Sink for Stalling {
        fn emit(&mut self, r: Record) -> Result<(), SinkError> {
            assert!(!matches!(r, Record::Lost(_)), "lost records");
            if self.n == 10 {
                std::thread::sleep(self.stall);
            }
            self.n += 1;
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let lease = Duration::from_secs(2);
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            lease,
            ..AgentOptions::default()
        },
    );
    let stall = lease + Duration::from_secs(1);
    let mut sink = Stalling { n: 0, stall };
    client::run_remote(
        &[agent.target()],
        Some(&kp),
        &kprobe_spec("p:synth 30000"),
        &mut sink,
        &StopFlag::new(),
    )
    .unwrap();
    assert_eq!(sink.n, 30000);
}

/// One host of two is down: the other's records are all printed, then the error is returned.
#[test]
fn one_host_down_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            ..AgentOptions::default()
        },
    );
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let down = target(dead.local_addr().unwrap());
    let opts = ClientOptions {
        connect_timeout: Duration::from_millis(500),
        ..ClientOptions::default()
    };
    let mut sink = VecSink::default();
    let e = client::run_remote_with(
        &[agent.target(), down.clone()],
        Some(&kp),
        &kprobe_spec("p:synth 100"),
        &mut sink,
        &StopFlag::new(),
        &opts,
    )
    .unwrap_err();
    assert_eq!(sink.0.len(), 100);
    match e {
        lktrace::Error::Remote(r) => {
            let lktrace::error::RemoteError {
                host,
                message,
                hint,
                ..
            } = *r;
            assert_eq!(host, down.label);
            assert!(message.contains("no answer"), "{message}");
            assert!(hint.is_some());
        }
        other => panic!("{other}"),
    }
}

/// A second Ctrl-C reaches the agent as a second Stop (hurry), and the client returns promptly.
#[test]
fn a_second_ctrl_c_hurries_the_remote_run() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            ..AgentOptions::default()
        },
    );
    let stop = StopFlag::new();
    let s2 = stop.clone();
    let presser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        s2.request();
        std::thread::sleep(Duration::from_millis(300));
        s2.request();
    });
    let t0 = Instant::now();
    let mut sink = VecSink::default();
    client::run_remote(
        &[agent.target()],
        Some(&kp),
        &kprobe_spec("p:synth-until-hurry"),
        &mut sink,
        &stop,
    )
    .unwrap();
    presser.join().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    assert!(!sink.0.is_empty());
    wait_until(Duration::from_secs(2), || {
        agent
            .stats
            .runs_active
            .load(std::sync::atomic::Ordering::SeqCst)
            == 0
    });
}

/// Streamed output is flushed as it arrives (a terminal sees events live), not only at the end.
#[test]
fn streamed_output_is_flushed_as_it_arrives() {
    use lktrace::record::{Sink, SinkError};
    #[derive(Default)]
    struct Flushes {
        records: usize,
        flushed_at: Vec<usize>,
    }
    impl Sink for Flushes {
        fn emit(&mut self, _: Record) -> Result<(), SinkError> {
            self.records += 1;
            Ok(())
        }
        fn flush(&mut self) -> Result<(), SinkError> {
            self.flushed_at.push(self.records);
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            ..AgentOptions::default()
        },
    );
    let stop = StopFlag::new();
    let s2 = stop.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        s2.request();
    });
    let mut sink = Flushes::default();
    client::run_remote(
        &[agent.target()],
        Some(&kp),
        &kprobe_spec("p:synth-until-stop"),
        &mut sink,
        &stop,
    )
    .unwrap();
    t.join().unwrap();
    let early = sink
        .flushed_at
        .iter()
        .filter(|&&n| n > 0 && n < sink.records / 2)
        .count();
    assert!(
        early > 0,
        "no flush before the end: {:?} of {}",
        sink.flushed_at,
        sink.records
    );
}
