//! The sending half: messages queued, fragmented into chunks, sent within the congestion
//! window, resent with backoff, abandoned after long neglect.

use super::*;

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
    pub(super) fn next_chunk_to_send(&mut self, now: Instant) -> Option<(u64, u64, u64, Vec<u8>)> {
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
