//! Probes that missed say so: a return probe with maxactive 1 on do_nanosleep while four
//! sleeps are in flight at once misses the returns of the three it had no room for, and the
//! run's end says how many; funclatency's return probe (the kernel's default maxactive) with
//! sixteen. Called from `batch()`.

use super::*;

pub fn scenarios(s: &mut Script) {
    s.scenario("km_missed", |s| {
        s.background("await_tracing; for i in 1 2 3 4; do sleep 1 & done; wait");
        s.run("km_missed", 60, "kprobe --json -d 4 'r1:slp do_nanosleep'");
    });
    // funclatency's return probe has the kernel's default maxactive: 10 on these guests
    // (max(10, 2 x possible CPUs)); sixteen sleeps at once overflow it.
    s.scenario("km_lat", |s| {
        s.background("await_tracing; for i in $(seq 16); do sleep 1 & done; wait");
        s.run("km_lat", 60, "funclatency --json -d 4 do_nanosleep");
    });
}

on_kernels!(kprobe_misses_reported: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("km_missed", 0);
    let ev = events(run, "km_missed");
    if ev.is_empty() {
        run.fail("km_missed: no return traced");
    }
    let notices = records(run, "km_missed", "notice");
    let missed: Vec<u64> = notices
        .iter()
        .filter_map(|n| n["message"].as_str())
        .filter_map(|m| m.strip_prefix("return probe slp (do_nanosleep) missed "))
        .filter_map(|m| m.split(' ').next()?.parse().ok())
        .collect();
    match missed.as_slice() {
        // Four sleeps in flight at once, room for one: most of them are missed, and every
        // one returned, traced or counted.
        [n] if *n >= 2 && *n as usize + ev.len() >= 4 => {}
        _ => run.fail(format!(
            "km_missed: one notice counting the missed returns ({} traced): {notices:?}",
            ev.len()
        )),
    }
    run.assert_tracefs_unchanged("km_missed");
});

on_kernels!(funclatency_misses_reported: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("km_lat", 0);
    let counted: u64 = records(run, "km_lat", "histogram")
        .iter()
        .flat_map(|h| h["buckets"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["count"].as_u64())
        .sum();
    let notices = records(run, "km_lat", "notice");
    let missed: Vec<u64> = notices
        .iter()
        .filter_map(|n| n["message"].as_str())
        .filter_map(|m| m.split(" (do_nanosleep) missed ").nth(1))
        .filter_map(|m| m.split(' ').next()?.parse().ok())
        .collect();
    match missed.as_slice() {
        [n] if *n >= 1 && counted + n >= 16 => {}
        _ => run.fail(format!(
            "km_lat: one notice counting the missed returns ({counted} counted): {notices:?}"
        )),
    }
    run.assert_tracefs_unchanged("km_lat");
});
