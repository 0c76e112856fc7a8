//! Sealing with a session's Noise transport keys
//! (ChaCha20-Poly1305, the 64-bit header counter as the explicit nonce), the sliding replay
//! window, and the agent's stateless cookies.
//!
//! The session keys come from the Noise handshake ([`super::handshake`]); each direction has
//! its own, and a counter is never used twice under one key because [`Sealer`] owns it and
//! only counts up. UDP reorders and loses, so the receiver uses snow's stateless transport
//! (nonce given per datagram) behind a [`ReplayWindow`].

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::wire::{COOKIE_LEN, TAG_LEN};
use super::Error;

pub use super::keyfile::{keygen, Key, KEY_LEN};

/// 32 bytes from the OS's randomness (the cookie secret).
pub fn random_secret() -> Result<[u8; 32], Error> {
    let mut n = [0u8; 32];
    getrandom::getrandom(&mut n).map_err(|e| Error::Random(e.to_string()))?;
    Ok(n)
}

/// What one session uses after its Noise handshake: the two cipher states Noise's `Split()`
/// made (fresh for every session: both sides' ephemeral keys went into them), and the session
/// id the agent chose.
#[derive(Clone)]
pub struct SessionKeys {
    pub transport: Arc<snow::StatelessTransportState>,
    pub session: u64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// Seals with this side's sending key. Owns the send counter (the explicit Noise nonce, also
/// in the header) so a (key, nonce) pair can never repeat: every datagram, resends included,
/// takes the next value.
pub struct Sealer {
    transport: Arc<snow::StatelessTransportState>,
    next: u64,
    scratch: Vec<u8>,
}

impl Sealer {
    pub fn new(keys: &SessionKeys) -> Sealer {
        Sealer {
            transport: Arc::clone(&keys.transport),
            // 0 is never valid on the wire (the replay window refuses it).
            next: 1,
            scratch: Vec::with_capacity(super::wire::MAX_PAYLOAD + TAG_LEN),
        }
    }

    /// The counter the next [`Sealer::seal`] will use (it goes into the header first).
    pub fn next_counter(&self) -> u64 {
        self.next
    }

    /// Encrypts `buf` in place (ciphertext ‖ tag) under the next counter, and returns it.
    pub fn seal(&mut self, buf: &mut Vec<u8>) -> u64 {
        let c = self.next;
        self.next += 1;
        self.scratch.clear();
        self.scratch.resize(buf.len() + TAG_LEN, 0);
        match self.transport.write_message(c, buf, &mut self.scratch) {
            Ok(n) => self.scratch.truncate(n),
            // Only a payload over 65 KB fails, and ours are at most 1200 bytes; send an empty
            // (unauthentic) body rather than an unsealed one.
            Err(_) => self.scratch.clear(),
        }
        std::mem::swap(buf, &mut self.scratch);
        c
    }
}

/// Opens with the peer's sending key.
pub struct Opener {
    transport: Arc<snow::StatelessTransportState>,
}

impl Opener {
    pub fn new(keys: &SessionKeys) -> Opener {
        Opener {
            transport: Arc::clone(&keys.transport),
        }
    }

    /// Decrypts `sealed` (ciphertext ‖ tag) into `out`. False if it does not authenticate.
    pub fn open(&self, counter: u64, sealed: &[u8], out: &mut Vec<u8>) -> bool {
        if sealed.len() < TAG_LEN {
            return false;
        }
        out.clear();
        out.resize(sealed.len(), 0);
        match self.transport.read_message(counter, sealed, out) {
            Ok(n) => {
                out.truncate(n);
                true
            }
            Err(_) => false,
        }
    }
}

/// Accepts each counter once, and none older than the window below the highest seen.
#[derive(Debug, Clone, Default)]
pub struct ReplayWindow {
    highest: u64,
    /// Bit i = counter `highest - i` seen.
    bits: [u64; Self::WORDS],
}

impl ReplayWindow {
    const WORDS: usize = 16;
    /// Datagrams reordered further than this are dropped.
    pub const SIZE: u64 = (Self::WORDS * 64) as u64;

