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

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use super::crypto::{Opener, ReplayWindow, Sealer};
use super::wire::{
    self, Ack, Frag, Header, Kind, Payload, PayloadBuilder, ACK_BITS, CHUNK_ROOM, FRAG_HEAD_LEN,
    HEADER_LEN, VERSION,
};

/// Chunks in flight per direction: the window the ack bitmap covers.
pub const WINDOW: usize = ACK_BITS;
const RTO_INITIAL: Duration = Duration::from_millis(200);
const RTO_MIN: Duration = Duration::from_millis(40);
const RTO_MAX: Duration = Duration::from_secs(2);
/// A partial chunk waits this long for more messages before it goes out anyway.
const NAGLE: Duration = Duration::from_millis(2);
/// Acks are delayed until this many chunks arrived, or the next tick.
const ACK_EVERY: u32 = 4;
const FRAG_ROOM: usize = CHUNK_ROOM - FRAG_HEAD_LEN;
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

#[derive(Debug)]
struct InFlight {
    frags: Vec<u8>,
    min_seq: u64,
    first_sent: Instant,
    sent: Instant,
    rto: Duration,
    tries: u32,
    /// Later chunks were acked and this one not: resend without waiting for the RTO.
    fast: bool,
    /// The copy now on the wire was overtaken: a chunk sent after it was acked, it was not.
    copy_overtaken: bool,
    /// How many copies were overtaken: evidence that this chunk, not the peer, is the problem.
    overtaken: u32,
}

/// RFC 6298 style smoothed RTT.
#[derive(Debug, Clone, Copy)]
struct Rtt {
    srtt: Option<Duration>,
    rttvar: Duration,
}

impl Rtt {
    fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                let diff = s.abs_diff(r);
                self.rttvar = (self.rttvar * 3 + diff) / 4;
                self.srtt = Some((s * 7 + r) / 8);
            }
        }
    }

    fn rto(&self) -> Duration {
        match self.srtt {
            None => RTO_INITIAL,
            Some(s) => (s + self.rttvar * 4).clamp(RTO_MIN, RTO_MAX),
        }
    }
}

/// The sending half: queue of messages, chunks in flight.
#[derive(Debug)]
pub struct Sender {
    next_seq: u64,
    next_chunk: u64,
    /// Messages not yet (fully) packed: (seq, bytes, next fragment index, fragment count).
    queue: VecDeque<(u64, Vec<u8>, u16, u16)>,
    queued_bytes: usize,
    oldest_queued: Option<Instant>,
    inflight: BTreeMap<u64, InFlight>,
    rtt: Rtt,
    flush: bool,
    /// Next time the in-flight list is worth scanning for resends (a scan per record would
    /// cost O(window) on the hot path).
    scan_at: Option<Instant>,
    /// When an ack last acked something new: the peer is reading.
    last_progress: Option<Instant>,
    /// Congestion window in chunks (AIMD): grows as acks come, halves on loss, so a burst never
    /// overruns a socket buffer or a slow link for long.
    cwnd: f64,
    last_decrease: Option<Instant>,
    /// When the peer came back from a silence: chunks sent before it say nothing of the RTT.
    resumed_at: Option<Instant>,
    /// Give up on a chunk the peer has not acked for this long (the lease: a peer that is
    /// alive but never acks one chunk should not stall the stream forever).
    abandon_after: Duration,
    pub abandoned_chunks: u64,
    pub resent_chunks: u64,
    /// Resends after a timeout (the rest were detected lost by later acks).
    pub timeouts: u64,
    pub sent_chunks: u64,
}

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    TooLarge,
}

impl Sender {
    pub fn new(abandon_after: Duration) -> Sender {
        Sender {
            next_seq: 0,
            next_chunk: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            oldest_queued: None,
            inflight: BTreeMap::new(),
            rtt: Rtt {
                srtt: None,
                rttvar: Duration::ZERO,
            },
            flush: false,
            scan_at: None,
            last_progress: None,
            resumed_at: None,
            cwnd: CWND_INITIAL,
            last_decrease: None,
            abandon_after,
            abandoned_chunks: 0,
            resent_chunks: 0,
            timeouts: 0,
            sent_chunks: 0,
        }
    }

