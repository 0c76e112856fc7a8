//! Hostile senders: wrong key, garbage, truncations, oversized datagrams, forged sessions.
//! Nothing runs, the agent stays up and keeps serving a good client, and a bad sender never
//! gets back more bytes than it sent (no reflection amplification).

mod remote_support;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lktrace::record::VecSink;
use lktrace::remote::agent::AgentOptions;
use lktrace::remote::client::{self, ClientOptions};
use lktrace::remote::crypto::Key;
use lktrace::remote::handshake;
use lktrace::remote::wire::{self, Header, Kind, HEADER_LEN};
use lktrace::tracefs::stop::StopFlag;
use remote_support::*;

struct Rng(u64);
impl Rng {
    fn u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.u64() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u64() as u8).collect()
    }
}

/// A socket that counts what it sends and what comes back.
struct BadSender {
    sock: UdpSocket,
    sent: u64,
    received: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl BadSender {
    fn new(agent: std::net::SocketAddr) -> BadSender {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.connect(agent).unwrap();
        BadSender::with_socket(sock)
    }

    /// On a socket connected to the agent already (one that got a real cookie, say).
    fn with_socket(sock: UdpSocket) -> BadSender {
        let r = sock.try_clone().unwrap();
        r.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let received = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (rc, dn) = (received.clone(), done.clone());
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 70000];
            while !dn.load(Ordering::SeqCst) {
                if let Ok(n) = r.recv(&mut buf) {
                    rc.fetch_add(n as u64, Ordering::SeqCst);
                }
            }
        });
        BadSender {
            sock,
            sent: 0,
            received,
            done,
            reader: Some(reader),
        }
    }

    fn send(&mut self, d: &[u8]) {
        if self.sock.send(d).is_ok() {
            self.sent += d.len() as u64;
        }
    }

    /// Bytes received back, after a moment for the last answers.
    fn finish(mut self) -> (u64, u64) {
        std::thread::sleep(Duration::from_millis(300));
        self.done.store(true, Ordering::SeqCst);
        self.reader.take().unwrap().join().unwrap();
        (self.sent, self.received.load(Ordering::SeqCst))
    }
}

fn header(kind: u8, session: u64, counter: u64) -> Vec<u8> {
    let mut h = Header {
        version: wire::VERSION,
        kind: Kind::Hello,
        session,
        counter,
    }
    .to_bytes()
    .to_vec();
    h[5] = kind;
    h
}

#[test]
fn wrong_key_runs_nothing_and_the_agent_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "good");
    let (bad_kp, _) = key_file(dir.path(), "bad");
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            ..AgentOptions::default()
        },
    );
    let opts = ClientOptions {
        connect_timeout: Duration::from_millis(800),
        ..ClientOptions::default()
    };
    let mut sink = VecSink::default();
    let e = client::run_remote_with(
        &[agent.target()],
        Some(&bad_kp),
        &kprobe_spec("p:synth 5"),
        &mut sink,
        &StopFlag::new(),
        &opts,
    )
    .unwrap_err();
    assert!(e.to_string().contains("did not accept our key"), "{e}");
    assert!(e.hint().unwrap().contains("same key"));
    assert!(sink.0.is_empty());
    assert_eq!(agent.stats.sessions_opened.load(Ordering::SeqCst), 0);
    assert_eq!(agent.stats.runs_started.load(Ordering::SeqCst), 0);
    let (recs, err) = run_remote(&[agent.target()], &kp, &kprobe_spec("p:synth 5"));
    assert_eq!((recs.len(), err), (5, None));
}

