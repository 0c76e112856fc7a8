//! The bytes on the wire: the fixed, versioned header, the handshake bodies, and the plaintext
//! of an authenticated datagram (an optional ack and an optional chunk of message fragments).
//!
//! Decoding is one bounds-checked pass over a borrowed buffer. Nothing here allocates in
//! proportion to a length the sender declared: fragments borrow from the datagram, and every
//! declared length is checked against the bytes actually present before it is used.
//! docs/protocol.md is the normative description; keep the two in step.

/// First four bytes of every datagram.
pub const MAGIC: [u8; 4] = *b"LKTR";
/// Protocol version in the header. A peer with another version gets a `Version` reply. Goes up
/// whenever the messages change, including the set or shape of Specs and Records (3: the Noise
/// handshake with Accept/Refused, and the tool's name before its Spec, validated Spec fields;
/// 4: records binary and batched, `batch.rs`; 9: the funclatency tool, histogram `time`).
pub const VERSION: u8 = 9;
/// magic(4) version(1) type(1) reserved(2) session(8) counter(8).
pub const HEADER_LEN: usize = 24;
/// The AEAD tag appended to every sealed body.
pub const TAG_LEN: usize = 16;
/// Largest plaintext in one datagram: fits any path MTU (1280 for IPv6) with headers.
pub const MAX_PAYLOAD: usize = 1200;
/// Largest datagram we ever send or accept: header + payload + tag + auth fields.
pub const MAX_DATAGRAM: usize = HEADER_LEN + 72 + MAX_PAYLOAD + TAG_LEN;
/// A Hello is padded to exactly this size, so the Cookie answer (smaller) never amplifies.
pub const HELLO_LEN: usize = 256;
/// The agent's cookie: HMAC-SHA256 of the client's address and the agent's time.
pub const COOKIE_LEN: usize = 32;
/// Cookie body: agent time (8) + cookie (32).
pub const COOKIE_BODY_LEN: usize = 8 + COOKIE_LEN;
/// Noise `NNpsk0` first message with an empty payload: the client's ephemeral key (32) and the
/// tag of the empty payload (16).
pub const NOISE_MSG1_LEN: usize = 32 + TAG_LEN;
/// Auth: header, the echoed cookie time and cookie, Noise message 1. Exactly this long.
pub const AUTH_LEN: usize = HEADER_LEN + COOKIE_BODY_LEN + NOISE_MSG1_LEN;
/// Noise message 2 with the session id as payload: ephemeral (32), sealed id (8 + 16).
pub const NOISE_MSG2_LEN: usize = 32 + 8 + TAG_LEN;
/// Accept: header and Noise message 2. Smaller than the Auth it answers.
pub const ACCEPT_LEN: usize = HEADER_LEN + NOISE_MSG2_LEN;
/// Refused: header and a reason byte.
pub const REFUSED_LEN: usize = HEADER_LEN + 1;

/// Datagram types (header byte 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Client → agent, unauthenticated: zero padding to [`HELLO_LEN`] (the size is the point).
    Hello = 1,
    /// Agent → client: a stateless challenge (time + cookie), smaller than the Hello.
    Cookie = 2,
    /// Client → agent: echoes the cookie, and Noise message 1 (which opens only with the PSK).
    Auth = 3,
    /// Either way, inside a session: sealed [`Payload`].
    Data = 4,
    /// Agent → client, in answer to a Hello of another version: header only.
    Version = 5,
    /// Agent → client: Noise message 2; the session exists (open once the client's Data is).
    Accept = 6,
    /// Agent → client, in answer to an Auth with a valid cookie: why no session (a reason byte).
    Refused = 7,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Hello,
            2 => Kind::Cookie,
            3 => Kind::Auth,
            4 => Kind::Data,
            5 => Kind::Version,
            6 => Kind::Accept,
            7 => Kind::Refused,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub kind: Kind,
    pub session: u64,
    pub counter: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("datagram too short")]
    Short,
    #[error("datagram too long")]
    Long,
    #[error("bad magic")]
    Magic,
    #[error("unknown datagram type")]
    Kind,
    #[error("reserved bits set")]
    Reserved,
    #[error("malformed body")]
    Body,
}

