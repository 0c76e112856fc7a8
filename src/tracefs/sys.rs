//! The few system calls tracefs work needs beyond std, with stand-ins off Linux so the crate
//! (and the remote client built from it) compiles on macOS and Windows.

use std::path::Path;

/// True when the effective user is root.
#[cfg(unix)]
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(not(unix))]
pub fn is_root() -> bool {
    false
}

/// `mount -t tracefs nodev PATH`.
#[cfg(target_os = "linux")]
pub fn mount_tracefs(path: &Path) -> std::io::Result<()> {
    use nix::mount::{mount, MsFlags};
    mount(
        Some("nodev"),
        path,
        Some("tracefs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .map_err(std::io::Error::from)
}

/// `mount -t securityfs -o ro,nosuid,nodev,noexec securityfs PATH`: to read the lockdown mode
/// where nobody mounted it.
#[cfg(target_os = "linux")]
pub fn mount_securityfs_ro(path: &Path) -> std::io::Result<()> {
    use nix::mount::{mount, MsFlags};
    mount(
        Some("securityfs"),
        path,
        Some("securityfs"),
        MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
pub fn mount_securityfs_ro(_path: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(not(target_os = "linux"))]
pub fn mount_tracefs(_path: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "tracefs exists only on Linux",
    ))
}

/// `umount PATH` (a mount lktrace made; fails with EBUSY while files are open there).
#[cfg(target_os = "linux")]
pub fn unmount(path: &Path) -> std::io::Result<()> {
    nix::mount::umount(path).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
pub fn unmount(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Waits until `fd` is readable or `timeout` passes. Returns true when readable.
#[cfg(unix)]
pub fn wait_readable(
    fd: &impl std::os::fd::AsRawFd,
    timeout: std::time::Duration,
) -> std::io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd, count 1.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() == std::io::ErrorKind::Interrupted {
            return Ok(false);
        }
        return Err(e);
    }
    Ok(n > 0)
}

/// True when a process with this pid exists (it may be a zombie).
pub fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// True while a process with this pid exists and has not exited (a zombie, waiting for its
/// parent to reap it, has ended).
pub fn process_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| stat_state(&s))
        .is_some_and(|state| !matches!(state, 'Z' | 'X' | 'x'))
}

/// The state letter of a `/proc/PID/stat` line: after the comm, which is in parentheses and
/// may itself hold `)`.
fn stat_state(stat: &str) -> Option<char> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.trim_start().chars().next()
}

/// The command name of a process, from /proc.
pub fn process_comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// The thread group (process) id of a thread, from /proc.
pub fn tgid_of(pid: u32) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    tgid_in(&s)
}

fn tgid_in(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// The tgid of the thread `pid` that a trace named `comm`, from /proc, only while that thread
/// still has that name: a thread that ended since its event was traced leaves its id free for
/// another, whose tgid would be a wrong answer. `None` when the names differ (the kernel's
/// `<...>`, a name it had not cached, cannot be compared and is taken as it is).
pub fn tgid_of_named(pid: u32, comm: &str) -> Option<u32> {
    let now = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    tgid_if_named(&now, &status, comm)
}

/// [`tgid_of_named`] on the text of `/proc/PID/comm` and `/proc/PID/status`.
pub fn tgid_if_named(comm_file: &str, status: &str, comm: &str) -> Option<u32> {
    // The comm file is the name and a newline, unescaped; the trace prints the same 15 bytes.
    let now = comm_file.strip_suffix('\n').unwrap_or(comm_file);
    if comm != "<...>" && now != comm {
        return None;
    }
    tgid_in(status)
}

/// Every thread id of a process.
pub fn threads_of(pid: u32) -> std::io::Result<Vec<u32>> {
    let mut tids: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect();
    tids.sort_unstable();
    Ok(tids)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_tgid_only_for_the_thread_the_trace_named() {
        // /proc/PID/comm and the head of /proc/PID/status of a bash on this build machine.
        let status =
            "Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4243\n";
        assert_eq!(tgid_if_named("bash\n", status, "bash"), Some(4242));
        assert_eq!(
            tgid_if_named("bash\n", status, "cat"),
            None,
            "the id is someone else's now"
        );
        assert_eq!(tgid_if_named("bash\n", status, "<...>"), Some(4242));
        assert_eq!(tgid_if_named("a b-c\n", status, "a b-c"), Some(4242));
    }

    #[test]
    fn a_live_thread_by_its_name() {
        // This test's own thread: its name is the test's (cut to 15 bytes by the kernel).
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u32;
        let name = process_comm(tid).unwrap();
        assert_eq!(tgid_of_named(tid, &name), Some(std::process::id()));
        assert_eq!(tgid_of_named(tid, "someone-else"), None);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(tgid_of_named(pid, "true"), None, "gone");
    }

    #[test]
    fn a_zombie_is_not_running() {
        assert_eq!(stat_state("42 (a) b) Z 1 42"), Some('Z'));
        assert_eq!(stat_state("7 (dd) R 1 7 7 0"), Some('R'));
        assert_eq!(stat_state("garbage"), None);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Exited, not reaped yet: a zombie.
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(process_alive(pid));
        assert!(!process_running(pid));
        child.wait().unwrap();
        assert!(process_running(std::process::id()));
    }
}
