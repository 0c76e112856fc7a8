//! Recognising what lktrace made (instances `lktrace_<pid>[_<n>]`, event groups
//! `lkt_<pid>[_<n>]`) and whether the run that made it is still alive.
//!
//! A run holds `session-<name>.lock` (flock) for its whole life. If the lock file exists and
//! nobody holds it, the run is dead. If the lock file is gone (a reboot of /run, another lock
//! directory), we fall back to "is the pid alive", which errs on the side of leaving things be.

use std::fmt;

use super::lock;
use super::sys;

pub const INSTANCE_PREFIX: &str = "lktrace_";
pub const GROUP_PREFIX: &str = "lkt_";

/// The identity of one lktrace run: the process, and a sequence number for the second and
/// later runs inside one process (the agent runs several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId {
    pub pid: u32,
    pub seq: u32,
}

impl SessionId {
    /// `123` or `123_2`.
    fn suffix(&self) -> String {
        if self.seq == 0 {
            self.pid.to_string()
        } else {
            format!("{}_{}", self.pid, self.seq)
        }
    }

    pub fn instance_name(&self) -> String {
        format!("{INSTANCE_PREFIX}{}", self.suffix())
    }

    pub fn group_name(&self) -> String {
        format!("{GROUP_PREFIX}{}", self.suffix())
    }

    pub fn lock_name(&self) -> String {
        format!("session-{}.lock", self.suffix())
    }

    /// Parses the `<pid>[_<n>]` part after a prefix.
    fn parse_suffix(s: &str) -> Option<SessionId> {
        let (pid, seq) = match s.split_once('_') {
            Some((p, n)) => (p, n.parse().ok()?),
            None => (s, 0),
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(SessionId {
            pid: pid.parse().ok()?,
            seq,
        })
    }

    pub fn from_instance(name: &str) -> Option<SessionId> {
        name.strip_prefix(INSTANCE_PREFIX)
            .and_then(Self::parse_suffix)
    }

    pub fn from_group(name: &str) -> Option<SessionId> {
        name.strip_prefix(GROUP_PREFIX).and_then(Self::parse_suffix)
    }

    /// Alive or dead, by its lock, else by its pid.
    pub fn liveness(&self) -> Liveness {
        match lock::is_abandoned(&self.lock_name()) {
            Some(true) => Liveness::Dead,
            Some(false) => Liveness::Alive,
            None if sys::process_alive(self.pid) => Liveness::Alive,
            None => Liveness::Dead,
        }
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.suffix())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Dead,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let a = SessionId { pid: 42, seq: 0 };
        let b = SessionId { pid: 42, seq: 3 };
        assert_eq!(a.group_name(), "lkt_42");
        assert_eq!(b.instance_name(), "lktrace_42_3");
        assert_eq!(SessionId::from_group("lkt_42"), Some(a));
        assert_eq!(SessionId::from_instance("lktrace_42_3"), Some(b));
        assert_eq!(SessionId::from_group("lkt_cap"), None);
        assert_eq!(SessionId::from_group("kprobes"), None);
        assert_eq!(SessionId::from_instance("lktrace_"), None);
    }

    #[test]
    fn a_pid_that_does_not_exist_is_dead() {
        // pid_max is at most 2^22, so this pid cannot exist.
        let id = SessionId {
            pid: 99_999_999,
            seq: 0,
        };
        assert_eq!(id.liveness(), Liveness::Dead);
        let me = SessionId {
            pid: std::process::id(),
            seq: 7,
        };
        assert_eq!(me.liveness(), Liveness::Alive);
    }
}