impl Header {
    pub fn encode(&self, out: &mut [u8; HEADER_LEN]) {
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = self.version;
        out[5] = self.kind as u8;
        out[6] = 0;
        out[7] = 0;
        out[8..16].copy_from_slice(&self.session.to_be_bytes());
        out[16..24].copy_from_slice(&self.counter.to_be_bytes());
    }

    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        self.encode(&mut b);
        b
    }

    /// Parses the header of any datagram. The version is returned, not checked: the caller
    /// decides whether to answer a Hello of another version.
    pub fn decode(d: &[u8]) -> Result<(Header, &[u8]), DecodeError> {
        if d.len() < HEADER_LEN {
            return Err(DecodeError::Short);
        }
        if d.len() > MAX_DATAGRAM {
            return Err(DecodeError::Long);
        }
        if d[0..4] != MAGIC {
            return Err(DecodeError::Magic);
        }
        let kind = Kind::from_u8(d[5]).ok_or(DecodeError::Kind)?;
        if d[6] != 0 || d[7] != 0 {
            return Err(DecodeError::Reserved);
        }
        let h = Header {
            version: d[4],
            kind,
            session: u64_at(d, 8),
            counter: u64_at(d, 16),
        };
        Ok((h, &d[HEADER_LEN..]))
    }
}

fn u64_at(d: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[at..at + 8]);
    u64::from_be_bytes(b)
}

fn u16_at(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

/// An Auth body: the cookie it echoes and the Noise message that proves the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthBody<'a> {
    pub cookie_time: u64,
    pub cookie: [u8; COOKIE_LEN],
    pub noise: &'a [u8],
}

impl<'a> AuthBody<'a> {
    /// Splits a whole Auth datagram's body; its length is exact.
    pub fn decode(body: &'a [u8]) -> Result<AuthBody<'a>, DecodeError> {
        if body.len() != AUTH_LEN - HEADER_LEN {
            return Err(DecodeError::Body);
        }
        let mut cookie = [0u8; COOKIE_LEN];
        cookie.copy_from_slice(&body[8..COOKIE_BODY_LEN]);
        Ok(AuthBody {
            cookie_time: u64_at(body, 0),
            cookie,
            noise: &body[COOKIE_BODY_LEN..],
        })
    }

    /// The client's ephemeral public key (the first Noise token): the same in every resend of
    /// one handshake, fresh for every new one.
    pub fn client_ephemeral(&self) -> [u8; 32] {
        let mut e = [0u8; 32];
        e.copy_from_slice(&self.noise[..32]);
        e
    }
}

/// Why the agent opened no session for an Auth whose cookie was valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RefuseReason {
    /// As many sessions as the agent takes.
    Full = 1,
    /// As many sessions from this address as the agent takes.
    PerAddress = 2,
    /// Too many handshakes from this address range lately.
    RateLimited = 3,
    /// The agent is shutting down.
    ShuttingDown = 4,
}

impl RefuseReason {
    pub fn from_u8(b: u8) -> Option<RefuseReason> {
        Some(match b {
            1 => RefuseReason::Full,
            2 => RefuseReason::PerAddress,
            3 => RefuseReason::RateLimited,
            4 => RefuseReason::ShuttingDown,
            _ => return None,
        })
    }
}

/// Cookie body: the agent's time and cookie.
pub fn decode_cookie(body: &[u8]) -> Result<(u64, [u8; COOKIE_LEN]), DecodeError> {
    if body.len() != COOKIE_BODY_LEN {
        return Err(DecodeError::Body);
    }
    let mut n = [0u8; COOKIE_LEN];
    n.copy_from_slice(&body[8..]);
    Ok((u64_at(body, 0), n))
}

/// Refused body: the reason byte.
pub fn decode_refused(body: &[u8]) -> Result<RefuseReason, DecodeError> {
    match body {
        [b] => RefuseReason::from_u8(*b).ok_or(DecodeError::Body),
        _ => Err(DecodeError::Body),
    }
}

// ---------------------------------------------------------------------------------------------
// Authenticated payload

