//! Kprobe and uprobe definitions: parsed and validated against the kernel's grammar
//! (TRACEFS.md section 1) before anything is written, and printed back in the kernel's syntax.
//!
//! The checks mirror `__trace_kprobe_create`, `__trace_uprobe_create` and
//! `traceprobe_parse_probe_arg` (kernel/trace/trace_probe.c), so a definition that passes here
//! fails in the kernel only for what cannot be known in advance: a missing symbol, a notrace
//! function, an offset off an instruction boundary. Error positions point where the kernel's
//! own error_log caret would.
//!
//! Besides the kernel's grammar, the perf-tools forms are accepted: `p:do_sys_open` (a lone
//! token after `p:` is the target, not a name), `p:do_sys_open filename=+0(%si):string` (the
//! token after `p:` is the target when the next one is a fetch argument), `r:do_sys_open
//! $retval` and `p do_sys_open`.
//!
//! [`parse`] holds the grammar of the head and the target, [`fetch`] the fetch arguments and
//! their types, [`registers`] the register names, [`arch`] the calling conventions, [`args`]
//! portable `argN` and BTF names made concrete for one kernel; this file the types and printing.

use std::fmt;

pub mod arch;
mod args;
mod fetch;
mod parse;
mod registers;
#[cfg(test)]
mod tests;

pub use args::ArgMode;
pub use parse::is_good_group_name;
use parse::{is_symbol_name, Parser};

/// Why a definition is not acceptable, found before the kernel sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad probe definition `{definition}`: {reason}")]
pub struct ProbeError {
    pub definition: String,
    pub reason: String,
    /// Byte offset of the offending token in `definition`, for a caret.
    pub position: usize,
}

/// kprobe or uprobe, entry or return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeKind {
    /// `p:` on a kernel symbol or address.
    Kprobe,
    /// `r[MAXACTIVE]:` or `p:... SYM%return` on a kernel function.
    Kretprobe { maxactive: Option<u32> },
    /// `p:` on `PATH:OFFSET`.
    Uprobe,
    /// `r:` or `%return` on `PATH:OFFSET`.
    Uretprobe,
}

/// Where the probe goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `[MOD:]SYM[+OFFS]`
    Symbol {
        module: Option<String>,
        symbol: String,
        offset: u64,
    },
    /// A kernel address.
    Address(u64),
    /// `PATH:OFFSET[(REF_CTR_OFFSET)]`
    User {
        path: String,
        offset: u64,
        ref_ctr: Option<u64>,
    },
}

/// One `NAME=FETCHARG[:TYPE]` argument, kept as text after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchArg {
    /// Explicit name, or `None` for the kernel's default `argN`.
    pub name: Option<String>,
    pub fetch: String,
    pub ty: Option<String>,
}

/// A validated probe definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeDef {
    pub kind: ProbeKind,
    pub group: Option<String>,
    pub event: Option<String>,
    pub target: Target,
    pub args: Vec<FetchArg>,
    /// The return probe was written `p:... TARGET%return` (5.10+) rather than `r:`; kept so
    /// the definition prints back as it was given. Ignored unless the probe is a return probe
    /// without MAXACTIVE.
    pub return_suffix: bool,
}

// Limits of the kernel (trace_probe.h, trace_kprobe.c, kprobes.h).
/// Longest line the kernel takes from kprobe_events (`trace_parse_run_command`).
pub const MAX_LINE_LEN: usize = 4094;
/// `MAX_EVENT_NAME_LEN`.
pub const MAX_EVENT_NAME_LEN: usize = 64;
/// The kernel checks `slash - event + 1 > MAX_EVENT_NAME_LEN`.
pub const MAX_GROUP_NAME_LEN: usize = 63;
/// `MAX_TRACE_ARGS`.
pub const MAX_TRACE_ARGS: usize = 128;
/// `MAX_ARGSTR_LEN`: the fetch expression with its type, after `NAME=`.
pub const MAX_ARGSTR_LEN: usize = 63;
/// `MAX_ARG_NAME_LEN`.
pub const MAX_ARG_NAME_LEN: usize = 32;
/// `MAX_ARRAY_LEN`.
pub const MAX_ARRAY_LEN: u64 = 64;
/// `KRETPROBE_MAXACTIVE_MAX`.
pub const MAXACTIVE_MAX: u32 = 4096;
/// `FETCH_INSN_MAX` (16) leaves room for about this many nested dereferences.
pub const MAX_DEREF_DEPTH: usize = 12;
/// `PARAM_MAX_STACK` = THREAD_SIZE / sizeof(long), 16 KiB / 8 on 64-bit kernels.
pub const PARAM_MAX_STACK: u64 = 2048;
/// Field names every event already has (`reserved_field_names` in trace_probe.c).
pub const RESERVED_ARG_NAMES: [&str; 7] = [
    "common_type",
    "common_flags",
    "common_preempt_count",
    "common_pid",
    "__probe_ip",
    "__probe_ret_ip",
    "__probe_func",
];

