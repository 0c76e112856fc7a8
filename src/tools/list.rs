//! list: what this kernel lets lktrace trace. Functions the function tracer can hook
//! (available_filter_functions), tracepoints (available_events) and symbols a kprobe can be
//! put on (/proc/kallsyms' text symbols, less the kernel's kprobe blacklist), all or those
//! matching a glob.
//!
//! `lktrace list [-f] [-t] [-k] [PATTERN]`: without `-f`/`-t`/`-k`, every kind.
//! `lktrace list -u FILE [PATTERN]`: a user-space file's functions, where uprobes go.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::engine::uprobe_target::UprobeTarget;
use super::values::{NameGlob, ValueError};
use super::RunEnv;
use crate::record::{NoticeLevel, Record, Sink, Symbol, SymbolKind};
use crate::{Error, Result};

/// Longest /proc/kallsyms line read whole (`addr t name [module]`; kernel symbols are at most
/// 512 bytes, KSYM_NAME_LEN); longer lines are skipped.
const MAX_KALLSYMS_LINE: usize = 1024;
/// The kprobe blacklist, in debugfs (there is no tracefs copy).
const BLACKLIST: &str = "/sys/kernel/debug/kprobes/blacklist";


/// Which kinds to list; at least one is set (the Spec's constructor and its serde check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "KindsWire", into = "KindsWire")]
pub struct Kinds {
    functions: bool,
    tracepoints: bool,
    kprobes: bool,
}

#[derive(Serialize, Deserialize)]
struct KindsWire {
    functions: bool,
    tracepoints: bool,
    kprobes: bool,
}

impl TryFrom<KindsWire> for Kinds {
    type Error = ValueError;
    fn try_from(w: KindsWire) -> std::result::Result<Kinds, ValueError> {
        Kinds::new(w.functions, w.tracepoints, w.kprobes)
            .ok_or_else(|| ValueError::from("a list names at least one kind".to_string()))
    }
}

impl From<Kinds> for KindsWire {
    fn from(k: Kinds) -> KindsWire {
        KindsWire {
            functions: k.functions,
            tracepoints: k.tracepoints,
            kprobes: k.kprobes,
        }
    }
}

impl Kinds {
    pub fn new(functions: bool, tracepoints: bool, kprobes: bool) -> Option<Kinds> {
        (functions || tracepoints || kprobes).then_some(Kinds {
            functions,
            tracepoints,
            kprobes,
        })
    }
}

/// The kernel's kinds, or one user-space file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Listing {
    Kernel(Kinds),
    /// `-u FILE`: its functions, found as uprobe finds them (PATH, the library search).
    User(UprobeTarget),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListSpec {
    pub pattern: Option<NameGlob>,
    pub what: Listing,
}

/// List what this kernel can trace: functions, tracepoints, kprobe-able symbols.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Functions the function tracer can trace (funccount, functrace, funcgraph)
    #[arg(short = 'f', long)]
    pub functions: bool,
    /// Tracepoints (tpoint)
    #[arg(short = 't', long)]
    pub tracepoints: bool,
    /// Kernel symbols a kprobe can be put on (kprobe)
    #[arg(short = 'k', long)]
    pub kprobes: bool,
    /// A user-space file's functions (uprobe): a path, a program in PATH, a library (libc)
    #[arg(short = 'u', long, value_name = "FILE", conflicts_with_all = ["functions", "tracepoints", "kprobes"])]
    pub user: Option<String>,
    /// Glob over names: 'vfs_*', 'sched:*', '*_open*'
    pub pattern: Option<String>,
}

/// The list tool (see the module documentation).
pub struct List;

