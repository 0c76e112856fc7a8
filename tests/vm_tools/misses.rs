//! Probes that missed say so: a return probe with maxactive 1 on do_nanosleep while four
//! sleeps are in flight at once misses the returns of the three it had no room for, and the
//! run's end says how many. Called from `batch()`.

use super::*;

pub fn scenarios(s: &mut Script) {
    s.scenario("km_missed", |s| {
        s.background("await_tracing; for i in 1 2 3 4; do sleep 1 & done; wait");
        s.run("km_missed", 60, "kprobe --json -d 4 'r1:slp do_nanosleep'");
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
