//! The machine this runs on, as it is: where root is refused `set_ftrace_filter` (the build
//! machines: 6.18, lockdown integrity, LSMs lockdown,capability,landlock,bpf, EPERM as root),
//! lktrace must say it was refused and not blame lockdown unless lockdown is confidentiality;
//! `ctl check` must not call the function tracer OK, and `ctl status` must not show "all
//! functions" for a filter it could not read. Elsewhere (a kernel that lets root in) it must
//! report no refusal. Needs root (it mounts tracefs on a private directory); skipped otherwise.

use std::path::Path;
use std::process::Command;

#[path = "support/json_schema.rs"]
mod json_schema;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn mount_tracefs(dir: &Path) -> bool {
    Command::new("mount")
        .args(["-t", "tracefs", "nodev"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

fn lktrace(tracefs: &Path, locks: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(args)
        .env("LKTRACE_TRACEFS", tracefs)
        .env("LKTRACE_LOCK_DIR", locks)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    json_schema::validate_output(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_refusal_is_reported_as_what_it_is() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    if !mount_tracefs(dir.path()) {
        eprintln!("skipped: tracefs cannot be mounted here");
        return;
    }
    let filter = dir.path().join("set_ftrace_filter");
    let refused = filter.exists()
        && std::fs::File::open(&filter)
            .err()
            .and_then(|e| e.raw_os_error())
            == Some(libc::EPERM);
    eprintln!("set_ftrace_filter refused to root here: {refused}");
    let check = lktrace(dir.path(), locks.path(), &["--json", "ctl", "check"]);
    let status = lktrace(dir.path(), locks.path(), &["--json", "ctl", "status"]);
    let _ = Command::new("umount").arg(dir.path()).status();

    let check = check
        .iter()
        .find(|r| r["type"] == "check")
        .expect("a check record");
    let status = status
        .iter()
        .find(|r| r["type"] == "status")
        .expect("a status record");
    let lockdown = check["lockdown"].as_str().unwrap_or("").to_string();
    let tracer = check["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "function tracer")
        .expect("a function tracer row");
    let reason = tracer["reason"].as_str().unwrap_or("");
    let unreadable = status["unreadable"].to_string();
    if refused {
        assert_eq!(
            tracer["ok"], false,
            "function tracer OK though refused: {check}"
        );
        assert!(reason.contains("refused"), "{reason}");
        if lockdown != "confidentiality" {
            assert!(
                !reason.contains("locked down")
                    && reason.contains(&format!("lockdown is {lockdown}")),
                "lockdown {lockdown:?} blamed: {reason}"
            );
        }
        assert!(unreadable.contains("set_ftrace_filter"), "status: {status}");
    } else {
        assert!(!reason.contains("refused"), "{reason}");
        assert!(
            !unreadable.contains("set_ftrace_filter"),
            "status: {status}"
        );
    }
}
