//! Tests of the session: undo log, journals, locks, teardown.

use super::*;
use crate::tracefs::lock;

/// A fake tracefs: enough files for a session to open and close.
fn fake() -> (tempfile::TempDir, Tracefs) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for f in [
        "trace",
        "kprobe_events",
        "uprobe_events",
        "set_ftrace_filter",
    ] {
        std::fs::write(p.join(f), "").unwrap();
    }
    std::fs::write(p.join("current_tracer"), "nop\n").unwrap();
    std::fs::write(p.join("function_profile_enabled"), "0\n").unwrap();
    std::fs::create_dir(p.join("instances")).unwrap();
    let t = Tracefs::at(p);
    (dir, t)
}

/// Tests that take the (process-wide) global lock run one at a time.
static GLOBAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn global_guard() -> std::sync::MutexGuard<'static, ()> {
    GLOBAL.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn close_restores_globals_and_removes_the_instance() {
    let _g = global_guard();
    lock::use_test_dir();
    let (_d, t) = fake();
    let mut s = Session::open(t.clone(), StopFlag::new()).unwrap();
    // Made on first use only.
    assert_eq!(s.scope(), PathBuf::new());
    assert!(t.list_dir("instances").unwrap().is_empty());
    s.ensure_instance().unwrap();
    assert!(t.exists(s.scope()));
    s.lock_global("the function profiler").unwrap();
    s.set_global("function_profile_enabled", "1").unwrap();
    let list = FilterList::new(vec!["vfs_read".into()]).unwrap();
    s.set_global_filter("set_ftrace_filter", &list).unwrap();
    assert_eq!(t.read_value("function_profile_enabled").unwrap(), "1");
    let scope = s.scope();
    let r = s.close();
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    assert_eq!(t.read_value("function_profile_enabled").unwrap(), "0");
    assert_eq!(t.read("set_ftrace_filter").unwrap(), "");
    assert!(!t.exists(scope));
}

#[test]
fn a_session_that_needs_no_instance_makes_none() {
    let _g = global_guard();
    lock::use_test_dir();
    let (_d, t) = fake();
    let mut s = Session::open(t.clone(), StopFlag::new()).unwrap();
    s.lock_global("the function profiler").unwrap();
    let list = FilterList::new(vec!["vfs_read".into()]).unwrap();
    assert_eq!(
        s.set_global_filter("set_ftrace_filter", &list).unwrap(),
        vec!["vfs_read"]
    );
    s.set_global("function_profile_enabled", "1").unwrap();
    assert!(s.instance().is_none());
    // An instance file needs the instance: asked for before it exists, it is an error.
    assert!(s.write_instance("tracing_on", "0").is_err());
    assert!(s.close().failures.is_empty());
    assert!(t.list_dir("instances").unwrap().is_empty());
}

#[test]
fn a_panic_still_tears_down() {
    let _g = global_guard();
    lock::use_test_dir();
    let (_d, t) = fake();
    let scope = std::sync::Mutex::new(None);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut s = Session::open(t.clone(), StopFlag::new()).unwrap();
        s.ensure_instance().unwrap();
        *scope.lock().unwrap() = Some(s.scope());
        s.lock_global("the function profiler").unwrap();
        s.set_global("function_profile_enabled", "1").unwrap();
        panic!("a tool bug");
    }));
    assert!(r.is_err());
    let scope = scope.into_inner().unwrap().unwrap();
    assert!(!t.exists(scope), "instance removed during unwinding");
    assert_eq!(t.read_value("function_profile_enabled").unwrap(), "0");
}

#[test]
fn a_killed_runs_global_changes_are_restored_from_its_journal() {
    let _g = global_guard();
    lock::use_test_dir();
    let (_d, t) = fake();
    let mut s = Session::open(t.clone(), StopFlag::new()).unwrap();
    s.ensure_instance().unwrap();
    s.lock_global("the function profiler").unwrap();
    s.set_global("function_profile_enabled", "1").unwrap();
    // As if the process died here: no teardown, the journal and instance stay behind (a
    // dead process's flocks are gone, so release ours).
    let id = s.id();
    s.global.take();
    s.alive.take();
    std::mem::forget(s);
    let dead = SessionId {
        pid: 99_999_999,
        seq: id.seq,
    };
    std::fs::rename(
        lock::lock_dir().unwrap().join(journal_name(&id)),
        lock::lock_dir().unwrap().join(journal_name(&dead)),
    )
    .unwrap();
    std::fs::rename(
        t.path(format!("instances/{}", id.instance_name())),
        t.path(format!("instances/{}", dead.instance_name())),
    )
    .unwrap();
    let removed = reap_dead(&t);
    assert_eq!(t.read_value("function_profile_enabled").unwrap(), "0");
    assert!(!t.exists(format!("instances/{}", dead.instance_name())));
    assert!(
        removed
            .iter()
            .any(|r| r.contains("function_profile_enabled")),
        "{removed:?}"
    );
}

/// A journal planted by someone else names files outside tracefs: nothing is written
/// there, by `ctl reset` or by the next run.
#[test]
fn a_planted_journal_cannot_point_outside_tracefs() {
    let _g = global_guard();
    lock::use_test_dir();
    let (_d, t) = fake();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "root's secret").unwrap();
    let rel_up = format!(
        "../{}/victim",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    for (pid, rel) in [
        (99_999_991, victim.display().to_string()),
        (99_999_992, rel_up),
    ] {
        let id = SessionId { pid, seq: 0 };
        let j = serde_json::json!([{ "Value": { "rel": rel, "old": "attacker's text" } }]);
        std::fs::write(
            lock::lock_dir().unwrap().join(journal_name(&id)),
            j.to_string(),
        )
        .unwrap();
    }
    let lines = reap_dead(&t);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's secret");
    // Refused at parse time, so kept and named (not replayed, not silently deleted).
    for pid in [99_999_991, 99_999_992] {
        let id = SessionId { pid, seq: 0 };
        let path = lock::lock_dir().unwrap().join(journal_name(&id));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(KEPT_PREFIX) && l.contains(&path.display().to_string())),
            "{lines:?}"
        );
        std::fs::remove_file(&path).unwrap();
    }
}

