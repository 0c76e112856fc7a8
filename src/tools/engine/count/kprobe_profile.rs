//! The kprobe_profile backend: one kprobe per function in our group, hits read from
//! `kprobe_profile`. That file lists probes by event name without their group, so every event
//! name carries this run's id: two runs probing the same function never read each other's line.

use std::collections::{HashMap, HashSet};

use super::{Counter, Matched, Plan};
use crate::record::{NoticeLevel, Record, Sink};
use crate::tracefs::events::EventRef;
use crate::tracefs::probe::{ProbeDef, ProbeKind, Target};
use crate::tracefs::{dynamic_events, kprobe_profile, Session};
use crate::{Error, Result};

/// One kprobe per function; the kernel counts hits in `kprobe_profile` while the probes are
/// armed. They are armed by a trigger that never acts ([`ARMING_TRIGGER`]), not by enabling
/// them: no instance, no buffer, nothing recorded.
#[derive(Default)]
pub(super) struct KprobeCounter {
    /// event name -> function name
    events: HashMap<String, String>,
}

impl Counter for KprobeCounter {
    fn start(
        &mut self,
        s: &mut Session,
        plan: &Plan<'_>,
        matched: &mut Matched,
        sink: &mut dyn Sink,
    ) -> Result<Vec<String>> {
        let functions = matched.get(s, plan.target)?.to_vec();
        // kprobe_profile shows event names without their group: every name carries this run's
        // id (unique among live runs, so two runs starting at once cannot both pick
        // `vfs_read`), and avoids names other groups use.
        let taken: HashSet<String> = dynamic_events::list_all(s.tracefs())
            .into_iter()
            .map(|l| l.event)
            .collect();
        let run = run_tag(&s.group());
        let mut used = HashSet::new();
        let named: Vec<(String, &str)> = functions
            .iter()
            .map(|f| (unique_event_name(f, &run, &taken, &mut used), f.as_str()))
            .collect();
        let refused = attach_entry_probes(s, &named, sink)?;
        let group = s.group();
        for (name, f) in &named {
            if !refused.contains(f) {
                s.add_trigger(&EventRef::event(&group, name), ARMING_TRIGGER)?;
                self.events.insert(name.clone(), f.to_string());
            }
        }
        Ok(accepted(&functions, &refused))
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let text = s.tracefs().read("kprobe_profile")?;
        let mut out = HashMap::new();
        for line in kprobe_profile::parse_kprobe_profile(&text) {
            if let Some(f) = self.events.get(&line.event) {
                *out.entry(f.clone()).or_insert(0) += line.hits;
            }
        }
        Ok(out)
    }
}

/// Arms a probe without enabling its event. A trigger soft-enables the event: the kprobe
/// fires (and `kprobe_profile` counts it), the triggers run, and no buffer is written. This
/// one is `traceoff` with a count of 0, which does nothing at all (traceoff_count_trigger
/// returns while its count is 0, in every kernel since triggers came in 3.14). Enabling the
/// events instead would need an instance: on 6.1 its mkdir cost 80 ms to 1.9 s under TCG,
/// as much as the probes (docs/performance.md).
pub(super) const ARMING_TRIGGER: &str = "traceoff:0";

/// Attaches a kprobe at the entry of each `(event name, function)`, in one batch write. One
/// function the kernel
/// will not probe (kprobe blacklist, notrace) spoils a batch: then they go one by one and the
/// refused ones are named in a warning. Returns the refused functions.
pub(super) fn attach_entry_probes<'a>(
    s: &mut Session,
    named: &[(String, &'a str)],
    sink: &mut dyn Sink,
) -> Result<HashSet<&'a str>> {
    let defs: Vec<ProbeDef> = named
        .iter()
        .map(|(event, f)| ProbeDef {
            kind: ProbeKind::Kprobe,
            group: None,
            event: Some(event.clone()),
            target: Target::Symbol {
                module: None,
                symbol: f.to_string(),
                offset: 0,
            },
            args: Vec::new(),
            return_suffix: false,
        })
        .collect();
    let mut refused = HashSet::new();
    if s.add_probes(&defs).is_ok() {
        return Ok(refused);
    }
    for (d, e) in s.add_probes_each(&defs)? {
        let f = d.symbol().unwrap_or("?");
        sink.emit(Record::notice(
            NoticeLevel::Warning,
            format!("skipped {f}: {e}"),
        ))?;
        if let Some((_, name)) = named.iter().find(|(_, n)| *n == f) {
            refused.insert(*name);
        }
    }
    if refused.len() == named.len() {
        return Err(Error::Other(
            "the kernel refused a kprobe on every matching function".into(),
        ));
    }
    Ok(refused)
}

/// The functions the kernel took a probe on, in their order.
pub(super) fn accepted(functions: &[String], refused: &HashSet<&str>) -> Vec<String> {
    functions
        .iter()
        .filter(|f| !refused.contains(f.as_str()))
        .cloned()
        .collect()
}

/// `_lkt1234` for group `lkt_1234`: the part of every event name that is this run's.
fn run_tag(group: &str) -> String {
    let id = group
        .strip_prefix(crate::tracefs::stale::GROUP_PREFIX)
        .unwrap_or(group);
    format!("_lkt{id}")
}

/// A legal event name for `func` ending in this run's tag, unused by other groups and by us.
/// The kernel's limit is 64 characters (MAX_EVENT_NAME_LEN): the function's part is cut.
fn unique_event_name(
    func: &str,
    run: &str,
    taken: &HashSet<String>,
    used: &mut HashSet<String>,
) -> String {
    let base = crate::tracefs::probe::sanitize_event_name(func);
    let make = |extra: &str| {
        let suffix = format!("{extra}{run}");
        let keep = 64usize.saturating_sub(suffix.len()).min(base.len());
        format!("{}{suffix}", &base[..keep])
    };
    let mut name = make("");
    let mut n = 1;
    while taken.contains(&name) || used.contains(&name) {
        name = make(&format!("_{n}"));
        n += 1;
    }
    used.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_carry_the_run_and_avoid_other_groups_and_each_other() {
        let run = run_tag("lkt_4242");
        assert_eq!(run, "_lkt4242");
        let taken: HashSet<String> = ["vfs_read_lkt4242".to_string()].into();
        let mut used = HashSet::new();
        assert_eq!(
            unique_event_name("vfs_read", &run, &taken, &mut used),
            "vfs_read_1_lkt4242"
        );
        assert_eq!(
            unique_event_name("foo.isra.0", &run, &taken, &mut used),
            "foo_isra_0_lkt4242"
        );
        assert_eq!(
            unique_event_name("foo_isra_0", &run, &taken, &mut used),
            "foo_isra_0_1_lkt4242"
        );
        let long = "x".repeat(80);
        let n = unique_event_name(&long, &run, &taken, &mut used);
        assert_eq!(n.len(), 64);
        assert!(n.ends_with("_lkt4242"));
        // Two runs, same function: different names, so neither reads the other's line.
        let mut u2 = HashSet::new();
        let a = unique_event_name("vfs_read", &run_tag("lkt_1"), &HashSet::new(), &mut u2);
        let b = unique_event_name("vfs_read", &run_tag("lkt_1_2"), &HashSet::new(), &mut u2);
        assert_ne!(a, b);
    }
}
