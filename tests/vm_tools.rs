//! lktrace against real kernels: Debian 12's cloud kernel (6.1), Debian 13's (6.12) and the 6.1
//! profiler kernel, each booted once in QEMU (all at the same time) with every scenario below in
//! one guest script. Each test
//! then checks its scenario's blocks: numbers parsed from lktrace's `--json` output, and tracefs
//! unchanged by the scenario.
//!
//! Ignored by default (they boot VMs); run with
//! `sudo tests/vm/setup.sh && cargo test --release -- --include-ignored`.
//! A test name filter (`-- --include-ignored debian12`, `debian13`, `profiler`) boots only that
//! kernel; the console logs and timings land in `target/vm/runs/<kernel>/`.

#[path = "support/json_schema.rs"]
mod json_schema;
#[path = "support/vm.rs"]
mod vm;

use std::sync::OnceLock;

use serde_json::Value;
use vm::{Kernel, Outcome, Pending, Run, Script, Vm};

/// The vfs_* workload: 100 one-byte reads and 100 writes per dd, twice, started once the tool
/// has printed its "Tracing ..." notice (setting up 70 kprobes takes seconds under emulation).
const DD: &str = "dd if=/lkt/payload of=/dev/null bs=1 count=100 2>/dev/null";
/// Opens the marker file twice, from `cat` processes, once the tool says it is tracing.
const OPEN_MARKER: &str =
    "await_tracing; cat \"$MARK\" >/dev/null; sleep 1; cat \"$MARK\" >/dev/null";
/// Waits until the tool started in the background as `$K` (output in /tmp/k.o, /tmp/k.e) says
/// it is tracing. The command removes both files first: the shell truncates them in the child,
/// which may not have happened yet when the first grep looks.
const AWAIT_K: &str = "i=0; until grep -qs Tracing /tmp/k.o /tmp/k.e; do sleep 0.2; i=$((i+1)); [ $i -gt 300 ] && break; done";
const OPEN_DEF: &str = "p:myopen do_sys_openat2 filename=+0(%si):string";
/// Three execs of a path only this workload runs, once the tool says it is tracing.
const TP_EXECS: &str = "await_tracing; /tmp/lkttp/true; sleep 1; /tmp/lkttp/true; /tmp/lkttp/true";
const TP_PATH: &str = "/tmp/lkttp/true";

/// uprobe scenarios: the test program (tests/fixtures/uprobe/upprog.c, built static here) in
/// the guest, and a copy of busybox of its own inode, so only the workload's execs hit a probe
/// on it (uprobes are per file, and every guest command is /bin/busybox).
const UPPROG: &str = "/lkt/upprog";
const UP_BB: &str = "/tmp/lktup/busybox";

/// upprog, built once per test process with gcc -static (the guest has no libc).
fn upprog() -> &'static std::path::Path {
    static BUILT: OnceLock<std::path::PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("upprog");
        let src = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/uprobe/upprog.c"
        );
        let st = std::process::Command::new("gcc")
            // Frame pointers, so the kernel's user stack walk (`-s`) gets past the first frame.
            .args(["-O2", "-fno-omit-frame-pointer", "-static", "-o"])
            .arg(&out)
            .arg(src)
            .status()
            .expect("gcc, to build the uprobe test program");
        assert!(st.success(), "gcc -static {src} failed");
        out
    })
}

/// The file offset of upprog's `sym`, as the kernel maps it on this machine (its `--where`).
fn upprog_offset(sym: &str) -> u64 {
    let out = std::process::Command::new(upprog())
        .arg("--where")
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(sym)?.strip_prefix(" 0x"))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or_else(|| panic!("upprog --where did not print {sym}"))
}

/// The entry point of the busybox the guest gets (stripped: its only known code address).
fn busybox_entry() -> u64 {
    let bb = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(std::path::Path::new)
        .find(|p| p.is_file())
        .expect("busybox-static");
    lktrace::elf::ElfFile::open(bb, true).unwrap().entry
}

fn marker() -> String {
    format!("/tmp/lkt-marker-{}", vm::token())
}

