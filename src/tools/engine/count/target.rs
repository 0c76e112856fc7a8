//! What funccount counts, as bcc spells it: `vfs_*` or `p:vfs_*` (kernel functions, a glob),
//! `-r` with a regular expression over kernel functions, `t:SYSTEM:EVENT` (tracepoints, a
//! glob), `u:FILE:GLOB` (functions of a user-space file). Each variant holds a value checked when it was made: a `Target` that exists is valid.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tools::engine::uprobe_target::UprobeTarget;
use crate::tools::values::NameGlob;
use crate::tools::values::{FuncPattern, FuncRegex, ValueError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Kernel functions matching a glob; the kernel matches it where a backend writes a
    /// filter.
    Functions(FuncPattern),
    /// Kernel functions whose names a regular expression matches (`-r`), matched here
    /// against available_filter_functions.
    Regex(FuncRegex),
    /// Tracepoints matching a `SYSTEM:EVENT` glob, each counted by a hist trigger.
    Tracepoints(NameGlob),
    /// Functions of a user-space file (`u:FILE:GLOB`), one uprobe each.
    User(UserFunctions),
}

/// `u:FILE:GLOB`: the file as uprobe names it (a path, a program in PATH, a library such as
/// `c` or `libc`), and a glob over its function names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserFunctions {
    pub file: UprobeTarget,
    pub functions: FuncPattern,
}

impl Target {
    /// The command-line form: `[p:]GLOB`, `t:SYSTEM:EVENT`, or with `regex` (`-r`) a regular
    /// expression over function names (`p:` allowed before it too).
    pub fn parse(s: &str, regex: bool) -> Result<Target, ValueError> {
        if let Some(rest) = s.strip_prefix("t:") {
            if regex {
                return Err(ValueError::from(
                    "-r takes a regular expression over kernel functions, not tracepoints (t:): use a glob such as t:sched:sched_*".to_string(),
                ));
            }
            if !rest.contains(':') && !rest.contains('/') {
                return Err(ValueError::from(format!(
                    "a tracepoint pattern is t:SYSTEM:EVENT (t:sched:sched_switch, t:block:*); {s:?} has no event"
                )));
            }
            return NameGlob::try_from(rest.to_string()).map(Target::Tracepoints);
        }
        if let Some(rest) = s.strip_prefix("u:") {
            let Some((file, functions)) = rest
                .rsplit_once(':')
                .filter(|(f, g)| !f.is_empty() && !g.is_empty())
            else {
                return Err(ValueError::from(format!(
                    "a user function pattern is u:FILE:FUNC (u:c:malloc, u:/bin/bash:read*); {s:?} has no function"
                )));
            };
            if regex {
                return Err(ValueError::from(
                    "-r takes a regular expression over kernel functions, not user functions (u:): use a glob".to_string(),
                ));
            }
            // bcc's `u:c:malloc` means libc.
            let file = if file.contains('/') || file.starts_with("lib") {
                file.to_string()
            } else {
                format!("lib{file}")
            };
            return Ok(Target::User(UserFunctions {
                file: UprobeTarget::try_from(file)?,
                functions: FuncPattern::try_from(functions)?,
            }));
        }
        let rest = s.strip_prefix("p:").unwrap_or(s);
        if regex {
            FuncRegex::try_from(rest).map(Target::Regex)
        } else {
            FuncPattern::try_from(rest).map(Target::Functions)
        }
    }

    /// What one counted thing is called, for "3 functions", "2 tracepoints".
    pub fn noun(&self) -> &'static str {
        match self {
            Target::Functions(_) | Target::Regex(_) => "function",
            Target::Tracepoints(_) => "tracepoint",
            Target::User(_) => "user function",
        }
    }

    /// The glob, where the kernel matches kernel functions itself.
    pub fn glob(&self) -> Option<&FuncPattern> {
        match self {
            Target::Functions(p) => Some(p),
            _ => None,
        }
    }

    /// Kernel functions (the backends that hook them apply).
    pub fn is_functions(&self) -> bool {
        matches!(self, Target::Functions(_) | Target::Regex(_))
    }
}

impl std::str::FromStr for Target {
    type Err = ValueError;
    /// Without `-r`: `[p:]GLOB` or `t:SYSTEM:EVENT`.
    fn from_str(s: &str) -> Result<Target, ValueError> {
        Target::parse(s, false)
    }
}

impl fmt::Display for Target {
    /// As the user wrote it (the `-r` expression bare).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Functions(p) => write!(f, "{p}"),
            Target::Regex(r) => write!(f, "{r}"),
            Target::Tracepoints(g) => write!(f, "t:{}", String::from(g.clone())),
            Target::User(u) => write!(f, "u:{}:{}", u.file.as_str(), u.functions),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcc_prefixes() {
        assert!(matches!(
            Target::parse("vfs_*", false),
            Ok(Target::Functions(_))
        ));
        assert!(
            matches!(Target::parse("p:vfs_*", false), Ok(Target::Functions(p)) if p.as_str() == "vfs_*")
        );
        assert!(matches!(
            Target::parse("^vfs_(read|write)$", true),
            Ok(Target::Regex(_))
        ));
        assert!(matches!(
            Target::parse("t:sched:sched_*", false),
            Ok(Target::Tracepoints(_))
        ));
        assert_eq!(
            Target::parse("t:sched:sched_*", false).unwrap().to_string(),
            "t:sched:sched_*"
        );
    }

    #[test]
    fn refusals_say_what_to_write() {
        let e = Target::parse("t:sched", false).unwrap_err().to_string();
        assert!(e.contains("t:SYSTEM:EVENT"), "{e}");
        let e = Target::parse("u:/bin/bash", false).unwrap_err().to_string();
        assert!(e.contains("u:FILE:FUNC"), "{e}");
        assert!(Target::parse("u:c:mal loc", false).is_err());
        assert!(Target::parse("u:c:malloc", true).is_err());
        let e = Target::parse("t:sched:*", true).unwrap_err().to_string();
        assert!(e.contains("-r"), "{e}");
        let e = Target::parse("vfs_(read", true).unwrap_err().to_string();
        assert!(e.contains("regular expression"), "{e}");
        assert!(Target::parse("vfs_read\n*:traceoff", false).is_err());
        assert!(Target::parse("t:sched:a;b", false).is_err());
    }

    #[test]
    fn a_spec_from_the_network_is_checked_too() {
        assert!(serde_json::from_str::<Target>(r#"{"regex":"vfs_(read"}"#).is_err());
        assert!(serde_json::from_str::<Target>(r#"{"functions":"a\nb"}"#).is_err());
        assert!(serde_json::from_str::<Target>(r#"{"tracepoints":"sched:*"}"#).is_ok());
    }
}
