//! syscount on real kernels: system calls counted in the kernel for a command (and its
//! children), a process, the whole system; Ctrl-C; bad input; perf-tools' command lines.
//! Called from `batch()`.

use super::*;

/// 100 one-byte reads and writes, in a child of the shell (`; true` keeps sh from exec'ing
/// dd), so counting them proves the kernel followed the fork.
const SH_DD: &str = "sh -c 'dd if=/lkt/payload of=/dev/null bs=1 count=100 2>/dev/null; true'";

pub fn scenarios(s: &mut Script) {
    s.scenario("sy_cmd", |s| {
        s.run("sy_cmd", 60, &format!("syscount --json -c {SH_DD}"));
        s.run("sy_cmd_comm", 60, &format!("syscount --json {SH_DD}"));
    });
    s.scenario("sy_pid", |s| {
        waiting_dd(s, "sy_pid", 100);
        s.run("sy_pid", 90, "syscount --json -cv -p \"$P\"");
    });
    s.scenario("sy_all", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run("sy_all", 60, "syscount --json -d 5");
    });
    s.scenario("sy_sigint", |s| {
        s.run(
            "sy_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; syscount -c >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
                 {DD}; sleep 1; kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; \
                 exit $rc"
            ),
        );
    });
    s.scenario("sy_bad", |s| {
        s.run("sy_bad_pid", 30, "syscount -p 99999999");
        s.run("sy_bad_pick", 30, "syscount -p 1 -d 2");
        s.run("sy_bad_cmd", 30, "syscount -c no-such-command-xyz");
        s.run("sy_bad_top", 30, "syscount -t 0 -d 1");
    });
    s.scenario("sy_examples", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run("sy_ex_c", 60, "syscount -c -d 3");
        s.run(
            "sy_ex_cv",
            60,
            "syscount -cv dd if=/lkt/payload of=/dev/null bs=1 count=50",
        );
        s.background(&format!("await_tracing; {DD}"));
        s.run("sy_ex_top", 60, "syscount -t 3 -d 3");
    });
}

/// The rows of the one counts record of block `name`: (keys as "k=v" joined, count).
fn rows(run: &Run, name: &str) -> Vec<(Value, u64)> {
    run.expect_rc(name, 0);
    let c = records(run, name, "counts");
    if c.len() != 1 {
        run.fail(format!(
            "{name}: {} counts records, not one:\n{}",
            c.len(),
            run.block(name).stdout
        ));
    }
    c[0]["counts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r["keys"].clone(), r["count"].as_u64().unwrap_or(0)))
        .collect()
}

fn sum(rows: &[(Value, u64)], key: &str, value: &str) -> u64 {
    rows.iter()
        .filter(|(k, _)| k[key] == value)
        .map(|(_, n)| n)
        .sum()
}

on_kernels!(syscount_command: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let r = rows(run, "sy_cmd");
    let (reads, writes) = (sum(&r, "syscall", "read"), sum(&r, "syscall", "write"));
    // dd's 100 one-byte reads and writes, in the shell's child; a few more from start-up.
    if !(100..=130).contains(&reads) || !(100..=130).contains(&writes) {
        run.fail(format!("sy_cmd: read {reads}, write {writes} (dd made 100 of each):\n{}", run.block("sy_cmd").stdout));
    }
    if !r.iter().any(|(k, _)| k["syscall"] == "execve") {
        run.fail(format!("sy_cmd: no execve (sh started dd):\n{}", run.block("sy_cmd").stdout));
    }
    let r = rows(run, "sy_cmd_comm");
    let dd = sum(&r, "comm", "dd");
    if !(200..=300).contains(&dd) {
        run.fail(format!("sy_cmd_comm: dd made {dd} calls (200 reads and writes and start-up):\n{}", run.block("sy_cmd_comm").stdout));
    }
    if r.iter().any(|(k, _)| k["comm"] == "syscount" || k["comm"] == "lktrace") {
        run.fail("sy_cmd_comm: syscount counted itself");
    }
    // With --json the notice is a record on stdout.
    let notices = records(run, "sy_cmd", "notice");
    if !notices.iter().any(|n| {
        n["message"].as_str().is_some_and(|m| {
            m.contains("Tracing while running: \"sh -c") && m.contains("raw_syscalls:sys_enter")
        })
    }) {
        run.fail(format!("sy_cmd: the Tracing notice names the command and the source: {notices:?}"));
    }
    run.assert_tracefs_unchanged("sy_cmd");
});

