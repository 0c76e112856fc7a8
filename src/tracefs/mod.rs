//! Everything that touches tracefs lives here, one file per tracefs concept.
//!
//! This module stands alone: it never imports the tools, the output, the remote code or clap,
//! so another program could use it as a library.
//!
//! Writes come in two kinds, and the difference matters: [`Tracefs::write`] replaces a control
//! file's value (O_TRUNC, like `echo x >`), [`Tracefs::append`] adds to a list (O_APPEND, like
//! `echo x >>`). Opening `kprobe_events` with O_TRUNC deletes every probe on the system, so the
//! list files are only ever reached through `append`.

pub mod buffer;
pub mod dynamic_events;
pub mod error;
pub mod error_log;
pub mod events;
pub mod features;
pub mod format;
pub mod ftrace_filter;
pub mod hist;
pub mod instance;
pub mod kprobe_profile;
pub mod lock;
pub mod lockdir;
pub mod mount;
pub mod mounted;
pub mod pipe;
pub mod probe;
pub mod profiler;
pub mod relpath;
pub mod session;
pub mod stale;
pub mod stop;
pub mod sys;
pub mod trace_line;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub use error::{Error, Result};
pub use session::Session;

/// A tracefs mount: the root of every path this library touches.
///
/// It can point at any directory, which is how unit tests run the library on a fake tree.
/// One found by discovery also holds this process's share of it ([`mounted::InUse`]): when
/// the last clone goes, a mount lktrace made is taken away again.
#[derive(Debug, Clone)]
pub struct Tracefs {
    root: PathBuf,
    /// Never read: held for its drop, which may unmount (see [`mounted`]).
    _hold: Option<std::sync::Arc<mounted::InUse>>,
}

impl PartialEq for Tracefs {
    fn eq(&self, other: &Tracefs) -> bool {
        self.root == other.root
    }
}

impl Eq for Tracefs {}

impl Tracefs {
    /// Uses `root` as it is, without checking it.
    pub fn at(root: impl Into<PathBuf>) -> Tracefs {
        Tracefs {
            root: root.into(),
            _hold: None,
        }
    }

    /// The same root, kept in use by `hold` for this value's life.
    fn held(self, hold: Option<std::sync::Arc<mounted::InUse>>) -> Tracefs {
        Tracefs {
            _hold: hold,
            ..self
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    pub fn exists(&self, rel: impl AsRef<Path>) -> bool {
        self.path(rel).exists()
    }

    /// Reads a whole file. tracefs files report size 0, so this reads until EOF.
    pub fn read(&self, rel: impl AsRef<Path>) -> Result<String> {
        let path = self.path(rel);
        let mut f = File::open(&path).map_err(|e| self.classify("open", &path, e))?;
        let mut s = String::new();
        f.read_to_string(&mut s)
            .map_err(|e| self.classify("read", &path, e))?;
        Ok(s)
    }

    /// Reads a file that holds one value (`current_tracer`, `tracing_on`), trimmed.
    pub fn read_value(&self, rel: impl AsRef<Path>) -> Result<String> {
        Ok(self.read(rel)?.trim().to_string())
    }

    /// Replaces a control file's value (O_TRUNC). Never used for probe or filter lists.
    pub fn write(&self, rel: impl AsRef<Path>, data: &str) -> Result<()> {
        let path = self.path(rel);
        let mut f = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| self.classify("open", &path, e))?;
        f.write_all(data.as_bytes())
            .map_err(|e| self.rejected(&path, data, e))
    }

    /// Appends to a list file (O_APPEND): probe definitions, filter tokens, pids.
    /// One `write(2)` per call, so the kernel's errno belongs to this data alone.
    pub fn append(&self, rel: impl AsRef<Path>, data: &str) -> Result<()> {
        let path = self.path(rel);
        let mut f = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| self.classify("open", &path, e))?;
        f.write_all(data.as_bytes())
            .map_err(|e| self.rejected(&path, data, e))
    }

    /// Empties a list file by opening it with O_TRUNC and writing nothing.
    ///
    /// Only for files whose truncation affects nothing but our own state (an instance's
    /// `set_ftrace_filter`, `set_event_pid`), or to restore a saved global list under the lock.
    pub fn truncate(&self, rel: impl AsRef<Path>) -> Result<()> {
        let path = self.path(rel);
        OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .map(drop)
            .map_err(|e| self.classify("open", &path, e))
    }

    pub fn mkdir(&self, rel: impl AsRef<Path>) -> Result<()> {
        let path = self.path(rel);
        std::fs::create_dir(&path).map_err(|e| self.classify("mkdir", &path, e))
    }

    pub fn rmdir(&self, rel: impl AsRef<Path>) -> Result<()> {
        let path = self.path(rel);
        std::fs::remove_dir(&path).map_err(|e| self.classify("rmdir", &path, e))
    }

    /// Names of the entries of a directory, sorted.
    pub fn list_dir(&self, rel: impl AsRef<Path>) -> Result<Vec<String>> {
        let path = self.path(rel);
        let rd = std::fs::read_dir(&path).map_err(|e| self.classify("list", &path, e))?;
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Turns EPERM into the lockdown error when the kernel is locked down, so the user is told
    /// the real reason rather than "run as root" while already root.
    fn classify(&self, op: &'static str, path: &Path, e: std::io::Error) -> Error {
        let denied = e.kind() == std::io::ErrorKind::PermissionDenied
            || e.raw_os_error() == Some(libc::EPERM);
        if denied {
            match features::lockdown_mode() {
                Some(mode) if mode == "confidentiality" => {
                    return Error::Lockdown {
                        path: path.to_path_buf(),
                        mode,
                    }
                }
                // Root refused by tracefs: lockdown is the only reason the kernel has. Without
                // securityfs mounted we cannot read the mode, so say what we know.
                None if sys::is_root() => {
                    return Error::Lockdown {
                        path: path.to_path_buf(),
                        mode:
                            "lockdown mode unreadable: securityfs is not mounted; refused to root"
                                .into(),
                    }
                }
                _ => {}
            }
        }
        Error::io(op, path, e)
    }

    fn rejected(&self, path: &Path, data: &str, e: std::io::Error) -> Error {
        match e.kind() {
            std::io::ErrorKind::PermissionDenied => self.classify("write", path, e),
            _ => Error::Rejected {
                path: path.to_path_buf(),
                written: data.trim_end().to_string(),
                source: e,
                log: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_adds_and_write_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tracefs::at(dir.path());
        // tracefs files exist before anyone writes them; writes never create files.
        std::fs::write(dir.path().join("current_tracer"), "").unwrap();
        std::fs::write(dir.path().join("kprobe_events"), "").unwrap();
        assert!(t.write("no_such_file", "1").is_err());
        t.write("current_tracer", "nop\n").unwrap();
        t.write("current_tracer", "function\n").unwrap();
        assert_eq!(t.read_value("current_tracer").unwrap(), "function");
        t.append("kprobe_events", "p:a/b x\n").unwrap();
        t.append("kprobe_events", "p:a/c y\n").unwrap();
        assert_eq!(t.read("kprobe_events").unwrap(), "p:a/b x\np:a/c y\n");
    }

    #[test]
    fn missing_file_is_an_io_error_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tracefs::at(dir.path());
        match t.read("nope") {
            Err(Error::Io { path, .. }) => assert!(path.ends_with("nope")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
