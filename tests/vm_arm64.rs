//! lktrace on arm64: a static aarch64 lktrace (cross-built, `aarch64-linux-gnu-gcc` linking
//! Debian's static glibc) booted on Debian 12's arm64 cloud kernel (6.1) in
//! qemu-system-aarch64 (`-M virt -cpu max`, TCG), once, with every scenario below in one guest
//! script. Each test checks its scenario's blocks and that tracefs is unchanged by it.
//!
//! Ignored by default (they boot a VM); run with
//! `sudo tests/vm/setup.sh && cargo test --release --test vm_arm64 -- --include-ignored`.
//! The console log and timings land in `target/vm/runs/arm64/`.

#[path = "support/json_schema.rs"]
mod json_schema;
#[path = "support/vm.rs"]
mod vm;

use std::sync::OnceLock;

use serde_json::Value;
use vm::{Kernel, Outcome, Pending, Run, Script, Vm};

/// 100 one-byte reads and 100 writes, once the tool says it is tracing.
const DD: &str = "await_tracing; dd if=/lkt/payload of=/dev/null bs=1 count=100 2>/dev/null";
/// Three execs of a path only this workload runs, once the tool says it is tracing.
const TP_EXECS: &str = "await_tracing; /tmp/lkttp/true; sleep 1; /tmp/lkttp/true; /tmp/lkttp/true";
const TP_PATH: &str = "/tmp/lkttp/true";

/// Every scenario, in one script.
fn batch() -> Vm {
    let mut s = Script::new();
    s.scenario("a64_self", |s| {
        s.run("a64_version", 30, "lktrace --version");
        s.run("a64_uname", 10, "uname -m");
    });
    s.scenario("a64_fc", |s| {
        s.background(DD);
        s.run("a64_fc", 120, "funccount --json -d 3 'vfs_rea*'");
    });
    // The portable argument name: arg3 is vfs_read's count, in %x2 on arm64.
    s.scenario("a64_kp", |s| {
        s.background(DD);
        s.run("a64_kp", 120, "kprobe --json -d 3 'p:vfs_read count=arg3'");
        // What it wrote to kprobe_events, read while it traces.
        s.run(
            "a64_kp_def",
            120,
            "rm -f /tmp/k.o /tmp/k.e; kprobe -d 3 'p:vfs_read count=arg3' >/tmp/k.o 2>/tmp/k.e & K=$!; \
             i=0; until grep -qs Tracing /tmp/k.o /tmp/k.e; do sleep 0.2; i=$((i+1)); [ $i -gt 300 ] && break; done; \
             cat $T/kprobe_events; wait $K",
        );
    });
    // A register that holds no argument on arm64 (%x9): warned about, and the run goes on.
    s.scenario("a64_kp_x9", |s| {
        s.run(
            "a64_kp_x9",
            60,
            "kprobe --json -v 'p:myprobe do_sys_openat2 dfd=%x9'",
        );
    });
    // x86-64's register name on arm64: the kernel has no %ax there.
    s.scenario("a64_kp_ax", |s| {
        s.run(
            "a64_kp_ax",
            60,
            "kprobe --json -v 'p:myprobe do_sys_openat2 dfd=%ax'",
        );
    });
    s.raw("mkdir -p /tmp/lkttp; ln -sf /bin/busybox /tmp/lkttp/true");
    s.scenario("a64_tp", |s| {
        s.background(TP_EXECS);
        s.run("a64_tp", 120, "tpoint --json -d 3 sched:sched_process_exec");
    });
    s.scenario("a64_check", |s| {
        s.run("a64_check", 60, "lktrace ctl check --json");
        s.run("a64_check_text", 60, "lktrace ctl check");
    });
    Vm::new(Kernel::Arm64, "arm64", s)
}

/// The one boot, shared by every test.
fn suite() -> &'static Run {
    static BOOT: OnceLock<Pending<Outcome>> = OnceLock::new();
    BOOT.get_or_init(|| vm::spawn_boot(batch)).get().run()
}

/// The records of type `ty` in block `name`, after checking every line of its stdout against
/// the documented JSON shapes (docs/json.md).
#[track_caller]
fn records(run: &Run, name: &str, ty: &str) -> Vec<Value> {
    let out = &run.block(name).stdout;
    if let Err(e) = json_schema::validate_output(out) {
        run.fail(format!(
            "`{name}`: output does not match docs/json.md: {e}\n{out}"
        ));
    }
    run.records(name, ty)
}

#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn arm64_lktrace_runs() {
    let run = suite();
    if let Some(p) = &run.problem {
        run.fail(format!("the boot did not end cleanly: {p}"));
    }
    let v = run.expect_rc("a64_version", 0);
    if !v.stdout.starts_with("lktrace ") {
        run.fail(format!("lktrace --version printed {:?}", v.stdout));
    }
    if run.expect_rc("a64_uname", 0).stdout.trim() != "aarch64" {
        run.fail("the guest is not aarch64");
    }
    run.assert_tracefs_unchanged("a64_self");
}

