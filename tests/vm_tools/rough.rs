//! Issue 13's rough edges on real kernels: refusals in our words, a closed pipe noticed while
//! nothing is traced, perf-tools' lock file, kernel.ftrace_enabled. Called from `batch()`.

use super::*;

const LOCK: &str = "/var/tmp/.ftrace-lock";

pub fn scenarios(s: &mut Script) {
    s.scenario("rough", |s| {
        s.run("rough_vd", 30, "lktrace kprobe -v -d 1 p:vfs_read");
        s.run("rough_group", 30, "lktrace kprobe 'p:mine/x vfs_read'");
        // The reader is gone before anything is traced (nothing calls vfs_fsync here): the run
        // must notice by itself, tear down and exit 0.
        s.run(
            "rough_pipe",
            90,
            "{ lktrace kprobe p:vfs_fsync 2>/tmp/rough.e; echo $? >/tmp/rough.rc; } | true; \
             cat /tmp/rough.rc; cat /tmp/rough.e >&2",
        );
        // perf-tools' lock held by a live process that is not lktrace (pid 1).
        s.run(
            "rough_lock_busy",
            60,
            &format!(
                "echo 1 > {LOCK}; lktrace funccount -d 1 vfs_read; rc=$?; rm -f {LOCK}; exit $rc"
            ),
        );
        // While lktrace runs, the file names it; afterwards it is gone.
        s.run(
            "rough_lock_held",
            90,
            &format!(
                "lktrace kprobe -d 4 p:vfs_read >/dev/null 2>&1 & P=$!; \
                 for i in $(seq 100); do [ -s {LOCK} ] && break; sleep 0.2; done; \
                 echo \"pid=$P lock=$(cat {LOCK})\"; wait $P; echo \"rc=$?\"; \
                 [ -e {LOCK} ] && echo left || echo gone"
            ),
        );
        s.run(
            "rough_ftrace_off",
            60,
            "echo 0 > /proc/sys/kernel/ftrace_enabled || exit 99; \
             lktrace functrace -d 1 vfs_read; a=$?; lktrace funccount -d 1 'vfs_rea*'; b=$?; \
             echo 1 > /proc/sys/kernel/ftrace_enabled; echo \"functrace=$a funccount=$b\"",
        );
    });
}

on_kernels!(rough_edges: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("rough_vd", 2);
    if !b.stderr.contains("use either -d or -v") {
        run.fail(format!("kprobe -v -d: {}", b.stderr));
    }
    let b = run.expect_rc("rough_group", 2);
    if !b.stderr.contains("a group of its own") || b.stderr.lines().count() > 3 {
        run.fail(format!("kprobe GROUP/: {}", b.stderr));
    }
    let b = run.expect_rc("rough_pipe", 0);
    if b.stdout.trim() != "0" || !b.stderr.contains("Ending tracing...") {
        run.fail(format!("kprobe | true: rc {:?}\n{}", b.stdout, b.stderr));
    }
    let b = run.expect_rc("rough_lock_busy", 1);
    if !b.stderr.contains("pid 1") || !b.stderr.contains(LOCK) {
        run.fail(format!("perf-tools' lock held: {}", b.stderr));
    }
    let b = run.expect_rc("rough_lock_held", 0);
    let out = b.stdout.trim();
    let pid = out.split_whitespace().find_map(|w| w.strip_prefix("pid=")).unwrap_or("?");
    if !out.contains(&format!("lock={pid}")) || !out.contains("rc=0") || !out.ends_with("gone") {
        run.fail(format!("perf-tools' lock while lktrace ran: {out}\n{}", b.stderr));
    }
    let b = run.expect_rc("rough_ftrace_off", 0);
    if b.stdout.trim() != "functrace=1 funccount=1" || !b.stderr.contains("kernel.ftrace_enabled=1") {
        run.fail(format!("ftrace_enabled=0: {}\n{}", b.stdout, b.stderr));
    }
    run.assert_tracefs_unchanged("rough");
});
