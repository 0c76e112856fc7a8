//! Events at the kernel's speed (issue 10), measured in one guest side by side: `lktrace kprobe`
//! streaming with the raw reader, the same with the text reader, and perf-tools' `kprobe`
//! (Debian's perf-tools-unstable: `cat trace_pipe`), each tracing `vfs_read` while
//! `dd if=/dev/zero of=/dev/null bs=1 count=N` makes N one-byte reads as fast as the guest can.
//!
//! `cargo bench --bench vm_events [-- [--reads N] [--rounds R] KERNEL...]` (as root, after
//! `tests/vm/setup.sh`; it runs `tests/vm/fetch-perf-tools.sh` itself). For each run: the
//! workload's rate (N / its elapsed time, from /proc/uptime), the events of the dd's pid the
//! tool printed (counted in its output by `-PID `: the comm may still be the shell's, which
//! the kernel replaces only when dd is next switched out) and the lost-events lines it printed, and the CPU time
//! of the tool's whole process group (utime + stime + reaped children's, from /proc/PID/stat,
//! in clock ticks) from just before the workload starts to one second after it ends, divided by
//! the lines (events) it printed in that time: its cost per event while it is busy. Rounds are
//! interleaved (raw, text, perf-tools, raw, ...); the report gives each run and the medians of
//! the CPU seconds per million events. Under TCG every kernel operation is slow: the ratios
//! carry over, not the rates. The report is printed and written to
//! `target/vm/bench/events-<kernel>.txt`; docs/performance.md quotes it.

#[path = "../tests/support/vm.rs"]
mod vm;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use vm::{Block, Kernel, Script, Vm};

const DEFAULT_READS: u64 = 100_000;
const DEFAULT_ROUNDS: usize = 3;
/// Clock ticks per second of /proc/PID/stat (USER_HZ on x86).
const TICKS: f64 = 100.0;

struct Contender {
    name: &'static str,
    cmd: &'static str,
}

const CONTENDERS: &[Contender] = &[
    Contender {
        name: "lkt_raw",
        cmd: "lktrace kprobe --reader raw p:vfs_read",
    },
    Contender {
        name: "lkt_text",
        cmd: "lktrace kprobe --reader text p:vfs_read",
    },
    Contender {
        name: "pt_kprobe",
        cmd: "kprobe-perf p:vfs_read",
    },
];

/// The guest side: `bench NAME CMD N` starts CMD in its own session (so its whole process
/// group can be timed and stopped with one SIGINT, as Ctrl-C would), waits until it says it is
/// tracing, runs the workload, and emits the tool's output counts, times and CPU ticks.
const BENCH: &str = r#"
chmod 755 /bin/bash /bin/kprobe-perf
mkdir -p /sys/kernel/debug /var/tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
now() { cut -d' ' -f1 /proc/uptime; }
# CPU ticks of process group $1: utime stime cutime cstime of each member.
ticks() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v g=$1 '$5 == g { s += $14 + $15 + $16 + $17 } END { print s + 0 }'; }
bench() {
    _name=$1; _cmd=$2; _n=$3
    rm -f /tmp/b.o /tmp/b.e
    setsid sh -c "exec $_cmd" >/tmp/b.o 2>/tmp/b.e </dev/null &
    _p=$!
    i=0; until grep -qs Tracing /tmp/b.o /tmp/b.e; do sleep 0.05; i=$((i+1)); [ $i -gt 1200 ] && break; done
    sleep 0.5
    _c0=$(ticks $_p); _l0=$(wc -l < /tmp/b.o); _t0=$(now)
    sh -c "echo \$\$ > /tmp/b.pid; exec dd if=/dev/zero of=/dev/null bs=1 count=$_n 2>/dev/null"
    _t1=$(now)
    sleep 1
    _c1=$(ticks $_p); _l1=$(wc -l < /tmp/b.o); _t2=$(now)
    kill -INT -$_p
    ( sleep 15; kill -KILL -$_p ) 2>/dev/null &
    _k=$!
    wait $_p; _rc=$?
    kill $_k 2>/dev/null
    _d=$(cat /tmp/b.pid)
    echo "t0 $_t0 t1 $_t1 t2 $_t2 c0 $_c0 c1 $_c1 l0 $_l0 l1 $_l1 events $(grep -c -- "-$_d " /tmp/b.o) lost_lines $(grep -c 'LOST' /tmp/b.o) lines $(wc -l < /tmp/b.o)" > /tmp/b.s
    grep 'LOST' /tmp/b.o | head -5 >> /tmp/b.s
    _emit "$_name" "$_rc" /tmp/b.s
    head -c 2000 /tmp/b.e > /tmp/b.e2
    _emit "$_name.stderr" "$_rc" /tmp/b.e2
    # perf-tools' kprobe, killed when its cleanup hangs, leaves its probe enabled: remove it
    # (perf-tools' reset-ftrace) so the next contender runs on a clean kernel.
    lktrace ctl reset --all >/dev/null 2>&1
    rm -f /var/tmp/.ftrace-lock
    sleep 1
}
"#;

fn guest_files() -> Vec<(String, Vec<u8>)> {
    let pt = vm::vm_dir().join("perf-tools");
    vec![
        (
            "/bin/bash".to_string(),
            std::fs::read(pt.join("bin/bash-static")).expect("bash-static"),
        ),
        (
            "/bin/kprobe-perf".to_string(),
            std::fs::read(pt.join("usr/sbin/kprobe-perf")).expect("perf-tools kprobe"),
        ),
    ]
}

