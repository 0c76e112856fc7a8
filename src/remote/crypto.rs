//! Keys and sealing: the pre-shared key file, sealing with a session's Noise transport keys
//! (ChaCha20-Poly1305, the 64-bit header counter as the explicit nonce), the sliding replay
//! window, and the agent's stateless cookies.
//!
//! The session keys come from the Noise handshake ([`super::handshake`]); each direction has
//! its own, and a counter is never used twice under one key because [`Sealer`] owns it and
//! only counts up. UDP reorders and loses, so the receiver uses snow's stateless transport
//! (nonce given per datagram) behind a [`ReplayWindow`].

use std::path::{Path, PathBuf};

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::wire::{COOKIE_LEN, NONCE_LEN, TAG_LEN};
use super::Error;

pub const KEY_LEN: usize = 32;

/// The pre-shared key. Debug never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    pub fn from_bytes(b: [u8; KEY_LEN]) -> Key {
        Key(b)
    }

    /// The key's bytes, for the Noise handshake's PSK.
    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// A fresh random key.
    pub fn generate() -> Result<Key, Error> {
        let mut b = [0u8; KEY_LEN];
        getrandom::getrandom(&mut b).map_err(|e| Error::Random(e.to_string()))?;
        Ok(Key(b))
    }

    /// The file format: 64 hex digits and a newline, so it can be copied by hand.
    pub fn to_text(&self) -> String {
        let mut s = hex(&self.0);
        s.push('\n');
        s
    }

    pub fn parse(text: &str) -> Option<Key> {
        let t = text.trim();
        if t.len() != KEY_LEN * 2 {
            return None;
        }
        let mut b = [0u8; KEY_LEN];
        for (i, out) in b.iter_mut().enumerate() {
            *out = u8::from_str_radix(t.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(Key(b))
    }

    /// Reads a key file, refusing one that group or others can read: a key others can read
    /// lets them run kernel tracing as root on the agent.
    pub fn load(path: &Path) -> Result<Key, Error> {
        use std::io::Read;
        let io = |source| Error::KeyIo {
            path: path.to_path_buf(),
            source,
        };
        let mut f = std::fs::File::open(path).map_err(io)?;
        // Check the file we opened (fstat), not the path again: no window to swap it.
        let meta = f.metadata().map_err(io)?;
        check_permissions(path, &meta)?;
        if !meta.is_file() || meta.len() > 4096 {
            return Err(Error::KeyFormat {
                path: path.to_path_buf(),
            });
        }
        let mut text = String::new();
        f.by_ref()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(io)?;
        Key::parse(&text).ok_or_else(|| Error::KeyFormat {
            path: path.to_path_buf(),
        })
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::KeyPermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), Error> {
    // Windows ACLs are not mode bits; the file lives in the user's profile (%APPDATA%).
    Ok(())
}

/// `lktrace ctl keygen PATH`: writes a new random key, mode 0600, never over an existing file.
pub fn keygen(path: &Path) -> crate::Result<()> {
    write_new_key(path).map_err(|e| e.into_crate("keygen"))
}

fn write_new_key(path: &Path) -> Result<(), Error> {
    use std::io::Write;
    let key = Key::generate()?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Created 0600 from the start: never readable by others, not even for an instant.
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            Error::KeyExists {
                path: path.to_path_buf(),
            }
        } else {
            Error::KeyIo {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    f.write_all(key.to_text().as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|source| Error::KeyIo {
            path: PathBuf::from(path),
            source,
        })
}

fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(D[(x >> 4) as usize] as char);
        s.push(D[(x & 15) as usize] as char);
    }
    s
}

pub fn random_nonce() -> Result<[u8; NONCE_LEN], Error> {
    let mut n = [0u8; NONCE_LEN];
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
            secret: random_nonce()?,
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
    fn key_text_round_trips() {
        let k = Key::generate().unwrap();
        assert_eq!(Key::parse(&k.to_text()), Some(k));
        assert_eq!(Key::parse("abc"), None);
        assert_eq!(Key::parse(&"zz".repeat(32)), None);
    }

    #[cfg(unix)]
    #[test]
    fn keygen_writes_0600_and_load_refuses_readable_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        keygen(&p).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        Key::load(&p).unwrap();
        assert!(keygen(&p).is_err(), "never overwrites");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            Key::load(&p),
            Err(Error::KeyPermissions { mode: 0o640, .. })
        ));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o604)).unwrap();
        assert!(matches!(Key::load(&p), Err(Error::KeyPermissions { .. })));
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
