//! Opening a session: a stateless cookie in front of a Noise handshake.
//!
//! ```text
//! client                                   agent
//!   Hello{zero padding} 256 B ──────────►  stateless: cookie = HMAC(secret, addr, time)
//!         ◄── Cookie{time, cookie} 64 B            (never larger than the Hello)
//!   Auth{time, cookie,
//!        Noise NNpsk0 msg 1: psk, e} 112 B ►  cookie checked first (one HMAC); then Noise:
//!                                            only a PSK holder's message 1 opens
//!         ◄── Accept{Noise msg 2: e, ee,        the session exists from here; its keys come
//!                    payload = session id} 80 B from both sides' fresh ephemeral keys
//! ```
//!
//! `Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s`: both sides make a new X25519 key pair per
//! handshake and the pre-shared key is mixed in before the first message, so every session has
//! fresh keys (forward secrecy: learning the PSK later does not open recorded sessions), and a
//! replayed Auth, even accepted, yields keys the replayer cannot compute: the agent's ephemeral
//! is new every time. No memory of past handshakes is needed for that.
//!
//! The cookie's time and value are the Noise prologue, so message 1 is bound to the cookie it
//! came with: replaying it needs that cookie's address and fails once the cookie expired.

use std::net::SocketAddr;
use std::sync::Arc;

use super::crypto::{CookieJar, Key, SessionKeys};
use super::wire::{
    self, AuthBody, Header, Kind, RefuseReason, ACCEPT_LEN, AUTH_LEN, COOKIE_BODY_LEN, COOKIE_LEN,
    HEADER_LEN, HELLO_LEN, NOISE_MSG1_LEN, NOISE_MSG2_LEN, REFUSED_LEN, VERSION,
};

/// The Noise protocol name: the pattern and primitives, fixed for this protocol version.
pub const NOISE_PARAMS: &str = "Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s";
/// A cookie is honoured this many seconds (agent's monotonic clock) after the agent made it.
pub const COOKIE_LIFETIME_S: u64 = 30;
// Tied to the version: a handshake of another version never yields shared keys.
const PROLOGUE_TAG: &[u8] = b"lktrace protocol 5";

fn header(kind: Kind, session: u64) -> [u8; HEADER_LEN] {
    Header {
        version: VERSION,
        kind,
        session,
        counter: 0,
    }
    .to_bytes()
}

fn prologue(cookie_time: u64, cookie: &[u8; COOKIE_LEN]) -> Vec<u8> {
    let mut p = Vec::with_capacity(PROLOGUE_TAG.len() + COOKIE_BODY_LEN);
    p.extend_from_slice(PROLOGUE_TAG);
    p.extend_from_slice(&cookie_time.to_be_bytes());
    p.extend_from_slice(cookie);
    p
}

fn builder<'a>(psk: &'a Key, prologue: &'a [u8]) -> Option<snow::Builder<'a>> {
    let params = NOISE_PARAMS.parse().ok()?;
    snow::Builder::new(params)
        .psk(0, psk.bytes())
        .ok()?
        .prologue(prologue)
        .ok()
}

/// A Hello datagram: header and zero padding to [`HELLO_LEN`].
pub fn hello() -> Vec<u8> {
    let mut d = header(Kind::Hello, 0).to_vec();
    d.resize(HELLO_LEN, 0);
    d
}

/// The agent's answer to a Hello, or `None` (no answer at all). Never longer than `datagram`.
/// `now_s` is the agent's monotonic clock.
pub fn answer_hello(
    jar: &CookieJar,
    from: &SocketAddr,
    h: &Header,
    datagram: &[u8],
    now_s: u64,
) -> Option<Vec<u8>> {
    if h.kind != Kind::Hello || datagram.len() != HELLO_LEN {
        return None;
    }
    if h.version != VERSION {
        // Say which version we speak (header only: 24 bytes for 256).
        return Some(header(Kind::Version, 0).to_vec());
    }
    let cookie = jar.make(from, now_s);
    let mut d = Vec::with_capacity(HEADER_LEN + COOKIE_BODY_LEN);
    d.extend_from_slice(&header(Kind::Cookie, 0));
    d.extend_from_slice(&now_s.to_be_bytes());
    d.extend_from_slice(&cookie);
    debug_assert!(d.len() <= datagram.len());
    Some(d)
}

