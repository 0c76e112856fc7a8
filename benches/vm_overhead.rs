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
//! `-- --only NAME,NAME [KERNEL...]` runs only those contenders; `--no-aslr` adds each again
//! with the guest's address-space randomisation off (`NAME_na`; see `with_aslr_off`).
//!
//! `-- --many [KERNEL...]` attaches and detaches about 10, 100 and 1000 kprobes per backend and
//! times teardown against shell floors (one write per probe, one write, expedited RCU):
//! `target/vm/bench/many-<kernel>.txt`.
//!
//! `-- --examples [KERNEL...]` captures the real output of examples/funccount_example.txt;
//! `-- --examples --cmd CMD [--cmd CMD...] KERNEL` runs those guest shell commands instead.
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
    // perf-tools' `kprobe -d 3 p:vfs_read` never ends on these kernels: it reads `trace` with
    // grep while the probe is still on, every read(2) of grep's is a new vfs_read event, and
    // reading `trace` no longer pauses recording (options/pause-on-trace is off), so the file
    // grows as fast as it is read (docs/kernel-notes.md). Only with `--only pt_kprobe`.
    if std::env::args().any(|a| a.contains("pt_kprobe")) {
        v.push(c(
            "pt_kprobe",
            "perf-tools kprobe -d 3 (buffered)",
            // -F skips its `grep -w FUNC available_filter_functions`, slow with busybox grep.
            "kprobe-perf -F -d 3 p:vfs_read",
        ));
    }
    v.push(c(
        "lkt_kprobe",
        "lktrace kprobe -d 3 (buffered)",
        "kprobe -d 3 p:vfs_read",
    ));
    // The same job on a function perf-tools' own read of `trace` does not call, so that its
    // kprobe ends: one probe on the open path, side by side (the workload's dd opens twice).
    v.push(c(
        "pt_kprobe_open",
        "perf-tools kprobe -d 3 on do_sys_openat2 (buffered)",
        "kprobe-perf -F -d 3 'p:lktk do_sys_openat2'",
    ));
    v.push(c(
        "lkt_kprobe_open",
        "lktrace kprobe -d 3 on do_sys_openat2 (buffered)",
        "kprobe -d 3 'p:lktk do_sys_openat2'",
    ));
    v
}

