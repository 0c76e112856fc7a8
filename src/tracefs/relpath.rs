//! A path inside tracefs, relative to its root: what undo steps and journals name.
//!
//! `Path::join` with an absolute path throws the root away, and `..` climbs out of it, so a
//! journal naming `/etc/shadow` or `../../etc/shadow` would make root write there. A [`RelPath`]
//! that exists has only plain components; serde builds it through the same check
//! (`try_from`), so a journal read back from disk is checked exactly as a path made in code.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PathBuf", into = "PathBuf")]
pub struct RelPath(PathBuf);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path:?} is not a path inside tracefs (relative, without `..`)")]
pub struct NotRelative {
    pub path: PathBuf,
}

impl RelPath {
    pub fn new(p: impl Into<PathBuf>) -> Result<RelPath, NotRelative> {
        let p = p.into();
        let plain = p.components().all(|c| matches!(c, Component::Normal(_)));
        if !plain || p.as_os_str().is_empty() {
            return Err(NotRelative { path: p });
        }
        Ok(RelPath(p))
    }

    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl TryFrom<PathBuf> for RelPath {
    type Error = NotRelative;
    fn try_from(p: PathBuf) -> Result<RelPath, NotRelative> {
        RelPath::new(p)
    }
}

impl From<RelPath> for PathBuf {
    fn from(r: RelPath) -> PathBuf {
        r.0
    }
}

impl AsRef<Path> for RelPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for RelPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths() {
        assert!(RelPath::new("function_profile_enabled").is_ok());
        assert!(RelPath::new("instances/lktrace_1/options/record-tgid").is_ok());
        for bad in ["/etc/shadow", "../x", "a/../../x", "./x", "", "a//b/.."] {
            assert!(RelPath::new(bad).is_err(), "{bad}");
        }
        let j: Result<RelPath, _> = serde_json::from_str("\"/etc/passwd\"");
        assert!(j.is_err());
        let j: RelPath = serde_json::from_str("\"set_ftrace_filter\"").unwrap();
        assert_eq!(j.as_path(), Path::new("set_ftrace_filter"));
    }
}