impl super::Tool for List {
    const NAME: &'static str = "list";
    const ABOUT: &'static str =
        "List traceable kernel functions, tracepoints and kprobe-able symbols";
    const DESCRIPTION: &'static str =
        "list prints what the other tools can trace on this kernel: the functions the function \
         tracer can trace (-f, for funccount, functrace and funcgraph), the tracepoints (-t, for \
         tpoint), the kernel symbols a kprobe can be put on (-k, for kprobe), or the functions \
         of a user-space file where a uprobe can go (-u FILE, for uprobe). An optional glob \
         narrows the list. Nothing is traced: it only reads.";
    const RECORDS: &'static [&'static str] = &["symbol", "user_symbol", "notice"];
    const EG: &'static [(&'static str, &'static str)] = &[
        ("lktrace list 'vfs_*'", "traceable kernel functions matching vfs_*"),
        ("lktrace list -t 'sched:*'", "tracepoints of the sched system"),
        ("lktrace list -u /bin/bash 'read*'", "functions of bash a uprobe can go on"),
    ];
    const SCENARIOS: &'static [&'static str] = &["list"];
    const MAN_SECTION: &'static str = "8";
    const MAN_EXTRA: &'static [(&'static str, &'static str)] = &[
        (
        "REQUIREMENTS",
        "Linux with tracefs, root. Functions come from available_filter_functions \
         (CONFIG_FUNCTION_TRACER), tracepoints from available_events, kprobe-able symbols from \
         /proc/kallsyms (addresses need root and kptr_restrict below 2; only names are used) \
         less the kernel's kprobe blacklist in debugfs (/sys/kernel/debug/kprobes/blacklist); \
         where debugfs is not mounted the blacklist is not applied and a notice says so.",
    ),
        (
            "FIELDS",
            "Two columns: the kind (function, tracepoint, kprobe, or the user function's address \
             and kind) and the name, as the tools take it. With --json one symbol (or \
             user_symbol) record a line (docs/json.md).",
        ),
        (
            "OVERHEAD",
            "None to speak of: list reads available_filter_functions, available_events, \
             /proc/kallsyms or the file's symbol tables once, and changes nothing in the kernel.",
        ),
    ];
    type Args = ListArgs;
    type Spec = ListSpec;

    fn spec(args: &ListArgs) -> Result<ListSpec> {
        let pattern = args
            .pattern
            .clone()
            .map(NameGlob::try_from)
            .transpose()
            .map_err(|e| Error::Usage(e.to_string()))?;
        if let Some(file) = &args.user {
            let target =
                UprobeTarget::try_from(file.clone()).map_err(|e| Error::Usage(e.to_string()))?;
            return Ok(ListSpec {
                pattern,
                what: Listing::User(target),
            });
        }
        let all = !(args.functions || args.tracepoints || args.kprobes);
        let kinds = Kinds::new(
            all || args.functions,
            all || args.tracepoints,
            all || args.kprobes,
        )
        .ok_or_else(|| Error::Usage("nothing to list".into()))?;
        Ok(ListSpec {
            pattern,
            what: Listing::Kernel(kinds),
        })
    }

    fn needs() -> Vec<super::Need> {
        use super::{Need, Requires};
        vec![Need::new("list", Requires::Tracefs)]
    }

    fn describe(spec: &ListSpec) -> String {
        format!("list {:?}", spec.pattern.as_ref().map(NameGlob::as_str))
    }

    fn run(spec: &ListSpec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
        let kinds = match &spec.what {
            Listing::Kernel(kinds) => kinds,
            Listing::User(file) => {
                let pattern = spec.pattern.as_ref();
                let n = super::uprobe::list_functions(
                    file,
                    &|name| pattern.is_none_or(|g| g.matches(name)),
                    sink,
                )?;
                if n == 0 {
                    if let Some(g) = pattern {
                        return Err(Error::Other(format!(
                            "no function of {} matches `{}`",
                            file.as_str(),
                            g.as_str()
                        )));
                    }
                }
                return Ok(sink.flush()?);
            }
        };
        let tracefs = super::open_tracefs(env)?;
        let mut found = 0usize;
        let mut emit = |sink: &mut dyn Sink, kind, name: &str, module: Option<&str>| {
            found += 1;
            sink.emit(Record::Symbol(Symbol {
                kind,
                name: name.to_string(),
                module: module.map(str::to_string),
            }))
        };
        let pattern = spec.pattern.as_ref();
        if kinds.functions {
            let text = tracefs.read("available_filter_functions")?;
            for (name, module) in unique(functions(&text)) {
                if pattern.is_none_or(|g| g.matches(name)) {
                    emit(sink, SymbolKind::Function, name, module)?;
                }
            }
        }
        if kinds.tracepoints {
            let text = tracefs.read("available_events")?;
            for t in super::tpoint::parse_available(&text) {
                if pattern.is_none_or(|g| g.matches_tracepoint(&t.system, &t.event)) {
                    let name = format!("{}:{}", t.system, t.event);
                    emit(sink, SymbolKind::Tracepoint, &name, None)?;
                }
            }
        }
        if kinds.kprobes {
            kprobe_symbols(pattern, sink, &mut emit)?;
        }
        if found == 0 {
            if let Some(g) = pattern {
                return Err(Error::Other(format!("nothing traceable matches `{}`", g.as_str())));
            }
        }
        Ok(sink.flush()?)
    }
}

