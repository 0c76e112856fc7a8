//! Kernel stacks counted by a hist trigger keyed on `stacktrace`: the trigger, and its table
//! read into [`StackCount`]s (stackcount).
//!
//! The kernel prints each key as one frame a line, innermost first, `func+off/size`
//! (`trace_events_hist.c` `hist_trigger_stacktrace_print`, `%pS`); frames are kept as function
//! names, so stacks that differ only in offsets within the same functions count as one.

use std::collections::{HashMap, HashSet};

use crate::record::StackCount;
use crate::tracefs::hist::{self, HistTable};

/// Entries of the kernel's table: distinct stacks kept (the kernel counts the rest as dropped,
/// and the run says so). A power of two, as the kernel wants.
pub const TABLE_SIZE: usize = 8192;
/// Longest frame kept (KSYM_NAME_LEN is 512 with Rust symbols).
const MAX_FRAME: usize = 512;
/// Most frames kept of one stack (the kernel's HIST_STACKTRACE_DEPTH is 16 today).
const MAX_FRAMES: usize = 128;

/// The trigger: one entry per distinct kernel stack, its hits counted, busiest first.
pub fn trigger(filter: Option<&str>) -> String {
    hist::trigger_command(
        &["stacktrace"],
        &["hitcount"],
        Some("hitcount.descending"),
        Some(TABLE_SIZE),
        filter,
    )
}

/// `vfs_read+0x5/0x1a0` → `vfs_read`; `[unknown]` and bare addresses stay as they are.
fn function_of(frame: &str) -> &str {
    let f = frame.trim();
    match f.split_once('+') {
        Some((name, _)) if !name.is_empty() => name,
        _ => f,
    }
}

/// A kprobe's stack starts in the probe's own machinery (on x86 with ftrace-based kprobes,
/// 6.1 and 6.12: `kprobe_ftrace_handler+0x10b/0x1b0`, then the ftrace trampoline as a bare
/// address), above the probed function: those frames are cut, from the first frame that is
/// one of `probed`. A stack without any (not a kprobe's) is kept whole.
fn from_probed(frames: Vec<String>, probed: &HashSet<&str>) -> Vec<String> {
    match frames.iter().position(|f| probed.contains(f.as_str())) {
        Some(at) => frames.into_iter().skip(at).collect(),
        None => frames,
    }
}

/// The stacks of `tables` (the `hist` file parsed), from the probed function out (`probed`:
/// the functions probed; empty for a tracepoint), merged by function names, busiest first
/// (ties in frame order, for output that does not change from run to run).
pub fn read(tables: &[HistTable], probed: &[String]) -> Vec<StackCount> {
    let probed: HashSet<&str> = probed.iter().map(String::as_str).collect();
    let mut merged: HashMap<Vec<String>, u64> = HashMap::new();
    for e in tables.iter().flat_map(|t| &t.entries) {
        // `stacktrace` up to 6.4, `common_stacktrace` from 6.5 (the trigger takes either).
        let Some((_, text)) = e
            .keys
            .iter()
            .find(|(k, _)| k == "stacktrace" || k == "common_stacktrace")
        else {
            continue;
        };
        let frames: Vec<String> = text
            .lines()
            .map(function_of)
            .filter(|f| !f.is_empty())
            .take(MAX_FRAMES)
            .map(|f| crate::output::escape::cut(f, MAX_FRAME).into_owned())
            .collect();
        let frames = from_probed(frames, &probed);
        if frames.is_empty() {
            continue;
        }
        *merged.entry(frames).or_insert(0) += e.hitcount;
    }
    let mut out: Vec<StackCount> = merged
        .into_iter()
        .map(|(frames, count)| StackCount { frames, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.frames.cmp(&b.frames)));
    out
}

