//! Synthetic events (`synthetic_events`, Linux 4.17+, CONFIG_SYNTH_EVENTS): events made of
//! fields a hist trigger's action fills in (`onmatch(SYS.EVENT).trace(NAME,$lat)`), the way a
//! latency computed in the kernel becomes an event that another hist trigger can bucket
//! (`Documentation/trace/histogram.rst`, section "Synthetic Events").
//!
//! ```text
//! echo 'lkt_123_lat u64 lat' >> synthetic_events     define
//! echo '!lkt_123_lat' >> synthetic_events            remove (EBUSY while a trigger uses it)
//! ```
//!
//! Always O_APPEND: opening `synthetic_events` with O_TRUNC removes every synthetic event on
//! the system. The event shows up as `events/synthetic/NAME` at the top level and in every
//! instance.

use super::error::{Error, Result};
use super::Tracefs;

/// The list file.
pub const FILE: &str = "synthetic_events";

/// The event system synthetic events live in.
pub const SYSTEM: &str = "synthetic";

/// One field of a synthetic event: a C type the kernel knows (`u64`, `unsigned long`,
/// `pid_t`) and a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthField {
    pub ty: String,
    pub name: String,
}

/// A synthetic event to define.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthDef {
    pub name: String,
    pub fields: Vec<SynthField>,
}

impl SynthDef {
    /// `NAME TYPE FIELD; TYPE FIELD`, as `synthetic_events` takes (and lists) it. Names and
    /// types are checked: identifiers only (a type may be two words: `unsigned long`).
    pub fn definition(&self) -> Result<String> {
        if !is_ident(&self.name) || self.name.len() > 64 {
            return Err(Error::Unsupported(format!(
                "internal: synthetic event name {:?}",
                self.name
            )));
        }
        let mut out = self.name.clone();
        for (i, f) in self.fields.iter().enumerate() {
            let type_ok = f.ty.split(' ').all(is_ident);
            if !type_ok || !is_ident(&f.name) {
                return Err(Error::Unsupported(format!(
                    "internal: synthetic field {:?} {:?}",
                    f.ty, f.name
                )));
            }
            out.push_str(if i == 0 { " " } else { "; " });
            out.push_str(&format!("{} {}", f.ty, f.name));
        }
        Ok(out)
    }
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether this kernel has synthetic events (the list file exists).
pub fn supported(t: &Tracefs) -> bool {
    t.exists(FILE)
}

/// Defines `def`; a refusal carries the kernel's error_log entry.
pub fn define(t: &Tracefs, def: &SynthDef) -> Result<()> {
    let line = def.definition()?;
    t.append(FILE, &format!("{line}\n"))
        .map_err(|e| super::dynamic_events::explain(t, e))
}

/// Removes the synthetic event `name` (`!NAME`).
pub fn remove(t: &Tracefs, name: &str) -> Result<()> {
    if !is_ident(name) {
        return Err(Error::Unsupported(format!(
            "internal: synthetic event name {name:?}"
        )));
    }
    t.append(FILE, &format!("!{name}\n"))
        .map_err(|e| super::dynamic_events::explain(t, e))
}

/// The names of the synthetic events defined now (the first word of each line of the list).
pub fn list(t: &Tracefs) -> Result<Vec<String>> {
    Ok(parse_list(&t.read(FILE)?))
}

/// The names in a `synthetic_events` listing (`lkt_123_lat u64 lat`, one event a line; newer
/// kernels may prefix `s:synthetic/`).
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| !w.starts_with('#'))
        .map(|w| {
            let w = w.strip_prefix("s:").unwrap_or(w);
            w.rsplit('/').next().unwrap_or(w).to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, fields: &[(&str, &str)]) -> SynthDef {
        SynthDef {
            name: name.into(),
            fields: fields
                .iter()
                .map(|(t, n)| SynthField {
                    ty: t.to_string(),
                    name: n.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn definitions_as_the_kernel_takes_them() {
        assert_eq!(
            def("lkt_1_lat", &[("u64", "lat")]).definition().unwrap(),
            "lkt_1_lat u64 lat"
        );
        assert_eq!(
            def("lkt_1_lat", &[("u64", "lat"), ("unsigned long", "func")])
                .definition()
                .unwrap(),
            "lkt_1_lat u64 lat; unsigned long func"
        );
        assert!(def("a b", &[]).definition().is_err());
        assert!(def("x", &[("u64;", "lat")]).definition().is_err());
        assert!(def("x", &[("u64", "l\nat")]).definition().is_err());
        assert!(def("1x", &[("u64", "lat")]).definition().is_err());
    }

    #[test]
    fn a_fake_tree_defines_lists_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "").unwrap();
        let t = Tracefs::at(dir.path());
        assert!(supported(&t));
        define(&t, &def("lkt_9_lat", &[("u64", "lat")])).unwrap();
        assert_eq!(list(&t).unwrap(), vec!["lkt_9_lat".to_string()]);
        remove(&t, "lkt_9_lat").unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(text, "lkt_9_lat u64 lat\n!lkt_9_lat\n");
        assert!(remove(&t, "a;b").is_err());
        assert_eq!(
            parse_list("s:synthetic/wakeup u64 lat\nlkt_2_lat u64 lat\n"),
            vec!["wakeup".to_string(), "lkt_2_lat".to_string()]
        );
    }
}