/// A `global.lock` that is a symlink to another file is refused, and its target untouched.
#[cfg(unix)]
#[test]
fn a_symlinked_global_lock_is_not_followed() {
    let _g = global_guard();
    lock::use_test_dir();
    let (_d, t) = fake();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "root's secret").unwrap();
    let lock_path = lock::lock_dir().unwrap().join(GLOBAL_LOCK);
    let _ = std::fs::remove_file(&lock_path);
    std::os::unix::fs::symlink(&victim, &lock_path).unwrap();
    let mut s = Session::open(t, StopFlag::new()).unwrap();
    assert!(s.lock_global("the function profiler").is_err());
    s.close();
    std::fs::remove_file(&lock_path).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's secret");
}

#[test]
fn a_dead_runs_journal_that_does_not_parse_is_kept_and_named() {
    let _g = global_guard();
    lock::use_test_dir();
    let (_d, t) = fake();
    let dead = SessionId {
        pid: 99_999_998,
        seq: 0,
    };
    let path = lock::lock_dir().unwrap().join(journal_name(&dead));
    std::fs::write(&path, "[{\"value\":{\"rel\":\"tracing_on\"").unwrap();
    for _ in 0..2 {
        let lines = reap_dead(&t);
        assert!(
            lines.iter().any(|l| l.starts_with(KEPT_PREFIX)
                && l.contains("does not parse")
                && l.contains(&path.display().to_string())),
            "{lines:?}"
        );
        assert!(path.exists(), "kept, every time, until someone looks");
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn global_changes_need_the_lock() {
    lock::use_test_dir();
    let (_d, t) = fake();
    let mut s = Session::open(t, StopFlag::new()).unwrap();
    assert!(s.set_global("function_profile_enabled", "1").is_err());
}

#[test]
fn removing_many_probes_is_expedited_and_the_setting_put_back() {
    use crate::tracefs::tap::{tests::Recorder, TapHandle};
    let _g = global_guard();
    lock::use_test_dir();
    let (d, t) = fake();
    let sys = d.path().join("sys_kernel");
    std::fs::create_dir(&sys).unwrap();
    std::fs::write(sys.join("rcu_expedited"), "0\n").unwrap();
    let rec = std::sync::Arc::new(Recorder::default());
    let t = t.with_sys_kernel(&sys).with_tap(TapHandle(rec.clone()));
    let mut s = Session::open(t.clone(), StopFlag::new()).unwrap();
    let defs: Vec<ProbeDef> = (0..rcu::EXPEDITE_AT)
        .map(|i| ProbeDef::parse(&format!("p:f{i} vfs_read")).unwrap())
        .collect();
    s.add_probes(&defs).unwrap();
    assert!(s.close().failures.is_empty());
    assert_eq!(
        std::fs::read_to_string(sys.join("rcu_expedited")).unwrap(),
        "0"
    );
    let lines = rec.lines.lock().unwrap().clone();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in {lines:#?}"))
    };
    let on = at("rcu_expedited Some(\"1\")");
    let removed = at("append kprobe_events Some(\"-:");
    let off = at("rcu_expedited Some(\"0\")");
    assert!(on < removed && removed < off, "{lines:#?}");

    // A few probes: no reason to touch it.
    rec.lines.lock().unwrap().clear();
    let mut s = Session::open(t, StopFlag::new()).unwrap();
    s.add_probes(&defs[..2]).unwrap();
    assert!(s.close().failures.is_empty());
    assert!(!rec
        .lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("rcu_expedited")));
}

#[test]
fn ftrace_disabled_is_refused_before_any_filter_is_written() {
    let _g = global_guard();
    lock::use_test_dir();
    let (d, t) = fake();
    let sys = d.path().join("proc_sys_kernel");
    std::fs::create_dir(&sys).unwrap();
    std::fs::write(sys.join("ftrace_enabled"), "0\n").unwrap();
    let t = t.with_proc_sys_kernel(&sys);
    let list = FilterList::new(vec!["vfs_read".into()]).unwrap();
    let mut s = Session::open(t.clone(), StopFlag::new()).unwrap();
    let e = s.set_instance_filter(&list).unwrap_err();
    assert!(matches!(e, Error::FtraceDisabled), "{e}");
    assert!(e.hint().unwrap().contains("sysctl kernel.ftrace_enabled=1"));
    assert!(
        s.instance().is_none(),
        "nothing made for a run that cannot count"
    );
    s.lock_global("the function profiler").unwrap();
    assert!(matches!(
        s.set_global_filter("set_ftrace_filter", &list),
        Err(Error::FtraceDisabled)
    ));
    assert_eq!(t.read("set_ftrace_filter").unwrap(), "");
    assert!(s.close().failures.is_empty());
    // On, it is no obstacle; where it cannot be read (not the running kernel's), neither.
    std::fs::write(sys.join("ftrace_enabled"), "1\n").unwrap();
    assert_eq!(t.ftrace_enabled(), Some(true));
    assert!(t.require_ftrace_enabled().is_ok());
    assert_eq!(Tracefs::at(d.path()).ftrace_enabled(), None);
}
