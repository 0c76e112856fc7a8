//! User functions counted in the kernel (`funccount u:FILE:GLOB`, as bcc): one uprobe per
//! matched function of the file (found as uprobe finds it: PATH, the library search, ELF
//! symbols), each with a hist trigger keyed on `common_type` (one row: its count), or on the
//! process with `-P`; `-p` is the trigger's filter. The triggers alone run the probes.

use std::collections::HashMap;

use super::{Counter, Matched, Plan, Tally, PROCESS_KEY};
use crate::elf::search::Search;
use crate::elf::ElfFile;
use crate::record::{Fields, Sink};
use crate::tools::engine::count::Target;
use crate::tracefs::events::EventRef;
use crate::tracefs::ftrace_filter::glob_match;
use crate::tracefs::probe::{sanitize_event_name, ProbeDef, ProbeKind, Target as ProbeTarget};
use crate::tracefs::{hist, Session};
use crate::{Error, Result};

/// A function of the file: its name and the file offset a uprobe on it takes.
struct Found {
    name: String,
    offset: u64,
}

/// The functions of `file` matching `glob` that a uprobe can go on, each offset once.
fn functions(file: &std::path::Path, glob: &str) -> Result<Vec<Found>> {
    let elf = ElfFile::open(file, false)?;
    let mut out: Vec<Found> = Vec::new();
    for f in &elf.functions {
        if !glob_match(glob, &f.name) {
            continue;
        }
        let Ok(offset) = elf.file_offset(f.address, true) else {
            continue;
        };
        // Aliases (`malloc`, `__libc_malloc`) share an address: one probe.
        if out.iter().any(|o| o.offset == offset) {
            continue;
        }
        out.push(Found {
            name: f.name.clone(),
            offset,
        });
    }
    Ok(out)
}

#[derive(Default)]
pub(super) struct UprobeCounter {
    /// Each function counted and its event of ours.
    events: Vec<(String, EventRef)>,
    per_process: bool,
    keys: HashMap<String, Fields>,
}

impl Counter for UprobeCounter {
    fn start(
        &mut self,
        s: &mut Session,
        plan: &Plan<'_>,
        _matched: &mut Matched,
        _sink: &mut dyn Sink,
    ) -> Result<Vec<String>> {
        let Target::User(user) = plan.target else {
            return Err(Error::Other(
                "internal: the uprobe counter on kernel names".into(),
            ));
        };
        let file =
            Search::system(std::env::var_os("PATH").as_deref()).resolve(user.file.as_str())?;
        let Some(path) = file
            .to_str()
            .filter(|p| !p.chars().any(|c| c.is_whitespace() || c.is_control()))
        else {
            return Err(Error::Usage(format!(
                "{}: the kernel cannot take a path with spaces or control characters",
                crate::output::escape::message_line(&file.display().to_string())
            )));
        };
        let found = functions(&file, user.functions.as_str())?;
        if found.is_empty() {
            return Err(Error::Other(format!(
                "no function of {path} matches `{}` (lktrace list -u {path} lists them)",
                user.functions
            )));
        }
        if found.len() > plan.max_probes {
            return Err(Error::Usage(format!(
                "the pattern matches {} functions of {path}; funccount makes one uprobe each and stops at {} (raise --max-probes, or narrow the pattern)",
                found.len(),
                plan.max_probes
            )));
        }
        let defs: Vec<ProbeDef> = found
            .iter()
            .enumerate()
            .map(|(i, f)| ProbeDef {
                kind: ProbeKind::Uprobe,
                group: None,
                // Names can repeat once cut; the index keeps events apart.
                event: Some(
                    format!("u{i}_{}", sanitize_event_name(&f.name))
                        .chars()
                        .take(60)
                        .collect(),
                ),
                target: ProbeTarget::User {
                    path: path.to_string(),
                    offset: f.offset,
                    ref_ctr: None,
                },
                args: Vec::new(),
                return_suffix: false,
            })
            .collect();
        s.add_probes(&defs)?;
        self.per_process = plan.per_process;
        let (key, size) = match plan.per_process {
            true => (PROCESS_KEY, 8192),
            false => ("common_type", 128),
        };
        let trigger = hist::trigger_command(
            &[key],
            &["hitcount"],
            None,
            Some(size),
            plan.pid_filter().as_deref(),
        );
        let group = s.group();
        for (f, d) in found.iter().zip(&defs) {
            let ev = EventRef::event(&group, &d.event_name());
            s.add_trigger(&ev, &trigger)?;
            self.events.push((f.name.clone(), ev));
        }
        Ok(found.into_iter().map(|f| f.name).collect())
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        let mut tally = Tally {
            per_process: self.per_process,
            what_key: "func",
            keys: &mut self.keys,
            out: &mut out,
        };
        for (name, ev) in &self.events {
            let text = s.tracefs().read(s.trigger_file(ev, "hist"))?;
            for table in hist::parse(&text) {
                for entry in table.entries {
                    tally.add(&entry, name);
                }
            }
        }
        Ok(out)
    }

    fn keys(&self, name: &str) -> Option<Fields> {
        self.keys.get(name).cloned()
    }
}
