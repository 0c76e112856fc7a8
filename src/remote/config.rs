//! `config.toml` (named remotes) and `--remote` target parsing.
//!
//! ```toml
//! [remotes.board]
//! address = "10.0.0.2"
//! port = 34023                       # optional
//! key_file = "~/.config/lktrace/board.key"
//! ```
//!
//! The file lives at `$LKTRACE_CONFIG`, else `$XDG_CONFIG_HOME/lktrace/config.toml`, else
//! `~/.config/lktrace/config.toml`; on Windows `%APPDATA%\lktrace\config.toml`. A missing file
//! is an empty config; a malformed one is an error (silently ignoring a typo would send a
//! request somewhere unintended).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Error, DEFAULT_PORT};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub remotes: BTreeMap<String, RemoteEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteEntry {
    pub address: String,
    pub port: Option<u16>,
    pub key_file: Option<PathBuf>,
}

/// lktrace's own config directory (`~/.config/lktrace`, `%APPDATA%\lktrace`).
pub fn config_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("APPDATA")
            .filter(|v| !v.is_empty())
            .map(|d| PathBuf::from(d).join("lktrace"));
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("lktrace"));
    }
    home().map(|h| h.join(".config").join("lktrace"))
}

fn home() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Where the key is looked for when neither `--key-file` nor the config names one.
pub fn default_key_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join("key"))
}

impl Config {
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("LKTRACE_CONFIG").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(p));
        }
        config_dir().map(|d| d.join("config.toml"))
    }

    /// The config at the default place; empty when there is none.
    pub fn load_default() -> Result<Config, Error> {
        match Config::default_path() {
            Some(p) if p.exists() => Config::load(&p),
            _ => Ok(Config::default()),
        }
    }

    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Config::parse(&text, path)
    }

    /// Parses config text; relative and `~/` key paths are resolved against `path`'s directory
    /// and the home directory.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let mut c: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for e in c.remotes.values_mut() {
            if let Some(k) = &e.key_file {
                e.key_file = Some(resolve_path(k, base));
            }
        }
        Ok(c)
    }
}

fn resolve_path(p: &Path, base: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~") {
        if let Some(h) = home() {
            return h.join(rest);
        }
    }
    if p.is_relative() {
        base.join(p)
    } else {
        p.to_path_buf()
    }
}

/// One agent to run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTarget {
    /// What the user wrote (a config name or `HOST[:PORT]`): the HOST column and `"host"` field.
    pub label: String,
    /// Host name or IP address (no brackets).
    pub host: String,
    pub port: u16,
    /// From the config entry; `--key-file` overrides it.
    pub key_file: Option<PathBuf>,
}

impl RemoteTarget {
    /// `--remote a,b,c`: each a config name or `HOST[:PORT]` (`[v6]:port` for IPv6).
    pub fn parse_list(s: &str, cfg: &Config) -> Result<Vec<RemoteTarget>, Error> {
        let mut out: Vec<RemoteTarget> = Vec::new();
        for tok in s.split(',').map(str::trim) {
            if tok.is_empty() {
                return Err(Error::Target {
                    target: s.to_string(),
                    reason: "empty name in the list".into(),
                });
            }
            let t = RemoteTarget::parse(tok, cfg)?;
            if out.iter().any(|o| o.label == t.label) {
                return Err(Error::Target {
                    target: tok.to_string(),
                    reason: "named twice".into(),
                });
            }
            out.push(t);
        }
        Ok(out)
    }

    pub fn parse(tok: &str, cfg: &Config) -> Result<RemoteTarget, Error> {
        if let Some(e) = cfg.remotes.get(tok) {
            let (host, port) = split_host_port(&e.address).map_err(|reason| Error::Target {
                target: tok.to_string(),
                reason: format!("its address in the config file: {reason}"),
            })?;
            return Ok(RemoteTarget {
                label: tok.to_string(),
                host,
                port: e.port.or(port).unwrap_or(DEFAULT_PORT),
                key_file: e.key_file.clone(),
            });
        }
        let (host, port) = split_host_port(tok).map_err(|reason| Error::Target {
            target: tok.to_string(),
            reason,
        })?;
        Ok(RemoteTarget {
            label: tok.to_string(),
            host,
            port: port.unwrap_or(DEFAULT_PORT),
            key_file: None,
        })
    }

    /// `host:port`, `[v6]:port`: what `ToSocketAddrs` takes.
    pub fn addr_string(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address (more than one colon).
pub fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    let port = |p: &str| -> Result<u16, String> {
        match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(format!("{p:?} is not a port number (1-65535)")),
            Ok(n) => Ok(n),
        }
    };
    let (host, p) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or("missing ']' after an IPv6 address")?;
        match after {
            "" => (h, None),
            a => (
                h,
                Some(port(
                    a.strip_prefix(':').ok_or("expected ':PORT' after ']'")?,
                )?),
            ),
        }
    } else if s.matches(':').count() > 1 {
        (s, None)
    } else if let Some((h, p)) = s.split_once(':') {
        (h, Some(port(p)?))
    } else {
        (s, None)
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if host.contains(':') && host.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(format!("{host:?} is not an IPv6 address"));
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || c == '/' || c == '[' || c == ']')
    {
        return Err(format!("{host:?} is not a host name"));
    }
    Ok((host.to_string(), p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        let ok = |s: &str| split_host_port(s).unwrap();
        assert_eq!(ok("board"), ("board".into(), None));
        assert_eq!(ok("board:9"), ("board".into(), Some(9)));
        assert_eq!(ok("10.0.0.2:34023"), ("10.0.0.2".into(), Some(34023)));
        assert_eq!(ok("[::1]:5"), ("::1".into(), Some(5)));
        assert_eq!(ok("[fe80::1]"), ("fe80::1".into(), None));
        assert_eq!(ok("fe80::1"), ("fe80::1".into(), None));
        for bad in [
            "",
            ":5",
            "h:0",
            "h:x",
            "h:70000",
            "[::1",
            "[::1]5",
            "[zz::q]:1",
            "a b",
        ] {
            assert!(split_host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_names_and_lists() {
        let cfg = Config::parse(
            "[remotes.board]\naddress = \"10.0.0.2\"\nkey_file = \"board.key\"\n\n[remotes.v6]\naddress = \"[::1]:7\"\n",
            Path::new("/etc/x/config.toml"),
        )
        .unwrap();
        let t = RemoteTarget::parse_list("board, v6 ,h:9", &cfg).unwrap();
        assert_eq!(t[0].host, "10.0.0.2");
        assert_eq!(t[0].port, DEFAULT_PORT);
        assert_eq!(
            t[0].key_file.as_deref(),
            Some(Path::new("/etc/x/board.key"))
        );
        assert_eq!((t[1].host.as_str(), t[1].port), ("::1", 7));
        assert_eq!(t[1].addr_string(), "[::1]:7");
        assert_eq!((t[2].label.as_str(), t[2].port), ("h:9", 9));
        assert!(RemoteTarget::parse_list("a,,b", &cfg).is_err());
        assert!(RemoteTarget::parse_list("a,a", &cfg).is_err());
        assert!(Config::parse(
            "[remotes.x]\naddress = \"h\"\nkee_file = \"k\"\n",
            Path::new("c")
        )
        .is_err());
    }
}