/// 100k hostile datagrams of every kind: random, truncated, oversized, forged handshakes and
/// sessions. The counters prove nothing authenticated; the byte counts prove no amplification.
#[test]
fn a_hundred_thousand_bad_datagrams_run_nothing_and_are_never_amplified() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "good");
    let agent = TestAgent::start(
        key.clone(),
        AgentOptions {
            runner: synthetic_runner(),
            ..AgentOptions::default()
        },
    );

    // A live good session the attacker tries to inject into.
    let mut good = client::Connection::open(agent.addr, &key, &ClientOptions::default()).unwrap();
    good.ping().unwrap();

    let mut rng = Rng(0x9e3779b97f4a7c15);
    // Valid handshake pieces to mutate: a Hello, a real cookie for the bad sender's own
    // address, an Auth with a wrong key (its cookie passes, its Noise message does not).
    let hello = handshake::hello();
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.connect(agent.addr).unwrap();
    probe
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    probe.send(&hello).unwrap();
    let mut buf = [0u8; 2048];
    let n = probe.recv(&mut buf).unwrap();
    assert!(n <= hello.len());
    let (time, cookie) = wire::decode_cookie(&buf[HEADER_LEN..n]).unwrap();
    let (wrong_auth, _) = handshake::auth(&Key::from_bytes([1; 32]), time, &cookie).unwrap();
    let samples = [hello.clone(), wrong_auth.clone()];
    let mut bad = BadSender::with_socket(probe);
    let before = agent.stats.datagrams_in.load(Ordering::SeqCst);

    let total = 100_000;
    for i in 0..total {
        let d: Vec<u8> = match i % 10 {
            0..=3 => {
                let n = rng.below(1500);
                rng.bytes(n)
            }
            4 | 5 => {
                let mut d = header(rng.below(8) as u8, rng.u64(), rng.u64());
                let n = rng.below(1300);
                d.extend(rng.bytes(n));
                d
            }
            6 => {
                // Fresh Hellos (answered, 64 B for 256 B) and Hellos of the wrong size.
                let mut d = handshake::hello();
                if rng.below(2) == 0 {
                    d.truncate(rng.below(256));
                }
                d
            }
            7 => {
                // Truncations and bit flips of real handshake datagrams.
                let s = &samples[rng.below(2)];
                let mut d = s[..rng.below(s.len() + 1)].to_vec();
                if !d.is_empty() {
                    let j = rng.below(d.len());
                    d[j] ^= 1 << rng.below(8);
                }
                d
            }
            8 => {
                // Auth with our real cookie but the wrong key, or a random sealed part.
                let mut d = wrong_auth.clone();
                let j = HEADER_LEN
                    + wire::COOKIE_BODY_LEN
                    + rng.below(d.len() - HEADER_LEN - wire::COOKIE_BODY_LEN);
                d[j] ^= 0xff;
                d
            }
            _ => {
                if i % 1000 == 9 {
                    // Oversized.
                    let mut d = header(4, rng.u64(), 1);
                    let n = 1400 + rng.below(60000);
                    d.extend(rng.bytes(n));
                    d
                } else {
                    // Data for made-up sessions.
                    let mut d = header(4, rng.u64(), rng.u64());
                    let n = 17 + rng.below(1200);
                    d.extend(rng.bytes(n));
                    d
                }
            }
        };
        bad.send(&d);
        if i % 32 == 31 {
            // Never more than a few dozen datagrams ahead of what the agent has read, so the
            // kernel's socket buffer (not the agent) never drops any: the count below is then
            // what the agent saw, however slow this machine is.
            wait_for_agent(&agent, (before + i as u64 + 1).saturating_sub(64));
        }
    }
    wait_for_agent(&agent, before + total as u64 - 64);
    let (sent, received) = bad.finish();
    eprintln!("bad sender: sent {sent} bytes in {total} datagrams, got back {received} bytes");
    assert!(
        received <= sent,
        "amplification: sent {sent} bytes, got back {received}"
    );
    assert!(sent > 10_000_000);
    assert_eq!(
        agent.stats.sessions_opened.load(Ordering::SeqCst),
        1,
        "only the good client"
    );
    assert_eq!(agent.stats.runs_started.load(Ordering::SeqCst), 0);
    let seen = agent.stats.datagrams_in.load(Ordering::SeqCst) - before;
    assert!(seen >= total as u64 - 64, "the agent saw {seen} of {total}");

    // Still serving: the live session and a new client.
    good.ping().unwrap();
    good.close();
    let (recs, err) = run_remote(&[agent.target()], &kp, &kprobe_spec("p:synth 100"));
    assert_eq!((recs.len(), err), (100, None));
}

