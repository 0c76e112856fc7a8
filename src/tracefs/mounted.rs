//! A tracefs mount lktrace made itself, and taking it away again when the last run that uses
//! it ends.
//!
//! Every run that found tracefs by discovery (not `--tracefs DIR`) holds a shared flock on
//! `tracefs-mount.lock` in the lock directory for as long as its [`Tracefs`](super::Tracefs)
//! lives; in one process (the agent runs several at once) the runs share one hold. The run that
//! mounts writes the mount point into that file. When a run's hold ends, it tries to turn its
//! lock exclusive: that works only when no other lktrace process is using tracefs; then, if the
//! file names a mount point that lktrace made, it unmounts it and clears the file. A mount
//! someone else made is never named in the file, so it is never unmounted.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use super::lockdir;

const MOUNT_LOCK: &str = "tracefs-mount.lock";

/// How a mount is taken away (the real `umount(2)`, or a test's stand-in).
pub type Unmount = fn(&Path) -> std::io::Result<()>;

/// One process's hold on discovered tracefs (shared by all its runs).
#[derive(Debug)]
pub struct InUse {
    lock: File,
    unmount: Unmount,
}

/// The hold of this process, while any run has it.
static HOLD: Mutex<Weak<InUse>> = Mutex::new(Weak::new());

impl InUse {
    /// Joins this process's hold, or makes it (a shared flock). `None` where there is no
    /// usable lock directory: then nothing is ever unmounted either.
    pub fn hold(dir: &Path, unmount: Unmount) -> Option<Arc<InUse>> {
        let mut h = HOLD.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = h.upgrade() {
            return Some(a);
        }
        let lock = lockdir::open_lock(&dir.join(MOUNT_LOCK)).ok()?;
        lock.lock_shared().ok()?;
        let a = Arc::new(InUse { lock, unmount });
        *h = Arc::downgrade(&a);
        Some(a)
    }

    /// Records that lktrace mounted tracefs at `path` (so the last user unmounts it).
    pub fn note_mounted(&self, path: &Path) {
        let mut f = &self.lock;
        let _ = f.set_len(0);
        let _ = f.rewind();
        let _ = f.write_all(path.as_os_str().as_encoded_bytes());
    }

    fn mounted_path(&self) -> Option<PathBuf> {
        let mut f = &self.lock;
        f.rewind().ok()?;
        let mut s = String::new();
        f.take(4096).read_to_string(&mut s).ok()?;
        (!s.is_empty()).then(|| PathBuf::from(s))
    }
}

impl Drop for InUse {
    fn drop(&mut self) {
        // Exclusive only when no other lktrace process holds it shared: nobody else uses it.
        if self.lock.try_lock().is_err() {
            return;
        }
        if let Some(path) = self.mounted_path() {
            if (self.unmount)(&path).is_ok() {
                let _ = self.lock.set_len(0);
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static UNMOUNTS: AtomicUsize = AtomicUsize::new(0);
    fn fake_unmount(_p: &Path) -> std::io::Result<()> {
        UNMOUNTS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    #[test]
    fn the_last_user_unmounts_what_lktrace_mounted_and_only_that() {
        let dir = tempfile::tempdir().unwrap();
        // Not ours: nothing noted, nothing unmounted.
        drop(InUse::hold(dir.path(), fake_unmount).unwrap());
        assert_eq!(UNMOUNTS.load(Ordering::SeqCst), 0);
        // Ours, two runs in this process: unmounted once, when the second ends.
        let a = InUse::hold(dir.path(), fake_unmount).unwrap();
        a.note_mounted(Path::new("/sys/kernel/tracing"));
        let b = InUse::hold(dir.path(), fake_unmount).unwrap();
        drop(a);
        assert_eq!(UNMOUNTS.load(Ordering::SeqCst), 0);
        drop(b);
        assert_eq!(UNMOUNTS.load(Ordering::SeqCst), 1);
        // Ours, and another lktrace process still using it: it stays.
        let a = InUse::hold(dir.path(), fake_unmount).unwrap();
        a.note_mounted(Path::new("/sys/kernel/tracing"));
        let other = lockdir::open_lock(&dir.path().join(MOUNT_LOCK)).unwrap();
        other.lock_shared().unwrap();
        drop(a);
        assert_eq!(UNMOUNTS.load(Ordering::SeqCst), 1);
        drop(other);
        // The other one ends last and unmounts it.
        drop(InUse::hold(dir.path(), fake_unmount).unwrap());
        assert_eq!(UNMOUNTS.load(Ordering::SeqCst), 2);
    }
}