/// Every scenario, in one script per kernel.
fn batch(k: Kernel) -> Vm {
    let mut s = Script::new();
    s.raw(&format!(
        "MARK={}; export MARK; echo marker > \"$MARK\"",
        marker()
    ));

    // The harness itself, with nothing from lktrace but the binary.
    s.scenario("self", |s| {
        s.run("self_version", 30, "lktrace --version");
        s.run("self_cpus", 10, "nproc");
        s.run("self_net", 10, "ip -o addr show eth0");
        s.run(
            "self_kprobe",
            120,
            "mkdir $T/instances/lkt_self && echo 'p:lkt_t/x vfs_read' >> $T/kprobe_events && \
             echo 1 > $T/instances/lkt_self/events/lkt_t/x/enable && \
             dd if=/lkt/payload of=/dev/null bs=1 count=100 2>/dev/null; rc=$?; \
             echo 0 > $T/instances/lkt_self/events/lkt_t/x/enable; cat $T/kprobe_profile; \
             echo '-:lkt_t/x' >> $T/kprobe_events; rmdir $T/instances/lkt_self; exit $rc",
        );
    });

    rough::scenarios(&mut s);
    syscount::scenarios(&mut s);
    funclatency::scenarios(&mut s);

    s.scenario("ctl_status", |s| {
        s.run("ctl_status", 60, "lktrace ctl status --json");
        s.run("ctl_status_text", 60, "lktrace ctl status");
    });
    s.scenario("ctl_check", |s| {
        s.run("ctl_check", 60, "lktrace ctl check --json");
    });

    s.scenario("kp_entry", |s| {
        s.background(OPEN_MARKER);
        s.run("kp_entry", 40, &format!("kprobe --json -d 5 '{OPEN_DEF}'"));
    });
    s.scenario("kp_return", |s| {
        s.background(OPEN_MARKER);
        s.run(
            "kp_return",
            40,
            "lktrace kprobe --json -d 5 'r:do_sys_openat2 ret=$retval'",
        );
    });
    s.scenario("kp_pid", |s| {
        // The loop shell opens the marker itself (`read < file`), so its own pid does the
        // opens; a `cat` from another process opens it too and must be filtered out.
        s.raw("(while :; do read -r _x < \"$MARK\"; sleep 0.3; done) & LOOP=$!; export LOOP");
        s.value("kp_pid.loop", "\"$LOOP\"");
        s.background(OPEN_MARKER);
        s.run(
            "kp_pid",
            40,
            "kprobe --json -d 5 -p \"$LOOP\" 'p:pidopen do_sys_openat2 filename=+0(%si):string'",
        );
        s.raw("kill $LOOP");
    });
    s.scenario("kp_stack", |s| {
        s.background(OPEN_MARKER);
        s.run(
            "kp_stack",
            40,
            "kprobe --json -s -d 5 'p:stkopen do_sys_openat2'",
        );
    });
    s.scenario("kp_bad", |s| {
        s.run("kp_bad", 30, "kprobe --json 'p:bad vfs_read $none_var'");
        // Syntactically fine, so only the kernel can refuse it (-F skips lktrace's own
        // available_filter_functions check): its error_log text must reach the user.
        s.run(
            "kp_bad_kernel",
            30,
            "kprobe --json -F 'p:bad2 no_such_function_xyz'",
        );
    });
    s.scenario("kp_format", |s| {
        s.run("kp_format", 30, &format!("kprobe -v '{OPEN_DEF}'"));
        s.run(
            "kp_format_json",
            30,
            &format!("kprobe --json -v '{OPEN_DEF}'"),
        );
    });

    // Several definitions at once, with portable argument names: %si on 6.1, $arg2 on 6.12.
    s.scenario("kp_multi", |s| {
        s.background(OPEN_MARKER);
        s.run(
            "kp_multi",
            40,
            "kprobe --json -d 5 'p:do_sys_openat2 filename=+0(arg2):string' 'r:do_sys_openat2 ret=$retval'",
        );
    });
    // A register that holds no argument: warned about, and the run goes on.
    s.scenario("kp_warn", |s| {
        s.run(
            "kp_warn",
            30,
            "kprobe --json -v 'p:myprobe do_sys_openat2 dfd=%ax'",
        );
    });
    // The design's example on 6.x: the open path no longer calls do_sys_open. The run must end
    // saying the probe saw nothing and what open(2) enters instead, besides the %ax warning.
    s.scenario("kp_silent", |s| {
        s.background(OPEN_MARKER);
        s.run(
            "kp_silent",
            40,
            "kprobe --json -d 4 'p:myprobe do_sys_open dfd=%ax'",
        );
        // A function that is called, and a count that sees nothing: funccount says so too.
        s.run("fc_silent", 40, "funccount --json -d 2 do_sys_open");
    });
    // funccount as bcc: tracepoints (t:), per process (-P), one process (-p), a regex (-r).
    s.scenario("fc_tp", |s| {
        s.raw("mkdir -p /tmp/lkttp; ln -sf /bin/busybox /tmp/lkttp/true");
        s.background(TP_EXECS);
        s.run(
            "fc_tp",
            60,
            "funccount --json -d 5 't:sched:sched_process_exec'",
        );
        s.run("fc_tp_none", 30, "funccount -d 1 't:sched:no_such_*'");
        s.run(
            "fc_tp_backend",
            30,
            "funccount --backend profiler -d 1 't:sched:*'",
        );
    });
    s.scenario("fc_tp_per", |s| {
        s.raw("mkdir -p /tmp/lkttp; ln -sf /bin/busybox /tmp/lkttp/true");
        s.background(TP_EXECS);
        s.run(
            "fc_tp_per",
            60,
            "funccount --json -P -d 5 't:sched:sched_process_e*'",
        );
    });
    s.scenario("fc_tp_sigint", |s| {
        s.raw("mkdir -p /tmp/lkttp; ln -sf /bin/busybox /tmp/lkttp/true");
        s.run(
            "fc_tp_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; funccount --json -P 't:sched:sched_process_exec' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
             /tmp/lkttp/true; /tmp/lkttp/true; sleep 1; \
             kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
    s.scenario("fc_pid", |s| {
        // The loop shell reads the marker itself (vfs_read from its own pid); dd reads from
        // another process and must not be counted.
        s.raw("(while :; do read -r _x < \"$MARK\"; sleep 0.3; done) & LOOP=$!; export LOOP");
        s.value("fc_pid.loop", "\"$LOOP\"");
        s.background(&format!("await_tracing; {DD}"));
        s.run(
            "fc_pid",
            60,
            "funccount --json -d 4 -P -p \"$LOOP\" vfs_read",
        );
        s.raw("kill $LOOP");
        s.run("fc_pid_gone", 30, "funccount -d 1 -p 4000000 vfs_read");
    });
    s.scenario("fc_user", |s| {
        s.raw(&format!("chmod 755 {UPPROG}"));
        s.background(&format!("await_tracing; {UPPROG} 7 >/dev/null"));
        s.run(
            "fc_user",
            60,
            &format!("funccount --json -d 5 'u:{UPPROG}:lkt_*'"),
        );
        s.run(
            "fc_user_none",
            30,
            &format!("funccount -d 1 'u:{UPPROG}:zzq_*'"),
        );
    });
    s.scenario("fc_regex", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run(
            "fc_regex",
            60,
            "funccount --json -d 4 -r '^vfs_(read|write)$'",
        );
        s.run("fc_regex_bad", 30, "funccount -d 1 -r 'vfs_(read'");
    });
    // argdist: the read sizes of dd's 1-byte reads, counted in the kernel.
    s.scenario("kp_hist", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run(
            "kp_hist",
            40,
            "kprobe --json -d 4 --hist bytes 'p:vfs_read bytes=arg3'",
        );
        s.background(&format!("await_tracing; {DD}"));
        s.run(
            "kp_count",
            40,
            "kprobe --json -d 4 --count bytes 'p:rd vfs_read bytes=arg3'",
        );
        s.run(
            "kp_hist_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; kprobe --json --hist bytes 'p:vfs_read bytes=arg3' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
                 {DD}; sleep 1; kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
        s.run("kp_hist_bad", 30, "kprobe --hist nosuch 'p:vfs_read bytes=arg3'");
    });
    // stackcount: the kernel stacks of dd's reads, counted by a hist trigger on vfs_read.
    s.scenario("sc_dd", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run("sc_dd", 60, "stackcount --json -d 4 vfs_read");
        // -p: only the stacks of a process the test starts and names (dd itself: `exec`),
        // beside another dd that is not counted.
        s.raw(": >/tmp/.o; : >/tmp/.e; (await_tracing; exec dd if=/lkt/payload of=/dev/null bs=1 count=100 2>/dev/null) & SCP=$!; export SCP");
        s.background(&format!("await_tracing; {DD}"));
        s.run("sc_pid", 60, "stackcount --json -d 6 -p $SCP vfs_read");
    });
    s.scenario("sc_folded", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run(
            "sc_folded",
            60,
            "stackcount --folded --svg /tmp/sc.svg -d 4 'vfs_rea*'",
        );
        s.run(
            "sc_svg",
            10,
            "head -c 60 /tmp/sc.svg; echo; grep -c '<svg' /tmp/sc.svg; grep -o -e ksys_read -e __x64_sys_read /tmp/sc.svg | head -n 1; rm -f /tmp/sc.svg",
        );
    });
    s.scenario("sc_sigint", |s| {
        s.run(
            "sc_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; stackcount --json vfs_read >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
                 {DD}; sleep 1; kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
    // A tracepoint's stacks (bcc's t:SYSTEM:EVENT): the workload's three execs.
    s.scenario("sc_tp", |s| {
        s.raw("mkdir -p /tmp/lkttp; ln -sf /bin/busybox /tmp/lkttp/true");
        s.background(TP_EXECS);
        s.run(
            "sc_tp",
            60,
            "stackcount --json -d 5 t:sched:sched_process_exec",
        );
        s.run(
            "sc_tp_bad",
            30,
            "stackcount -d 1 t:sched:no_such_tracepoint",
        );
    });
    // The command lines of examples/stackcount_example.txt, as a terminal shows them.
    s.scenario("sc_examples", |s| {
        s.background(&format!("await_tracing; {DD}"));
        s.run("sc_ex_text", 60, "stackcount -d 3 vfs_read");
        s.background(&format!("await_tracing; {DD}; ls / >/dev/null"));
        s.run("sc_ex_folded", 60, "stackcount --folded -d 3 'vfs_rea*'");
        s.run("sc_ex_json", 60, "stackcount --json -d 1 ksys_write");
        s.raw("mkdir -p /tmp/lkttp; ln -sf /bin/busybox /tmp/lkttp/true");
        s.background(TP_EXECS);
        s.run("sc_ex_tp", 60, "stackcount -d 4 t:sched:sched_process_exec");
    });
    s.scenario("sc_bad", |s| {
        s.run("sc_bad_fn", 30, "stackcount -d 1 no_such_function_xyz");
        s.run("sc_bad_glob", 30, "stackcount -d 1 'vfs_read;ls'");
        s.run("sc_bad_many", 30, "stackcount -d 1 --max-probes 2 'vfs_*'");
    });
    // Argument names from BTF: traced where the kernel has them (6.12), refused before
    // anything is written where it does not (6.1).
    s.scenario("kp_btf", |s| {
        s.background(OPEN_MARKER);
        s.run(
            "kp_btf",
            40,
            "kprobe --json -d 5 'p:btfopen do_sys_openat2 dfd fl=how->flags'",
        );
    });
    s.scenario("kp_examples", |s| {
        s.background(OPEN_MARKER);
        s.run(
            "kp_ex_args",
            40,
            "kprobe -H -d 3 'p:myopen do_sys_openat2 filename=+0(arg2):string flags=+0(arg3):x64'",
        );
        s.background(OPEN_MARKER);
        s.run(
            "kp_ex_multi",
            40,
            "kprobe -d 3 'p:do_sys_openat2 filename=+0(arg2):string' 'r:do_sys_openat2 ret=$retval'",
        );
        s.run(
            "kp_ex_warn",
            30,
            "kprobe -v 'p:myprobe do_sys_openat2 dfd=%ax'",
        );
    });

    // tpoint on sched:sched_process_exec (on every kernel): the workload execs a path of its
    // own three times, so its events are told apart from the harness's own execs.
    s.raw("mkdir -p /tmp/lkttp; ln -sf /bin/busybox /tmp/lkttp/true");
    s.scenario("tp_exec", |s| {
        s.background(TP_EXECS);
        s.run("tp_exec", 40, "tpoint --json -d 5 sched:sched_process_exec");
    });
    s.scenario("tp_filter", |s| {
        s.background(TP_EXECS);
        s.run(
            "tp_filter",
            40,
            "lktrace tpoint --json -d 5 sched:sched_process_exec 'filename ~ \"*lkttp*\"'",
        );
    });
    s.scenario("tp_sigint", |s| {
        s.run(
            "tp_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; tpoint --json sched:sched_process_exec >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
             /tmp/lkttp/true; /tmp/lkttp/true; /tmp/lkttp/true; sleep 1; \
             kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
    s.scenario("tp_bad", |s| {
        s.run("tp_bad_name", 30, "tpoint sched:no_such_tracepoint");
        s.run(
            "tp_bad_filter",
            30,
            "tpoint -d 1 sched:sched_process_exec 'no_such_field == 1'",
        );
        s.run("tp_bad_syntax", 30, "tpoint 'sched sched_process_exec'");
    });
    s.scenario("tp_list", |s| {
        s.run("tp_list", 30, "tpoint --json -l 'sched:*'");
        s.run("tp_list_all", 30, "tpoint -l");
        s.run("tp_format", 30, "tpoint -v sched:sched_process_exec");
    });
    s.scenario("list", |s| {
        s.run("list_vfs", 60, "lktrace list --json 'vfs_rea*'");
        s.run("list_tp", 30, "lktrace list -t 'sched:sched_process_e*'");
        s.run("list_kp", 60, "lktrace list -k --json 'do_sys_open*'");
        s.run("list_fn_text", 60, "lktrace list -f 'vfs_re*'");
        s.run("list_none", 60, "lktrace list 'zzq_no_such_*'");
        s.run("list_bad", 10, "lktrace list 'a;b'");
        s.run(
            "list_user",
            30,
            &format!("lktrace list --json -u {UPPROG} 'lkt_*'"),
        );
    });
    s.scenario("tp_examples", |s| {
        s.background(TP_EXECS);
        s.run("tp_ex_h", 40, "tpoint -H -d 3 sched:sched_process_exec");
        s.background(TP_EXECS);
        s.run(
            "tp_ex_filter",
            40,
            "tpoint -s -d 3 sched:sched_process_exec 'filename ~ \"*lkttp*\"'",
        );
        s.run("tp_ex_list", 30, "tpoint -l 'sched:sched_process_*'");
        s.run("tp_ex_readme", 10, "cat $T/README");
    });

    // uprobe (on every kernel): the test program's functions, called a known number of times,
    // and busybox's entry point (a stripped static file: addressed as 0xADDR).
    s.raw(&format!(
        "chmod 755 {UPPROG}; mkdir -p /tmp/lktup; cp /bin/busybox {UP_BB}"
    ));
    let entry = busybox_entry();
    s.scenario("up_busybox", |s| {
        s.background(&format!(
            "await_tracing; for i in 1 2 3 4 5; do {UP_BB} true; done"
        ));
        // A bare program name, found in PATH.
        s.run(
            "up_busybox",
            40,
            &format!("PATH=/tmp/lktup:$PATH uprobe --json -d 5 'p:bb busybox:0x{entry:x}'"),
        );
    });
    s.scenario("up_prog", |s| {
        s.background(&format!("await_tracing; {UPPROG} 7"));
        s.run(
            "up_prog",
            40,
            &format!("uprobe --json -d 5 'p:{UPPROG}:lkt_hit n=arg1:s32'"),
        );
        s.background(&format!("await_tracing; {UPPROG} 2"));
        s.run(
            "up_stack",
            40,
            &format!("uprobe --json -s -d 5 'p:{UPPROG}:lkt_hit'"),
        );
    });
    s.scenario("up_return", |s| {
        s.background(&format!("await_tracing; {UPPROG} 5"));
        s.run(
            "up_ret_string",
            40,
            &format!("uprobe --json -d 5 'r:{UPPROG}:lkt_name s=+0($retval):string'"),
        );
        s.background(&format!("await_tracing; {UPPROG} 4"));
        s.run(
            "up_ret_value",
            40,
            "PATH=/lkt:$PATH uprobe --json -d 5 'r:upprog:lkt_hit ret=$retval:s32'",
        );
    });
    s.scenario("up_list", |s| {
        s.run("up_list", 30, &format!("uprobe --json -l {UPPROG}"));
        s.run("up_list_text", 30, "PATH=/lkt:$PATH uprobe -l upprog");
        s.run(
            "up_format",
            30,
            &format!("uprobe -v 'p:{UPPROG}:lkt_hit n=arg1:s32'"),
        );
    });
    s.scenario("up_sigint", |s| {
        s.run(
            "up_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; uprobe --json 'p:{UPPROG}:lkt_hit' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
             {UPPROG} 4 >/dev/null; sleep 1; kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
    s.scenario("up_bad", |s| {
        s.run(
            "up_bad_symbol",
            30,
            &format!("uprobe 'p:{UPPROG}:no_such_function'"),
        );
        s.run("up_bad_file", 30, "uprobe 'p:no_such_program_lkt:main'");
        s.run(
            "up_bad_arg",
            30,
            &format!("uprobe 'p:{UPPROG}:lkt_hit $nope'"),
        );
        s.run("up_bad_stripped", 30, &format!("uprobe -l {UP_BB}"));
        s.run(
            "up_bad_filter",
            30,
            &format!("uprobe -d 1 'p:{UPPROG}:lkt_hit' 'no_such_field == 1'"),
        );
        s.run("up_bad_usage", 30, "uprobe -l");
    });
    s.scenario("up_examples", |s| {
        s.background(&format!("await_tracing; {UPPROG} 3"));
        s.run(
            "up_ex_args",
            40,
            &format!("uprobe -d 3 'p:{UPPROG}:lkt_hit n=arg1:s32'"),
        );
        s.background(&format!("await_tracing; {UPPROG} 3"));
        s.run(
            "up_ex_ret",
            40,
            &format!("uprobe -H -d 3 'r:{UPPROG}:lkt_name +0($retval):string'"),
        );
        s.background(&format!("await_tracing; {UPPROG} 1"));
        s.run(
            "up_ex_stack",
            40,
            &format!("uprobe -s -d 3 p:{UPPROG}:lkt_hit"),
        );
        s.background(&format!("await_tracing; {UP_BB} true; {UP_BB} true"));
        s.run(
            "up_ex_addr",
            40,
            &format!("uprobe -d 3 p:{UP_BB}:0x{entry:x}"),
        );
        s.run("up_ex_list", 30, &format!("uprobe -l {UPPROG} | grep lkt_"));
        s.run(
            "up_ex_format",
            30,
            &format!("uprobe -v 'p:{UPPROG}:lkt_hit n=arg1:s32'"),
        );
    });

    let workload = format!("await_tracing; {DD}; sleep 1; {DD}");
    let mut fc = vec![("fc_auto", "lktrace funccount --json -d 6 'vfs_*'")];
    // Forced, on every kernel: where the profiler is missing, its clear refusal is the check.
    fc.push((
        "fc_profiler",
        "funccount --json --backend profiler -d 6 'vfs_*'",
    ));
    fc.push((
        "fc_kprobe_profile",
        "funccount --json --backend kprobe-profile -d 6 'vfs_*'",
    ));
    fc.push(("fc_hist", "funccount --json --backend hist -d 6 'vfs_*'"));
    fc.push((
        "fc_function_trace",
        "funccount --json --backend function-trace -d 6 'vfs_*'",
    ));
    fc.push(("fc_interval", "lktrace funccount --json -i 2 -d 6 'vfs_*'"));
    for (name, cmd) in fc {
        s.scenario(name, |s| {
            s.background(&workload);
            s.run(name, 60, cmd);
        });
    }

    // examples/funccount_example.txt: perf-tools' own command lines, text as people see it.
    s.scenario("fc_examples", |s| {
        let dd500 = "await_tracing; dd if=/lkt/payload of=/dev/null bs=1 count=500 2>/dev/null";
        s.background(dd500);
        s.run("fc_ex_glob", 60, "funccount 'vfs_*' -d 5");
        s.background(dd500);
        s.run("fc_ex_interval", 60, "funccount -T -i 1 -d 3 -t 3 'vfs_*'");
        s.background(dd500);
        s.run(
            "fc_ex_kprobe",
            90,
            "funccount --backend kprobe-profile 'vfs_r*' -d 3",
        );
        s.background(dd500);
        s.run("fc_ex_debug", 60, "funccount --debug -d 2 vfs_read");
    });

    // Ending runs the ways people do: Ctrl-C, a closed pipe, SIGKILL.
    s.scenario("kp_sigint", |s| {
        s.run(
            "kp_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; lktrace kprobe --json 'p:vfs_read' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
             dd if=/lkt/payload of=/dev/null bs=1 count=20 2>/dev/null; sleep 1; \
             kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
    s.scenario("fc_sigint", |s| {
        s.run(
            "fc_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; lktrace funccount --json 'vfs_*' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
             {DD}; sleep 1; kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
    // A second Ctrl-C during teardown: still torn down, just with fewer writes.
    s.scenario("fc_sigint2", |s| {
        s.run("fc_sigint2", 60, &format!(
            "rm -f /tmp/k.o /tmp/k.e; lktrace funccount --json 'vfs_*' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
             {DD}; kill -INT $K; sleep 0.05; kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
        ));
    });
    s.scenario("kp_pipe", |s| {
        s.raw("(while :; do dd if=/lkt/payload of=/dev/null bs=1 count=5 2>/dev/null; sleep 0.2; done) & DDLOOP=$!");
        s.run(
            "kp_pipe",
            60,
            "(lktrace kprobe 'p:vfs_read' 2>/tmp/k.e; echo \"lktrace rc=$?\" >/tmp/k.rc) | head -n 3; \
             sleep 1; cat /tmp/k.rc; cat /tmp/k.e >&2",
        );
        s.raw("kill $DDLOOP");
    });
    s.scenario("reap", |s| {
        s.run(
            "reap_kill",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; lktrace kprobe 'p:vfs_read' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; kill -9 $K; \
             wait $K; echo $K; ls $T/instances; grep lkt_ $T/kprobe_events"
            ),
        );
        // The next run of any tool removes what the dead one left.
        s.run("reap_next", 60, "lktrace funccount --json -d 1 'vfs_read'");
    });
    // Counting runs arm their probes with triggers, not in an instance: killed, they leave
    // probes held by triggers, which the next run must take off before it can remove them.
    s.scenario("reap_counting", |s| {
        for b in ["kprobe-profile", "hist"] {
            s.run(
                &format!("reap_kill_{b}"),
                60,
                &format!(
                    "rm -f /tmp/k.o /tmp/k.e; lktrace funccount --backend {b} 'vfs_*' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; kill -9 $K; \
                 wait $K; echo $K; ls $T/instances; grep -c lkt_ $T/kprobe_events; cat $T/events/lkt_$K/*/trigger | grep -v '^#' | sort | uniq -c"
                ),
            );
        }
        s.run("reap_counting_next", 60, "lktrace ctl reset --json");
    });

    // perf-tools' reset-ftrace: whatever someone left on, back to the kernel's defaults (which
    // is what the snapshot before saw on a fresh boot).
    s.scenario("reset_all", |s| {
        s.raw(
            "echo vfs_read > $T/set_ftrace_filter; echo function > $T/current_tracer; \
             echo 'p:mine/left vfs_write' >> $T/kprobe_events; echo 1 > $T/events/mine/left/enable; \
             [ -e $T/function_profile_enabled ] && echo 1 > $T/function_profile_enabled; \
             mkdir $T/instances/lktrace_99998; true",
        );
        s.snapshot("reset_all.messed");
        s.run("reset_all", 120, "lktrace ctl reset --all --json");
    });

    // A dead run's leftovers (pid 99999 does not exist) and a probe lktrace does not own.
    s.scenario("ctl_reset", |s| {
        s.raw(
            "mkdir $T/instances/lktrace_99999; echo 'p:lkt_99999/x vfs_read' >> $T/kprobe_events; \
             echo 'p:mine/keep vfs_write' >> $T/kprobe_events",
        );
        s.snapshot("ctl_reset.planted");
        s.run("ctl_reset", 120, "lktrace ctl reset --json");
        s.snapshot("ctl_reset.left");
        // Our own probe; and whatever reset did not remove, so later checks start clean.
        s.raw(
            "echo '-:mine/keep' >> $T/kprobe_events; echo '-:lkt_99999/x' 2>/dev/null >> $T/kprobe_events; \
             rmdir $T/instances/lktrace_99999 2>/dev/null; true",
        );
    });

    // Overlapping runs (issue 7): two funccount with overlapping patterns and two kprobe on the
    // same function with different filters, all at once, beside a shell user's enabled kprobe
    // event. Every run's numbers must be its own. The user's event is set up outside the
    // scenario, so its before/after snapshots both hold it: untouched, and tracefs as it began.
    s.raw(
        "echo 'p:shell_user/sv vfs_read' >> $T/kprobe_events; echo 1 > $T/events/shell_user/sv/enable",
    );
    s.scenario("overlap", |s| {
        s.run(
            "overlap_all",
            240,
            "rm -f /tmp/ov_*; \
             lktrace funccount --json 'vfs_*' >/tmp/ov_fc1.o 2>/tmp/ov_fc1.e & F1=$!; \
             lktrace funccount --json 'vfs_read*' >/tmp/ov_fc2.o 2>/tmp/ov_fc2.e & F2=$!; \
             lktrace kprobe --json 'p:ovr vfs_read count=%dx:u64' 'count == 1' >/tmp/ov_kp1.o 2>/tmp/ov_kp1.e & K1=$!; \
             lktrace kprobe --json 'p:ovr vfs_read count=%dx:u64' 'count == 3' >/tmp/ov_kp2.o 2>/tmp/ov_kp2.e & K2=$!; \
             i=0; until [ \"$(cat /tmp/ov_*.o /tmp/ov_*.e 2>/dev/null | grep -c Tracing)\" -ge 4 ]; do \
               sleep 1; i=$((i+1)); [ $i -gt 150 ] && break; done; \
             dd if=/lkt/payload of=/dev/null bs=1 count=2000 2>/dev/null; \
             dd if=/lkt/payload of=/dev/null bs=3 count=50 2>/dev/null; sleep 1; \
             kill -INT $F1 $F2 $K1 $K2; wait $F1 $F2 $K1 $K2; \
             echo \"waited $i s\"",
        );
        for n in ["fc1", "fc2", "kp1", "kp2"] {
            s.run(
                &format!("overlap_{n}"),
                10,
                &format!("cat /tmp/ov_{n}.o; cat /tmp/ov_{n}.e >&2"),
            );
        }
    });
    s.raw("echo 0 > $T/events/shell_user/sv/enable; echo '-:shell_user/sv' >> $T/kprobe_events");

    func_scenarios(&mut s);
    // Last: the top-level function_graph tracer is the heaviest load under TCG.
    funcgraph::scenarios(&mut s);

    let mut v = Vm::new(k, k.name(), s);
    v.files
        .push((UPPROG.into(), std::fs::read(upprog()).unwrap()));
    v.net = true;
    v
}

// ---------------------------------------------------------------------------------------------
// functrace, funcgraph, funcslower (issue 11): their scenarios

/// A process waiting for `/tmp/$1.go`, then `exec`ing dd (so its pid does the reads):
/// `-p` can name it before it reads. `$1` names it; its pid is in `$P`.
fn waiting_dd(s: &mut Script, name: &str, count: u32) {
    s.raw(&format!(
        "rm -f /tmp/{name}.go; (while [ ! -e /tmp/{name}.go ]; do sleep 0.1; done; \
         exec dd if=/lkt/payload of=/dev/null bs=1 count={count} 2>/dev/null) & P=$!; export P"
    ));
    s.value(&format!("{name}.pid"), "\"$P\"");
    s.background(&format!("await_tracing; touch /tmp/{name}.go"));
}

fn func_scenarios(s: &mut Script) {
    s.scenario("ft_pid", |s| {
        waiting_dd(s, "ft_pid", 100);
        s.run("ft_pid", 60, "functrace --json -d 6 -p \"$P\" vfs_read");
    });
    s.scenario("ft_sigint", |s| {
        s.run(
            "ft_sigint",
            60,
            &format!(
                "rm -f /tmp/k.o /tmp/k.e; functrace --json 'vfs_rea*' >/tmp/k.o 2>/tmp/k.e & K=$!; {AWAIT_K}; \
             dd if=/lkt/payload of=/dev/null bs=1 count=20 2>/dev/null; sleep 1; \
             kill -INT $K; wait $K; rc=$?; cat /tmp/k.o; cat /tmp/k.e >&2; exit $rc"
            ),
        );
    });
    s.scenario("ft_bad", |s| {
        s.run("ft_bad_func", 30, "functrace no_such_function_xyz");
        s.run("ft_bad_glob", 30, "functrace 'vfs read'");
        s.run("ft_bad_pid", 30, "functrace -p 99999999 vfs_read");
    });
    s.scenario("ft_examples", |s| {
        s.background("await_tracing; sleep 0.5; sleep 0.5");
        s.run("ft_ex_nanosleep", 40, "functrace -H -d 3 do_nanosleep");
        s.background(&format!("await_tracing; {DD}"));
        s.run("ft_ex_glob", 40, "lktrace functrace -d 3 'vfs_rea*'");
    });
}

/// The boot of kernel `k`, shared by every test; the kernels start on first use.
fn suite(k: Kernel) -> &'static Run {
    // One boot per kernel. Without a name filter all three boot at once, side by side; a filter
    // naming kernels (`debian12`, `debian13`, `profiler`, `debian`) boots only those, and any
    // other filter boots a kernel when one of its selected tests first needs it.
    static BOOTS: [OnceLock<Pending<Outcome>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    static EAGER: std::sync::Once = std::sync::Once::new();
    let boot = |k: Kernel| BOOTS[k.index()].get_or_init(|| vm::spawn_boot(move || batch(k)));
    // Two test threads would otherwise boot two kernels and leave the third for later.
    EAGER.call_once(|| {
        for k in Kernel::ALL.into_iter().filter(|k| k.selected_by_filter()) {
            boot(k);
        }
    });
    boot(k).get().run()
}

macro_rules! on_kernels {
    ($name:ident: $($f:ident => $k:ident),+ ; $body:expr) => {
        mod $name {
            use super::*;
            $(
                #[test]
                #[ignore = "boots real kernels in QEMU; run with --include-ignored after tests/vm/setup.sh"]
                fn $f() {
                    let body: fn(&Run) = $body;
                    body(suite(Kernel::$k));
                }
            )+
        }
    };
}

// Scenarios in modules of their own (after the macro, which they use).
#[path = "vm_tools/funcgraph.rs"]
mod funcgraph;
#[path = "vm_tools/funclatency.rs"]
mod funclatency;
#[path = "vm_tools/rough.rs"]
mod rough;
#[path = "vm_tools/syscount.rs"]
mod syscount;

// ---------------------------------------------------------------------------------------------
// Helpers

/// The records of type `ty` in block `name`, after checking every line of its stdout against
/// the documented JSON shapes (docs/json.md, tests/support/json_schema.rs).
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

fn str_field(v: &Value) -> Option<String> {
    v.as_str().map(|s| s.trim_matches('"').to_string())
}

#[track_caller]
fn events(run: &Run, name: &str) -> Vec<Value> {
    run.expect_rc(name, 0);
    let ev = records(run, name, "event");
    if ev.is_empty() {
        run.fail(format!(
            "`{name}` printed no event records:\n{}",
            run.block(name).stdout
        ));
    }
    ev
}

#[track_caller]
fn assert_marker_seen(run: &Run, name: &str, ev: &[Value]) {
    let m = marker();
    if !ev
        .iter()
        .any(|e| str_field(&e["fields"]["filename"]).as_deref() == Some(m.as_str()))
    {
        run.fail(format!(
            "`{name}`: no event with filename {m}:\n{}",
            run.block(name).stdout
        ));
    }
}

/// funccount 'vfs_*' around two `dd bs=1 count=100`.
#[track_caller]
fn check_funccount(run: &Run, name: &str, backend: &str) {
    let out = &run.expect_rc(name, 0).stdout;
    let recs = records(run, name, "counts");
    let Some(last) = recs.last() else {
        run.fail(format!("`{name}` printed no counts record:\n{out}"))
    };
    for r in &recs {
        if r["backend"] != backend {
            run.fail(format!(
                "`{name}`: backend {} (expected {backend:?}):\n{out}",
                r["backend"]
            ));
        }
        if !r["duration_s"].as_f64().is_some_and(|d| d > 0.0) {
            run.fail(format!("`{name}`: no positive duration_s in {r}"));
        }
    }
    let Some(counts) = last["counts"].as_array() else {
        run.fail(format!("`{name}`: no counts array in {last}"))
    };
    let count = |f: &str| {
        counts
            .iter()
            .find(|c| c["name"] == f)
            .and_then(|c| c["count"].as_u64())
    };
    for f in ["vfs_read", "vfs_write"] {
        match count(f) {
            Some(n) if n >= 100 => {}
            other => run.fail(format!(
                "`{name}`: {f} counted {other:?}, expected >= 100 (dd made 100):\n{out}"
            )),
        }
    }
    for c in counts {
        let n = c["name"].as_str().unwrap_or("");
        // ksys_read is called by the workload but does not match vfs_*.
        if !n.starts_with("vfs_") || n == "ksys_read" {
            run.fail(format!("`{name}`: {n:?} does not match 'vfs_*':\n{out}"));
        }
    }
    let seq: Vec<u64> = counts
        .iter()
        .map(|c| c["count"].as_u64().unwrap_or(0))
        .collect();
    if seq.windows(2).any(|w| w[0] > w[1]) {
        run.fail(format!("`{name}`: counts not sorted ascending: {seq:?}"));
    }
    run.assert_tracefs_unchanged(name);
}

// ---------------------------------------------------------------------------------------------
// The harness itself

/// Boots both kernels and checks the harness with nothing from lktrace but the binary: it runs,
/// the guest has 2 CPUs and a network, a raw kprobe counts dd's 100 reads, and the tracefs
/// snapshot around all that is identical.
#[test]
#[ignore = "boots real kernels in QEMU; run with --include-ignored after tests/vm/setup.sh"]
fn harness_self_test() {
    let start = std::time::Instant::now();
    let mut ran = 0;
    for k in Kernel::ALL {
        let run = suite(k);
        ran += 1;
        if let Some(p) = &run.problem {
            run.fail(format!("the boot did not end cleanly: {p}"));
        }
        let v = run.expect_rc("self_version", 0);
        if !v.stdout.starts_with("lktrace ") {
            run.fail(format!("lktrace --version printed {:?}", v.stdout));
        }
        if run.expect_rc("self_cpus", 0).stdout.trim() != "2" {
            run.fail("the guest does not have 2 CPUs");
        }
        if !run.expect_rc("self_net", 0).stdout.contains("10.0.2.15") {
            run.fail("eth0 has no 10.0.2.15");
        }
        if run.host_port.is_none() {
            run.fail("no host port forwarded");
        }
        let prof = &run.expect_rc("self_kprobe", 0).stdout;
        let hits = prof.lines().find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == 3 && w[0] == "x")
                .then(|| w[1].parse::<u64>().ok())
                .flatten()
        });
        match hits {
            Some(n) if (100..1000).contains(&n) => {}
            _ => run.fail(format!(
                "kprobe_profile should count >= 100 hits of x:\n{prof}"
            )),
        }
        run.assert_tracefs_unchanged("self");
        let snap = &run.block("self.before").stdout;
        for f in [
            "--- current_tracer",
            "--- kprobe_events",
            "--- instances/",
            "--- set_event",
        ] {
            if !snap.contains(f) {
                run.fail(format!("snapshot lacks {f}:\n{snap}"));
            }
        }
        let has_profiler = snap.contains("--- function_profile_enabled");
        if has_profiler != k.has_profiler() {
            run.fail(format!("function_profile_enabled present: {has_profiler}"));
        }
        eprintln!("{}", run.timings.describe(k));
    }
    eprintln!(
        "harness_self_test: {ran} kernel(s), waited {:.1}s",
        start.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// funccount

on_kernels!(funccount_vfs_auto: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    // Without the profiler the function tracer: it starts and stops in one step, where
    // kprobe_profile arms a kprobe per function (docs/performance.md).
    let (expected, why) = if run.kernel.has_profiler() {
        ("profiler", "counts in the kernel")
    } else {
        ("function_trace", "no function profiler here")
    };
    check_funccount(run, "fc_auto", expected);
    let notices = records(run, "fc_auto", "notice");
    let tracing = format!("backend {expected}: {why}");
    if !notices.iter().any(|n| n["message"].as_str().is_some_and(|m| m.contains(&tracing))) {
        run.fail(format!("`fc_auto`: no Tracing notice saying {tracing:?}: {notices:?}"));
    }
});

on_kernels!(funccount_vfs_hist: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    check_funccount(run, "fc_hist", "hist");
});

on_kernels!(funccount_vfs_kprobe_profile: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    check_funccount(run, "fc_kprobe_profile", "kprobe_profile");
});

on_kernels!(funccount_forced_profiler: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    if run.kernel.has_profiler() {
        check_funccount(run, "fc_profiler", "profiler");
        return;
    }
    // No fallback when the user asked for this backend: one clear line, exit 1, nothing left.
    let b = run.expect_rc("fc_profiler", 1);
    let first = b.stderr.lines().next().unwrap_or("");
    if !first.starts_with("lktrace: error:") || !b.stderr.contains("CONFIG_FUNCTION_PROFILER") {
        run.fail(format!("fc_profiler: expected an error naming CONFIG_FUNCTION_PROFILER:\n{}", b.stderr));
    }
    if !records(run, "fc_profiler", "counts").is_empty() {
        run.fail("fc_profiler: counts printed although the backend is missing");
    }
    run.assert_tracefs_unchanged("fc_profiler");
});

on_kernels!(funccount_vfs_function_trace: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    check_funccount(run, "fc_function_trace", "function_trace");
});

on_kernels!(funccount_interval: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("fc_interval", 0);
    let n = records(run, "fc_interval", "counts").len();
    if n < 2 {
        run.fail(format!("-i 2 -d 6 gave {n} counts records, expected >= 2"));
    }
    run.assert_tracefs_unchanged("fc_interval");
});

// ---------------------------------------------------------------------------------------------
// kprobe

on_kernels!(kprobe_entry_string: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = events(run, "kp_entry");
    for e in &ev {
        if e["event"] != "myopen" {
            run.fail(format!("kp_entry: event named {} (expected myopen): {e}", e["event"]));
        }
        if !e["pid"].is_u64() || !e["cpu"].is_u64() || !e["timestamp"].is_number() {
            run.fail(format!("kp_entry: event lacks pid/cpu/timestamp: {e}"));
        }
    }
    assert_marker_seen(run, "kp_entry", &ev);
    if !ev.iter().any(|e| e["comm"] == "cat") {
        run.fail("kp_entry: no event from comm cat");
    }
    run.assert_tracefs_unchanged("kp_entry");
});

on_kernels!(kprobe_return: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = events(run, "kp_return");
    for e in &ev {
        if e["event"] != "do_sys_openat2" || e["fields"].get("ret").is_none() {
            run.fail(format!("kp_return: expected event do_sys_openat2 with a ret field: {e}"));
        }
    }
    run.assert_tracefs_unchanged("kp_return");
});

on_kernels!(kprobe_pid_filter: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let pid: u64 = match run.block("kp_pid.loop").stdout.trim().parse() {
        Ok(p) => p,
        Err(_) => run.fail("no loop pid"),
    };
    let ev = events(run, "kp_pid");
    for e in &ev {
        if e["pid"].as_u64() != Some(pid) {
            run.fail(format!("kp_pid: event from pid {} (only {pid} wanted): {e}", e["pid"]));
        }
    }
    assert_marker_seen(run, "kp_pid", &ev);
    run.assert_tracefs_unchanged("kp_pid");
});

on_kernels!(kprobe_stacks: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("kp_stack", 0);
    let stacks = records(run, "kp_stack", "stack");
    let hit = stacks
        .iter()
        .any(|s| s["frames"].as_array().is_some_and(|f| f.iter().any(|fr| fr.to_string().contains("do_sys_openat2"))));
    if !hit {
        run.fail(format!("kp_stack: no stack record with a do_sys_openat2 frame:\n{}", run.block("kp_stack").stdout));
    }
    run.assert_tracefs_unchanged("kp_stack");
});

on_kernels!(kprobe_bad_definition: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    // lktrace checks the grammar before the kernel sees it (TRACEFS.md section 1): the
    // message names the bad variable and the caret sits under it. What only the kernel can
    // judge is `kprobe_kernel_refusal` below, with the kernel's own error_log text.
    let b = run.expect_rc("kp_bad", 1);
    let err = &b.stderr;
    if !err.starts_with("lktrace: error: bad probe definition") || !err.contains("$none_var") {
        run.fail(format!("kp_bad: stderr does not name the bad variable:\n{err}"));
    }
    let lines: Vec<&str> = err.lines().collect();
    let caret_ok = lines.windows(2).any(|w| {
        w[0].trim_start() == "p:bad vfs_read $none_var"
            && w[1].trim_end().ends_with('^')
            && w[1].trim_end().len() - 1 == w[0].find('$').unwrap_or(usize::MAX)
    });
    if !caret_ok {
        run.fail(format!("kp_bad: no caret under `$none_var`:\n{err}"));
    }
    run.assert_tracefs_unchanged("kp_bad");
});

on_kernels!(kprobe_kernel_refusal: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("kp_bad_kernel", 1);
    if !b.stderr.contains("Invalid probed address or symbol") {
        run.fail(format!("kp_bad_kernel: stderr lacks the kernel's error_log message:\n{}", b.stderr));
    }
    if !b.stderr.lines().any(|l| l.trim() == "^") {
        run.fail(format!("kp_bad_kernel: stderr has no caret line:\n{}", b.stderr));
    }
    run.assert_tracefs_unchanged("kp_bad");
});

on_kernels!(kprobe_view_format: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("kp_format", 0);
    if !b.stdout.contains("field:") || !b.stdout.contains("filename") {
        run.fail(format!("kp_format: -v printed no format:\n{}", b.stdout));
    }
    let f = records(run, "kp_format_json", "format");
    if run.block("kp_format_json").rc != 0 || !f.iter().any(|r| r["text"].as_str().is_some_and(|t| t.contains("field:"))) {
        run.fail("kp_format_json: `kprobe --json -v` gave no format record with the format text");
    }
    run.assert_tracefs_unchanged("kp_format");
});

