//! `promtool check metrics`, Prometheus' own parser and linter, for the `--format openmetrics`
//! tests. promtool is extracted from Debian's prometheus package by
//! tests/tools/fetch-promtool.sh (tests/vm/setup.sh runs it); without it a test fails, saying so.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn promtool() -> PathBuf {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/prometheus/usr/bin/promtool");
    assert!(
        p.is_file(),
        "no {}: run tests/tools/fetch-promtool.sh (tests/vm/setup.sh does)",
        p.display()
    );
    p
}

/// `promtool check metrics` on `text`: whether it passed without a word, and what it said.
pub fn check(text: &str) -> (bool, String) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).expect("write to promtool");
    }
    let out = child.wait_with_output().expect("wait for promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && said.trim().is_empty(), said)
}
