//! The pre-shared key and its file.
//!
//! Whoever holds the key can trace the agent's kernel as root, so the file is checked before it
//! is read, on the opened file (`fstat`), not the path: opened with `O_NOFOLLOW` (no symlink
//! swapped in) and `O_NONBLOCK` (a FIFO planted at the path cannot block the agent in `open`,
//! where it would not see SIGTERM); it must be a regular file, owned by the running user or
//! root, readable by nobody else. The text must be exactly 64 hex digits (no sign, no
//! `0x`), and a key whose bytes are all equal (all zero, say) is refused as no key at all.
//! Key bytes are wiped from memory when dropped.

use std::path::Path;

use zeroize::{Zeroize, Zeroizing};

use super::Error;

pub const KEY_LEN: usize = 32;
/// A key file is 65 bytes; anything much larger is not one.
const MAX_KEY_FILE: u64 = 4096;

/// The pre-shared key. Debug never prints it; drop wipes it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

impl Drop for Key {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

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
        let mut b = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::getrandom(&mut b[..]).map_err(|e| Error::Random(e.to_string()))?;
        Ok(Key(*b))
    }

    /// The file format: 64 hex digits and a newline, so it can be copied by hand.
    pub fn to_text(&self) -> Zeroizing<String> {
        const D: &[u8; 16] = b"0123456789abcdef";
        let mut s = Zeroizing::new(String::with_capacity(KEY_LEN * 2 + 1));
        for x in &self.0 {
            s.push(D[(x >> 4) as usize] as char);
            s.push(D[(x & 15) as usize] as char);
        }
        s.push('\n');
        s
    }

    /// Exactly 64 hex digits, surrounding whitespace allowed; nothing else (`u8::from_str_radix`
    /// would take a `+`).
    pub fn parse(text: &str) -> Option<Key> {
        let t = text.trim().as_bytes();
        if t.len() != KEY_LEN * 2 {
            return None;
        }
        let mut b = Zeroizing::new([0u8; KEY_LEN]);
        for (out, pair) in b.iter_mut().zip(t.chunks_exact(2)) {
            *out = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(Key(*b))
    }

    /// All bytes equal (all zero, all 0xff, ...): a placeholder, not a secret.
    pub fn is_weak(&self) -> bool {
        self.0.iter().all(|&b| b == self.0[0])
    }

    /// Reads and checks a key file (see the module's comment).
    pub fn load(path: &Path) -> Result<Key, Error> {
        use std::io::Read;
        let io = |source| Error::KeyIo {
            path: path.to_path_buf(),
            source,
        };
        let f = open_no_follow(path).map_err(|e| {
            if is_symlink_refusal(&e) {
                Error::KeyNotRegular {
                    path: path.to_path_buf(),
                    what: "a symbolic link",
                }
            } else {
                io(e)
            }
        })?;
        let meta = f.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(Error::KeyNotRegular {
                path: path.to_path_buf(),
                what: "not a regular file",
            });
        }
        check_owner(path, &meta)?;
        check_permissions(path, &meta)?;
        if meta.len() > MAX_KEY_FILE {
            return Err(Error::KeyFormat {
                path: path.to_path_buf(),
            });
        }
        let mut text = Zeroizing::new(String::new());
        f.take(MAX_KEY_FILE).read_to_string(&mut text).map_err(io)?;
        let key = Key::parse(&text).ok_or_else(|| Error::KeyFormat {
            path: path.to_path_buf(),
        })?;
        if key.is_weak() {
            return Err(Error::KeyWeak {
                path: path.to_path_buf(),
            });
        }
        Ok(key)
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(unix)]
fn is_symlink_refusal(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_symlink_refusal(_e: &std::io::Error) -> bool {
    false
}

#[cfg(unix)]
fn check_owner(path: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me && meta.uid() != 0 {
        return Err(Error::KeyOwner {
            path: path.to_path_buf(),
            owner: meta.uid(),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), Error> {
    Ok(())
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
    let io = |source| Error::KeyIo {
        path: path.to_path_buf(),
        source,
    };
    let mut f = opts.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            Error::KeyExists {
                path: path.to_path_buf(),
            }
        } else {
            io(source)
        }
    })?;
    f.write_all(key.to_text().as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text_round_trips_and_only_hex_parses() {
        let k = Key::generate().unwrap();
        assert_eq!(Key::parse(&k.to_text()), Some(k));
        assert_eq!(Key::parse("abc"), None);
        assert_eq!(Key::parse(&"zz".repeat(32)), None);
        // from_str_radix takes "+f"; a key file does not.
        assert_eq!(Key::parse(&"+f".repeat(32)), None);
        assert_eq!(Key::parse(&format!("0x{}", "ab".repeat(31))), None);
        assert!(Key::parse(&"AB".repeat(32)).is_some());
        assert!(Key::parse(&"00".repeat(32)).unwrap().is_weak());
        assert!(Key::parse(&"7f".repeat(32)).unwrap().is_weak());
        assert!(!Key::parse(&format!("{}01", "00".repeat(31)))
            .unwrap()
            .is_weak());
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
}