impl ProbeDef {
    /// Parses and validates one definition line.
    pub fn parse(s: &str) -> Result<ProbeDef, ProbeError> {
        Parser { def: s }.parse()
    }

    /// The event name this definition will get: the explicit one, else the perf-tools name:
    /// the sanitized symbol for kernel probes (entry and return alike), `p_<file>_0x<off>` for
    /// uprobes and `p_0x<addr>` for addresses.
    ///
    /// The kernel's own auto names differ (`p_vfs_read_0`), so a caller that relies on this
    /// name must write it into the definition (`def.event = Some(def.event_name())`).
    pub fn event_name(&self) -> String {
        if let Some(e) = self.event.as_deref().filter(|e| !e.is_empty()) {
            return e.to_string();
        }
        match &self.target {
            Target::Symbol { symbol, .. } => sanitize_event_name(symbol),
            Target::Address(a) => sanitize_event_name(&format!("p_0x{a:x}")),
            Target::User { path, offset, .. } => {
                let base = path.rsplit('/').next().unwrap_or(path);
                sanitize_event_name(&format!("p_{base}_0x{offset:x}"))
            }
        }
    }

    pub fn is_uprobe(&self) -> bool {
        matches!(self.kind, ProbeKind::Uprobe | ProbeKind::Uretprobe)
    }

    pub fn is_return(&self) -> bool {
        matches!(
            self.kind,
            ProbeKind::Kretprobe { .. } | ProbeKind::Uretprobe
        )
    }

    /// The kernel function probed, when the target is a symbol.
    pub fn symbol(&self) -> Option<&str> {
        match &self.target {
            Target::Symbol { symbol, .. } => Some(symbol),
            _ => None,
        }
    }

    /// True when Display writes `p:... TARGET%return` rather than `r:`.
    fn prints_suffix(&self) -> bool {
        self.return_suffix
            && matches!(
                self.kind,
                ProbeKind::Kretprobe { maxactive: None } | ProbeKind::Uretprobe
            )
    }
}

impl fmt::Display for ProbeDef {
    /// The definition in the kernel's syntax, ready for kprobe_events / uprobe_events.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = self.prints_suffix();
        match &self.kind {
            _ if suffix => f.write_str("p")?,
            ProbeKind::Kprobe | ProbeKind::Uprobe => f.write_str("p")?,
            ProbeKind::Kretprobe { maxactive: Some(n) } => write!(f, "r{n}")?,
            ProbeKind::Kretprobe { maxactive: None } | ProbeKind::Uretprobe => f.write_str("r")?,
        }
        match (&self.group, &self.event) {
            (Some(g), Some(e)) => write!(f, ":{g}/{e}")?,
            (Some(g), None) => write!(f, ":{g}/")?,
            (None, Some(e)) => write!(f, ":{e}")?,
            (None, None) => {}
        }
        f.write_str(" ")?;
        match &self.target {
            Target::Symbol {
                module,
                symbol,
                offset,
            } => {
                if let Some(m) = module {
                    write!(f, "{m}:")?;
                }
                f.write_str(symbol)?;
                if *offset != 0 {
                    write!(f, "+{offset}")?;
                }
                if suffix {
                    f.write_str("%return")?;
                }
            }
            Target::Address(a) => write!(f, "0x{a:x}")?,
            Target::User {
                path,
                offset,
                ref_ctr,
            } => {
                write!(f, "{path}:0x{offset:x}")?;
                if suffix {
                    f.write_str("%return")?;
                }
                if let Some(r) = ref_ctr {
                    write!(f, "(0x{r:x})")?;
                }
            }
        }
        for a in &self.args {
            f.write_str(" ")?;
            if let Some(n) = &a.name {
                write!(f, "{n}=")?;
            }
            f.write_str(&a.fetch)?;
            if let Some(t) = &a.ty {
                write!(f, ":{t}")?;
            }
        }
        Ok(())
    }
}

/// `^[A-Za-z_][A-Za-z0-9_]*$`, at most 64 chars: what the kernel takes as an event name.
pub fn is_good_event_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .enumerate()
            .all(|(i, c)| c == b'_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
}

/// Turns a function name into a legal event name (`foo.isra.0` → `foo_isra_0`).
pub fn sanitize_event_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.as_bytes().first().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out.truncate(64);
    out
}
