//! Captures real `trace_pipe_raw` pages from the three test kernels (the fixtures of
//! `tests/fixtures/raw/<kernel>/`) and checks the raw decoder against the kernel's own text.
//!
//! In each guest: an instance, a kprobe on `vfs_read` with integers of several widths and signs
//! and two strings (a `+0(...)` fetch of the file's dentry name and `$comm`), plus the
//! `sched_switch` (a `char[16]`) and `sched_process_exec` (a tracepoint `__data_loc` string)
//! tracepoints, all enabled in the instance only, around `dd bs=1 count=N`; then every CPU's
//! `trace_pipe_raw` (read with `dd bs=4096`, base64 on the console), the format files,
//! `events/header_page` and `events/header_event` of the instance, and the instance's `trace`
//! text for the cross-check. A second instance with an 8 KB buffer overflows under a bigger
//! workload, so its pages carry the missed-events flags and counts; its `per_cpu/cpuN/stats`
//! give the kernel's own overrun counts to check them against.
//!
//! Ignored by default (it boots VMs). `cargo test --test vm_raw_capture -- --ignored [KERNEL]`
//! captures into `target/vm/raw-capture/<kernel>/` and checks the decoder there; with
//! `LKTRACE_RAW_FIXTURES=write` it also replaces `tests/fixtures/raw/<kernel>/`.

#[path = "support/vm.rs"]
mod vm;

#[path = "support/raw_check.rs"]
mod raw_check;

use std::path::Path;
use std::sync::OnceLock;

use vm::{Kernel, Outcome, Pending, Run, Script, Vm};

/// Reads in the main capture (each one kprobe event; the shell's own reads add some).
const READS: u32 = 300;
/// Reads in the overflow capture: far more than an 8 KB buffer holds (about 100 bytes each).
const LOST_READS: u32 = 3000;
/// A file name long enough to make the kprobe's record longer than 112 bytes: such events
/// take the ring buffer's long form (`type_len` 0, the length in `array[0]`).
const LONG_NAME: &str = "a_file_name_long_enough_to_need_the_long_event_form_of_the_ring_buffer";
/// How long one CPU's `trace_pipe_raw` is read: a read of an empty buffer blocks, so `dd` is
/// stopped once it has had the time to copy every page (a few ms each, even emulated).
const RAW_SECS: u32 = 6;

/// The kprobe. `+40(+OFF(%di))` is `file->f_path.dentry->d_name.name` of vfs_read's `file`:
/// `f_path.dentry` is at 24 in 6.1's `struct file` and at 72 in 6.12's (reordered in 6.12),
/// `d_name.name` at 40 in both `struct dentry`s. The script tries both and keeps the one whose
/// text shows dd's file name, so a layout change shows up as a failed check, not a crash.
const PROBE: &str = r#"p:lkt_raw/rd vfs_read cnt=%dx:u64 lo=%dx:s8 w=%dx:x16 half=%dx:u16 s=%di:s32 neg=%di:s64 b=%di:u8 x=%si:x32 name=+0(+40(+$off(%di))):string comm=\$comm"#;

