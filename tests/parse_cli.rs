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
