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
pub mod ftrace_lock;
pub mod function_table;
pub mod graph;
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
pub mod raw;
pub mod rcu;
pub mod relpath;
pub mod security;
pub mod session;
pub mod stale;
pub mod stop;
pub mod synthetic;
pub mod sys;
pub mod tap;
pub mod trace_line;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Told of every operation when set (`--debug`).
    tap: Option<tap::TapHandle>,
    /// The running kernel's `/sys/kernel`, for a tracefs found mounted (never for a directory
    /// given by the caller, which may be a copy or a test's tree).
    sys_kernel: Option<PathBuf>,
    /// The running kernel's `/proc/sys/kernel` (sysctl `kernel.*`), likewise.
    proc_sys_kernel: Option<PathBuf>,
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
            tap: None,
            sys_kernel: None,
            proc_sys_kernel: None,
        }
    }

    /// The same tree, with `dir` standing for the running kernel's `/sys/kernel` (tests).
    #[cfg(test)]
    pub(crate) fn with_sys_kernel(self, dir: impl Into<PathBuf>) -> Tracefs {
        Tracefs {
            sys_kernel: Some(dir.into()),
            ..self
        }
    }

    /// The same tree, with `dir` standing for the running kernel's `/proc/sys/kernel` (tests).
    #[cfg(test)]
    pub(crate) fn with_proc_sys_kernel(self, dir: impl Into<PathBuf>) -> Tracefs {
        Tracefs {
            proc_sys_kernel: Some(dir.into()),
            ..self
        }
    }

    /// `kernel.ftrace_enabled` of the running kernel: when false the function tracer and the
    /// function profiler record nothing, without an error anywhere. `None`: not the running
    /// kernel's tracefs, or no such setting (a kernel without the function tracer).
    pub fn ftrace_enabled(&self) -> Option<bool> {
        let path = self.proc_sys_kernel.as_ref()?.join("ftrace_enabled");
        let v = self
            .tapped(tap::Op::Read, &path, None, String::len, || {
                std::fs::read_to_string(&path)
            })
            .ok()?;
        Some(v.trim() != "0")
    }

    /// Fails when `kernel.ftrace_enabled` is 0 (see [`Tracefs::ftrace_enabled`]). Refused
    /// rather than set, as perf-tools sets it: it is one switch for the whole system, turned
    /// off by someone on purpose, and putting it back at the end of a run would turn it off
    /// under any other run that started meanwhile.
    pub fn require_ftrace_enabled(&self) -> Result<()> {
        match self.ftrace_enabled() {
            Some(false) => Err(Error::FtraceDisabled),
            _ => Ok(()),
        }
    }

    /// True for a tracefs found mounted: the running kernel's, not a directory given by the
    /// caller (a copy, a test's tree).
    pub fn is_running_kernels(&self) -> bool {
        self.sys_kernel.is_some()
    }

    /// A kernel setting of the running kernel's, when this is its tracefs.
    pub fn knob(&self, knob: rcu::Knob) -> Option<PathBuf> {
        self.sys_kernel.as_ref().map(|d| d.join(knob.file()))
    }

    /// Reads a kernel setting (`None`: not this kernel's tracefs, or no such file).
    pub fn read_knob(&self, knob: rcu::Knob) -> Option<String> {
        let path = self.knob(knob)?;
        self.tapped(tap::Op::Read, &path, None, String::len, || {
            std::fs::read_to_string(&path)
        })
        .ok()
        .map(|s| s.trim().to_string())
    }

    /// Writes a kernel setting of the running kernel's.
    pub fn write_knob(&self, knob: rcu::Knob, value: &str) -> Result<()> {
        let Some(path) = self.knob(knob) else {
            return Err(Error::Unsupported(format!(
                "{} belongs to the running kernel, not to this tracefs",
                knob.name()
            )));
        };
        self.tapped(
            tap::Op::Write,
            &path,
            Some(value),
            |_| value.len(),
            || {
                OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&path)?
                    .write_all(value.as_bytes())
            },
        )
        .map_err(|e| Error::io("write", &path, e))
    }

    /// The same root, with every operation reported to `tap`.
    pub fn with_tap(self, tap: tap::TapHandle) -> Tracefs {
        Tracefs {
            tap: Some(tap),
            ..self
        }
    }

    pub fn tap(&self) -> Option<&tap::TapHandle> {
        self.tap.as_ref()
    }

    /// Times a phase of a run until the returned timer is dropped (reported to the tap).
    pub fn phase(&self, name: &'static str) -> tap::PhaseTimer {
        tap::PhaseTimer::start(self.tap.as_ref(), name)
    }

    /// Runs one operation, telling the tap (if any) what it did and how long it took.
    fn tapped<T>(
        &self,
        op: tap::Op,
        path: &Path,
        data: Option<&str>,
        size: impl Fn(&T) -> usize,
        f: impl FnOnce() -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let Some(t) = &self.tap else {
            return f();
        };
        let start = Instant::now();
        let r = f();
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        t.0.io(&tap::Io {
            op,
            path: rel,
            data,
            bytes: match &r {
                Ok(v) => size(v),
                Err(_) => 0,
            },
            took: start.elapsed(),
            error: r.as_ref().err(),
        });
        r
    }

    /// Opens a trace pipe (`trace_pipe` of an instance) for the caller to read.
    pub fn open_pipe(&self, rel: impl AsRef<Path>) -> Result<pipe::TracePipe> {
        let path = self.path(rel);
        let start = Instant::now();
        let r = pipe::TracePipe::open(&path);
        if let Some(t) = &self.tap {
            let err = r
                .as_ref()
                .err()
                .map(|e| std::io::Error::other(e.to_string()));
            t.0.io(&tap::Io {
                op: tap::Op::Open,
                path: path.strip_prefix(&self.root).unwrap_or(&path),
                data: None,
                bytes: 0,
                took: start.elapsed(),
                error: err.as_ref(),
            });
        }
        r
    }

    /// Opens a CPU's `per_cpu/cpuN/trace_pipe_raw` (or any file of whole pages) with
    /// O_NONBLOCK, for a [`raw::ReaderSource`]: a read of an empty buffer gives `WouldBlock`
    /// instead of blocking.
    #[cfg(unix)]
    pub fn open_raw(&self, rel: impl AsRef<Path>) -> Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.path(rel);
        self.tapped(
            tap::Op::Open,
            &path,
            None,
            |_| 0,
            || {
                OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&path)
            },
        )
        .map_err(|e| self.classify("open", &path, e))
    }

    /// Elsewhere there is no tracefs to read (lktrace builds there as a client only).
    #[cfg(not(unix))]
    pub fn open_raw(&self, rel: impl AsRef<Path>) -> Result<File> {
        let path = self.path(rel);
        Err(self.classify(
            "open",
            &path,
            std::io::Error::from(std::io::ErrorKind::Unsupported),
        ))
    }

    /// The same root, kept in use by `hold` for this value's life: a mounted tracefs, the
    /// running kernel's.
    fn held(self, hold: Option<std::sync::Arc<mounted::InUse>>) -> Tracefs {
        Tracefs {
            _hold: hold,
            sys_kernel: Some(PathBuf::from("/sys/kernel")),
            proc_sys_kernel: Some(PathBuf::from("/proc/sys/kernel")),
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
        // Which step failed decides the message; the tap sees the whole read.
        let mut failed_at = "open";
        self.tapped(tap::Op::Read, &path, None, String::len, || {
            let mut f = File::open(&path)?;
            failed_at = "read";
            let mut s = String::new();
            f.read_to_string(&mut s)?;
            Ok(s)
        })
        .map_err(|e| self.classify(failed_at, &path, e))
    }

    /// Opens `rel` for reading and, with `write`, for appending, and closes it again without a
    /// byte read or written: whether the kernel lets this process use the file (lockdown and
    /// security modules decide at open), changing nothing (an append open keeps a list whole).
    pub fn try_access(&self, rel: impl AsRef<Path>, write: bool) -> Result<()> {
        let path = self.path(rel);
        File::open(&path).map_err(|e| self.classify("open", &path, e))?;
        if write {
            OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|e| self.classify("open", &path, e))?;
        }
        Ok(())
    }

    /// Reads a file that answers only the first read(2) (`events/header_page` and
    /// `header_event`: the kernel gives nothing past offset 0, so a short first read, as
    /// `read_to_string`'s probe makes, would cut them): one read of up to 64 KB.
    pub fn read_whole_once(&self, rel: impl AsRef<Path>) -> Result<String> {
        let path = self.path(rel);
        let mut failed_at = "open";
        self.tapped(tap::Op::Read, &path, None, String::len, || {
            let mut f = File::open(&path)?;
            failed_at = "read";
            let mut buf = vec![0u8; 64 * 1024];
            let n = loop {
                match f.read(&mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            buf.truncate(n);
            Ok(String::from_utf8_lossy(&buf).into_owned())
        })
        .map_err(|e| self.classify(failed_at, &path, e))
    }

    /// Reads a file that holds one value (`current_tracer`, `tracing_on`), trimmed.
    pub fn read_value(&self, rel: impl AsRef<Path>) -> Result<String> {
        Ok(self.read(rel)?.trim().to_string())
    }

    /// Replaces a control file's value (O_TRUNC). Never used for probe or filter lists.
    pub fn write(&self, rel: impl AsRef<Path>, data: &str) -> Result<()> {
        self.write_with(tap::Op::Write, rel.as_ref(), data)
    }

    /// Appends to a list file (O_APPEND): probe definitions, filter tokens, pids.
    /// One `write(2)` per call, so the kernel's errno belongs to this data alone.
    pub fn append(&self, rel: impl AsRef<Path>, data: &str) -> Result<()> {
        self.write_with(tap::Op::Append, rel.as_ref(), data)
    }

    /// One open and one `write(2)` of `data`: replacing (`Op::Write`) or appending.
    fn write_with(&self, op: tap::Op, rel: &Path, data: &str) -> Result<()> {
        let path = self.path(rel);
        let mut opened = false;
        self.tapped(
            op,
            &path,
            Some(data),
            |_| data.len(),
            || {
                let mut o = OpenOptions::new();
                match op {
                    tap::Op::Append => o.append(true),
                    _ => o.write(true).truncate(true),
                };
                let mut f = o.open(&path)?;
                opened = true;
                f.write_all(data.as_bytes())
            },
        )
        .map_err(|e| {
            if opened {
                self.rejected(&path, data, e)
            } else {
                self.classify("open", &path, e)
            }
        })
    }

    /// Replaces a list file (`set_ftrace_filter`) with `items` through one open (O_TRUNC) and
    /// one close, one `write(2)` per item: the kernel takes one token per write and applies the
    /// list at close, where it patches code once for the whole list. An item the kernel refuses
    /// is named in the error ([`Error::Rejected`]'s `written`); the ones before it were taken.
    /// No items: the file is emptied.
    pub fn write_list(&self, rel: impl AsRef<Path>, items: &[String]) -> Result<()> {
        let path = self.path(rel);
        let joined: String = items.iter().map(|i| format!("{i}\n")).collect();
        let mut opened = false;
        let mut failed: Option<&str> = None;
        self.tapped(
            tap::Op::Write,
            &path,
            Some(&joined),
            |_| joined.len(),
            || {
                let mut f = OpenOptions::new().write(true).truncate(true).open(&path)?;
                opened = true;
                for item in items {
                    failed = Some(item);
                    // The newline ends the token inside this write; without it the kernel keeps
                    // the token open and joins it to the next write.
                    f.write_all(format!("{item}\n").as_bytes())?;
                }
                failed = None;
                Ok(())
            },
        )
        .map_err(|e| match (opened, failed) {
            (true, Some(item)) => self.rejected(&path, item, e),
            _ => self.classify("open", &path, e),
        })
    }

    /// Empties a list file by opening it with O_TRUNC and writing nothing.
    ///
    /// Only for files whose truncation affects nothing but our own state (an instance's
    /// `set_ftrace_filter`, `set_event_pid`), or to restore a saved global list under the lock.
    pub fn truncate(&self, rel: impl AsRef<Path>) -> Result<()> {
        let path = self.path(rel);
        self.tapped(
            tap::Op::Truncate,
            &path,
            None,
            |_| 0,
            || {
                OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&path)
                    .map(drop)
            },
        )
        .map_err(|e| self.classify("open", &path, e))
    }

    pub fn mkdir(&self, rel: impl AsRef<Path>) -> Result<()> {
        let path = self.path(rel);
        self.tapped(
            tap::Op::Mkdir,
            &path,
            None,
            |_| 0,
            || std::fs::create_dir(&path),
        )
        .map_err(|e| self.classify("mkdir", &path, e))
    }

    pub fn rmdir(&self, rel: impl AsRef<Path>) -> Result<()> {
        let path = self.path(rel);
        self.tapped(
            tap::Op::Rmdir,
            &path,
            None,
            |_| 0,
            || std::fs::remove_dir(&path),
        )
        .map_err(|e| self.classify("rmdir", &path, e))
    }

    /// Names of the entries of a directory, sorted.
    pub fn list_dir(&self, rel: impl AsRef<Path>) -> Result<Vec<String>> {
        let path = self.path(rel);
        self.tapped(tap::Op::List, &path, None, Vec::len, || {
            let mut names: Vec<String> = std::fs::read_dir(&path)?
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect();
            names.sort();
            Ok(names)
        })
        .map_err(|e| self.classify("list", &path, e))
    }

    /// Turns EPERM into the lockdown error when the kernel is locked down, so the user is told
    /// the real reason rather than "run as root" while already root.
    fn classify(&self, op: &'static str, path: &Path, e: std::io::Error) -> Error {
        let denied = e.kind() == std::io::ErrorKind::PermissionDenied
            || e.raw_os_error() == Some(libc::EPERM);
        // Root refused: lockdown in confidentiality mode, or (any other mode) a security
        // module or a sandbox; said apart, since the cures differ.
        if denied && sys::is_root() {
            let sec = security::security();
            return match sec.refusal() {
                security::Refusal::Lockdown => Error::Lockdown {
                    path: path.to_path_buf(),
                    mode: "confidentiality".into(),
                },
                security::Refusal::Other(why) => Error::Refused {
                    path: path.to_path_buf(),
                    why,
                },
            };
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
