//! Tracepoints counted in the kernel (`funccount t:SYSTEM:EVENT`): a hist trigger on each
//! matched tracepoint, in our own instance (a tracepoint's top-level trigger file is everyone's),
//! keyed on `common_type` (one row: the event's count) or on the process with `-P`.

use std::collections::HashMap;

use super::{Counter, EventCounts, Matched, Plan};
use crate::record::{Fields, Sink};
use crate::tools::tpoint::parse_available;
use crate::tools::values::NameGlob;
use crate::tracefs::events::EventRef;
use crate::tracefs::stale::GROUP_PREFIX;
use crate::tracefs::Session;
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
pub(super) fn matching(s: &Session, glob: &NameGlob) -> Result<Vec<String>> {
    let text = s.tracefs().read("available_events")?;
    Ok(parse_available(&text)
        .into_iter()
        .filter(|t| {
            !t.system.starts_with(GROUP_PREFIX) && !NOT_TRACEPOINTS.contains(&t.system.as_str())
        })
        .filter(|t| glob.matches_tracepoint(&t.system, &t.event))
        .map(|t| format!("{}:{}", t.system, t.event))
        .collect())
}

#[derive(Default)]
pub(super) struct TracepointCounter(EventCounts);

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
        self.0 = EventCounts::new(plan, "tracepoint");
        let trigger = self.0.trigger(plan);
        for name in &names {
            let Some((system, event)) = name.split_once(':') else {
                continue;
            };
            let ev = EventRef::event(system, event);
            s.add_instance_trigger(&ev, &trigger)?;
            self.0
                .push(name.clone(), s.instance_event_file(&ev, "hist")?);
        }
        Ok(names)
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        self.0.snapshot(s)
    }

    fn keys(&self, name: &str) -> Option<Fields> {
        self.0.keys(name)
    }
}