/// `--no-aslr`: each contender twice, as booted and (`NAME_na`) with the guest's address-space
/// randomisation off for its run. Under TCG a position-independent binary loaded at a new
/// address each run has all its code translated again by the emulator (its translations are
/// keyed by virtual address): in the profiler guest `lktrace --version` took 128-198 ms with
/// randomisation and 38 ms without, `busybox true` 8-12 ms either way. Hardware has no such
/// cost, so the `_na` rows are the ones that carry over.
fn with_aslr_off(cs: Vec<Contender>) -> Vec<Contender> {
    let mut out = Vec::new();
    for c in cs {
        let off = Contender {
            name: Box::leak(format!("{}_na", c.name).into_boxed_str()),
            what: c.what,
            cmd: format!(
                "echo 0 > /proc/sys/kernel/randomize_va_space; {}; rc=$?; \
                 echo 2 > /proc/sys/kernel/randomize_va_space; exit $rc",
                c.cmd
            ),
        };
        out.push(c);
        out.push(off);
    }
    out
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
    timeout -s KILL ${TMO:-60} sh -c "$_cmd" >/tmp/m.o 2>/tmp/m.e </dev/null &
    _p=$!
    ( i=0; until grep -qs Tracing /tmp/m.o /tmp/m.e; do
          kill -0 $_p 2>/dev/null || exit; sleep 0.05; i=$((i+1)); [ $i -gt 1200 ] && exit; done
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

/// For `--many`: picks, for N in 10, 100 and 1000, the function prefix whose match count is
/// nearest N on this kernel (`/tmp/pat.N`), and `/tmp/kfloor.sh N MODE`, the shell floor for N kprobes:
/// one write per probe to add them (like perf-tools), enabled in an instance, disabled, then
/// removed and timed: `each` one write per probe, `group` one `-:GROUP/` write, `expedited`
/// the same with rcu_expedited set (from before the enable: its time shows whether arming and
/// disarming wait on RCU too).
const MANY: &str = r#"
T=/sys/kernel/tracing
TMO=600
CANDS="vfs_ vfs_r tcp_ ext4_ sched_ security_ page_ kmem_ blk_ mm_ kernel_ proc_ sock_ inet_ ip_ __x64_sys_ do_ __ net_ pci_ acpi_ cgroup_ bpf_ xa_ ata_ usb_ snd_ drm_ irq_ perf_ trace_ ftrace_ rcu_ sys_ crypto_ key_ audit_ fs_ file_ d_ dev_ hrtimer_ kobject_ device_ driver_"
for n in 10 100 1000; do
    best=; bd=999999
    for p in $CANDS; do
        c=$(grep -c "^$p" $T/available_filter_functions)
        d=$((c > n ? c - n : n - c))
        if [ $d -lt $bd ]; then bd=$d; best=$p; fi
    done
    echo "$best*" > /tmp/pat.$n
    echo "pattern for $n: $best* ($(grep -c "^$best" $T/available_filter_functions) lines)"
done
cat > /tmp/kfloor.sh <<'KFLOOR'
T=/sys/kernel/tracing
now() { cut -d' ' -f1 /proc/uptime; }
    _n=$1; _mode=$2; _p=$(cat /tmp/pat.$_n); _pre=${_p%\*}
    echo Tracing; I=$T/instances/kfloor; mkdir $I; echo 0 > $I/tracing_on
    grep "^$_pre" $T/available_filter_functions | cut -d' ' -f1 | sort -u | while read f; do
        e=$(echo "$f" | sed 's/[^A-Za-z0-9_]/_/g')
        echo "p:kfl/$e $f" >> $T/kprobe_events 2>/dev/null
    done
    _k=$(grep -c ' kfl/' $T/kprobe_events)
    [ $_mode = expedited ] && echo 1 > /sys/kernel/rcu_expedited
    _e0=$(now); echo 1 > $I/events/kfl/enable; _e1=$(now); echo 0 > $I/events/kfl/enable; _e2=$(now)
    rmdir $I
    _a=$(now)
    if [ $_mode = each ]; then
        grep ' kfl/' $T/kprobe_events | sed 's/^p:kfl\/\([^ ]*\) .*/\1/' | while read e; do
            echo "-:kfl/$e" >> $T/kprobe_events
        done
    else
        echo "-:kfl/" >> $T/kprobe_events
    fi
    _b=$(now)
    [ $_mode = expedited ] && echo 0 > /sys/kernel/rcu_expedited
    echo "probes $_k enable_s $(echo "$_e0 $_e1" | awk '{print $2 - $1}') disable_s $(echo "$_e1 $_e2" | awk '{print $2 - $1}') teardown_s $(echo "$_a $_b" | awk '{print $2 - $1}')"
KFLOOR
"#;

/// Setup and teardown seconds from a `--debug` summary line: the sums of its phases.
fn phases(summary: &str) -> Option<(f64, f64)> {
    const SETUP: &[&str] = &[
        "discover",
        "features",
        "reap",
        "lock",
        "instance",
        "resolve functions",
        "filter",
        "attach",
        "enable",
        "trigger",
    ];
    let rest = summary.split("phases:").nth(1)?;
    let (mut setup, mut teardown) = (0.0, 0.0);
    // "discover 9.8 ms resolve functions 155.5 ms ...": names of one or two words, then ms.
    let mut name: Vec<&str> = Vec::new();
    let mut words = rest.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if let (Ok(v), Some(&"ms")) = (w.parse::<f64>(), words.peek()) {
            words.next();
            let n = name.join(" ");
            if SETUP.contains(&n.as_str()) {
                setup += v / 1e3;
            } else if n != "read" {
                teardown += v / 1e3;
            }
            name.clear();
        } else {
            name.push(w);
        }
    }
    Some((setup, teardown))
}

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
/// `vfs_read:` event lines (or, for the open probe, `lktk:` lines).
fn reads(out: &str) -> Option<u64> {
    let row = out.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some("vfs_read"))
            .then(|| w.next()?.parse().ok())
            .flatten()
    });
    row.or_else(|| {
        let n = out
            .lines()
            .filter(|l| l.contains(": vfs_read: (") || l.contains(": lktk: ("))
            .count() as u64;
        (n > 0).then_some(n)
    })
}

