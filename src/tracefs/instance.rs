//! Trace instances (`instances/NAME`): a private ring buffer, tracer, filters and event
//! enables per run, so two runs never share state and teardown is one `rmdir`.

use std::path::PathBuf;
use std::time::Duration;

use super::error::{Error, Result};
use super::Tracefs;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    name: String,
}

impl Instance {
    /// Refers to an existing instance by name.
    pub fn named(name: impl Into<String>) -> Instance {
        Instance { name: name.into() }
    }

    /// `mkdir instances/NAME`.
    pub fn create(t: &Tracefs, name: &str) -> Result<Instance> {
        let inst = Instance::named(name);
        t.mkdir(inst.dir())?;
        Ok(inst)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `instances/NAME`, relative to the tracefs root.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from("instances").join(&self.name)
    }

    /// A file of this instance, relative to the tracefs root.
    pub fn rel(&self, file: &str) -> PathBuf {
        self.dir().join(file)
    }

    /// Stops what runs in it and removes it. `rmdir` fails with EBUSY while a file of the
    /// instance is open, so it is retried for a short while (a reader may be closing).
    pub fn remove(&self, t: &Tracefs) -> Result<()> {
        // Best effort: an instance's tracer and events stop with it anyway.
        let _ = t.write(self.rel("tracing_on"), "0");
        if t.read_value(self.rel("current_tracer"))
            .is_ok_and(|c| c != "nop")
        {
            let _ = t.write(self.rel("current_tracer"), "nop");
        }
        let mut last = None;
        for attempt in 0..50 {
            match t.rmdir(self.dir()) {
                Ok(()) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    last = Some(e);
                    std::thread::sleep(Duration::from_millis(20 * (attempt + 1).min(10)));
                }
                Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(())
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Busy {
            what: self.dir().display().to_string(),
            holder: "an open file".into(),
        }))
    }
}
