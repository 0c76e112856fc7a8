//! Trace events under `events/`: enabling them in a scope (the top level or an instance),
//! their filters, and their `format` files.

use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use super::Tracefs;

/// An event (`group/event`) or a whole group (`group/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    pub group: String,
    pub event: Option<String>,
}

impl EventRef {
    pub fn event(group: &str, event: &str) -> EventRef {
        EventRef {
            group: group.into(),
            event: Some(event.into()),
        }
    }

    pub fn group(group: &str) -> EventRef {
        EventRef {
            group: group.into(),
            event: None,
        }
    }

    /// `events/GROUP[/EVENT]/FILE` under `scope` (empty for the top level).
    pub fn file(&self, scope: &Path, file: &str) -> PathBuf {
        let mut p = scope.join("events").join(&self.group);
        if let Some(e) = &self.event {
            p.push(e);
        }
        p.push(file);
        p
    }
}

/// Writes `enable` (1/0).
pub fn set_enabled(t: &Tracefs, scope: &Path, ev: &EventRef, on: bool) -> Result<()> {
    t.write(ev.file(scope, "enable"), if on { "1" } else { "0" })
}

/// Sets an event filter; a rejected filter is reported with what the kernel said about it
/// (old kernels write the parse error into the filter file itself).
pub fn set_filter(t: &Tracefs, scope: &Path, ev: &EventRef, filter: &str) -> Result<()> {
    let rel = ev.file(scope, "filter");
    match t.write(&rel, filter) {
        Ok(()) => Ok(()),
        Err(Error::Rejected {
            path,
            written,
            source,
            ..
        }) => {
            let said = t.read(&rel).unwrap_or_default();
            let detail = said
                .lines()
                .find(|l| l.contains("error"))
                .map(str::trim)
                .map(str::to_string);
            let log = t
                .read(scope.join("error_log"))
                .ok()
                .and_then(|text| super::error_log::parse(&text).pop())
                .map(Box::new);
            Err(Error::Rejected {
                path,
                written: match detail {
                    Some(d) => format!("{written} ({d})"),
                    None => written,
                },
                source,
                log,
            })
        }
        Err(e) => Err(e),
    }
}

/// The removal (`!...`) of a trigger as its `trigger` file prints it: `traceoff:count=0` is
/// removed by its command alone, a hist trigger by its definition without the `[active]` mark
/// (the kernel matches hist triggers by keys and values, and by having a filter: a filtered
/// one is removed only with its `if FILTER`, seen on Debian's 6.1 and 6.12).
pub fn trigger_removal(printed: &str) -> Option<String> {
    let line = printed.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let line = line
        .strip_suffix("[active]")
        .or_else(|| line.strip_suffix("[paused]"))
        .unwrap_or(line)
        .trim_end();
    let cmd = line.split(':').next().unwrap_or(line);
    Some(match cmd {
        "hist" => format!("!{line}"),
        _ => format!("!{cmd}"),
    })
}

/// Removes every trigger of every event of `group` at the top level (a dead run's, before its
/// probes can go).
pub fn clear_group_triggers(t: &Tracefs, group: &str) -> Result<()> {
    let dir = EventRef::group(group).file(Path::new(""), "");
    for event in t.list_dir(&dir)? {
        let rel = EventRef::event(group, &event).file(Path::new(""), "trigger");
        let Ok(text) = t.read(&rel) else {
            continue;
        };
        for removal in text.lines().filter_map(trigger_removal) {
            t.append(&rel, &removal)?;
        }
    }
    Ok(())
}

/// Clears a filter.
pub fn clear_filter(t: &Tracefs, scope: &Path, ev: &EventRef) -> Result<()> {
    t.write(ev.file(scope, "filter"), "0")
}

/// The `format` file of an event (top level: formats do not differ per instance).
pub fn format_text(t: &Tracefs, group: &str, event: &str) -> Result<String> {
    t.read(EventRef::event(group, event).file(Path::new(""), "format"))
}

/// Enabled events of a scope as `group:event`, from its `set_event` file.
pub fn enabled(t: &Tracefs, scope: &Path) -> Result<Vec<String>> {
    Ok(t.read(scope.join("set_event"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// True when the event directory exists.
pub fn exists(t: &Tracefs, group: &str, event: &str) -> bool {
    t.exists(EventRef::event(group, event).file(Path::new(""), "format"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_is_removed_as_the_kernel_matches_it() {
        assert_eq!(
            trigger_removal("traceoff:count=0").as_deref(),
            Some("!traceoff")
        );
        assert_eq!(
            trigger_removal(
                "hist:keys=__probe_ip.sym:vals=hitcount:sort=hitcount:size=128 [active]"
            )
            .as_deref(),
            Some("!hist:keys=__probe_ip.sym:vals=hitcount:sort=hitcount:size=128")
        );
        assert_eq!(
            trigger_removal(
                "hist:keys=stacktrace:vals=hitcount:sort=hitcount.descending:size=256 if common_pid == 1 [active]"
            )
            .as_deref(),
            Some("!hist:keys=stacktrace:vals=hitcount:sort=hitcount.descending:size=256 if common_pid == 1")
        );
        assert_eq!(trigger_removal("# Available triggers:"), None);
        assert_eq!(trigger_removal("  "), None);
    }
}
