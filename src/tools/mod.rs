//! One module per tool, the list of tools, and the engines tools are built from.
//!
//! Each tool is a type implementing [`Tool`] (its plain serde Spec, its clap Args converted
//! once into that Spec, what it needs from the kernel, and a `run` that drives a tracefs Session
//! and emits Records into a Sink). The [`tools!`] list below is the only place that names them
//! all: the [`Spec`] enum, its dispatch and [`TOOLS`] come from it.

pub mod engine;
pub mod misses;
pub mod registry;
pub mod silence;
pub mod values;

use std::path::PathBuf;

pub use registry::{Entry, Need, RenderHints, Requires, Tool};

use crate::record::Sink;
use crate::tracefs::stop::StopFlag;
use crate::Result;

/// Declares the tools, one line each: `module::Type`. Generates the tool's `pub mod`, the
/// `Spec` enum (one variant per tool, named as its type, holding that tool's Spec), `From` for
/// each tool's Spec, the dispatch methods, and [`TOOLS`].
macro_rules! tools {
    ($($module:ident :: $variant:ident),+ $(,)?) => {
        $(pub mod $module;)+
        tools!(@spec $($variant => $module::$variant),+);
    };
    (@spec $($variant:ident => $tool:ty),+) => {
        /// A complete, validated request for one tool: the unit the remote protocol carries
        /// (as the tool's name, then its Spec; see `remote::msg`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum Spec {
            $($variant(<$tool as Tool>::Spec),)+
        }

        $(impl From<<$tool as Tool>::Spec> for Spec {
            fn from(s: <$tool as Tool>::Spec) -> Spec {
                Spec::$variant(s)
            }
        })+

        impl Spec {
            /// The name of the tool this Spec is for.
            pub fn tool(&self) -> &'static str {
                match self {
                    $(Spec::$variant(_) => <$tool as Tool>::NAME,)+
                }
            }

            /// One line for the agent's log.
            pub fn describe(&self) -> String {
                match self {
                    $(Spec::$variant(s) => <$tool as Tool>::describe(s),)+
                }
            }

            pub fn render_hints(&self) -> RenderHints {
                match self {
                    $(Spec::$variant(s) => <$tool as Tool>::render_hints(s),)+
                }
            }

            /// The tool's Spec alone, as JSON (the tool's name travels beside it).
            pub fn body_json(&self) -> Vec<u8> {
                // Serialising our own plain data to memory cannot fail.
                match self {
                    $(Spec::$variant(s) => serde_json::to_vec(s).expect("serialising to memory"),)+
                }
            }

            fn run_here(&self, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
                match self {
                    $(Spec::$variant(s) => <$tool as Tool>::run(s, env, sink),)+
                }
            }
        }

        /// Every tool, in the order of `lktrace --help`.
        pub static TOOLS: &[&dyn Entry] = &[$(&registry::Row::<$tool>::new(),)+];
    };
}

// The list of tools. Adding one: its file in this directory, and its line here.
tools! {
    funccount::Funccount,
    kprobe::Kprobe,
    tpoint::Tpoint,
    list::List,
    uprobe::Uprobe,
    stackcount::Stackcount,
    funclatency::Funclatency,
    functrace::Functrace,
    syscount::Syscount,
    funcgraph::Funcgraph,
    funcslower::Funcslower,
    ctl::Ctl,
    parse::Parse,
}

/// The tool named `name`.
pub fn find(name: &str) -> Option<&'static dyn Entry> {
    TOOLS.iter().copied().find(|t| t.name() == name)
}

/// What a run needs from where it runs, beyond its Spec.
#[derive(Debug, Clone, Default)]
pub struct RunEnv {
    /// `--tracefs DIR` / `LKTRACE_TRACEFS`.
    pub tracefs: Option<PathBuf>,
    /// Set to stop the run early (Ctrl-C, a remote stop, a lease that expired).
    pub stop: StopFlag,
    /// Told of every tracefs operation and phase (`--debug`).
    pub tap: Option<crate::tracefs::tap::TapHandle>,
}

/// Runs a Spec here, on this kernel. The agent calls exactly this.
pub fn run(spec: &Spec, env: &RunEnv, sink: &mut dyn Sink) -> Result<()> {
    spec.run_here(env, sink)
}

