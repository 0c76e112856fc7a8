//! The remote mode on real kernels: `lktrace agent` runs inside a QEMU guest (each of the three
//! test kernels: Debian 12's 6.1, Debian 13's 6.12, the 6.1 profiler kernel, and Debian 12's
//! arm64 kernel), the client runs here on the host and reaches it through qemu's UDP hostfwd.
//! funccount and kprobe run remotely while the guest runs a known workload; the results are
//! checked, and tracefs in the guest is the same after the agent stopped as before it started.
//!
//! Ignored by default (boots a VM); run with
//! `sudo tests/vm/setup.sh && cargo test --release -- --include-ignored`.

#[path = "support/json_schema.rs"]
mod json_schema;
#[path = "support/vm.rs"]
mod vm;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use vm::{Kernel, Script, Vm};

const MARKER: &str = "/tmp/lkt-remote-marker";

/// What the host-side client printed for one command.
#[derive(Debug, Clone)]
struct ClientRun {
    name: &'static str,
    rc: Option<i32>,
    stdout: String,
    stderr: String,
}

fn client_commands(port: u16, key: &std::path::Path) -> Vec<ClientRun> {
    let remote = format!("127.0.0.1:{port}");
    let runs: [(&'static str, Vec<&str>); 4] = [
        ("ping", vec!["--json", "ctl", "ping"]),
        ("funccount", vec!["--json", "funccount", "-d", "8", "vfs_*"]),
        (
            "kprobe",
            vec![
                "--json",
                "kprobe",
                "-d",
                "6",
                // arg2 is made concrete on the agent, for its kernel: %si on 6.1, $arg2
                // where the kernel has BTF arguments (6.12).
                "p:myopen do_sys_openat2 filename=+0(arg2):string",
            ],
        ),
        ("status", vec!["--json", "ctl", "status"]),
    ];
    runs.into_iter()
        .map(|(name, args)| {
            let out = Command::new(env!("CARGO_BIN_EXE_lktrace"))
                .args(&args)
                .args(["--remote", &remote, "--key-file"])
                .arg(key)
                .env_remove("LKTRACE_TRACEFS")
                .output();
            match out {
                Ok(o) => ClientRun {
                    name,
                    rc: o.status.code(),
                    stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
                },
                Err(e) => ClientRun {
                    name,
                    rc: None,
                    stdout: String::new(),
                    stderr: e.to_string(),
                },
            }
        })
        .collect()
}

#[test]
#[ignore = "boots real kernels in QEMU; run with --include-ignored after tests/vm/setup.sh"]
fn agent_in_guest_serves_the_host_debian12() {
    agent_in_guest_serves_funccount_and_kprobe_to_the_host(Kernel::Debian12);
}

#[test]
#[ignore = "boots real kernels in QEMU; run with --include-ignored after tests/vm/setup.sh"]
fn agent_in_guest_serves_the_host_debian13() {
    agent_in_guest_serves_funccount_and_kprobe_to_the_host(Kernel::Debian13);
}

#[test]
#[ignore = "boots real kernels in QEMU; run with --include-ignored after tests/vm/setup.sh"]
fn agent_in_guest_serves_the_host_profiler() {
    agent_in_guest_serves_funccount_and_kprobe_to_the_host(Kernel::Profiler);
}

/// The agent on an arm64 guest (tests/vm_arm64.rs's kernel), the client on this x86-64 host:
/// `arg2` becomes %x1 on the agent's side.
#[test]
#[ignore = "boots an arm64 kernel in QEMU"]
fn agent_in_guest_serves_the_host_arm64() {
    agent_in_guest_serves_funccount_and_kprobe_to_the_host(Kernel::Arm64);
}

fn agent_in_guest_serves_funccount_and_kprobe_to_the_host(kernel: Kernel) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("agent.key");
    let kg = Command::new(env!("CARGO_BIN_EXE_lktrace"))
        .args(["ctl", "keygen"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        kg.status.success(),
        "{}",
        String::from_utf8_lossy(&kg.stderr)
    );

    let mut s = Script::new();
    s.raw(&format!("echo remote > {MARKER}; chmod 600 /lkt/agent.key"));
    s.snapshot("remote.before");
    // The workload the remote tools must see: 100 one-byte reads and a marker open, each second.
    s.raw(&format!(
        "(while :; do dd if=/lkt/payload of=/dev/null bs=1 count=100 2>/dev/null; \
         read -r _x < {MARKER}; sleep 1; done) & WORK=$!"
    ));
    s.raw(
        "lktrace agent --listen 0.0.0.0:34023 --key-file /lkt/agent.key 2>/tmp/agent.log & AGENT=$!\n\
         i=0; until grep -q listening /tmp/agent.log; do sleep 0.2; i=$((i+1)); [ $i -gt 150 ] && break; done\n\
         echo '=====AGENT READY====='\n\
         # Three runs (funccount, kprobe, status) end with a log line each; ping is no run.\n\
         # (status sends `1 record (`: without the `s?` the loop would wait out its 200 s.)\n\
         i=0; until [ \"$(grep -cE ' records? \\(' /tmp/agent.log)\" -ge 3 ]; do sleep 0.5; i=$((i+1)); [ $i -gt 400 ] && break; done\n\
         kill -TERM $AGENT; wait $AGENT; echo \"agent rc=$?\" >> /tmp/agent.log\n\
         kill $WORK",
    );
    s.run("agent_log", 10, "cat /tmp/agent.log");
    s.snapshot("remote.after");

    // One boot: the guest, and the client runs started when its agent is ready.
    let boot = || {
        let results: Arc<Mutex<Option<std::thread::JoinHandle<Vec<ClientRun>>>>> =
            Arc::new(Mutex::new(None));
        let mut v = Vm::new(kernel, &format!("{}-remote", kernel.name()), s.clone());
        v.net = true;
        v.files
            .push(("/lkt/agent.key".into(), std::fs::read(&key).unwrap()));
        let slot = Arc::clone(&results);
        let key_path = key.clone();
        v.on_line = Some(Box::new(move |line, port| {
            if line.contains("=====AGENT READY=====") {
                let port = port.expect("the VM has a forwarded port");
                let key_path = key_path.clone();
                // Not on the console thread: the guest must keep printing while the client runs.
                *slot.lock().unwrap() =
                    Some(std::thread::spawn(move || client_commands(port, &key_path)));
            }
        }));
        v.timeout = Duration::from_secs(400);
        let run = v.boot().unwrap_or_else(|e| panic!("{e}"));
        let handle = results.lock().unwrap().take();
        (run, handle)
    };
    let (mut run, mut handle) = boot();
    // A guest kernel that crashed under emulation (docs/kernel-notes.md: 6.12's int3 oops under
    // TCG, seen with no lktrace code running) is booted once more, as the other suites do.
    if let Some(oops) = vm::guest_kernel_crash(&run.console) {
        eprintln!(
            "vm: the {} kernel crashed inside the guest; booting it once more:\n{oops}",
            kernel.name()
        );
        if let Some(h) = handle.take() {
            let _ = h.join();
        }
        (run, handle) = boot();
    }
    let handle = handle.unwrap_or_else(|| run.fail("the guest never said AGENT READY"));
    let runs = handle.join().unwrap();
    let get = |name: &str| -> &ClientRun { runs.iter().find(|r| r.name == name).unwrap() };
    let json = |r: &ClientRun| -> Vec<Value> {
        if r.rc != Some(0) {
            run.fail(format!(
                "remote {}: rc {:?}\nstdout:\n{}\nstderr:\n{}",
                r.name, r.rc, r.stdout, r.stderr
            ));
        }
        if let Err(e) = json_schema::validate_output(&r.stdout) {
            run.fail(format!(
                "remote {}: output does not match docs/json.md: {e}\n{}",
                r.name, r.stdout
            ));
        }
        r.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    // The guest's `uname -r`, as /init printed it in its BOOTED marker.
    let release = run
        .console
        .log
        .lines()
        .find_map(|l| l.split(" kernel=").nth(1)?.split("=====").next())
        .unwrap_or_else(|| run.fail("no kernel= in the BOOTED marker"))
        .to_string();
    let ping = json(get("ping"));
    if !ping
        .iter()
        .any(|p| p["type"] == "ping" && p["kernel_release"] == release.as_str())
    {
        run.fail(format!(
            "ping did not report the guest's kernel {release}: {ping:?}"
        ));
    }

    let fc = json(get("funccount"));
    let counts: Vec<&Value> = fc.iter().filter(|r| r["type"] == "counts").collect();
    let [c] = counts.as_slice() else {
        run.fail(format!(
            "remote funccount: expected one counts record: {fc:?}"
        ))
    };
    let backend = if kernel.has_profiler() {
        "profiler"
    } else {
        "function_trace"
    };
    if c["backend"] != backend {
        run.fail(format!(
            "remote funccount: backend {} (expected {backend}): {c}",
            c["backend"]
        ));
    }
    let read = c["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "vfs_read")
        .and_then(|x| x["count"].as_u64());
    if read.is_none_or(|n| n < 100) {
        run.fail(format!(
            "remote funccount: vfs_read {read:?}, the guest's dd made 100 a second: {c}"
        ));
    }
    if c["counts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| !x["name"].as_str().unwrap_or("").starts_with("vfs_"))
    {
        run.fail(format!(
            "remote funccount counted a function outside vfs_*: {c}"
        ));
    }

    let kp = json(get("kprobe"));
    if !kp.iter().any(|e| {
        e["type"] == "event" && e["event"] == "myopen" && e["fields"]["filename"] == MARKER
    }) {
        run.fail(format!(
            "remote kprobe: no event opening {MARKER}: {}",
            get("kprobe").stdout
        ));
    }

    let st = json(get("status"));
    if st.first().is_none_or(|s| {
        s["dynamic_events"] != serde_json::json!([]) || s["instances"] != serde_json::json!([])
    }) {
        run.fail(format!(
            "remote status after the runs shows leftovers: {st:?}"
        ));
    }

    let log = &run.block("agent_log").stdout;
    if !log.contains("agent rc=0") {
        run.fail(format!("the agent did not stop cleanly on SIGTERM:\n{log}"));
    }
    for tool in ["funccount", "kprobe"] {
        if !log
            .lines()
            .any(|l| l.contains(tool) && l.contains(" records ("))
        {
            run.fail(format!(
                "the agent logged no line for the {tool} run:\n{log}"
            ));
        }
    }
    run.assert_tracefs_unchanged("remote");
}
