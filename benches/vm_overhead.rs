//! What a run costs, measured in one guest side by side: lktrace's funccount and kprobe against
//! perf-tools' own bash tools (Debian's perf-tools-unstable) and against the shell floor (only
//! the kernel writes the job needs), on each of the three test kernels.
//!
//! `cargo bench --bench vm_overhead [-- KERNEL...]` (as root, after `tests/vm/setup.sh`; it runs
//! `tests/vm/fetch-perf-tools.sh` itself). Each tool runs `-d 3` with a workload of 500 one-byte
//! reads started once the tool says it is tracing; overhead = elapsed - 3 s, from the guest's
//! /proc/uptime; rounds are interleaved (A B C A B C ...) and the median of each is reported.
//! Under TCG every kernel operation is slow: the ratios are what carry over, not the seconds.
//! The report is printed and written to `target/vm/bench/overhead-<kernel>.txt`; it is what
//! docs/performance.md quotes.
//!
//! `-- --breakdown [KERNEL...]` runs instead each lktrace contender once (after a warm-up) with
//! `--debug`, and writes each run's tracefs operations and phase times to
//! `target/vm/bench/breakdown-<kernel>.txt`: where the time goes.

#[path = "../tests/support/vm.rs"]
mod vm;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use vm::{Block, Kernel, Script, Vm};

const ROUNDS: usize = 3;
const WINDOW_S: f64 = 3.0;
const PATTERN: &str = "vfs_*";

/// One way of doing the job: a name and the guest shell command.
struct Contender {
    name: &'static str,
    what: &'static str,
    cmd: String,
}

fn contenders(k: Kernel) -> Vec<Contender> {
    let mut v = Vec::new();
    let c = |name, what, cmd: &str| Contender {
        name,
        what,
        cmd: cmd.to_string(),
    };
    if k.has_profiler() {
        v.push(c(
            "pt_funccount",
            "perf-tools funccount (function profiler)",
            "funccount-perf -d 3 'vfs_*'",
        ));
        v.push(c(
            "floor_profiler",
            "shell floor: filter, profiler on, off, read trace_stat, filter cleared",
            "T=/sys/kernel/tracing; echo 'vfs_*' > $T/set_ftrace_filter && \
             echo 1 > $T/function_profile_enabled && echo Tracing && sleep 3 && \
             echo 0 > $T/function_profile_enabled && \
             awk '$1==\"vfs_read\"{s+=$2} END{print \"vfs_read\", s}' $T/trace_stat/function*; \
             echo > $T/set_ftrace_filter",
        ));
        v.push(c(
            "lkt_profiler",
            "lktrace funccount --backend profiler",
            "lktrace funccount --backend profiler -d 3 'vfs_*'",
        ));
    }
    v.push(c(
        "floor_instance",
        "shell floor: instance, filter, function tracer on, off, count, instance removed",
        "T=/sys/kernel/tracing; I=$T/instances/floor; mkdir $I && \
         echo 'vfs_*' > $I/set_ftrace_filter && echo function > $I/current_tracer && \
         echo Tracing && sleep 3 && echo 0 > $I/tracing_on && \
         echo \"vfs_read $(grep -c ': vfs_read <-' $I/trace)\"; echo nop > $I/current_tracer; rmdir $I",
    ));
    v.push(c(
        "lkt_auto",
        "lktrace funccount (auto backend)",
        "lktrace funccount -d 3 'vfs_*'",
    ));
    for (name, b) in [
        ("lkt_kprobe_profile", "kprobe-profile"),
        ("lkt_hist", "hist"),
        ("lkt_function_trace", "function-trace"),
    ] {
        v.push(Contender {
            name,
            what: "lktrace funccount --backend (forced)",
            cmd: format!("lktrace funccount --backend {b} -d 3 '{PATTERN}'"),
        });
    }
    v.push(c(
        "pt_kprobe",
        "perf-tools kprobe -d 3 (buffered)",
        "kprobe-perf -d 3 p:vfs_read",
    ));
    v.push(c(
        "lkt_kprobe",
        "lktrace kprobe -d 3 (buffered)",
        "kprobe -d 3 p:vfs_read",
    ));
    v
}

