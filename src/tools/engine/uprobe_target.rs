//! perf-tools' uprobe definitions (`p:bash:readline`, `r:libc:malloc +0($retval):string`,
//! `p:myname /bin/busybox:0x4051c0 n=arg1`): checked for syntax when a Spec is made (here and
//! on an agent), resolved to the kernel's `PATH:OFFSET` form where the run happens: the target
//! found as a program or library ([`crate::elf::search`]), the function's address read from its
//! symbol table and turned into a file offset ([`crate::elf::ElfFile`]).
//!
//! Grammar: `{p|r}[:EVENT] TARGET:PLACE [ARGS]` or `{p|r}:TARGET:PLACE [ARGS]`, where TARGET is
//! an absolute path or a bare program or library name (`bash`, `libc`), PLACE a function name
//! with an optional `+OFFSET`, or `0xADDR`: an address as the file's symbol table and `-l` show
//! it (for a shared library, where addresses are file offsets, perf-tools' raw form). ARGS are
//! the kernel's uprobe fetch arguments, plus portable `arg1..argN`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::elf::search::{Search, MAX_NAME};
use crate::elf::ElfFile;
use crate::tools::values::ValueError;
use crate::tracefs::probe::{is_good_event_name, sanitize_event_name, ProbeDef, ProbeError};

/// Where in the file the probe goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A function, and an offset into it.
    Symbol { name: String, offset: u64 },
    /// A virtual address of the file.
    Address(u64),
}

/// A definition taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub ret: bool,
    pub event: Option<String>,
    pub target: String,
    pub place: Place,
    /// The fetch arguments, verbatim from the definition (with their leading space).
    pub args: String,
    /// Where `args` starts in the definition, for error carets.
    args_pos: usize,
    location_pos: usize,
}

/// The path a syntax check puts in place of the file (the real one is known when resolved).
const PLACEHOLDER: &str = "/lkt:0x0";

fn err(def: &str, position: usize, reason: impl Into<String>) -> ProbeError {
    ProbeError {
        definition: def.to_string(),
        reason: reason.into(),
        position: position.min(def.len()),
    }
}

/// `0x1f` or `31`.
fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() => u64::from_str_radix(h, 16).ok(),
        Some(_) => None,
        None if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// Where names are looked up: this process's PATH (the agent's, for --remote), then the
/// dynamic linker's library search.
pub fn search() -> Search {
    Search::system(std::env::var_os("PATH").as_deref())
}

/// A resolved file as uprobe_events takes it: a path without spaces, `#` or control
/// characters (the kernel's parser splits on them).
pub fn kernel_path(file: &Path) -> crate::Result<&str> {
    file.to_str()
        .filter(|p| check_target(p).is_ok())
        .ok_or_else(|| {
            crate::Error::Usage(format!(
                "{}: the kernel cannot take a path with spaces or control characters",
                crate::output::escape::message_line(&file.display().to_string())
            ))
        })
}

/// A program or library name, or an absolute path the kernel's parser can take.
pub fn check_target(t: &str) -> Result<(), String> {
    if t.is_empty() {
        return Err("no file before `:` (a program, a library or an absolute path)".into());
    }
    if t.len() > MAX_NAME {
        return Err(format!("the file name is longer than {MAX_NAME} bytes"));
    }
    if let Some(c) = t
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == '#')
    {
        return Err(format!("{c:?} in the file name"));
    }
    if t.contains('/') {
        if !t.starts_with('/') {
            return Err(format!("`{t}`: a path must be absolute (start with `/`)"));
        }
    } else if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+-".contains(*c)))
    {
        return Err(format!("{c:?} in the program or library name `{t}`"));
    }
    Ok(())
}

fn is_symbol(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= crate::elf::MAX_SYMBOL_NAME
        && !s.as_bytes()[0].is_ascii_digit()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$')
}