// ---------------------------------------------------------------------------------------------
// kprobe: several definitions, portable and BTF argument names, register warnings

on_kernels!(kprobe_several_definitions: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = events(run, "kp_multi");
    let entry: Vec<&Value> = ev.iter().filter(|e| e["event"] == "do_sys_openat2").collect();
    let ret: Vec<&Value> = ev.iter().filter(|e| e["event"] == "do_sys_openat2_ret").collect();
    if ev.len() != entry.len() + ret.len() {
        run.fail(format!("kp_multi: events other than do_sys_openat2(_ret):\n{}", run.block("kp_multi").stdout));
    }
    // arg2 is the file name on every kernel: %si on 6.1, the kernel's own $arg2 on 6.12.
    let owned: Vec<Value> = entry.iter().map(|e| (*e).clone()).collect();
    assert_marker_seen(run, "kp_multi", &owned);
    if ret.is_empty() || !ret.iter().all(|e| e["fields"].get("ret").is_some()) {
        run.fail(format!("kp_multi: no return events with ret:\n{}", run.block("kp_multi").stdout));
    }
    let notices = records(run, "kp_multi", "notice");
    if !notices.iter().any(|n| n["message"].as_str().is_some_and(|m| m.contains("kprobes do_sys_openat2, do_sys_openat2_ret"))) {
        run.fail(format!("kp_multi: the notice does not name both events: {notices:?}"));
    }
    run.assert_tracefs_unchanged("kp_multi");
});

