//! Hostile Specs sent straight to an agent (loopback, in-process, on a fake tracefs), as an
//! authenticated client that skips every check of the CLI could: each is refused with a clear
//! error naming what was wrong, no run starts, and tracefs is untouched. Also: a tool this
//! agent does not have, and one that runs only locally.

mod remote_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use lktrace::remote::agent::AgentOptions;
use lktrace::remote::client::{ClientOptions, Connection, Incoming};
use lktrace::remote::msg::{Outcome, ToClient};
use remote_support::*;

/// Every file under `root` with its content (directories as empty entries).
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if p.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A Start message: tag 1, the tool's name with its length, then `body` as the Spec.
fn start(tool: &str, body: &str) -> Vec<u8> {
    let mut m = vec![1u8, tool.len() as u8];
    m.extend_from_slice(tool.as_bytes());
    m.extend_from_slice(body.as_bytes());
    m
}

/// Sends `message` on a fresh session and returns the agent's error (Done), failing on
/// records or a silent agent.
fn refusal(agent: &TestAgent, key: &lktrace::remote::crypto::Key, message: Vec<u8>) -> String {
    let mut c = Connection::open(agent.addr, key, &ClientOptions::default()).unwrap();
    c.send_bytes(message).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match c.poll().unwrap() {
            Some(Incoming::Message(ToClient::Done(Outcome::Error { message, .. }))) => {
                return message
            }
            Some(Incoming::Message(ToClient::Done(Outcome::Ok))) => panic!("the agent ran it"),
            Some(Incoming::Message(ToClient::Record(r))) => panic!("the agent ran it: {r:?}"),
            _ => {}
        }
    }
    panic!("no answer from the agent")
}

fn funccount(pattern: &str, duration: &str, interval: &str) -> String {
    format!(
        r#"{{"pattern":{{"functions":{pattern}}},"duration_s":{duration},"interval_s":{interval},"top":null,"backend":null,"max_probes":200}}"#
    )
}

