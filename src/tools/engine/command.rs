//! A command run under tracing (`syscount ls`): started held at a gate, so its pid is known and
//! the kernel is told to follow it before it makes a single system call of its own, then let
//! go, waited for, and stopped if the run is.
//!
//! `std::process::Command` does the hard parts (PATH search, signal dispositions, the exec
//! error): its `spawn` returns only once the child has exec'd, so it runs on a thread of its
//! own while the child, between fork and exec, writes its pid on one pipe and waits for a byte
//! on another. If this process goes away (or gives up) before opening the gate, the child reads
//! end-of-file and never runs the command.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::tracefs::stop::StopFlag;
use crate::{Error, Result};

/// A command forked and held before exec.
pub struct Held {
    pid: u32,
    program: String,
    gate: io::PipeWriter,
    spawner: JoinHandle<io::Result<Child>>,
}

/// A command that runs.
pub struct Running {
    child: Child,
    program: String,
}

/// Forks `argv` (the program found in PATH, as a shell would) and holds it before exec.
pub fn hold(argv: &[String]) -> Result<Held> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::Usage("no command to run".into()));
    };
    let (gate_r, gate_w) = io::pipe().map_err(|e| spawn_error(program, e))?;
    let (mut pid_r, pid_w) = io::pipe().map_err(|e| spawn_error(program, e))?;
    let (gate_rfd, gate_wfd, pid_rfd, pid_wfd) = (
        gate_r.as_raw_fd(),
        gate_w.as_raw_fd(),
        pid_r.as_raw_fd(),
        pid_w.as_raw_fd(),
    );
    let mut cmd = Command::new(OsString::from(program));
    cmd.args(args);
    // SAFETY: the closure runs in the child between fork and exec and makes only
    // async-signal-safe calls (close, getpid, write, read) on descriptors it was given.
    unsafe {
        cmd.pre_exec(move || {
            // The child's copies of the ends it does not use: without them the gate's reader
            // sees end-of-file when this process is gone.
            libc::close(gate_wfd);
            libc::close(pid_rfd);
            let pid = libc::getpid().to_ne_bytes();
            if libc::write(pid_wfd, pid.as_ptr().cast(), pid.len()) != pid.len() as isize {
                return Err(io::Error::last_os_error());
            }
            libc::close(pid_wfd);
            let mut byte = 0u8;
            loop {
                match libc::read(gate_rfd, (&mut byte as *mut u8).cast(), 1) {
                    1 => return Ok(()),
                    // Closed without a word: the run gave up; do not run the command.
                    0 => return Err(io::Error::from_raw_os_error(libc::ECANCELED)),
                    _ if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {}
                    _ => return Err(io::Error::last_os_error()),
                }
            }
        });
    }
    // The child starts with this thread's name and keeps it until exec: the command's own
    // name, so the calls it makes before exec count under it too (syscount by name).
    let spawner = std::thread::Builder::new()
        .name(thread_name(program))
        .spawn(move || {
            let child = cmd.spawn();
            // Ours of the pid pipe's writer and the gate's reader: gone once the child has
            // them (or never will).
            drop((pid_w, gate_r));
            child
        })
        .map_err(|e| spawn_error(program, e))?;
    let mut pid = [0u8; 4];
    if let Err(e) = pid_r.read_exact(&mut pid) {
        // No pid: the fork failed, or the child died before it could say.
        let e = match spawner.join() {
            Ok(Err(spawn)) => spawn,
            _ => e,
        };
        return Err(spawn_error(program, e));
    }
    Ok(Held {
        pid: i32::from_ne_bytes(pid) as u32,
        program: program.clone(),
        gate: gate_w,
        spawner,
    })
}

impl Held {
    /// The command's pid, already its own before it runs anything.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Opens the gate: the command runs. Its exec failing (no such program) is the error.
    pub fn release(mut self) -> Result<Running> {
        let program = self.program.clone();
        self.gate
            .write_all(b"g")
            .map_err(|e| spawn_error(&program, e))?;
        drop(self.gate);
        match self.spawner.join() {
            Ok(Ok(child)) => Ok(Running { child, program }),
            Ok(Err(e)) => Err(spawn_error(&program, e)),
            Err(_) => Err(spawn_error(
                &program,
                io::Error::other("the spawning thread died"),
            )),
        }
    }
}

impl Running {
    /// Waits for the command to end; if the run is stopped first (a signal to lktrace alone:
    /// Ctrl-C reaches the command by itself, as the terminal's foreground group), the command
    /// is sent SIGTERM and waited for.
    pub fn wait(mut self, stop: &StopFlag) -> Result<ExitStatus> {
        let mut told = false;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(e) => return Err(spawn_error(&self.program, e)),
            }
            if stop.is_set() && !told {
                // SAFETY: kill has no memory preconditions; the pid is our unreaped child.
                unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
                told = true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// How a command ended, in words for a notice; `None` for a clean exit.
pub fn how_it_ended(program: &str, status: ExitStatus) -> Option<String> {
    match (status.code(), status.signal()) {
        (Some(0), _) => None,
        (Some(c), _) => Some(format!("{program:?} exited with status {c}")),
        (None, Some(s)) => Some(format!("{program:?} was ended by signal {s}")),
        (None, None) => Some(format!("{program:?} ended")),
    }
}

/// The program's file name, cut to the 15 bytes the kernel keeps of a task's name.
fn thread_name(program: &str) -> String {
    let base = program.rsplit('/').next().unwrap_or(program);
    let mut end = base.len().min(15);
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    base[..end].to_string()
}

fn spawn_error(program: &str, e: io::Error) -> Error {
    let why = match e.kind() {
        io::ErrorKind::NotFound => "no such program (not found in PATH)".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    Error::Usage(format!("cannot run {program:?}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_runs_only_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("ran");
        let held = hold(&[
            "sh".into(),
            "-c".into(),
            format!("echo $$ > {}", mark.display()),
        ])
        .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(!mark.exists(), "ran before the gate opened");
        let pid = held.pid();
        let status = held.release().unwrap().wait(&StopFlag::new()).unwrap();
        assert!(status.success());
        // The pid known before it ran is the one that ran.
        let said: u32 = std::fs::read_to_string(&mark)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(said, pid);
    }

    #[test]
    fn the_child_is_named_as_the_command_before_exec() {
        assert_eq!(thread_name("/usr/bin/dd"), "dd");
        assert_eq!(thread_name("a-rather-long-program-name"), "a-rather-long-p");
        assert_eq!(thread_name("ééééééééé"), "ééééééé");
    }

    #[test]
    fn a_missing_program_is_one_clear_error() {
        let e = match hold(&["no-such-program-lktrace".into()]) {
            Ok(held) => held.release().err().unwrap(),
            Err(e) => e,
        };
        let s = e.to_string();
        assert!(
            s.contains("no-such-program-lktrace") && s.contains("not found"),
            "{s}"
        );
    }

    #[test]
    fn giving_up_never_runs_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("ran");
        let held = hold(&["touch".into(), mark.display().to_string()]).unwrap();
        let Held { gate, spawner, .. } = held;
        drop(gate);
        assert!(spawner.join().unwrap().is_err());
        assert!(!mark.exists());
    }

    #[test]
    fn a_stopped_run_ends_the_command() {
        let stop = StopFlag::new();
        let running = hold(&["sleep".into(), "30".into()])
            .unwrap()
            .release()
            .unwrap();
        stop.request();
        let status = running.wait(&stop).unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM));
        assert!(how_it_ended("sleep", status).unwrap().contains("signal 15"));
    }
}