/// The guest side: `measure NAME CMD` runs CMD (cut off after 60 s: perf-tools' `kprobe -d 3`
/// once never ended in the profiler guest), starts the workload once it prints "Tracing", and
/// emits its stdout, stderr and the guest uptime before and after.
const MEASURE: &str = r#"
chmod 755 /bin/bash /bin/funccount-perf /bin/kprobe-perf
mkdir -p /sys/kernel/debug /var/tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
now() { cut -d' ' -f1 /proc/uptime; }
measure() {
    _name=$1; _cmd=$2
    rm -f /tmp/m.o /tmp/m.e
    _t0=$(now)
    timeout 60 sh -c "$_cmd" >/tmp/m.o 2>/tmp/m.e </dev/null &
    _p=$!
    ( i=0; until grep -qs Tracing /tmp/m.o /tmp/m.e; do sleep 0.05; i=$((i+1)); [ $i -gt 1200 ] && exit; done
      dd if=/lkt/payload of=/dev/null bs=1 count=500 2>/dev/null ) &
    _w=$!
    wait $_p; _rc=$?
    _t1=$(now)
    wait $_w
    echo "$_t0 $_t1" > /tmp/m.t
    _emit "$_name" "$_rc" /tmp/m.o
    _emit "$_name.stderr" "$_rc" /tmp/m.e
    _emit "$_name.time" 0 /tmp/m.t
}
"#;

fn guest_files() -> Vec<(String, Vec<u8>)> {
    let pt = vm::vm_dir().join("perf-tools");
    let mut files = vec![(
        "/bin/bash".to_string(),
        std::fs::read(pt.join("bin/bash-static")).expect("bash-static"),
    )];
    for tool in ["funccount-perf", "kprobe-perf"] {
        files.push((
            format!("/bin/{tool}"),
            std::fs::read(pt.join("usr/sbin").join(tool)).expect("perf-tools script"),
        ));
    }
    files
}

/// Hits of vfs_read in a tool's output: a `vfs_read N` row, or else the number of
/// `vfs_read:` event lines.
fn reads(out: &str) -> Option<u64> {
    let row = out.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some("vfs_read"))
            .then(|| w.next()?.parse().ok())
            .flatten()
    });
    row.or_else(|| {
        let n = out.lines().filter(|l| l.contains(": vfs_read: (")).count() as u64;
        (n > 0).then_some(n)
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn report(k: Kernel, blocks: &BTreeMap<String, Block>, cs: &[Contender]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: funccount -d 3 '{PATTERN}' and kprobe -d 3 p:vfs_read, 500 reads, median of {ROUNDS}",
        k.name()
    );
    let _ = writeln!(
        out,
        "{:<20} {:>10} {:>9}  what (rc)",
        "contender", "overhead_s", "vfs_read"
    );
    let mut medians = BTreeMap::new();
    for c in cs {
        let mut over = Vec::new();
        let mut counts = Vec::new();
        let mut rcs = Vec::new();
        for r in 0..ROUNDS {
            let name = format!("{}.r{r}", c.name);
            // A boot cut short by its timeout still reports the rounds it finished.
            let Some(t) = blocks.get(&format!("{name}.time")) else {
                continue;
            };
            let t = &t.stdout;
            let mut w = t.split_whitespace().filter_map(|x| x.parse::<f64>().ok());
            if let (Some(a), Some(b)) = (w.next(), w.next()) {
                over.push(b - a - WINDOW_S);
            }
            let Some(b) = blocks.get(&name) else {
                continue;
            };
            rcs.push(b.rc);
            if let Some(n) = reads(&b.stdout) {
                counts.push(n);
            }
        }
        if over.is_empty() {
            continue;
        }
        let m = median(over);
        medians.insert(c.name, m);
        let count = counts
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("/");
        let _ = writeln!(
            out,
            "{:<20} {:>10.3} {:>9}  {} (rc {:?})",
            c.name, m, count, c.what, rcs
        );
    }
    let ratio = |a: &str, b: &str| match (medians.get(a), medians.get(b)) {
        (Some(x), Some(y)) if *y > 0.0 => format!("{:.2}", x / y),
        _ => "-".into(),
    };
    let _ = writeln!(out, "ratios:");
    for (a, b) in [
        ("lkt_auto", "pt_funccount"),
        ("lkt_auto", "floor_profiler"),
        ("pt_funccount", "floor_profiler"),
        ("lkt_auto", "floor_instance"),
        ("lkt_function_trace", "floor_instance"),
        ("lkt_kprobe_profile", "floor_instance"),
        ("lkt_hist", "floor_instance"),
        ("lkt_kprobe", "pt_kprobe"),
    ] {
        if medians.contains_key(a) && medians.contains_key(b) {
            let _ = writeln!(out, "  {a} / {b} = {}", ratio(a, b));
        }
    }
    out
}

/// Each lktrace contender's `--debug` stderr, whole, then the phase summary of each.
fn breakdown_report(k: Kernel, blocks: &BTreeMap<String, Block>, cs: &[Contender]) -> String {
    let mut out = format!("{}: where lktrace's time goes (--debug)\n", k.name());
    let mut summaries = String::new();
    for c in cs.iter().filter(|c| c.name.starts_with("lkt_")) {
        let Some(b) = blocks.get(&format!("{}.debug", c.name)) else {
            continue;
        };
        let _ = writeln!(out, "\n== {} ({}): {}", c.name, c.what, c.cmd);
        out.push_str(&b.stderr);
        if let Some(s) = b
            .stderr
            .lines()
            .rev()
            .find(|l| l.contains("tracefs operations,"))
        {
            let _ = writeln!(summaries, "{:<20} {}", c.name, s);
        }
    }
    format!("{out}\n== summaries\n{summaries}")
}

fn main() {
    let breakdown = std::env::args().any(|a| a == "--breakdown");
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
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
        let cs = contenders(k);
        let mut steps: Vec<(String, String)> = Vec::new();
        let mut step = |name: String, cmd: &str| steps.push((name, cmd.to_string()));
        if breakdown {
            for c in cs.iter().filter(|c| c.name.starts_with("lkt_")) {
                step(format!("{}.warm", c.name), &c.cmd);
                let debug = c.cmd.replacen(" -d 3", " --debug -d 3", 1);
                step(format!("{}.debug", c.name), &debug);
            }
        } else {
            // One warm-up round, not counted: the first run of each tool pays for cold caches
            // (the function list, the binaries' pages).
            for c in &cs {
                step(format!("{}.warm", c.name), &c.cmd);
            }
            for r in 0..ROUNDS {
                for c in &cs {
                    step(format!("{}.r{r}", c.name), &c.cmd);
                }
            }
        }
        let what = if breakdown { "breakdown" } else { "bench" };
        let (blocks, crashes) = boot_steps(k, what, &steps);
        let mut text = if breakdown {
            breakdown_report(k, &blocks, &cs)
        } else {
            report(k, &blocks, &cs)
        };
        for c in &crashes {
            let _ = writeln!(
                text,
                "guest kernel crashed during {c} (booted again for the rest)"
            );
        }
        let file = dir.join(format!(
            "{}-{}.txt",
            if breakdown { "breakdown" } else { "overhead" },
            k.name()
        ));
        std::fs::write(&file, &text).expect("write the report");
        if breakdown {
            print!("{}", text.rsplit("== summaries").next().unwrap_or(""));
        } else {
            print!("{text}");
        }
        eprintln!("vm_overhead: {} written", file.display());
    }
}