type Emit<'a> =
    dyn FnMut(&mut dyn Sink, SymbolKind, &str, Option<&str>) -> std::result::Result<(), crate::record::SinkError>
        + 'a;

fn kprobe_symbols(
    pattern: Option<&NameGlob>,
    sink: &mut dyn Sink,
    emit: &mut Emit<'_>,
) -> Result<()> {
    let blacklist = match std::fs::read_to_string(BLACKLIST) {
        Ok(text) => Some(blacklisted(&text)),
        Err(_) => {
            sink.emit(Record::notice(
                NoticeLevel::Warning,
                format!(
                    "{BLACKLIST} is not readable (debugfs not mounted?): symbols the kernel \
                     refuses to probe are listed too"
                ),
            ))?;
            None
        }
    };
    let file = std::fs::File::open("/proc/kallsyms")
        .map_err(|e| Error::Other(format!("cannot read /proc/kallsyms: {e}")))?;
    let mut seen = HashSet::new();
    for_each_line(file, |line| {
        let Some((name, module)) = text_symbol(line) else {
            return Ok(());
        };
        if blacklist.as_ref().is_some_and(|b| b.contains(name))
            || pattern.is_some_and(|g| !g.matches(name))
            || !seen.insert((name.to_string(), module.map(str::to_string)))
        {
            return Ok(());
        }
        Ok(emit(sink, SymbolKind::Kprobe, name, module)?)
    })
}

