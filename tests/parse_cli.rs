//! `lktrace parse` through the built binary, on real kernel output (tests/fixtures: Debian's
//! cloud kernel 6.1.192 and the 6.1.192 profiler kernel, both in QEMU).

#[path = "support/json_schema.rs"]
mod json_schema;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

const FX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");

fn parse(args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .arg("parse")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    if let Some(data) = stdin {
        sin.write_all(data).unwrap();
    }
    drop(sin);
    child.wait_with_output().unwrap()
}

#[test]
fn text_output_reproduces_the_kernels_lines() {
    for kernel in ["debian", "profiler"] {
        for f in ["trace_kprobes.txt", "trace_kprobe_stack.txt"] {
            let path = format!("{FX}{kernel}/{f}");
            let out = parse(&[&path], None);
            assert!(out.status.success());
            let original = std::fs::read_to_string(&path).unwrap();
            let events: String = original
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), events, "{path}");
        }
    }
}

#[test]
fn json_from_stdin_is_valid_and_carries_the_fields() {
    let text = std::fs::read(format!("{FX}debian/trace_kprobe_stack.txt")).unwrap();
    let out = parse(&["--json"], Some(&text));
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines = json_schema::validate_output(&stdout).unwrap();
    assert_eq!(lines.len(), 6, "3 events and 3 stacks");
    let v: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v[2]["fields"]["filename"], "/tmp/marker-file");
    assert_eq!(v[2]["comm"], "cat");
    assert_eq!(v[2]["pid"], 121);
    assert_eq!(v[3]["type"], "stack");
    assert_eq!(v[3]["frames"][0], "do_sys_openat2");
}

#[test]
fn lost_events_become_records() {
    // The fixture was saved with `grep -n`: strip the line-number prefix the kernel did not print.
    let raw = std::fs::read_to_string(format!("{FX}debian/trace_pipe_lost.txt")).unwrap();
    let text: String = raw
        .lines()
        .map(|l| match l.split_once(":CPU:") {
            Some((n, rest)) if n.bytes().all(|b| b.is_ascii_digit()) => format!("CPU:{rest}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    let out = parse(&["--json"], Some(text.as_bytes()));
    let stdout = String::from_utf8(out.stdout).unwrap();
    json_schema::validate_output(&stdout).unwrap();
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        serde_json::json!({"type":"lost","cpu":0,"count":2760})
    );
}

#[test]
fn a_closed_pipe_exits_0() {
    // Enough input that the reader is gone long before the writer is done.
    let line = std::fs::read_to_string(format!("{FX}debian/trace_kprobes.txt")).unwrap();
    let big = line.repeat(20_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["parse", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(big.as_bytes());
    });
    let mut sout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    sout.read_exact(&mut first).unwrap();
    drop(sout); // like `| head -c 100`
    let status = child.wait().unwrap();
    writer.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "a closed pipe is not an error: {err}");
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid as i32, sig) };
}

/// Waits for the child at most `secs`; kills it (and fails) if it does not exit.
fn wait_exit(child: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed().as_secs() >= secs {
            let _ = child.kill();
            panic!("lktrace parse did not stop within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `lktrace parse /dev/zero`: one endless line. Memory stays bounded by the 1 MiB line cap,
/// the cut line is named in a notice, and SIGTERM stops it.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_line_is_cut_and_sigterm_stops_it() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["parse", "/dev/zero"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let rss = rss_kib(child.id());
    signal(child.id(), libc::SIGTERM);
    wait_exit(&mut child, 5);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        rss > 0 && rss < 64 * 1024,
        "RSS {rss} KiB after 1.5 s of /dev/zero"
    );
    assert!(err.contains("line 1 is longer than 1 MiB"), "{err}");
    assert!(err.len() < 2000, "{} bytes on stderr", err.len());
}

/// A parse blocked reading a pipe nobody writes to stops on SIGINT (and on SIGTERM).
#[cfg(target_os = "linux")]
#[test]
fn a_blocked_read_wakes_on_a_stop_signal() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lktrace"))
            .arg("parse")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _keep_open = child.stdin.take();
        std::thread::sleep(std::time::Duration::from_millis(300));
        signal(child.id(), sig);
        wait_exit(&mut child, 5);
    }
}

/// A line of control characters and a 3 MiB line: stderr gets escapes, not ESC bytes, and
/// short warnings.
#[test]
fn hostile_text_is_escaped_and_cut_on_stderr() {
    let mut input = b"\x1b]0;pwned\x07\x1b[2J not a trace line\n".to_vec();
    input.extend(std::iter::repeat_n(b'A', 3 << 20));
    input.extend_from_slice(b"\nanother \x9b junk line\n");
    let out = parse(&[], Some(&input));
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.stderr.contains(&0x1b), "ESC on stderr: {err}");
    assert!(err.contains("\\x1b]0;pwned\\x07"), "{err}");
    assert!(err.contains("line 2 is longer than 1 MiB"), "{err}");
    assert!(
        out.stderr.len() < 4000,
        "{} bytes on stderr",
        out.stderr.len()
    );
}

/// Output is buffered, but never held back while parse waits for input: each record read from
/// a live pipe comes out before the next line is written.
#[test]
fn records_from_a_live_pipe_come_out_at_once() {
    let text = std::fs::read_to_string(format!("{FX}debian/trace_kprobes.txt")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .take(3)
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["parse", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let sout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(sout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for line in &lines {
        writeln!(sin, "{line}").unwrap();
        sin.flush().unwrap();
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the record of a line written to the pipe, while the pipe stays open");
        let v: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(v["type"], "event", "{got}");
    }
    drop(sin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
}

/// `--format chrome`: the fixture's events as one Trace Event Format array a viewer opens: an
/// instant per event on its task's track, the stacks beside them, microsecond times exact.
#[test]
fn chrome_format_puts_the_events_on_a_timeline() {
    let out = parse(
        &[
            "--format",
            "chrome",
            &format!("{FX}debian/trace_kprobe_stack.txt"),
        ],
        None,
    );
    assert!(out.status.success(), "{:?}", out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON array");
    let all = v.as_array().unwrap();
    let of = |ph: &str, name: &str| -> Vec<&serde_json::Value> {
        all.iter()
            .filter(|e| e["ph"] == ph && e["name"] == name)
            .collect()
    };
    let opens = of("i", "open");
    assert_eq!(opens.len(), 3);
    assert_eq!(of("i", "stack").len(), 3);
    // sh-105 and cat-121: one named track each.
    let mut tracks: Vec<_> = of("M", "thread_name")
        .iter()
        .map(|e| e["args"]["name"].as_str().unwrap().to_string())
        .collect();
    tracks.sort();
    assert_eq!(tracks, ["cat-121", "sh-105"]);
    assert_eq!(opens[1]["ts"].as_f64(), Some(2630358.0));
    assert_eq!(opens[1]["tid"], 121);
    assert_eq!(opens[1]["args"]["filename"], "/tmp/marker-file");
}

#[test]
fn chrome_format_is_refused_for_runs_without_a_timeline() {
    let out = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["funccount", "--format", "chrome", "-d", "1", "vfs_read"])
        .env("LKTRACE_TRACEFS", "/nonexistent-tracefs")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--format chrome is for runs that trace events or calls")
            && err.contains("not funccount")
            && err.lines().count() == 1,
        "{err}"
    );
}
