//! Through a relay that drops 30%, duplicates 10% and reorders datagrams, results are still
//! identical to a local run: nothing lost, nothing doubled, nothing out of order.

mod remote_support;

use std::time::Duration;

use lktrace::remote::agent::AgentOptions;
use lktrace::remote::client::{self, ClientOptions};
use lktrace::remote::RemoteTarget;
use lktrace::tools::ctl::CtlSpec;
use lktrace::tools::Spec;
use lktrace::tracefs::stop::StopFlag;
use remote_support::*;

const BAD_NETWORK: Impair = Impair {
    drop: 0.30,
    dup: 0.10,
    max_delay: Duration::from_millis(4),
};

fn via(proxy: &LossyProxy) -> RemoteTarget {
    target(proxy.addr)
}

#[test]
fn streamed_run_through_a_lossy_network_equals_the_local_run() {
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
    for seed in [1, 2, 3] {
        let proxy = LossyProxy::start(agent.addr, BAD_NETWORK, seed);
        let spec = kprobe_spec("p:synth-big 2000");
        let local = run_local(&runner, &spec, None);
        let remote = run_remote(&[via(&proxy)], &kp, &spec);
        assert!(
            !remote.0.iter().any(|l| l.contains("\"lost\"")),
            "seed {seed}: reported a loss"
        );
        assert_eq!(remote.0.len(), local.0.len(), "seed {seed}");
        assert_same(&remote, &local, &format!("seed {seed}"));
    }
}

#[test]
fn real_tools_and_ping_through_a_lossy_network() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "key");
    // One tree for both runs: the same input.
    let tree = fake_tracefs(&dir.path().join("t"));
    let agent = TestAgent::start(
        key,
        AgentOptions {
            tracefs: Some(tree.clone()),
            ..AgentOptions::default()
        },
    );
    let proxy = LossyProxy::start(agent.addr, BAD_NETWORK, 7);
    let runner = AgentOptions::default().runner;
    let funccount = Spec::Funccount(lktrace::tools::funccount::FunccountSpec {
        pattern: "vfs_*".parse().unwrap(),
        pid: None,
        per_process: false,
        duration_s: Some(0.3.try_into().unwrap()),
        interval_s: Some(0.1.try_into().unwrap()),
        top: None,
        backend: None,
        max_probes: Default::default(),
        timestamps: false,
    });
    for spec in [
        Spec::Ctl(CtlSpec::Status),
        Spec::Ctl(CtlSpec::Check),
        funccount,
    ] {
        let local = run_local(&runner, &spec, Some(tree.clone()));
        assert_eq!(run_remote(&[via(&proxy)], &kp, &spec), local, "{spec:?}");
    }
    let opts = ClientOptions {
        connect_timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    };
    let p = client::ping_with(&[via(&proxy)], Some(&kp), &StopFlag::new(), &opts).unwrap();
    assert_eq!(p.len(), 1);
}

