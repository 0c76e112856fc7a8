//! Both halves over simulated loss, duplication and reordering.

use super::*;
use crate::remote::crypto::Key;
use crate::remote::handshake::session_pair;

fn pair() -> (Conn, Conn) {
    let (kc, ka) = session_pair(&Key::from_bytes([9; 32]));
    let lim = ConnLimits {
        max_buffered: 1 << 20,
        max_partial: usize::MAX,
        heartbeat: Duration::from_secs(1),
        abandon_after: Duration::from_secs(10),
    };
    let now = Instant::now();
    (
        Conn::new(Role::Client, &kc, lim, now),
        Conn::new(Role::Agent, &ka, lim, now),
    )
}

fn deliver(to: &mut Conn, wire: Vec<Vec<u8>>) {
    for d in wire {
        let (h, _) = Header::decode(&d).unwrap();
        let _ = to.receive(&h, &d, Instant::now());
    }
}

fn drain(c: &mut Conn) -> Vec<Delivery> {
    std::iter::from_fn(|| c.rx.pop()).collect()
}

#[test]
fn messages_large_and_small_arrive_in_order_despite_loss() {
    let (mut a, mut b) = pair();
    let now = Instant::now();
    let big: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    a.tx.push(b"one".to_vec(), false, now).unwrap();
    a.tx.push(big.clone(), false, now).unwrap();
    a.tx.push(b"three".to_vec(), true, now).unwrap();
    let mut out = Vec::new();
    a.drive(now, false, &mut |d| out.push(d.to_vec()));
    assert!(out.len() >= 9);
    // Lose the second datagram.
    let lost = out.remove(1);
    deliver(&mut b, out);
    assert_eq!(drain(&mut b), vec![Delivery::Message(b"one".to_vec())]);
    // b acks, a resends after the RTO.
    let mut acks = Vec::new();
    b.drive(now, true, &mut |d| acks.push(d.to_vec()));
    deliver(&mut a, acks);
    let mut again = Vec::new();
    a.drive(now + Duration::from_millis(300), false, &mut |d| {
        again.push(d.to_vec())
    });
    assert_eq!(again.len(), 1, "only the lost chunk is resent");
    assert_ne!(again[0], lost, "a resend is a new datagram");
    deliver(&mut b, again.clone());
    assert_eq!(
        drain(&mut b),
        vec![Delivery::Message(big), Delivery::Message(b"three".to_vec())]
    );
    // A replayed datagram is refused.
    let (h, _) = Header::decode(&again[0]).unwrap();
    assert_eq!(b.receive(&h, &again[0], now), Err(Dropped::Replayed));
}

#[test]
fn abandoned_messages_become_a_loss_count() {
    let (mut a, mut b) = pair();
    let t0 = Instant::now();
    for i in 0..3u8 {
        a.tx.push(vec![i; 2000], true, t0).unwrap();
    }
    let mut out = Vec::new();
    a.drive(t0, false, &mut |d| out.push(d.to_vec()));
    // Nothing of messages 0..3 arrives. A peer that acks nothing is only slow (its
    // output is paused): no abandonment however long it takes.
    let later = t0 + Duration::from_secs(30);
    a.drive(later, false, &mut |_| {});
    assert_eq!(a.tx.abandoned_chunks, 0);
    // The peer acks newer chunks, copy after copy of the old ones is lost: given up.
    let mut t = later;
    let mut probes = 0;
    for _ in 0..200 {
        t += Duration::from_millis(300);
        a.drive(t, false, &mut |_| {});
        if a.tx.abandoned_chunks > 0 {
            break;
        }
        let t1 = t + Duration::from_millis(1);
        a.tx.push(b"probe".to_vec(), true, t1).unwrap();
        let mut sent = Vec::new();
        a.drive(t1, false, &mut |d| sent.push(d.to_vec()));
        probes += 1;
        deliver(&mut b, vec![sent.last().unwrap().clone()]);
        let mut acks = Vec::new();
        b.drive(t1, true, &mut |d| acks.push(d.to_vec()));
        for d in acks {
            let (h, _) = Header::decode(&d).unwrap();
            a.receive(&h, &d, t1 + Duration::from_millis(1)).unwrap();
        }
    }
    assert!(a.tx.abandoned_chunks > 0);
    assert!(probes >= ABANDON_OVERTAKEN, "{probes}");
    // The next chunk carries the new base: the receiver learns the loss.
    a.tx.push(b"after".to_vec(), true, t).unwrap();
    let mut more = Vec::new();
    a.drive(t, false, &mut |d| more.push(d.to_vec()));
    deliver(&mut b, more);
    let mut want = vec![Delivery::Lost(3)];
    want.extend((0..probes).map(|_| Delivery::Message(b"probe".to_vec())));
    want.push(Delivery::Message(b"after".to_vec()));
    assert_eq!(drain(&mut b), want);
}

