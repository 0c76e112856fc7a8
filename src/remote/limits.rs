//! Rate limits of the agent's front door: token buckets per source address prefix (an IPv4
//! /24, an IPv6 /64), under one bucket for everyone.
//!
//! Per prefix, so one noisy network cannot use up what others need; under a global bucket, so
//! the work of many prefixes together stays bounded too. The table of prefixes is bounded:
//! when full, prefixes whose bucket has refilled (they have been quiet) are forgotten, and a
//! new prefix that still finds no room is treated as limited.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// Prefixes remembered at most (each entry is a few dozen bytes).
const MAX_PREFIXES: usize = 4096;

struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: burst,
            rate,
            burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
    }

    fn has(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= 1.0
    }

    fn spend(&mut self) {
        self.tokens -= 1.0;
    }

    fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }
}

/// The part of an address that one network controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    V4([u8; 3]),
    V6([u8; 8]),
}

impl Prefix {
    pub fn of(ip: IpAddr) -> Prefix {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                Prefix::V4([o[0], o[1], o[2]])
            }
            IpAddr::V6(v6) => {
                let mut p = [0u8; 8];
                p.copy_from_slice(&v6.octets()[..8]);
                Prefix::V6(p)
            }
        }
    }
}

/// A rate per prefix under a rate for all.
pub struct RateLimiter {
    per_prefix_rate: f64,
    per_prefix: HashMap<Prefix, TokenBucket>,
    global: TokenBucket,
}

impl RateLimiter {
    /// `per_prefix` and `global` are per second; each bucket's burst is one second's worth.
    pub fn new(per_prefix: f64, global: f64, now: Instant) -> RateLimiter {
        RateLimiter {
            per_prefix_rate: per_prefix,
            per_prefix: HashMap::new(),
            global: TokenBucket::new(global, global.max(1.0), now),
        }
    }

    /// Takes a token for `ip` when both its prefix and the whole have one.
    pub fn take(&mut self, ip: IpAddr, now: Instant) -> bool {
        let prefix = Prefix::of(ip);
        if !self.per_prefix.contains_key(&prefix) && self.per_prefix.len() >= MAX_PREFIXES {
            self.per_prefix.retain(|_, b| !b.is_full(now));
            if self.per_prefix.len() >= MAX_PREFIXES {
                return false;
            }
        }
        let rate = self.per_prefix_rate;
        let bucket = self
            .per_prefix
            .entry(prefix)
            .or_insert_with(|| TokenBucket::new(rate, rate.max(1.0), now));
        if !bucket.has(now) || !self.global.has(now) {
            return false;
        }
        bucket.spend();
        self.global.spend();
        true
    }

    /// Prefixes remembered now (for tests: the table stays bounded).
    pub fn prefixes(&self) -> usize {
        self.per_prefix.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_prefix_cannot_use_up_another_s_tokens() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10.0, 100.0, t0);
        let noisy: IpAddr = "10.0.0.1".parse().unwrap();
        let same_net: IpAddr = "10.0.0.99".parse().unwrap();
        let other: IpAddr = "10.0.1.1".parse().unwrap();
        let taken = (0..1000).filter(|_| r.take(noisy, t0)).count();
        assert_eq!(taken, 10);
        assert!(!r.take(same_net, t0), "same /24");
        assert!(r.take(other, t0), "another /24 still has its tokens");
        assert!(r.take(noisy, t0 + Duration::from_millis(150)), "refilled");
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8::ffff:1".parse().unwrap();
        assert_eq!(Prefix::of(v6a), Prefix::of(v6b));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(Prefix::of(mapped), Prefix::of(noisy));
    }

    #[test]
    fn the_global_bucket_bounds_many_prefixes_and_the_table_stays_bounded() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10.0, 50.0, t0);
        let mut taken = 0;
        for i in 0..20_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(i << 8));
            taken += usize::from(r.take(ip, t0));
        }
        assert_eq!(taken, 50);
        assert!(r.prefixes() <= MAX_PREFIXES);
    }
}
