//! The function profiler (CONFIG_FUNCTION_PROFILER): `function_profile_enabled` and the
//! per-CPU `trace_stat/function<N>` tables. Global, top level only.

// ---------------------------------------------------------------------------------------------
// Parsing `trace_stat/function<N>`
// ---------------------------------------------------------------------------------------------

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
///
/// Rows are `"  %-30.30s  %10lu"`, then with the graph tracer `"    %s us"` columns for Time,
/// Avg and (newer kernels) s^2. Kernel function names hold no spaces, so the columns split on
/// whitespace. Rows that do not parse are skipped; a file without the header gives nothing.
pub fn parse_stat(text: &str) -> Vec<ProfileRow> {
    let mut lines = text.lines();
    let Some(header) = lines.by_ref().find(|l| {
        let mut w = l.split_whitespace();
        w.next() == Some("Function") && w.next() == Some("Hit")
    }) else {
        return Vec::new();
    };
    let has_time = header.split_whitespace().nth(2) == Some("Time");
    let mut out = Vec::new();
    for line in lines {
        let mut w = line.split_whitespace();
        let (Some(name), Some(hits)) = (w.next(), w.next()) else {
            continue;
        };
        let Ok(hits) = hits.parse::<u64>() else {
            // The `--------  ---` rule under the header, or junk.
            continue;
        };
        let time_us = if has_time {
            match (w.next().map(str::parse::<f64>), w.next()) {
                (Some(Ok(t)), Some("us")) if t.is_finite() => Some(t),
                _ => None,
            }
        } else {
            None
        };
        out.push(ProfileRow {
            name: name.to_string(),
            hits,
            time_us,
        });
    }
    out
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

#[cfg(test)]
mod parse_tests {
    use super::*;

    // Real trace_stat output of the 6.1.192 profiler kernel (graph tracer built in, so s^2).
    #[test]
    fn profiler_6_1_cpu0() {
        let rows = parse_stat(include_str!(
            "../../tests/fixtures/profiler/trace_stat_function0.txt"
        ));
        assert_eq!(
            rows,
            vec![
                ProfileRow {
                    name: "vfs_read".into(),
                    hits: 100,
                    time_us: Some(239.676)
                },
                ProfileRow {
                    name: "vfs_write".into(),
                    hits: 101,
                    time_us: Some(93.952)
                },
                ProfileRow {
                    name: "vfs_open".into(),
                    hits: 2,
                    time_us: Some(16.183)
                },
            ]
        );
    }

    #[test]
    fn profiler_6_1_cpu1() {
        let rows = parse_stat(include_str!(
            "../../tests/fixtures/profiler/trace_stat_function1.txt"
        ));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].time_us, Some(267.375));
        assert_eq!(
            rows[1],
            ProfileRow {
                name: "vfs_write".into(),
                hits: 1,
                time_us: Some(0.0)
            }
        );
    }

    #[test]
    fn hit_only_and_no_variance_headers() {
        let hit_only = "  Function                               Hit\n  --------                               ---\n  vfs_read                               100\n  a_very_long_function_name_cut_                 7\n";
        let rows = parse_stat(hit_only);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].time_us, None);
        assert_eq!(rows[1].name.len(), NAME_WIDTH);
        let no_s2 = "  Function                               Hit    Time            Avg\n  --------                               ---    ----            ---\n  vfs_write                              462    1234567 us     148.217 us\n";
        let rows = parse_stat(no_s2);
        assert_eq!(rows[0].time_us, Some(1234567.0));
        assert!(parse_stat("").is_empty());
        assert!(
            parse_stat("  vfs_read  100\n").is_empty(),
            "no header, no rows"
        );
    }
}