#[test]
fn hostile_bases_are_violations_not_hangs() {
    for (id, base_chunk, base_seq) in [
        (5, 6, 0),
        (u64::MAX, 0, 0),
        (1, 0, u64::MAX),
        (u64::MAX, u64::MAX, 0),
    ] {
        let mut r = Receiver::new(1000);
        let mut buf = Vec::new();
        let mut b = PayloadBuilder::new(&mut buf, None, false);
        b.chunk(id, base_chunk, base_seq);
        let p = Payload::decode(&buf).unwrap();
        assert!(
            r.on_chunk(&p.chunk.unwrap()).is_err(),
            "{id} {base_chunk} {base_seq}"
        );
    }
    // A large but legal skip is counted at once.
    let mut r = Receiver::new(1000);
    let mut buf = Vec::new();
    let mut b = PayloadBuilder::new(&mut buf, None, false);
    b.chunk(0, 0, 1 << 31);
    let p = Payload::decode(&buf).unwrap();
    r.on_chunk(&p.chunk.unwrap()).unwrap();
    assert_eq!(r.pop(), Some(Delivery::Lost(1 << 31)));
    assert_eq!(r.pop(), None);
}

/// One-byte fragments of distinct messages cost far more than a byte each: the limit
/// counts what they cost, and the number of partial messages is capped.
#[test]
fn overhead_of_tiny_fragments_counts_against_the_limit() {
    let tiny = |r: &mut Receiver, id: u64, seqs: std::ops::Range<u64>| {
        let mut buf = Vec::new();
        let mut b = PayloadBuilder::new(&mut buf, None, false);
        b.chunk(id, 0, 0);
        for seq in seqs {
            b.frag(&Frag {
                seq,
                idx: 0,
                count: 2,
                data: &[1],
            });
        }
        let p = Payload::decode(&buf).unwrap();
        r.on_chunk(&p.chunk.unwrap())
    };
    let mut r = Receiver::new(64 * 1024);
    let mut id = 0;
    let mut seq = 0;
    let err = loop {
        if let Err(e) = tiny(&mut r, id, seq..seq + 70) {
            break e;
        }
        id += 1;
        seq += 70;
        assert!(seq < 10_000, "65 KiB held in {seq} one-byte fragments");
    };
    assert_eq!(err, Violation("peer exceeded the receive buffer"));
    assert!(seq * (PARTIAL_COST as u64) <= 64 * 1024 + 70 * PARTIAL_COST as u64);
    let mut r = Receiver::new(1 << 20).max_partial(16);
    assert!(tiny(&mut r, 0, 0..16).is_ok());
    assert_eq!(
        tiny(&mut r, 1, 16..17),
        Err(Violation("peer exceeded the partial messages limit"))
    );
}

#[test]
fn receiver_bounds_its_buffer() {
    let mut r = Receiver::new(100);
    let mut buf = Vec::new();
    let mut b = PayloadBuilder::new(&mut buf, None, false);
    b.chunk(0, 0, 0);
    b.frag(&Frag {
        seq: 5,
        idx: 0,
        count: 9,
        data: &[1; 200],
    });
    let p = Payload::decode(&buf).unwrap();
    assert!(r.on_chunk(&p.chunk.unwrap()).is_err());
}
