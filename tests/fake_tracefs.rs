//! Whole commands through the built binary against a fake tracefs tree (a temp directory with
//! the files a tool touches, filled with real kernel output from tests/fixtures/profiler).
//!
//! A fake tree cannot prove kernel behaviour (the real-kernel suite in tests/vm_tools.rs does);
//! it proves the session logic: what the tool writes, that it reads the right files, and that
//! every file is restored byte for byte afterwards.

#[path = "support/fake_tree.rs"]
mod fake_tree;
#[path = "support/promtool.rs"]
mod promtool;

use std::path::Path;
use std::process::Command;

use fake_tree::{fixture, snapshot};

/// The profiler kernel's tree, with a probe of someone else's that must survive every run.
fn fake_tree(dir: &Path) {
    fake_tree::profiler_tree(
        dir,
        "vfs_fsync\ndo_sys_openat2\n",
        "p:mine/keep vfs_write\n",
    );
}

fn lktrace(dir: &Path, locks: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(args)
        .env("LKTRACE_TRACEFS", dir)
        .env("LKTRACE_LOCK_DIR", locks)
        .output()
        .unwrap()
}

#[test]
fn funccount_profiler_sums_cpus_and_restores_every_file() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let before = snapshot(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "--json", "-d", "0.3", "vfs_*"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let counts: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "counts")
        .collect();
    assert_eq!(counts.len(), 1, "{stdout}");
    let c = &counts[0];
    assert_eq!(c["backend"], "profiler");
    // function0 + function1 of the fixture: vfs_read 100+0, vfs_write 101+1, vfs_open 2+2,
    // ascending like perf-tools.
    let rows: Vec<(String, u64)> = c["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("vfs_open".into(), 4),
            ("vfs_read".into(), 100),
            ("vfs_write".into(), 102)
        ]
    );
    assert_eq!(snapshot(tree.path()), before, "the tree was not restored");
}

#[test]
fn funccount_refuses_a_profiler_someone_else_runs() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    std::fs::write(tree.path().join("function_profile_enabled"), "1\n").unwrap();
    let before = snapshot(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "-d", "0.1", "vfs_*"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("lktrace: error: the function profiler is in use"),
        "{stderr}"
    );
    assert_eq!(snapshot(tree.path()), before);
}

