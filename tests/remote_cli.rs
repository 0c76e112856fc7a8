//! The remote mode through the built binaries: `lktrace ctl keygen`, `lktrace agent` as a
//! child process, tools with `--remote`, SIGTERM to the agent. Tracing runs on a fake tracefs
//! (real profiler-kernel output in tests/fixtures/profiler); the real-kernel version of this is
//! in tests/vm_tools.rs (agent inside QEMU).

#[path = "support/fake_tree.rs"]
mod fake_tree;
mod remote_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn lktrace() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lktrace"))
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `lktrace agent` and waits for its "listening" line on stderr.
fn agent(
    key: &Path,
    tracefs: &Path,
    locks: &Path,
    port: u16,
) -> (Child, std::thread::JoinHandle<Vec<String>>) {
    let mut child = lktrace()
        .args([
            "agent",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--key-file",
        ])
        .arg(key)
        .arg("--tracefs")
        .arg(tracefs)
        .env("LKTRACE_LOCK_DIR", locks)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for l in err.lines().map_while(Result::ok) {
            let _ = tx.send(l.clone());
            lines.push(l);
        }
        lines
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) if l.contains("listening") => break,
            Ok(_) => continue,
            Err(e) => panic!("the agent did not start: {e}"),
        }
    }
    (child, reader)
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn keygen_agent_and_remote_tools_print_what_local_runs_print() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("agent.key");
    let out = lktrace()
        .args(["ctl", "keygen"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode");
    }
    // Never overwrites.
    let again = lktrace()
        .args(["ctl", "keygen"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));

    let tree = remote_support::fake_tracefs(&dir.path().join("t"));
    let locks = dir.path().join("locks");
    let port = free_udp_port();
    let (mut child, log) = agent(&key, &tree, &locks, port);
    let remote = format!("127.0.0.1:{port}");

    let local = lktrace()
        .args(["--json", "funccount", "-d", "0.3", "vfs_*"])
        .env("LKTRACE_TRACEFS", &tree)
        .env("LKTRACE_LOCK_DIR", &locks)
        .output()
        .unwrap();
    assert!(
        local.status.success(),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    let there = lktrace()
        .args([
            "--json",
            "funccount",
            "-d",
            "0.3",
            "vfs_*",
            "--remote",
            &remote,
            "--key-file",
        ])
        .arg(&key)
        .env_remove("LKTRACE_TRACEFS")
        .output()
        .unwrap();
    assert!(
        there.status.success(),
        "{}",
        String::from_utf8_lossy(&there.stderr)
    );
    let strip = |v: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        v.into_iter()
            .map(|mut r| {
                for k in ["time", "duration_s"] {
                    if let Some(x) = r.get_mut(k) {
                        *x = serde_json::Value::Null;
                    }
                }
                r
            })
            .collect()
    };
    let (l, r) = (
        strip(json_lines(&local.stdout)),
        strip(json_lines(&there.stdout)),
    );
    assert_eq!(r, l, "remote JSON differs from local");
    assert!(l
        .iter()
        .any(|x| x["type"] == "counts" && x["counts"].to_string().contains("\"vfs_read\"")));

    // The human table too, byte for byte (no clock in it without -T).
    let table = |remote: bool| {
        let mut c = lktrace();
        c.args(["funccount", "-d", "0.2", "vfs_*"])
            .env("LKTRACE_LOCK_DIR", &locks);
        if remote {
            c.args(["--remote", &remote_addr(port), "--key-file"])
                .arg(&key);
        } else {
            c.env("LKTRACE_TRACEFS", &tree);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(table(true), table(false));

    // ping: round trip, version, kernel.
    let ping = lktrace()
        .args(["--json", "ctl", "ping", "--remote", &remote, "--key-file"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        ping.status.success(),
        "{}",
        String::from_utf8_lossy(&ping.stderr)
    );
    let p = &json_lines(&ping.stdout)[0];
    assert_eq!(p["type"], "ping");
    assert_eq!(p["agent_version"], env!("CARGO_PKG_VERSION"));
    assert!(p["rtt_us"].as_f64().is_some_and(|us| us > 0.0));

    // A wrong key runs nothing and says so.
    let other = dir.path().join("other.key");
    assert!(lktrace()
        .args(["ctl", "keygen"])
        .arg(&other)
        .status()
        .unwrap()
        .success());
    let bad = lktrace()
        .args(["ctl", "status", "--remote", &remote, "--key-file"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("lktrace: error: "));

    // SIGTERM: the agent stops cleanly (exit 0) and has logged one line per run.
    #[cfg(unix)]
    {
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0));
        let lines = log.join().unwrap();
        let runs = lines.iter().filter(|l| l.contains("funccount")).count();
        assert!(
            runs >= 2,
            "one log line per run expected:\n{}",
            lines.join("\n")
        );
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
        let _ = log;
    }
}

fn remote_addr(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// `lktrace agent --config FILE`: the file says where to listen and which key to use (relative
/// to the file); a typo in it stops the agent with one line naming the key and the file.
#[test]
fn agent_reads_its_config_file_and_refuses_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("board.key");
    assert!(lktrace()
        .args(["ctl", "keygen"])
        .arg(&key)
        .status()
        .unwrap()
        .success());
    let port = free_udp_port();
    let cfg = dir.path().join("agent.toml");
    std::fs::write(
        &cfg,
        format!("listen = \"127.0.0.1:{port}\"\nkey_file = \"board.key\"\nmax_runs = 2\n"),
    )
    .unwrap();
    let mut child = lktrace()
        .arg("agent")
        .arg("--config")
        .arg(&cfg)
        .env("LKTRACE_LOCK_DIR", dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.contains(&format!("listening on 127.0.0.1:{port}"))
            && first.contains("board.key")
            && first.contains("at most 2 runs"),
        "{first}"
    );

    std::fs::write(&cfg, "lisen = \"0.0.0.0\"\n").unwrap();
    let out = lktrace()
        .arg("agent")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("agent.toml") && err.contains("lisen"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `syscount COMMAND` runs the command where syscount runs: an agent refuses to run one it is
/// sent (it would be a remote shell), in words, before anything is touched.
#[test]
fn an_agent_refuses_a_command_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("agent.key");
    assert!(lktrace()
        .args(["ctl", "keygen"])
        .arg(&key)
        .output()
        .unwrap()
        .status
        .success());
    let tree = remote_support::fake_tracefs(&dir.path().join("t"));
    let before = fake_tree::snapshot(&tree);
    let locks = dir.path().join("locks");
    let port = free_udp_port();
    let (mut child, log) = agent(&key, &tree, &locks, port);
    let mark = dir.path().join("ran");
    let out = lktrace()
        .args([
            "syscount",
            "--remote",
            &format!("127.0.0.1:{port}"),
            "--key-file",
        ])
        .arg(&key)
        .arg("touch")
        .arg(&mark)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("never one sent to an agent"), "{err}");
    assert!(!mark.exists(), "the command ran");
    assert_eq!(fake_tree::snapshot(&tree), before, "tracefs changed");
    // SAFETY: kill with the pid of our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
    let log = log.join().unwrap().join("\n");
    assert!(log.contains("syscount"), "{log}");
}
