//! What outlives a run: the journal of its global changes (written before each change, so a
//! run killed with SIGKILL can be undone), and the reaper that undoes what dead runs left.

use std::path::Path;

use super::super::dynamic_events::{self, ProbeFile};
use super::super::error::{Error, Result};
use super::super::events::{self, EventRef};
use super::super::ftrace_filter;
use super::super::instance::Instance;
use super::super::lock;
use super::super::lockdir;
use super::super::stale::{Liveness, SessionId, GROUP_PREFIX};
use super::super::synthetic;
use super::super::Tracefs;
use super::Undo;

/// A journal lists a few old values: far below this. More is not ours.
const JOURNAL_CAP: u64 = 1 << 20;

/// Removes a probe group; if an event of it is still enabled somewhere (EBUSY), disables it at
/// the top level and in our instance first and tries again.
pub(super) fn remove_group_safely(
    t: &Tracefs,
    file: ProbeFile,
    group: &str,
    scope: &Path,
) -> Result<()> {
    match dynamic_events::remove_group(t, file, group) {
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
            let g = EventRef::group(group);
            let _ = events::set_enabled(t, Path::new(""), &g, false);
            let _ = events::set_enabled(t, scope, &g, false);
            // A trigger keeps its event (soft-)enabled: a dead run's counting triggers too.
            let _ = events::clear_group_triggers(t, group);
            dynamic_events::remove_group(t, file, group)
        }
        // A group with no events of this kind is fine: nothing to remove.
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        other => other,
    }
}

pub(super) fn journal_name(id: &SessionId) -> String {
    format!("{}.journal", id.lock_name().trim_end_matches(".lock"))
}

pub(super) fn write_journal(id: &SessionId, undo: &[Undo]) -> Result<()> {
    let globals: Vec<&Undo> = undo.iter().filter(|u| u.is_global()).collect();
    let path = lock::lock_dir()?.join(journal_name(id));
    let text = serde_json::to_string(&globals).map_err(|e| Error::Parse {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    lockdir::write_replace(&path, text.as_bytes()).map_err(|e| Error::io("write", &path, e))
}

pub(super) fn remove_journal(id: &SessionId) {
    if let Ok(dir) = lock::lock_dir() {
        let _ = std::fs::remove_file(dir.join(journal_name(id)));
    }
}

/// How a line of [`reap_dead`] starts when a dead run's journal was kept, not replayed.
pub const KEPT_PREFIX: &str = "kept ";

/// Replays a dead run's journal of global changes (restoring old values), newest first.
/// Only a journal in a safe lock directory, a regular file of ours, is read; its paths are
/// checked as they are parsed ([`RelPath`]). A journal that does not parse (a path that fails
/// that check included) is kept, not deleted: its changes were not undone, and each later
/// reap says so again until someone has looked.
fn replay_journal(t: &Tracefs, id: &SessionId) -> Vec<String> {
    let Ok(dir) = lock::lock_dir() else {
        return Vec::new();
    };
    let path = dir.join(journal_name(id));
    let Ok(text) = lockdir::read_small(&path, JOURNAL_CAP) else {
        return Vec::new();
    };
    let undo: Vec<Undo> = match serde_json::from_str(&text) {
        Ok(u) => u,
        Err(e) => {
            return vec![format!(
                "{KEPT_PREFIX}{}: the journal of dead run {} does not parse ({e}), so its global changes were not restored; check the files it names and delete it",
                path.display(),
                id.pid
            )]
        }
    };
    let mut done = Vec::new();
    for u in undo.iter().rev() {
        let r = match u {
            Undo::Value { rel, old } => t.write(rel, old),
            Undo::FilterList { rel, old } => ftrace_filter::restore(t, rel, old),
            Undo::Knob { knob, old } if knob.accepts(old) => t.write_knob(*knob, old),
            _ => Ok(()),
        };
        if r.is_ok() {
            match u {
                Undo::Value { rel, .. } | Undo::FilterList { rel, .. } => {
                    done.push(format!("restored {}", rel.display()))
                }
                Undo::Knob { knob, .. } => done.push(format!("restored {}", knob.name())),
                _ => {}
            }
        }
    }
    let _ = std::fs::remove_file(&path);
    done
}

/// Every session id that owns something in tracefs or has a journal, with its liveness.
pub fn owned(t: &Tracefs) -> Vec<(SessionId, Liveness)> {
    owned_among(t, &dynamic_events::list_all(t))
}

/// [`owned`], with the probe listing already read.
fn owned_among(t: &Tracefs, listed: &[dynamic_events::Listed]) -> Vec<(SessionId, Liveness)> {
    let mut ids: Vec<SessionId> = Vec::new();
    for name in t.list_dir("instances").unwrap_or_default() {
        ids.extend(SessionId::from_instance(&name));
    }
    for l in listed {
        ids.extend(SessionId::from_group(&l.group));
    }
    // A session's synthetic event is named as its group.
    for name in synthetic::list(t).unwrap_or_default() {
        ids.extend(SessionId::from_group(&name));
    }
    if let Some(rd) = lock::lock_dir()
        .ok()
        .and_then(|d| std::fs::read_dir(d).ok())
    {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(rest) = name
                .strip_prefix("session-")
                .and_then(|n| n.strip_suffix(".journal"))
            {
                ids.extend(SessionId::from_group(&format!("{GROUP_PREFIX}{rest}")));
            }
        }
    }
    ids.sort();
    ids.dedup();
    ids.into_iter().map(|id| (id, id.liveness())).collect()
}

/// Removes what dead lktrace runs left: their journaled global changes are restored, their
/// instances and probe groups removed, their lock files deleted. Touches nothing else.
/// Returns a line per thing removed.
pub fn reap_dead(t: &Tracefs) -> Vec<String> {
    let mut removed = Vec::new();
    // Listed once: removing one dead group does not change what another group has.
    let listed = dynamic_events::list_all(t);
    for (id, live) in owned_among(t, &listed) {
        if live == Liveness::Alive || id.pid == std::process::id() {
            continue;
        }
        removed.extend(replay_journal(t, &id));
        let inst = Instance::named(id.instance_name());
        if t.exists(inst.dir()) && inst.remove(t).is_ok() {
            removed.push(format!("instance {}", id.instance_name()));
        }
        let group = id.group_name();
        // After the instance (its triggers used the event), before the probes.
        let synth = synthetic::list(t).unwrap_or_default();
        if synth.contains(&group) && synthetic::remove(t, &group).is_ok() {
            removed.push(format!("synthetic event {group}"));
        }
        for file in [ProbeFile::Kprobe, ProbeFile::Uprobe] {
            let n = listed
                .iter()
                .filter(|l| l.group == group && l.file == file)
                .count();
            if n > 0 && remove_group_safely(t, file, &group, &inst.dir()).is_ok() {
                let kind = match file {
                    ProbeFile::Kprobe => "kprobe",
                    ProbeFile::Uprobe => "uprobe",
                };
                let s = if n == 1 { "" } else { "s" };
                removed.push(format!("{n} {kind}{s} of group {group}"));
            }
        }
        lock::remove_abandoned(&id.lock_name());
    }
    removed
}