/// The client's half of a handshake that sent its Auth.
pub struct Initiator {
    hs: snow::HandshakeState,
}

impl std::fmt::Debug for Initiator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Initiator(..)")
    }
}

/// The client's Auth for a Cookie it received (a fresh ephemeral key every call).
pub fn auth(
    psk: &Key,
    cookie_time: u64,
    cookie: &[u8; COOKIE_LEN],
) -> Result<(Vec<u8>, Initiator), super::Error> {
    let noise = |e: snow::Error| super::Error::Handshake(e.to_string());
    let p = prologue(cookie_time, cookie);
    let mut hs = builder(psk, &p)
        .ok_or_else(|| super::Error::Handshake(format!("cannot set up {NOISE_PARAMS}")))?
        .build_initiator()
        .map_err(noise)?;
    let mut d = Vec::with_capacity(AUTH_LEN);
    d.extend_from_slice(&header(Kind::Auth, 0));
    d.extend_from_slice(&cookie_time.to_be_bytes());
    d.extend_from_slice(cookie);
    let mut msg = [0u8; NOISE_MSG1_LEN];
    let n = hs.write_message(&[], &mut msg).map_err(noise)?;
    d.extend_from_slice(&msg[..n]);
    debug_assert_eq!(d.len(), AUTH_LEN);
    Ok((d, Initiator { hs }))
}

impl Initiator {
    /// Reads the agent's Accept. `None` when it is not one for this handshake (forged, or for
    /// an older attempt): the handshake is then spent and the caller starts over.
    pub fn finish(mut self, h: &Header, datagram: &[u8]) -> Option<SessionKeys> {
        if h.kind != Kind::Accept || h.version != VERSION || datagram.len() != ACCEPT_LEN {
            return None;
        }
        let mut payload = [0u8; NOISE_MSG2_LEN];
        let n = self
            .hs
            .read_message(&datagram[HEADER_LEN..], &mut payload)
            .ok()?;
        let id: [u8; 8] = payload.get(..n)?.try_into().ok()?;
        let session = u64::from_be_bytes(id);
        if session == 0 || session != h.session {
            return None;
        }
        let transport = self.hs.into_stateless_transport_mode().ok()?;
        Some(SessionKeys {
            transport: Arc::new(transport),
            session,
        })
    }
}

/// An Auth whose size, version and cookie are right: worth a token and then the Noise work.
#[derive(Debug, Clone, Copy)]
pub struct CookieOk<'a> {
    body: AuthBody<'a>,
}

impl CookieOk<'_> {
    /// Identifies one handshake attempt (the client's resends of it share it).
    pub fn client_ephemeral(&self) -> [u8; 32] {
        self.body.client_ephemeral()
    }
}

/// The cheap checks of an Auth, in order of cost: exact size, version, header fields, the
/// cookie's age on our monotonic clock, and its MAC for this address (one HMAC).
pub fn check_cookie<'a>(
    jar: &CookieJar,
    from: &SocketAddr,
    h: &Header,
    datagram: &'a [u8],
    now_s: u64,
) -> Option<CookieOk<'a>> {
    if h.kind != Kind::Auth
        || h.version != VERSION
        || datagram.len() != AUTH_LEN
        || h.session != 0
        || h.counter != 0
    {
        return None;
    }
    let body = AuthBody::decode(&datagram[HEADER_LEN..]).ok()?;
    if body.cookie_time > now_s || now_s - body.cookie_time > COOKIE_LIFETIME_S {
        return None;
    }
    if !jar.verify(from, body.cookie_time, &body.cookie) {
        return None;
    }
    Some(CookieOk { body })
}

/// A handshake the agent completed.
pub struct Accepted {
    pub keys: SessionKeys,
    /// The Accept datagram: sent now, and again if the same Auth comes back.
    pub reply: Vec<u8>,
}

