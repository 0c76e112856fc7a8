//! Where kprobes and uprobes get written: `kprobe_events` and `uprobe_events`.
//!
//! Always O_APPEND (O_TRUNC would delete every probe on the system), always into a group of
//! our own, and a rejected write is explained with the kernel's error_log entry.

use super::error::{Error, Result};
use super::error_log;
use super::probe::ProbeDef;
use super::Tracefs;

/// Which list file a definition belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeFile {
    Kprobe,
    Uprobe,
}

impl ProbeFile {
    pub fn rel(self) -> &'static str {
        match self {
            ProbeFile::Kprobe => "kprobe_events",
            ProbeFile::Uprobe => "uprobe_events",
        }
    }

    pub fn of(def: &ProbeDef) -> ProbeFile {
        if def.is_uprobe() {
            ProbeFile::Uprobe
        } else {
            ProbeFile::Kprobe
        }
    }
}

/// A dynamic event as the kernel lists it: `p:GRP/EVENT place args...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The file it was listed in: kprobe_events or uprobe_events.
    pub file: ProbeFile,
    pub definition: String,
    pub group: String,
    pub event: String,
}

/// Parses the listing of kprobe_events / uprobe_events / dynamic_events.
pub fn parse_listing(file: ProbeFile, text: &str) -> Vec<Listed> {
    text.lines()
        .filter_map(|line| {
            let head = line.split_whitespace().next()?;
            let (_, name) = head.split_once(':')?;
            let (group, event) = name.split_once('/')?;
            Some(Listed {
                file,
                definition: line.to_string(),
                group: group.to_string(),
                event: event.to_string(),
            })
        })
        .collect()
}

/// Every kprobe and uprobe on the system.
pub fn list_all(t: &Tracefs) -> Vec<Listed> {
    let mut out = Vec::new();
    for f in [ProbeFile::Kprobe, ProbeFile::Uprobe] {
        if let Ok(text) = t.read(f.rel()) {
            out.extend(parse_listing(f, &text));
        }
    }
    out
}

/// Writes definitions of one file kind in a single write(2).
///
/// The kernel applies lines in order and stops at the first bad one, keeping those before it;
/// the caller removes the whole group on error, so a half-made set never stays.
pub fn add(t: &Tracefs, file: ProbeFile, defs: &[ProbeDef]) -> Result<()> {
    if defs.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for d in defs {
        text.push_str(&d.to_string());
        text.push('\n');
    }
    t.append(file.rel(), &text).map_err(|e| explain(t, e))
}

/// Removes every event of `group` from one file in one write (`-:GRP/`).
pub fn remove_group(t: &Tracefs, file: ProbeFile, group: &str) -> Result<()> {
    t.append(file.rel(), &format!("-:{group}/\n"))
        .map_err(|e| explain(t, e))
}

/// Removes one event (`-:GRP/EVENT`).
pub fn remove_event(t: &Tracefs, file: ProbeFile, group: &str, event: &str) -> Result<()> {
    t.append(file.rel(), &format!("-:{group}/{event}\n"))
        .map_err(|e| explain(t, e))
}

/// Attaches the kernel's error_log entry for a rejected write, when there is one.
///
/// A batch write fails on one of its lines; the log's `Command:` names it, so we look for the
/// newest entry whose command is any line of what we wrote.
pub fn explain(t: &Tracefs, e: Error) -> Error {
    match e {
        Error::Rejected {
            path,
            written,
            source,
            log: None,
        } => {
            let log = t.read("error_log").ok().and_then(|text| {
                written
                    .lines()
                    .rev()
                    .find_map(|line| error_log::find_for(&text, line))
                    .map(Box::new)
            });
            Error::Rejected {
                path,
                written,
                source,
                log,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_from_a_real_kernel() {
        let text = include_str!("../../tests/fixtures/debian/kprobe_events.txt");
        let l = parse_listing(ProbeFile::Kprobe, text);
        assert_eq!(l.len(), 3);
        assert_eq!(l[1].group, "lkt_cap");
        assert_eq!(l[1].event, "openret");
        assert!(l[1].definition.starts_with("r10:"));
        let u = parse_listing(
            ProbeFile::Uprobe,
            include_str!("../../tests/fixtures/debian/uprobe_events.txt"),
        );
        assert_eq!(u[0].event, "up");
    }
}
