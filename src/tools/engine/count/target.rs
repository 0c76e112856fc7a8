//! What funccount counts, as bcc spells it: `vfs_*` or `p:vfs_*` (kernel functions, a glob),
//! `-r` with a regular expression over kernel functions, `t:SYSTEM:EVENT` (tracepoints, a
//! glob). Each variant holds a value checked when it was made: a `Target` that exists is valid.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tools::tpoint::TracepointGlob;
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
    Tracepoints(TracepointGlob),
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
            return TracepointGlob::try_from(rest.to_string()).map(Target::Tracepoints);
        }
        if s.starts_with("u:") {
            return Err(ValueError::from(
                "funccount counts kernel functions (p:) and tracepoints (t:), not yet user functions (u:FILE:FUNC): trace those with uprobe".to_string(),
            ));
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
        }
    }

    /// The glob, where the kernel matches kernel functions itself.
    pub fn glob(&self) -> Option<&FuncPattern> {
        match self {
            Target::Functions(p) => Some(p),
            _ => None,
        }
    }

    pub fn is_functions(&self) -> bool {
        !matches!(self, Target::Tracepoints(_))
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
        let e = Target::parse("u:/bin/bash:readline", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("uprobe"), "{e}");
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
