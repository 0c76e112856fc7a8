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

/// The command name of a process, from /proc.
pub fn process_comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// The thread group (process) id of a thread, from /proc.
pub fn tgid_of(pid: u32) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
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