on_kernels!(kprobe_register_warning: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("kp_warn", 0);
    let notices = records(run, "kp_warn", "notice");
    let warned = notices.iter().any(|n| {
        n["level"] == "warning"
            && n["message"].as_str().is_some_and(|m| m.contains("`dfd=%ax`") && m.contains("argument 1 is %di") && m.contains("x86_64"))
    });
    if !warned {
        run.fail(format!("kp_warn: no warning naming %di for dfd=%ax: {notices:?}"));
    }
    run.assert_tracefs_unchanged("kp_warn");
});

/// Sums `counts` of block `name` over rows whose keys satisfy `keep`.
fn counted(run: &Run, name: &str, keep: impl Fn(&Value) -> bool) -> u64 {
    records(run, name, "counts")
        .iter()
        .flat_map(|c| c["counts"].as_array().cloned().unwrap_or_default())
        .filter(|c| keep(c))
        .filter_map(|c| c["count"].as_u64())
        .sum()
}

on_kernels!(funccount_like_bcc: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    // t: one hist trigger on the tracepoint; the workload made three execs (other execs, the
    // harness's sleeps, may add to it).
    run.expect_rc("fc_tp", 0);
    let n = counted(run, "fc_tp", |c| c["name"] == "sched:sched_process_exec");
    if n < 3 {
        run.fail(format!("fc_tp: {n} execs counted (3 made):\n{}", run.block("fc_tp").stdout));
    }
    let said = records(run, "fc_tp", "notice").iter().any(|n| {
        n["message"].as_str().is_some_and(|m| m.contains("(1 tracepoint, backend hist"))
    });
    if !said {
        run.fail(format!("fc_tp: no Tracing notice naming 1 tracepoint and the hist backend:\n{}", run.block("fc_tp").stdout));
    }
    run.assert_tracefs_unchanged("fc_tp");
    let b = run.expect_rc("fc_tp_none", 1);
    if b.stderr.trim_end() != "lktrace: error: no tracepoint `sched:no_such_*` in available_events" {
        run.fail(format!("fc_tp_none: expected one line naming the pattern:\n{}", b.stderr));
    }
    let b = run.expect_rc("fc_tp_backend", 2);
    if !b.stderr.contains("tracepoints (t:) and user functions (u:) are counted by the hist backend, not profiler") {
        run.fail(format!("fc_tp_backend:\n{}", b.stderr));
    }

    // -P: per process; exactly the workload's three execs of `true`, and its exits.
    run.expect_rc("fc_tp_per", 0);
    let is = |c: &Value, tp: &str| c["keys"]["comm"] == "true" && c["keys"]["tracepoint"] == tp;
    let execs = counted(run, "fc_tp_per", |c| is(c, "sched:sched_process_exec"));
    let exits = counted(run, "fc_tp_per", |c| is(c, "sched:sched_process_exit"));
    if execs != 3 || exits != 3 {
        run.fail(format!("fc_tp_per: `true` exec'd {execs} and exited {exits} times (3 each made):\n{}", run.block("fc_tp_per").stdout));
    }
    run.assert_tracefs_unchanged("fc_tp_per");

    // Ctrl-C: the counts so far, then everything removed.
    run.expect_rc("fc_tp_sigint", 130);
    let n = counted(run, "fc_tp_sigint", |c| c["keys"]["comm"] == "true");
    if n != 2 {
        run.fail(format!("fc_tp_sigint: {n} execs of `true` before Ctrl-C (2 made):\n{}", run.block("fc_tp_sigint").stdout));
    }
    run.assert_tracefs_unchanged("fc_tp_sigint");

    // -p: only the loop shell's reads, keyed by its pid.
    run.expect_rc("fc_pid", 0);
    let pid: u64 = match run.block("fc_pid.loop").stdout.trim().parse() {
        Ok(p) => p,
        Err(_) => run.fail("fc_pid.loop: no pid"),
    };
    let all = counted(run, "fc_pid", |_| true);
    let mine = counted(run, "fc_pid", |c| c["keys"]["pid"] == pid && c["keys"]["func"] == "vfs_read");
    if mine == 0 || mine != all {
        run.fail(format!("fc_pid: {mine} of {all} counted reads from pid {pid}:\n{}", run.block("fc_pid").stdout));
    }
    run.assert_tracefs_unchanged("fc_pid");
    let b = run.expect_rc("fc_pid_gone", 2);
    if b.stderr.trim_end() != "lktrace: error: no process with pid 4000000" {
        run.fail(format!("fc_pid_gone:\n{}", b.stderr));
    }

    // u: one uprobe per function of the test program, 7 calls each.
    run.expect_rc("fc_user", 0);
    let hit = counted(run, "fc_user", |c| c["name"] == "lkt_hit");
    let name = counted(run, "fc_user", |c| c["name"] == "lkt_name");
    if hit != 7 || name != 7 {
        run.fail(format!("fc_user: lkt_hit {hit}, lkt_name {name} (7 calls each):\n{}", run.block("fc_user").stdout));
    }
    run.assert_tracefs_unchanged("fc_user");
    let b = run.expect_rc("fc_user_none", 1);
    if b.stderr.lines().count() != 1 || !b.stderr.contains("no function of /lkt/upprog matches `zzq_*`") {
        run.fail(format!("fc_user_none:\n{}", b.stderr));
    }

    // -r: the names the expression selects, and dd's 100 reads and writes among them.
    run.expect_rc("fc_regex", 0);
    let names: Vec<String> = records(run, "fc_regex", "counts")
        .iter()
        .flat_map(|c| c["counts"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    let reads = counted(run, "fc_regex", |c| c["name"] == "vfs_read");
    let writes = counted(run, "fc_regex", |c| c["name"] == "vfs_write");
    if names.iter().any(|n| n != "vfs_read" && n != "vfs_write") || reads < 100 || writes < 100 {
        run.fail(format!("fc_regex: {reads} reads, {writes} writes, names {names:?}:\n{}", run.block("fc_regex").stdout));
    }
    run.assert_tracefs_unchanged("fc_regex");
    let b = run.expect_rc("fc_regex_bad", 2);
    if b.stderr.lines().count() != 1 || !b.stderr.contains("regular expression") {
        run.fail(format!("fc_regex_bad:\n{}", b.stderr));
    }
});

on_kernels!(silent_runs_say_so: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("kp_silent", 0);
    // Debian's builds inline do_sys_open into open(2)'s handler: the probe on the out-of-line
    // copy sees nothing. The profiler kernel's build calls it out of line from open(2), which
    // the guest's cat uses: there it fires, and the run must not claim it was silent.
    let fired = !records(run, "kp_silent", "event").is_empty();
    if fired != (run.kernel == Kernel::Profiler) {
        run.fail(format!("kp_silent: do_sys_open fired: {fired}:\n{}", run.block("kp_silent").stdout));
    }
    let warnings: Vec<String> = records(run, "kp_silent", "notice")
        .iter()
        .filter(|n| n["level"] == "warning")
        .filter_map(|n| n["message"].as_str().map(str::to_string))
        .collect();
    if !warnings.iter().any(|m| m.contains("`dfd=%ax`") && m.contains("%di")) {
        run.fail(format!("kp_silent: no %ax warning: {warnings:?}"));
    }
    let silent = warnings.iter().any(|m| {
        m.starts_with("kprobe myprobe (do_sys_open) saw no events in ")
            && m.contains("open(2) enters do_sys_openat2 on this kernel")
    });
    if silent == fired {
        run.fail(format!("kp_silent: fired {fired}, silence notice {silent} that do_sys_open saw nothing and open(2) enters do_sys_openat2: {warnings:?}"));
    }
    run.assert_tracefs_unchanged("kp_silent");

    run.expect_rc("fc_silent", 0);
    let counted: u64 = records(run, "fc_silent", "counts")
        .iter()
        .flat_map(|c| c["counts"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["count"].as_u64())
        .sum();
    let said = records(run, "fc_silent", "notice").iter().any(|n| {
        n["level"] == "warning"
            && n["message"].as_str().is_some_and(|m| {
                m.starts_with("funccount \"do_sys_open\" (1 function) saw no events")
                    && m.contains("do_sys_openat2")
            })
    });
    // Something else may call do_sys_open; then there must be no notice.
    if (counted == 0) != said {
        run.fail(format!("fc_silent: {counted} counted, silence notice {said}:\n{}", run.block("fc_silent").stdout));
    }
});

/// The count of the histogram bucket holding 1 (dd's one-byte reads).
fn one_byte_reads(run: &Run, name: &str) -> u64 {
    records(run, name, "histogram")
        .iter()
        .flat_map(|h| h["buckets"].as_array().cloned().unwrap_or_default())
        .filter(|b| {
            b["low"].as_u64().is_some_and(|l| l <= 1) && b["high"].as_u64().is_some_and(|h| h >= 1)
        })
        .filter_map(|b| b["count"].as_u64())
        .sum()
}

on_kernels!(kprobe_hist_and_count: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("kp_hist", 0);
    // dd made 100 one-byte reads (and its own reads of its libraries are larger).
    let n = one_byte_reads(run, "kp_hist");
    if !(100..=130).contains(&n) {
        run.fail(format!("kp_hist: {n} reads of 1 byte (dd made 100):\n{}", run.block("kp_hist").stdout));
    }
    run.expect_rc("kp_count", 0);
    let ones: u64 = records(run, "kp_count", "counts")
        .iter()
        .flat_map(|c| c["counts"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["name"] == "1")
        .filter_map(|c| c["count"].as_u64())
        .sum();
    if !(100..=130).contains(&ones) {
        run.fail(format!("kp_count: value 1 counted {ones} times (dd made 100 one-byte reads):\n{}", run.block("kp_count").stdout));
    }
    run.expect_rc("kp_hist_sigint", 130);
    let n = one_byte_reads(run, "kp_hist_sigint");
    if !(100..=130).contains(&n) {
        run.fail(format!("kp_hist_sigint: {n} reads of 1 byte before Ctrl-C (dd made 100):\n{}", run.block("kp_hist_sigint").stdout));
    }
    let bad = run.expect_rc("kp_hist_bad", 2);
    if bad.stderr.trim_end() != "lktrace: error: the probe has no field nosuch: its fields are bytes" {
        run.fail(format!("kp_hist_bad: {}", bad.stderr));
    }
    run.assert_tracefs_unchanged("kp_hist");
});

on_kernels!(kprobe_btf_names: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    match run.kernel {
        Kernel::Debian13 => {
            let ev = events(run, "kp_btf");
            // open(2) from cat: dfd AT_FDCWD, and open_how's flags as the kernel read them.
            if !ev.iter().all(|e| e["event"] == "btfopen" && e["fields"].get("dfd").is_some() && e["fields"].get("fl").is_some()) {
                run.fail(format!("kp_btf: events without dfd and fl:\n{}", run.block("kp_btf").stdout));
            }
            // BTF types them: dfd is an int (AT_FDCWD, -100), open_how.flags a u64
            // (O_RDONLY|O_LARGEFILE for cat's open of the marker).
            if !ev.iter().any(|e| e["comm"] == "cat" && e["fields"]["dfd"] == -100 && e["fields"]["fl"] == 32768) {
                run.fail(format!("kp_btf: no open of cat with dfd -100 and flags 0x8000:\n{}", run.block("kp_btf").stdout));
            }
        }
        _ => {
            let b = run.expect_rc("kp_btf", 1);
            if !b.stderr.contains("BTF") || b.stderr.lines().count() > 3 {
                run.fail(format!("kp_btf: 6.1 has no BTF arguments; expected lktrace's refusal:\n{}", b.stderr));
            }
        }
    }
    run.assert_tracefs_unchanged("kp_btf");
});

