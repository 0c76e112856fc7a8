//! The kernel's security state as securityfs shows it: the lockdown mode and the active LSMs,
//! to tell why root is refused a tracefs file.
//!
//! Lockdown forbids tracefs (and kprobes) only in `confidentiality` mode (`LOCKDOWN_TRACEFS`
//! and `LOCKDOWN_KPROBES` sit above `LOCKDOWN_INTEGRITY_MAX` in the kernel's list): under
//! `integrity` or `none`, an EPERM to root comes from another LSM (a BPF LSM program, AppArmor,
//! SELinux, landlock) or from the sandbox or container the process runs in. The build machines
//! here are such a case: lockdown `integrity`, LSMs `lockdown,capability,landlock,bpf`, and
//! `set_ftrace_filter`, `available_filter_functions` and `enabled_functions` refused with EPERM.
//!
//! When securityfs is not mounted (those machines again) and we are root, it is mounted
//! read-only on a private directory in the lock directory, read, and taken away again at once;
//! [`Security::mounted_privately`] says so.

use std::path::Path;
use std::sync::OnceLock;

use super::sys;

/// Where securityfs is mounted on a usual system.
pub const SECURITYFS: &str = "/sys/kernel/security";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Security {
    /// `none`, `integrity` or `confidentiality`; `None` when the kernel has no lockdown LSM or
    /// securityfs could not be read.
    pub lockdown: Option<String>,
    /// The active LSMs in the kernel's order (`lockdown,capability,landlock,bpf`); empty when
    /// unreadable.
    pub lsms: Vec<String>,
    /// securityfs was not mounted: it was read through a private read-only mount, removed
    /// again.
    pub mounted_privately: bool,
}

impl Security {
    /// What refused root a tracefs file, in a sentence: lockdown (only in confidentiality
    /// mode), or something else.
    pub fn refusal(&self) -> Refusal {
        match self.lockdown.as_deref() {
            Some("confidentiality") => Refusal::Lockdown,
            mode => {
                let lockdown = match mode {
                    Some(m) => format!("lockdown is {m}, which does not cover tracefs"),
                    None => "the lockdown mode is unknown (securityfs unreadable)".to_string(),
                };
                let lsms = match self.lsms.as_slice() {
                    [] => String::new(),
                    l => format!(" (active LSMs: {})", l.join(",")),
                };
                Refusal::Other(format!(
                    "{lockdown}: a security module{lsms} or the container or sandbox this runs in refused it"
                ))
            }
        }
    }
}

/// Why root was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Lockdown in confidentiality mode.
    Lockdown,
    /// Not lockdown: the words say what is known.
    Other(String),
}

/// The kernel's security state, read once per process.
pub fn security() -> &'static Security {
    static READ: OnceLock<Security> = OnceLock::new();
    READ.get_or_init(read)
}

fn read() -> Security {
    let (lockdown, lsms) = read_at(Path::new(SECURITYFS));
    if lockdown.is_some() || !lsms.is_empty() || !sys::is_root() {
        return Security {
            lockdown,
            lsms,
            mounted_privately: false,
        };
    }
    read_private().unwrap_or_default()
}

/// The lockdown mode and LSMs of a securityfs mounted at `dir`.
pub fn read_at(dir: &Path) -> (Option<String>, Vec<String>) {
    let lockdown = std::fs::read_to_string(dir.join("lockdown"))
        .ok()
        .and_then(|s| parse_lockdown(&s));
    let lsms = std::fs::read_to_string(dir.join("lsm"))
        .map(|s| parse_lsms(&s))
        .unwrap_or_default();
    (lockdown, lsms)
}

/// securityfs mounted read-only on a directory of our own (the lock directory is root's,
/// mode 0700), read, unmounted and the directory removed.
fn read_private() -> Option<Security> {
    let dir = super::lockdir::lock_dir()
        .ok()?
        .join(format!("securityfs-{}", std::process::id()));
    std::fs::create_dir(&dir).ok()?;
    let read = match sys::mount_securityfs_ro(&dir) {
        Ok(()) => {
            let r = read_at(&dir);
            let _ = sys::unmount(&dir);
            Some(r)
        }
        Err(_) => None,
    };
    let _ = std::fs::remove_dir(&dir);
    let (lockdown, lsms) = read?;
    Some(Security {
        lockdown,
        lsms,
        mounted_privately: true,
    })
}

/// The mode in brackets: `none [integrity] confidentiality` is `integrity`.
pub fn parse_lockdown(s: &str) -> Option<String> {
    s.split_whitespace()
        .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')))
        .map(str::to_string)
}

/// `lockdown,capability,landlock,bpf` (the file has no newline).
pub fn parse_lsms(s: &str) -> Vec<String> {
    s.trim()
        .split(',')
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_the_build_machines_6_18() {
        // Read through a private securityfs mount on the build machine (6.18, a sandbox).
        assert_eq!(
            parse_lockdown("none [integrity] confidentiality\n").as_deref(),
            Some("integrity")
        );
        assert_eq!(
            parse_lsms("lockdown,capability,landlock,bpf"),
            ["lockdown", "capability", "landlock", "bpf"]
        );
        assert!(parse_lsms("").is_empty());
    }

    #[test]
    fn only_confidentiality_is_lockdown() {
        let mut s = Security {
            lockdown: Some("confidentiality".into()),
            lsms: vec![],
            mounted_privately: false,
        };
        assert_eq!(s.refusal(), Refusal::Lockdown);
        s.lockdown = Some("integrity".into());
        s.lsms = parse_lsms("lockdown,capability,landlock,bpf");
        let Refusal::Other(why) = s.refusal() else {
            panic!("integrity is not why")
        };
        assert!(
            why.starts_with("lockdown is integrity, which does not cover tracefs"),
            "{why}"
        );
        assert!(
            why.contains("active LSMs: lockdown,capability,landlock,bpf"),
            "{why}"
        );
        s.lockdown = None;
        let Refusal::Other(why) = s.refusal() else {
            panic!()
        };
        assert!(why.contains("unknown"), "{why}");
    }

    #[test]
    fn a_mounted_securityfs_is_read_as_it_is() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("lockdown"),
            "[none] integrity confidentiality\n",
        )
        .unwrap();
        std::fs::write(d.path().join("lsm"), "capability,apparmor").unwrap();
        assert_eq!(
            read_at(d.path()),
            (
                Some("none".into()),
                vec!["capability".into(), "apparmor".into()]
            )
        );
    }
}