    /// Queues a message; `urgent` sends it without waiting for more to pack with it.
    pub fn push(&mut self, msg: Vec<u8>, urgent: bool, now: Instant) -> Result<u64, PushError> {
        let count = msg.len().div_ceil(FRAG_ROOM).max(1);
        let count = u16::try_from(count).map_err(|_| PushError::TooLarge)?;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queued_bytes += msg.len();
        self.queue.push_back((seq, msg, 0, count));
        self.oldest_queued.get_or_insert(now);
        self.flush |= urgent;
        Ok(seq)
    }

    /// Sends what is queued now rather than waiting to fill a chunk.
    pub fn request_flush(&mut self) {
        self.flush = true;
    }

    /// Bytes queued but not yet in flight: what a writer waits on (backpressure).
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Smoothed round-trip time, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.rtt.srtt
    }

    pub fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    /// Everything sent was acked (or abandoned) and nothing waits.
    pub fn idle(&self) -> bool {
        self.queue.is_empty() && self.inflight.is_empty()
    }

    fn base_chunk(&self) -> u64 {
        self.inflight
            .keys()
            .next()
            .copied()
            .unwrap_or(self.next_chunk)
    }

    fn base_seq(&self) -> u64 {
        let q = self.queue.front().map(|m| m.0).unwrap_or(self.next_seq);
        self.inflight
            .values()
            .map(|c| c.min_seq)
            .min()
            .unwrap_or(q)
            .min(q)
    }

    pub fn on_ack(&mut self, ack: &Ack, now: Instant) {
        // Only chunks we sent can be acked; ids beyond are ignored (a confused peer).
        let acked: Vec<u64> = self
            .inflight
            .keys()
            .copied()
            .filter(|id| ack.has(*id))
            .collect();
        if !acked.is_empty() {
            if self
                .last_progress
                .is_some_and(|p| now.saturating_duration_since(p) > STALL)
            {
                // The peer is back after a silence (its output was paused, the path was down).
                // What it has not acked yet may be sitting in its socket buffer: restart every
                // timer from now instead of resending the whole window at once, and take no
                // RTT sample from chunks that waited out the silence.
                let rto = self.rtt.rto();
                for c in self.inflight.values_mut() {
                    c.sent = now;
                    c.rto = rto;
                    c.copy_overtaken = false;
                    c.fast = false;
                }
                self.resumed_at = Some(now);
            } else {
                self.detect_losses(ack, &acked, now);
            }
            self.last_progress = Some(now);
        }
        for _ in &acked {
            // Slow start below half the window, then one chunk per window's worth of acks.
            let inc = if self.cwnd < (WINDOW / 2) as f64 {
                1.0
            } else {
                1.0 / self.cwnd
            };
            self.cwnd = (self.cwnd + inc).min(WINDOW as f64);
        }
        for id in acked {
            if let Some(c) = self.inflight.remove(&id) {
                // Karn: only chunks sent once give an unambiguous sample; and none that waited
                // out a silence of the peer (a paused reader is not a slow network).
                if c.tries == 1 && self.resumed_at.is_none_or(|r| c.sent >= r) {
                    self.rtt.sample(now.saturating_duration_since(c.sent));
                }
            }
        }
    }

    /// Halves the window, at most once per round trip (one loss event, not one per chunk).
    fn on_loss(&mut self, now: Instant) {
        let rtt = self.rtt.srtt.unwrap_or(RTO_INITIAL);
        if self
            .last_decrease
            .is_none_or(|t| now.saturating_duration_since(t) > rtt)
        {
            self.cwnd = (self.cwnd / 2.0).max(CWND_MIN);
            self.last_decrease = Some(now);
        }
    }

    /// Time-based loss detection (in the spirit of TCP RACK): a chunk whose copy on the wire
    /// was sent before a chunk the peer has now acked, and that is still unacked a round trip
    /// plus a reordering allowance after it was sent, is lost: resend it without waiting for
    /// the RTO. Judging by send time, not by id, keeps resent copies from looking lost just
    /// because higher ids were acked first.
    fn detect_losses(&mut self, ack: &Ack, acked: &[u64], now: Instant) {
        // Only chunks sent once say when the acked copy left: a resent chunk's ack may be for
        // its first copy, and taking its last send time would call everything before it lost.
        let Some(newest) = acked
            .iter()
            .filter_map(|id| self.inflight.get(id))
            .filter(|c| c.tries == 1)
            .map(|c| c.sent)
            .max()
        else {
            return;
        };
        let srtt = self.rtt.srtt.unwrap_or(RTO_INITIAL);
        let allowance = srtt + (srtt / 4).max(Duration::from_millis(1));
        for (id, c) in self.inflight.iter_mut() {
            if ack.has(*id) || newest <= c.sent {
                continue;
            }
            if !c.copy_overtaken {
                c.copy_overtaken = true;
                c.overtaken += 1;
            }
            if !c.fast && now.saturating_duration_since(c.sent) >= allowance {
                c.fast = true;
                self.scan_at = None;
            }
        }
    }

    /// The next chunk to put on the wire, if any: a retransmission due, or a new chunk.
    /// Returns (id, base_chunk, base_seq, fragment bytes).
    fn next_chunk_to_send(&mut self, now: Instant) -> Option<(u64, u64, u64, Vec<u8>)> {
        if self.scan_at.is_none_or(|t| now >= t) {
            if let Some(r) = self.resend(now) {
                return Some(r);
            }
            self.scan_at = Some(now + SCAN_EVERY);
        }
        self.new_chunk(now)
    }

    fn resend(&mut self, now: Instant) -> Option<(u64, u64, u64, Vec<u8>)> {
        // Abandon a chunk only on strong evidence that it, not the peer, is the problem: tried
        // for longer than abandon_after, and copy after copy overtaken by later chunks that
        // the peer did ack. A peer that reads nothing (its output is paused) overtakes nothing:
        // that is backpressure, never loss.
        let stale: Vec<u64> = self
            .inflight
            .iter()
            .filter(|(_, c)| {
                now.saturating_duration_since(c.first_sent) > self.abandon_after
                    && c.copy_overtaken
                    && c.overtaken >= ABANDON_OVERTAKEN
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            self.inflight.remove(&id);
            self.abandoned_chunks += 1;
        }
        let due = self
            .inflight
            .iter()
            .find(|(_, c)| c.fast || now.saturating_duration_since(c.sent) >= c.rto)
            .map(|(id, _)| *id);
        if let Some(id) = due {
            self.on_loss(now);
            let (base_chunk, base_seq) = (self.base_chunk(), self.base_seq());
            let c = self.inflight.get_mut(&id)?;
            c.tries += 1;
            self.resent_chunks += 1;
            c.sent = now;
            c.copy_overtaken = false;
            // A fast resend keeps its timer; a timeout backs off.
            if !std::mem::take(&mut c.fast) {
                c.rto = (c.rto * 2).min(RTO_MAX);
                self.timeouts += 1;
            }
            return Some((id, base_chunk, base_seq, c.frags.clone()));
        }
        None
    }

    fn new_chunk(&mut self, now: Instant) -> Option<(u64, u64, u64, Vec<u8>)> {
        // The window is in chunk ids, as the receiver's bitmap is: a chunk beyond
        // base + WINDOW would be dropped by the receiver however few are in flight.
        if self.queue.is_empty()
            || self.next_chunk >= self.base_chunk() + WINDOW as u64
            || self.inflight.len() as f64 >= self.cwnd
        {
            return None;
        }
        let aged = self
            .oldest_queued
            .is_some_and(|t| now.saturating_duration_since(t) >= NAGLE);
        if !(self.flush || aged || self.queued_bytes >= CHUNK_ROOM) {
            return None;
        }
        let mut frags = Vec::with_capacity(CHUNK_ROOM);
        let mut min_seq = u64::MAX;
        while let Some((seq, msg, idx, count)) = self.queue.front_mut() {
            let room = CHUNK_ROOM - frags.len();
            if room <= FRAG_HEAD_LEN {
                break;
            }
            let start = *idx as usize * FRAG_ROOM;
            let len = (msg.len() - start).min(FRAG_ROOM);
            if len > room - FRAG_HEAD_LEN {
                // The fragment does not fit what is left: next chunk (fragments are fixed-size
                // so the receiver can count them from the length alone).
                break;
            }
            let f = Frag {
                seq: *seq,
                idx: *idx,
                count: *count,
                data: &msg[start..start + len],
            };
            wire::encode_frag(&mut frags, &f);
            min_seq = min_seq.min(*seq);
            *idx += 1;
            if *idx == *count {
                self.queued_bytes -= msg.len();
                self.queue.pop_front();
            }
        }
        if frags.is_empty() {
            return None;
        }
        if self.queue.is_empty() {
            self.oldest_queued = None;
            self.flush = false;
        } else {
            self.oldest_queued = Some(now);
        }
        let id = self.next_chunk;
        self.next_chunk += 1;
        self.sent_chunks += 1;
        let rto = self.rtt.rto();
        self.inflight.insert(
            id,
            InFlight {
                frags: frags.clone(),
                min_seq,
                first_sent: now,
                sent: now,
                rto,
                tries: 1,
                fast: false,
                copy_overtaken: false,
                overtaken: 0,
            },
        );
        Some((id, self.base_chunk(), self.base_seq(), frags))
    }
}