#[test]
fn funccount_with_no_match_says_so() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "-d", "0.1", "nosuch_*"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no traceable function matches `nosuch_*`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_funccount"))
        .args(["-d", "-1", "vfs_*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_funccount"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// lktrace run by a tool's name (a link, as the VM guests and small installs have it) is that
/// tool: the same usage error and help as the tool's own binary.
#[test]
fn lktrace_called_by_a_tools_name_is_that_tool() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("funccount");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_lktrace"), &link).unwrap();
    let help = |bin: &std::path::Path| {
        let out = Command::new(bin).arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", bin.display());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let via_link = help(&link);
    assert!(via_link.contains("\nUsage: funccount "), "{via_link}");
    assert_eq!(
        via_link,
        help(std::path::Path::new(env!("CARGO_BIN_EXE_funccount")))
    );
    let out = Command::new(&link)
        .args(["-d", "-1", "vfs_*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // `lktrace funccount` parses with only funccount's command: the tool's own help, named so.
    let out = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["funccount", "--help"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        via_link.replace("\nUsage: funccount ", "\nUsage: lktrace funccount ")
    );
    // Global options first take the whole tree, as before.
    let out = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["--json", "funccount", "-d", "-1", "vfs_*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Any other name is lktrace itself.
    let other = dir.path().join("lkt");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_lktrace"), &other).unwrap();
    assert!(
        help(&other).contains("funccount"),
        "lktrace's own help lists its tools"
    );
    assert!(!help(&other).contains("\nUsage: funccount "));
}

#[test]
fn ctl_status_attributes_owners() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    std::fs::write(
        tree.path().join("kprobe_events"),
        "p:mine/keep vfs_write\np:lkt_99999999/x vfs_read\n",
    )
    .unwrap();
    std::fs::create_dir_all(tree.path().join("instances/lktrace_99999999")).unwrap();
    std::fs::write(
        tree.path()
            .join("instances/lktrace_99999999/current_tracer"),
        "function\n",
    )
    .unwrap();
    let out = lktrace(tree.path(), locks.path(), &["ctl", "status", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "status");
    assert_eq!(v["current_tracer"], "nop");
    let de = v["dynamic_events"].as_array().unwrap();
    assert_eq!(de[0]["owner"]["kind"], "other");
    assert_eq!(de[1]["owner"]["kind"], "dead");
    assert_eq!(de[1]["owner"]["pid"], 99999999);
    assert_eq!(v["instances"][0]["current_tracer"], "function");
    assert_eq!(v["instances"][0]["owner"]["kind"], "dead");
}

/// A run piped into a reader that goes away (`| head` after its lines) ends at once, torn
/// down, exit 0, though it had nothing to write: funccount without -d writes only at the end.
#[test]
fn a_closed_stdout_pipe_ends_a_quiet_run_cleanly() {
    use std::io::BufRead;
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let before = snapshot(tree.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["funccount", "vfs_*"])
        .env("LKTRACE_TRACEFS", tree.path())
        .env("LKTRACE_LOCK_DIR", locks.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("Tracing") {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "ended before tracing"
        );
    }
    // The reader closes its end; the run never writes again on its own.
    drop(child.stdout.take());
    let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > end {
            let _ = child.kill();
            panic!("the run did not notice its reader was gone");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    assert_eq!(status.code(), Some(0), "{rest}");
    assert_eq!(snapshot(tree.path()), before, "tracefs left changed");
}

/// `ctl reset --all` says what it did: each setting it changed with the old value, what it
/// removed, and nothing of a setting that was already at its default.
#[test]
fn ctl_reset_all_says_what_it_did() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    std::fs::write(tree.path().join("tracing_on"), "0\n").unwrap();
    std::fs::write(tree.path().join("set_ftrace_filter"), "vfs_read\n").unwrap();
    std::fs::create_dir_all(tree.path().join("events")).unwrap();
    std::fs::write(tree.path().join("events/enable"), "1\n").unwrap();
    let out = lktrace(tree.path(), locks.path(), &["ctl", "reset", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(&"tracing_on set back to 1 (was 0)"),
        "{stdout}"
    );
    assert!(lines.contains(&"set_ftrace_filter emptied"), "{stdout}");
    assert!(lines.contains(&"every event disabled"), "{stdout}");
    assert!(lines.contains(&"removed every kprobe"), "{stdout}");
    assert!(lines.contains(&"trace buffer cleared"), "{stdout}");
    // Already nop and 0: not mentioned.
    assert!(!stdout.contains("current_tracer"), "{stdout}");
    assert!(!stdout.contains("function_profile_enabled"), "{stdout}");
    assert!(!stdout.contains("removed tracing_on"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(tree.path().join("tracing_on")).unwrap(),
        "1"
    );
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["ctl", "reset", "--all", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "reset");
    assert!(v["reset"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "every event disabled"));
}

/// A huge pattern (100 KB, with an escape sequence in it) gets a short, escaped line that says
/// why, not the pattern back.
#[test]
fn a_huge_pattern_is_echoed_cut_and_escaped() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let pattern = format!("\u{1b}[2Jnosuch{}*", "q".repeat(100_000));
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "-d", "1", &pattern],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.stderr.len() < 2000,
        "{} bytes on stderr",
        out.stderr.len()
    );
    assert!(!out.stderr.contains(&0x1b), "{err}");
    assert!(err.contains("100011 bytes; at most 256"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Out-of-range values are usage errors with a clear message, never a panic (a Duration from
/// 1e300 seconds would panic), and nothing runs.
#[test]
fn out_of_range_values_are_usage_errors() {
    for args in [
        &["-d", "1e300", "vfs_*"][..],
        &["-d", "99999999999999999999", "vfs_*"],
        &["-d", "NaN", "vfs_*"],
        &["-d", "1e-9", "vfs_*"],
        &["-i", "0.01", "vfs_*"],
        &["--max-probes", "100000000", "vfs_*"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_funccount"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid value"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// A pattern the kernel's filter file would read as a command, or that is no pattern, is
/// refused before anything runs: one line naming it, exit status 2.
#[test]
fn bad_patterns_are_usage_errors() {
    for (args, says) in [
        (&["vfs_rea[d:mod:zz"][..], "has ':'"),
        (&["!vfs_read"], "starts with '!'"),
        (&["-r", "vfs_(read"], "regular expression"),
        (&["t:sched"], "t:SYSTEM:EVENT"),
        (&["-r", "t:sched:*"], "-r takes"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_funccount"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}

/// Another lktrace holds the function profiler (the global lock): the automatic choice takes
/// the next backend and says why in its Tracing notice; `--backend profiler` fails.
#[test]
fn funccount_falls_back_when_another_lktrace_holds_the_profiler() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let lock = std::fs::File::create(locks.path().join("global.lock")).unwrap();
    std::fs::write(locks.path().join("global.lock"), "4242\n").unwrap();
    lock.try_lock().unwrap();
    let before = snapshot(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "--json", "-d", "0.2", "vfs_*"],
    );
    // This fake tree cannot run the next backend (its instances are plain directories, with
    // none of the files the kernel puts in them), so the run fails there; what matters here is
    // that it went on past the busy profiler. The Tracing notice that names the holder is
    // checked on the profiler kernel (tests/vm_tools.rs, overlap).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("the function profiler is in use"),
        "{stderr}"
    );
    assert!(stderr.contains("instances/lktrace_"), "{stderr}");
    assert_eq!(snapshot(tree.path()), before);
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "--backend", "profiler", "-d", "0.2", "vfs_*"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the function profiler is in use by lktrace pid 4242"),
        "{stderr}"
    );
    drop(lock);
}

/// Ctrl-C: the run prints its table, tears down, then dies of SIGINT (so a shell loop around it
/// stops too); a SIGHUP ignored at start (nohup) stays ignored.
#[cfg(unix)]
#[test]
fn sigint_is_raised_again_after_cleanup_and_an_ignored_sighup_stays_ignored() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let before = snapshot(tree.path());
    let spawn = |ignore_hup: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lktrace"));
        c.args(["funccount", "--json", "vfs_*"])
            .env("LKTRACE_TRACEFS", tree.path())
            .env("LKTRACE_LOCK_DIR", locks.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if ignore_hup {
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                c.pre_exec(|| {
                    libc::signal(libc::SIGHUP, libc::SIG_IGN);
                    Ok(())
                });
            }
        }
        c.spawn().unwrap()
    };
    let wait_tracing = |child: &mut std::process::Child| {
        // The notice is the first line of --json output.
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert!(line.contains("Tracing"), "{line}");
        out
    };
    let mut child = spawn(true);
    let mut out = wait_tracing(&mut child);
    let pid = child.id() as i32;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP ignored at start stays ignored"
    );
    unsafe { libc::kill(pid, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(
        rest.contains("\"type\":\"counts\""),
        "the last table: {rest}"
    );
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert_eq!(snapshot(tree.path()), before, "torn down before dying");

    // Not ignored: SIGHUP stops the run (exit 130, no re-raise: only SIGINT is raised again).
    let mut child = spawn(false);
    let _out = wait_tracing(&mut child);
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
}

#[test]
fn debug_shows_every_tracefs_write_and_the_phases_on_stderr_only() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "--debug", "--json", "-d", "0.2", "vfs_*"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    let debug: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("lktrace: debug: +"))
        .collect();
    let has = |needle: &str| debug.iter().any(|l| l.contains(needle));
    // The writes the profiler backend makes, and their undoing, each on a line with its time.
    // The glob written once, for the kernel to match; no instance: the profiler needs none.
    assert!(has("write set_ftrace_filter \"vfs_*\\n\""), "{stderr}");
    assert!(!has("mkdir"), "{stderr}");
    assert!(has("write function_profile_enabled \"1\""), "{stderr}");
    assert!(has("write function_profile_enabled \"0\""), "{stderr}");
    assert!(has("read trace_stat/function0"), "{stderr}");
    for phase in [
        "discover", "features", "reap", "lock", "filter", "enable", "read", "restore",
    ] {
        assert!(
            has(&format!("phase {phase}: ")),
            "no phase {phase}: {stderr}"
        );
    }
    let summary = debug.last().unwrap();
    assert!(
        summary.contains("tracefs operations,") && summary.contains("phases: discover"),
        "{summary}"
    );
    // stdout stays JSON alone.
    for l in String::from_utf8(out.stdout).unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
    // Without the flag, none of it.
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "-d", "0.1", "vfs_*"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("debug:"));
}

#[test]
fn tpoint_lists_and_refuses_without_touching_the_tree() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    // Lines of Debian 6.1's available_events (tpoint -l 'sched:sched_process_*' in the guest).
    std::fs::write(
        tree.path().join("available_events"),
        "sched:sched_process_hang\nsched:sched_process_exec\nsyscalls:sys_enter_openat\nkprobes:x\n",
    )
    .unwrap();
    let before = snapshot(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["--json", "tpoint", "-l", "sched:*"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "{\"type\":\"tracepoint\",\"system\":\"sched\",\"event\":\"sched_process_hang\"}\n\
         {\"type\":\"tracepoint\",\"system\":\"sched\",\"event\":\"sched_process_exec\"}\n"
    );
    let out = lktrace(tree.path(), locks.path(), &["tpoint", "-l", "sys_enter_*"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "syscalls:sys_enter_openat\n"
    );
    let out = lktrace(tree.path(), locks.path(), &["tpoint", "-l", "nothing*"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // No such tracepoint: one line, exit 1.
    let out = lktrace(tree.path(), locks.path(), &["tpoint", "sched:sched_nope"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "lktrace: error: no tracepoint `sched:sched_nope` in available_events\n"
    );
    // Not a tracepoint at all: a usage error.
    for bad in [
        &["tpoint", "sched sched_process_exec"][..],
        &["tpoint", "-l", "a;b"],
        &["tpoint"],
    ] {
        let out = lktrace(tree.path(), locks.path(), bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
    }
    assert_eq!(snapshot(tree.path()), before, "tpoint changed the tree");
}

/// A kernel without hist triggers (its README never mentions them): stackcount refuses in one
/// line naming what is missing, and touches nothing.
#[test]
fn stackcount_refuses_without_hist_triggers_and_touches_nothing() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let readme: String = fixture("README.txt")
        .lines()
        .filter(|l| !l.contains("hist trigger"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(tree.path().join("README"), readme).unwrap();
    let before = snapshot(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["stackcount", "-d", "0.1", "vfs_read"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or("");
    assert_eq!(
        first, "lktrace: error: hist triggers is not available in this kernel",
        "{stderr}"
    );
    assert!(stderr.contains("CONFIG_HIST_TRIGGERS"), "{stderr}");
    assert_eq!(snapshot(tree.path()), before);
}

/// `--format openmetrics`: what funccount counted, as Prometheus reads it; a tool that prints
/// events is refused before it touches the kernel.
#[test]
fn funccount_openmetrics_passes_promtool_and_event_tools_are_refused() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let before = snapshot(tree.path());
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "--format", "openmetrics", "-d", "0.3", "vfs_*"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "lktrace_events{tool=\"funccount\",backend=\"profiler\",name=\"vfs_read\"} 100\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    let (ok, said) = promtool::check(&text);
    assert!(ok, "promtool: {said}\n{text}");
    assert_eq!(snapshot(tree.path()), before, "the tree was not restored");

    let out = lktrace(
        tree.path(),
        locks.path(),
        &["kprobe", "--format", "openmetrics", "-d", "1", "p:vfs_read"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--format openmetrics is for counting runs")
            && stderr.contains("not kprobe"),
        "{stderr}"
    );
    assert_eq!(
        snapshot(tree.path()),
        before,
        "a refused run touched the tree"
    );
}

/// The progress line: on a terminal (a pty from script(1)) a -d run counts its window down on
/// stderr and the line is gone at the end; with -q, or --json, or stderr not a terminal, none.
#[test]
fn progress_counts_down_on_a_terminal_only() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let before = snapshot(tree.path());
    let on_pty = |args: &str| {
        let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_lktrace"));
        let out = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("LKTRACE_TRACEFS", tree.path())
            .env("LKTRACE_LOCK_DIR", locks.path())
            .output()
            .expect("script(1), from util-linux");
        assert!(out.status.success(), "{args}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let screen = on_pty("funccount -d 2 'vfs_*'");
    assert!(
        screen.contains("lktrace: tracing [") && screen.contains("s left"),
        "{screen}"
    );
    assert!(screen.contains("vfs_read     100"), "{screen}");
    // Cleared at the end: the last thing on the screen is not the line.
    let tail = screen.trim_end_matches(['\r', '\n']);
    assert!(
        tail.ends_with("\x1b[2K") || !tail.contains("tearing down"),
        "{tail:?}"
    );
    for quiet in ["funccount -q -d 2 'vfs_*'", "funccount --json -d 2 'vfs_*'"] {
        let screen = on_pty(quiet);
        assert!(
            !screen.contains("tracing [") && !screen.contains("tearing down"),
            "{quiet}: {screen}"
        );
    }
    // Not a terminal: nothing either.
    let out = lktrace(
        tree.path(),
        locks.path(),
        &["funccount", "-d", "2", "vfs_*"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("tracing ["), "{err}");
    assert_eq!(snapshot(tree.path()), before);
}

/// `--live` on a terminal (a pty from script(1), 30x100): the table drawn full-screen with its
/// rates; `q` ends the run (exit 0, the tree restored, the last table printed after the
/// screen is given back). Refused in words without -i or without a terminal.
#[test]
fn live_draws_the_table_and_q_ends_the_run() {
    let tree = tempfile::tempdir().unwrap();
    let locks = tempfile::tempdir().unwrap();
    fake_tree(tree.path());
    let before = snapshot(tree.path());
    let cmd = format!(
        "stty rows 30 cols 100; {} funccount --live -i 1 'vfs_*'",
        env!("CARGO_BIN_EXE_lktrace")
    );
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("LKTRACE_TRACEFS", tree.path())
        .env("LKTRACE_LOCK_DIR", locks.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1), from util-linux");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    use std::io::Write;
    child.stdin.as_mut().unwrap().write_all(b"q").unwrap();
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "q did not end it"
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("PER SECOND") && screen.contains("vfs_read"),
        "{screen}"
    );
    assert!(
        screen.contains("\x1b[?1049l"),
        "the screen was given back: {screen}"
    );
    assert_eq!(snapshot(tree.path()), before, "the tree was not restored");

    for (args, want) in [
        (
            &["funccount", "--live", "-d", "1", "vfs_*"][..],
            "needs -i SECS",
        ),
        (
            &["funccount", "--live", "-i", "1", "-d", "1", "vfs_*"][..],
            "needs a terminal",
        ),
        (
            &["kprobe", "--live", "-d", "1", "p:vfs_read"][..],
            "needs -i SECS",
        ),
    ] {
        let out = lktrace(tree.path(), locks.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert_eq!(
        snapshot(tree.path()),
        before,
        "a refused run touched the tree"
    );
}
