//! funcslower and funcgraph (issue 11) on real kernels: the top-level function_graph tracer.
//! Called last from `batch()`: under TCG function_graph is the heaviest thing the suite does,
//! so every run is narrowed (set_ftrace_filter for funcslower, set_graph_function and `-p` for
//! funcgraph), short, and funcgraph takes the tracer twice per boot at most.

use super::*;

/// A process waiting for `/tmp/$1.go`, then `exec`ing dd with `count` one-byte reads; its pid
/// in `$P`. Unlike `waiting_dd`, the block itself starts it (`touch /tmp/$1.go`).
fn parked_dd(s: &mut Script, name: &str, count: u32) {
    s.raw(&format!(
        "rm -f /tmp/{name}.go; (while [ ! -e /tmp/{name}.go ]; do sleep 0.1; done; \
         exec dd if=/lkt/payload of=/dev/null bs=1 count={count} 2>/dev/null) & P=$!; export P"
    ));
    s.value(&format!("{name}.pid"), "\"$P\"");
}

/// Runs `cmd` in the background of a block, waits until it says Tracing, runs `then`, sends
/// it SIGINT; prints its stdout, its stderr to stderr, and exits with its status.
fn interrupted(cmd: &str, then: &str) -> String {
    format!(
        "rm -f /tmp/k.o /tmp/k.e; {cmd} >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; {then}; \
         kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
    )
}

pub fn scenarios(s: &mut Script) {
    // Nothing is traced: refusals, and what the kernel's instances hold.
    s.scenario("fs_bad", |s| {
        s.run("fs_bad_zero", 30, "funcslower vfs_read 0");
        s.run("fs_bad_func", 60, "funcslower no_such_function_xyz 1000");
        s.run(
            "fs_bad_busy",
            60,
            "echo sched:sched_process_free > $T/set_event; funcslower vfs_read 1000; rc=$?; \
             echo > $T/set_event; exit $rc",
        );
        // Kernel facts for docs/kernel-notes.md: function_graph's files in an instance.
        s.run(
            "fs_facts",
            30,
            "uname -r; mkdir $T/instances/fgcheck || exit 1; \
             ls $T/instances/fgcheck | tr '\\n' ' '; echo; \
             cat $T/instances/fgcheck/available_tracers; rmdir $T/instances/fgcheck",
        );
    });
    // One sleep of 100 ms and three of 1 ms: only the long one is slower than 50 ms.
    s.scenario("fs_sleep", |s| {
        s.raw("rm -f /tmp/fs.slow /tmp/fs.fast /tmp/fs.trace");
        s.background(
            "await_tracing; sleep 0.1 & echo $! > /tmp/fs.slow; wait; \
             for i in 1 2 3; do sleep 0.001 & echo $! >> /tmp/fs.fast; wait; done; \
             cat $T/trace > /tmp/fs.trace",
        );
        s.run("fs_sleep", 120, "funcslower --json -d 6 do_nanosleep 50000");
        s.run("fs_sleep_pids", 10, "cat /tmp/fs.slow; cat /tmp/fs.fast");
        s.run("fs_sleep_trace", 10, "cat /tmp/fs.trace");
    });
    s.scenario("fs_sigint", |s| {
        s.run(
            "fs_sigint",
            120,
            &interrupted(
                "funcslower -P do_nanosleep 50000",
                "sleep 0.1; sleep 0.3; sleep 0.01",
            ),
        );
    });

    s.scenario("fg_bad", |s| {
        s.run("fg_bad_func", 60, "funcgraph no_such_function_xyz");
        s.run("fg_bad_depth", 30, "funcgraph -m 0 vfs_read");
        s.run("fg_bad_pid", 30, "funcgraph -p 99999999 vfs_read");
        s.run(
            "fg_bad_busy",
            60,
            "echo sched:sched_process_free > $T/set_event; funcgraph vfs_read; rc=$?; \
             echo > $T/set_event; exit $rc",
        );
    });
    // 20 one-byte reads by one dd, 3 levels deep, without interrupts, streamed until Ctrl-C.
    // One run takes the tracer for it all: under TCG every function hooked is the heaviest
    // load of the suite, and a second enabling in one boot has locked guests up (Debian 12 and
    // the profiler kernel: docs/kernel-notes.md). `--min-us` passed as the profiler kernel's
    // second run once (`funcgraph --json --min-us 50000 -d 5 -p PID do_nanosleep` on a
    // `sleep 0.1`) and locked Debian 12 up as its second; funcslower covers tracing_thresh. The kernel's own text of such a run is in
    // tests/fixtures/debian*/trace_funcgraph.txt, captured by an earlier version of it.
    s.scenario("fg_pid", |s| {
        parked_dd(s, "fg_pid", 20);
        s.run(
            "fg_pid",
            120,
            &interrupted(
                "funcgraph --json --no-irqs -m 3 -p \"$P\" vfs_read",
                "touch /tmp/fg_pid.go; sleep 4",
            ),
        );
    });
}