fn script() -> Script {
    let mut s = Script::new();
    s.scenario("raw", |s| {
        s.raw(&format!(
            r#"I=$T/instances/lkt_raw; L=$T/instances/lkt_rawlost; export I L
mkdir $I
OFF=none
for off in 24 72; do
    echo "{PROBE}" >> $T/kprobe_events || continue
    echo 1 > $I/events/lkt_raw/rd/enable
    dd if=/lkt/payload of=/dev/null bs=1 count=1 2>/dev/null
    echo 0 > $I/events/lkt_raw/rd/enable
    if grep -q 'name="payload"' $I/trace; then OFF=$off; break; fi
    echo '-:lkt_raw/rd' >> $T/kprobe_events
done
: > $I/trace"#
        ));
        s.value("offset", "$OFF");
        s.raw(&format!(
            r#"cp /lkt/payload /tmp/{LONG_NAME}
for e in lkt_raw/rd sched/sched_switch sched/sched_process_exec; do echo 1 > $I/events/$e/enable; done
sh -c "exec dd if=/lkt/payload of=/dev/null bs=1 count={half} 2>/dev/null"
sleep 0.3
sh -c "exec dd if=/lkt/payload of=/dev/null bs=1 count={half} 2>/dev/null"
dd if=/tmp/{LONG_NAME} of=/dev/null bs=1 count=5 2>/dev/null
echo 0 > $I/tracing_on
for e in lkt_raw/rd sched/sched_switch sched/sched_process_exec; do echo 0 > $I/events/$e/enable; done
rm /tmp/{LONG_NAME}"#,
            half = READS / 2
        ));
        s.run("version", 10, "uname -r");
        s.run("ncpu", 10, "ls -d $I/per_cpu/cpu* | wc -l");
        s.run("trace_clock", 10, "cat $I/trace_clock");
        s.run("header_page", 10, "cat $I/events/header_page");
        s.run("header_event", 10, "cat $I/events/header_event");
        s.run("format_rd", 10, "cat $I/events/lkt_raw/rd/format");
        s.run(
            "format_sched_switch",
            10,
            "cat $I/events/sched/sched_switch/format",
        );
        s.run(
            "format_sched_process_exec",
            10,
            "cat $I/events/sched/sched_process_exec/format",
        );
        s.run("kallsyms", 30, "grep -w vfs_read /proc/kallsyms");
        // The text first: reading `trace` leaves the buffer as it is, `trace_pipe_raw` empties it.
        s.run("trace", 60, "cat $I/trace");
        s.raw(&format!(
            r#"for c in 0 1 2 3; do
    [ -e $I/per_cpu/cpu$c ] || continue
    run stats_cpu$c 10 "cat $I/per_cpu/cpu$c/stats"
    run raw_cpu$c 60 "timeout {RAW_SECS} dd if=$I/per_cpu/cpu$c/trace_pipe_raw of=/tmp/raw$c bs=4096 2>/dev/null; base64 /tmp/raw$c"
done
rmdir $I

mkdir $L
echo 8 > $L/buffer_size_kb
echo 1 > $L/events/lkt_raw/rd/enable
dd if=/lkt/payload of=/dev/null bs=1 count={LOST_READS} 2>/dev/null
echo 0 > $L/tracing_on
echo 0 > $L/events/lkt_raw/rd/enable"#
        ));
        s.run("lost_header_page", 10, "cat $L/events/header_page");
        s.run("lost_trace", 60, "cat $L/trace");
        s.raw(&format!(
            r#"for c in 0 1 2 3; do
    [ -e $L/per_cpu/cpu$c ] || continue
    run lost_stats_cpu$c 10 "cat $L/per_cpu/cpu$c/stats"
    run lost_raw_cpu$c 60 "timeout {RAW_SECS} dd if=$L/per_cpu/cpu$c/trace_pipe_raw of=/tmp/lraw$c bs=4096 2>/dev/null; base64 /tmp/lraw$c"
done
rmdir $L
echo '-:lkt_raw/rd' >> $T/kprobe_events"#
        ));
    });
    s
}

fn boot(k: Kernel) -> &'static Run {
    static BOOTS: [OnceLock<Pending<Outcome>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    static EAGER: std::sync::Once = std::sync::Once::new();
    let boot = |k: Kernel| {
        BOOTS[k.index()].get_or_init(|| {
            vm::spawn_boot(move || Vm::new(k, &format!("{}-raw", k.name()), script()))
        })
    };
    EAGER.call_once(|| {
        for k in Kernel::ALL.into_iter().filter(|k| k.selected_by_filter()) {
            boot(k);
        }
    });
    boot(k).get().run()
}