impl Parts {
    /// Parses a definition; the fetch arguments are checked by the probe grammar.
    pub fn parse(def: &str) -> Result<Parts, ProbeError> {
        if def.len() > crate::tracefs::probe::MAX_LINE_LEN {
            return Err(err(def, 0, "the definition is too long for the kernel"));
        }
        if let Some(i) = def.find(|c: char| c.is_control() && c != ' ' && c != '\t') {
            return Err(err(def, i, "control character in the definition"));
        }
        let lead = def.len() - def.trim_start().len();
        let s = def.trim_start();
        let head_end = s.find([' ', '\t']).unwrap_or(s.len());
        let head = &s[..head_end];
        let (kind, name) = match head.split_once(':') {
            Some((k, n)) => (k, Some(n)),
            None => (head, None),
        };
        let ret = match kind {
            "p" => false,
            "r" => true,
            _ => {
                return Err(err(
                    def,
                    lead,
                    "a uprobe definition starts with p: (entry) or r: (return)",
                ))
            }
        };
        let after_head = lead + head_end;
        // The token after the head, with its position.
        let next = || {
            let rest = &def[after_head..];
            let skip = rest.len() - rest.trim_start().len();
            let tok = rest.trim_start();
            let end = tok.find([' ', '\t']).unwrap_or(tok.len());
            (after_head + skip, &tok[..end])
        };
        let (event, location_pos, location, args_pos) = match name {
            Some(n) if n.contains(':') => (None, lead + 2, n, after_head),
            Some(n) => {
                if n.is_empty() || !is_good_event_name(n) {
                    return Err(err(
                        def,
                        lead + 2,
                        format!("bad event name `{n}`: letters, digits and `_`, not starting with a digit"),
                    ));
                }
                let (pos, tok) = next();
                (Some(n.to_string()), pos, tok, pos + tok.len())
            }
            None => {
                let (pos, tok) = next();
                (None, pos, tok, pos + tok.len())
            }
        };
        let Some((target, place)) = location.rsplit_once(':') else {
            return Err(err(
                def,
                location_pos,
                "expected FILE:FUNCTION or FILE:0xADDR (e.g. bash:readline, libc:malloc)",
            ));
        };
        check_target(target).map_err(|r| err(def, location_pos, r))?;
        let place_pos = location_pos + target.len() + 1;
        let place =
            if place.starts_with(|c: char| c.is_ascii_digit()) {
                Place::Address(number(place).ok_or_else(|| {
                    err(def, place_pos, format!("bad address `{place}` (0xADDR)"))
                })?)
            } else {
                let (name, offset) =
                    match place.split_once('+') {
                        Some((n, o)) => {
                            let off = number(o).filter(|&v| v <= u64::from(u32::MAX)).ok_or_else(
                                || err(def, place_pos + n.len() + 1, format!("bad offset `{o}`")),
                            )?;
                            (n, off)
                        }
                        None => (place, 0),
                    };
                if !is_symbol(name) {
                    return Err(err(
                        def,
                        place_pos,
                        format!("bad function name `{name}` (or write 0xADDR)"),
                    ));
                }
                Place::Symbol {
                    name: name.to_string(),
                    offset,
                }
            };
        let parts = Parts {
            ret,
            event,
            target: target.to_string(),
            place,
            args: def[args_pos..].trim_end().to_string(),
            args_pos,
            location_pos,
        };
        // The arguments, by the kernel's grammar (a placeholder file stands in for the target).
        parts.kernel_def(PLACEHOLDER, def)?;
        Ok(parts)
    }

    /// The definition in the kernel's syntax with `location` (`PATH:0xOFFSET`) as its place;
    /// an error's position is mapped back into `user` (the definition as given).
    fn kernel_def(&self, location: &str, user: &str) -> Result<ProbeDef, ProbeError> {
        let event = self.event.as_deref().unwrap_or("lkt");
        let head = format!("{}:{event} {location}", if self.ret { "r" } else { "p" });
        let text = format!("{head}{}", self.args);
        ProbeDef::parse(&text).map_err(|e| {
            let position = match e.position.checked_sub(head.len()) {
                Some(in_args) => self.args_pos + in_args,
                None => self.location_pos,
            };
            err(user, position, e.reason)
        })
    }
}

/// A uprobe definition in perf-tools' syntax, checked ([`Parts::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UprobeDefinition(String);

impl UprobeDefinition {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its parts (it parsed when it was made).
    pub fn parts(&self) -> Parts {
        // A UprobeDefinition exists only when this parse succeeded.
        Parts::parse(&self.0).unwrap_or_else(|_| unreachable!("checked when made"))
    }

    /// Checks a definition, keeping the parser's error (with its caret position).
    pub fn parse(s: &str) -> Result<UprobeDefinition, ProbeError> {
        Parts::parse(s).map(|_| UprobeDefinition(s.trim().to_string()))
    }
}

impl TryFrom<String> for UprobeDefinition {
    type Error = ValueError;
    fn try_from(s: String) -> Result<UprobeDefinition, ValueError> {
        UprobeDefinition::parse(&s).map_err(|e| ValueError::from(e.to_string()))
    }
}