fn spans(run: &Run, name: &str) -> Vec<Value> {
    run.expect_rc(name, 0);
    records(run, name, "span")
}

/// One error line naming `says`, exit `rc`.
fn one_error(run: &Run, name: &str, rc: i32, says: &str) {
    let b = run.expect_rc(name, rc);
    let errors: Vec<&str> = b
        .stderr
        .lines()
        .filter(|l| l.starts_with("lktrace: error") || (rc == 2 && l.starts_with("error:")))
        .collect();
    if errors.len() != 1 || !errors[0].contains(says) {
        run.fail(format!(
            "{name}: expected one error line naming {says:?}:\n{}",
            b.stderr
        ));
    }
}

on_kernels!(funcslower_bad_input: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    one_error(run, "fs_bad_zero", 2, "not 0");
    one_error(run, "fs_bad_func", 1, "no_such_function_xyz");
    one_error(run, "fs_bad_busy", 1, "set_event");
    run.expect_rc("fs_facts", 0);
    run.assert_tracefs_unchanged("fs_bad");
});

on_kernels!(funcslower_sleep: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let sp = spans(run, "fs_sleep");
    let out = &run.block("fs_sleep").stdout;
    let pids = &run.block("fs_sleep_pids").stdout;
    let mut lines = pids.lines().map(|l| l.trim().parse::<u64>().unwrap_or(0));
    let slow = lines.next().unwrap_or(0);
    let fast: Vec<u64> = lines.collect();
    if slow == 0 || fast.len() != 3 {
        run.fail(format!("fs_sleep: the workload's pids: {pids:?}"));
    }
    // The threshold is the kernel's: nothing faster comes out.
    if let Some(s) = sp.iter().find(|s| s["duration_us"].as_f64().unwrap_or(0.0) < 50000.0) {
        run.fail(format!("fs_sleep: a span under 50000 us: {s}\n{out}"));
    }
    if !sp.iter().all(|s| s["name"] == "do_nanosleep" && s["fields"].get("calls").is_none()) {
        run.fail(format!("fs_sleep: a span of another function, or with calls:\n{out}"));
    }
    let mine: Vec<&Value> = sp.iter().filter(|s| s["pid"].as_u64() == Some(slow)).collect();
    if mine.len() != 1 || mine[0]["duration_us"].as_f64().unwrap_or(0.0) < 100000.0 {
        run.fail(format!("fs_sleep: sleep 0.1 (pid {slow}) should be one span of 100000 us or more:\n{out}"));
    }
    if let Some(s) = sp.iter().find(|s| s["pid"].as_u64().is_some_and(|p| fast.contains(&p))) {
        run.fail(format!("fs_sleep: a 1 ms sleep came out: {s}\n{out}"));
    }
    run.assert_tracefs_unchanged("fs_sleep");
});