/// Events the kernel's table had no room for.
pub fn dropped(tables: &[HistTable]) -> u64 {
    tables.iter().map(|t| t.dropped).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real hist file of Debian 12's 6.1.0-57-cloud-amd64: one kprobe event with probes on
    // vfs_read and vfs_write, keyed on stacktrace (tests/fixtures/README.md).
    const DEB: &str = include_str!("../../../tests/fixtures/debian/hist_stacktrace.txt");
    // The same kernel, on the sched_process_exec tracepoint in an instance.
    const TP: &str = include_str!("../../../tests/fixtures/debian/hist_stacktrace_tp.txt");

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn debian_6_1_kprobe_stacks_start_at_the_probed_function() {
        let t = hist::parse(DEB);
        let s = read(&t, &names(&["vfs_read", "vfs_write"]));
        assert_eq!(
            s,
            vec![
                StackCount {
                    frames: names(&[
                        "vfs_write",
                        "ksys_write",
                        "do_syscall_64",
                        "entry_SYSCALL_64_after_hwframe"
                    ]),
                    count: 22,
                },
                StackCount {
                    frames: names(&[
                        "vfs_read",
                        "ksys_read",
                        "do_syscall_64",
                        "entry_SYSCALL_64_after_hwframe"
                    ]),
                    count: 21,
                },
            ]
        );
        assert_eq!(dropped(&t), 0);
        // Without the probed names, the kprobe's own frames stay (and the trampoline's address).
        let whole = read(&t, &[]);
        assert_eq!(whole[0].frames[0], "kprobe_ftrace_handler");
        assert_eq!(whole[0].frames[1], "0xffffffffc031e0c8");
    }

    // Debian 13's 6.12.117: the key is printed as `common_stacktrace`.
    const DEB13: &str = include_str!("../../../tests/fixtures/debian13/hist_stacktrace.txt");

    #[test]
    fn debian_6_12_common_stacktrace() {
        let s = read(&hist::parse(DEB13), &names(&["vfs_read", "vfs_write"]));
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].frames[0].as_str(), s[0].count), ("vfs_write", 22));
        assert_eq!((s[1].frames[1].as_str(), s[1].count), ("ksys_read", 21));
        assert_eq!(s[1].frames.len(), 4);
    }

    #[test]
    fn debian_6_1_tracepoint_stack() {
        let s = read(&hist::parse(TP), &[]);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].count, 2);
        assert_eq!(
            s[0].frames,
            names(&[
                "do_execveat_common.isra.0",
                "__x64_sys_execve",
                "do_syscall_64",
                "entry_SYSCALL_64_after_hwframe"
            ])
        );
    }

    #[test]
    fn stacks_differing_in_offsets_merge_and_ties_sort_by_frames() {
        let text = "# event histogram\n#\n\
{ stacktrace:\n         b+0x1/0x10\n         c+0x2/0x10\n} hitcount:          3\n\
{ stacktrace:\n         b+0x5/0x10\n         c+0x2/0x10\n} hitcount:          4\n\
{ stacktrace:\n         a+0x5/0x10\n} hitcount:          7\n\n\
Totals:\n    Hits: 14\n    Entries: 3\n    Dropped: 9\n";
        let t = hist::parse(text);
        let s = read(&t, &[]);
        assert_eq!(
            s,
            vec![
                StackCount {
                    frames: names(&["a"]),
                    count: 7
                },
                StackCount {
                    frames: names(&["b", "c"]),
                    count: 7
                },
            ]
        );
        assert_eq!(dropped(&t), 9);
    }

    #[test]
    fn hostile_frames_are_cut() {
        let long = "x".repeat(10_000);
        let text = format!("# event histogram\n{{ stacktrace:\n  {long}+0x1/0x2\n}} hitcount: 1\n");
        let s = read(&hist::parse(&text), &[]);
        assert!(s[0].frames[0].chars().count() <= MAX_FRAME + 1);
    }

    #[test]
    fn triggers_and_pid_filters() {
        assert_eq!(
            trigger(None),
            "hist:keys=stacktrace:vals=hitcount:sort=hitcount.descending:size=8192"
        );
        assert_eq!(hist::pid_filter(&[]), None);
        let f = hist::pid_filter(&[12, 13]);
        assert_eq!(f.as_deref(), Some("(common_pid == 12 || common_pid == 13)"));
        assert_eq!(
            trigger(f.as_deref()),
            "hist:keys=stacktrace:vals=hitcount:sort=hitcount.descending:size=8192 if (common_pid == 12 || common_pid == 13)"
        );
    }
}