on_kernels!(kprobe_examples_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for b in ["kp_ex_args", "kp_ex_multi", "kp_ex_warn"] {
        run.expect_rc(b, 0);
    }
    if !run.block("kp_ex_args").stdout.contains("filename=\"") {
        run.fail(format!("kp_ex_args: no file names:\n{}", run.block("kp_ex_args").stdout));
    }
    run.assert_tracefs_unchanged("kp_examples");
});

// ---------------------------------------------------------------------------------------------
// stackcount

/// The `stack_counts` record of block `name` (exactly one), its stacks.
#[track_caller]
fn stack_counts(run: &Run, name: &str) -> Vec<Value> {
    let recs = records(run, name, "stack_counts");
    let [rec] = recs.as_slice() else {
        run.fail(format!(
            "`{name}`: {} stack_counts records (expected 1):\n{}",
            recs.len(),
            run.block(name).stdout
        ))
    };
    if rec["backend"] != "hist" || !rec["duration_s"].as_f64().is_some_and(|d| d > 0.0) {
        run.fail(format!("`{name}`: backend or duration_s wrong: {rec}"));
    }
    let stacks = rec["stacks"].as_array().cloned().unwrap_or_default();
    let seq: Vec<u64> = stacks
        .iter()
        .map(|s| s["count"].as_u64().unwrap_or(0))
        .collect();
    if seq.windows(2).any(|w| w[0] < w[1]) {
        run.fail(format!(
            "`{name}`: stacks not sorted by count, busiest first: {seq:?}"
        ));
    }
    stacks
}

/// Whether a stack (innermost first) is vfs_read called from read(2): through ksys_read
/// (Debian's 6.1 and 6.12, where __x64_sys_read is no frame) or __x64_sys_read (the profiler
/// kernel's 6.1.192, which inlines ksys_read and calls through x64_sys_call).
fn read_syscall_stack(frames: &[&str]) -> bool {
    frames.first() == Some(&"vfs_read")
        && frames
            .iter()
            .any(|f| *f == "ksys_read" || *f == "__x64_sys_read")
        && frames
            .iter()
            .any(|f| f.starts_with("do_syscall_64") || f.starts_with("entry_SYSCALL"))
}

/// Calls of vfs_read from read(2) counted in block `name`'s stacks.
#[track_caller]
fn read_calls(run: &Run, name: &str) -> u64 {
    stack_counts(run, name)
        .iter()
        .filter(|s| {
            let frames: Vec<&str> = s["frames"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            read_syscall_stack(&frames)
        })
        .filter_map(|s| s["count"].as_u64())
        .sum()
}

on_kernels!(stackcount_dd: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("sc_dd", 0);
    let n = read_calls(run, "sc_dd");
    if n < 100 {
        run.fail(format!("sc_dd: vfs_read from read(2) counted {n} times (dd made 100 reads):\n{}", run.block("sc_dd").stdout));
    }
    for s in stack_counts(run, "sc_dd") {
        if s["frames"][0] != "vfs_read" {
            run.fail(format!("sc_dd: a stack that does not start at vfs_read: {s}"));
        }
    }
    run.expect_rc("sc_pid", 0);
    // Only the process named: its 100 reads and nothing of the other dd's 100.
    let n = read_calls(run, "sc_pid");
    if !(100..150).contains(&n) {
        run.fail(format!("sc_pid: {n} reads counted for -p (its dd made 100, another dd 100 more):\n{}", run.block("sc_pid").stdout));
    }
    run.assert_tracefs_unchanged("sc_dd");
});

on_kernels!(stackcount_folded: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("sc_folded", 0);
    let mut reads = 0;
    for line in b.stdout.lines() {
        let Some((stack, count)) = line.rsplit_once(' ') else {
            run.fail(format!("sc_folded: not `frames count`: {line:?}"))
        };
        let Ok(count) = count.parse::<u64>() else {
            run.fail(format!("sc_folded: no count in {line:?}"))
        };
        let frames: Vec<&str> = stack.split(';').collect();
        if frames.iter().any(|f| f.is_empty() || f.contains(' ')) {
            run.fail(format!("sc_folded: an empty or spaced frame in {line:?}"));
        }
        // Outermost first: the innermost, probed function is last.
        let inner: Vec<&str> = frames.iter().rev().copied().collect();
        if !inner[0].starts_with("vfs_rea") {
            run.fail(format!("sc_folded: the last frame is not a probed vfs_rea* function: {line:?}"));
        }
        if read_syscall_stack(&inner) {
            reads += count;
        }
    }
    if reads < 100 {
        run.fail(format!("sc_folded: vfs_read from read(2) counted {reads} times (dd made 100):\n{}", b.stdout));
    }
    let svg = run.expect_rc("sc_svg", 0);
    // An SVG document (`<svg` on some line) that draws dd's stack.
    let lines: Vec<&str> = svg.stdout.lines().collect();
    if !svg.stdout.starts_with("<?xml") || lines.get(1).is_none_or(|n| *n == "0") || !lines.iter().any(|l| *l == "ksys_read" || *l == "__x64_sys_read") {
        run.fail(format!("sc_svg: not an SVG flame graph of dd's reads:\n{}", svg.stdout));
    }
    if !b.stderr.contains("wrote a flame graph of") {
        run.fail(format!("sc_folded: no notice of the flame graph:\n{}", b.stderr));
    }
    run.assert_tracefs_unchanged("sc_folded");
});

on_kernels!(stackcount_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("sc_sigint", 130);
    let n = read_calls(run, "sc_sigint");
    if n < 100 {
        run.fail(format!("sc_sigint: vfs_read from read(2) counted {n} times before Ctrl-C (dd made 100):\n{}", run.block("sc_sigint").stdout));
    }
    run.assert_tracefs_unchanged("sc_sigint");
});