/// The Noise part of an Auth: message 1 opens only with the PSK (it is sealed under a key
/// mixed from it); message 2 carries the session id the agent chose. `None` for a wrong key or
/// a tampered message.
pub fn accept(psk: &Key, auth: &CookieOk<'_>, session: u64) -> Option<Accepted> {
    let p = prologue(auth.body.cookie_time, &auth.body.cookie);
    let mut hs = builder(psk, &p)?.build_responder().ok()?;
    let mut payload = [0u8; NOISE_MSG1_LEN];
    let n = hs.read_message(auth.body.noise, &mut payload).ok()?;
    if n != 0 {
        return None;
    }
    let mut reply = Vec::with_capacity(ACCEPT_LEN);
    reply.extend_from_slice(&header(Kind::Accept, session));
    let mut msg = [0u8; NOISE_MSG2_LEN];
    let n = hs.write_message(&session.to_be_bytes(), &mut msg).ok()?;
    reply.extend_from_slice(&msg[..n]);
    if reply.len() != ACCEPT_LEN {
        return None;
    }
    let transport = hs.into_stateless_transport_mode().ok()?;
    Some(Accepted {
        keys: SessionKeys {
            transport: Arc::new(transport),
            session,
        },
        reply,
    })
}

/// The agent's "no session, and why" for an Auth with a valid cookie (25 bytes for 112).
pub fn refused(reason: RefuseReason) -> Vec<u8> {
    let mut d = header(Kind::Refused, 0).to_vec();
    d.push(reason as u8);
    debug_assert_eq!(d.len(), REFUSED_LEN);
    d
}