/// Calls `f` with each line of `r`, skipping (not truncating) lines over
/// [`MAX_KALLSYMS_LINE`]: memory stays bounded whatever the file holds.
fn for_each_line(r: impl Read, mut f: impl FnMut(&str) -> Result<()>) -> Result<()> {
    let mut r = BufReader::new(r);
    let mut buf = Vec::with_capacity(256);
    loop {
        buf.clear();
        let n = (&mut r)
            .take(MAX_KALLSYMS_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::Other(format!("cannot read /proc/kallsyms: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        if buf.last() != Some(&b'\n') && n > MAX_KALLSYMS_LINE {
            // Skip to the end of this overlong line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let m = (&mut r)
                    .take(4096)
                    .read_until(b'\n', &mut rest)
                    .map_err(|e| Error::Other(format!("cannot read /proc/kallsyms: {e}")))?;
                if m == 0 || rest.last() == Some(&b'\n') {
                    break;
                }
            }
            continue;
        }
        if let Ok(line) = std::str::from_utf8(&buf) {
            f(line.trim_end_matches('\n'))?;
        }
    }
}

/// `available_filter_functions` lines as (name, module); unnamed records are left out.
fn functions(text: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    text.lines().filter_map(|l| {
        let mut parts = l.split_whitespace();
        let name = parts.next()?;
        if name.starts_with("__ftrace_invalid_address__") {
            return None;
        }
        let module = parts
            .next()
            .and_then(|m| m.strip_prefix('[')?.strip_suffix(']'));
        Some((name, module))
    })
}

/// Each (name, module) once, in first-seen order.
fn unique<'a>(
    it: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> impl Iterator<Item = (&'a str, Option<&'a str>)> {
    let mut seen = HashSet::new();
    it.filter(move |p| seen.insert(*p))
}

/// A `/proc/kallsyms` line's name and module when it is a text symbol (`t`, `T`, and weak
/// `w`/`W` text): what a kprobe can be put on.
fn text_symbol(line: &str) -> Option<(&str, Option<&str>)> {
    let mut parts = line.split_whitespace();
    let _addr = parts.next()?;
    let ty = parts.next()?;
    let name = parts.next()?;
    if !matches!(ty, "t" | "T" | "w" | "W") {
        return None;
    }
    let module = parts
        .next()
        .and_then(|m| m.strip_prefix('[')?.strip_suffix(']'));
    Some((name, module))
}

/// The blacklist's symbols (`0xSTART-0xEND\tSYMBOL`).
fn blacklisted(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kallsyms_text_symbols_with_their_modules() {
        assert_eq!(
            text_symbol("ffffffff812d3c40 T vfs_read"),
            Some(("vfs_read", None))
        );
        assert_eq!(
            text_symbol("ffffffffc0a01000 t ext4_fill_super\t[ext4]"),
            Some(("ext4_fill_super", Some("ext4")))
        );
        assert_eq!(text_symbol("ffffffff82a00000 D jiffies"), None);
        assert_eq!(text_symbol("garbage"), None);
    }

    #[test]
    fn available_filter_functions_with_modules_and_no_unnamed_records() {
        let text = "vfs_read\n__ftrace_invalid_address___64\next4_sync_fs [ext4]\nvfs_read\n";
        let got: Vec<_> = unique(functions(text)).collect();
        assert_eq!(got, vec![("vfs_read", None), ("ext4_sync_fs", Some("ext4"))]);
    }

    #[test]
    fn the_blacklist_names_symbols() {
        let b = blacklisted("0xffffffff81000000-0xffffffff81000040\tdo_int3\n");
        assert!(b.contains("do_int3"));
    }

    #[test]
    fn overlong_lines_are_skipped_not_cut() {
        let long = format!("ffff T {}\nffff T vfs_write\n", "x".repeat(5000));
        let mut names = Vec::new();
        for_each_line(long.as_bytes(), |l| {
            names.push(l.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(names, vec!["ffff T vfs_write".to_string()]);
    }

    #[test]
    fn globs_are_checked_and_tracepoints_match_either_way() {
        assert!(NameGlob::try_from("x; rm -rf /".to_string()).is_err());
        assert!(NameGlob::try_from(String::new()).is_err());
        let g = NameGlob::try_from("sched:*exec".to_string()).unwrap();
        assert!(g.matches_tracepoint("sched", "sched_process_exec"));
        let g = NameGlob::try_from("*exec".to_string()).unwrap();
        assert!(g.matches_tracepoint("sched", "sched_process_exec"));
        assert!(!g.matches_tracepoint("sched", "sched_switch"));
    }

    #[test]
    fn a_spec_lists_at_least_one_kind() {
        assert!(Kinds::new(false, false, false).is_none());
        let bad = r#"{"pattern":null,"what":{"kernel":{"functions":false,"tracepoints":false,"kprobes":false}}}"#;
        assert!(serde_json::from_str::<ListSpec>(bad).is_err());
        let good = r#"{"pattern":"vfs_*","what":{"kernel":{"functions":true,"tracepoints":false,"kprobes":false}}}"#;
        assert!(serde_json::from_str::<ListSpec>(good).is_ok());
        let evil = r#"{"pattern":"a b","what":{"kernel":{"functions":true,"tracepoints":false,"kprobes":false}}}"#;
        assert!(serde_json::from_str::<ListSpec>(evil).is_err());
        let user = r#"{"pattern":"lkt_*","what":{"user":"/usr/bin/upprog"}}"#;
        assert!(serde_json::from_str::<ListSpec>(user).is_ok());
        let evil = r#"{"pattern":null,"what":{"user":"a\nb"}}"#;
        assert!(serde_json::from_str::<ListSpec>(evil).is_err());
    }
}