#[test]
fn hostile_specs_are_refused_and_tracefs_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = key_file(dir.path(), "key");
    let root = fake_tracefs(dir.path());
    let before = tree(&root);
    let agent = TestAgent::start(
        key.clone(),
        AgentOptions {
            tracefs: Some(root.clone()),
            // One session per case, each left to its lease.
            max_sessions_per_ip: 64,
            ..AgentOptions::default()
        },
    );
    // As big as fits the agent's 64 KiB receive limit, which counts each fragment's and the
    // message's overhead too (64 B per 1121-byte fragment, 512 B per message): a bigger Start
    // never arrives whole, and the session ends as a violation instead.
    let big = format!("\"{}\"", "a".repeat(56 * 1024));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "funccount",
            funccount(r#""vfs_rea[d:mod:zz\n*:traceoff\n*:dump\nx:mod:]""#, "1", "null"),
            "has ':'",
        ),
        ("funccount", funccount(r#""vfs_read\n""#, "1", "null"), "has '\\n'"),
        ("funccount", funccount(r#""!vfs_read""#, "1", "null"), "starts with '!'"),
        ("funccount", funccount(r#""vfs read""#, "1", "null"), "has ' '"),
        ("funccount", funccount(&big, "1", "null"), "57344 bytes"),
        (
            "funccount",
            r#"{"pattern":{"regex":"vfs_(read"},"duration_s":1,"interval_s":null,"top":null,"backend":null,"max_probes":200}"#.into(),
            "regular expression",
        ),
        (
            "funccount",
            r#"{"pattern":{"tracepoints":"sched:a;b"},"duration_s":1,"interval_s":null,"top":null,"backend":null,"max_probes":200}"#.into(),
            "name glob",
        ),
        (
            "funccount",
            r#"{"pattern":{"functions":"vfs_*"},"pid":0,"duration_s":1,"interval_s":null,"top":null,"backend":null,"max_probes":200}"#.into(),
            "pid",
        ),
        ("funccount", funccount(r#""vfs_*""#, "-1", "null"), "a duration must be"),
        ("funccount", funccount(r#""vfs_*""#, "1e300", "null"), "not 1e300"),
        ("funccount", funccount(r#""vfs_*""#, "1e-9", "null"), "a duration must be"),
        ("funccount", funccount(r#""vfs_*""#, "99999999999999999999", "null"), "a duration must be"),
        // JSON has no NaN: a client can only send something that is not a number.
        ("funccount", funccount(r#""vfs_*""#, "NaN", "null"), "expected value"),
        ("funccount", funccount(r#""vfs_*""#, "null", "0.001"), "an interval must be"),
        (
            "funccount",
            r#"{"pattern":{"functions":"vfs_*"},"duration_s":1,"interval_s":null,"top":null,"backend":null,"max_probes":100000000}"#.into(),
            "the number of probes must be",
        ),
        (
            "kprobe",
            r#"{"definitions":["p:a vfs_read\n-:a"],"filter":null,"duration_s":1,"pid":null,"tid":null,"stacks":false,"format_only":false,"skip_check":false}"#.into(),
            "control character",
        ),
        (
            "kprobe",
            r#"{"definitions":["p:/bin/../etc/shadow:0x10"],"filter":null,"duration_s":1,"pid":null,"tid":null,"stacks":false,"format_only":false,"skip_check":false}"#.into(),
            "uprobe definition",
        ),
        (
            "kprobe",
            r#"{"definitions":["p:a vfs_read"],"filter":"a == 1\n","duration_s":1,"pid":null,"tid":null,"stacks":false,"format_only":false,"skip_check":false}"#.into(),
            "control character",
        ),
        (
            "kprobe",
            r#"{"definitions":[],"filter":null,"duration_s":1,"pid":null,"tid":null,"stacks":false,"format_only":false,"skip_check":false}"#.into(),
            "no probe definition",
        ),
        (
            "kprobe",
            r#"{"definitions":["p:a vfs_read","p:a vfs_write"],"filter":null,"duration_s":1,"pid":null,"tid":null,"stacks":false,"format_only":false,"skip_check":false}"#.into(),
            "two definitions name their event a",
        ),
        (
            "kprobe",
            r#"{"definitions":["p:a vfs_read"],"filter":null,"duration_s":1,"pid":0,"tid":null,"stacks":false,"format_only":false,"skip_check":false}"#.into(),
            "a pid must be",
        ),
    ];
    for (tool, body, want) in &cases {
        let msg = refusal(&agent, &key, start(tool, body));
        assert!(
            msg.contains(&format!("refused the {tool} request")) && msg.contains(want),
            "{tool} {}: {msg}",
            &body[..body.len().min(120)]
        );
        assert_eq!(tree(&root), before, "{tool} {body:.80}: tracefs changed");
    }
    let msg = refusal(&agent, &key, start("no_such_tool", "{}"));
    assert!(
        msg.contains("this agent (version ") && msg.contains("has no tool \"no_such_tool\""),
        "{msg}"
    );
    // A uprobe definition that would write a second line into uprobe_events.
    let body = r#"{"trace":{"definition":"p:bash:readline\n-:x","filter":null,"duration_s":1,"pid":null,"tid":null,"stacks":false,"format_only":false,"force":false,"headers":false}}"#;
    let msg = refusal(&agent, &key, start("uprobe", body));
    assert!(msg.contains("refused the uprobe request"), "{msg}");
    assert_eq!(tree(&root), before, "uprobe: tracefs changed");
    let msg = refusal(&agent, &key, start("parse", r#"{"file":"/etc/shadow"}"#));
    assert!(msg.contains("parse runs only locally"), "{msg}");
    assert_eq!(tree(&root), before, "tracefs changed");
    assert_eq!(
        agent
            .stats
            .runs_started
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no run started"
    );
}
