//! Probes that missed: the kernel counts, per kprobe, the hits it skipped (kprobe_profile's
//! last column): a return probe misses the returns of calls beyond its `maxactive` in flight at
//! once, an entry probe the hits that came while another kprobe handler ran on that CPU. A run
//! whose probes missed says so at its end, with the count, instead of a trace that looks whole.

use crate::record::{NoticeLevel, Record};
use crate::tracefs::kprobe_profile::parse_kprobe_profile;
use crate::tracefs::probe::{ProbeDef, ProbeKind};
use crate::tracefs::Tracefs;

/// The kprobes of a run whose misses its end reports.
#[derive(Debug, Clone, Default)]
pub struct Misses {
    probes: Vec<Probe>,
}

#[derive(Debug, Clone)]
struct Probe {
    event: String,
    /// The functions of the event: one, or several probes under one name (funclatency's).
    functions: Vec<String>,
    /// `None` for an entry probe; a return probe's maxactive (`None` inside: the kernel's
    /// default).
    ret: Option<Option<u32>>,
}

impl Misses {
    /// The kprobes among `defs` (named, as added), one per event name; uprobes have no miss
    /// count.
    pub fn of(defs: &[ProbeDef]) -> Misses {
        let mut probes: Vec<Probe> = Vec::new();
        for d in defs {
            let ret = match d.kind {
                ProbeKind::Kprobe => None,
                ProbeKind::Kretprobe { maxactive } => Some(maxactive),
                ProbeKind::Uprobe | ProbeKind::Uretprobe => continue,
            };
            let Some(event) = d.event.clone() else {
                continue;
            };
            let function = d.symbol().unwrap_or("its address").to_string();
            match probes.iter_mut().find(|p| p.event == event) {
                Some(p) => p.functions.push(function),
                None => probes.push(Probe {
                    event,
                    functions: vec![function],
                    ret,
                }),
            }
        }
        Misses { probes }
    }

    /// One warning per probe that missed, read from `kprobe_profile` while the probes are
    /// still there (nothing when it cannot be read: the run's own result stands).
    pub fn report(&self, t: &Tracefs) -> Vec<Record> {
        if self.probes.is_empty() {
            return Vec::new();
        }
        let Ok(text) = t.read("kprobe_profile") else {
            return Vec::new();
        };
        self.in_profile(&text)
    }

    fn in_profile(&self, text: &str) -> Vec<Record> {
        let lines = parse_kprobe_profile(text);
        let mut out = Vec::new();
        for p in &self.probes {
            // The kernel prints event names without their group (ours are unique in it), a
            // line per probe: an event on several functions has several.
            let missed: u64 = lines
                .iter()
                .filter(|l| l.event == p.event)
                .filter_map(|l| l.misses)
                .sum();
            if missed == 0 {
                continue;
            }
            let event = &p.event;
            let function = match p.functions.as_slice() {
                [one] => one.clone(),
                many => format!("{} functions", many.len()),
            };
            let text = match p.ret {
                Some(maxactive) => {
                    let now = match maxactive {
                        Some(n) => n.to_string(),
                        None => "the kernel's default".into(),
                    };
                    let more = maxactive.map_or(64, |n| n.saturating_mul(4).max(64));
                    let hint = match p.functions.as_slice() {
                        [one] => format!("; r{more}:{event} {one} keeps more"),
                        _ => String::new(),
                    };
                    format!(
                        "return probe {event} ({function}) missed {missed} returns: more calls were \
                         in flight at once than its maxactive ({now}), so the results lack them{hint}"
                    )
                }
                None => format!(
                    "probe {event} ({function}) missed {missed} hits: they came while another \
                     kprobe handler ran on the same CPU, so the results lack them"
                ),
            };
            out.push(Record::notice(NoticeLevel::Warning, text));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracefs::probe::ProbeDef;

    fn def(text: &str, event: &str) -> ProbeDef {
        let mut d = ProbeDef::parse(text).unwrap();
        d.event = Some(event.into());
        d
    }

    #[test]
    fn probes_that_missed_say_how_many_and_what_keeps_more() {
        let m = Misses::of(&[
            def("r1:do_nanosleep", "slp"),
            def("r:vfs_read", "rd"),
            def("p:vfs_write", "wr"),
            def("p:/bin/sh:0x10", "sh"),
        ]);
        assert_eq!(m.probes.len(), 3, "uprobes have no miss count");
        // One event on two functions (funclatency's): the lines summed, the functions counted.
        let two = Misses::of(&[def("r:vfs_read", "ret"), def("r:vfs_write", "ret")]);
        let notes = two.in_profile("  ret   10   2\n  ret   5   3\n");
        match notes.as_slice() {
            [Record::Notice(n)] => assert!(
                n.message
                    .starts_with("return probe ret (2 functions) missed 5 returns")
                    && n.message.ends_with("the results lack them"),
                "{}",
                n.message
            ),
            other => panic!("{other:?}"),
        }
        let profile = "  slp                                                 3               2\n  \
                       rd                                                100               0\n  \
                       wr                                                 50               7\n";
        let notes: Vec<String> = m
            .in_profile(profile)
            .into_iter()
            .map(|r| match r {
                Record::Notice(n) => n.message,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("return probe slp (do_nanosleep) missed 2 returns"));
        assert!(notes[0].contains("maxactive (1)"), "{}", notes[0]);
        assert!(
            notes[0].ends_with("r64:slp do_nanosleep keeps more"),
            "{}",
            notes[0]
        );
        assert!(notes[1].starts_with("probe wr (vfs_write) missed 7 hits"));
        assert!(Misses::of(&[]).in_profile(profile).is_empty());
    }
}
