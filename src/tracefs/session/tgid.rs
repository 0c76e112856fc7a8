//! Thread group ids for a tracer that enables no events (the function tracer).
//!
//! With `options/record-tgid` set, the kernel prints each line's tgid from a map that only its
//! sched_switch hook fills, and that hook records tgids only while some *event* enabled with
//! record-tgid holds a reference on it (`tracing_start_tgid_record`, taken when such an event
//! is enabled, dropped when it is disabled). The function tracer enables none, so its lines
//! print `(-------)` for every task: seen on Debian's 6.1 with functrace -d, whose tasks have
//! exited by the time the buffer is read and cannot be looked up in /proc. Enabling one rare
//! event in our instance, with a filter no event passes, takes that reference for the run and
//! records nothing; disabling it at teardown drops it again.

use super::Session;
use crate::tracefs::error::Result;
use crate::tracefs::events::{self, EventRef};

/// Events that fire rarely on any system (so the filter is seldom even evaluated), in the
/// order tried; the first this kernel has is used.
const RARE: &[(&str, &str)] = &[
    ("sched", "sched_kthread_stop"),
    ("oom", "mark_victim"),
    ("module", "module_load"),
    ("sched", "sched_process_hang"),
];

/// A filter no event passes: no task has a negative pid.
const NEVER: &str = "common_pid < 0";

impl Session {
    /// Sets `record-tgid` in our instance and makes the kernel fill the tgid map while the run
    /// lasts (see the module documentation). False where the kernel has no `record-tgid` or
    /// none of the rare events: the caller then looks tgids up in /proc.
    pub fn record_tgids(&mut self) -> Result<bool> {
        let option = self.instance_file("options/record-tgid")?;
        if !self.tracefs().exists(option) {
            return Ok(false);
        }
        self.set_instance_option("record-tgid", "1")?;
        let Some(ev) = RARE
            .iter()
            .find(|(g, e)| events::exists(self.tracefs(), g, e))
            .map(|(g, e)| EventRef::event(g, e))
        else {
            return Ok(false);
        };
        // The filter goes with the instance; it is set before the enable so nothing is ever
        // recorded.
        self.set_filter(&ev, NEVER)?;
        self.enable(&ev)?;
        Ok(true)
    }
}
