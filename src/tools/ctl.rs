//! ctl: what tracefs holds (`status`), what this kernel can run (`check`), and cleaning up
//! (`reset`).

use serde::{Deserialize, Serialize};

use super::RunEnv;
use crate::record::Sink;
use crate::Result;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CtlSpec {
    Status,
    Check,
    /// Remove what dead lktrace runs left; with `all`, what perf-tools' reset-ftrace does.
    Reset { all: bool },
}

pub fn run(_spec: &CtlSpec, _env: &RunEnv, _sink: &mut dyn Sink) -> Result<()> {
    Err(crate::Error::Other("ctl: not yet implemented".into()))
}
