//! The kernel functions a glob matches, for tools that put kprobes on each (stackcount,
//! funclatency): read from the kernel's traceable list (kept per boot), refused in words when
//! none match or when they would take more kprobes than `--max-probes` allows.

use crate::tools::values::FuncPattern;
use crate::tracefs::{ftrace_filter, function_table, Error as TfError, Session};
use crate::{Error, Result};

/// The functions `pattern` matches, when `probes_each` kprobes on each fit in `max_probes`;
/// `tool` names the tool in the refusal.
pub fn functions_to_probe(
    s: &Session,
    pattern: &FuncPattern,
    max_probes: usize,
    probes_each: usize,
    tool: &str,
) -> Result<Vec<String>> {
    let _phase = s.tracefs().phase("resolve functions");
    let all = function_table::available_functions_cached(s.tracefs())?;
    let found: Vec<String> = ftrace_filter::matching(&all, pattern)
        .into_iter()
        .map(str::to_string)
        .collect();
    if found.is_empty() {
        return Err(TfError::NoMatch {
            pattern: pattern.to_string(),
        }
        .into());
    }
    if found.len() * probes_each > max_probes {
        let each = match probes_each {
            1 => "one kprobe".to_string(),
            n => format!("{n} kprobes"),
        };
        return Err(Error::Usage(format!(
            "the pattern matches {} functions; {tool} makes {each} each and stops at \
             {max_probes} kprobes (raise --max-probes, or narrow the pattern)",
            found.len()
        )));
    }
    Ok(found)
}
