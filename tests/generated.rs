//! The committed man pages (`man/`) and shell completions (`completions/`) must be what the
//! current CLI generates. After changing the CLI or an `examples/*_example.txt`, run
//! `LKTRACE_REGENERATE=1 cargo test --test generated` and commit the result.

use std::path::{Path, PathBuf};

const HINT: &str = "run `LKTRACE_REGENERATE=1 cargo test --test generated`";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generated() -> Vec<(String, Vec<u8>)> {
    lktrace::gen::all(lktrace::cli::command())
}

/// Files in `dir` (relative to the root) whose name ends in one of `exts`.
fn committed(dir: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| keep(n))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    names.sort();
    names
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create output directory");
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

#[test]
fn man_pages_and_completions_are_up_to_date() {
    let files = generated();
    let regenerate = std::env::var_os("LKTRACE_REGENERATE").is_some_and(|v| v == "1");
    let wanted: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();

    // Pages of commands that no longer exist are stale too.
    let extra: Vec<String> = committed("man", |n| n.ends_with(".1") || n.ends_with(".8"))
        .into_iter()
        .filter(|p| !wanted.contains(&p.as_str()))
        .collect();

    if regenerate {
        for (rel, bytes) in &files {
            write(&root().join(rel), bytes);
        }
        for rel in &extra {
            std::fs::remove_file(root().join(rel))
                .unwrap_or_else(|e| panic!("removing {rel}: {e}"));
        }
        return;
    }

    let mut stale: Vec<String> = Vec::new();
    for (rel, bytes) in &files {
        match std::fs::read(root().join(rel)) {
            Ok(old) if &old == bytes => {}
            Ok(_) => stale.push(format!("{rel} differs")),
            Err(_) => stale.push(format!("{rel} is missing")),
        }
    }
    stale.extend(
        extra
            .iter()
            .map(|rel| format!("{rel} is no longer generated")),
    );
    assert!(
        stale.is_empty(),
        "generated files are stale:\n  {}\n{HINT}",
        stale.join("\n  ")
    );
}

/// Every committed page renders with groff (man's formatter) without a warning, and reads as a
/// man page: its SYNOPSIS names the arguments. groff is installed by tests/vm/setup.sh.
#[cfg(unix)]
#[test]
fn man_pages_render_cleanly() {
    let pages = committed("man", |n| n.ends_with(".1") || n.ends_with(".8"));
    assert!(pages.len() > 10, "{pages:?}");
    for rel in &pages {
        let out = std::process::Command::new("groff")
            .args(["-t", "-man", "-ww", "-Tutf8", "-P-cbou"])
            .arg(root().join(rel))
            .output()
            .expect("groff is installed (tests/vm/setup.sh installs groff-base)");
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && warnings.trim().is_empty(),
            "{rel}: groff says:\n{warnings}"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("SYNOPSIS") && text.contains("EXIT STATUS"),
            "{rel}:\n{text}"
        );
        if rel == "man/kprobe.8" {
            assert!(text.contains("[-d SECS] [-p PID]"), "{rel}:\n{text}");
        }
    }
}
