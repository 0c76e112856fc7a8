//! The receiving half: chunk acks, fragment reassembly, in-order delivery, loss counting.

use super::*;

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

    pub(super) fn take_ack_due(&mut self, tick: bool) -> bool {
        let due = self.ack_now || (tick && self.acks_owed > 0);
        if due {
            self.ack_now = false;
            self.acks_owed = 0;
        }
        due
    }
}
