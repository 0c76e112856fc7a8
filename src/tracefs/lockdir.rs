//! The lock directory and the files in it (locks and journals), opened so that nobody else can
//! steer root's writes.
//!
//! Root writes pids into lock files and old tracefs values into journals, and later writes
//! those values back into tracefs. A directory another user can write would let them plant a
//! symlink (root then truncates its target) or a journal (root then writes their text where they
//! like). So:
//!
//! - the directory is `/run/lktrace`, created mode 0700; as root there is no fallback: when it
//!   cannot be made safe, the run fails rather than use a directory someone else may write;
//! - it must be a real directory (never a symlink), owned by the running user, and writable by
//!   nobody else; checked with `fstat` on the opened directory, not on the path;
//! - every file in it is opened with `O_NOFOLLOW`, must be a regular file owned by the running
//!   user with one link, and new files are created with `O_EXCL` (journals are written to a new
//!   file and renamed into place, which replaces a name and never follows it).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// Where lock files live for root (and anyone who can create it).
pub const RUN_DIR: &str = "/run/lktrace";

/// The directory [`use_dir`] chose for this process, if any.
static CHOSEN: std::sync::RwLock<Option<PathBuf>> = std::sync::RwLock::new(None);

/// Uses `dir` as the lock directory from now on, in this process (the CLI's
/// `LKTRACE_LOCK_DIR`; tests). The library reads no environment itself.
pub fn use_dir(dir: impl Into<PathBuf>) {
    let mut c = CHOSEN.write().unwrap_or_else(|p| p.into_inner());
    *c = Some(dir.into());
}

/// The lock directory, made safe: the one given to [`use_dir`], else [`RUN_DIR`]; a user other
/// than root who cannot create that gets a private `lktrace-<uid>` in the temp directory.
pub fn lock_dir() -> Result<PathBuf> {
    let chosen = CHOSEN.read().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(dir) = chosen {
        prepare(&dir)?;
        return Ok(dir);
    }
    locate(Path::new(RUN_DIR), super::sys::is_root(), &fallback_dir())
}

/// `run` when it can be made safe; otherwise `fallback`, but never for root.
pub fn locate(run: &Path, root: bool, fallback: &Path) -> Result<PathBuf> {
    match prepare(run) {
        Ok(()) => Ok(run.to_path_buf()),
        // Any other place may be one a user can write; root's lock files must not be there.
        Err(e) if root => Err(e),
        Err(_) => {
            prepare(fallback)?;
            Ok(fallback.to_path_buf())
        }
    }
}

fn fallback_dir() -> PathBuf {
    std::env::temp_dir().join(format!("lktrace-{}", uid()))
}

/// Creates `dir` (mode 0700) when absent, then checks it: a directory, not a symlink, owned by
/// the running user, not writable by group or others.
pub fn prepare(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    let b = {
        use std::os::unix::fs::DirBuilderExt;
        let mut b = std::fs::DirBuilder::new();
        b.mode(0o700);
        b
    };
    #[cfg(not(unix))]
    let b = std::fs::DirBuilder::new();
    match b.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::io("create", dir, e)),
    }
    check_dir(dir)
}

#[cfg(unix)]
fn uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn uid() -> u32 {
    0
}

#[cfg_attr(not(unix), allow(dead_code))]
fn unsafe_dir(dir: &Path, reason: String) -> Error {
    Error::LockDir {
        path: dir.to_path_buf(),
        reason,
    }
}

#[cfg(unix)]
fn check_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENOTDIR) => {
                unsafe_dir(dir, "it is a symbolic link or not a directory".into())
            }
            _ => Error::io("open", dir, e),
        })?;
    let m = f.metadata().map_err(|e| Error::io("stat", dir, e))?;
    if m.uid() != uid() {
        return Err(unsafe_dir(
            dir,
            format!("it is owned by uid {}, not by uid {}", m.uid(), uid()),
        ));
    }
    if m.mode() & 0o022 != 0 {
        return Err(unsafe_dir(
            dir,
            format!(
                "group or others can write it (mode {:03o})",
                m.mode() & 0o777
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_dir(_dir: &Path) -> Result<()> {
    // No tracing off Linux: the directory only ever holds a client's nothing.
    Ok(())
}

fn options(write: bool) -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true).write(write);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o600);
    }
    o
}