/// Both ends of a session made in memory, for tests and benchmarks of what runs on top.
#[doc(hidden)]
pub fn session_pair(psk: &Key) -> (SessionKeys, SessionKeys) {
    let jar = CookieJar::new().expect("OS randomness");
    let from: SocketAddr = ([127, 0, 0, 1], 1).into();
    let hi = hello();
    let h = Header::decode(&hi).expect("our Hello").0;
    let ck = answer_hello(&jar, &from, &h, &hi, 0).expect("a cookie");
    let (t, c) = wire::decode_cookie(&ck[HEADER_LEN..]).expect("our cookie");
    let (au, init) = auth(psk, t, &c).expect("noise");
    let h = Header::decode(&au).expect("our Auth").0;
    let ok = check_cookie(&jar, &from, &h, &au, 0).expect("cookie accepted");
    let acc = accept(psk, &ok, 7).expect("key accepted");
    let h = Header::decode(&acc.reply).expect("our Accept").0;
    let client = init.finish(&h, &acc.reply).expect("accept read");
    (client, acc.keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::crypto::{Opener, Sealer};

    fn parse(d: &[u8]) -> Header {
        Header::decode(d).unwrap().0
    }

    #[test]
    fn full_handshake_and_its_refusals() {
        let jar = CookieJar::new().unwrap();
        let psk = Key::from_bytes([3; 32]);
        let from: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let hi = hello();
        assert_eq!(hi.len(), HELLO_LEN);
        let ck = answer_hello(&jar, &from, &parse(&hi), &hi, 1000).unwrap();
        assert!(ck.len() <= hi.len());
        let (time, cookie) = wire::decode_cookie(&ck[HEADER_LEN..]).unwrap();
        let (au, init) = auth(&psk, time, &cookie).unwrap();
        assert_eq!(au.len(), AUTH_LEN);
        let ok = check_cookie(&jar, &from, &parse(&au), &au, 1005).unwrap();
        let acc = accept(&psk, &ok, 42).unwrap();
        assert!(acc.reply.len() <= au.len(), "no amplification");
        let keys = init.finish(&parse(&acc.reply), &acc.reply).unwrap();
        assert_eq!((keys.session, acc.keys.session), (42, 42));
        // The keys work both ways.
        let mut buf = b"payload".to_vec();
        let c = Sealer::new(&keys).seal(&mut buf);
        let mut out = Vec::new();
        assert!(Opener::new(&acc.keys).open(c, &buf, &mut out));
        assert_eq!(out, b"payload");
        assert!(!Opener::new(&keys).open(c, &buf, &mut out), "own direction");

        // Wrong key: the cookie is fine, Noise refuses.
        let (bad, _) = auth(&Key::from_bytes([4; 32]), time, &cookie).unwrap();
        let ok = check_cookie(&jar, &from, &parse(&bad), &bad, 1005).unwrap();
        assert!(accept(&psk, &ok, 1).is_none());
        // Other address, expired cookie, cookie from the future, tampered bytes.
        let other: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        assert!(check_cookie(&jar, &other, &parse(&au), &au, 1005).is_none());
        let late = 1000 + COOKIE_LIFETIME_S + 1;
        assert!(check_cookie(&jar, &from, &parse(&au), &au, late).is_none());
        assert!(check_cookie(&jar, &from, &parse(&au), &au, 999).is_none());
        for i in HEADER_LEN..au.len() {
            let mut t = au.clone();
            t[i] ^= 1;
            let refused = check_cookie(&jar, &from, &parse(&t), &t, 1005)
                .and_then(|ok| accept(&psk, &ok, 1))
                .is_none();
            assert!(refused, "byte {i} flipped");
        }
        // A short Hello gets nothing; another version gets a header-only answer.
        assert!(answer_hello(&jar, &from, &parse(&hi), &hi[..200], 1000).is_none());
        let mut v2 = hi.clone();
        v2[4] = VERSION + 1;
        let r = answer_hello(&jar, &from, &parse(&v2), &v2, 1000).unwrap();
        assert_eq!(r.len(), HEADER_LEN);
    }

    /// A recorded Auth replayed (at any agent time the cookie allows, and even with a cookie
    /// check that a moved clock let through) gets a new agent ephemeral: new keys, so the
    /// recorded Start, sealed under the first session's keys, opens in neither new session,
    /// and no (key, nonce) pair is shared with the first session.
    #[test]
    fn a_replayed_auth_never_gets_the_same_keys() {
        let jar = CookieJar::new().unwrap();
        let psk = Key::from_bytes([3; 32]);
        let from: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let hi = hello();
        let ck = answer_hello(&jar, &from, &parse(&hi), &hi, 100).unwrap();
        let (time, cookie) = wire::decode_cookie(&ck[HEADER_LEN..]).unwrap();
        let (au, init) = auth(&psk, time, &cookie).unwrap();
        let ok = check_cookie(&jar, &from, &parse(&au), &au, 101).unwrap();
        let first = accept(&psk, &ok, 1).unwrap();
        let client = init.finish(&parse(&first.reply), &first.reply).unwrap();
        let mut start = b"start".to_vec();
        let c = Sealer::new(&client).seal(&mut start);
        let mut out = Vec::new();
        assert!(Opener::new(&first.keys).open(c, &start, &mut out));
        let mut agent_first = b"record".to_vec();
        Sealer::new(&first.keys).seal(&mut agent_first);
        for now in [101, 130, 60] {
            // 60: as if the clock had gone back; the cookie check is bypassed by reusing `ok`.
            let again = accept(&psk, &ok, 1).unwrap();
            assert_ne!(again.reply, first.reply, "fresh agent ephemeral at {now}");
            assert!(!Opener::new(&again.keys).open(c, &start, &mut out));
            let mut agent_again = b"record".to_vec();
            Sealer::new(&again.keys).seal(&mut agent_again);
            assert_ne!(agent_again, agent_first, "same (key, nonce) at {now}");
        }
    }

    #[test]
    fn refusals_are_small() {
        let r = refused(RefuseReason::Full);
        assert_eq!(r.len(), REFUSED_LEN);
        assert!(r.len() < AUTH_LEN);
        let h = parse(&r);
        assert_eq!(h.kind, Kind::Refused);
        assert_eq!(
            wire::decode_refused(&r[HEADER_LEN..]),
            Ok(RefuseReason::Full)
        );
    }
}
