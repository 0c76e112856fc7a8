//! Reading `trace_pipe`: non-blocking, in large chunks into one reusable buffer, handing out
//! whole lines as borrowed `&str` (no allocation per line), and waking up regularly so a stop
//! request is seen within a fraction of a second.
//!
//! Invalid UTF-8 (a comm or a string argument the kernel copied raw) does not stop the reader:
//! such a line is handed out converted lossily (U+FFFD for the bad bytes). Only those lines
//! allocate; valid lines are borrowed straight from the buffer.

use std::path::Path;
use std::time::Duration;

use super::error::Result;

/// One `read(2)` asks for this much: trace_pipe hands out whole pages per read.
#[cfg(unix)]
const CHUNK: usize = 64 * 1024;
/// At most this much is read per `read_lines` call, so a caller checking a stop flag between
/// calls gets control back even when the kernel produces faster than we read.
#[cfg(unix)]
const MAX_PER_CALL: usize = 4 * 1024 * 1024;
/// A "line" longer than this without a newline is handed out as it is, to bound memory.
#[cfg(unix)]
const MAX_LINE: usize = 1024 * 1024;

#[cfg(unix)]
pub struct TracePipe {
    file: std::fs::File,
    path: std::path::PathBuf,
    /// Bytes read and not handed out yet: at most a partial last line between calls.
    buf: Vec<u8>,
    /// How long to wait between "readable" and reading; see [`TracePipe::settle`].
    settle: std::time::Duration,
}

#[cfg(unix)]
impl TracePipe {
    /// Opens a `trace_pipe` (or any file: tests use regular files and FIFOs) with O_NONBLOCK.
    pub fn open(path: &Path) -> Result<TracePipe> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| super::Error::io("open", path, e))?;
        Ok(TracePipe {
            file,
            path: path.to_path_buf(),
            buf: Vec::with_capacity(2 * CHUNK),
            settle: std::time::Duration::ZERO,
        })
    }

    /// Waits this long after data arrives before reading it. The kernel fills its pid->comm
    /// and pid->tgid caches when a traced task is next switched out, and formats `trace_pipe`
    /// lines when they are read: read at once, a short-lived task shows as `<...>`. A tenth
    /// of a second of latency lets the names settle.
    pub fn settle(mut self, d: std::time::Duration) -> TracePipe {
        self.settle = d;
        self
    }

    /// Waits up to `timeout` for data, then calls `f` for every complete line read.
    /// Returns the number of lines. A partial last line is kept for the next call.
    pub fn read_lines(&mut self, timeout: Duration, f: &mut dyn FnMut(&str)) -> Result<usize> {
        let readable = super::sys::wait_readable(&self.file, timeout)
            .map_err(|e| super::Error::io("poll", &self.path, e))?;
        if !readable {
            return Ok(0);
        }
        if !self.settle.is_zero() {
            std::thread::sleep(self.settle);
        }
        let (read, eof) = self.fill(MAX_PER_CALL)?;
        let n = self.emit_lines(f);
        if read == 0 && eof {
            // A regular file at its end (or a FIFO without writer) polls readable forever:
            // wait out the timeout here so the caller's loop does not spin.
            std::thread::sleep(timeout);
        }
        Ok(n)
    }

    /// Reads whatever is left without waiting (after tracing stopped), including a last line
    /// without a newline.
    pub fn drain(&mut self, f: &mut dyn FnMut(&str)) -> Result<usize> {
        let mut n = 0;
        loop {
            let (read, _eof) = self.fill(MAX_PER_CALL)?;
            n += self.emit_lines(f);
            if read < MAX_PER_CALL {
                break;
            }
        }
        if !self.buf.is_empty() {
            emit(&self.buf, f);
            self.buf.clear();
            n += 1;
        }
        Ok(n)
    }

    /// Reads until EAGAIN, EOF or `limit` bytes. Returns (bytes read, hit EOF).
    fn fill(&mut self, limit: usize) -> Result<(usize, bool)> {
        use std::io::Read;
        let mut total = 0;
        loop {
            let start = self.buf.len();
            self.buf.resize(start + CHUNK, 0);
            let r = self.file.read(&mut self.buf[start..]);
            match r {
                Ok(0) => {
                    self.buf.truncate(start);
                    return Ok((total, true));
                }
                Ok(k) => {
                    self.buf.truncate(start + k);
                    total += k;
                    if total >= limit {
                        return Ok((total, false));
                    }
                }
                Err(e) => {
                    self.buf.truncate(start);
                    match e.kind() {
                        std::io::ErrorKind::WouldBlock => return Ok((total, false)),
                        std::io::ErrorKind::Interrupted => continue,
                        _ => return Err(super::Error::io("read", &self.path, e)),
                    }
                }
            }
        }
    }

    /// Hands out every complete line and keeps the tail.
    fn emit_lines(&mut self, f: &mut dyn FnMut(&str)) -> usize {
        let mut n = 0;
        let mut start = 0;
        while let Some(off) = self.buf[start..].iter().position(|&c| c == b'\n') {
            emit(&self.buf[start..start + off], f);
            n += 1;
            start += off + 1;
        }
        if self.buf.len() - start > MAX_LINE {
            emit(&self.buf[start..], f);
            n += 1;
            start = self.buf.len();
        }
        self.buf.drain(..start);
        n
    }
}

