//! Reliable, ordered messages over datagrams, both ways, with bounded buffers.
//!
//! - A *message* (a Spec, a Record, a Stop) gets a sequence number and is split into
//!   fragments when it does not fit one datagram.
//! - Fragments are packed into *chunks*: the unit that is acked, resent with backoff, and, after
//!   the peer has ignored it for a long time, abandoned. Each retransmission goes out in a new
//!   datagram (new counter), never a copy of an old one.
//! - The receiver acks cumulatively plus a bitmap of the window above, delivers messages in
//!   sequence order, and learns from the sender's `base_seq` which gaps will never be filled:
//!   those become a loss count (the client turns it into a `lost` record).
//! - [`Conn`] ties it to one session's keys: opening, replay check, sealing, acks, heartbeats.
//!
//! [`sender`] is the sending half, [`receiver`] the receiving half; this file holds the
//! shared limits and [`Conn`].

mod receiver;
mod sender;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use super::crypto::{Opener, ReplayWindow, Sealer};
use super::wire::{
    self, Ack, Frag, Header, Kind, Payload, PayloadBuilder, ACK_BITS, CHUNK_ROOM, FRAG_HEAD_LEN,
    HEADER_LEN, VERSION,
};

pub use receiver::{Delivery, Receiver, Violation};
pub use sender::{PushError, Sender};

/// Chunks in flight per direction: the window the ack bitmap covers.
pub const WINDOW: usize = ACK_BITS;
const RTO_INITIAL: Duration = Duration::from_millis(200);
const RTO_MIN: Duration = Duration::from_millis(40);
const RTO_MAX: Duration = Duration::from_secs(2);
/// A partial chunk waits this long for more messages before it goes out anyway.
const NAGLE: Duration = Duration::from_millis(2);
/// Acks are delayed until this many chunks arrived, or the next tick.
const ACK_EVERY: u32 = 4;
/// Data bytes of one fragment: a message of this size or less travels in one datagram.
pub const FRAG_ROOM: usize = CHUNK_ROOM - FRAG_HEAD_LEN;
const CWND_INITIAL: f64 = 32.0;
const CWND_MIN: f64 = 8.0;
/// Largest step a peer may make a counter jump ahead (chunk ids, message seqs).
const MAX_JUMP: u64 = 1 << 32;
/// What holding one partial message costs beyond its data: its map entry and the first node
/// of its fragment map (measured: ~400 bytes with one 1-byte fragment).
const PARTIAL_COST: usize = 512;
/// What one held fragment costs beyond its data: its entry and its allocation (~60 bytes).
const FRAG_COST: usize = 64;
/// Copies of one chunk that must be overtaken by acked later chunks before it is abandoned.
const ABANDON_OVERTAKEN: u32 = 8;
/// No ack progress for this long counts as a silence (see `on_ack`).
const STALL: Duration = Duration::from_millis(500);
/// Resends are looked for at most this often (and at once after an ack showed a gap).
const SCAN_EVERY: Duration = Duration::from_millis(1);

/// Which side of a session this is: decides the keys and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Agent,
}

/// Why an incoming datagram was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    Replayed,
    Unauthentic,
    Malformed,
    Violation(&'static str),
}

/// One end of an established session.
pub struct Conn {
    pub session: u64,
    sealer: Sealer,
    opener: Opener,
    replay: ReplayWindow,
    pub tx: Sender,
    pub rx: Receiver,
    pub last_heard: Instant,
    last_sent: Instant,
    heartbeat: Duration,
    plain: Vec<u8>,
    out: Vec<u8>,
    pub peer_closed: bool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("session", &self.session)
            .finish()
    }
}

/// Sizes and times a Conn runs with.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub max_buffered: usize,
    /// Messages held incomplete at most.
    pub max_partial: usize,
    pub heartbeat: Duration,
    pub abandon_after: Duration,
}

impl Conn {
    pub fn new(
        role: Role,
        keys: &super::crypto::SessionKeys,
        limits: ConnLimits,
        now: Instant,
    ) -> Conn {
        // Noise's transport state knows which side it is: the role picks nothing here.
        let _ = role;
        Conn {
            session: keys.session,
            sealer: Sealer::new(keys),
            opener: Opener::new(keys),
            replay: ReplayWindow::default(),
            tx: Sender::new(limits.abandon_after),
            rx: Receiver::new(limits.max_buffered).max_partial(limits.max_partial),
            last_heard: now,
            last_sent: now,
            heartbeat: limits.heartbeat,
            plain: Vec::with_capacity(wire::MAX_PAYLOAD + wire::TAG_LEN),
            out: Vec::with_capacity(wire::MAX_DATAGRAM),
            peer_closed: false,
        }
    }

