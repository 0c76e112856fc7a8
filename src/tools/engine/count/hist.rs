//! The hist backend: every function one more probe of a single kprobe event, counted by the
//! kernel's hist trigger keyed on the probed function (and on the process with `-P`; `-p`
//! and `-L` are the trigger's filter).

use std::collections::{HashMap, HashSet};

use super::{Counter, Matched, Plan, Tally, PROCESS_KEY};
use crate::record::{Fields, Sink};
use crate::tracefs::events::EventRef;
use crate::tracefs::{hist, Session};
use crate::Result;

/// Every function as one more probe of a single event; the kernel's hist trigger on that event,
/// keyed on `__probe_ip.sym`, counts per function. One event to enable and one table to read.
#[derive(Default)]
pub(super) struct HistCounter {
    matched: HashSet<String>,
    per_process: bool,
    keys: HashMap<String, Fields>,
}

/// The one event of the hist backend.
const HIST_EVENT: &str = "funccount";

impl Counter for HistCounter {
    fn start(
        &mut self,
        s: &mut Session,
        plan: &Plan<'_>,
        matched: &mut Matched,
        sink: &mut dyn Sink,
    ) -> Result<Vec<String>> {
        let functions = super::probe_functions(s, matched.get(s, plan.target)?, HIST_EVENT, sink)?;
        self.matched = functions.iter().cloned().collect();
        self.per_process = plan.per_process;
        let ev = EventRef::event(&s.group(), HIST_EVENT);
        // Room for every function (times a few processes with -P): a power of two,
        // 2^7..=2^17; what does not fit the kernel counts as dropped, and we say so.
        let rows = functions.len() * if plan.per_process { 64 } else { 1 };
        let size = rows.next_power_of_two().clamp(128, 1 << 17);
        let keys: &[&str] = if plan.per_process {
            &[PROCESS_KEY, "__probe_ip.sym"]
        } else {
            &["__probe_ip.sym"]
        };
        let filter = plan.pid_filter();
        let trigger =
            hist::trigger_command(keys, &["hitcount"], None, Some(size), filter.as_deref());
        // The trigger alone runs the probes (soft-enabled): no instance, no buffer.
        s.add_trigger(&ev, &trigger)?;
        Ok(functions)
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let ev = EventRef::event(&s.group(), HIST_EVENT);
        let text = s.tracefs().read(s.trigger_file(&ev, "hist"))?;
        let mut out = HashMap::new();
        let mut tally = Tally {
            per_process: self.per_process,
            what_key: "func",
            keys: &mut self.keys,
            out: &mut out,
        };
        for table in hist::parse(&text) {
            for entry in table.entries {
                // `{ __probe_ip: [ffffffff8134a0b0] vfs_read }`: the name after the address.
                let Some((_, printed)) = entry.keys.iter().find(|(k, _)| k == "__probe_ip") else {
                    continue;
                };
                let name = printed.rsplit(']').next().unwrap_or(printed).trim();
                let name = name.split('+').next().unwrap_or(name);
                if !self.matched.contains(name) {
                    continue;
                }
                tally.add(&entry, name);
            }
        }
        Ok(out)
    }

    fn keys(&self, name: &str) -> Option<Fields> {
        self.keys.get(name).cloned()
    }
}
