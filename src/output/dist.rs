//! Distributions and spans in human form: a histogram as bcc and perf-tools draw one (ranges,
//! counts, a bar of stars), a span as one trace-like line with its duration.

use crate::record::{Histogram, Span};

/// Width of the star bar of the fullest bucket.
const BAR: usize = 40;

/// ```text
/// comm = dd
///      bytes           : count     distribution
///          0 -> 1      : 100      |****************************************|
///        513 -> 1024   : 3        |*                                       |
/// ```
pub fn histogram(h: &Histogram, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    if let (true, Some(host)) = (multi_host, host) {
        out.push_str(&format!("[{host}]\n"));
    }
    for (k, v) in &h.keys.0 {
        out.push_str(&format!("{k} = {v}\n"));
    }
    let label = if h.unit.is_empty() || h.unit == h.name {
        h.name.clone()
    } else {
        format!("{} ({})", h.name, h.unit)
    };
    let width = h
        .buckets
        .iter()
        .map(|b| b.high.to_string().len())
        .max()
        .unwrap_or(1)
        .max(5);
    let max = h.buckets.iter().map(|b| b.count).max().unwrap_or(0);
    out.push_str(&format!(
        "{:>w$}     : count     distribution\n",
        label,
        w = 2 * width + 4
    ));
    for b in &h.buckets {
        // Rounded up: a bucket with any count shows at least one star.
        let stars = if max == 0 {
            0
        } else {
            ((b.count as u128 * BAR as u128).div_ceil(max as u128)) as usize
        };
        out.push_str(&format!(
            "{:>w$} -> {:<w$} : {:<8} |{:<bar$}|\n",
            b.low,
            b.high,
            b.count,
            "*".repeat(stars.min(BAR)),
            w = width,
            bar = BAR
        ));
    }
    out
}

/// `dd-123 [000] 12.500000: vfs_read 3.250 us`, indented two spaces per depth.
pub fn span_line(s: &Span, multi_host: bool, host: Option<&str>) -> String {
    let mut out = String::new();
    if let (true, Some(host)) = (multi_host, host) {
        out.push_str(&format!("[{host}] "));
    }
    let indent = "  ".repeat(s.depth.unwrap_or(0) as usize);
    out.push_str(&format!(
        "{}-{} [{:03}] {:.6}: {indent}{} {:.3} us",
        s.comm, s.pid, s.cpu, s.timestamp, s.name, s.duration_us
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Bucket, FieldValue, Fields};

    #[test]
    fn histogram_bars_scale_to_the_fullest_bucket() {
        let h = Histogram {
            time: None,
            name: "bytes".into(),
            unit: "bytes".into(),
            keys: Fields(vec![("comm".into(), FieldValue::Str("dd".into()))]),
            buckets: vec![
                Bucket {
                    low: 0,
                    high: 1,
                    count: 100,
                },
                Bucket {
                    low: 513,
                    high: 1024,
                    count: 3,
                },
            ],
        };
        let text = histogram(&h, false, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "comm = dd");
        assert!(lines[1].trim_start().starts_with("bytes"), "{text}");
        assert!(
            lines[2].ends_with(&format!("|{}|", "*".repeat(40))),
            "{text}"
        );
        assert!(lines[3].contains("513 -> 1024"), "{text}");
        assert!(lines[3].contains("|*"), "{text}");
    }

    #[test]
    fn span_line_indents_by_depth() {
        let s = Span {
            comm: "dd".into(),
            pid: 123,
            cpu: 0,
            timestamp: 12.5,
            name: "vfs_read".into(),
            duration_us: 3.25,
            depth: Some(1),
            fields: Fields::default(),
        };
        assert_eq!(
            span_line(&s, false, None),
            "dd-123 [000] 12.500000:   vfs_read 3.250 us"
        );
    }
}
