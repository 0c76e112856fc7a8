//! The agent's memory under the tiny-fragments attack: 64 sessions (four source addresses of
//! 16 each, the per-address limit) of a key holder each sending 64,999 one-byte fragments of
//! distinct, never-completed messages. Before the receive limit counted per-fragment and
//! per-message overhead this took the agent to 1.6 GB; now each session is ended once it holds
//! its 64 KiB (as memory), so the whole attack stays within the documented few MiB.
//!
//! Alone in its own test binary, so the process's RSS is the agent's.

mod remote_support;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use lktrace::remote::agent::AgentOptions;
use lktrace::remote::crypto::{Sealer, SessionKeys};
use lktrace::remote::handshake;
use lktrace::remote::wire::{self, Frag, Header, Kind, PayloadBuilder, HEADER_LEN};
use remote_support::*;

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A raw session: the handshake done by hand, so the test can send what no client would.
fn open(sock: &UdpSocket, agent: SocketAddr, key: &lktrace::remote::crypto::Key) -> SessionKeys {
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 2048];
    sock.send_to(&handshake::hello(), agent).unwrap();
    let n = sock.recv(&mut buf).unwrap();
    let (t, c) = wire::decode_cookie(&buf[HEADER_LEN..n]).unwrap();
    let (auth, init) = handshake::auth(key, t, &c).unwrap();
    sock.send_to(&auth, agent).unwrap();
    let n = sock.recv(&mut buf).unwrap();
    let (h, _) = Header::decode(&buf[..n]).unwrap();
    assert_eq!(h.kind, Kind::Accept);
    init.finish(&h, &buf[..n]).unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn sixty_four_sessions_of_one_byte_fragments_stay_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (_kp, key) = key_file(dir.path(), "key");
    let agent = TestAgent::start(key.clone(), AgentOptions::default());
    std::thread::sleep(Duration::from_millis(200));
    let base = status_kib("VmRSS:");

    let mut sessions = Vec::new();
    for ip in 2..6u8 {
        for _ in 0..16 {
            let sock = UdpSocket::bind((std::net::Ipv4Addr::new(127, 0, 0, ip), 0)).unwrap();
            let keys = open(&sock, agent.addr, &key);
            sessions.push((sock, Sealer::new(&keys), keys.session));
        }
    }
    // The agent files a session just after sending its Accept.
    let deadline = Instant::now() + Duration::from_secs(2);
    while agent.stats.sessions_live.load(Ordering::SeqCst) < 64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(agent.stats.sessions_live.load(Ordering::SeqCst), 64);
    let per_datagram = (wire::CHUNK_ROOM) / (wire::FRAG_HEAD_LEN + 1);
    let total_frags: u64 = 64_999;
    let mut sent = 0u64;
    let start_in = agent.stats.datagrams_in.load(Ordering::SeqCst);
    let mut peak = 0;
    for (chunk, first) in (0..total_frags).step_by(per_datagram).enumerate() {
        for (sock, sealer, sid) in sessions.iter_mut() {
            let mut plain = Vec::new();
            let mut b = PayloadBuilder::new(&mut plain, None, false);
            b.chunk(chunk as u64, 0, 0);
            for seq in first..(first + per_datagram as u64).min(total_frags) {
                b.frag(&Frag {
                    seq,
                    idx: 0,
                    count: 2,
                    data: &[0x41],
                });
            }
            let h = Header {
                version: wire::VERSION,
                kind: Kind::Data,
                session: *sid,
                counter: sealer.next_counter(),
            };
            sealer.seal(&mut plain);
            let mut d = h.to_bytes().to_vec();
            d.extend_from_slice(&plain);
            let _ = sock.send_to(&d, agent.addr);
            sent += 1;
        }
        // Keep at most a few dozen datagrams ahead of the agent: measure the agent, not the
        // kernel's socket buffer.
        let deadline = Instant::now() + Duration::from_secs(2);
        while agent.stats.datagrams_in.load(Ordering::SeqCst) + 64 < start_in + sent
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_micros(200));
        }
        peak = peak.max(status_kib("VmRSS:"));
    }
    let received = agent.stats.datagrams_in.load(Ordering::SeqCst) - start_in;
    let hwm = status_kib("VmHWM:");
    eprintln!(
        "{sent} datagrams sent, {received} read by the agent; RSS {base} KiB before, peak {peak} KiB (HWM {hwm})"
    );
    assert!(
        received + 64 >= sent,
        "the agent saw only {received} of {sent}"
    );
    // The documented bound: 64 sessions × 64 KiB of receive buffer, plus session state;
    // 16 MiB leaves room for the allocator's slack. Before: 1.6 GB.
    let grown = peak.saturating_sub(base);
    assert!(grown < 16 * 1024, "the agent grew by {grown} KiB");

    // Every attacking session broke the protocol and was ended; its memory is freed.
    let deadline = Instant::now() + Duration::from_secs(5);
    while agent.stats.sessions_live.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(agent.stats.sessions_live.load(Ordering::SeqCst), 0);
    let after = status_kib("VmRSS:");
    assert!(
        after.saturating_sub(base) < 16 * 1024,
        "{after} KiB after the sessions closed, {base} before"
    );
}
