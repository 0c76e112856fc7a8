//! Opening a session without giving anything away first.
//!
//! ```text
//! client                                   agent
//!   Hello{client_nonce, padding} 256 B ──►  stateless: cookie = HMAC(secret, addr, nonce, time)
//!         ◄── Cookie{time, agent_nonce=cookie} 64 B      (never larger than the Hello)
//!   Auth{client_nonce, time, agent_nonce,
//!        AEAD_c2a(counter 1, "auth")}  ──►  checks the cookie, derives keys, opens the AEAD:
//!                                           only now is there a session (and any state)
//!         ◄── Data (counter 1, an ack): the session is up
//! ```
//!
//! The agent keeps the client nonces of recent sessions, so a replayed Hello+Auth never opens a
//! second session; the cookie's time bounds how long that memory must be.

use std::net::SocketAddr;

use super::crypto::{self, CookieJar, Key, Opener, Sealer, SessionKeys};
use super::wire::{
    self, AuthClear, Header, Kind, AUTH_CLEAR_LEN, HEADER_LEN, HELLO_LEN, NONCE_LEN, VERSION,
};

/// A cookie is honoured this many seconds after the agent made it.
pub const COOKIE_LIFETIME_S: u64 = 30;
const AUTH_PLAINTEXT: &[u8] = b"lktrace auth v1";

/// A Hello datagram: header, nonce, zero padding to [`HELLO_LEN`].
pub fn hello(client_nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
    let h = Header {
        version: VERSION,
        kind: Kind::Hello,
        session: 0,
        counter: 0,
    };
    let mut d = Vec::with_capacity(HELLO_LEN);
    d.extend_from_slice(&h.to_bytes());
    d.extend_from_slice(client_nonce);
    d.resize(HELLO_LEN, 0);
    d
}

/// The agent's answer to a Hello, or `None` (no answer at all). Never longer than `datagram`.
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
        let v = Header {
            version: VERSION,
            kind: Kind::Version,
            session: 0,
            counter: 0,
        };
        return Some(v.to_bytes().to_vec());
    }
    let nonce = wire::decode_hello(datagram.len(), &datagram[HEADER_LEN..]).ok()?;
    let cookie = jar.make(from, &nonce, now_s);
    let r = Header {
        version: VERSION,
        kind: Kind::Cookie,
        session: 0,
        counter: 0,
    };
    let mut d = Vec::with_capacity(HEADER_LEN + wire::COOKIE_BODY_LEN);
    d.extend_from_slice(&r.to_bytes());
    d.extend_from_slice(&now_s.to_be_bytes());
    d.extend_from_slice(&cookie);
    debug_assert!(d.len() <= datagram.len());
    Some(d)
}

/// The client's Auth for a Cookie it received, and the session keys it implies.
pub fn auth(
    psk: &Key,
    client_nonce: &[u8; NONCE_LEN],
    cookie_time: u64,
    agent_nonce: &[u8; NONCE_LEN],
) -> (Vec<u8>, SessionKeys) {
    let keys = crypto::derive(psk, client_nonce, agent_nonce);
    let h = Header {
        version: VERSION,
        kind: Kind::Auth,
        session: keys.session,
        counter: 1,
    };
    let clear = AuthClear {
        client_nonce: *client_nonce,
        cookie_time,
        agent_nonce: *agent_nonce,
    };
    let mut d = Vec::with_capacity(HEADER_LEN + AUTH_CLEAR_LEN + 64);
    d.extend_from_slice(&h.to_bytes());
    d.extend_from_slice(&clear.encode());
    let mut body = AUTH_PLAINTEXT.to_vec();
    let mut sealer = Sealer::new(&keys.client_to_agent);
    sealer.seal(&d, &mut body);
    d.extend_from_slice(&body);
    (d, keys)
}

/// An Auth the agent accepted.
pub struct Accepted {
    pub keys: SessionKeys,
    pub client_nonce: [u8; NONCE_LEN],
}

/// Checks an Auth: a cookie we made for this address lately, and proof of the key. Cheap
/// checks first (sizes, cookie MAC) so a flood of junk costs one HMAC each, not an AEAD.
pub fn accept_auth(
    jar: &CookieJar,
    psk: &Key,
    from: &SocketAddr,
    h: &Header,
    datagram: &[u8],
    now_s: u64,
) -> Option<Accepted> {
    if h.kind != Kind::Auth || h.version != VERSION || h.counter != 1 {
        return None;
    }
    let (clear, sealed) = AuthClear::decode(&datagram[HEADER_LEN..]).ok()?;
    if now_s < clear.cookie_time || now_s - clear.cookie_time > COOKIE_LIFETIME_S {
        return None;
    }
    if !jar.verify(
        from,
        &clear.client_nonce,
        clear.cookie_time,
        &clear.agent_nonce,
    ) {
        return None;
    }
    let keys = crypto::derive(psk, &clear.client_nonce, &clear.agent_nonce);
    if keys.session != h.session {
        return None;
    }
    let aad = &datagram[..HEADER_LEN + AUTH_CLEAR_LEN];
    let mut plain = Vec::new();
    if !Opener::new(&keys.client_to_agent).open(1, aad, sealed, &mut plain)
        || plain != AUTH_PLAINTEXT
    {
        return None;
    }
    Some(Accepted {
        keys,
        client_nonce: clear.client_nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(d: &[u8]) -> Header {
        Header::decode(d).unwrap().0
    }

    #[test]
    fn full_handshake_and_its_refusals() {
        let jar = CookieJar::new().unwrap();
        let psk = Key::from_bytes([3; 32]);
        let from: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let cn = [5u8; 32];
        let hi = hello(&cn);
        assert_eq!(hi.len(), HELLO_LEN);
        let ck = answer_hello(&jar, &from, &parse(&hi), &hi, 1000).unwrap();
        assert!(ck.len() <= hi.len());
        let (time, an) = wire::decode_cookie(&ck[HEADER_LEN..]).unwrap();
        let (au, keys) = auth(&psk, &cn, time, &an);
        let acc = accept_auth(&jar, &psk, &from, &parse(&au), &au, 1005).unwrap();
        assert_eq!(acc.keys.session, keys.session);
        // Wrong key, other address, expired cookie, tampered byte: all refused.
        let (bad, _) = auth(&Key::from_bytes([4; 32]), &cn, time, &an);
        assert!(accept_auth(&jar, &psk, &from, &parse(&bad), &bad, 1005).is_none());
        let other: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        assert!(accept_auth(&jar, &psk, &other, &parse(&au), &au, 1005).is_none());
        assert!(accept_auth(
            &jar,
            &psk,
            &from,
            &parse(&au),
            &au,
            1000 + COOKIE_LIFETIME_S + 1
        )
        .is_none());
        let mut t = au.clone();
        let n = t.len();
        t[n - 1] ^= 1;
        assert!(accept_auth(&jar, &psk, &from, &parse(&t), &t, 1005).is_none());
        // A short Hello gets nothing; another version gets a header-only answer.
        assert!(answer_hello(&jar, &from, &parse(&hi), &hi[..200], 1000).is_none());
        let mut v2 = hi.clone();
        v2[4] = VERSION + 1;
        let r = answer_hello(&jar, &from, &parse(&v2), &v2, 1000).unwrap();
        assert_eq!(r.len(), HEADER_LEN);
    }
}
