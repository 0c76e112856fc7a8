//! docs/json.md and the output are one thing: the page's examples that come from a command
//! this machine can run (against a fake tracefs tree, as tests/fake_tracefs.rs does) are that
//! command's real output, and the rest say what the code says. Every example is also checked
//! against the strict mirrors by tests/json_schema.rs (`the_documented_examples_validate`).

use std::path::Path;
use std::process::Command;

#[path = "support/fake_tree.rs"]
mod fake_tree;
#[path = "support/json_schema.rs"]
mod json_schema;

const DOC: &str = include_str!("../docs/json.md");

/// The example lines of one record type, as the page has them.
fn examples(ty: &str) -> Vec<serde_json::Value> {
    let tag = format!("{{\"type\":\"{ty}\"");
    let v: Vec<serde_json::Value> = DOC
        .lines()
        .filter(|l| l.starts_with(&tag))
        .map(|l| {
            json_schema::validate_line(l).unwrap_or_else(|e| panic!("docs/json.md: {e}"));
            serde_json::from_str(l).unwrap()
        })
        .collect();
    assert!(!v.is_empty(), "docs/json.md has no {ty} example");
    v
}

/// The profiler kernel's tree (tests/support/fake_tree.rs), with an `events/enable`.
fn fake_tree(dir: &Path) {
    fake_tree::profiler_tree(dir, "", "");
    std::fs::create_dir_all(dir.join("events")).unwrap();
    std::fs::write(dir.join("events/enable"), "0\n").unwrap();
}

fn lktrace(dir: &Path, locks: &Path, args: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(args)
        .env("LKTRACE_TRACEFS", dir)
        .env("LKTRACE_LOCK_DIR", locks)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {stderr}");
    json_schema::validate_output(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, stderr)
}

/// The run the page's first reset example describes: what a killed run 42 left (its lock
/// file still there, unheld: so 42 is dead whatever pid 42 is on this machine).
#[test]
fn the_reset_examples_are_real_output() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    std::fs::create_dir_all(tree.path().join("instances/lktrace_42")).unwrap();
    std::fs::write(
        tree.path().join("kprobe_events"),
        "p:lkt_42/open do_sys_openat2\n",
    )
    .unwrap();
    std::fs::write(locks.path().join("session-42.lock"), "42\n").unwrap();
    let (real, _) = lktrace(tree.path(), locks.path(), &["--json", "ctl", "reset"]);
    let ex = examples("reset");
    assert_eq!(real, [ex[0].clone()], "docs/json.md's reset example");

    // The --all example: a tracer, a filter and an event someone left on, and a probe.
    std::fs::write(tree.path().join("current_tracer"), "function\n").unwrap();
    std::fs::write(tree.path().join("set_ftrace_filter"), "vfs_read\n").unwrap();
    std::fs::write(tree.path().join("events/enable"), "1\n").unwrap();
    std::fs::write(tree.path().join("kprobe_events"), "p:mine/x vfs_read\n").unwrap();
    let (real, _) = lktrace(
        tree.path(),
        locks.path(),
        &["--json", "ctl", "reset", "--all"],
    );
    assert_eq!(real, [ex[1].clone()], "docs/json.md's reset --all example");
}

/// The check example's names are the names `ctl check` writes, and a reason that depends on
/// the tree alone (a CONFIG_ option it lacks) is worded as the code words it.
#[test]
fn the_check_example_names_and_words_are_real() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    // No function profiler on this tree.
    std::fs::remove_file(tree.path().join("function_profile_enabled")).unwrap();
    let (real, _) = lktrace(tree.path(), locks.path(), &["--json", "ctl", "check"]);
    // (A notice may come first: securityfs read through a private mount.)
    let checks: Vec<&serde_json::Value> = real.iter().filter(|r| r["type"] == "check").collect();
    let [real] = checks.as_slice() else {
        panic!("one check record: {real:?}")
    };
    for ex in examples("check") {
        let real_keys: Vec<&String> = real.as_object().unwrap().keys().collect();
        let ex_keys: Vec<&String> = ex.as_object().unwrap().keys().collect();
        assert_eq!(ex_keys, real_keys, "the fields, in order");
        for list in ["features", "tools"] {
            for item in ex[list].as_array().unwrap() {
                let name = &item["name"];
                let Some(found) = real[list]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| &r["name"] == name)
                else {
                    panic!(
                        "docs/json.md names {list} item {name}; ctl check writes {}",
                        real[list]
                    );
                };
                let reason = item["reason"].as_str().unwrap_or("");
                if reason.contains("the kernel lacks") {
                    assert_eq!(found["reason"], item["reason"], "the wording of {name}");
                }
            }
        }
    }
}

/// The notice examples are messages lktrace writes: the Tracing line of a real funccount run
/// (the profiler backend on the fake tree), and the loss warning as the code words it.
#[test]
fn the_notice_examples_are_real_messages() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let (real, _) = lktrace(
        tree.path(),
        locks.path(),
        &["--json", "funccount", "-d", "1", "vfs_*"],
    );
    let notices: Vec<&serde_json::Value> = real.iter().filter(|r| r["type"] == "notice").collect();
    let ex = examples("notice");
    for e in &ex {
        let m = e["message"].as_str().unwrap();
        let from_run = notices.contains(&e);
        let worded = m == lktrace::tools::engine::count::incomplete(2760, false);
        assert!(
            from_run || worded,
            "docs/json.md notice lktrace never writes: {m}\nthe run wrote: {notices:?}"
        );
    }
    assert!(
        ex.iter().any(|e| notices.contains(&e)),
        "a Tracing notice of the run is on the page"
    );
}

/// What the page says of `host` is what the client does: a run on several agents names each
/// record's agent, a run on one does not (its output is a local run's), and `ctl ping` always
/// names the agent that answered.
#[test]
fn the_host_field_is_documented_as_written() {
    let section = DOC
        .split("## `host`")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a host section");
    assert!(section.contains("several agents"), "{section}");
    assert!(section.contains("one agent"), "{section}");
    for ex in examples("ping") {
        assert!(
            ex.get("host").is_some(),
            "a ping record names its agent: {ex}"
        );
    }
}