#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn arm64_funccount_counts_vfs_read() {
    let run = suite();
    let out = &run.expect_rc("a64_fc", 0).stdout;
    let recs = records(run, "a64_fc", "counts");
    let Some(last) = recs.last() else {
        run.fail(format!("a64_fc printed no counts record:\n{out}"))
    };
    let n = last["counts"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "vfs_read"))
        .and_then(|c| c["count"].as_u64());
    if n.is_none_or(|n| n < 100) {
        run.fail(format!(
            "a64_fc: vfs_read counted {n:?}, expected >= 100 (dd made 100):\n{out}"
        ));
    }
    run.assert_tracefs_unchanged("a64_fc");
}

#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn arm64_kprobe_portable_argument_is_x2() {
    let run = suite();
    let ev = records(run, "a64_kp", "event");
    run.expect_rc("a64_kp", 0);
    let dd: Vec<&Value> = ev.iter().filter(|e| e["comm"] == "dd").collect();
    let one = |e: &&Value| e["fields"]["count"] == 1 || e["fields"]["count"] == "0x1";
    if dd.len() < 100 || !dd.iter().all(one) {
        run.fail(format!(
            "a64_kp: {} events of dd (expected >= 100, each count=1):\n{}",
            dd.len(),
            run.block("a64_kp").stdout
        ));
    }
    // The definition written to kprobe_events reads %x2.
    let def = &run.expect_rc("a64_kp_def", 0).stdout;
    if !def
        .lines()
        .any(|l| l.contains(" vfs_read ") && l.contains("count=%x2"))
    {
        run.fail(format!(
            "kprobe_events while tracing has no vfs_read count=%x2:\n{def}"
        ));
    }
    run.assert_tracefs_unchanged("a64_kp");
}

#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn arm64_kprobe_warns_of_a_register_that_holds_no_argument() {
    let run = suite();
    run.expect_rc("a64_kp_x9", 0);
    let notices = records(run, "a64_kp_x9", "notice");
    let warned = notices.iter().any(|n| {
        n["level"] == "warning"
            && n["message"].as_str().is_some_and(|m| {
                m.contains("`dfd=%x9`") && m.contains("argument 1 is %x0") && m.contains("arm64")
            })
    });
    if !warned {
        run.fail(format!(
            "a64_kp_x9: no warning naming %x0 for dfd=%x9: {notices:?}"
        ));
    }
    run.assert_tracefs_unchanged("a64_kp_x9");
}

#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn arm64_kprobe_x86_register_name() {
    // Warned about in our words first, then refused by the kernel (arm64 has no %ax), with its
    // error_log text; exit 1 and nothing left behind.
    let run = suite();
    let b = run.expect_rc("a64_kp_ax", 1);
    let notices = records(run, "a64_kp_ax", "notice");
    if !notices.iter().any(|n| {
        n["level"] == "warning"
            && n["message"]
                .as_str()
                .is_some_and(|m| m.contains("`dfd=%ax`") && m.contains("argument 1 is %x0"))
    }) {
        run.fail(format!(
            "a64_kp_ax: no warning naming %x0 for dfd=%ax: {notices:?}"
        ));
    }
    if !b.stderr.contains("Invalid register name") {
        run.fail(format!(
            "a64_kp_ax: not the kernel's refusal:\n{}",
            b.stderr
        ));
    }
    run.assert_tracefs_unchanged("a64_kp_ax");
}

#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn arm64_tpoint_sched_process_exec() {
    let run = suite();
    run.expect_rc("a64_tp", 0);
    let ev = records(run, "a64_tp", "event");
    let n = ev
        .iter()
        .filter(|e| {
            e["fields"]["filename"]
                .as_str()
                .map(|f| f.trim_matches('"'))
                == Some(TP_PATH)
        })
        .count();
    if n != 3 {
        run.fail(format!(
            "a64_tp: {n} execs of {TP_PATH} (the workload made 3):\n{}",
            run.block("a64_tp").stdout
        ));
    }
    run.assert_tracefs_unchanged("a64_tp");
}

#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn arm64_ctl_check() {
    let run = suite();
    run.expect_rc("a64_check", 0);
    let recs = records(run, "a64_check", "check");
    let [check] = recs.as_slice() else {
        run.fail(format!("expected one check object, got {}", recs.len()))
    };
    let feature = |name: &str| {
        check["features"]
            .as_array()
            .and_then(|f| f.iter().find(|x| x["name"] == name))
            .map(|x| x["ok"] == true)
    };
    for f in [
        "function tracer",
        "function_graph tracer",
        "kprobes",
        "uprobes",
        "hist triggers",
    ] {
        if feature(f) != Some(true) {
            run.fail(format!("ctl check: `{f}` not ok on arm64: {check}"));
        }
    }
    run.assert_tracefs_unchanged("a64_check");
}
