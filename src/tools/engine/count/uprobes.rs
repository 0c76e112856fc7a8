//! User functions counted in the kernel (`funccount u:FILE:GLOB`, as bcc): one uprobe per
//! matched function of the file (found as uprobe finds it: PATH, the library search, ELF
//! symbols), each with a hist trigger keyed on `common_type` (one row: its count), or on the
//! process with `-P`; `-p` is the trigger's filter. The triggers alone run the probes.

use std::collections::HashMap;

use super::{Counter, EventCounts, Matched, Plan};
use crate::elf::ElfFile;
use crate::record::{Fields, Sink};
use crate::tools::engine::count::Target;
use crate::tools::engine::uprobe_target::{kernel_path, search};
use crate::tracefs::events::EventRef;
use crate::tracefs::ftrace_filter::glob_match;
use crate::tracefs::probe::{sanitize_event_name, ProbeDef, ProbeKind, Target as ProbeTarget};
use crate::tracefs::Session;
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
    for (f, offset) in elf.code_functions() {
        if !glob_match(glob, &f.name) {
            continue;
        }
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
pub(super) struct UprobeCounter(EventCounts);

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
        let file = search().resolve(user.file.as_str())?;
        let path = kernel_path(&file)?;
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
        self.0 = EventCounts::new(plan, "func");
        let trigger = self.0.trigger(plan);
        let group = s.group();
        for (f, d) in found.iter().zip(&defs) {
            let ev = EventRef::event(&group, &d.event_name());
            s.add_trigger(&ev, &trigger)?;
            self.0.push(f.name.clone(), s.trigger_file(&ev, "hist"));
        }
        Ok(found.into_iter().map(|f| f.name).collect())
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        self.0.snapshot(s)
    }

    fn keys(&self, name: &str) -> Option<Fields> {
        self.0.keys(name)
    }
}
