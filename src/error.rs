//! The crate's error: library errors plus what tools, output and the remote path add.
//! Rendered once, in `cli.rs`, as `lktrace: error: …` with a hint where one is known.

use crate::record::SinkError;
use crate::tracefs;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Tracefs(#[from] tracefs::Error),

    /// A request that cannot be run as given (caught after clap: conflicting values etc.).
    #[error("{0}")]
    Usage(String),

    #[error(transparent)]
    Sink(#[from] SinkError),

    /// An error that happened on a remote agent, as it rendered it there.
    #[error("{}: {}", .0.host, .0.message)]
    Remote(Box<RemoteError>),

    #[error("{0}")]
    Other(String),
}

/// What an agent says about a run that failed there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteError {
    pub host: String,
    pub message: String,
    pub hint: Option<String>,
    pub detail: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Tracefs(e) => e.hint(),
            Error::Remote(r) => r.hint.clone(),
            _ => None,
        }
    }

    /// Extra lines shown under the error: the kernel's error_log entry with its caret.
    pub fn detail(&self) -> Option<String> {
        match self {
            Error::Tracefs(tracefs::Error::Rejected { log: Some(log), .. }) => Some(log.render()),
            Error::Tracefs(tracefs::Error::Probe(p)) => {
                Some(format!("  {}\n  {}^", p.definition, " ".repeat(p.position)))
            }
            Error::Remote(r) => r.detail.clone(),
            _ => None,
        }
    }

    /// The reader went away: not a failure.
    pub fn is_closed_output(&self) -> bool {
        matches!(self, Error::Sink(SinkError::Closed))
    }
}
