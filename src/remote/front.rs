//! The agent's front door: what a datagram can make the agent do before any session exists.
//!
//! Work is ordered by cost, and a token is spent only once the free checks passed: exact size
//! and version (free), then for an Auth the cookie's MAC (one HMAC), then a token of the
//! sender's address prefix, and only then (in [`FrontDoor::accept`]) the Noise handshake with
//! its X25519. Hellos and Auths have separate buckets, so a Hello flood cannot keep out clients
//! that hold a valid cookie. Cookie times are seconds on one monotonic clock.

use std::net::SocketAddr;
use std::time::Instant;

use super::crypto::{CookieJar, Key};
use super::handshake::{self, Accepted, CookieOk};
use super::limits::RateLimiter;
use super::wire::{Header, RefuseReason, HELLO_LEN};

/// Rates of the front door, per second.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    pub hello: f64,
    pub hello_per_prefix: f64,
    pub auth: f64,
    pub auth_per_prefix: f64,
}

/// What to do with an Auth.
#[derive(Debug)]
pub enum AuthCheck<'a> {
    /// Junk, a forged or stale cookie: no answer.
    Drop,
    /// A valid cookie, but over the rate: say so.
    Refuse(RefuseReason),
    /// A valid cookie and a token: worth the session table and then [`FrontDoor::accept`].
    Proceed(CookieOk<'a>),
}

pub struct FrontDoor {
    key: Key,
    jar: CookieJar,
    /// Cookie times count seconds from here.
    epoch: Instant,
    hello: RateLimiter,
    auth: RateLimiter,
}

impl FrontDoor {
    pub fn new(key: Key, rates: Rates, now: Instant) -> Result<FrontDoor, super::Error> {
        Ok(FrontDoor {
            key,
            jar: CookieJar::new()?,
            epoch: now,
            hello: RateLimiter::new(rates.hello_per_prefix, rates.hello, now),
            auth: RateLimiter::new(rates.auth_per_prefix, rates.auth, now),
        })
    }

    fn clock_s(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs()
    }

    /// The answer to a Hello (a Cookie, or a Version header), or `None`.
    pub fn hello(
        &mut self,
        h: &Header,
        d: &[u8],
        from: SocketAddr,
        now: Instant,
    ) -> Option<Vec<u8>> {
        // The free check before a token: a wrong-size Hello costs nobody anything.
        if d.len() != HELLO_LEN || !self.hello.take(from.ip(), now) {
            return None;
        }
        let r = handshake::answer_hello(&self.jar, &from, h, d, self.clock_s(now))?;
        debug_assert!(r.len() <= d.len());
        Some(r)
    }

    /// The cheap half of an Auth: size, version, cookie, then a token.
    pub fn auth<'a>(
        &mut self,
        h: &Header,
        d: &'a [u8],
        from: SocketAddr,
        now: Instant,
    ) -> AuthCheck<'a> {
        let Some(ok) = handshake::check_cookie(&self.jar, &from, h, d, self.clock_s(now)) else {
            return AuthCheck::Drop;
        };
        if !self.auth.take(from.ip(), now) {
            return AuthCheck::Refuse(RefuseReason::RateLimited);
        }
        AuthCheck::Proceed(ok)
    }

    /// The Noise handshake for an Auth that passed [`FrontDoor::auth`]; `None` for a wrong key.
    pub fn accept(&self, auth: &CookieOk<'_>, session: u64) -> Option<Accepted> {
        handshake::accept(&self.key, auth, session)
    }
}

/// A random session id, never 0 (no session) and never one `in_use`.
pub fn new_session_id(in_use: impl Fn(u64) -> bool) -> Option<u64> {
    for _ in 0..8 {
        let mut b = [0u8; 8];
        getrandom::getrandom(&mut b).ok()?;
        let id = u64::from_be_bytes(b);
        if id != 0 && !in_use(id) {
            return Some(id);
        }
    }
    None
}
