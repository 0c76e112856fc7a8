//! The hist engine: a hist trigger whose last key is a bucketed value (`.log2`, or
//! `.buckets=N` on 5.16+), read back into one `histogram` record per distinct value of the
//! other keys (per process, per syscall…). For argdist-style tools, funclatency, the I/O
//! size tools; the kernel does the counting, nothing is streamed.

use crate::record::{Bucket, FieldValue, Fields, Histogram, Record};
use crate::tracefs::hist::{self, HistTable};

/// The values of the keys a histogram is split by, as printed.
type SplitKeys = Vec<(String, String)>;

/// How the value is bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buckets {
    /// Powers of two (`.log2`): bucket k holds (2^(k-1), 2^k].
    Log2,
    /// Fixed width (`.buckets=N`, Linux 5.16+).
    Linear(u64),
}

/// One histogram to build: the value's field, how it is bucketed, what it is called, and the
/// keys it is split by.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The event field (`bytes`, `lat`): the histogram's value.
    pub field: String,
    pub buckets: Buckets,
    /// The record's `name` (defaults to the field's).
    pub name: String,
    pub unit: String,
    /// Keys the histogram is split by, as the trigger names them (`common_pid.execname`).
    pub by: Vec<String>,
}

impl Plan {
    /// The trigger command for this plan (without `if FILTER`; add it with the filter).
    pub fn trigger(&self, filter: Option<&str>) -> String {
        let value = match self.buckets {
            Buckets::Log2 => format!("{}.log2", self.field),
            Buckets::Linear(n) => format!("{}.buckets={n}", self.field),
        };
        let mut keys: Vec<&str> = self.by.iter().map(String::as_str).collect();
        keys.push(&value);
        hist::trigger_command(&keys, &["hitcount"], None, None, filter)
    }

    /// The histograms of a parsed `hist` file: one per distinct value of the `by` keys,
    /// buckets ascending.
    pub fn read(&self, tables: &[HistTable]) -> Vec<Record> {
        // The split's keys print without their modifier (`common_pid.execname` as
        // `common_pid`).
        let by: Vec<&str> = self
            .by
            .iter()
            .map(|b| b.split('.').next().unwrap_or(b))
            .collect();
        // Keys of the split, as printed, in first-seen order.
        let mut out: Vec<(SplitKeys, Vec<Bucket>)> = Vec::new();
        for t in tables {
            for e in &t.entries {
                let Some((_, printed)) = e.keys.iter().find(|(k, _)| *k == self.field) else {
                    continue;
                };
                let Some((low, high)) = parse_bucket(printed) else {
                    continue;
                };
                let split: Vec<(String, String)> = e
                    .keys
                    .iter()
                    .filter(|(k, _)| by.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.trim().to_string()))
                    .collect();
                let slot = match out.iter().position(|(k, _)| *k == split) {
                    Some(i) => i,
                    None => {
                        out.push((split, Vec::new()));
                        out.len() - 1
                    }
                };
                let buckets = &mut out[slot].1;
                match buckets.iter_mut().find(|b| b.low == low && b.high == high) {
                    Some(b) => b.count += e.hitcount,
                    None => buckets.push(Bucket {
                        low,
                        high,
                        count: e.hitcount,
                    }),
                }
            }
        }
        out.into_iter()
            .map(|(keys, mut buckets)| {
                buckets.sort_by_key(|b| b.low);
                Record::Histogram(Histogram {
                    time: None,
                    name: self.name.clone(),
                    unit: self.unit.clone(),
                    keys: Fields(
                        keys.into_iter()
                            .map(|(k, v)| (k, FieldValue::Str(v)))
                            .collect(),
                    ),
                    buckets,
                })
            })
            .collect()
    }
}

/// A bucketed key as the kernel prints it (`hist_trigger_print_key`): `~ 2^10` for `.log2`
/// (values in (2^9, 2^10]), `~ 100-199` for `.buckets=100`.
pub fn parse_bucket(printed: &str) -> Option<(u64, u64)> {
    let s = printed.trim().strip_prefix('~')?.trim();
    if let Some(k) = s.strip_prefix("2^") {
        let k: u32 = k.trim().parse().ok()?;
        if k >= 64 {
            return None;
        }
        let high = 1u64 << k;
        let low = if k == 0 { 0 } else { (1u64 << (k - 1)) + 1 };
        return Some((low, high));
    }
    let (a, b) = s.split_once('-')?;
    let (low, high) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (low <= high).then_some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of a 6.1 `hist` file for `hist:keys=common_pid.execname,bytes.log2`, as
    /// `hist_trigger_print_key` writes it.
    const LOG2: &str = "# event histogram\n#\n# trigger info: hist:keys=common_pid.execname,bytes.log2:vals=hitcount:sort=hitcount:size=2048 [active]\n#\n\n{ common_pid: dd              [       123], bytes: ~ 2^0  } hitcount:        100\n{ common_pid: dd              [       123], bytes: ~ 2^10 } hitcount:          3\n{ common_pid: cat             [       124], bytes: ~ 2^12 } hitcount:          1\n\nTotals:\n    Hits: 104\n    Entries: 3\n    Dropped: 0\n";

    fn plan(buckets: Buckets, by: &[&str]) -> Plan {
        Plan {
            field: "bytes".into(),
            buckets,
            name: "bytes".into(),
            unit: "bytes".into(),
            by: by.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn buckets_as_printed() {
        assert_eq!(parse_bucket("~ 2^0 "), Some((0, 1)));
        assert_eq!(parse_bucket("~ 2^10"), Some((513, 1024)));
        assert_eq!(parse_bucket("~ 100-199"), Some((100, 199)));
        assert_eq!(parse_bucket("~ 2^64"), None);
        assert_eq!(parse_bucket("12"), None);
        assert_eq!(parse_bucket("~ 9-3"), None);
    }

    #[test]
    fn one_histogram_per_process_buckets_ascending() {
        let p = plan(Buckets::Log2, &["common_pid"]);
        assert_eq!(
            p.trigger(None),
            "hist:keys=common_pid,bytes.log2:vals=hitcount"
        );
        let recs = p.read(&hist::parse(LOG2));
        assert_eq!(recs.len(), 2, "{recs:?}");
        let Record::Histogram(dd) = &recs[0] else {
            panic!()
        };
        assert_eq!(
            dd.keys.get("common_pid"),
            Some(&FieldValue::Str("dd              [       123]".into()))
        );
        assert_eq!(
            dd.buckets,
            vec![
                Bucket {
                    low: 0,
                    high: 1,
                    count: 100
                },
                Bucket {
                    low: 513,
                    high: 1024,
                    count: 3
                }
            ]
        );
        // Without a split every entry goes into one histogram.
        let all = plan(Buckets::Log2, &[]).read(&hist::parse(LOG2));
        assert_eq!(all.len(), 1);
        assert_eq!(
            plan(Buckets::Linear(100), &[]).trigger(Some("bytes > 0")),
            "hist:keys=bytes.buckets=100:vals=hitcount if bytes > 0"
        );
    }
}