/// One run's numbers, from its stats line.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    workload_s: f64,
    cpu_s: f64,
    events: u64,
    lost_lines: u64,
    /// Lines the tool printed between the two CPU readings: the events it handled then
    /// (perf-tools' `cat` also prints the events of its own reads of trace_pipe).
    handled: u64,
}

fn sample(b: &Block) -> Option<Sample> {
    let line = b.stdout.lines().next()?;
    let w: Vec<&str> = line.split_whitespace().collect();
    let get = |k: &str| -> Option<f64> {
        let i = w.iter().position(|x| *x == k)?;
        w.get(i + 1)?.parse().ok()
    };
    Some(Sample {
        workload_s: get("t1")? - get("t0")?,
        cpu_s: (get("c1")? - get("c0")?) / TICKS,
        events: get("events")? as u64,
        lost_lines: get("lost_lines")? as u64,
        handled: (get("l1")? - get("l0")?) as u64,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn report(k: Kernel, blocks: &BTreeMap<String, Block>, reads: u64, rounds: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: kprobe on vfs_read, dd if=/dev/zero of=/dev/null bs=1 count={reads}, streaming, {rounds} rounds interleaved",
        k.name()
    );
    let _ = writeln!(
        out,
        "{:<10} {:>5} {:>10} {:>12} {:>9} {:>6} {:>8} {:>9} {:>15}",
        "contender",
        "round",
        "workload_s",
        "reads/s",
        "events",
        "lost",
        "cpu_s",
        "handled",
        "cpu_s/M handled"
    );
    let mut per_m: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut rate: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for c in CONTENDERS {
        for r in 0..rounds {
            let name = format!("{}.r{r}", c.name);
            let Some(b) = blocks.get(&name) else {
                let _ = writeln!(out, "{:<10} {r:>5} (no result)", c.name);
                continue;
            };
            let Some(s) = sample(b) else {
                let _ = writeln!(out, "{:<10} {r:>5} (unreadable: {:?})", c.name, b.stdout);
                continue;
            };
            let m = if s.handled > 0 {
                s.cpu_s / (s.handled as f64 / 1e6)
            } else {
                f64::NAN
            };
            per_m.entry(c.name).or_default().push(m);
            rate.entry(c.name)
                .or_default()
                .push(reads as f64 / s.workload_s);
            let _ = writeln!(
                out,
                "{:<10} {r:>5} {:>10.2} {:>12.0} {:>9} {:>6} {:>8.2} {:>9} {:>15.2}  rc {}",
                c.name,
                s.workload_s,
                reads as f64 / s.workload_s,
                s.events,
                s.lost_lines,
                s.cpu_s,
                s.handled,
                m,
                b.rc
            );
        }
    }
    let _ = writeln!(out, "medians:");
    for c in CONTENDERS {
        if let (Some(m), Some(r)) = (per_m.get(c.name), rate.get(c.name)) {
            let _ = writeln!(
                out,
                "  {:<10} {:>8.2} cpu_s per million events handled, workload {:.0} reads/s",
                c.name,
                median(m.clone()),
                median(r.clone())
            );
        }
    }
    let med = |n: &str| per_m.get(n).map(|v| median(v.clone()));
    if let (Some(raw), Some(text), Some(pt)) = (med("lkt_raw"), med("lkt_text"), med("pt_kprobe")) {
        let _ = writeln!(
            out,
            "events per CPU second: raw / text = {:.2}, perf-tools cpu per event / raw = {:.2}",
            text / raw,
            pt / raw
        );
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let reads = opt("--reads").unwrap_or(DEFAULT_READS);
    let rounds = opt("--rounds").map_or(DEFAULT_ROUNDS, |r| r as usize);
    let wanted: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with('-')
                && (*i == 0 || !["--reads", "--rounds"].contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    let kernels: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|k| wanted.is_empty() || wanted.iter().any(|w| k.name().contains(w.as_str())))
        .collect();
    let fetch = Command::new(vm::repo().join("tests/vm/fetch-perf-tools.sh"))
        .status()
        .expect("run tests/vm/fetch-perf-tools.sh");
    assert!(fetch.success(), "tests/vm/fetch-perf-tools.sh failed");
    let dir = vm::vm_dir().join("bench");
    std::fs::create_dir_all(&dir).expect("target/vm/bench");
    // One kernel at a time: a second guest on 2 cores would skew the first one's numbers.
    for k in kernels {
        let mut s = Script::new();
        s.raw(BENCH);
        s.raw("uname -r; grep -m1 'model name' /proc/cpuinfo; nproc");
        for r in 0..rounds {
            for c in CONTENDERS {
                s.raw(&format!(
                    "bench {}.r{r} {} {reads}",
                    c.name,
                    vm::sh_quote(c.cmd)
                ));
            }
        }
        let mut v = Vm::new(k, &format!("{}-events", k.name()), s);
        v.files = guest_files();
        v.timeout = std::time::Duration::from_secs(2400);
        let run = v.boot().unwrap_or_else(|e| panic!("{e}"));
        if let Some(oops) = vm::guest_kernel_crash(&run.console) {
            eprintln!("vm_events: the {} kernel crashed:\n{oops}", k.name());
        }
        let text = report(k, &run.console.blocks, reads, rounds);
        print!("{text}");
        let path = dir.join(format!("events-{}.txt", k.name()));
        std::fs::write(&path, &text).expect("write the report");
        eprintln!("vm_events: report in {}", path.display());
    }
}
