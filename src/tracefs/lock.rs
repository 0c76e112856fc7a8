//! Advisory locks (flock) that say "this lktrace run is alive" and "this run owns the
//! global tracing files". The kernel drops a flock when its holder dies, so a lock that can be
//! taken means its owner is gone: that is how stale sessions are told from live ones.
//!
//! Small kernels built without CONFIG_FILE_LOCKING answer flock with ENOSYS (the tinyconfig
//! test kernel does). There the lock file holds the owner's pid, and "held" means that pid is
//! alive (or, within this process, that the lock was not released). Weaker, and documented.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::error::{Error, Result};
use super::lockdir;
use super::sys;

pub use super::lockdir::lock_dir;

/// A lock file holds a pid: a few bytes. More is not ours.
const LOCK_FILE_CAP: u64 = 64;

/// A held exclusive flock on a file; released (and the file removed) on drop.
#[derive(Debug)]
pub struct LockFile {
    path: PathBuf,
    file: Option<File>,
    remove_on_drop: bool,
}

#[derive(Debug)]
pub enum TryLock {
    Acquired(LockFile),
    /// Someone holds it; the file's content names the holder.
    Held {
        holder: String,
    },
}

impl LockFile {
    /// Takes the lock without waiting.
    pub fn try_acquire(name: &str, remove_on_drop: bool) -> Result<TryLock> {
        let path = lock_dir()?.join(name);
        let file = lockdir::open_lock(&path).map_err(|e| Error::io("open", &path, e))?;
        match file.try_lock() {
            Ok(()) => {
                // Write our pid so a blocked peer can say who holds it.
                let _ = file.set_len(0);
                let _ = std::io::Write::write_all(
                    &mut &file,
                    format!("{}\n", std::process::id()).as_bytes(),
                );
                Ok(TryLock::Acquired(LockFile {
                    path,
                    file: Some(file),
                    remove_on_drop,
                }))
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = lockdir::read_small(&path, LOCK_FILE_CAP)
                    .ok()
                    .map(|s| format!("lktrace pid {}", s.trim()))
                    .unwrap_or_else(|| "another lktrace run".into());
                Ok(TryLock::Held { holder })
            }
            Err(std::fs::TryLockError::Error(e)) if no_flock(&e) => {
                pid_file_acquire(path, file, remove_on_drop)
            }
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io("lock", &path, e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Locks this process holds in pid-file mode (flock unavailable).
static PID_LOCKS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn no_flock(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOSYS) || e.kind() == std::io::ErrorKind::Unsupported
}

fn pid_in(path: &Path) -> Option<u32> {
    lockdir::read_small(path, LOCK_FILE_CAP)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Pid-file locking, for kernels without flock.
fn pid_file_acquire(path: PathBuf, file: File, remove_on_drop: bool) -> Result<TryLock> {
    let mut held = PID_LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    let me = std::process::id();
    let holder = pid_in(&path);
    let busy =
        held.contains(&path) || holder.is_some_and(|pid| pid != me && sys::process_alive(pid));
    if busy {
        return Ok(TryLock::Held {
            holder: format!("lktrace pid {}", holder.unwrap_or(me)),
        });
    }
    let _ = file.set_len(0);
    let _ = std::io::Write::write_all(&mut &file, format!("{me}\n").as_bytes());
    held.insert(path.clone());
    Ok(TryLock::Acquired(LockFile {
        path,
        file: Some(file),
        remove_on_drop,
    }))
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let was_pid_lock = PID_LOCKS
            .lock()
            .map(|mut h| h.remove(&self.path))
            .unwrap_or(false);
        if was_pid_lock && !self.remove_on_drop {
            // Leave no pid behind that a later pid reuse could make look alive.
            if let Some(f) = &self.file {
                let _ = f.set_len(0);
            }
        }
        if self.remove_on_drop {
            // Remove while still holding the lock, so no one sees a free lock on a file that
            // is about to vanish.
            let _ = std::fs::remove_file(&self.path);
        }
        self.file.take();
    }
}

/// True when the named lock file exists and nobody holds it (its owner died).
pub fn is_abandoned(name: &str) -> Option<bool> {
    let path = lock_dir().ok()?.join(name);
    let file = lockdir::open_existing(&path, true).ok()?;
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Some(true)
        }
        Err(std::fs::TryLockError::Error(e)) if no_flock(&e) => {
            let held = PID_LOCKS.lock().map(|h| h.contains(&path)).unwrap_or(false);
            Some(!held && !pid_in(&path).is_some_and(sys::process_alive))
        }
        Err(_) => Some(false),
    }
}

/// Removes a lock file left by a dead run.
pub fn remove_abandoned(name: &str) {
    if let Ok(dir) = lock_dir() {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

/// Points every lock of this test process at one private directory (tests run in parallel
/// threads, so the directory must not change under them).
#[cfg(test)]
pub fn use_test_dir() {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let d = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("lktrace-test-locks-{}", std::process::id()));
        let _ = super::lockdir::prepare(&d);
        d
    });
    super::lockdir::use_dir(d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_try_sees_the_holder_and_drop_releases() {
        use_test_dir();
        let first = match LockFile::try_acquire("t.lock", true).unwrap() {
            TryLock::Acquired(l) => l,
            TryLock::Held { .. } => panic!("fresh lock was held"),
        };
        // flock locks belong to the open file description, so a second open conflicts.
        match LockFile::try_acquire("t.lock", true).unwrap() {
            TryLock::Held { holder } => assert!(holder.contains(&std::process::id().to_string())),
            TryLock::Acquired(_) => panic!("lock taken twice"),
        }
        assert_eq!(is_abandoned("t.lock"), Some(false));
        drop(first);
        assert_eq!(is_abandoned("t.lock"), None, "file removed on drop");
    }
}
