//! `/sys/kernel/rcu_expedited`: expedited RCU grace periods while many probes are removed.
//!
//! The kernel removes a kprobe event by unregistering its kprobe and waiting for an RCU grace
//! period, one probe after the other, even when one write (`-:GROUP/`) removes them all: 73
//! probes took 1.4 s on 6.12 under TCG (docs/performance.md), nearly all of it waiting. With
//! `rcu_expedited` set, each wait is an expedited grace period (an IPI to every CPU) instead.
//! lktrace sets it only around the removal of many probes, records the old value first (a run
//! killed meanwhile is undone by the next), and puts it back at once.

use serde::{Deserialize, Serialize};

/// Probes in a session from which teardown is expedited: below it the waits are short.
pub const EXPEDITE_AT: usize = 8;

/// A kernel setting outside tracefs that a session may change for a moment. A closed set:
/// a journal names one of these, never a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Knob {
    /// `/sys/kernel/rcu_expedited`.
    RcuExpedited,
}

impl Knob {
    /// The file, under the running kernel's `/sys/kernel`.
    pub fn file(self) -> &'static str {
        match self {
            Knob::RcuExpedited => "rcu_expedited",
        }
    }

    /// The values lktrace ever writes: a journal that says otherwise is not replayed.
    pub fn accepts(self, value: &str) -> bool {
        matches!(value, "0" | "1")
    }

    /// What a journal or a log line calls it.
    pub fn name(self) -> &'static str {
        match self {
            Knob::RcuExpedited => "/sys/kernel/rcu_expedited",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_names_the_knob_not_a_path() {
        assert_eq!(
            serde_json::to_string(&Knob::RcuExpedited).unwrap(),
            "\"rcu_expedited\""
        );
        assert!(serde_json::from_str::<Knob>("\"/etc/shadow\"").is_err());
    }
}