/// Every datagram of a finished session replayed from the very address the client used:
/// nothing runs a second time, and a replay in the middle of a run changes nothing.
#[test]
fn replayed_datagrams_run_nothing() {
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
    let clean = Impair {
        drop: 0.0,
        dup: 0.0,
        max_delay: Duration::ZERO,
    };
    let proxy = LossyProxy::start(agent.addr, clean, 1);
    let spec = kprobe_spec("p:synth 300");
    let local = run_local(&runner, &spec, None);
    assert_eq!(run_remote(&[via(&proxy)], &kp, &spec), local);
    let runs = || {
        agent
            .stats
            .runs_started
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    let sessions = || {
        agent
            .stats
            .sessions_opened
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!((runs(), sessions()), (1, 1));
    let captured = proxy.captured.lock().unwrap().clone();
    assert!(captured.len() >= 4);
    for _ in 0..3 {
        for d in &captured {
            proxy.inject_to_agent(d);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        (runs(), sessions()),
        (1, 1),
        "a replay opened a session or ran something"
    );

    // Mid-run: a second client's datagrams are replayed while its run streams.
    let proxy2 = LossyProxy::start(agent.addr, clean, 2);
    let t = via(&proxy2);
    let k2 = kp.clone();
    let long = kprobe_spec("p:synth 20000");
    let h = std::thread::spawn(move || run_remote(&[t], &k2, &long));
    std::thread::sleep(Duration::from_millis(150));
    for d in proxy2.captured.lock().unwrap().clone() {
        proxy2.inject_to_agent(&d);
    }
    let remote = h.join().unwrap();
    assert_same(
        &remote,
        &run_local(&runner, &kprobe_spec("p:synth 20000"), None),
        "mid-run replay",
    );
    assert_eq!((runs(), sessions()), (2, 2));
}

/// A recorded Hello/Auth/Start replayed from the session's own address, again and again and
/// also with the Start rewritten for the session id the replayed Auth got: the agent answers
/// each replayed Auth with a fresh ephemeral key (new session keys), so the recorded Start
/// never opens and nothing runs a second time. No cache of past handshakes is involved: this
/// holds however the agent's clock moved. And on the wire, no agent datagram ever reuses a
/// (session key, counter) pair.
#[test]
fn a_replayed_handshake_and_start_never_start_a_second_run_or_reuse_a_nonce() {
    use lktrace::remote::wire::{Header, Kind, HEADER_LEN};
    use std::sync::atomic::Ordering::SeqCst;
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
    let clean = Impair {
        drop: 0.0,
        dup: 0.0,
        max_delay: Duration::ZERO,
    };
    let proxy = LossyProxy::start(agent.addr, clean, 5);
    // Enough records for a dozen datagrams or more (records travel a few dozen to a datagram).
    let spec = kprobe_spec("p:synth 500");
    assert_eq!(run_remote(&[via(&proxy)], &kp, &spec).0.len(), 500);
    assert_eq!(agent.stats.runs_started.load(SeqCst), 1);
    let recorded = proxy.captured.lock().unwrap().clone();
    let kind = |d: &[u8]| Header::decode(d).map(|(h, _)| h.kind).ok();
    let auth = recorded
        .iter()
        .find(|d| kind(d) == Some(Kind::Auth))
        .unwrap()
        .clone();
    let accepts = |p: &LossyProxy| -> Vec<Vec<u8>> {
        p.captured_back
            .lock()
            .unwrap()
            .iter()
            .filter(|d| kind(d) == Some(Kind::Accept))
            .cloned()
            .collect()
    };
    let first_accept = accepts(&proxy)[0].clone();
    // Until the first session is gone, its resent Auth is (rightly) answered with its own
    // Accept again; replay once it is closed.
    let t0 = std::time::Instant::now();
    while agent.stats.sessions_live.load(SeqCst) > 0 && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    for round in 0..3 {
        let answered = accepts(&proxy).len();
        for d in &recorded {
            proxy.inject_to_agent(d);
        }
        let t0 = std::time::Instant::now();
        while accepts(&proxy).len() == answered && t0.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(10));
        }
        // The agent's answers to the replayed Auth went to the proxy's back socket, and on to
        // the (gone) client through it: they are in captured_back. Rewrite the recorded Data
        // for the newest session id and send it again.
        let all = accepts(&proxy);
        let newest = all.last().unwrap();
        assert_ne!(
            newest[HEADER_LEN..],
            first_accept[HEADER_LEN..],
            "round {round}: same agent ephemeral"
        );
        let sid = Header::decode(newest).unwrap().0.session;
        for d in recorded.iter().filter(|d| kind(d) == Some(Kind::Data)) {
            let mut f = d.clone();
            f[8..16].copy_from_slice(&sid.to_be_bytes());
            proxy.inject_to_agent(&f);
        }
        proxy.inject_to_agent(&auth);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(agent.stats.runs_started.load(SeqCst), 1, "a replay ran");
    assert_eq!(
        agent.stats.sessions_opened.load(SeqCst),
        1,
        "a replay opened"
    );
    // No (key, nonce) reuse: every session has its own keys (fresh ephemerals), and within a
    // session the agent's counters never repeat.
    let mut seen = std::collections::HashSet::new();
    for d in proxy.captured_back.lock().unwrap().iter() {
        let (h, _) = Header::decode(d).unwrap();
        if h.kind == Kind::Data {
            assert!(seen.insert((h.session, h.counter)), "reused {h:?}");
        }
    }
    assert!(seen.len() > 5);
}
