//! perf-tools' lock file, `/var/tmp/.ftrace-lock`: its tools write their pid into it and refuse
//! to run while it exists ("ftrace may be in use by PID N"). lktrace takes it too, so a
//! perf-tools tool and an lktrace run never change tracefs at the same time; lktrace runs
//! among themselves need no such lock (each works in its own instance and group), so one
//! held by a live lktrace run is shared, not a refusal.
//!
//! /var/tmp is writable by everyone, so root must never follow a name there: the file is
//! created with `O_CREAT | O_EXCL | O_NOFOLLOW` (a planted symlink or file is never opened for
//! writing), read with `O_NOFOLLOW` and a size cap, and removed only while it is still the file
//! this run created (same inode, held open so it cannot be reused) with this run's pid in it.
//! /var/tmp is sticky: only root can rename or remove root's file there between that check
//! and the removal.
//!
//! Not covered: when the lktrace run that made the file ends while another lktrace run goes
//! on, the file goes with the first, and perf-tools may start beside the second.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// Where perf-tools keeps it (`flock=/var/tmp/.ftrace-lock` in each tool).
pub const PERF_TOOLS_LOCK: &str = "/var/tmp/.ftrace-lock";

/// A pid and a newline; more is not a lock file of perf-tools'.
const CAP: u64 = 64;

/// The lock file this run made; removed on drop if it is still ours.
#[derive(Debug)]
pub struct FtraceLock {
    path: PathBuf,
    /// (device, inode) of the file we created; `_file` kept open so that inode cannot be
    /// freed and reused by another file under the name.
    made: (u64, u64),
    _file: File,
    pid: u32,
}

/// Who holds an existing lock file, as read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A live lktrace run (`is_lktrace` said so): share it.
    Lktrace,
    /// A live process that is not an lktrace run: perf-tools, busy.
    Other(u32),
    /// No live pid in it (a perf-tools run that was killed, or not a pid at all): not busy,
    /// and not ours to remove.
    Stale,
}

/// Takes perf-tools' lock at `path`: `Ok(Some)` when this run made it, `Ok(None)` when it is
/// shared with a live lktrace run or stale (left alone), `Err(Busy)` while another live
/// process holds it. `is_lktrace(pid)` tells a live lktrace run's pid from others'.
pub fn take(path: &Path, is_lktrace: impl Fn(u32) -> bool) -> Result<Option<FtraceLock>> {
    let pid = std::process::id();
    match create(path) {
        Ok(mut f) => {
            let made = dev_ino(&f).map_err(|e| Error::io("stat", path, e))?;
            // perf-tools writes `echo $$ > $flock`: the pid and a newline.
            if let Err(e) = f.write_all(format!("{pid}\n").as_bytes()) {
                let _ = std::fs::remove_file(path);
                return Err(Error::io("write", path, e));
            }
            Ok(Some(FtraceLock {
                path: path.to_path_buf(),
                made,
                _file: f,
                pid,
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match holder(path, &is_lktrace) {
                Holder::Other(other) => Err(Error::Busy {
                    what: "tracefs".into(),
                    holder: format!(
                        "pid {other}, which holds perf-tools' lock {}",
                        path.display()
                    ),
                }),
                Holder::Lktrace | Holder::Stale => Ok(None),
            }
        }
        // No /var/tmp (a small target), or not ours to write: perf-tools could not take it
        // there either.
        Err(_) => Ok(None),
    }
}

/// Who the lock file at `path` names.
pub fn holder(path: &Path, is_lktrace: &impl Fn(u32) -> bool) -> Holder {
    let Some(pid) = read_pid(path) else {
        return Holder::Stale;
    };
    if pid == std::process::id() || is_lktrace(pid) {
        Holder::Lktrace
    } else if super::sys::process_alive(pid) {
        Holder::Other(pid)
    } else {
        Holder::Stale
    }
}

fn create(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // create_new is O_CREAT | O_EXCL, which never follows a symlink at the name; O_NOFOLLOW
        // says so twice. 0644 as perf-tools' `echo >` under root's umask.
        o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o644);
    }
    o.open(path)
}

fn read_pid(path: &Path) -> Option<u32> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO planted at the name must not hang us.
        o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK);
    }
    let f = o.open(path).ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut s = String::new();
    f.take(CAP).read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

#[cfg(unix)]
fn dev_ino(f: &File) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = f.metadata()?;
    Ok((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dev_ino(_f: &File) -> std::io::Result<(u64, u64)> {
    Ok((0, 0))
}

impl FtraceLock {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file at the name is still the one we made, with our pid in it.
    fn still_ours(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // lstat: a symlink put in its place is not ours.
            let Ok(m) = std::fs::symlink_metadata(&self.path) else {
                return false;
            };
            (m.dev(), m.ino()) == self.made && read_pid(&self.path) == Some(self.pid)
        }
        #[cfg(not(unix))]
        {
            // No inode to compare (never a traced machine: perf-tools runs on Linux).
            let _ = self.made;
            read_pid(&self.path) == Some(self.pid)
        }
    }
}

impl Drop for FtraceLock {
    fn drop(&mut self) {
        if self.still_ours() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn never(_: u32) -> bool {
        false
    }

    #[test]
    fn made_with_our_pid_and_removed_when_done() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".ftrace-lock");
        let l = take(&p, never).unwrap().expect("made");
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("{}\n", std::process::id())
        );
        // A second run of this process shares it (the agent runs several).
        assert!(take(&p, never).unwrap().is_none());
        drop(l);
        assert!(!p.exists());
    }

    #[test]
    fn a_live_perf_tools_pid_is_busy_a_dead_one_is_stale_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".ftrace-lock");
        // pid 1 is alive and not an lktrace run.
        std::fs::write(&p, "1\n").unwrap();
        let e = take(&p, never).unwrap_err();
        assert!(matches!(e, Error::Busy { .. }), "{e}");
        assert!(e.to_string().contains("pid 1"), "{e}");
        // The same pid known as a live lktrace run: shared.
        assert!(take(&p, |pid| pid == 1).unwrap().is_none());
        // A pid that is gone: not busy, and the file is not ours to remove.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::fs::write(&p, format!("{dead}\n")).unwrap();
        assert!(take(&p, never).unwrap().is_none());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), format!("{dead}\n"));
        std::fs::write(&p, "junk").unwrap();
        assert_eq!(holder(&p, &never), Holder::Stale);
    }

    #[test]
    fn a_planted_symlink_is_never_followed_or_written() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("precious");
        std::fs::write(&target, "keep\n").unwrap();
        let p = d.path().join(".ftrace-lock");
        std::os::unix::fs::symlink(&target, &p).unwrap();
        assert!(take(&p, never).unwrap().is_none());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
        // A symlink to a file naming a live pid is not read through either.
        std::fs::write(&target, "1\n").unwrap();
        assert_eq!(holder(&p, &never), Holder::Stale);
    }

    #[test]
    fn a_file_put_in_place_of_ours_is_not_removed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".ftrace-lock");
        let l = take(&p, never).unwrap().expect("made");
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, format!("{}\n", std::process::id())).unwrap();
        drop(l);
        assert!(
            p.exists(),
            "a file we did not make stays, even with our pid in it"
        );
    }
}
