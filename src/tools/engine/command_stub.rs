//! Where there is no fork and exec as Linux has them (a Windows or macOS client of an agent):
//! the same API, and a command is refused in words. syscount's command mode runs on the traced
//! machine only (an agent never runs one it is sent).

use std::convert::Infallible;
use std::process::ExitStatus;

use crate::tracefs::stop::StopFlag;
use crate::{Error, Result};

pub struct Held(Infallible);
pub struct Running(Infallible);

pub fn hold(_argv: &[String]) -> Result<Held> {
    Err(Error::Usage(
        "running a command under tracing needs Linux; use -p PID or -d SECS with --remote".into(),
    ))
}

impl Held {
    pub fn pid(&self) -> u32 {
        match self.0 {}
    }

    pub fn release(self) -> Result<Running> {
        match self.0 {}
    }
}

impl Running {
    pub fn wait(self, _stop: &StopFlag) -> Result<ExitStatus> {
        match self.0 {}
    }
}

pub fn how_it_ended(_program: &str, _status: ExitStatus) -> Option<String> {
    None
}
