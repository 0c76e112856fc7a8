//! Finding tracefs: an explicit override, then /proc/mounts, then the two usual places; mounting
//! it at /sys/kernel/tracing when it is absent and we are root, and only on an empty directory
//! that is not a mount point already (never over something else). A mount lktrace made is
//! taken away when the last lktrace run using it ends ([`super::mounted`]).

use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use super::mounted::InUse;
use super::{lockdir, sys, Tracefs};

pub const DEFAULT_MOUNT: &str = "/sys/kernel/tracing";
pub const DEBUGFS_MOUNT: &str = "/sys/kernel/debug/tracing";

/// Where a caller wants tracefs to come from.
#[derive(Debug, Clone, Default)]
pub struct Discover {
    /// A directory the caller names (the CLI's `--tracefs DIR`): used as is, never mounted.
    pub override_dir: Option<PathBuf>,
    /// Mount tracefs when it is nowhere to be found (needs root).
    pub mount_if_missing: bool,
}

impl Discover {
    /// `override_dir` if given, else the usual search, mounting when missing. The library reads
    /// no environment: the caller passes what its user asked for.
    pub fn new(override_dir: Option<PathBuf>) -> Discover {
        Discover {
            override_dir: override_dir.filter(|d| !d.as_os_str().is_empty()),
            mount_if_missing: true,
        }
    }

    pub fn find(&self) -> Result<Tracefs> {
        if let Some(dir) = &self.override_dir {
            return if looks_like_tracefs(dir) {
                Ok(Tracefs::at(dir))
            } else {
                Err(Error::NotTracefs { path: dir.clone() })
            };
        }
        // Joined before looking: a run that is unmounting holds the lock exclusively, so we
        // wait for it to finish, and once we hold it shared nobody unmounts what we find.
        let held = lockdir::lock_dir()
            .ok()
            .and_then(|d| InUse::hold(&d, sys::unmount));
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        if let Some(dir) = tracefs_in_mounts(&mounts) {
            if looks_like_tracefs(&dir) {
                return Ok(Tracefs::at(dir).held(held));
            }
        }
        for dir in [DEFAULT_MOUNT, DEBUGFS_MOUNT] {
            if looks_like_tracefs(Path::new(dir)) {
                return Ok(Tracefs::at(dir).held(held));
            }
        }
        if !sys::is_root() && Path::new(DEFAULT_MOUNT).is_dir() {
            // tracefs is mode 0700: to anyone else the mount looks empty.
            return Err(Error::NotRoot {
                path: PathBuf::from(DEFAULT_MOUNT),
            });
        }
        if self.mount_if_missing && Path::new(DEFAULT_MOUNT).is_dir() {
            let path = PathBuf::from(DEFAULT_MOUNT);
            safe_to_mount(&path, &mounts)?;
            sys::mount_tracefs(&path).map_err(|source| Error::MountFailed {
                path: path.clone(),
                source,
            })?;
            if let Some(h) = &held {
                h.note_mounted(&path);
            }
            if looks_like_tracefs(&path) {
                return Ok(Tracefs::at(path).held(held));
            }
        }
        Err(Error::NotFound)
    }
}

/// Mounting at `dir` hides nothing: it is an empty directory, no mount point already (by
/// /proc/mounts, and by its device differing from its parent's).
pub fn safe_to_mount(dir: &Path, mounts: &str) -> Result<()> {
    let refuse = |reason: &str| {
        Err(Error::MountRefused {
            path: dir.to_path_buf(),
            reason: reason.into(),
        })
    };
    let listed = mounts.lines().any(|l| {
        l.split_whitespace()
            .nth(1)
            .is_some_and(|m| Path::new(&unescape_mount(m)) == dir)
    });
    if listed {
        return refuse("something else is mounted there");
    }
    let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    if entries.next().is_some() {
        return refuse("the directory is not empty");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let here = std::fs::symlink_metadata(dir).map_err(|e| Error::io("stat", dir, e))?;
        if !here.file_type().is_dir() {
            return refuse("it is not a directory");
        }
        if let Some(parent) = dir.parent() {
            let up = std::fs::metadata(parent).map_err(|e| Error::io("stat", parent, e))?;
            if up.dev() != here.dev() {
                return refuse("something else is mounted there");
            }
        }
    }
    Ok(())
}

/// The first tracefs mount point listed in /proc/mounts (octal escapes decoded).
pub fn tracefs_in_mounts(mounts: &str) -> Option<PathBuf> {
    mounts.lines().find_map(|line| {
        let mut it = line.split_whitespace();
        let (_dev, dir, fstype) = (it.next()?, it.next()?, it.next()?);
        (fstype == "tracefs").then(|| PathBuf::from(unescape_mount(dir)))
    })
}

/// /proc/mounts writes space, tab, newline and backslash as `\040` style octal escapes.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A tracefs root has `trace` and `current_tracer`; a plain empty mount point has neither.
fn looks_like_tracefs(dir: &Path) -> bool {
    dir.join("trace").exists() && dir.join("current_tracer").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tracefs_line_in_proc_mounts() {
        let m = "sysfs /sys sysfs rw 0 0\nnodev /sys/kernel/tracing tracefs rw,relatime 0 0\n";
        assert_eq!(
            tracefs_in_mounts(m),
            Some(PathBuf::from("/sys/kernel/tracing"))
        );
        let m = "tracefs /mnt/my\\040trace tracefs rw 0 0\n";
        assert_eq!(tracefs_in_mounts(m), Some(PathBuf::from("/mnt/my trace")));
        assert_eq!(tracefs_in_mounts("proc /proc proc rw 0 0\n"), None);
    }

    #[test]
    fn never_mounts_over_something_else() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("tracing");
        std::fs::create_dir(&empty).unwrap();
        safe_to_mount(&empty, "").unwrap();
        let listed = format!("tmpfs {} tmpfs rw 0 0\n", empty.display());
        assert!(matches!(
            safe_to_mount(&empty, &listed),
            Err(Error::MountRefused { .. })
        ));
        std::fs::write(empty.join("precious"), "x").unwrap();
        let e = safe_to_mount(&empty, "").unwrap_err();
        assert!(e.to_string().contains("not empty"), "{e}");
        // /proc is a mount point of its own on Linux.
        #[cfg(target_os = "linux")]
        assert!(safe_to_mount(Path::new("/proc"), "").is_err());
    }

    #[test]
    fn override_must_look_like_tracefs() {
        let dir = tempfile::tempdir().unwrap();
        let d = Discover {
            override_dir: Some(dir.path().into()),
            mount_if_missing: false,
        };
        assert!(matches!(d.find(), Err(Error::NotTracefs { .. })));
        std::fs::write(dir.path().join("trace"), "").unwrap();
        std::fs::write(dir.path().join("current_tracer"), "nop\n").unwrap();
        assert_eq!(d.find().unwrap().root(), dir.path());
    }
}
