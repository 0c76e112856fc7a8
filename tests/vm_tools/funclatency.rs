//! funclatency (issue 11, "Beyond perf-tools") on real kernels: latencies computed in the
//! kernel by hist triggers and a synthetic event, checked against workloads whose calls and
//! latencies the test knows. Called from `batch()`.

use super::*;

/// Three sleeps of 0.1 s (busybox sleep: nanosleep, so do_nanosleep), once the tool traces.
const SLEEPS: &str = "await_tracing; sleep 0.1; sleep 0.1; sleep 0.1";

pub fn scenarios(s: &mut Script) {
    // A hist trigger on common_timestamp sets its instance's trace clock (to `global`): with
    // the top-level clock `local` here, the snapshots show whether ours was touched (Debian
    // 6.1 boots with `global`, where the change could not be seen). Put back after.
    s.raw(
        "FL_CLOCK=$(sed 's/.*\\[\\(.*\\)\\].*/\\1/' $T/trace_clock); echo local > $T/trace_clock",
    );
    // dd's 100 one-byte reads, each one call of vfs_read.
    s.scenario("fl_dd", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run("fl_dd", 90, "funclatency --json -d 5 vfs_read");
    });
    // A latency the test knows: 0.1 s sleeps land in (65536, 131072] us, (64, 128] ms.
    s.scenario("fl_sleep", |s| {
        s.background(SLEEPS);
        s.run("fl_sleep_us", 90, "funclatency --json -u -d 5 do_nanosleep");
        s.background(SLEEPS);
        s.run("fl_sleep_ms", 90, "funclatency -m -d 5 do_nanosleep");
    });
    s.raw("echo \"$FL_CLOCK\" > $T/trace_clock");
    // -p: only the process named (dd itself, by exec), beside another dd that is not counted.
    s.scenario("fl_pid", |s| {
        waiting_dd(s, "fl_pid", 100);
        s.background(&format!("await_tracing; {DD}"));
        s.run("fl_pid", 90, "funclatency --json -d 6 -p \"$P\" vfs_read");
    });
    // -i: a histogram per interval, each with its time (-T); two workloads apart.
    s.scenario("fl_interval", |s| {
        s.background(&format!("await_tracing; {DD}; sleep 2.5; {DD}"));
        s.run(
            "fl_interval",
            90,
            "funclatency --json -T -u -i 1 -d 5 vfs_read",
        );
        s.background(&format!("await_tracing; {DD}"));
        s.run(
            "fl_interval_text",
            90,
            "funclatency -T -u -i 2 -d 4 vfs_read",
        );
    });
    // Nested functions, one start time per thread: the syscall, hrtimer_nanosleep and the
    // do_nanosleep it calls all match; the innermost is measured, the outer ones not at all.
    s.scenario("fl_nested", |s| {
        s.background(SLEEPS);
        s.run(
            "fl_nested",
            120,
            "funclatency --json -F -u -d 6 '*nanosleep'",
        );
        // The same as a terminal shows it, and the default unit, for the example file.
        s.background(SLEEPS);
        s.run("fl_ex_nested", 120, "funclatency -F -u -d 6 '*nanosleep'");
        s.background(&format!("await_tracing; {DD}"));
        s.run("fl_ex_dd", 90, "funclatency -d 4 vfs_read");
    });
    s.scenario("fl_bad", |s| {
        s.run("fl_bad_func", 30, "funclatency -d 1 no_such_function_xyz");
        s.run("fl_bad_glob", 30, "funclatency -d 1 'vfs read'");
        s.run("fl_bad_pid", 30, "funclatency -d 1 -p 99999999 vfs_read");
        s.run("fl_bad_units", 30, "funclatency -u -m -d 1 vfs_read");
        s.run("fl_bad_many", 30, "funclatency -d 1 --max-probes 2 'vfs_*'");
    });
    s.scenario("fl_sigint", |s| {
        s.run(
            "fl_sigint",
            90,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; funclatency --json vfs_read >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
                 {DD}; sleep 1; kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
}

/// The histograms of block `name` (checked against docs/json.md).
#[track_caller]
fn histograms(run: &Run, name: &str) -> Vec<Value> {
    records(run, name, "histogram")
}

/// Calls counted in one histogram record, in buckets whose `low` is in `range` (all: `0..`).
fn calls(h: &Value, range: std::ops::RangeFrom<u64>) -> u64 {
    h["buckets"]
        .as_array()
        .map(|bs| {
            bs.iter()
                .filter(|b| b["low"].as_u64().is_some_and(|l| range.contains(&l)))
                .filter_map(|b| b["count"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

fn total(hs: &[Value]) -> u64 {
    hs.iter().map(|h| calls(h, 0..)).sum()
}

/// Calls in the bucket that holds `low ..= high`.
fn in_bucket(hs: &[Value], low: u64, high: u64) -> u64 {
    hs.iter()
        .flat_map(|h| h["buckets"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["low"] == low && b["high"] == high)
        .filter_map(|b| b["count"].as_u64())
        .sum()
}

on_kernels!(funclatency_dd: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("fl_dd", 0);
    let hs = histograms(run, "fl_dd");
    if hs.len() != 1 || hs[0]["unit"] != "ns" || hs[0]["name"] != "latency" {
        run.fail(format!("fl_dd: not one histogram in ns: {hs:?}"));
    }
    // dd's 100 reads, and a few of the harness's own.
    let n = total(&hs);
    if !(100..400).contains(&n) {
        run.fail(format!("fl_dd: {n} calls of vfs_read timed (dd made 100):\n{}", run.block("fl_dd").stdout));
    }
    run.assert_tracefs_unchanged("fl_dd");
});

on_kernels!(funclatency_sleep: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("fl_sleep_us", 0);
    let hs = histograms(run, "fl_sleep_us");
    // 0.1 s is 100000 us: the bucket (65536, 131072]; an emulated guest may oversleep, never
    // by twice.
    let exact = in_bucket(&hs, 65537, 131072);
    let near = in_bucket(&hs, 131073, 262144);
    if exact < 2 || exact + near < 3 {
        run.fail(format!(
            "fl_sleep_us: three 0.1 s sleeps, {exact} in 65537..131072 us and {near} in the next:\n{}",
            run.block("fl_sleep_us").stdout
        ));
    }
    let b = run.expect_rc("fl_sleep_ms", 0);
    // Text: bcc's layout, the 100 ms sleeps in the 65 -> 128 line.
    let line = b.stdout.lines().find(|l| l.trim_start().starts_with("65 -> 128"));
    let count = line
        .and_then(|l| l.split(':').nth(1))
        .and_then(|c| c.split_whitespace().next())
        .and_then(|c| c.parse::<u64>().ok());
    if !b.stdout.contains("latency (ms)") || count.is_none_or(|c| c < 2) {
        run.fail(format!("fl_sleep_ms: no 65 -> 128 ms line with the sleeps:\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("fl_sleep");
});

on_kernels!(funclatency_pid: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("fl_pid", 0);
    let n = total(&histograms(run, "fl_pid"));
    // Its dd's 100 reads (and the few of its exec), nothing of the other dd's 100.
    if !(100..150).contains(&n) {
        run.fail(format!("fl_pid: {n} calls timed for -p (its dd made 100, another dd 100 more):\n{}", run.block("fl_pid").stdout));
    }
    run.assert_tracefs_unchanged("fl_pid");
});

on_kernels!(funclatency_interval: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("fl_interval", 0);
    let hs = histograms(run, "fl_interval");
    // Five 1 s intervals (the last may be cut short), each with its time.
    if !(4..=6).contains(&hs.len()) || hs.iter().any(|h| !h["time"].is_f64()) {
        run.fail(format!("fl_interval: not one timed histogram a second:\n{}", run.block("fl_interval").stdout));
    }
    // Each interval counts its own calls: the two dd runs, 200 reads, fall in different ones.
    let n = total(&hs);
    let busiest = hs.iter().map(|h| calls(h, 0..)).max().unwrap_or(0);
    if !(200..600).contains(&n) || busiest >= n.saturating_sub(90) {
        run.fail(format!("fl_interval: {n} calls in all, {busiest} in one interval (two dd of 100, 2.5 s apart):\n{}", run.block("fl_interval").stdout));
    }
    let b = run.expect_rc("fl_interval_text", 0);
    // -T: each histogram headed by HH:MM:SS.
    let stamps = b.stdout.lines().filter(|l| {
        let p: Vec<&str> = l.split(':').collect();
        p.len() == 3 && p.iter().all(|x| x.len() == 2 && x.bytes().all(|c| c.is_ascii_digit()))
    }).count();
    if stamps < 2 || !b.stdout.contains("latency (us)") {
        run.fail(format!("fl_interval_text: not two histograms headed by the time:\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("fl_interval");
});

on_kernels!(funclatency_nested: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("fl_nested", 0);
    let hs = histograms(run, "fl_nested");
    let of = |f: &str| -> u64 {
        hs.iter().filter(|h| h["keys"]["function"] == f).map(|h| calls(h, 0..)).sum()
    };
    let inner = of("do_nanosleep");
    let outer = of("hrtimer_nanosleep");
    let others: u64 = total(&hs) - inner;
    // --json: the notices are records on stdout.
    if !b.stdout.contains("functions for \\\"*nanosleep\\\"") || b.stdout.contains("Tracing 1 function") {
        run.fail(format!("fl_nested: one function only?\n{}", b.stdout));
    }
    // One start time per thread: the innermost call is timed, the calls around it not at all
    // (the inner return used the thread's start time up).
    if inner < 3 || outer != 0 || others != 0 {
        run.fail(format!(
            "fl_nested: do_nanosleep {inner} (3 sleeps), hrtimer_nanosleep {outer}, others {others}:\n{}",
            b.stdout
        ));
    }
    for b in ["fl_ex_nested", "fl_ex_dd"] {
        let b = run.expect_rc(b, 0);
        if !b.stdout.contains(" -> ") || !b.stdout.contains("distribution") {
            run.fail(format!("not bcc's histogram layout:\n{}", b.stdout));
        }
    }
    run.assert_tracefs_unchanged("fl_nested");
});

on_kernels!(funclatency_bad: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for (name, rc, says) in [
        ("fl_bad_func", 1, "no_such_function_xyz"),
        ("fl_bad_glob", 2, "vfs read"),
        ("fl_bad_pid", 2, "99999999"),
        ("fl_bad_units", 2, "cannot be used with"),
        ("fl_bad_many", 2, "--max-probes"),
    ] {
        let b = run.expect_rc(name, rc);
        let lines = b.stderr.lines().filter(|l| !l.trim().is_empty()).count();
        if !b.stderr.contains(says) || lines > 4 || !b.stdout.is_empty() {
            run.fail(format!("{name}: not one clear refusal naming {says:?}:\n{}", b.stderr));
        }
    }
    run.assert_tracefs_unchanged("fl_bad");
});

on_kernels!(funclatency_sigint: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("fl_sigint", 130);
    let n = total(&histograms(run, "fl_sigint"));
    if n < 100 || !b.stdout.contains("Ending tracing...") {
        run.fail(format!("fl_sigint: {n} calls timed before Ctrl-C (dd made 100):\n{}\n{}", b.stdout, b.stderr));
    }
    run.assert_tracefs_unchanged("fl_sigint");
});
