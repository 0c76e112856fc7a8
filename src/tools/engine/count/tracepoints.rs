//! Tracepoints counted in the kernel (`funccount t:SYSTEM:EVENT`): a hist trigger on each
//! matched tracepoint, in our own instance (a tracepoint's top-level trigger file is everyone's),
//! keyed on `common_type` (one row: the event's count) or on the process with `-P`.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Counter, Matched, Plan, Tally, PROCESS_KEY};
use crate::record::{Fields, Sink};
use crate::tools::tpoint::{parse_available, TracepointGlob};
use crate::tracefs::events::EventRef;
use crate::tracefs::stale::GROUP_PREFIX;
use crate::tracefs::{hist, Session};
use crate::{Error, Result};

/// Dynamic-event groups are not tracepoints: a `t:*:*` should not count other tools' probes.
const NOT_TRACEPOINTS: &[&str] = &[
    "kprobes",
    "uprobes",
    "eprobes",
    "synthetic",
    "fprobes",
    "tracepoints",
];

/// `SYSTEM:EVENT` of every tracepoint `glob` matches, in available_events order.
pub(super) fn matching(s: &Session, glob: &TracepointGlob) -> Result<Vec<String>> {
    let text = s.tracefs().read("available_events")?;
    Ok(parse_available(&text)
        .into_iter()
        .filter(|t| {
            !t.system.starts_with(GROUP_PREFIX) && !NOT_TRACEPOINTS.contains(&t.system.as_str())
        })
        .filter(|t| glob.matches(&t.system, &t.event))
        .map(|t| format!("{}:{}", t.system, t.event))
        .collect())
}

#[derive(Default)]
pub(super) struct TracepointCounter {
    /// Each tracepoint and its directory in our instance, where its `hist` is.
    events: Vec<(String, PathBuf)>,
    per_process: bool,
    keys: HashMap<String, Fields>,
}

impl Counter for TracepointCounter {
    fn start(
        &mut self,
        s: &mut Session,
        plan: &Plan<'_>,
        matched: &mut Matched,
        _sink: &mut dyn Sink,
    ) -> Result<Vec<String>> {
        let names = matched.get(s, plan.target)?.to_vec();
        if names.len() > plan.max_probes {
            return Err(Error::Usage(format!(
                "the pattern matches {} tracepoints; funccount puts a hist trigger on each and stops at {} (raise --max-probes, or narrow the pattern)",
                names.len(),
                plan.max_probes
            )));
        }
        self.per_process = plan.per_process;
        let (keys, size) = match plan.per_process {
            true => (PROCESS_KEY, 8192),
            // One row per event: the smallest table the kernel takes.
            false => ("common_type", 128),
        };
        let trigger = hist::trigger_command(
            &[keys],
            &["hitcount"],
            None,
            Some(size),
            plan.pid_filter().as_deref(),
        );
        for name in &names {
            let Some((system, event)) = name.split_once(':') else {
                continue;
            };
            let ev = EventRef::event(system, event);
            s.add_instance_trigger(&ev, &trigger)?;
            self.events
                .push((name.clone(), s.instance_event_file(&ev, "hist")?));
        }
        Ok(names)
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        let mut tally = Tally {
            per_process: self.per_process,
            what_key: "tracepoint",
            keys: &mut self.keys,
            out: &mut out,
        };
        for (name, hist_file) in &self.events {
            let text = s.tracefs().read(hist_file)?;
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