#[cfg(unix)]
fn emit(line: &[u8], f: &mut dyn FnMut(&str)) {
    match std::str::from_utf8(line) {
        Ok(s) => f(s),
        Err(_) => f(&String::from_utf8_lossy(line)),
    }
}

/// Off Unix there is no tracefs to read; the type exists so the crate (and the remote client
/// built from it) compiles.
#[cfg(not(unix))]
pub struct TracePipe {
    _private: (),
}

#[cfg(not(unix))]
impl TracePipe {
    pub fn open(_path: &Path) -> Result<TracePipe> {
        Err(super::Error::Unsupported(
            "trace_pipe can only be read on Linux".into(),
        ))
    }

    pub fn settle(self, _d: Duration) -> TracePipe {
        self
    }

    pub fn read_lines(&mut self, _timeout: Duration, _f: &mut dyn FnMut(&str)) -> Result<usize> {
        Err(super::Error::Unsupported(
            "trace_pipe can only be read on Linux".into(),
        ))
    }

    pub fn drain(&mut self, _f: &mut dyn FnMut(&str)) -> Result<usize> {
        Err(super::Error::Unsupported(
            "trace_pipe can only be read on Linux".into(),
        ))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    fn collect(p: &mut TracePipe, timeout: Duration) -> Vec<String> {
        let mut v = Vec::new();
        let n = p
            .read_lines(timeout, &mut |l| v.push(l.to_string()))
            .unwrap();
        assert_eq!(n, v.len());
        v
    }

    #[test]
    fn regular_file_lines_tail_and_eof() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace_pipe");
        std::fs::write(&path, "one\ntwo\nthr").unwrap();
        let mut p = TracePipe::open(&path).unwrap();
        assert_eq!(collect(&mut p, Duration::from_millis(10)), ["one", "two"]);
        // At EOF: nothing, after waiting out the timeout (no busy loop).
        let t = Instant::now();
        assert!(collect(&mut p, Duration::from_millis(50)).is_empty());
        assert!(t.elapsed() >= Duration::from_millis(45));
        // Appended data completes the kept tail.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"ee\nfour").unwrap();
        assert_eq!(collect(&mut p, Duration::from_millis(10)), ["three"]);
        let mut rest = Vec::new();
        assert_eq!(p.drain(&mut |l| rest.push(l.to_string())).unwrap(), 1);
        assert_eq!(rest, ["four"]);
    }

    #[test]
    fn large_input_crosses_chunks_and_debian_fixture_lines_survive() {
        let fixture = include_str!("../../tests/fixtures/debian/trace_kprobes.txt");
        let mut text = String::new();
        while text.len() < 3 * CHUNK + 100 {
            text.push_str(fixture);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace_pipe");
        std::fs::write(&path, &text).unwrap();
        let mut p = TracePipe::open(&path).unwrap();
        let mut got = Vec::new();
        p.read_lines(Duration::from_millis(10), &mut |l| got.push(l.to_string()))
            .unwrap();
        p.drain(&mut |l| got.push(l.to_string())).unwrap();
        let want: Vec<&str> = text.lines().collect();
        assert_eq!(got, want);
    }

    #[test]
    fn invalid_utf8_is_lossy_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace_pipe");
        std::fs::write(&path, b"ok\nbad \xff comm\nfine\n").unwrap();
        let mut p = TracePipe::open(&path).unwrap();
        assert_eq!(
            collect(&mut p, Duration::from_millis(10)),
            ["ok", "bad \u{fffd} comm", "fine"]
        );
    }

    #[test]
    fn fifo_without_data_times_out_then_delivers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let mut p = TracePipe::open(&path).unwrap();
        // A writer keeps the FIFO open, as the kernel keeps trace_pipe.
        let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let t = Instant::now();
        assert!(collect(&mut p, Duration::from_millis(50)).is_empty());
        assert!(t.elapsed() >= Duration::from_millis(40), "poll waited");
        w.write_all(b"a\nb").unwrap();
        assert_eq!(collect(&mut p, Duration::from_millis(500)), ["a"]);
        // EAGAIN, not EOF: the writer is still there; nothing more yet.
        assert!(collect(&mut p, Duration::from_millis(10)).is_empty());
        w.write_all(b"c\n").unwrap();
        assert_eq!(collect(&mut p, Duration::from_millis(500)), ["bc"]);
        drop(w);
        let mut rest = Vec::new();
        p.drain(&mut |l| rest.push(l.to_string())).unwrap();
        assert!(rest.is_empty());
    }

    #[test]
    fn missing_file_is_an_error_with_its_path() {
        match TracePipe::open(Path::new("/nonexistent/trace_pipe")) {
            Err(super::super::Error::Io { path, .. }) => assert!(path.ends_with("trace_pipe")),
            Err(e) => panic!("unexpected {e:?}"),
            Ok(_) => panic!("opened a missing file"),
        }
    }
}
