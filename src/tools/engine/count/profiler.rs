//! The function profiler backend: per-CPU counters in `trace_stat/function<N>`, global (one
//! run at a time, under the global lock).

use std::collections::HashMap;

use super::{Counter, Matched, Plan};
use crate::record::Sink;
use crate::tracefs::{profiler, Error as TfError, Session};
use crate::Result;

/// What the global lock guards here, as messages name it.
pub(super) const WHAT: &str = "the function profiler";

/// The function profiler: counters per CPU in `trace_stat/function<N>`, global.
#[derive(Default)]
pub(super) struct ProfilerCounter {
    /// The kernel cuts names to 30 characters; this maps a cut name back to the full one
    /// when only one matched function has that prefix.
    full_names: HashMap<String, Option<String>>,
}

impl ProfilerCounter {
    fn new(matched: &[String]) -> ProfilerCounter {
        let mut full_names: HashMap<String, Option<String>> = HashMap::new();
        for name in matched {
            let cut: String = name.chars().take(profiler::NAME_WIDTH).collect();
            full_names
                .entry(cut)
                .and_modify(|v| *v = None)
                .or_insert_with(|| Some(name.clone()));
        }
        ProfilerCounter { full_names }
    }
}

impl Counter for ProfilerCounter {
    fn start(
        &mut self,
        s: &mut Session,
        plan: &Plan<'_>,
        matched: &mut Matched,
        _sink: &mut dyn Sink,
    ) -> Result<Vec<String>> {
        s.lock_global(WHAT)?;
        let t = s.tracefs().clone();
        if t.read_value("function_profile_enabled")? == "1" {
            return Err(TfError::Busy {
                what: "the function profiler".into(),
                holder: "someone else (function_profile_enabled is 1)".into(),
            }
            .into());
        }
        // The profiler follows the top-level filter, which the top-level function tracer
        // shares: changing it under someone's running tracer would change their trace.
        let tracer = t.read_value("current_tracer")?;
        if tracer != "nop" {
            return Err(TfError::Busy {
                what: "the top-level set_ftrace_filter".into(),
                holder: format!("the running {tracer} tracer; try --backend kprobe-profile"),
            }
            .into());
        }
        let list = matched.filter_list(s, plan.target)?;
        // The kernel matches the glob itself: what it reads back is what is counted.
        let functions = s.set_global_filter("set_ftrace_filter", &list)?;
        *self = ProfilerCounter::new(&functions);
        // 0 -> 1 resets the counters.
        let _phase = t.phase("enable");
        s.set_global("function_profile_enabled", "1")?;
        Ok(functions)
    }

    fn snapshot(&mut self, s: &Session) -> Result<HashMap<String, u64>> {
        let rows = profiler::read_all(s.tracefs())?;
        let mut out = HashMap::new();
        for row in rows {
            // Only what we asked for: a kernel whose profiler ignores the filter (6.11 until
            // the Jan-2025 fix) counts every function.
            let Some(full) = self.full_names.get(&row.name) else {
                continue;
            };
            let name = full.clone().unwrap_or_else(|| row.name.clone());
            *out.entry(name).or_insert(0) += row.hits;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiler_names_cut_at_30_are_restored_when_unique() {
        let long = "a_function_name_longer_than_thirty_chars".to_string();
        let p = ProfilerCounter::new(&[long.clone(), "vfs_read".into()]);
        assert_eq!(p.full_names.get(&long[..30]), Some(&Some(long.clone())));
        let twin = format!("{}_twin", &long);
        let p = ProfilerCounter::new(&[long.clone(), twin]);
        assert_eq!(p.full_names.get(&long[..30]), Some(&None));
    }
}