on_kernels!(stackcount_examples_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for b in ["sc_ex_text", "sc_ex_folded", "sc_ex_json", "sc_ex_tp"] {
        run.expect_rc(b, 0);
    }
    // bcc's layout: frames indented two spaces, the count four, then a blank line. read(2)
    // enters vfs_read from ksys_read (Debian's builds) or __x64_sys_read (the profiler
    // kernel's 6.1.192 inlines ksys_read and dispatches through x64_sys_call).
    let t = &run.block("sc_ex_text").stdout;
    if !(t.starts_with("  vfs_read\n") && (t.contains("\n  ksys_read\n") || t.contains("\n  __x64_sys_read\n"))) || !t.lines().any(|l| l.starts_with("    ") && l.trim().parse::<u64>().is_ok()) {
        run.fail(format!("sc_ex_text: not bcc's stackcount layout:\n{t}"));
    }
    run.assert_tracefs_unchanged("sc_examples");
});

on_kernels!(stackcount_tracepoint: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("sc_tp", 0);
    // execve(2) from the workload's shell, three times (the harness's own execs add more).
    let execs: u64 = stack_counts(run, "sc_tp")
        .iter()
        .filter(|s| s["frames"].as_array().is_some_and(|f| f.iter().any(|f| f == "__x64_sys_execve")))
        .filter_map(|s| s["count"].as_u64())
        .sum();
    if execs < 3 {
        run.fail(format!("sc_tp: {execs} execs counted through __x64_sys_execve (the workload made 3):\n{}", run.block("sc_tp").stdout));
    }
    let b = run.expect_rc("sc_tp_bad", 1);
    if b.stderr.trim_end() != "lktrace: error: no tracepoint `sched:no_such_tracepoint` in available_events" {
        run.fail(format!("sc_tp_bad: expected one line naming the tracepoint:\n{}", b.stderr));
    }
    run.assert_tracefs_unchanged("sc_tp");
});

on_kernels!(stackcount_bad_input: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("sc_bad_fn", 1);
    if b.stderr.lines().next() != Some("lktrace: error: no traceable function matches `no_such_function_xyz`") {
        run.fail(format!("sc_bad_fn: expected one line naming the pattern:\n{}", b.stderr));
    }
    let b = run.expect_rc("sc_bad_glob", 2);
    if b.stderr.lines().filter(|l| l.contains("error")).count() != 1 || !b.stderr.contains("';'") {
        run.fail(format!("sc_bad_glob: expected one usage line naming ';':\n{}", b.stderr));
    }
    let b = run.expect_rc("sc_bad_many", 2);
    if b.stderr.lines().count() != 1 || !b.stderr.contains("stops at 2") {
        run.fail(format!("sc_bad_many: expected one line about --max-probes:\n{}", b.stderr));
    }
    run.assert_tracefs_unchanged("sc_bad");
});

// ---------------------------------------------------------------------------------------------
// tpoint

#[track_caller]
fn workload_execs(run: &Run, name: &str, ev: &[Value]) -> usize {
    for e in ev {
        if e["event"] != "sched_process_exec" {
            run.fail(format!(
                "{name}: event {} (expected sched_process_exec): {e}",
                e["event"]
            ));
        }
    }
    ev.iter()
        .filter(|e| str_field(&e["fields"]["filename"]).as_deref() == Some(TP_PATH))
        .count()
}

on_kernels!(tpoint_exec: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = events(run, "tp_exec");
    let n = workload_execs(run, "tp_exec", &ev);
    if n != 3 {
        run.fail(format!("tp_exec: {n} execs of {TP_PATH} (the workload made 3):\n{}", run.block("tp_exec").stdout));
    }
    // The event's own pid field is the task's.
    for e in ev.iter().filter(|e| str_field(&e["fields"]["filename"]).as_deref() == Some(TP_PATH)) {
        if e["fields"]["pid"] != e["pid"] {
            run.fail(format!("tp_exec: pid field differs from the task's: {e}"));
        }
    }
    run.assert_tracefs_unchanged("tp_exec");
});

on_kernels!(tpoint_filter: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = events(run, "tp_filter");
    let n = workload_execs(run, "tp_filter", &ev);
    if n != 3 || ev.len() != 3 {
        run.fail(format!("tp_filter: {} events, {n} of {TP_PATH} (the filter keeps only the workload's 3):\n{}", ev.len(), run.block("tp_filter").stdout));
    }
    run.assert_tracefs_unchanged("tp_filter");
});

on_kernels!(tpoint_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("tp_sigint", 130);
    let ev = records(run, "tp_sigint", "event");
    let n = workload_execs(run, "tp_sigint", &ev);
    if n != 3 {
        run.fail(format!("tp_sigint: {n} execs of {TP_PATH} before Ctrl-C (3 made):\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("tp_sigint");
});

on_kernels!(tpoint_bad_input: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("tp_bad_name", 1);
    if b.stderr.trim_end() != "lktrace: error: no tracepoint `sched:no_such_tracepoint` in available_events" {
        run.fail(format!("tp_bad_name: expected one line naming the tracepoint:\n{}", b.stderr));
    }
    // The kernel parses filters: its refusal, with what its error_log says about it.
    let b = run.expect_rc("tp_bad_filter", 1);
    let first = b.stderr.lines().next().unwrap_or("");
    if !first.starts_with("lktrace: error: the kernel rejected `no_such_field == 1") || !b.stderr.contains("no_such_field") {
        run.fail(format!("tp_bad_filter: expected the kernel's refusal of the filter:\n{}", b.stderr));
    }
    let b = run.expect_rc("tp_bad_syntax", 2);
    if b.stderr.lines().filter(|l| l.contains("error")).count() != 1 || !b.stderr.contains("SYSTEM:EVENT") {
        run.fail(format!("tp_bad_syntax: expected one usage line:\n{}", b.stderr));
    }
    run.assert_tracefs_unchanged("tp_bad");
});

on_kernels!(tpoint_list_and_format: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("tp_list", 0);
    let tps = records(run, "tp_list", "tracepoint");
    if tps.iter().any(|t| t["system"] != "sched") || !tps.iter().any(|t| t["event"] == "sched_process_exec") {
        run.fail(format!("tp_list: 'sched:*' listed other systems or lacks sched_process_exec:\n{}", run.block("tp_list").stdout));
    }
    let all = &run.expect_rc("tp_list_all", 0).stdout;
    if all.lines().count() < 100 || !all.lines().any(|l| l == "sched:sched_process_exec") {
        run.fail(format!("tp_list_all: expected available_events' lines:\n{all:.2000}"));
    }
    let f = &run.expect_rc("tp_format", 0).stdout;
    if !f.contains("name: sched_process_exec") || !f.contains("filename") {
        run.fail(format!("tp_format: no format:\n{f}"));
    }
    run.assert_tracefs_unchanged("tp_list");
});

on_kernels!(list_finds_what_the_kernel_traces: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("list_vfs", 0);
    let syms = records(run, "list_vfs", "symbol");
    let has = |kind: &str, name: &str| syms.iter().any(|s| s["kind"] == kind && s["name"] == name);
    // vfs_read is traceable by the function tracer and kprobes; no tracepoint matches.
    if !has("function", "vfs_read") || !has("kprobe", "vfs_read") || has("function", "vfs_write") {
        run.fail(format!("list_vfs: expected vfs_read as function and kprobe, nothing else:\n{}", run.block("list_vfs").stdout));
    }
    if syms.iter().any(|s| !s["name"].as_str().is_some_and(|n| n.starts_with("vfs_rea"))) {
        run.fail(format!("list_vfs: names outside the glob:\n{}", run.block("list_vfs").stdout));
    }
    let tp = &run.expect_rc("list_tp", 0).stdout;
    if !tp.lines().any(|l| l == "tracepoint sched:sched_process_exec")
        || !tp.lines().any(|l| l == "tracepoint sched:sched_process_exit")
        || tp.lines().count() != 2
    {
        run.fail(format!("list_tp: expected the two sched_process_e* tracepoints:\n{tp}"));
    }
    run.expect_rc("list_kp", 0);
    let kp = records(run, "list_kp", "symbol");
    if !kp.iter().all(|s| s["kind"] == "kprobe") || !kp.iter().any(|s| s["name"] == "do_sys_openat2") {
        run.fail(format!("list_kp: expected kprobe do_sys_openat2:\n{}", run.block("list_kp").stdout));
    }
    let text = &run.expect_rc("list_fn_text", 0).stdout;
    if !text.lines().any(|l| l == "function   vfs_read") {
        run.fail(format!("list_fn_text: no `function   vfs_read` line:\n{text}"));
    }
    let none = run.expect_rc("list_none", 1);
    if !none.stderr.contains("nothing traceable matches `zzq_no_such_*`") {
        run.fail(format!("list_none: {}", none.stderr));
    }
    let bad = run.expect_rc("list_bad", 2);
    if bad.stderr.lines().count() > 3 || !bad.stderr.contains("not ';'") {
        run.fail(format!("list_bad: {}", bad.stderr));
    }
    // -u: a user file's functions, exactly the two the test program defines with that prefix.
    run.expect_rc("list_user", 0);
    let mut names: Vec<String> = records(run, "list_user", "user_symbol")
        .iter()
        .filter(|s| s["file"] == UPPROG && s["offset"].as_u64().is_some_and(|o| o > 0))
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    if names != ["lkt_hit", "lkt_name"] {
        run.fail(format!("list_user: {names:?}:\n{}", run.block("list_user").stdout));
    }
    run.assert_tracefs_unchanged("list");
});

on_kernels!(tpoint_examples_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for b in ["tp_ex_h", "tp_ex_filter", "tp_ex_list"] {
        run.expect_rc(b, 0);
    }
    if !run.block("tp_ex_filter").stdout.contains("<stack trace>") {
        run.fail(format!("tp_ex_filter: -s printed no stacks:\n{}", run.block("tp_ex_filter").stdout));
    }
    run.assert_tracefs_unchanged("tp_examples");
});

// ---------------------------------------------------------------------------------------------
// uprobe

/// Events of event `name` in block `block`, after checking rc 0 and the shapes.
#[track_caller]
fn up_events(run: &Run, block: &str, name: &str) -> Vec<Value> {
    events(run, block)
        .into_iter()
        .filter(|e| e["event"] == name)
        .collect()
}

on_kernels!(up_busybox: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = up_events(run, "up_busybox", "bb");
    if ev.len() != 5 {
        run.fail(format!("up_busybox: {} hits of busybox's entry point (5 execs of {UP_BB}):\n{}", ev.len(), run.block("up_busybox").stdout));
    }
    // The bare name resolved through PATH to the copy, by its path and the entry's offset.
    let notes = records(run, "up_busybox", "notice");
    if !notes.iter().any(|n| n["message"].as_str().is_some_and(|m| m.contains(&format!("{UP_BB}:0x")))) {
        run.fail(format!("up_busybox: the notice does not name {UP_BB}:\n{}", run.block("up_busybox").stdout));
    }
    run.assert_tracefs_unchanged("up_busybox");
});

on_kernels!(up_prog: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = up_events(run, "up_prog", "lkt_hit");
    let n: Vec<i64> = ev.iter().filter_map(|e| e["fields"]["n"].as_i64()).collect();
    if n != (1..=7).collect::<Vec<i64>>() {
        run.fail(format!("up_prog: arguments {n:?} (upprog 7 calls lkt_hit(1..=7)):\n{}", run.block("up_prog").stdout));
    }
    let stacks = records(run, "up_stack", "stack");
    let hits = up_events(run, "up_stack", "lkt_hit");
    if hits.len() != 2 || stacks.len() != 2 || stacks.iter().any(|s| s["frames"].as_array().is_none_or(|f| f.is_empty())) {
        run.fail(format!("up_stack: {} hits, {} user stacks (2 calls):\n{}", hits.len(), stacks.len(), run.block("up_stack").stdout));
    }
    run.assert_tracefs_unchanged("up_prog");
});

on_kernels!(up_return: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = up_events(run, "up_ret_string", "lkt_name");
    let got: Vec<String> = ev.iter().filter_map(|e| str_field(&e["fields"]["s"])).collect();
    let want: Vec<String> = (1..=5).map(|i| format!("lkt-{i}")).collect();
    if got != want {
        run.fail(format!("up_ret_string: returned strings {got:?}, want {want:?}:\n{}", run.block("up_ret_string").stdout));
    }
    let ev = up_events(run, "up_ret_value", "lkt_hit");
    let got: Vec<i64> = ev.iter().filter_map(|e| e["fields"]["ret"].as_i64()).collect();
    if got != [2, 4, 6, 8] {
        run.fail(format!("up_ret_value: return values {got:?} (lkt_hit(n) returns 2n, n = 1..=4):\n{}", run.block("up_ret_value").stdout));
    }
    run.assert_tracefs_unchanged("up_return");
});

on_kernels!(up_list: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("up_list", 0);
    let syms = records(run, "up_list", "user_symbol");
    for f in ["lkt_hit", "lkt_name"] {
        let want = upprog_offset(f);
        match syms.iter().find(|s| s["name"] == f) {
            Some(s) if s["offset"].as_u64() == Some(want) && s["file"] == UPPROG => {}
            other => run.fail(format!("up_list: {f} is {other:?}, want offset 0x{want:x} in {UPPROG}")),
        }
    }
    if syms.len() < 100 {
        run.fail(format!("up_list: only {} functions in a static program", syms.len()));
    }
    let text = &run.expect_rc("up_list_text", 0).stdout;
    if !text.lines().any(|l| l == "lkt_hit") || !text.lines().any(|l| l == "main") {
        run.fail(format!("up_list_text: no lkt_hit and main lines:\n{text:.2000}"));
    }
    let f = &run.expect_rc("up_format", 0).stdout;
    if !f.contains("name: lkt_hit") || !f.contains("s32 n;") {
        run.fail(format!("up_format: no format with the s32 field n:\n{f}"));
    }
    run.assert_tracefs_unchanged("up_list");
});

