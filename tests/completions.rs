//! The committed completion scripts, loaded into real bash, zsh and fish on a pseudo-terminal
//! (completest-pty) and asked to complete, as a user's TAB would: subcommands of `lktrace`, a
//! standalone tool's flags and a flag's values. Needs the three shells (tests/vm/setup.sh
//! installs them); a missing shell fails, it does not skip.
#![cfg(unix)]

use std::path::{Path, PathBuf};

use completest_pty::{BashRuntime, FishRuntime, Runtime, Term, ZshRuntime};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(name: &str) -> String {
    let path = root().join("completions").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The directory holding the built binaries, put first in the shell's PATH.
fn bin_root() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_lktrace"))
        .parent()
        .expect("binaries live in a directory")
        .to_path_buf()
}

fn have(shell: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(shell).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{shell} is not installed: run tests/vm/setup.sh (it installs bash, zsh and fish)"
    );
}

/// What the shell's screen shows after typing `input`, once it shows all of `want`. The pty
/// harness waits a fixed quiet time for the shell's output, which a loaded machine can exceed:
/// each attempt is a fresh shell, and only a screen with every wanted word passes.
fn completes(rt: &mut dyn Runtime, input: &str, want: &[&str]) {
    let term = Term::new();
    let mut last = String::new();
    for _ in 0..8 {
        last = rt.complete(input, &term).expect("run the shell on a pty");
        if want.iter().all(|w| last.contains(w)) {
            return;
        }
    }
    panic!("typing {input:?} did not offer {want:?}; the screen was:\n{last}");
}

/// The cases every shell must complete, with the committed scripts `lktrace.EXT` and
/// `funccount.EXT` registered.
/// `tab` is what lists several matches: two TABs in bash, one in zsh and fish.
fn cases(rt: &mut dyn Runtime, ext: &str, tab: &str) {
    for bin in ["lktrace", "funccount"] {
        rt.register(bin, &script(&format!("{bin}.{ext}")))
            .expect("register the script");
    }
    // Subcommands.
    completes(
        rt,
        &format!("lktrace func{tab}"),
        &["funccount", "functrace"],
    );
    completes(
        rt,
        &format!("lktrace ctl {tab}"),
        &["status", "reset", "check"],
    );
    // A standalone binary's own flags and a flag's values.
    // One match: every shell completes it in the line (bash too with one TAB).
    completes(rt, "funccount --back\t", &["funccount --backend"]);
    completes(
        rt,
        &format!("funccount --backend {tab}"),
        &["profiler", "kprobe-profile", "function-trace"],
    );
}

fn home(shell: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("lkt-{shell}-"))
        .tempdir()
        .expect("temporary home")
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    have("bash");
    let dir = home("bash");
    let mut rt = BashRuntime::new(bin_root(), dir.path().to_path_buf()).expect("bash runtime");
    cases(&mut rt, "bash", "\t\t");
}

#[test]
fn zsh_completes_subcommands_flags_and_values() {
    have("zsh");
    let dir = home("zsh");
    let mut rt = ZshRuntime::new(bin_root(), dir.path().to_path_buf()).expect("zsh runtime");
    cases(&mut rt, "zsh", "\t");
}

#[test]
fn fish_completes_subcommands_flags_and_values() {
    have("fish");
    let dir = home("fish");
    let mut rt = FishRuntime::new(bin_root(), dir.path().to_path_buf()).expect("fish runtime");
    cases(&mut rt, "fish", "\t");
}