impl From<UprobeDefinition> for String {
    fn from(d: UprobeDefinition) -> String {
        d.0
    }
}

impl fmt::Display for UprobeDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The file for `uprobe -l`: a program or library name or an absolute path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UprobeTarget(String);

impl UprobeTarget {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UprobeTarget {
    type Error = ValueError;
    fn try_from(s: String) -> Result<UprobeTarget, ValueError> {
        check_target(&s).map_err(ValueError::from)?;
        Ok(UprobeTarget(s))
    }
}

impl From<UprobeTarget> for String {
    fn from(t: UprobeTarget) -> String {
        t.0
    }
}

/// A definition resolved on this machine.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// In the kernel's syntax, `argN` not yet made concrete, its event named.
    pub def: ProbeDef,
    pub file: PathBuf,
    pub address: u64,
    pub offset: u64,
}

/// The event name perf-tools gives: the function's, else `FILE_0xADDR` (the file's name up to
/// its first `.`: `libc_0xbf130`).
fn default_event(place: &Place, file: &Path) -> String {
    match place {
        Place::Symbol { name, .. } => sanitize_event_name(name),
        Place::Address(a) => {
            let base = file
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or("uprobe");
            let seg = base.split('.').next().unwrap_or(base);
            sanitize_event_name(&format!("{seg}_0x{a:x}"))
        }
    }
}