const FLAG_ACK: u8 = 1;
const FLAG_CHUNK: u8 = 2;
const FLAG_CLOSE: u8 = 4;
const KNOWN_FLAGS: u8 = FLAG_ACK | FLAG_CHUNK | FLAG_CLOSE;
/// Bits of the selective-ack bitmap: chunks `next+1 ..= next+ACK_BITS` (the window).
pub const ACK_BITS: usize = 256;
const ACK_LEN: usize = 8 + ACK_BITS / 8;
const CHUNK_HEAD_LEN: usize = 8 + 8 + 8;
pub const FRAG_HEAD_LEN: usize = 8 + 2 + 2 + 2;
/// Room for fragments in a payload that also carries an ack.
pub const CHUNK_ROOM: usize = MAX_PAYLOAD - 1 - ACK_LEN - CHUNK_HEAD_LEN;

/// "I have every chunk below `next`, and those whose bit is set above it."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    pub next: u64,
    /// Bit i (byte i/8, bit i%8) = chunk `next + 1 + i` received.
    pub bitmap: [u8; ACK_BITS / 8],
}

impl Ack {
    pub fn has(&self, chunk: u64) -> bool {
        if chunk < self.next {
            return true;
        }
        let off = chunk - self.next;
        if off == 0 || off > ACK_BITS as u64 {
            return false;
        }
        let i = (off - 1) as usize;
        self.bitmap[i / 8] & (1 << (i % 8)) != 0
    }
}

/// One piece of a message: fragment `idx` of `count` of message `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frag<'a> {
    pub seq: u64,
    pub idx: u16,
    pub count: u16,
    pub data: &'a [u8],
}

/// A unit of retransmission: it is acked, resent and abandoned as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRef<'a> {
    pub id: u64,
    /// Every chunk below this is acked or abandoned by the sender: stop waiting for them.
    pub base_chunk: u64,
    /// Every message below this seq is delivered or abandoned: a gap below it is a loss.
    pub base_seq: u64,
    /// The encoded fragments, walked with [`ChunkRef::frags`].
    frags: &'a [u8],
}

impl<'a> ChunkRef<'a> {
    /// The fragments, validated already by [`Payload::decode`].
    pub fn frags(&self) -> FragIter<'a> {
        FragIter { rest: self.frags }
    }
}

pub struct FragIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for FragIter<'a> {
    type Item = Frag<'a>;
    fn next(&mut self) -> Option<Frag<'a>> {
        let (f, rest) = parse_frag(self.rest)?.ok()?;
        self.rest = rest;
        Some(f)
    }
}

/// `None` at the end; `Some(Err)` on a malformed fragment.
fn parse_frag(d: &[u8]) -> Option<Result<(Frag<'_>, &[u8]), DecodeError>> {
    if d.is_empty() {
        return None;
    }
    if d.len() < FRAG_HEAD_LEN {
        return Some(Err(DecodeError::Body));
    }
    let seq = u64_at(d, 0);
    let idx = u16_at(d, 8);
    let count = u16_at(d, 10);
    let len = u16_at(d, 12) as usize;
    let end = FRAG_HEAD_LEN + len;
    if count == 0 || idx >= count || len == 0 || d.len() < end {
        return Some(Err(DecodeError::Body));
    }
    Some(Ok((
        Frag {
            seq,
            idx,
            count,
            data: &d[FRAG_HEAD_LEN..end],
        },
        &d[end..],
    )))
}

/// The plaintext of a Data datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload<'a> {
    pub ack: Option<Ack>,
    pub chunk: Option<ChunkRef<'a>>,
    /// The sender is leaving the session.
    pub close: bool,
}