on_kernels!(syscount_pid: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let pid = pid_of(run, "sy_pid");
    let r = rows(run, "sy_pid");
    let dd: Vec<_> = r.iter().filter(|(k, _)| k["comm"] == "dd").collect();
    if dd.iter().any(|(k, _)| k["pid"].as_u64() != Some(pid)) {
        run.fail(format!("sy_pid: dd rows of another pid than {pid}:\n{}", run.block("sy_pid").stdout));
    }
    let reads = sum(&r, "syscall", "read");
    let dd_reads: u64 = dd.iter().filter(|(k, _)| k["syscall"] == "read").map(|(_, n)| n).sum();
    if !(100..=110).contains(&dd_reads) || reads > 200 {
        run.fail(format!("sy_pid: dd read {dd_reads} times, all {reads} (dd made 100):\n{}", run.block("sy_pid").stdout));
    }
    // The run ended by itself when the process did.
    run.assert_tracefs_unchanged("sy_pid");
});

on_kernels!(syscount_all: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let r = rows(run, "sy_all");
    let dd = sum(&r, "comm", "dd");
    if dd < 200 {
        run.fail(format!("sy_all: dd made {dd} calls (200 reads and writes at least):\n{}", run.block("sy_all").stdout));
    }
    if r.iter().any(|(k, _)| k["comm"] == "syscount" || k["comm"] == "lktrace") {
        run.fail(format!("sy_all: syscount counted itself:\n{}", run.block("sy_all").stdout));
    }
    run.assert_tracefs_unchanged("sy_all");
});

on_kernels!(syscount_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("sy_sigint", 130);
    let read = b.stdout.lines().find_map(|l| l.strip_prefix("read ")?.trim().parse::<u64>().ok());
    if read.is_none_or(|n| n < 100) {
        run.fail(format!("sy_sigint: no read row of at least dd's 100:\n{}\n{}", b.stdout, b.stderr));
    }
    if !b.stdout.starts_with("SYSCALL") {
        run.fail(format!("sy_sigint: perf-tools' header first:\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("sy_sigint");
});

on_kernels!(syscount_bad_input: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for (name, says) in [
        ("sy_bad_pid", "99999999"),
        ("sy_bad_pick", "pick one"),
        ("sy_bad_cmd", "no-such-command-xyz"),
        ("sy_bad_top", "0"),
    ] {
        let b = run.expect_rc(name, 2);
        let first = b.stderr.lines().next().unwrap_or("");
        if !first.contains(says) {
            run.fail(format!("{name}: the first line names {says:?}:\n{}", b.stderr));
        }
    }
    run.assert_tracefs_unchanged("sy_bad");
});

on_kernels!(syscount_examples_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for name in ["sy_ex_c", "sy_ex_cv", "sy_ex_top"] {
        let b = run.expect_rc(name, 0);
        if b.stdout.lines().count() < 2 {
            run.fail(format!("{name}: no rows:\n{}\n{}", b.stdout, b.stderr));
        }
    }
    let b = run.block("sy_ex_cv");
    if !b.stdout.starts_with("PID") || !b.stdout.lines().any(|l| l.contains(" dd ") && l.contains("read")) {
        run.fail(format!("sy_ex_cv: PID COMM SYSCALL COUNT with dd's reads:\n{}", b.stdout));
    }
    let b = run.block("sy_ex_top");
    // The header and three rows, the busiest (dd) last.
    if b.stdout.lines().count() != 4 || !b.stdout.lines().last().is_some_and(|l| l.starts_with("dd ")) {
        run.fail(format!("sy_ex_top: -t 3 keeps the 3 busiest, dd last:\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("sy_examples");
});