on_kernels!(up_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("up_sigint", 130);
    let n = records(run, "up_sigint", "event").iter().filter(|e| e["event"] == "lkt_hit").count();
    if n != 4 {
        run.fail(format!("up_sigint: {n} hits before Ctrl-C (upprog 4 made 4):\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("up_sigint");
});

on_kernels!(up_bad_input: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let one_error = |name: &str, rc: i32, needle: &str| {
        let b = run.expect_rc(name, rc);
        let errors: Vec<&str> = b.stderr.lines().filter(|l| l.starts_with("lktrace: error")).collect();
        if errors.len() != 1 || !errors[0].contains(needle) {
            run.fail(format!("{name}: expected one error line naming `{needle}`:\n{}", b.stderr));
        }
    };
    one_error("up_bad_symbol", 1, "no function `no_such_function` in /lkt/upprog");
    one_error("up_bad_file", 1, "no_such_program_lkt");
    one_error("up_bad_arg", 1, "$nope");
    one_error("up_bad_stripped", 1, "no symbol table");
    one_error("up_bad_filter", 1, "no_such_field");
    run.expect_rc("up_bad_usage", 2);
    run.assert_tracefs_unchanged("up_bad");
});

on_kernels!(up_examples_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for b in ["up_ex_args", "up_ex_ret", "up_ex_stack", "up_ex_addr", "up_ex_list", "up_ex_format"] {
        run.expect_rc(b, 0);
    }
    // The kernel's `<user stack trace>` header is rendered as any stack's; its frames are
    // user addresses.
    let st = &run.block("up_ex_stack").stdout;
    if !st.contains("<stack trace>") || !st.contains(" =>  <0000") {
        run.fail(format!("up_ex_stack: -s printed no user stacks:\n{}", run.block("up_ex_stack").stdout));
    }
    run.assert_tracefs_unchanged("up_examples");
});

// ---------------------------------------------------------------------------------------------
// Ending a run: Ctrl-C, a closed pipe, SIGKILL

on_kernels!(kprobe_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("kp_sigint", 130);
    let ev = records(run, "kp_sigint", "event");
    // dd's reads; a short-lived task's name may be `<...>` (the kernel caches names at the
    // task's next context switch, which a 20-read dd may not reach before it is read).
    let n = ev
        .iter()
        .filter(|e| e["event"] == "vfs_read" && (e["comm"] == "dd" || e["comm"] == "<...>"))
        .count();
    if n < 20 {
        run.fail(format!("kp_sigint: {n} vfs_read events before Ctrl-C (dd made 20):\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("kp_sigint");
});

on_kernels!(funccount_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("fc_sigint", 130);
    let c = records(run, "fc_sigint", "counts");
    let [last] = c.as_slice() else {
        run.fail(format!("fc_sigint: expected one counts record at Ctrl-C:\n{}", b.stdout))
    };
    let read = last["counts"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == "vfs_read"))
        .and_then(|c| c["count"].as_u64());
    if read.is_none_or(|n| n < 100) {
        run.fail(format!("fc_sigint: vfs_read {read:?}, expected >= 100:\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("fc_sigint");
});

on_kernels!(funccount_second_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("fc_sigint2", 130);
    run.assert_tracefs_unchanged("fc_sigint2");
});

on_kernels!(kprobe_closed_pipe: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("kp_pipe", 0);
    let lines: Vec<&str> = b.stdout.lines().collect();
    if lines.len() != 4 || !lines[..3].iter().all(|l| l.contains(": vfs_read: (vfs_read+")) {
        run.fail(format!("kp_pipe: expected 3 event lines then the rc:\n{}", b.stdout));
    }
    if lines.last() != Some(&"lktrace rc=0") {
        run.fail(format!("kp_pipe: a closed pipe must exit 0:\n{}\nstderr:\n{}", b.stdout, b.stderr));
    }
    if b.stderr.contains("error") {
        run.fail(format!("kp_pipe: a closed pipe is not an error:\n{}", b.stderr));
    }
    run.assert_tracefs_unchanged("kp_pipe");
});

on_kernels!(sigkill_leftovers_reaped_by_next_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let k = run.expect_rc("reap_kill", 0);
    let mut lines = k.stdout.lines();
    let pid = lines.next().unwrap_or("").trim().to_string();
    // What SIGKILL left: the instance and the probe.
    if !k.stdout.contains(&format!("lktrace_{pid}")) || !k.stdout.contains(&format!("lkt_{pid}/vfs_read")) {
        run.fail(format!("reap_kill: expected instance lktrace_{pid} and probe lkt_{pid}/vfs_read left behind:\n{}", k.stdout));
    }
    run.expect_rc("reap_next", 0);
    let notices = records(run, "reap_next", "notice");
    let said = |what: &str| notices.iter().any(|n| n["message"].as_str().is_some_and(|m| m.contains(what)));
    if !said(&format!("instance lktrace_{pid}")) || !said(&format!("group lkt_{pid}")) {
        run.fail(format!("reap_next: the next run did not report removing run {pid}'s leftovers:\n{}", run.block("reap_next").stdout));
    }
    run.assert_tracefs_unchanged("reap");
});

on_kernels!(sigkilled_counting_runs_reaped: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for (b, trigger) in [("kprobe-profile", "traceoff:count=0"), ("hist", "hist:keys=__probe_ip.sym")] {
        let name = format!("reap_kill_{b}");
        let k = run.expect_rc(&name, 0);
        let mut lines = k.stdout.lines();
        let pid = lines.next().unwrap_or("").trim().to_string();
        // No instance: the probes are armed by triggers on their own events.
        if k.stdout.contains(&format!("lktrace_{pid}")) {
            run.fail(format!("{name}: a counting run made an instance:\n{}", k.stdout));
        }
        if !k.stdout.contains(trigger) {
            run.fail(format!("{name}: expected the probes armed by `{trigger}` left behind:\n{}", k.stdout));
        }
    }
    run.expect_rc("reap_counting_next", 0);
    run.assert_tracefs_unchanged("reap_counting");
});

// ---------------------------------------------------------------------------------------------
// ctl

on_kernels!(ctl_reset_all: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    // The mess was real: tracer, filter, a foreign probe enabled, an lktrace instance.
    let messed = &run.block("reset_all.messed").stdout;
    if messed == &run.block("reset_all.before").stdout || !messed.contains("mine/left") {
        run.fail(format!("reset_all: the scenario did not change tracefs:\n{messed}"));
    }
    run.expect_rc("reset_all", 0);
    let r = records(run, "reset_all", "reset");
    let [rec] = r.as_slice() else {
        run.fail(format!("ctl reset --all printed {} reset objects", r.len()))
    };
    let removed = format!("{} {}", rec["removed"], rec["reset"]);
    for what in [
        "current_tracer set back to nop (was function)",
        "\"every kprobe\"",
        "\"instance lktrace_99998\"",
        "set_ftrace_filter emptied",
    ] {
        if !removed.contains(what) {
            run.fail(format!("ctl reset --all did not report `{what}`: {removed}"));
        }
    }
    run.assert_tracefs_unchanged("reset_all");
});

on_kernels!(ctl_status: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("ctl_status", 0);
    let recs = records(run, "ctl_status", "status");
    let [st] = recs.as_slice() else {
        run.fail(format!("ctl status --json printed {} status objects, expected 1", recs.len()))
    };
    let profiler = &st["function_profile_enabled"];
    let want_profiler = if run.kernel.has_profiler() { Value::Bool(false) } else { Value::Null };
    if st["current_tracer"] != "nop" || st["tracing_on"] != true || *profiler != want_profiler {
        run.fail(format!("unexpected status of a fresh kernel: {st}"));
    }
    if st["unreadable"] != serde_json::json!([]) {
        run.fail(format!("status could not read files root may read: {st}"));
    }
    // The top-level buffer's memory, and whether it is expanded, as the kernel's files say.
    let snap = &run.block("ctl_status.before").stdout;
    let file = snap
        .split("--- buffer_size_kb\n")
        .nth(1)
        .and_then(|r| r.lines().next())
        .unwrap_or_else(|| run.fail(format!("the snapshot has no buffer_size_kb:\n{snap}")));
    let expanded = !file.contains("(expanded:");
    let b = &st["buffer"];
    let per_cpu = file.split_whitespace().next().and_then(|n| n.parse::<u64>().ok());
    if b["expanded"] != expanded || b["per_cpu_kb"].as_u64() != per_cpu || !b["total_kb"].is_u64() {
        run.fail(format!("status buffer {b} does not match buffer_size_kb {file:?}"));
    }
    let out = &run.expect_rc("ctl_status_text", 0).stdout;
    if !out.lines().any(|l| l.starts_with("top-level buffer:") && l.contains("KiB per CPU")) {
        run.fail(format!("ctl status shows no top-level buffer line:\n{out}"));
    }
    run.assert_tracefs_unchanged("ctl_status");
});

on_kernels!(ctl_check: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    run.expect_rc("ctl_check", 0);
    let recs = records(run, "ctl_check", "check");
    let [check] = recs.as_slice() else { run.fail(format!("expected one check object, got {}", recs.len())) };
    if !check["tools"].is_array() {
        run.fail(format!("check has no tools array: {check}"));
    }
    let Some(prof) = check["features"].as_array().and_then(|f| f.iter().find(|x| x["name"] == "function profiler" || x["name"] == "function_profiler"))
    else {
        run.fail(format!("check lists no `function profiler` feature: {check}"))
    };
    match run.kernel {
        Kernel::Profiler if prof["ok"] != true => run.fail(format!("function profiler not ok: {prof}")),
        Kernel::Debian12 | Kernel::Debian13 if prof["ok"] != false || !prof.to_string().contains("CONFIG_FUNCTION_PROFILER") => {
            run.fail(format!("function profiler should be not ok, naming CONFIG_FUNCTION_PROFILER: {prof}"))
        }
        _ => {}
    }
    // Tried, not inferred: the files open on these kernels, so the tracer is OK.
    let tracer = check["features"].as_array().and_then(|f| f.iter().find(|x| x["name"] == "function tracer"));
    if tracer.is_none_or(|t| t["ok"] != true) {
        run.fail(format!("function tracer not ok where root may use it: {tracer:?}"));
    }
    run.assert_tracefs_unchanged("ctl_check");
});

on_kernels!(ctl_reset_stale: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let planted = &run.block("ctl_reset.planted").stdout;
    if !planted.contains("lkt_99999/x") || !planted.contains("lktrace_99999") || !planted.contains("mine/keep") {
        run.fail(format!("planting the dead run's leftovers failed:\n{planted}"));
    }
    run.expect_rc("ctl_reset", 0);
    let recs = records(run, "ctl_reset", "reset");
    let [reset] = recs.as_slice() else {
        run.fail(format!("expected one reset object, got {}", recs.len()))
    };
    let removed = reset["removed"].to_string();
    if !removed.contains("lktrace_99999") || !removed.contains("lkt_99999") || removed.contains("mine") {
        run.fail(format!("reset should report the dead run's instance and probe only: {reset}"));
    }
    let left = &run.block("ctl_reset.left").stdout;
    if left.contains("lkt_99999") || left.contains("lktrace_99999") {
        run.fail(format!("ctl reset left the dead run's probe or instance:\n{left}"));
    }
    if !left.contains("p:mine/keep vfs_write") {
        run.fail(format!("ctl reset removed a probe lktrace does not own:\n{left}"));
    }
    run.assert_tracefs_unchanged("ctl_reset");
});

// ---------------------------------------------------------------------------------------------
// The harness's own host-side logic (no VM: these run in a plain `cargo test`)

#[test]
fn console_blocks_survive_kernel_noise() {
    let log = "SeaBIOS\r\n=====BOOTED uptime=2.05 cpus=2 kernel=6.1=====\n\
               =====BEGIN a=====\n{\"type\":\"x\"}\n[   3.1] some kernel line\nno newline=====END a rc=3=====\n\
               =====BEGIN a.stderr=====\noops\n=====END a.stderr rc=3=====\n\
               =====BEGIN empty=====\n=====END empty rc=0=====\n=====DONE uptime=9=====\n";
    let c = vm::Console::parse(&log.replace('\r', ""));
    assert_eq!(c.booted_uptime, Some(2.05));
    assert!(c.done);
    let a = &c.blocks["a"];
    assert_eq!(a.rc, 3);
    assert_eq!(
        a.stdout,
        "{\"type\":\"x\"}\n[   3.1] some kernel line\nno newline\n"
    );
    assert_eq!(a.stderr, "oops\n");
    assert_eq!(c.blocks["empty"].stdout, "");
    assert_eq!(c.blocks["empty"].rc, 0);
}

#[test]
fn snapshot_diff_names_the_changed_file() {
    let d = vm::snapshot_diff("--- a\n1\n--- b\nx\n", "--- a\n1\n--- b\ny\n--- c\n");
    assert!(
        d.contains("b:") && d.contains("c:") && !d.contains("a:"),
        "{d}"
    );
}