/// What the receiver hands up, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    Message(Vec<u8>),
    /// This many messages will never come (the sender abandoned them).
    Lost(u64),
}

#[derive(Debug, Default)]
struct Partial {
    count: u16,
    frags: BTreeMap<u16, Vec<u8>>,
}

/// The receiving half: chunk acks, fragment reassembly, in-order delivery.
#[derive(Debug)]
pub struct Receiver {
    next_chunk: u64,
    above: BTreeSet<u64>,
    next_seq: u64,
    forget_below: u64,
    /// One past the highest message seq seen in any fragment.
    seen_below: u64,
    partial: BTreeMap<u64, Partial>,
    /// Bytes held, counted as memory: data plus [`PARTIAL_COST`] and [`FRAG_COST`].
    buffered: usize,
    max_buffered: usize,
    /// Messages being reassembled at most (a client's messages are few and small).
    max_partial: usize,
    acks_owed: u32,
    ack_now: bool,
}

/// The peer broke the protocol (authenticated, so it is a bug or a hostile key holder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub &'static str);

impl Receiver {
    /// `max_buffered`: bytes of out-of-order and partial messages held at most.
    pub fn new(max_buffered: usize) -> Receiver {
        Receiver {
            next_chunk: 0,
            above: BTreeSet::new(),
            next_seq: 0,
            forget_below: 0,
            seen_below: 0,
            partial: BTreeMap::new(),
            buffered: 0,
            max_buffered,
            max_partial: usize::MAX,
            acks_owed: 0,
            ack_now: false,
        }
    }