impl UprobeDefinition {
    /// Finds the file and the probe's offset in it. With `force`, a file of another
    /// architecture is taken, an address outside code is taken, and an address outside every
    /// segment is used as a file offset as it is (perf-tools' raw address).
    pub fn resolve(&self, search: &Search, force: bool) -> crate::Result<Resolved> {
        let parts = self.parts();
        let file = search.resolve(&parts.target)?;
        let elf = ElfFile::open(&file, force)?;
        let (address, offset) = match &parts.place {
            Place::Symbol { name, offset } => {
                let f = elf.function(name)?;
                if !force && f.size > 0 && *offset >= f.size {
                    return Err(crate::Error::Usage(format!(
                        "{name}+{offset} is past the end of {name} ({} bytes)",
                        f.size
                    )));
                }
                let a = f.address + offset;
                (a, elf.file_offset(a, !force)?)
            }
            Place::Address(a) => match elf.file_offset(*a, !force) {
                Ok(o) => (*a, o),
                Err(_) if force => (*a, *a),
                Err(e) => return Err(e.into()),
            },
        };
        let path = kernel_path(&file)?;
        let mut def = parts
            .kernel_def(&format!("{path}:0x{offset:x}"), self.as_str())
            .map_err(crate::tracefs::Error::from)?;
        def.event = Some(
            parts
                .event
                .clone()
                .unwrap_or_else(|| default_event(&parts.place, &file)),
        );
        Ok(Resolved {
            def,
            file,
            address,
            offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Parts {
        Parts::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn bad(s: &str, at: &str, why: &str) {
        let e = Parts::parse(s).expect_err(s);
        assert!(e.reason.contains(why), "{s}: {}", e.reason);
        assert_eq!(
            &s[e.position..e.position + at.len()],
            at,
            "{s}: caret at {}",
            e.position
        );
    }

    #[test]
    fn perf_tools_forms() {
        let p = parts("p:bash:readline");
        assert_eq!(
            (p.ret, p.event.as_deref(), p.target.as_str()),
            (false, None, "bash")
        );
        assert_eq!(
            p.place,
            Place::Symbol {
                name: "readline".into(),
                offset: 0
            }
        );
        let p = parts("r:bash:readline +0($retval):string");
        assert!(p.ret);
        assert_eq!(p.args, " +0($retval):string");
        let p = parts("p:libc:malloc size=%di");
        assert_eq!(p.target, "libc");
        let p = parts("p:myprobe /bin/bash:readline %si");
        assert_eq!(
            (p.event.as_deref(), p.target.as_str()),
            (Some("myprobe"), "/bin/bash")
        );
        assert_eq!(p.args, " %si");
        let p = parts("p:/bin/busybox:0x4051c0");
        assert_eq!(p.place, Place::Address(0x4051c0));
        let p = parts("p:libc:0xbf130");
        assert_eq!(p.place, Place::Address(0xbf130));
        let p = parts("r:libc:fopen file=$retval");
        assert_eq!(p.args, " file=$retval");
        let p = parts("p /lkt/upprog:lkt_hit+4 n=arg1");
        assert_eq!(
            p.place,
            Place::Symbol {
                name: "lkt_hit".into(),
                offset: 4
            }
        );
        assert_eq!(p.args, " n=arg1");
        assert!(parts("p:c:malloc arg1").args.contains("arg1"));
    }

    #[test]
    fn bad_definitions_point_at_what_is_wrong() {
        bad("x:bash:readline", "x", "starts with p:");
        bad("p:bash", "", "FILE:FUNCTION");
        bad("p:1x bash:readline", "1x", "bad event name");
        bad("p:my readline", "readline", "FILE:FUNCTION");
        bad("p:bash:0xzz", "0xzz", "bad address");
        bad("p:bash:9abc", "9abc", "bad address");
        bad("p:bash:read-line", "read-line", "bad function name");
        bad("p:bash:readline+x", "x", "bad offset");
        bad("p:bin/bash:readline", "bin/bash", "absolute");
        bad("p:ba;sh:readline", "ba;sh", "';'");
        bad("p::readline", ":readline", "no file");
        bad("p:bash:readline $comm2", "$comm2", "");
        bad("p:bash:readline $retval", "$retval", "return probes");
        bad("r:bash:readline arg1", "arg1", "entry probes");
        bad("p:bash:readline count", "count", "arg1..argN");
        bad("p:bash:readline %di:u99", "u99", "");
        assert!(Parts::parse("p:bash:readline\n-:x").is_err());
        assert!(Parts::parse("p:bash:readline # x").is_err());
        assert!(Parts::parse("").is_err());
        // Through serde, as an agent receives it.
        assert!(serde_json::from_str::<UprobeDefinition>(r#""p:bash:readline $nope""#).is_err());
        let d: UprobeDefinition = serde_json::from_str(r#""r:bash:readline $retval""#).unwrap();
        assert!(d.parts().ret);
        assert!(UprobeTarget::try_from("../x".to_string()).is_err());
        assert!(UprobeTarget::try_from("libc".to_string()).is_ok());
    }

    #[test]
    fn resolved_against_a_program_built_here() {
        let dir = tempfile::tempdir().unwrap();
        let prog = dir.path().join("upprog");
        let src = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/uprobe/upprog.c"
        );
        assert!(std::process::Command::new("gcc")
            .args(["-O2", "-static", "-o"])
            .arg(&prog)
            .arg(src)
            .status()
            .unwrap()
            .success());
        let out = std::process::Command::new(&prog)
            .arg("--where")
            .output()
            .unwrap();
        let want = String::from_utf8(out.stdout).unwrap();
        let hit = want
            .lines()
            .find_map(|l| l.strip_prefix("lkt_hit 0x"))
            .map(|h| u64::from_str_radix(h, 16).unwrap())
            .unwrap();
        let search = Search::system(None);
        let real = std::fs::canonicalize(&prog).unwrap();
        let d =
            UprobeDefinition::parse(&format!("r:{}:lkt_hit ret=$retval", prog.display())).unwrap();
        let r = d.resolve(&search, false).unwrap();
        assert_eq!(r.offset, hit);
        assert_eq!(
            r.def.to_string(),
            format!("r:lkt_hit {}:0x{hit:x} ret=$retval", real.display())
        );
        // By address: the same offset, named after the file.
        let d =
            UprobeDefinition::parse(&format!("p:{}:0x{:x}", prog.display(), r.address)).unwrap();
        let r2 = d.resolve(&search, false).unwrap();
        assert_eq!(r2.offset, hit);
        assert_eq!(
            r2.def.event.as_deref(),
            Some(format!("upprog_0x{:x}", r.address).as_str())
        );
        // Past the function, and outside code: refused, unless forced.
        let d = UprobeDefinition::parse(&format!("p:{}:lkt_hit+0x10000", prog.display())).unwrap();
        assert!(d.resolve(&search, false).is_err());
        let d = UprobeDefinition::parse(&format!("p:{}:0x10", prog.display())).unwrap();
        assert!(d.resolve(&search, false).is_err());
        assert_eq!(d.resolve(&search, true).unwrap().offset, 0x10);
        let d = UprobeDefinition::parse(&format!("p:{}:no_such_fn", prog.display())).unwrap();
        assert!(d
            .resolve(&search, false)
            .unwrap_err()
            .to_string()
            .contains("no_such_fn"));
    }
}