impl<'a> Payload<'a> {
    pub fn decode(p: &'a [u8]) -> Result<Payload<'a>, DecodeError> {
        if p.is_empty() {
            return Err(DecodeError::Short);
        }
        if p.len() > MAX_PAYLOAD {
            return Err(DecodeError::Long);
        }
        let flags = p[0];
        if flags & !KNOWN_FLAGS != 0 {
            return Err(DecodeError::Reserved);
        }
        let mut rest = &p[1..];
        let ack = if flags & FLAG_ACK != 0 {
            if rest.len() < ACK_LEN {
                return Err(DecodeError::Body);
            }
            let mut bitmap = [0u8; ACK_BITS / 8];
            bitmap.copy_from_slice(&rest[8..ACK_LEN]);
            let a = Ack {
                next: u64_at(rest, 0),
                bitmap,
            };
            rest = &rest[ACK_LEN..];
            Some(a)
        } else {
            None
        };
        let chunk = if flags & FLAG_CHUNK != 0 {
            if rest.len() < CHUNK_HEAD_LEN {
                return Err(DecodeError::Body);
            }
            let frags = &rest[CHUNK_HEAD_LEN..];
            // Validate every fragment now, so the iterator later cannot fail.
            let mut walk = frags;
            while let Some(r) = parse_frag(walk) {
                walk = r?.1;
            }
            let c = ChunkRef {
                id: u64_at(rest, 0),
                base_chunk: u64_at(rest, 8),
                base_seq: u64_at(rest, 16),
                frags,
            };
            rest = &[];
            Some(c)
        } else {
            None
        };
        if !rest.is_empty() {
            return Err(DecodeError::Body);
        }
        Ok(Payload {
            ack,
            chunk,
            close: flags & FLAG_CLOSE != 0,
        })
    }
}

/// Builds a payload into a caller's buffer (no allocation on the hot path).
pub struct PayloadBuilder<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'b> PayloadBuilder<'b> {
    pub fn new(buf: &'b mut Vec<u8>, ack: Option<&Ack>, close: bool) -> PayloadBuilder<'b> {
        buf.clear();
        let mut flags = 0;
        if ack.is_some() {
            flags |= FLAG_ACK;
        }
        if close {
            flags |= FLAG_CLOSE;
        }
        buf.push(flags);
        if let Some(a) = ack {
            buf.extend_from_slice(&a.next.to_be_bytes());
            buf.extend_from_slice(&a.bitmap);
        }
        PayloadBuilder { buf }
    }

    /// Starts the chunk; fragments follow with [`PayloadBuilder::frag`].
    pub fn chunk(&mut self, id: u64, base_chunk: u64, base_seq: u64) {
        self.buf[0] |= FLAG_CHUNK;
        self.buf.extend_from_slice(&id.to_be_bytes());
        self.buf.extend_from_slice(&base_chunk.to_be_bytes());
        self.buf.extend_from_slice(&base_seq.to_be_bytes());
    }

    pub fn frag(&mut self, f: &Frag<'_>) {
        encode_frag(self.buf, f);
    }
}

/// Appends one fragment (its data must be at most [`MAX_PAYLOAD`] bytes).
pub fn encode_frag(buf: &mut Vec<u8>, f: &Frag<'_>) {
    buf.extend_from_slice(&f.seq.to_be_bytes());
    buf.extend_from_slice(&f.idx.to_be_bytes());
    buf.extend_from_slice(&f.count.to_be_bytes());
    buf.extend_from_slice(&(f.data.len() as u16).to_be_bytes());
    buf.extend_from_slice(f.data);
}

/// Every decoding path an unauthenticated datagram can reach, for the fuzz target: the header,
/// the handshake bodies, and (as if it had authenticated) the payload and its fragments.
#[doc(hidden)]
pub fn fuzz_decode(d: &[u8]) {
    if let Ok((h, body)) = Header::decode(d) {
        match h.kind {
            Kind::Hello | Kind::Data | Kind::Version | Kind::Accept => {}
            Kind::Cookie => drop(decode_cookie(body)),
            Kind::Auth => drop(AuthBody::decode(body).map(|a| a.client_ephemeral())),
            Kind::Refused => drop(decode_refused(body)),
        }
    }
    if let Ok(p) = Payload::decode(d) {
        if let Some(c) = p.chunk {
            let n: usize = c.frags().map(|f| f.data.len()).sum();
            assert!(n <= d.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_garbage() {
        let h = Header {
            version: VERSION,
            kind: Kind::Data,
            session: 0x0102030405060708,
            counter: 42,
        };
        let b = h.to_bytes();
        let (back, rest) = Header::decode(&b).unwrap();
        assert_eq!(back, h);
        assert!(rest.is_empty());
        assert_eq!(Header::decode(&b[..23]), Err(DecodeError::Short));
        let mut bad = b;
        bad[0] = b'X';
        assert_eq!(Header::decode(&bad), Err(DecodeError::Magic));
        let mut bad = b;
        bad[5] = 99;
        assert_eq!(Header::decode(&bad), Err(DecodeError::Kind));
        let mut bad = b;
        bad[7] = 1;
        assert_eq!(Header::decode(&bad), Err(DecodeError::Reserved));
        assert_eq!(
            Header::decode(&[0u8; MAX_DATAGRAM + 1]),
            Err(DecodeError::Long)
        );
    }

    #[test]
    fn payload_round_trips() {
        let mut ack = Ack {
            next: 10,
            bitmap: [0; ACK_BITS / 8],
        };
        ack.bitmap[0] = 0b101;
        assert!(ack.has(9) && ack.has(11) && !ack.has(12) && ack.has(13) && !ack.has(10));
        let mut buf = Vec::new();
        let mut b = PayloadBuilder::new(&mut buf, Some(&ack), false);
        b.chunk(7, 3, 100);
        b.frag(&Frag {
            seq: 100,
            idx: 0,
            count: 1,
            data: b"hello",
        });
        b.frag(&Frag {
            seq: 101,
            idx: 1,
            count: 3,
            data: b"x",
        });
        let p = Payload::decode(&buf).unwrap();
        assert_eq!(p.ack, Some(ack));
        let c = p.chunk.unwrap();
        assert_eq!((c.id, c.base_chunk, c.base_seq), (7, 3, 100));
        let frags: Vec<_> = c.frags().collect();
        assert_eq!(frags.len(), 2);
        assert_eq!(frags[0].data, b"hello");
        assert_eq!((frags[1].seq, frags[1].idx, frags[1].count), (101, 1, 3));
    }

    /// What the fuzz target does, as a plain test: random and mutated datagrams never panic.
    #[test]
    fn decoder_survives_random_and_mutated_input() {
        let mut x: u64 = 0x2545f4914f6cdd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut valid = Vec::new();
        let mut b = PayloadBuilder::new(
            &mut valid,
            Some(&Ack {
                next: 1,
                bitmap: [0xff; 32],
            }),
            true,
        );
        b.chunk(1, 0, 0);
        b.frag(&Frag {
            seq: 1,
            idx: 0,
            count: 2,
            data: &[9; 100],
        });
        for i in 0..20_000 {
            let mut d: Vec<u8> = if i % 2 == 0 {
                (0..next() % 1400).map(|_| next() as u8).collect()
            } else {
                let mut d = valid.clone();
                d.truncate((next() % (d.len() as u64 + 1)) as usize);
                d
            };
            if !d.is_empty() {
                let j = (next() % d.len() as u64) as usize;
                d[j] ^= next() as u8;
            }
            fuzz_decode(&d);
            let mut h = Header {
                version: VERSION,
                kind: Kind::Data,
                session: 1,
                counter: 1,
            }
            .to_bytes()
            .to_vec();
            h.extend_from_slice(&d);
            fuzz_decode(&h);
        }
    }

    #[test]
    fn payload_rejects_lying_lengths() {
        let mut buf = Vec::new();
        let mut b = PayloadBuilder::new(&mut buf, None, false);
        b.chunk(1, 0, 0);
        b.frag(&Frag {
            seq: 1,
            idx: 0,
            count: 1,
            data: b"abc",
        });
        // Claim 60000 bytes of data where 3 are present.
        let n = buf.len();
        buf[n - 5] = 0xea;
        assert_eq!(Payload::decode(&buf), Err(DecodeError::Body));
        // idx >= count
        let mut buf = Vec::new();
        let mut b = PayloadBuilder::new(&mut buf, None, false);
        b.chunk(1, 0, 0);
        b.frag(&Frag {
            seq: 1,
            idx: 2,
            count: 2,
            data: b"abc",
        });
        assert_eq!(Payload::decode(&buf), Err(DecodeError::Body));
        assert_eq!(Payload::decode(&[0x80]), Err(DecodeError::Reserved));
        assert_eq!(Payload::decode(&[FLAG_ACK, 1, 2]), Err(DecodeError::Body));
    }
}