/// The blocks of one boot as the fixture files of `tests/fixtures/raw/<kernel>/`.
fn fixture_files(run: &Run) -> Vec<(String, Vec<u8>)> {
    let ncpu: usize = run
        .expect_rc("ncpu", 0)
        .stdout
        .trim()
        .parse()
        .unwrap_or_else(|_| run.fail("ncpu is not a number"));
    let offset = run.block("offset").stdout.trim().to_string();
    if offset == "none" {
        run.fail("no dentry offset made the kprobe's string fetch show dd's file name");
    }
    let mut files = Vec::new();
    let text = |name: &str, file: &str, files: &mut Vec<(String, Vec<u8>)>| {
        let b = run.expect_rc(name, 0);
        files.push((file.to_string(), b.stdout.clone().into_bytes()));
    };
    text("version", "version.txt", &mut files);
    text("trace_clock", "trace_clock.txt", &mut files);
    text("header_page", "header_page.txt", &mut files);
    text("header_event", "header_event.txt", &mut files);
    text("format_rd", "format_rd.txt", &mut files);
    text("format_sched_switch", "format_sched_switch.txt", &mut files);
    text(
        "format_sched_process_exec",
        "format_sched_process_exec.txt",
        &mut files,
    );
    text("kallsyms", "kallsyms_vfs_read.txt", &mut files);
    text("trace", "trace.txt", &mut files);
    text("lost_header_page", "lost/header_page.txt", &mut files);
    text("lost_trace", "lost/trace.txt", &mut files);
    for c in 0..ncpu {
        text(
            &format!("stats_cpu{c}"),
            &format!("stats_cpu{c}.txt"),
            &mut files,
        );
        text(
            &format!("lost_stats_cpu{c}"),
            &format!("lost/stats_cpu{c}.txt"),
            &mut files,
        );
        for (block, file) in [
            (format!("raw_cpu{c}"), format!("cpu{c}.raw")),
            (format!("lost_raw_cpu{c}"), format!("lost/cpu{c}.raw")),
        ] {
            let b = run.expect_rc(&block, 0);
            let bytes = raw_check::base64_decode(&b.stdout)
                .unwrap_or_else(|e| run.fail(format!("`{block}` is not base64: {e}")));
            files.push((file, bytes));
        }
    }
    files.push(("README.txt".into(), readme(run, &offset).into_bytes()));
    files
}

fn readme(run: &Run, offset: &str) -> String {
    let version = run.block("version").stdout.trim().to_string();
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let probe = PROBE.replace("$off", offset).replace("\\$", "$");
    format!(
        "Raw ring-buffer pages from the {kernel} test kernel, Linux {version}, 2 vCPUs under QEMU TCG.\n\
         Captured {date} by tests/vm_raw_capture.rs (LKTRACE_RAW_FIXTURES=write); nothing edited.\n\
         \n\
         In instance lkt_raw: the kprobe\n  {probe}\n\
         and sched/sched_switch, sched/sched_process_exec, enabled around\n  \
         sh -c \"exec dd if=/lkt/payload of=/dev/null bs=1 count={half}\"; sleep 0.3 (a time extend);\n  \
         the same dd again; dd bs=1 count=5 of a file named {LONG_NAME}\n  \
         (records over 112 bytes: the long event form)\n\
         then tracing_on=0, the instance's `trace` (trace.txt), each CPU's stats (stats_cpuN.txt)\n\
         and per_cpu/cpuN/trace_pipe_raw read with `dd bs=4096` for {RAW_SECS} s (cpuN.raw: whole\n\
         pages, base64 on the console, decoded on the host). header_page.txt, header_event.txt and\n\
         format_*.txt are the instance's events/ files; kallsyms_vfs_read.txt is vfs_read's address.\n\
         \n\
         lost/: instance lkt_rawlost, buffer_size_kb=8, only the kprobe, around {LOST_READS} reads;\n\
         nobody read it while it ran, so it overwrote its oldest pages: the first page read carries\n\
         the missed-events flag (and the count, when it fits after the data); lost/stats_cpuN.txt\n\
         holds the kernel's overrun counts.\n",
        half = READS / 2,
        kernel = run.kernel.name(),
    )
}

fn capture(k: Kernel) {
    let run = boot(k);
    run.assert_tracefs_unchanged("raw");
    let files = fixture_files(run);
    let write_fixtures = std::env::var("LKTRACE_RAW_FIXTURES").is_ok_and(|v| v == "write");
    let mut dirs = vec![vm::vm_dir().join("raw-capture").join(k.name())];
    if write_fixtures {
        dirs.push(vm::repo().join("tests/fixtures/raw").join(k.name()));
    }
    for dir in &dirs {
        let _ = std::fs::remove_dir_all(dir);
        for (name, data) in &files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap_or(Path::new("."))).unwrap();
            std::fs::write(&p, data).unwrap();
        }
    }
    // The capture must decode, and agree with the kernel's text, before it may become a fixture.
    if let Err(e) = raw_check::check_capture(&dirs[0]) {
        run.fail(format!("the raw pages disagree with the text capture: {e}"));
    }
}

#[test]
#[ignore = "boots a VM"]
fn raw_capture_debian12() {
    capture(Kernel::Debian12);
}

#[test]
#[ignore = "boots a VM"]
fn raw_capture_debian13() {
    capture(Kernel::Debian13);
}

#[test]
#[ignore = "boots a VM"]
fn raw_capture_profiler() {
    capture(Kernel::Profiler);
}