/// Waits until the agent has read `n` datagrams in all, or made no progress for a while (the
/// kernel dropped some: then the final count says so).
fn wait_for_agent(agent: &TestAgent, n: u64) {
    let mut last = agent.stats.datagrams_in.load(Ordering::SeqCst);
    let mut still = std::time::Instant::now();
    loop {
        let now = agent.stats.datagrams_in.load(Ordering::SeqCst);
        if now >= n {
            return;
        }
        if now != last {
            last = now;
            still = std::time::Instant::now();
        } else if still.elapsed() > Duration::from_secs(2) {
            return;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Data datagrams forged for a live session (right session id, garbage or truncated
/// ciphertext, from the client's own address or another) are dropped without a word.
#[test]
fn forged_data_for_a_live_session_is_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "good");
    let agent = TestAgent::start(
        key,
        AgentOptions {
            runner: synthetic_runner(),
            ..AgentOptions::default()
        },
    );
    let clean = Impair {
        drop: 0.0,
        dup: 0.0,
        max_delay: Duration::ZERO,
    };
    let proxy = LossyProxy::start(agent.addr, clean, 3);
    let t = target(proxy.addr);
    let k2 = kp.clone();
    let h = std::thread::spawn(move || run_remote(&[t], &k2, &kprobe_spec("p:synth 20000")));
    std::thread::sleep(Duration::from_millis(100));
    let data: Vec<Vec<u8>> = proxy
        .captured
        .lock()
        .unwrap()
        .iter()
        .filter(|d| d.len() > 5 && d[5] == Kind::Data as u8)
        .cloned()
        .collect();
    assert!(!data.is_empty());
    let mut rng = Rng(42);
    let before = agent.stats.datagrams_in.load(Ordering::SeqCst);
    let mut injected = 0u64;
    for d in data.iter().cycle().take(5000) {
        let mut f = d.clone();
        match rng.below(3) {
            0 => f.truncate(HEADER_LEN + rng.below(f.len() - HEADER_LEN)),
            1 => {
                let j = HEADER_LEN + rng.below(f.len() - HEADER_LEN);
                f[j] ^= 0x55;
            }
            _ => {
                // Counter bumped: new nonce, old tag.
                f[23] = f[23].wrapping_add(100);
            }
        }
        proxy.inject_to_agent(&f);
        injected += 1;
        if injected.is_multiple_of(32) {
            // Paced on what the agent has read, so the socket buffer does not drop them
            // before the agent sees them, however loaded this machine is.
            wait_for_agent(&agent, (before + injected).saturating_sub(64));
        }
    }
    let (recs, err) = h.join().unwrap();
    assert_eq!((recs.len(), err), (20000, None));
    assert_eq!(agent.stats.runs_started.load(Ordering::SeqCst), 1);
    assert!(
        agent.stats.dropped.load(Ordering::SeqCst) >= 500,
        "{:?}",
        agent.stats
    );
}

#[cfg(unix)]
#[test]
fn client_and_agent_refuse_a_key_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "good");
    let agent = TestAgent::start(key, AgentOptions::default());
    std::fs::set_permissions(&kp, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = client::ping(&[agent.target()], Some(&kp), &StopFlag::new()).unwrap_err();
    assert!(
        e.to_string().contains("can be read by group or others"),
        "{e}"
    );
    assert_eq!(e.hint().unwrap(), format!("chmod 600 {}", kp.display()));
    let args = lktrace::remote::AgentArgs {
        listen: "127.0.0.1:34099".into(),
        key_file: kp.clone(),
        max_runs: 1,
        lease_secs: 10,
        config: None,
        from_command_line: Vec::new(),
        tracefs: None,
        tap: None,
    };
    let e = lktrace::remote::agent::serve(&args, StopFlag::new()).unwrap_err();
    assert!(
        e.to_string().contains("can be read by group or others"),
        "{e}"
    );
}

/// Wrong-size Hellos and junk Auths (bare headers, right-size garbage, forged cookies) are
/// dropped by the free checks before any token is spent: a flood of them, going on while good
/// clients connect, leaves every good client served (with buckets spent by junk it did not).
#[test]
fn junk_handshakes_spend_no_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, key) = key_file(dir.path(), "good");
    let agent = TestAgent::start(
        key.clone(),
        AgentOptions {
            runner: synthetic_runner(),
            // Enough for the good clients below, and far fewer than the junk.
            hello_rate: 40.0,
            hello_rate_per_prefix: 40.0,
            auth_rate: 20.0,
            auth_rate_per_prefix: 20.0,
            ..AgentOptions::default()
        },
    );
    let flooding = Arc::new(AtomicBool::new(true));
    let f2 = flooding.clone();
    let addr = agent.addr;
    let flood = std::thread::spawn(move || {
        let mut bad = BadSender::new(addr);
        let mut rng = Rng(7);
        let mut i = 0u64;
        while f2.load(Ordering::SeqCst) {
            let d = match i % 4 {
                0 => handshake::hello()[..rng.below(255)].to_vec(),
                1 => header(Kind::Auth as u8, 0, 0),
                2 => {
                    let mut d = header(Kind::Auth as u8, 0, 0);
                    d.extend(rng.bytes(wire::AUTH_LEN - HEADER_LEN));
                    d
                }
                _ => {
                    let mut d = handshake::hello();
                    d.push(0);
                    d
                }
            };
            bad.send(&d);
            i += 1;
            if i.is_multiple_of(16) {
                // About 10k a second: hundreds of times the buckets' rates.
                std::thread::sleep(Duration::from_micros(1500));
            }
        }
        (i, bad.finish().1)
    });
    std::thread::sleep(Duration::from_millis(200));
    let opts = ClientOptions {
        connect_timeout: Duration::from_secs(3),
        ..ClientOptions::default()
    };
    for i in 0..10 {
        let mut c = client::Connection::open(agent.addr, &key, &opts)
            .unwrap_or_else(|e| panic!("good client {i} during the flood: {e}"));
        c.ping().unwrap();
        c.close();
    }
    let (recs, err) = run_remote(&[agent.target()], &kp, &kprobe_spec("p:synth 3"));
    assert_eq!((recs.len(), err), (3, None));
    flooding.store(false, Ordering::SeqCst);
    let (junk, back) = flood.join().unwrap();
    assert!(junk > 1000, "only {junk} junk datagrams");
    assert_eq!(back, 0, "junk got an answer");
}

