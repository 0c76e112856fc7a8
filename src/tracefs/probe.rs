//! Kprobe and uprobe definitions: parsed and validated against the kernel's grammar
//! (TRACEFS.md section 1) before anything is written, and printed back in the kernel's syntax.
//!
//! INTERFACE STUB: the parser is being written; signatures are the contract.

use std::fmt;

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
}

impl ProbeDef {
    /// Parses and validates one definition line.
    pub fn parse(_s: &str) -> Result<ProbeDef, ProbeError> {
        todo!("probe parser")
    }

    /// The event name this definition will get: explicit, or the kernel's auto name.
    pub fn event_name(&self) -> String {
        todo!()
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
}

impl fmt::Display for ProbeDef {
    /// The definition in the kernel's syntax, ready for kprobe_events / uprobe_events.
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!()
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
