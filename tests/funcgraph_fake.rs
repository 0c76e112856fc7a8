//! funcgraph and funcslower through the built binaries against a fake tracefs tree: what they
//! refuse, and that every top-level file they change is put back byte for byte. The kernel's
//! behaviour is proven in the real-kernel suite (tests/vm_tools/funcgraph.rs).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const FX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/profiler/");

const OPTIONS: &[(&str, &str)] = &[
    ("funcgraph-abstime", "0"),
    ("funcgraph-cpu", "1"),
    ("funcgraph-proc", "0"),
    ("funcgraph-duration", "1"),
    ("funcgraph-overhead", "1"),
    ("funcgraph-tail", "0"),
    ("funcgraph-irqs", "1"),
    ("sleep-time", "1"),
];

/// The top-level files function_graph uses; `trace_pipe` holds `pipe`. A real kernel reads
/// values back with a newline; a plain file reads back what was written, so the fake starts out
/// the way a restore leaves it.
fn fake_tree(dir: &Path, pipe: &str) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let fx = |name: &str| std::fs::read_to_string(format!("{FX}{name}")).unwrap();
    w("trace", "");
    w("trace_pipe", pipe);
    w("current_tracer", "nop");
    w("tracing_on", "0");
    w("tracing_thresh", "0");
    w("max_graph_depth", "0");
    w("set_ftrace_pid", "");
    w("set_ftrace_notrace_pid", "");
    w("available_tracers", &fx("available_tracers.txt"));
    w("README", &fx("README.txt"));
    w(
        "available_filter_functions",
        &format!(
            "{}vfs_read\nrw_verify_area\ndo_nanosleep\n",
            fx("available_filter_functions.head.txt")
        ),
    );
    w("set_ftrace_filter", "");
    w("set_graph_function", "");
    w("function_profile_enabled", "0");
    w("kprobe_events", "");
    w("uprobe_events", "");
    w("set_event", "");
    for (o, v) in OPTIONS {
        w(&format!("options/{o}"), v);
    }
    std::fs::create_dir_all(dir.join("instances")).unwrap();
}

fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir(dir) {
        let rel = e.strip_prefix(dir).unwrap().display().to_string();
        // The pipe is read (consumed) on a kernel; here it is a plain file left as it was.
        out.insert(rel, std::fs::read_to_string(&e).unwrap_or_default());
    }
    out
}

fn walkdir(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walkdir(&e));
        } else {
            out.push(e);
        }
    }
    out
}

fn run(bin: &str, dir: &Path, locks: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin)
        .args(args)
        .env("LKTRACE_TRACEFS", dir)
        .env("LKTRACE_LOCK_DIR", locks)
        .output()
        .unwrap()
}

const PIPE: &str = concat!(
    "  100.000001 |   0)    dd-201     |               |  vfs_read() {\n",
    "  100.000002 |   0)    dd-201     |   2.100 us    |    rw_verify_area();\n",
    "  100.000070 |   0)    dd-201     | + 65.800 us   |  } /* vfs_read */\n",
);

#[test]
fn funcgraph_reads_spans_and_restores_the_top_level() {
    let (dir, locks) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    fake_tree(dir.path(), PIPE);
    let before = snapshot(dir.path());
    let out = run(
        env!("CARGO_BIN_EXE_funcgraph"),
        dir.path(),
        locks.path(),
        &["--json", "-m", "3", "--no-irqs", "-d", "0.2", "vfs_read"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spans: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "span")
        .collect();
    assert_eq!(spans.len(), 2, "{stdout}");
    assert_eq!(spans[0]["name"], "vfs_read");
    assert_eq!(spans[0]["fields"]["calls"], 1);
    assert_eq!(spans[1]["depth"], 1);
    assert_eq!(snapshot(dir.path()), before, "tracefs put back as it was");

    // Text: the kernel's layout.
    let out = run(
        env!("CARGO_BIN_EXE_funcgraph"),
        dir.path(),
        locks.path(),
        &["-T", "-d", "0.2", "vfs_read"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(" 0)               |  vfs_read() {\n"),
        "{text}"
    );
    assert!(
        text.contains(" 0) + 65.800 us   |  } /* vfs_read */\n"),
        "{text}"
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn the_top_level_in_use_is_refused_untouched() {
    let (dir, locks) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (file, value, says) in [
        ("current_tracer", "function\n", "current_tracer is function"),
        ("set_event", "sched:sched_switch\n", "set_event"),
        ("function_profile_enabled", "1\n", "function profiler"),
        ("set_ftrace_filter", "vfs_read\n", "set_ftrace_filter"),
    ] {
        fake_tree(dir.path(), "");
        std::fs::write(dir.path().join(file), value).unwrap();
        let before = snapshot(dir.path());
        let out = run(
            env!("CARGO_BIN_EXE_funcgraph"),
            dir.path(),
            locks.path(),
            &["-d", "0.1", "vfs_read"],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(says), "{file}: {err}");
        assert_eq!(snapshot(dir.path()), before, "{file}");
    }
    // funcslower sets its own filter: a filter there is no refusal of its own, a tracer is.
    fake_tree(dir.path(), "");
    std::fs::write(dir.path().join("current_tracer"), "blk\n").unwrap();
    let out = run(
        env!("CARGO_BIN_EXE_funcslower"),
        dir.path(),
        locks.path(),
        &["-d", "0.1", "do_nanosleep", "1000"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("current_tracer is blk"));
}
