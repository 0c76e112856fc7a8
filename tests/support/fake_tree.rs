//! A fake tracefs tree for whole-command tests: a temp directory with the top-level files
//! funccount's profiler backend and ctl touch, filled with real output of the 6.1 profiler
//! kernel (tests/fixtures/profiler), and no function graph tracer.

// Each test binary that includes this uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

pub const FX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/profiler/");

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FX}{name}")).unwrap()
}

/// Writes the tree into `dir`: traceable functions the fixture's head, vfs_read, vfs_write,
/// vfs_open and `more_functions` (a line each); `kprobe_events` as someone else's probes.
pub fn profiler_tree(dir: &Path, more_functions: &str, kprobe_events: &str) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("trace", "");
    w("current_tracer", "nop\n");
    w("tracing_on", "1\n");
    w("available_tracers", &fixture("available_tracers.txt"));
    w("README", &fixture("README.txt"));
    w(
        "available_filter_functions",
        &format!(
            "{}vfs_read\nvfs_write\nvfs_open\n{more_functions}",
            fixture("available_filter_functions.head.txt")
        ),
    );
    // A real kernel reads an empty filter back as "#### all functions enabled ####" and
    // values with a newline; a plain file reads back what was written, so the fake starts
    // out the way a restore leaves it.
    w("set_ftrace_filter", "");
    w("function_profile_enabled", "0");
    w("trace_stat/function0", &fixture("trace_stat_function0.txt"));
    w("trace_stat/function1", &fixture("trace_stat_function1.txt"));
    w("kprobe_events", kprobe_events);
    w("uprobe_events", "");
    w("set_event", "");
    std::fs::create_dir_all(dir.join("instances")).unwrap();
}

/// Every file under the tree with its content (directories as entries too).
pub fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, p: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(p).unwrap() {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(base).unwrap().display().to_string();
            if e.file_type().unwrap().is_dir() {
                out.insert(rel + "/", String::new());
                walk(base, &e.path(), out);
            } else {
                out.insert(rel, std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