    /// Opens and applies one Data datagram (whole datagram in `raw`).
    pub fn receive(&mut self, h: &Header, raw: &[u8], now: Instant) -> Result<(), Dropped> {
        // Noise's transport has no associated data; the header is bound all the same: the
        // counter is the nonce, the session picks the key, and the rest must be constant.
        if h.version != VERSION || h.kind != Kind::Data || h.session != self.session {
            return Err(Dropped::Malformed);
        }
        if !self.replay.check(h.counter) {
            return Err(Dropped::Replayed);
        }
        let sealed = &raw[HEADER_LEN..];
        let mut plain = std::mem::take(&mut self.plain);
        let ok = self.opener.open(h.counter, sealed, &mut plain);
        let r = if ok {
            self.replay.commit(h.counter);
            self.last_heard = now;
            self.apply(&plain, now)
        } else {
            Err(Dropped::Unauthentic)
        };
        self.plain = plain;
        r
    }

    fn apply(&mut self, plain: &[u8], now: Instant) -> Result<(), Dropped> {
        let p = Payload::decode(plain).map_err(|_| Dropped::Malformed)?;
        if let Some(a) = &p.ack {
            self.tx.on_ack(a, now);
        }
        if let Some(c) = &p.chunk {
            self.rx.on_chunk(c).map_err(|v| Dropped::Violation(v.0))?;
        }
        self.peer_closed |= p.close;
        Ok(())
    }

    /// Puts on the wire what is due: chunks (new or resent, each carrying an ack), a bare ack,
    /// or a heartbeat. `tick` marks a periodic call (flushes delayed acks).
    pub fn drive(&mut self, now: Instant, tick: bool, send: &mut dyn FnMut(&[u8])) {
        let mut sent_any = false;
        // Bound the burst per call so one session cannot starve the others.
        for _ in 0..64 {
            let Some((id, base_chunk, base_seq)) = self.next_frags(now) else {
                break;
            };
            let ack = self.rx.ack();
            let _ = self.rx.take_ack_due(true);
            let frags = std::mem::take(&mut self.out);
            self.build(Some(&ack), Some((id, base_chunk, base_seq, &frags)), false);
            self.out = frags;
            self.seal_and_send(send);
            sent_any = true;
        }
        if !sent_any
            && (self.rx.take_ack_due(tick)
                || now.saturating_duration_since(self.last_sent) >= self.heartbeat)
        {
            let ack = self.rx.ack();
            self.build(Some(&ack), None, false);
            self.seal_and_send(send);
        }
        if sent_any {
            self.last_sent = now;
        }
    }

    /// An ack right now (also how the agent confirms a new session).
    pub fn send_ack(&mut self, send: &mut dyn FnMut(&[u8])) {
        let ack = self.rx.ack();
        self.build(Some(&ack), None, false);
        self.seal_and_send(send);
    }

    /// Leaves the session: a datagram with the close flag (sent twice; it is not resent).
    pub fn send_close(&mut self, send: &mut dyn FnMut(&[u8])) {
        for _ in 0..2 {
            let ack = self.rx.ack();
            self.build(Some(&ack), None, true);
            self.seal_and_send(send);
        }
    }

    fn next_frags(&mut self, now: Instant) -> Option<(u64, u64, u64)> {
        let (id, bc, bs, frags) = self.tx.next_chunk_to_send(now)?;
        self.out = frags;
        Some((id, bc, bs))
    }

    fn build(&mut self, ack: Option<&Ack>, chunk: Option<(u64, u64, u64, &[u8])>, close: bool) {
        let mut b = PayloadBuilder::new(&mut self.plain, ack, close);
        if let Some((id, bc, bs, frags)) = chunk {
            b.chunk(id, bc, bs);
            self.plain.extend_from_slice(frags);
        }
    }

    fn seal_and_send(&mut self, send: &mut dyn FnMut(&[u8])) {
        let h = Header {
            version: VERSION,
            kind: Kind::Data,
            session: self.session,
            counter: self.sealer.next_counter(),
        };
        let hb = h.to_bytes();
        self.sealer.seal(&mut self.plain);
        self.out.clear();
        self.out.extend_from_slice(&hb);
        self.out.extend_from_slice(&self.plain);
        send(&self.out);
        self.last_sent = Instant::now();
    }
}
