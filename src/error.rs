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

    /// A uprobe target that cannot be found or read (ELF files, library search).
    #[error(transparent)]
    Elf(#[from] crate::elf::Error),

    /// An error that happened on a remote agent, as it rendered it there.
    #[error("{}: {}", .0.host, .0.message)]
    Remote(Box<RemoteError>),

    #[error("{0}")]
    Other(String),

    /// Several hosts of one multi-host run failed; each is rendered on its own.
    #[error("{} hosts failed", .0.len())]
    Several(Vec<Error>),
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

/// The library's hint, with what only the command line knows: its flags and commands (jj
/// style: the library never names a flag).
fn tracefs_hint(e: &tracefs::Error) -> Option<String> {
    use tracefs::Error as T;
    let base = e.hint()?;
    Some(match e {
        T::NotFound | T::MountFailed { .. } | T::MountRefused { .. } => {
            format!("{base}, or pass --tracefs DIR")
        }
        T::Missing { .. } => format!("{base}; `lktrace ctl check` lists what it can run"),
        T::NotTraceable { .. } => format!("{base}; pass -F to try anyway"),
        T::Busy { .. } => format!("{base}, or use `lktrace ctl status` to see who holds it"),
        _ => base,
    })
}

/// What to do about a uprobe target, in the tool's words.
fn elf_hint(e: &crate::elf::Error) -> Option<String> {
    use crate::elf::Error as E;
    match e {
        E::NoSymbol { path, .. } => Some(format!(
            "`uprobe -l {}` lists the functions it has",
            path.display()
        )),
        E::WrongArch { .. } | E::NotInCode { .. } => Some("pass -F to try anyway".into()),
        _ => None,
    }
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Tracefs(e) => tracefs_hint(e),
            Error::Remote(r) => r.hint.clone(),
            Error::Elf(e) => elf_hint(e),
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
        match self {
            Error::Sink(SinkError::Closed) => true,
            Error::Several(all) => all.iter().all(Error::is_closed_output),
            _ => false,
        }
    }

    /// Every error this one stands for: itself, or each host's.
    pub fn each(&self) -> Vec<&Error> {
        match self {
            Error::Several(all) => all.iter().flat_map(Error::each).collect(),
            e => vec![e],
        }
    }
}
