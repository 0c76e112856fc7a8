//! The function profiler (CONFIG_FUNCTION_PROFILER): `function_profile_enabled` and the
//! per-CPU `trace_stat/function<N>` tables. Global, top level only.
//!
//! INTERFACE STUB: the parser is being written; signatures are the contract.

/// One row of `trace_stat/function<N>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRow {
    /// Function name, cut by the kernel to 30 characters.
    pub name: String,
    pub hits: u64,
    /// Total time in microseconds, when the kernel has the graph tracer.
    pub time_us: Option<f64>,
}

/// Parses one `trace_stat/function<N>` file. Keyed off the header line, so kernels without the
/// graph tracer (Hit only) and older ones (no s^2) parse too.
pub fn parse_stat(_text: &str) -> Vec<ProfileRow> {
    todo!("profiler stat parser")
}

/// The kernel cuts names at this many characters.
pub const NAME_WIDTH: usize = 30;

// ---- control (lead) ----

/// Sums every `trace_stat/function<N>` (one per possible CPU) into one list of rows.
pub fn read_all(t: &super::Tracefs) -> super::Result<Vec<ProfileRow>> {
    let mut rows = Vec::new();
    for name in t.list_dir("trace_stat")? {
        if name.starts_with("function")
            && name["function".len()..].bytes().all(|b| b.is_ascii_digit())
        {
            rows.extend(parse_stat(&t.read(format!("trace_stat/{name}"))?));
        }
    }
    Ok(rows)
}
