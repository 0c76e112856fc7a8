//! Noticing that the reader of stdout went away (`lktrace kprobe … | head`) while the run is
//! waiting for events, not only at the next write: a quiet probe would otherwise keep its
//! probes, instance and buffer until the next event came, which may be never.
//!
//! poll(2) reports POLLERR on a pipe whose read end is closed and POLLHUP on a socket its
//! peer shut down, even with no events asked for; a terminal, a file or /dev/null never do,
//! so watching them costs one thread blocked in poll and nothing else.

/// True when the reader of `fd` is gone, waiting up to `timeout_ms` for it (-1: as long as it
/// takes). False on a timeout, and for an fd that is not open.
#[cfg(unix)]
pub fn reader_gone(fd: std::os::fd::RawFd, timeout_ms: i32) -> bool {
    loop {
        let mut p = libc::pollfd {
            fd,
            // None asked for: POLLERR and POLLHUP are reported anyway, and nothing else.
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd, its count 1.
        let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return false;
        }
        return n > 0 && p.revents & (libc::POLLERR | libc::POLLHUP) != 0;
    }
}

/// Calls `on_gone` from a thread of its own when stdout's reader goes away (never, for a
/// terminal or a file). The thread ends with the process.
pub fn watch_stdout(on_gone: impl FnOnce() + Send + 'static) {
    #[cfg(unix)]
    {
        let spawned = std::thread::Builder::new()
            .name("stdout-watch".into())
            .spawn(move || {
                if reader_gone(libc::STDOUT_FILENO, -1) {
                    on_gone();
                }
            });
        // Without the thread a closed pipe is still noticed at the next write.
        drop(spawned);
    }
    #[cfg(not(unix))]
    drop(on_gone);
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: fds has room for the two descriptors pipe(2) returns.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both were just opened and are owned by nothing else.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    #[test]
    fn a_pipe_whose_reader_closed_is_seen_without_a_write() {
        let (read, write) = pipe();
        assert!(
            !reader_gone(write.as_raw_fd(), 0),
            "the reader is still there"
        );
        drop(read);
        assert!(reader_gone(write.as_raw_fd(), 0));
    }

    #[test]
    fn a_full_pipe_with_a_reader_is_not_gone() {
        let (read, write) = pipe();
        // SAFETY: F_SETFL on our own fd.
        unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let mut f = std::fs::File::from(write.try_clone().unwrap());
        while std::io::Write::write(&mut f, &[0u8; 4096]).is_ok() {}
        assert!(!reader_gone(write.as_raw_fd(), 0));
        drop(read);
        assert!(reader_gone(write.as_raw_fd(), 0));
    }

    #[test]
    fn a_file_is_never_gone() {
        let f = tempfile::tempfile().unwrap();
        assert!(!reader_gone(f.as_raw_fd(), 0));
    }
}
