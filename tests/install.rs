//! install.sh puts the man pages and completions where man and the shells look under a prefix
//! (the binaries come from `cargo install --root`, not run here: `--no-build`).

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn install_puts_pages_and_completions_under_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("usr local");
    let out = Command::new("sh")
        .arg(Path::new(ROOT).join("install.sh"))
        .args(["--no-build", "--prefix"])
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let share = prefix.join("share");
    for page in std::fs::read_dir(Path::new(ROOT).join("man")).unwrap() {
        let page = page.unwrap().file_name().into_string().unwrap();
        let section = page.rsplit('.').next().unwrap();
        let at = share.join(format!("man/man{section}/{page}"));
        assert!(at.is_file(), "{}", at.display());
    }
    // Every binary that ships completes in each shell, under the name the shell loads it by.
    for bin in ["lktrace", "funccount", "kprobe", "syscount"] {
        let bash = share.join(format!("bash-completion/completions/{bin}"));
        let zsh = share.join(format!("zsh/site-functions/_{bin}"));
        let fish = share.join(format!("fish/vendor_completions.d/{bin}.fish"));
        for f in [&bash, &zsh, &fish] {
            assert!(f.is_file(), "{}", f.display());
        }
        let first = std::fs::read_to_string(&zsh).unwrap();
        assert!(
            first.starts_with(&format!("#compdef {bin}")),
            "{}",
            zsh.display()
        );
    }
    let bad = Command::new("sh")
        .arg(Path::new(ROOT).join("install.sh"))
        .arg("--prefx")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--prefx"));
}