/// Seconds of step `name` beyond the window: from its `.time` block (guest uptime before and
/// after).
fn overhead(blocks: &BTreeMap<String, Block>, name: &str) -> Option<f64> {
    let t = blocks.get(&format!("{name}.time"))?;
    let mut w = t
        .stdout
        .split_whitespace()
        .filter_map(|x| x.parse::<f64>().ok());
    w.next().zip(w.next()).map(|(a, b)| b - a - WINDOW_S)
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
        "{:<20} {:>10} {:>9} {:>9}  what (rc)",
        "contender", "overhead_s", "vfs_read", "first_s"
    );
    let mut medians = BTreeMap::new();
    for c in cs {
        let mut over = Vec::new();
        let mut counts = Vec::new();
        let mut rcs = Vec::new();
        let mut failures = Vec::new();
        for r in 0..ROUNDS {
            let name = format!("{}.r{r}", c.name);
            // A boot cut short by its timeout still reports the rounds it finished.
            if !blocks.contains_key(&format!("{name}.time")) {
                continue;
            }
            if let Some(o) = overhead(blocks, &name) {
                over.push(o);
            }
            let Some(b) = blocks.get(&name) else {
                continue;
            };
            rcs.push(b.rc);
            if b.rc != 0 {
                // Why it failed, for the report: the last line of its stderr (or stdout).
                let err = blocks
                    .get(&format!("{name}.stderr"))
                    .map(|e| e.stdout.as_str());
                let why = [err.unwrap_or(""), b.stdout.as_str()]
                    .iter()
                    .find_map(|t| t.lines().rev().find(|l| !l.trim().is_empty()))
                    .unwrap_or("(no output)");
                failures.push(format!("  {name} failed (rc {}): {why}", b.rc));
            }
            if let Some(n) = reads(&b.stdout) {
                counts.push(n);
            }
        }
        if over.is_empty() {
            continue;
        }
        let m = median(over);
        medians.insert(c.name, m);
        // The warm-up: the first run of this boot (cold caches, no kept function list).
        let first = overhead(blocks, &format!("{}.warm", c.name))
            .map_or_else(|| "-".into(), |o| format!("{o:.3}"));
        let count = counts
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("/");
        let _ = writeln!(
            out,
            "{:<20} {:>10.3} {:>9} {:>9}  {} (rc {:?})",
            c.name, m, count, first, c.what, rcs
        );
        for f in failures {
            let _ = writeln!(out, "{f}");
        }
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
        ("lkt_kprobe_open", "pt_kprobe_open"),
    ] {
        for (a, b) in [
            (a.to_string(), b.to_string()),
            (format!("{a}_na"), format!("{b}_na")),
        ] {
            if medians.contains_key(a.as_str()) && medians.contains_key(b.as_str()) {
                let _ = writeln!(out, "  {a} / {b} = {}", ratio(&a, &b));
            }
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

/// The `--many` table: per N and backend, setup and teardown from `--debug`, and the floors.
fn many_report(k: Kernel, blocks: &BTreeMap<String, Block>) -> String {
    let mut out = format!(
        "{}: N kprobes attached and detached (funccount -d 1 on a pattern of about N functions)\n",
        k.name()
    );
    let _ = writeln!(
        out,
        "{:<6} {:<16} {:>9} {:>9} {:>11}",
        "N", "backend", "functions", "setup_s", "teardown_s"
    );
    for n in MANY_N {
        for b in MANY_BACKENDS {
            let Some(bl) = blocks.get(&format!("many.{n}.{b}")) else {
                continue;
            };
            let funcs = bl
                .stderr
                .split(" functions, backend")
                .next()
                .and_then(|s| s.rsplit('(').next())
                .unwrap_or("?");
            let summary = bl
                .stderr
                .lines()
                .rev()
                .find(|l| l.contains("tracefs operations,"));
            match summary.and_then(phases) {
                Some((s, t)) => {
                    let _ = writeln!(out, "{n:<6} {b:<16} {funcs:>9} {s:>9.3} {t:>11.3}");
                }
                None => {
                    let first = bl
                        .stderr
                        .lines()
                        .find(|l| l.contains("error"))
                        .unwrap_or("");
                    let _ = writeln!(out, "{n:<6} {b:<16} {:>9} (rc {}) {first}", "-", bl.rc);
                }
            }
        }
        for mode in ["each", "group", "expedited"] {
            if let Some(bl) = blocks.get(&format!("many.{n}.floor_{mode}")) {
                let line = bl
                    .stdout
                    .lines()
                    .find(|l| l.starts_with("probes "))
                    .unwrap_or("-");
                let _ = writeln!(out, "{n:<6} shell floor, removed {mode:<10}: {line}");
            }
        }
    }
    out
}

/// `--examples`: the command lines of examples/funccount_example.txt, each run while the
/// workload reads, stdout and stderr as a terminal would show them.
const EXAMPLES: &[&str] = &[
    "funccount 'vfs_*' -d 5",
    "funccount -T -i 1 -d 3 -t 3 'vfs_*'",
    "funccount --backend kprobe-profile 'vfs_r*' -d 3",
    "funccount --debug -d 2 vfs_read",
];

/// `--examples`' commands: each `--cmd CMD` given (any guest shell command: a quick look at a
/// kernel), else [`EXAMPLES`].
fn example_commands() -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    let given: Vec<String> = args
        .windows(2)
        .filter(|w| w[0] == "--cmd")
        .map(|w| w[1].clone())
        .collect();
    if given.is_empty() {
        EXAMPLES.iter().map(|c| c.to_string()).collect()
    } else {
        given
    }
}

fn examples_report(k: Kernel, blocks: &BTreeMap<String, Block>) -> String {
    let mut out = format!("{}: funccount examples\n", k.name());
    for (i, cmd) in example_commands().iter().enumerate() {
        if let Some(b) = blocks.get(&format!("example{i}")) {
            let _ = write!(out, "\n# {cmd}\n{}", b.stdout);
        }
    }
    out
}

const MANY_N: [usize; 3] = [10, 100, 1000];
const MANY_BACKENDS: [&str; 4] = ["profiler", "kprobe-profile", "hist", "function-trace"];

fn main() {
    let breakdown = std::env::args().any(|a| a == "--breakdown");
    let many = std::env::args().any(|a| a == "--many");
    let examples = std::env::args().any(|a| a == "--examples");
    let no_aslr = std::env::args().any(|a| a == "--no-aslr");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wanted: Vec<String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with('-') && (*i == 0 || (args[i - 1] != "--only" && args[i - 1] != "--cmd"))
        })
        .map(|(_, a)| a.clone())
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
    // `--only a,b`: just these contenders (a shorter run).
    let only: Option<Vec<String>> = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .map(|l| l.split(',').map(str::to_string).collect());
    for k in kernels {
        let mut cs = contenders(k);
        if let Some(o) = &only {
            cs.retain(|c| o.iter().any(|n| n == c.name));
        }
        if no_aslr {
            cs = with_aslr_off(cs);
        }
        let mut steps: Vec<(String, String)> = Vec::new();
        let mut step = |name: String, cmd: &str| steps.push((name, cmd.to_string()));
        if examples {
            for (i, cmd) in example_commands().iter().enumerate() {
                step(format!("example{i}"), &format!("{cmd} 2>&1"));
            }
        } else if many {
            for n in MANY_N {
                for b in MANY_BACKENDS {
                    if b == "profiler" && !k.has_profiler() {
                        continue;
                    }
                    step(
                        format!("many.{n}.{b}"),
                        &format!("lktrace funccount --debug --max-probes 5000 --backend {b} -d 1 \"$(cat /tmp/pat.{n})\""),
                    );
                }
                for mode in ["each", "group", "expedited"] {
                    step(
                        format!("many.{n}.floor_{mode}"),
                        &format!("kfloor {n} {mode}"),
                    );
                }
            }
        } else if breakdown {
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
            // Then once more with --debug, not counted: the breakdown of the same runs.
            for c in cs.iter().filter(|c| c.name.starts_with("lkt_")) {
                let debug = c.cmd.replacen(" -d 3", " --debug -d 3", 1);
                step(format!("{}.debug", c.name), &debug);
            }
        }
        let what = match (examples, many, breakdown) {
            (true, _, _) => "examples",
            (_, true, _) => "many",
            (_, _, true) => "breakdown",
            _ => "overhead",
        };
        let pre = if many { MANY } else { "" };
        let (blocks, crashes) = boot_steps(k, what, pre, &steps);
        let mut text = match what {
            "many" => many_report(k, &blocks),
            "examples" => examples_report(k, &blocks),
            "breakdown" => breakdown_report(k, &blocks, &cs),
            _ => report(k, &blocks, &cs),
        };
        for c in &crashes {
            let _ = writeln!(
                text,
                "guest kernel crashed during {c} (booted again for the rest)"
            );
        }
        let file = dir.join(format!("{what}-{}.txt", k.name()));
        std::fs::write(&file, &text).expect("write the report");
        if what == "overhead" {
            let b = dir.join(format!("breakdown-{}.txt", k.name()));
            std::fs::write(&b, breakdown_report(k, &blocks, &cs)).expect("write the breakdown");
        }
        if what == "breakdown" {
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
    pre: &str,
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
        s.raw(pre);
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