/// Boots kernel `k` and runs `steps` (name, command) through `measure`. A guest whose kernel
/// crashes (seen under TCG while kprobes come and go: docs/kernel-notes.md) is booted again
/// with the steps it had not finished, at most three boots in all. Returns every step's
/// blocks and the step each crash cut short.
fn boot_steps(
    k: Kernel,
    what: &str,
    steps: &[(String, String)],
) -> (BTreeMap<String, Block>, Vec<String>) {
    let mut blocks: BTreeMap<String, Block> = BTreeMap::new();
    let mut crashes = Vec::new();
    for boot in 0..3 {
        let left: Vec<&(String, String)> = steps
            .iter()
            .filter(|(n, _)| !blocks.contains_key(&format!("{n}.time")))
            .collect();
        if left.is_empty() {
            break;
        }
        let mut s = Script::new();
        s.raw(MEASURE);
        for (name, cmd) in &left {
            s.raw(&format!("measure {name} {}", vm::sh_quote(cmd)));
        }
        let mut v = Vm::new(k, &format!("{}-{what}{boot}", k.name()), s);
        v.files = guest_files();
        v.timeout = std::time::Duration::from_secs(2400);
        let run = v.boot().unwrap_or_else(|e| panic!("{e}"));
        blocks.extend(run.console.blocks.clone());
        match vm::guest_kernel_crash(&run.console) {
            Some(oops) => {
                let cut = left
                    .iter()
                    .find(|(n, _)| !blocks.contains_key(&format!("{n}.time")))
                    .map_or("?".to_string(), |(n, _)| n.clone());
                eprintln!(
                    "vm_overhead: the {} kernel crashed during {cut}:\n{oops}",
                    k.name()
                );
                crashes.push(cut);
            }
            None => break,
        }
    }
    (blocks, crashes)
}
