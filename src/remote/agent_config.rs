//! `/etc/lktrace/agent.toml`: the agent's settings in a file, for a service that should not
//! carry them on its command line.
//!
//! ```toml
//! listen = "0.0.0.0:34023"
//! key_file = "/etc/lktrace/agent.key"   # relative paths are relative to this file
//! max_runs = 4
//! lease_secs = 10
//! ```
//!
//! A flag given on the command line wins over the file, the file over the defaults. An unknown
//! key is an error naming the key and the file (a typo must not leave the agent listening where
//! its owner did not mean it to). Root reads this file and acts on it (where to listen, which
//! key to trust), so it is opened without following a symlink and must be owned by root (or
//! the user running the agent) and writable by nobody else.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::args::parse_listen;
use super::{AgentArgs, Error};

/// Where the agent looks for its config when `--config` does not say.
pub const DEFAULT_PATH: &str = "/etc/lktrace/agent.toml";

/// The most a config file may hold: it is a few lines.
const MAX_BYTES: u64 = 64 << 10;

/// What the file may set; every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub listen: Option<String>,
    pub key_file: Option<PathBuf>,
    pub max_runs: Option<u32>,
    pub lease_secs: Option<u64>,
}

impl AgentConfig {
    /// The config at `path`. A missing file is no config unless `required` (named by
    /// `--config`).
    pub fn load(path: &Path, required: bool) -> Result<Option<AgentConfig>, Error> {
        let bad = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let file = match open_no_follow(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
            Err(e) => return Err(bad(e.to_string())),
        };
        let meta = file.metadata().map_err(|e| bad(e.to_string()))?;
        if !meta.is_file() {
            return Err(bad("not a regular file".into()));
        }
        check_owner_and_mode(&meta).map_err(bad)?;
        if meta.len() > MAX_BYTES {
            return Err(bad(format!(
                "{} bytes: more than a config holds",
                meta.len()
            )));
        }
        let mut text = String::new();
        use std::io::Read;
        file.take(MAX_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| bad(e.to_string()))?;
        AgentConfig::parse(&text, path).map(Some)
    }

    /// Parses and checks the values as the command line's flags are checked.
    pub fn parse(text: &str, path: &Path) -> Result<AgentConfig, Error> {
        let bad = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let mut c: AgentConfig = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
        if let Some(l) = &c.listen {
            parse_listen(l).map_err(|e| bad(format!("listen: {e}")))?;
        }
        if let Some(n) = c.max_runs {
            if !(1..=64).contains(&n) {
                return Err(bad(format!("max_runs = {n}: must be 1 to 64")));
            }
        }
        if let Some(n) = c.lease_secs {
            if !(2..=3600).contains(&n) {
                return Err(bad(format!("lease_secs = {n}: must be 2 to 3600")));
            }
        }
        if let Some(k) = &c.key_file {
            if k.is_relative() {
                c.key_file = Some(path.parent().unwrap_or(Path::new("/")).join(k));
            }
        }
        Ok(c)
    }
}

impl AgentArgs {
    /// These arguments with the config file's values where the command line gave none.
    pub fn with_config(mut self) -> Result<AgentArgs, Error> {
        let (path, required) = match &self.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_PATH), false),
        };
        let Some(c) = AgentConfig::load(&path, required)? else {
            return Ok(self);
        };
        let given = |id: &str| self.from_command_line.iter().any(|g| g == id);
        if let (Some(v), false) = (&c.listen, given("listen")) {
            self.listen = v.clone();
        }
        if let (Some(v), false) = (&c.key_file, given("key_file")) {
            self.key_file = v.clone();
        }
        if let (Some(v), false) = (c.max_runs, given("max_runs")) {
            self.max_runs = v;
        }
        if let (Some(v), false) = (c.lease_secs, given("lease_secs")) {
            self.lease_secs = v;
        }
        self.config = Some(path);
        Ok(self)
    }
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(unix)]
fn check_owner_and_mode(meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me && meta.uid() != 0 {
        return Err(format!(
            "owned by uid {}: it must be root's (or the agent user's)",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "mode {mode:03o}: others may write it; chmod go-w it"
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_and_mode(_meta: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests;