/// A full or rate-limiting agent says so; the client does not blame the key.
#[test]
fn busy_and_rate_limited_are_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (_kp, key) = key_file(dir.path(), "good");
    let opts = ClientOptions {
        connect_timeout: Duration::from_millis(700),
        ..ClientOptions::default()
    };
    let full = TestAgent::start(
        key.clone(),
        AgentOptions {
            max_sessions: 1,
            ..AgentOptions::default()
        },
    );
    let mut first = client::Connection::open(full.addr, &key, &opts).unwrap();
    first.ping().unwrap();
    let e = client::Connection::open(full.addr, &key, &opts).unwrap_err();
    assert!(e.to_string().contains("busy"), "{e}");
    assert!(!e.to_string().contains("key"), "{e}");
    first.close();

    let per_ip = TestAgent::start(
        key.clone(),
        AgentOptions {
            max_sessions_per_ip: 1,
            ..AgentOptions::default()
        },
    );
    let mut first = client::Connection::open(per_ip.addr, &key, &opts).unwrap();
    first.ping().unwrap();
    let e = client::Connection::open(per_ip.addr, &key, &opts).unwrap_err();
    assert!(e.to_string().contains("from this address"), "{e}");
    first.close();

    let limited = TestAgent::start(
        key.clone(),
        AgentOptions {
            // One handshake, then none for ten seconds.
            auth_rate: 0.1,
            auth_rate_per_prefix: 0.1,
            ..AgentOptions::default()
        },
    );
    let first = client::Connection::open(limited.addr, &key, &opts).unwrap();
    let e = client::Connection::open(limited.addr, &key, &opts).unwrap_err();
    assert!(e.to_string().contains("rate-limiting"), "{e}");
    first.close();
}

/// Key files an attacker (or a slip) could leave in the agent's way: a FIFO (which used to
/// block the agent in open(), deaf to SIGTERM), a symlink, a file of another user, a key with
/// a `+` in it, an all-zero key. Each is refused at once, with what is wrong.
#[cfg(unix)]
#[test]
fn hostile_key_files_are_refused_without_blocking() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (good, _) = key_file(dir.path(), "good");
    let write_key = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    };
    let fifo = dir.path().join("fifo");
    nix_mkfifo(&fifo);
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let plus = write_key("plus", &format!("{}\n", "+f".repeat(32)));
    let zero = write_key("zero", &format!("{}\n", "00".repeat(32)));
    let same = write_key("same", &format!("{}\n", "a5".repeat(32)));
    let mut cases = vec![
        (fifo.clone(), "not a regular file"),
        (link, "symbolic link"),
        (plus, "not a key file"),
        (zero, "all the same"),
        (same, "all the same"),
    ];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let theirs = write_key("theirs", &std::fs::read_to_string(&good).unwrap());
        std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
        cases.push((theirs, "belongs to uid 65534"));
    }
    for (path, want) in cases {
        let (tx, rx) = std::sync::mpsc::channel();
        let p = path.clone();
        std::thread::spawn(move || {
            let args = lktrace::remote::AgentArgs {
                // The key is refused before anything binds.
                listen: "127.0.0.1:34097".into(),
                key_file: p,
                max_runs: 1,
                lease_secs: 10,
                config: None,
                from_command_line: Vec::new(),
                tracefs: None,
                tap: None,
            };
            let _ = tx.send(lktrace::remote::agent::serve(&args, StopFlag::new()));
        });
        let r = rx
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| panic!("the agent blocked on {}", path.display()));
        let e = r.unwrap_err().to_string();
        assert!(e.contains(want), "{}: {e}", path.display());
    }
}

#[cfg(unix)]
fn nix_mkfifo(p: &std::path::Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}