on_kernels!(funcslower_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("fs_sigint", 130);
    let slow = b.stdout.lines().filter(|l| l.contains("} /* do_nanosleep */") && l.contains("sleep-")).count();
    // sleep 0.1 and sleep 0.3 at least (the waiting loop's 0.2 s sleeps may add some).
    if slow < 2 || b.stdout.lines().any(|l| l.contains("us |") && !l.contains("do_nanosleep")) {
        run.fail(format!("fs_sigint: {slow} slow sleeps:\n{}", b.stdout));
    }
    if !b.stderr.contains("Ending tracing...") {
        run.fail(format!("fs_sigint: no Ending tracing...:\n{}", b.stderr));
    }
    run.assert_tracefs_unchanged("fs_sigint");
});

on_kernels!(funcgraph_bad_input: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    one_error(run, "fg_bad_func", 1, "no_such_function_xyz");
    one_error(run, "fg_bad_depth", 2, "depth");
    one_error(run, "fg_bad_pid", 2, "99999999");
    one_error(run, "fg_bad_busy", 1, "set_event");
    run.assert_tracefs_unchanged("fg_bad");
});

on_kernels!(funcgraph_pid: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    // Ended by Ctrl-C, torn down, perf-tools' last line.
    run.expect_rc("fg_pid", 130);
    let sp = records(run, "fg_pid", "span");
    let notices = records(run, "fg_pid", "notice");
    if !notices.iter().any(|n| n["message"] == "Ending tracing...") {
        run.fail(format!("fg_pid: no Ending tracing...:\n{}", run.block("fg_pid").stdout));
    }
    let pid = pid_of(run, "fg_pid");
    let out = &run.block("fg_pid").stdout;
    if let Some(s) = sp.iter().find(|s| s["pid"].as_u64() != Some(pid)) {
        run.fail(format!("fg_pid: a span of another task than {pid}: {s}\n{out}"));
    }
    let roots: Vec<&Value> = sp.iter().filter(|s| s["depth"] == 0).collect();
    if !(20..=22).contains(&roots.len()) || roots.iter().any(|s| s["name"] != "vfs_read") {
        run.fail(format!("fg_pid: {} calls at depth 0 (dd made 20 vfs_read calls):\n{out}", roots.len()));
    }
    // Every read calls something (rw_verify_area at least), and -m 3 keeps depths 0 to 2.
    if roots.iter().any(|s| s["fields"]["calls"].as_u64().unwrap_or(0) == 0) {
        run.fail(format!("fg_pid: a vfs_read without children:\n{out}"));
    }
    // --no-irqs: no interrupt handler shows inside a read (the kernel still shows the calls at
    // its edges, irq_enter_rcu() and idle_cpu(), made before it counts itself in an irq).
    if let Some(s) = sp.iter().find(|s| s["name"].as_str().is_some_and(|n| n.starts_with("__sysvec"))) {
        run.fail(format!("fg_pid: an interrupt with --no-irqs: {s}\n{out}"));
    }
    let deepest = sp.iter().filter_map(|s| s["depth"].as_u64()).max().unwrap_or(0);
    if deepest != 2 {
        run.fail(format!("fg_pid: deepest call at depth {deepest}, not 2 (-m 3):\n{out}"));
    }
    // A root's calls are the spans after it, all deeper.
    for (i, s) in sp.iter().enumerate() {
        let n = s["fields"]["calls"].as_u64().unwrap_or(0) as usize;
        let d = s["depth"].as_u64().unwrap_or(0);
        if sp[i + 1..].iter().take(n).any(|c| c["depth"].as_u64().unwrap_or(0) <= d) || i + n >= sp.len() {
            run.fail(format!("fg_pid: span {i} ({s}) does not have its {n} calls after it:\n{out}"));
        }
    }
    run.assert_tracefs_unchanged("fg_pid");
});
