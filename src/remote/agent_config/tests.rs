use super::*;

fn parse(text: &str) -> Result<AgentConfig, String> {
    AgentConfig::parse(text, Path::new("/etc/lktrace/agent.toml")).map_err(|e| e.to_string())
}

#[test]
fn every_key_and_a_relative_key_file() {
    let c =
        parse("listen = \"0.0.0.0:9\"\nkey_file = \"board.key\"\nmax_runs = 2\nlease_secs = 30\n")
            .unwrap();
    assert_eq!(c.listen.as_deref(), Some("0.0.0.0:9"));
    assert_eq!(c.key_file, Some(PathBuf::from("/etc/lktrace/board.key")));
    assert_eq!((c.max_runs, c.lease_secs), (Some(2), Some(30)));
    assert_eq!(parse("").unwrap(), AgentConfig::default());
}

#[test]
fn unknown_keys_and_bad_values_name_the_key_and_the_file() {
    let e = parse("lisen = \"0.0.0.0\"\n").unwrap_err();
    assert!(
        e.contains("/etc/lktrace/agent.toml") && e.contains("lisen"),
        "{e}"
    );
    let e = parse("max_runs = 0\n").unwrap_err();
    assert!(e.contains("max_runs = 0") && e.contains("1 to 64"), "{e}");
    let e = parse("lease_secs = 1\n").unwrap_err();
    assert!(e.contains("lease_secs"), "{e}");
    let e = parse("listen = \"1.2.3.4:0\"\n").unwrap_err();
    assert!(e.contains("listen"), "{e}");
    let e = parse("max_runs = \"4\"\n").unwrap_err();
    assert!(e.contains("agent.toml"), "{e}");
}

fn args(config: Option<PathBuf>, given: &[&str]) -> AgentArgs {
    AgentArgs {
        listen: "127.0.0.1:34023".into(),
        key_file: "/etc/lktrace/agent.key".into(),
        max_runs: 4,
        lease_secs: 10,
        config,
        from_command_line: given.iter().map(|s| s.to_string()).collect(),
        tracefs: None,
        tap: None,
    }
}

#[cfg(unix)]
fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("agent.toml");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[cfg(unix)]
#[test]
fn the_command_line_wins_over_the_file_and_the_file_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "listen = \"0.0.0.0:9\"\nmax_runs = 2\n", 0o644);
    let a = args(Some(p.clone()), &["max_runs"]).with_config().unwrap();
    assert_eq!(a.listen, "0.0.0.0:9");
    assert_eq!(a.max_runs, 4, "given on the command line");
    assert_eq!(a.lease_secs, 10, "neither: the default");
    assert_eq!(a.config, Some(p));
}

#[cfg(unix)]
#[test]
fn a_file_others_may_write_a_symlink_or_a_missing_named_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "max_runs = 2\n", 0o666);
    let e = args(Some(p.clone()), &[])
        .with_config()
        .unwrap_err()
        .to_string();
    assert!(e.contains("others may write"), "{e}");
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(&p, &link).unwrap();
    assert!(args(Some(link), &[]).with_config().is_err());
    let e = args(Some(dir.path().join("none.toml")), &[])
        .with_config()
        .unwrap_err()
        .to_string();
    assert!(e.contains("none.toml"), "{e}");
}