    /// Would `c` be accepted? Check before the (costly) AEAD open, commit after.
    pub fn check(&self, c: u64) -> bool {
        if c == 0 {
            return false;
        }
        if c > self.highest {
            return true;
        }
        let off = self.highest - c;
        if off >= Self::SIZE {
            return false;
        }
        self.bits[(off / 64) as usize] & (1 << (off % 64)) == 0
    }

    /// Records `c` as seen. Call only after the datagram authenticated.
    pub fn commit(&mut self, c: u64) {
        if c > self.highest {
            let shift = c - self.highest;
            self.shift(shift);
            self.highest = c;
            self.bits[0] |= 1;
        } else {
            let off = self.highest - c;
            if off < Self::SIZE {
                self.bits[(off / 64) as usize] |= 1 << (off % 64);
            }
        }
    }

    fn shift(&mut self, n: u64) {
        if n >= Self::SIZE {
            self.bits = [0; Self::WORDS];
            return;
        }
        let words = (n / 64) as usize;
        let bits = (n % 64) as u32;
        for i in (0..Self::WORDS).rev() {
            let mut v = if i >= words {
                self.bits[i - words] << bits
            } else {
                0
            };
            if bits > 0 && i > words {
                v |= self.bits[i - words - 1] >> (64 - bits);
            }
            self.bits[i] = v;
        }
    }
}

/// Stateless cookies: a keyed MAC over the client's address and the agent's (monotonic) time.
/// The agent keeps no state for a Hello, yet can check later that an Auth echoes a cookie it
/// made for that address recently: proof that the sender receives at that address, before any
/// costly work. The time is seconds on the agent's own monotonic clock (since it started), so
/// setting the wall clock back or forth changes nothing.
pub struct CookieJar {
    secret: [u8; 32],
}

impl CookieJar {
    pub fn new() -> Result<CookieJar, Error> {
        Ok(CookieJar {
            secret: random_secret()?,
        })
    }

    pub fn make(&self, addr: &std::net::SocketAddr, time: u64) -> [u8; COOKIE_LEN] {
        let m = self.mac(addr, time);
        let mut out = [0u8; COOKIE_LEN];
        out.copy_from_slice(&m.finalize().into_bytes());
        out
    }

    /// Constant-time check of an echoed cookie.
    pub fn verify(
        &self,
        addr: &std::net::SocketAddr,
        time: u64,
        cookie: &[u8; COOKIE_LEN],
    ) -> bool {
        self.mac(addr, time).verify_slice(cookie).is_ok()
    }

    fn mac(&self, addr: &std::net::SocketAddr, time: u64) -> Hmac<Sha256> {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        match addr.ip() {
            std::net::IpAddr::V4(ip) => m.update(&ip.to_ipv6_mapped().octets()),
            std::net::IpAddr::V6(ip) => m.update(&ip.octets()),
        }
        m.update(&addr.port().to_be_bytes());
        m.update(&time.to_be_bytes());
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_window_accepts_once_and_drops_old() {
        let mut w = ReplayWindow::default();
        assert!(!w.check(0));
        for c in [5, 3, 4, 1, 2, 100, 70] {
            assert!(w.check(c), "{c}");
            w.commit(c);
            assert!(!w.check(c), "{c} again");
        }
        assert!(w.check(6));
        w.commit(100 + ReplayWindow::SIZE);
        assert!(!w.check(100), "fell out of the window");
        assert!(w.check(101 + 64));
        assert!(!w.check(100 + ReplayWindow::SIZE));
        // Shifts that cross word boundaries keep bits.
        let mut w = ReplayWindow::default();
        w.commit(10);
        w.commit(10 + 130);
        assert!(!w.check(10));
        assert!(w.check(11));
    }

    #[test]
    fn cookies_bind_address_time_and_agent() {
        let j = CookieJar::new().unwrap();
        let a: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: std::net::SocketAddr = "127.0.0.1:5001".parse().unwrap();
        let c = j.make(&a, 10);
        assert!(j.verify(&a, 10, &c));
        assert!(!j.verify(&b, 10, &c));
        assert!(!j.verify(&a, 11, &c));
        assert!(!CookieJar::new().unwrap().verify(&a, 10, &c));
    }
}