#[test]
fn modules_load_after_their_dependencies() {
    let mut ko = b"junk\0license=GPL\0depends=virtio_ring,virtio\0".to_vec();
    ko.extend_from_slice(b"\0vermagic=6.1\0");
    assert_eq!(vm::module_depends(&ko), ["virtio_ring", "virtio"]);
    let deps: std::collections::BTreeMap<String, Vec<String>> = [
        ("virtio", vec!["virtio_ring"]),
        ("virtio_net", vec!["virtio_ring", "virtio", "net_failover"]),
        ("virtio_ring", vec![]),
        ("net_failover", vec!["failover"]),
        ("failover", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    let order = vm::load_order(&deps).unwrap();
    let pos = |m: &str| order.iter().position(|x| x == m).unwrap();
    assert!(pos("virtio_ring") < pos("virtio") && pos("virtio") < pos("virtio_net"));
    assert!(pos("failover") < pos("net_failover") && pos("net_failover") < pos("virtio_net"));
}

#[test]
fn a_guest_kernel_crash_is_recognised() {
    let crashed = "=====BOOTED uptime=4 cpus=2 kernel=6.12=====\n=====SCENARIO self=====\n\
                   [   9.1] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n[   9.2] RIP: __schedule+0x1\n\
                   [   9.3] Kernel panic - not syncing: Fatal exception\n";
    let c = vm::Console::parse(crashed);
    let oops = vm::guest_kernel_crash(&c).expect("a crash");
    assert!(
        oops.starts_with("[   9.1] Oops: int3") && oops.contains("Kernel panic"),
        "{oops}"
    );
    // A script that reached its end did not die of a crash, whatever it printed.
    let done = format!("{crashed}=====DONE uptime=9=====\n");
    assert_eq!(vm::guest_kernel_crash(&vm::Console::parse(&done)), None);
    assert_eq!(
        vm::guest_kernel_crash(&vm::Console::parse("=====BOOTED uptime=1=====\n")),
        None
    );
}

#[test]
fn builtin_modules_need_no_insmod() {
    // Debian 13's modules.builtin lines.
    let list = "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_pci.ko\n\
                kernel/drivers/virtio/virtio_pci_modern_dev.ko\nkernel/fs/fuse/virtio-fs.ko\n";
    assert_eq!(
        vm::builtin_modules(list),
        ["virtio", "virtio_pci", "virtio_pci_modern_dev", "virtio_fs"]
    );
}

#[test]
fn buffer_expansion_is_the_only_accepted_difference() {
    let snap = |v: &str| format!("--- current_tracer\nnop\n--- buffer_size_kb\n{v}\n");
    assert_eq!(
        vm::snapshot_diff(&snap("7 (expanded: 1408)"), &snap("1410")),
        ""
    );
    // Real values from Debian 12 and 13 with 2 CPUs.
    let both = |one: &str, all: &str| {
        format!("--- buffer_size_kb\n{one}\n--- buffer_total_size_kb\n{all}\n")
    };
    assert_eq!(
        vm::snapshot_diff(
            &both("7 (expanded: 1408)", "14 (expanded: 2816)"),
            &both("1410", "2820")
        ),
        ""
    );
    assert!(vm::snapshot_diff(
        &both("7 (expanded: 1408)", "14 (expanded: 2816)"),
        &both("1410", "2822")
    )
    .contains("buffer_total_size_kb"));
    // The total alone cannot take the step: the per-CPU size must have taken it too.
    assert!(
        vm::snapshot_diff(&both("1410", "14 (expanded: 2816)"), &both("1410", "2820"))
            .contains("buffer_total_size_kb")
    );
    assert!(
        vm::snapshot_diff(&snap("1410"), &snap("7 (expanded: 1408)")).contains("buffer_size_kb")
    );
    assert!(
        vm::snapshot_diff(&snap("7 (expanded: 1408)"), &snap("2048")).contains("buffer_size_kb")
    );
    assert!(vm::snapshot_diff(&snap("1410"), &snap("1411")).contains("buffer_size_kb"));
}

#[test]
fn guest_script_is_valid_shell() {
    let mut s = Script::new();
    s.scenario("x", |s| {
        s.background("sleep 1");
        s.run("y", 5, "kprobe 'p:a b $c' \"$LOOP\"");
        s.value("x.v", "\"$LOOP\"");
    });
    let text = format!("{}\n{}", vm::guest_lib(), s.text());
    let out = std::process::Command::new("sh")
        .args(["-n", "-c", &text])
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Overlapping runs

/// The vfs_read count of the last counts record of `name`.
#[track_caller]
fn overlap_vfs_read(run: &Run, name: &str) -> (u64, String) {
    let recs = records(run, name, "counts");
    let Some(last) = recs.last() else {
        run.fail(format!(
            "`{name}` printed no counts record:\n{}",
            run.block(name).stdout
        ))
    };
    let n = last["counts"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "vfs_read"))
        .and_then(|c| c["count"].as_u64())
        .unwrap_or(0);
    (n, last["backend"].as_str().unwrap_or("").to_string())
}

on_kernels!(overlapping_runs: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let all = run.block("overlap_all");
    // The workload reads 2000 + 50 times; the harness's own waiting adds a little. A run that
    // also read another run's kprobe_profile line would see about twice as many.
    let workload = 2050u64;
    let mut backends = Vec::new();
    for n in ["overlap_fc1", "overlap_fc2"] {
        let (reads, backend) = overlap_vfs_read(run, n);
        if !(workload..workload * 3 / 2).contains(&reads) {
            run.fail(format!(
                "`{n}`: vfs_read counted {reads}, expected the workload's {workload} (within +50%), not another run's too:\n{}\n{}",
                run.block(n).stdout, all.stdout
            ));
        }
        backends.push(backend);
    }
    if run.kernel == Kernel::Profiler {
        // One takes the profiler; the other, started at the same time, finds it held by the
        // first and says so in its Tracing notice.
        let profiler = backends.iter().filter(|b| *b == "profiler").count();
        let fell_back = ["overlap_fc1", "overlap_fc2"].iter().any(|n| {
            records(run, n, "notice").iter().any(|r| {
                r["message"].as_str().is_some_and(|m| {
                    m.starts_with("Tracing") && m.contains("the function profiler is in use by")
                })
            })
        });
        if profiler != 1 || !fell_back {
            run.fail(format!(
                "profiler kernel: backends {backends:?}, fallback noticed: {fell_back}:\n{}\n{}",
                run.block("overlap_fc1").stdout,
                run.block("overlap_fc2").stdout
            ));
        }
    }
    for (n, want, at_least) in [("overlap_kp1", 1u64, 2000usize), ("overlap_kp2", 3, 50)] {
        let ev = records(run, n, "event");
        let counts: Vec<u64> = ev
            .iter()
            .filter(|e| e["event"] == "ovr")
            .map(|e| e["fields"]["count"].as_u64().unwrap_or(u64::MAX))
            .collect();
        if counts.len() < at_least || counts.iter().any(|&c| c != want) {
            let other: Vec<&u64> = counts.iter().filter(|&&c| c != want).take(5).collect();
            run.fail(format!(
                "`{n}`: {} events (expected >= {at_least}), counts other than {want}: {other:?}\n{}",
                counts.len(),
                run.block(&format!("{n}.stderr")).stdout
            ));
        }
    }
    run.assert_tracefs_unchanged("overlap");
});

// ---------------------------------------------------------------------------------------------
// functrace, funcgraph, funcslower (issue 11)

/// The pid block `name.pid` holds.
#[track_caller]
fn pid_of(run: &Run, name: &str) -> u64 {
    let b = run.block(&format!("{name}.pid"));
    b.stdout
        .trim()
        .parse()
        .unwrap_or_else(|_| run.fail(format!("`{name}.pid` holds no pid: {:?}", b.stdout)))
}

on_kernels!(functrace_pid: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let ev = events(run, "ft_pid");
    let pid = pid_of(run, "ft_pid");
    let out = &run.block("ft_pid").stdout;
    // -p is applied in the kernel (set_ftrace_pid): every call is the dd's.
    if let Some(e) = ev.iter().find(|e| e["pid"].as_u64() != Some(pid)) {
        run.fail(format!("ft_pid: an event of another task than {pid}: {e}\n{out}"));
    }
    let reads = ev.iter().filter(|e| e["event"] == "function" && e["fields"]["func"] == "vfs_read").count();
    // 100 one-byte reads of the payload; busybox is static, so nothing else reads.
    if !(100..=105).contains(&reads) {
        run.fail(format!("ft_pid: {reads} vfs_read calls by pid {pid} (dd made 100):\n{out}"));
    }
    if !ev.iter().all(|e| e["fields"]["parent"].as_str().is_some_and(|p| !p.is_empty())) {
        run.fail(format!("ft_pid: an event without its parent function:\n{out}"));
    }
    // dd has exited when the -d buffer is read: the tgid comes from the kernel's record
    // (record-tgid, filled while a rare event holds the kernel's reference), not from /proc.
    if let Some(e) = ev.iter().find(|e| e["tgid"].as_u64() != Some(pid)) {
        run.fail(format!("ft_pid: an event without the dd's tgid {pid}: {e}\n{out}"));
    }
    run.assert_tracefs_unchanged("ft_pid");
});

on_kernels!(functrace_ctrl_c: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("ft_sigint", 130);
    let ev = records(run, "ft_sigint", "event");
    let n = ev
        .iter()
        .filter(|e| e["fields"]["func"] == "vfs_read" && (e["comm"] == "dd" || e["comm"] == "<...>"))
        .count();
    if n < 20 {
        run.fail(format!("ft_sigint: {n} vfs_read calls by dd before Ctrl-C (dd made 20):\n{}", b.stdout));
    }
    // Our own reads of trace_pipe are kept out (set_ftrace_notrace_pid).
    if ev.iter().any(|e| e["comm"] == "functrace") {
        run.fail(format!("ft_sigint: functrace traced its own reads:\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("ft_sigint");
});

on_kernels!(functrace_bad_input: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    for (name, rc, says) in [
        ("ft_bad_func", 1, "no_such_function_xyz"),
        ("ft_bad_glob", 2, "vfs read"),
        ("ft_bad_pid", 2, "99999999"),
    ] {
        let b = run.expect_rc(name, rc);
        // A run's errors are "lktrace: error: ..."; a usage error (rc 2) is clap's "error: ..."
        // followed by its "For more information" line.
        let errors: Vec<&str> = b
            .stderr
            .lines()
            .filter(|l| l.starts_with("lktrace: error") || (rc == 2 && l.starts_with("error:")))
            .collect();
        if errors.len() != 1 || !errors[0].contains(says) {
            run.fail(format!("{name}: expected one error line naming {says:?}:\n{}", b.stderr));
        }
    }
    run.assert_tracefs_unchanged("ft_bad");
});

on_kernels!(funccount_examples_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    // The table's vfs_read row, from text output: dd made 500 one-byte reads.
    let vfs_read = |name: &str| -> u64 {
        let b = run.expect_rc(name, 0);
        b.stdout
            .lines()
            .find_map(|l| l.strip_prefix("vfs_read ")?.trim().parse().ok())
            .unwrap_or_else(|| run.fail(format!("{name}: no vfs_read row:\n{}", b.stdout)))
    };
    for name in ["fc_ex_glob", "fc_ex_kprobe", "fc_ex_debug"] {
        let n = vfs_read(name);
        if !(500..=520).contains(&n) {
            run.fail(format!("{name}: vfs_read counted {n} times (dd read 500 bytes one by one)"));
        }
        let err = &run.block(name).stderr;
        if !err.contains("Ending tracing...") || err.contains("1 functions") {
            run.fail(format!("{name}: perf-tools' words on stderr:\n{err}"));
        }
    }
    let b = run.expect_rc("fc_ex_interval", 0);
    // Three intervals, each with its time, each at most three rows.
    let times = b.stdout.lines().filter(|l| l.len() == 8 && l.as_bytes()[2] == b':').count();
    if times != 3 {
        run.fail(format!("fc_ex_interval: {times} timestamps for -i 1 -d 3:\n{}", b.stdout));
    }
    if !run.block("fc_ex_debug").stderr.contains("lktrace: debug: ") {
        run.fail("fc_ex_debug: no --debug lines");
    }
    run.assert_tracefs_unchanged("fc_examples");
});

on_kernels!(functrace_examples_run: debian12 => Debian12, debian13 => Debian13, profiler => Profiler; |run| {
    let b = run.expect_rc("ft_ex_nanosleep", 0);
    if !b.stdout.contains("# tracer") && !b.stdout.contains("TASK-PID") {
        run.fail(format!("ft_ex_nanosleep: -H printed no header:\n{}", b.stdout));
    }
    if !b.stdout.lines().any(|l| l.contains("do_nanosleep <-")) {
        run.fail(format!("ft_ex_nanosleep: no do_nanosleep call (the workload slept twice):\n{}", b.stdout));
    }
    let b = run.expect_rc("ft_ex_glob", 0);
    if b.stdout.lines().filter(|l| l.contains(" vfs_read <-")).count() < 100 {
        run.fail(format!("ft_ex_glob: fewer than dd's 100 vfs_read calls:\n{}", b.stdout));
    }
    run.assert_tracefs_unchanged("ft_examples");
});