/// Opens (creating when absent) a lock file for reading and writing. Never truncates on open:
/// the caller empties it only once it holds the lock, and only after the checks.
pub fn open_lock(path: &Path) -> std::io::Result<File> {
    let f = options(true).create(true).open(path)?;
    check_file(&f)?;
    Ok(f)
}

/// Opens an existing file of the lock directory (read, or read and write).
pub fn open_existing(path: &Path, write: bool) -> std::io::Result<File> {
    let f = options(write).open(path)?;
    check_file(&f)?;
    Ok(f)
}

/// Reads at most `cap` bytes of a file of the lock directory as text.
pub fn read_small(path: &Path, cap: u64) -> std::io::Result<String> {
    let f = open_existing(path, false)?;
    // Sized once: the kept function table is 1–2 MB, and growing a buffer to that by doubling
    // costs as much again as the read.
    let size = f.metadata().map_or(0, |m| m.len().min(cap));
    let mut s = String::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    f.take(cap).read_to_string(&mut s)?;
    Ok(s)
}

/// Replaces `path` with `data`: written to a new file (`O_EXCL`), then renamed over the old
/// name, so a symlink planted at either name is replaced, never followed.
pub fn write_replace(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    // A leftover of a run that died mid-write: unlink removes the name, never a target.
    let _ = std::fs::remove_file(&tmp);
    let mut f = options(true).create_new(true).open(&tmp)?;
    f.write_all(data)?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// A file we may trust: regular, ours, and not a hard link to something elsewhere.
#[cfg(unix)]
fn check_file(f: &File) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let m = f.metadata()?;
    let bad = |why: &str| Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
    if !m.file_type().is_file() {
        return bad("not a regular file");
    }
    if m.uid() != uid() {
        return bad("owned by another user");
    }
    if m.nlink() != 1 {
        return bad("a hard link");
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_file(_f: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_directory_is_0700_and_an_unsafe_one_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("locks");
        prepare(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(prepare(&d), Err(Error::LockDir { .. })));
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o730)).unwrap();
        assert!(matches!(prepare(&d), Err(Error::LockDir { .. })));
        // A symlink to a safe directory is still refused: its target can change.
        let safe = t.path().join("safe");
        prepare(&safe).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&safe, &link).unwrap();
        assert!(matches!(prepare(&link), Err(Error::LockDir { .. })));
    }

    #[test]
    fn a_directory_owned_by_another_user_is_refused() {
        if uid() != 0 {
            return; // only root can give a directory away
        }
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("theirs");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&d, Some(65534), None).unwrap();
        let e = prepare(&d).unwrap_err();
        assert!(e.to_string().contains("owned by uid 65534"), "{e}");
    }

    #[test]
    fn root_never_falls_back() {
        let t = tempfile::tempdir().unwrap();
        // A /run that cannot be used: a file where the directory should be.
        let run = t.path().join("run");
        std::fs::write(&run, "").unwrap();
        let fallback = t.path().join("fallback");
        assert!(locate(&run, true, &fallback).is_err());
        assert!(!fallback.exists());
        assert_eq!(locate(&run, false, &fallback).unwrap(), fallback);
    }

    #[test]
    fn files_are_never_followed_through_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let victim = t.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = t.path().join("global.lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(open_lock(&link).is_err());
        assert!(open_existing(&link, true).is_err());
        assert!(read_small(&link, 100).is_err());
        // Replacing a symlinked journal replaces the link, not its target.
        let j = t.path().join("session-1.journal");
        std::os::unix::fs::symlink(&victim, &j).unwrap();
        let tmp = t.path().join("session-1.journal.new");
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        write_replace(&j, b"[]").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(read_small(&j, 100).unwrap(), "[]");
        // A hard link is refused too.
        let hard = t.path().join("hard.lock");
        std::fs::hard_link(&victim, &hard).unwrap();
        assert!(open_lock(&hard).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}