/// Opens tracefs the way every tool does.
#[cfg(target_os = "linux")]
pub(crate) fn open_tracefs(env: &RunEnv) -> Result<crate::tracefs::Tracefs> {
    let phase = crate::tracefs::tap::PhaseTimer::start(env.tap.as_ref(), "discover");
    let t = crate::tracefs::mount::Discover::new(env.tracefs.clone()).find()?;
    phase.end();
    Ok(match &env.tap {
        Some(tap) => t.with_tap(tap.clone()),
        None => t,
    })
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn open_tracefs(_env: &RunEnv) -> Result<crate::tracefs::Tracefs> {
    Err(crate::Error::Usage(
        "tracing runs on Linux only; use --remote HOST to trace a Linux machine from here".into(),
    ))
}

/// Opens a Session the way every tool does: a teardown on an error path or a panic that cannot
/// undo something says so on stderr (the library prints nothing; in the agent this is its log).
pub(crate) fn open_session(
    tracefs: crate::tracefs::Tracefs,
    env: &RunEnv,
) -> Result<crate::tracefs::Session> {
    let mut s = crate::tracefs::Session::open(tracefs, env.stop.clone())?;
    s.on_drop_failures(|report| {
        for e in report.failures {
            eprintln!(
                "{}",
                crate::output::escape::message_line(&format!("lktrace: warning: cleanup: {e}"))
            );
        }
    });
    Ok(s)
}

/// Closes a session, its first teardown failure the error: tracefs must be left as found.
pub(crate) fn close_session(mut session: crate::tracefs::Session) -> Result<()> {
    match session.close().failures.into_iter().next() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Tells the user what a new session cleaned up after dead runs.
pub(crate) fn report_reaped(session: &crate::tracefs::Session, sink: &mut dyn Sink) -> Result<()> {
    for r in session.reaped() {
        let message = if r.starts_with(crate::tracefs::session::KEPT_PREFIX) {
            r.clone()
        } else {
            format!("removed what a dead lktrace run left: {r}")
        };
        sink.emit(crate::record::Record::notice(
            crate::record::NoticeLevel::Warning,
            message,
        ))?;
    }
    Ok(())
}

/// This process and the calling thread, as a tracefs pid list (`set_*_notrace_pid` take
/// kernel task ids: in the agent a run is a thread, not the process).
pub(crate) fn own_pid_list() -> String {
    let pid = std::process::id();
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u32;
        if tid != pid {
            return format!("{pid} {tid}\n");
        }
    }
    format!("{pid}\n")
}

/// `1 function`, `3 functions`: a count and its noun, for notices people read.
pub fn counted(n: impl std::fmt::Display, noun: &str) -> String {
    match n.to_string() {
        one if one == "1" => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// The warning for a hist table that filled: `1 event went uncounted (more distinct stacks
/// than 2048)`.
pub fn table_full(dropped: u64, distinct: &str, size: impl std::fmt::Display) -> String {
    format!(
        "the kernel's table was full: {} went uncounted (more distinct {distinct} than {size})",
        counted(dropped, "event")
    )
}

#[cfg(test)]
mod counted_tests {
    #[test]
    fn one_is_singular() {
        assert_eq!(super::counted(1, "function"), "1 function");
        assert_eq!(super::counted(0, "function"), "0 functions");
        assert_eq!(super::counted(0.5, "second"), "0.5 seconds");
        assert_eq!(super::counted(1.5, "second"), "1.5 seconds");
        assert_eq!(
            super::table_full(1, "stacks", 2048),
            "the kernel's table was full: 1 event went uncounted (more distinct stacks than 2048)"
        );
        assert!(super::table_full(2, "values", 10).contains(": 2 events went"));
    }

    #[test]
    fn lost_counts_agree_in_number() {
        use crate::record::Lost;
        let one = Lost {
            cpu: Some(0),
            count: Some(1),
        };
        let w = crate::output::text::lost_warning(&one, false, None);
        assert!(w.contains("lost 1 event on CPU 0"), "{w}");
        let w = crate::tools::engine::count::incomplete(1, false);
        assert!(w.contains("dropped 1 event before"), "{w}");
        let w = crate::tools::engine::count::incomplete(2, true);
        assert!(w.contains("dropped at least 2 events before"), "{w}");
    }
}