    /// Caps the number of messages held incomplete.
    pub fn max_partial(mut self, n: usize) -> Receiver {
        self.max_partial = n;
        self
    }

    /// Bytes held now, as counted against the limit.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    pub fn ack(&self) -> Ack {
        let mut bitmap = [0u8; ACK_BITS / 8];
        for id in self.above.iter() {
            let off = id - self.next_chunk - 1;
            if (off as usize) < ACK_BITS {
                bitmap[off as usize / 8] |= 1 << (off % 8);
            }
        }
        Ack {
            next: self.next_chunk,
            bitmap,
        }
    }

    pub fn on_chunk(&mut self, c: &wire::ChunkRef<'_>) -> Result<(), Violation> {
        // Sanity before arithmetic: a sender's bases never pass its own chunk, and nothing may
        // jump so far that counting up to it would wrap or take forever.
        if c.base_chunk > c.id || c.id.saturating_sub(self.next_chunk) > MAX_JUMP {
            return Err(Violation("chunk ids jump too far"));
        }
        if c.base_seq.saturating_sub(self.next_seq) > MAX_JUMP {
            return Err(Violation("message sequence jumps too far"));
        }
        // The sender gave up on chunks below base_chunk: stop waiting for them.
        if c.base_chunk > self.next_chunk {
            self.next_chunk = c.base_chunk;
            self.above = self.above.split_off(&self.next_chunk);
            self.advance();
        }
        self.forget_below = self.forget_below.max(c.base_seq);
        let fresh = c.id >= self.next_chunk
            && !self.above.contains(&c.id)
            && c.id <= self.next_chunk + ACK_BITS as u64;
        if !fresh {
            // A duplicate (our ack was lost) or beyond the window: say what we have, now.
            self.ack_now = true;
            return Ok(());
        }
        if c.id != self.next_chunk {
            // A gap: tell the sender early so it can resend.
            self.ack_now = true;
        }
        for f in c.frags() {
            if f.seq < self.next_seq {
                continue;
            }
            if f.seq - self.next_seq > MAX_JUMP {
                return Err(Violation("message sequence jumps too far"));
            }
            self.seen_below = self.seen_below.max(f.seq.saturating_add(1));
            if !self.partial.contains_key(&f.seq) {
                if self.partial.len() >= self.max_partial {
                    return Err(Violation("peer exceeded the partial messages limit"));
                }
                self.buffered += PARTIAL_COST;
            }
            let p = self.partial.entry(f.seq).or_insert_with(|| Partial {
                count: f.count,
                frags: BTreeMap::new(),
            });
            if p.count != f.count {
                return Err(Violation("fragment count changed"));
            }
            if let std::collections::btree_map::Entry::Vacant(v) = p.frags.entry(f.idx) {
                self.buffered += f.data.len() + FRAG_COST;
                if self.buffered > self.max_buffered {
                    return Err(Violation("peer exceeded the receive buffer"));
                }
                v.insert(f.data.to_vec());
            }
        }
        self.above.insert(c.id);
        self.advance();
        self.acks_owed += 1;
        if self.acks_owed >= ACK_EVERY {
            self.ack_now = true;
        }
        Ok(())
    }

    fn advance(&mut self) {
        while self.above.remove(&self.next_chunk) {
            self.next_chunk += 1;
        }
    }

    /// The next message in order, or a loss count, or nothing yet.
    pub fn pop(&mut self) -> Option<Delivery> {
        let mut lost = 0;
        loop {
            let complete = self
                .partial
                .get(&self.next_seq)
                .is_some_and(|p| p.frags.len() == p.count as usize);
            if complete {
                if lost > 0 {
                    return Some(Delivery::Lost(lost));
                }
                let p = self.partial.remove(&self.next_seq)?;
                self.next_seq += 1;
                let mut out = Vec::with_capacity(p.frags.values().map(Vec::len).sum());
                self.buffered -= PARTIAL_COST;
                for (_, d) in p.frags {
                    self.buffered -= d.len() + FRAG_COST;
                    out.extend_from_slice(&d);
                }
                return Some(Delivery::Message(out));
            }
            if self.next_seq < self.forget_below {
                if let Some(p) = self.partial.remove(&self.next_seq) {
                    self.buffered -=
                        PARTIAL_COST + p.frags.values().map(|d| d.len() + FRAG_COST).sum::<usize>();
                    self.next_seq += 1;
                    lost += 1;
                    continue;
                }
                // Skip the whole run of absent messages at once (never one by one: the run
                // may be long).
                let next_present = self.partial.range(self.next_seq..).next().map(|(k, _)| *k);
                let to = next_present.map_or(self.forget_below, |k| k.min(self.forget_below));
                lost += to - self.next_seq;
                self.next_seq = to;
                continue;
            }
            return (lost > 0).then_some(Delivery::Lost(lost));
        }
    }

    /// We stop waiting (the user hurried, the peer went silent): every message not complete
    /// below the highest one seen becomes a loss, and what is complete is still delivered.
    pub fn give_up(&mut self) {
        self.forget_below = self.forget_below.max(self.seen_below);
    }

    fn take_ack_due(&mut self, tick: bool) -> bool {
        let due = self.ack_now || (tick && self.acks_owed > 0);
        if due {
            self.ack_now = false;
            self.acks_owed = 0;
        }
        due
    }
}

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

#[cfg(test)]
mod tests {
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
}
