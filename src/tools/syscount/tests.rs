use super::*;
use crate::tools::Tool;
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: SyscountArgs,
}

fn spec(argv: &[&str]) -> std::result::Result<SyscountSpec, String> {
    let mut v = vec!["syscount"];
    v.extend_from_slice(argv);
    let cli = Cli::try_parse_from(v).map_err(|e| e.to_string())?;
    Syscount::spec(&cli.args).map_err(|e| e.to_string())
}

#[test]
fn perf_tools_flags() {
    let s = spec(&["-cp", "923"]).unwrap();
    assert!(s.by_syscall && !s.pids);
    assert!(matches!(s.scope, Scope::Pid(p) if p.get() == 923));
    let s = spec(&["-cv", "-t", "5", "-d", "2"]).unwrap();
    assert!(s.by_syscall && s.pids);
    assert_eq!(s.top, Some(5));
    assert!(matches!(s.scope, Scope::For(d) if d.secs() == 2.0));
    assert_eq!(spec(&[]).unwrap().scope, Scope::All);
    // A command takes its own options: `-l` is ls's.
    let s = spec(&["-c", "ls", "-l", "/tmp"]).unwrap();
    match &s.scope {
        Scope::Command(c) => assert_eq!(c.argv(), ["ls", "-l", "/tmp"]),
        other => panic!("{other:?}"),
    }
    // perf-tools: pick one of {-p PID|-d seconds|command}.
    for bad in [&["-p", "1", "-d", "2"][..], &["-d", "2", "ls"], &["-p", "1", "ls"]] {
        assert!(spec(bad).unwrap_err().contains("pick one"), "{bad:?}");
    }
    assert!(spec(&["-t", "0"]).is_err());
    assert!(spec(&["-d", "-1"]).is_err());
}

#[test]
fn an_agent_never_runs_a_command_it_was_sent() {
    let s = spec(&["-c", "-d", "3"]).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<SyscountSpec>(&json).unwrap(), s);
    let cmd = serde_json::to_string(&spec(&["ls"]).unwrap()).unwrap();
    let e = serde_json::from_str::<SyscountSpec>(&cmd).unwrap_err().to_string();
    assert!(e.contains("never one sent to an agent"), "{e}");
    let bad = json.replace("\"for\":3.0", "\"for\":0.0");
    assert_ne!(bad, json);
    assert!(serde_json::from_str::<SyscountSpec>(&bad).is_err());
}

/// Real `hist` output of `hist:keys=common_pid.execname,id.syscall` on raw_syscalls:sys_enter
/// has the shape below (trace_events_hist.c prints `%-30s[%3llu]` for a .syscall key).
const HIST: &str = "\
# event histogram
#
# trigger info: hist:keys=common_pid.execname,id.syscall:vals=hitcount:sort=hitcount:size=32768 if common_pid != 77 [active]
#

{ common_pid: dd              [       120], id: sys_write                     [  1] } hitcount:        100
{ common_pid: dd              [       120], id: sys_read                      [  0] } hitcount:        103
{ common_pid: dd              [       121], id: sys_read                      [  0] } hitcount:          2
{ common_pid: sh              [       119], id: unknown_syscall               [999] } hitcount:          1
{ common_pid: sh              [       120], id: sys_execve                    [ 59] } hitcount:          1

Totals:
    Hits: 207
    Entries: 5
    Dropped: 0
";

fn spec_of(by_syscall: bool, pids: bool) -> SyscountSpec {
    SyscountSpec {
        by_syscall,
        pids,
        top: None,
        scope: Scope::All,
    }
}

fn table(spec: &SyscountSpec) -> Vec<(String, u64)> {
    let mut r: Vec<_> = rows(spec, &hist::parse(HIST))
        .into_iter()
        .map(|c| (c.name, c.count))
        .collect();
    r.sort();
    r
}

#[test]
fn rows_by_process_by_syscall_and_both() {
    // By process name: dd's two tasks are one row; task 120's execve, made before it became
    // dd, counts under sh.
    assert_eq!(
        table(&spec_of(false, false)),
        [("dd".to_string(), 205), ("sh".to_string(), 2)]
    );
    assert_eq!(
        table(&spec_of(true, false)),
        [
            ("execve".to_string(), 1),
            ("read".to_string(), 105),
            ("syscall_999".to_string(), 1),
            ("write".to_string(), 100)
        ]
    );
    let both = table(&spec_of(true, true));
    assert!(both.contains(&("120 dd read".to_string(), 103)), "{both:?}");
    assert!(both.contains(&("121 dd read".to_string(), 2)), "{both:?}");
    assert!(both.contains(&("120 sh execve".to_string(), 1)), "{both:?}");
    // -v without -c: one row per task and name.
    let tasks = table(&spec_of(false, true));
    assert!(tasks.contains(&("120 dd".to_string(), 203)), "{tasks:?}");
    assert!(tasks.contains(&("120 sh".to_string(), 1)), "{tasks:?}");
    // perf-tools' column order: PID, COMM, SYSCALL.
    let r = rows(&spec_of(true, true), &hist::parse(HIST));
    let names: Vec<&str> = r[0].keys.as_ref().unwrap().0.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["pid", "comm", "syscall"]);
}

#[test]
fn the_trigger_keys_what_is_shown() {
    // By name: keyed on the syscall too, so a program's calls after exec take its new name.
    assert_eq!(
        trigger_keys(&spec_of(false, false)).0,
        ["common_pid.execname", "id.syscall"]
    );
    assert_eq!(
        trigger_keys(&spec_of(false, true)).0,
        ["common_pid.execname", "id.syscall"]
    );
    assert_eq!(trigger_keys(&spec_of(true, false)).0, ["id.syscall"]);
    assert_eq!(
        trigger_keys(&spec_of(true, true)).0,
        ["common_pid.execname", "id.syscall"]
    );
}
