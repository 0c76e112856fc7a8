//! The validated values Specs are made of. A value that exists is valid: each type checks in
//! its constructor, and serde goes through that constructor (`try_from`), so the CLI (clap
//! parses through `FromStr`) and the agent (which decodes Specs from the network) run exactly
//! the same checks, and nothing unchecked reaches a tracefs file.
//!
//! Messages name the value, never a flag: the CLI shows them after clap's "invalid value '…'
//! for '-d <SECS>'", the agent after "refused the funccount request".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(String);

impl ValueError {
    fn new(m: impl Into<String>) -> ValueError {
        ValueError(m.into())
    }
}

impl From<String> for ValueError {
    /// A refusal in these words (for value types kept beside their tool).
    fn from(m: String) -> ValueError {
        ValueError(m)
    }
}

/// Text shown back in a message: cut, and Debug-quoted so control characters stay visible.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        format!("{cut:?}… ({} bytes)", s.len())
    } else {
        format!("{cut:?}")
    }
}

/// Defines a string newtype with `check` as its only way in.
macro_rules! checked_string {
    ($(#[$m:meta])* $name:ident, $check:path) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;
            fn try_from(s: String) -> Result<$name, ValueError> {
                $check(&s)?;
                Ok($name(s))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValueError;
            fn try_from(s: &str) -> Result<$name, ValueError> {
                $name::try_from(s.to_string())
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<$name, ValueError> {
                $name::try_from(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Longest function glob: longer than any kernel symbol (KSYM_NAME_LEN is 512 with Rust
/// symbols, 128 before), short enough to show in a message.
pub const MAX_PATTERN: usize = 256;

fn check_pattern(s: &str) -> Result<(), ValueError> {
    if s.is_empty() {
        return Err(ValueError::new("the pattern is empty"));
    }
    if s.len() > MAX_PATTERN {
        return Err(ValueError::new(format!(
            "the pattern is {} bytes; at most {MAX_PATTERN}",
            s.len()
        )));
    }
    // set_ftrace_filter reads more than globs: `!f` removes, `f:mod:m` and `f:traceoff` are
    // commands, a newline starts another line. One glob token of these characters is all a
    // function pattern needs.
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.*?[]!^-".contains(*c)))
    {
        return Err(ValueError::new(format!(
            "the pattern {} has {c:?}: one function glob of letters, digits and _ . * ? [ ] ! ^ - (vfs_*, *_read, vfs_[rw]*)",
            shown(s)
        )));
    }
    if s.starts_with('!') {
        return Err(ValueError::new(format!(
            "the pattern {} starts with '!', which set_ftrace_filter reads as \"remove\"",
            shown(s)
        )));
    }
    Ok(())
}

checked_string!(
    /// A kernel function glob (`vfs_*`, `tcp_*send*`, `vfs_[rw]*`): one token, safe to write
    /// into set_ftrace_filter.
    FuncPattern,
    check_pattern
);

fn check_regex(s: &str) -> Result<(), ValueError> {
    if s.is_empty() || s.len() > MAX_PATTERN {
        return Err(ValueError::new(format!(
            "a regular expression is 1 to {MAX_PATTERN} bytes"
        )));
    }
    build_regex(s).map(|_| ()).map_err(|e| {
        let first = e.to_string();
        let last = first.lines().last().unwrap_or("invalid").trim().to_string();
        ValueError::new(format!(
            "the regular expression {} is invalid: {last}",
            shown(s)
        ))
    })
}

checked_string!(
    /// A regular expression over kernel function names (`funccount -r '^vfs_(read|write)$'`),
    /// matched here, never written to the kernel: the names it selects are.
    FuncRegex,
    check_regex
);

impl FuncRegex {
    /// The compiled expression (checked when the value was made).
    pub fn regex(&self) -> regex::Regex {
        build_regex(&self.0)
            .unwrap_or_else(|_| regex::Regex::new("$^").expect("a constant regex compiles"))
    }
}

/// Bounded compile: a pattern the user (or a remote client) sends cannot make us build an
/// automaton of unbounded size.
fn build_regex(s: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(s).size_limit(1 << 20).build()
}

/// Longest probe definition or filter: the kernel's own limit for a command line of
/// kprobe_events is 4 KiB (`MAX_ARGSTR_LEN`).
pub const MAX_DEFINITION: usize = 4096;

fn check_one_line(what: &str, s: &str) -> Result<(), ValueError> {
    if s.trim().is_empty() {
        return Err(ValueError::new(format!("the {what} is empty")));
    }
    if s.len() > MAX_DEFINITION {
        return Err(ValueError::new(format!(
            "the {what} is {} bytes; at most {MAX_DEFINITION}",
            s.len()
        )));
    }
    // A newline would be a second command to the kernel file.
    if s.chars().any(char::is_control) {
        return Err(ValueError::new(format!(
            "the {what} {} has a control character (a newline starts another command)",
            shown(s)
        )));
    }
    Ok(())
}

fn check_kprobe_definition(s: &str) -> Result<(), ValueError> {
    check_one_line("probe definition", s)?;
    let def = crate::tracefs::probe::ProbeDef::parse(s).map_err(|e| {
        ValueError::new(format!(
            "bad probe definition {}: {} (at byte {})",
            shown(s),
            e.reason,
            e.position
        ))
    })?;
    if def.is_uprobe() {
        return Err(ValueError::new(
            "that is a uprobe definition (PATH:OFFSET); kprobe traces kernel functions",
        ));
    }
    // Refused, not honoured: a run's probes live in its own group (lkt_<pid>) because that
    // name is how the next run and `ctl reset` tell a killed run's probes from everyone
    // else's, and how teardown removes them all with one `-:GROUP/`. Probes in a group the
    // user names would be orphaned by a SIGKILL (the reaper does not know them) and could
    // share a group with probes that are not ours; replacing the group without a word left
    // the user looking for events that were never there.
    if let Some(group) = def.group.as_deref() {
        return Err(ValueError::new(format!(
            "{}: lktrace puts its probes in a group of its own (lkt_PID, so that a killed run's probes are found and removed); leave out `{}/`",
            shown(s),
            crate::output::escape::cut(group, 64)
        )));
    }
    Ok(())
}

checked_string!(
    /// A kprobe definition (`p:[NAME] FUNC [ARGS]`, `r:…`) that parses, names a kernel
    /// target (never a user path), and is one line.
    KprobeDefinition,
    check_kprobe_definition
);

fn check_filter(s: &str) -> Result<(), ValueError> {
    check_one_line("filter", s)
}

/// Longest field name (the kernel's `MAX_ARG_NAME_LEN` is 32).
pub const MAX_FIELD: usize = 32;

fn check_field_name(s: &str) -> Result<(), ValueError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_FIELD
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        return Ok(());
    }
    Err(ValueError::new(format!(
        "{} is not a field name (letters, digits and _, at most {MAX_FIELD})",
        shown(s)
    )))
}

checked_string!(
    /// A field of an event (`bytes`, `arg1`): a C identifier, so it names a field and nothing
    /// else in a hist trigger.
    FieldName,
    check_field_name
);

checked_string!(
    /// An event filter expression (`filename ~ "*.conf"`), one line; the kernel parses it.
    EventFilter,
    check_filter
);

/// Longest output file name taken (the kernel's PATH_MAX).
pub const MAX_PATH: usize = 4096;

fn check_output_file(s: &str) -> Result<(), ValueError> {
    if s.is_empty() {
        return Err(ValueError::new("the file name is empty"));
    }
    if s.len() > MAX_PATH {
        return Err(ValueError::new(format!(
            "the file name is {} bytes; at most {MAX_PATH}",
            s.len()
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(ValueError::new(format!(
            "the file name {} has a control character",
            shown(s)
        )));
    }
    Ok(())
}

checked_string!(
    /// A file the client writes (`stackcount --svg FILE`): a path of at most PATH_MAX bytes
    /// without control characters. Only the client opens it, never an agent.
    OutputFile,
    check_output_file
);

/// A number as a person would write it: 1e300, not 301 digits.
fn shown_f64(v: f64) -> String {
    if v.is_finite() && (v == 0.0 || (1e-4..1e15).contains(&v.abs())) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Defines a seconds newtype over f64 with bounds.
macro_rules! seconds {
    ($(#[$m:meta])* $name:ident, $what:literal, $min:expr, $max:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(f64);

        impl $name {
            pub const MIN: f64 = $min;
            pub const MAX: f64 = $max;

            pub fn secs(self) -> f64 {
                self.0
            }

            /// As a Duration; cannot panic: the value is finite and in range.
            pub fn duration(self) -> std::time::Duration {
                std::time::Duration::from_secs_f64(self.0)
            }
        }

        impl TryFrom<f64> for $name {
            type Error = ValueError;
            fn try_from(v: f64) -> Result<$name, ValueError> {
                // NaN fails both comparisons.
                if ($min..=$max).contains(&v) {
                    Ok($name(v))
                } else {
                    Err(ValueError::new(format!(
                        "{} must be a number of seconds from {} to {} ({} days), not {}",
                        $what,
                        $min,
                        $max,
                        $max / 86400.0,
                        shown_f64(v)
                    )))
                }
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<$name, ValueError> {
                let v: f64 = s.trim().parse().map_err(|_| {
                    ValueError::new(format!("{} must be a number of seconds, not {}", $what, shown(s)))
                })?;
                $name::try_from(v)
            }
        }

        impl From<$name> for f64 {
            fn from(v: $name) -> f64 {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

/// 30 days: longer than any trace a person waits for, far from Duration's limits.
const MAX_SECONDS: f64 = 30.0 * 86400.0;

seconds!(
    /// How long a run traces (`-d`).
    RunSeconds,
    "a duration",
    0.01,
    MAX_SECONDS
);

seconds!(
    /// How often a run reports (`-i`). At least 0.1 s: each interval reads the kernel's
    /// counters, and faster than that only costs.
    IntervalSeconds,
    "an interval",
    0.1,
    MAX_SECONDS
);

/// Defines a bounded integer newtype.
macro_rules! bounded {
    ($(#[$m:meta])* $name:ident, $t:ty, $what:literal, $min:expr, $max:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u64")]
        pub struct $name($t);

        impl $name {
            pub const MIN: $t = $min;
            pub const MAX: $t = $max;

            pub fn get(self) -> $t {
                self.0
            }
        }

        impl TryFrom<u64> for $name {
            type Error = ValueError;
            fn try_from(v: u64) -> Result<$name, ValueError> {
                match <$t>::try_from(v) {
                    Ok(x) if ($min..=$max).contains(&x) => Ok($name(x)),
                    _ => Err(ValueError::new(format!(
                        "{} must be from {} to {}, not {v}",
                        $what, $min, $max
                    ))),
                }
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<$name, ValueError> {
                let v: u64 = s.trim().parse().map_err(|_| {
                    ValueError::new(format!("{} must be a whole number, not {}", $what, shown(s)))
                })?;
                $name::try_from(v)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                v.0 as u64
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

// funcgraph's and funcslower's numbers.
mod graph;
pub use graph::{GraphDepth, Micros};

bounded!(
    /// A process or thread id: 1 to the kernel's PID_MAX_LIMIT (2^22).
    Pid,
    u32,
    "a pid",
    1,
    4_194_304
);

bounded!(
    /// How many rows to keep (`-t`).
    Top,
    usize,
    "the number of rows",
    1,
    1_000_000
);

bounded!(
    /// The most kprobes one run may create (the kprobe_profile and hist backends make one per
    /// function): attaching thousands costs the kernel seconds, so there is a ceiling.
    MaxProbes,
    usize,
    "the number of probes",
    1,
    5000
);

impl Default for MaxProbes {
    fn default() -> MaxProbes {
        MaxProbes(200)
    }
}

/// A glob over names (`vfs_*`, `sched:*`, `*_open*`): the kernel's glob characters and the
/// characters of kernel symbols, tracepoint and module names. `lktrace list` and `tpoint -l`
/// take it; `/` separates a tracepoint's system and event as `:` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NameGlob(String);

impl NameGlob {
    /// The most a glob may be.
    pub const MAX: usize = 256;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, name: &str) -> bool {
        crate::tracefs::ftrace_filter::glob_match(&self.0, name)
    }

    /// With a `:` (or `/`) the glob is matched against `SYSTEM:EVENT`; without, against the
    /// system and the event name each (`sched_*`, `block`).
    pub fn matches_tracepoint(&self, system: &str, event: &str) -> bool {
        let g = self.0.replace('/', ":");
        let m = crate::tracefs::ftrace_filter::glob_match;
        if g.contains(':') {
            m(&g, &format!("{system}:{event}"))
        } else {
            m(&g, event) || m(&g, system)
        }
    }
}

impl TryFrom<String> for NameGlob {
    type Error = ValueError;
    fn try_from(s: String) -> std::result::Result<NameGlob, ValueError> {
        if s.is_empty() || s.len() > NameGlob::MAX {
            return Err(ValueError(format!(
                "a name glob is 1 to {} bytes",
                NameGlob::MAX
            )));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_-.:/*?[]!^$".contains(*c)))
        {
            return Err(ValueError(format!(
                "a name glob has letters, digits, `_ - . : / $` and `* ? [ ]`; not {c:?}"
            )));
        }
        Ok(NameGlob(s))
    }
}

impl From<NameGlob> for String {
    fn from(g: NameGlob) -> String {
        g.0
    }
}

#[cfg(test)]
mod tests;
