//! Which file a uprobe target names: an absolute path as it is; a bare name as a program in
//! `PATH`, else as a library the way the dynamic linker finds one (`/etc/ld.so.cache`, then the
//! standard directories). `bash` is `/usr/bin/bash`, `libc` is `libc.so.6`'s file.
//!
//! This runs as root with names from a command line or the network, so a name only ever
//! resolves to a regular file, by its canonical path (symlinks followed, `..` gone): what the
//! kernel is given is the file that was checked. Relative `PATH` entries (`.`, empty) are
//! skipped: a root shell's working directory must not decide what is probed.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::ldcache::{self, CacheEntry};
use super::{own_architecture, Error, Result};

/// `PATH` when the environment has none (glibc's default for root, with /sbin).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Entries of one library directory looked at, at most.
const MAX_DIR_ENTRIES: usize = 100_000;
/// Longest target name.
pub const MAX_NAME: usize = 4096;

/// Where a search looks: `PATH`, the ld.so.cache file, and the library directories.
#[derive(Debug, Clone)]
pub struct Search {
    pub path_var: String,
    pub cache: PathBuf,
    pub lib_dirs: Vec<PathBuf>,
}

impl Search {
    /// The running system's: `path_var` is the caller's `PATH` (`None`: [`DEFAULT_PATH`]).
    pub fn system(path_var: Option<&OsStr>) -> Search {
        Search {
            path_var: path_var
                .and_then(OsStr::to_str)
                .unwrap_or(DEFAULT_PATH)
                .to_string(),
            cache: PathBuf::from("/etc/ld.so.cache"),
            lib_dirs: standard_lib_dirs(),
        }
    }

    /// The file `name` means, canonical. See the module documentation for the order.
    pub fn resolve(&self, name: &str) -> Result<PathBuf> {
        if name.contains('/') {
            if !name.starts_with('/') {
                return Err(Error::NotFound {
                    name: name.to_string(),
                    looked: "a path must be absolute".into(),
                });
            }
            return regular(Path::new(name));
        }
        if let Some(p) = self.in_path(name) {
            return Ok(p);
        }
        let libs = self.library(name)?;
        if let Some(p) = libs {
            return Ok(p);
        }
        Err(Error::NotFound {
            name: name.to_string(),
            looked: format!(
                "no program of that name in PATH, no library in {} or {}",
                self.cache.display(),
                self.lib_dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        })
    }

    /// The first regular, executable file `DIR/name` of the absolute `PATH` entries.
    fn in_path(&self, name: &str) -> Option<PathBuf> {
        self.path_var
            .split(':')
            .filter(|d| d.starts_with('/'))
            .find_map(|d| {
                let p = regular(&Path::new(d).join(name)).ok()?;
                executable(&p).then_some(p)
            })
    }

    /// A library: the cache's entries for `name` (then `lib` + `name`, as bcc's `c` is libc),
    /// else the standard directories. `Ok(None)` when nothing matched.
    fn library(&self, name: &str) -> Result<Option<PathBuf>> {
        let entries = match ldcache::read(&self.cache) {
            Ok(Ok(e)) => e,
            // No cache, or one that does not parse: the directories still count.
            _ => Vec::new(),
        };
        let variants = [name.to_string(), format!("lib{name}")];
        for n in &variants {
            if let Some(p) = pick(n, from_cache(&entries, n))? {
                return Ok(Some(p));
            }
        }
        for n in &variants {
            if let Some(p) = pick(n, self.in_dirs(n))? {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// `(soname, file)` of the library directories' entries that match `name`.
    fn in_dirs(&self, name: &str) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        for d in &self.lib_dirs {
            let Ok(rd) = std::fs::read_dir(d) else {
                continue;
            };
            for e in rd.take(MAX_DIR_ENTRIES).flatten() {
                let f = e.file_name();
                let Some(f) = f.to_str() else { continue };
                if library_matches(f, name) {
                    out.push((f.to_string(), e.path()));
                }
            }
        }
        out.sort();
        out
    }
}

/// True when soname `soname` is what the library name `name` means: the same, or `name`
/// followed by `.` (`libc` and `libc.so` are `libc.so.6`; `libc` is not `libcrypt.so.1`).
pub fn library_matches(soname: &str, name: &str) -> bool {
    soname == name
        || (soname.starts_with(name)
            && soname[name.len()..].starts_with('.')
            && soname.contains(".so"))
}

fn from_cache(entries: &[CacheEntry], name: &str) -> Vec<(String, PathBuf)> {
    entries
        .iter()
        .filter(|e| library_matches(&e.name, name))
        .map(|e| (e.name.clone(), PathBuf::from(&e.path)))
        .collect()
}

/// Of `(soname, file)` candidates in preference order, those that are regular files of this
/// machine's architecture (a 64-bit system's cache also lists 32-bit libraries): one soname
/// is an answer (its first file), several are ambiguous.
fn pick(name: &str, candidates: Vec<(String, PathBuf)>) -> Result<Option<PathBuf>> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for (soname, file) in candidates {
        let Ok(real) = regular(&file) else { continue };
        if !same_arch(&real) || found.iter().any(|(_, p)| *p == real) {
            continue;
        }
        found.push((soname, real));
    }
    let mut sonames: Vec<&str> = found.iter().map(|(s, _)| s.as_str()).collect();
    sonames.dedup();
    let mut distinct = sonames.clone();
    distinct.sort_unstable();
    distinct.dedup();
    match distinct.len() {
        0 => Ok(None),
        1 => Ok(found.into_iter().next().map(|(_, p)| p)),
        _ => Err(Error::AmbiguousName {
            name: name.to_string(),
            candidates: found
                .iter()
                .take(6)
                .map(|(_, p)| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The file's ELF machine is ours (a file that is not ELF is not a candidate).
fn same_arch(path: &Path) -> bool {
    use object::Object;
    let Some(want) = own_architecture() else {
        return true;
    };
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let cache = object::read::ReadCache::new(f);
    object::File::parse(&cache).is_ok_and(|o| o.architecture() == want)
}

#[cfg(unix)]
fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_: &Path) -> bool {
    true
}

/// `path` canonical, when it is a regular file.
pub fn regular(path: &Path) -> Result<PathBuf> {
    let real = std::fs::canonicalize(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let meta = std::fs::metadata(&real).map_err(|source| Error::Io {
        path: real.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(Error::NotRegular { path: real });
    }
    Ok(real)
}

/// The dynamic linker's trusted directories: the multiarch ones of this machine first
/// (Debian's `/lib/x86_64-linux-gnu`), then `/lib64`, `/usr/lib64`, `/lib`, `/usr/lib`.
pub fn standard_lib_dirs() -> Vec<PathBuf> {
    let triplet = match std::env::consts::ARCH {
        "x86_64" => Some("x86_64-linux-gnu"),
        "x86" => Some("i386-linux-gnu"),
        "aarch64" => Some("aarch64-linux-gnu"),
        "arm" => Some("arm-linux-gnueabihf"),
        "riscv64" => Some("riscv64-linux-gnu"),
        "powerpc64" => Some("powerpc64le-linux-gnu"),
        "s390x" => Some("s390x-linux-gnu"),
        "loongarch64" => Some("loongarch64-linux-gnu"),
        _ => None,
    };
    let mut dirs = Vec::new();
    if let Some(t) = triplet {
        dirs.push(PathBuf::from(format!("/lib/{t}")));
        dirs.push(PathBuf::from(format!("/usr/lib/{t}")));
    }
    for d in ["/lib64", "/usr/lib64", "/lib", "/usr/lib"] {
        dirs.push(PathBuf::from(d));
    }
    dirs
}
