//! What this kernel can do, read from tracefs itself (a file exists or it does not), plus the
//! lockdown mode, the kernel release and the architecture.

use serde::{Deserialize, Serialize};

use super::Tracefs;

/// One capability and the kernel option that provides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Kprobes,
    Uprobes,
    DynamicEvents,
    FunctionTracer,
    FunctionGraph,
    FunctionProfiler,
    HistTriggers,
    ErrorLog,
    Instances,
    /// `set_ftrace_notrace_pid` (5.8): keep our own reads out of a function trace.
    NotracePid,
    /// `set_event_pid` (4.4): per-instance pid filtering of events.
    EventPid,
    /// `$retval`-style `%return` suffix on `p:` definitions (5.10).
    ReturnSuffix,
    StackTrace,
    /// Probe arguments by BTF: `$argN` typed and the functions' own argument names (6.5+).
    BtfArgs,
    /// Synthetic events (`synthetic_events`, 4.17+): a latency computed by hist triggers.
    SynthEvents,
}

impl Feature {
    pub const ALL: [Feature; 15] = [
        Feature::Kprobes,
        Feature::Uprobes,
        Feature::DynamicEvents,
        Feature::FunctionTracer,
        Feature::FunctionGraph,
        Feature::FunctionProfiler,
        Feature::HistTriggers,
        Feature::ErrorLog,
        Feature::Instances,
        Feature::NotracePid,
        Feature::EventPid,
        Feature::ReturnSuffix,
        Feature::StackTrace,
        Feature::BtfArgs,
        Feature::SynthEvents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Feature::Kprobes => "kprobes",
            Feature::Uprobes => "uprobes",
            Feature::DynamicEvents => "dynamic_events",
            Feature::FunctionTracer => "function tracer",
            Feature::FunctionGraph => "function_graph tracer",
            Feature::FunctionProfiler => "function profiler",
            Feature::HistTriggers => "hist triggers",
            Feature::ErrorLog => "error_log",
            Feature::Instances => "instances",
            Feature::NotracePid => "set_ftrace_notrace_pid",
            Feature::EventPid => "set_event_pid",
            Feature::ReturnSuffix => "%return probes",
            Feature::StackTrace => "stack traces",
            Feature::BtfArgs => "BTF probe arguments",
            Feature::SynthEvents => "synthetic events",
        }
    }

    /// The kernel option that provides it (the reference list for `ctl check`).
    pub fn config(self) -> &'static str {
        match self {
            Feature::Kprobes => "CONFIG_KPROBE_EVENTS (and CONFIG_KPROBES)",
            Feature::Uprobes => "CONFIG_UPROBE_EVENTS",
            Feature::DynamicEvents => "CONFIG_DYNAMIC_EVENTS (Linux 5.0+)",
            Feature::FunctionTracer => "CONFIG_FUNCTION_TRACER (and CONFIG_DYNAMIC_FTRACE)",
            Feature::FunctionGraph => "CONFIG_FUNCTION_GRAPH_TRACER",
            Feature::FunctionProfiler => "CONFIG_FUNCTION_PROFILER",
            Feature::HistTriggers => "CONFIG_HIST_TRIGGERS",
            Feature::ErrorLog => "Linux 5.2+",
            Feature::Instances => "Linux 3.10+",
            Feature::NotracePid => "Linux 5.8+",
            Feature::EventPid => "Linux 4.4+",
            Feature::ReturnSuffix => "Linux 5.10+",
            Feature::StackTrace => "CONFIG_STACKTRACE",
            Feature::BtfArgs => "CONFIG_PROBE_EVENTS_BTF_ARGS (Linux 6.5+)",
            Feature::SynthEvents => "CONFIG_SYNTH_EVENTS (Linux 4.17+)",
        }
    }
}

/// The capabilities of one kernel, probed once per run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    pub present: Vec<Feature>,
    pub kernel_release: String,
    pub arch: String,
}

impl Features {
    pub fn detect(t: &Tracefs) -> Features {
        let tracers = t.read("available_tracers").unwrap_or_default();
        let readme = t.read("README").unwrap_or_default();
        let has_tracer = |name: &str| tracers.split_whitespace().any(|x| x == name);
        let mut present = Vec::new();
        for f in Feature::ALL {
            let yes = match f {
                Feature::Kprobes => t.exists("kprobe_events"),
                Feature::Uprobes => t.exists("uprobe_events"),
                Feature::DynamicEvents => t.exists("dynamic_events"),
                Feature::FunctionTracer => has_tracer("function"),
                Feature::FunctionGraph => has_tracer("function_graph"),
                Feature::FunctionProfiler => t.exists("function_profile_enabled"),
                Feature::HistTriggers => readme.contains("hist trigger"),
                Feature::ErrorLog => t.exists("error_log"),
                Feature::Instances => t.exists("instances"),
                Feature::NotracePid => t.exists("set_ftrace_notrace_pid"),
                Feature::EventPid => t.exists("set_event_pid"),
                Feature::ReturnSuffix => readme.contains("%return"),
                Feature::StackTrace => {
                    t.exists("options/stacktrace") || readme.contains("stacktrace")
                }
                // The README's fetch-argument grammar lists `<argname>[->field...]` only with
                // CONFIG_PROBE_EVENTS_BTF_ARGS (readme_msg in trace.c; the selftests grep it).
                Feature::BtfArgs => readme.contains("<argname>"),
                Feature::SynthEvents => t.exists(super::synthetic::FILE),
            };
            if yes {
                present.push(f);
            }
        }
        Features {
            present,
            kernel_release: kernel_release(),
            arch: machine(),
        }
    }

    pub fn has(&self, f: Feature) -> bool {
        self.present.contains(&f)
    }

    /// `Ok` when present, else the typed "missing" error naming the kernel option.
    pub fn require(&self, f: Feature) -> super::Result<()> {
        if self.has(f) {
            Ok(())
        } else {
            Err(super::Error::Missing {
                what: f.name().to_string(),
                config: f.config(),
            })
        }
    }
}

/// The running kernel's release (`uname -r`), or `unknown`. The one place that reads it: `ctl
/// check` and the agent's Pong both use this.
pub fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The running kernel's machine (`uname -m`: `x86_64`, `aarch64`, `armv7l`): the
/// architecture whose calling convention kernel functions use, whatever this binary was built
/// for.
pub fn machine() -> String {
    #[cfg(target_os = "linux")]
    {
        if let Ok(u) = nix::sys::utsname::uname() {
            if let Some(m) = u.machine().to_str() {
                return m.to_string();
            }
        }
    }
    std::env::consts::ARCH.to_string()
}

/// The selected lockdown mode: the bracketed word of /sys/kernel/security/lockdown.
/// The lockdown mode, read through securityfs ([`super::security`]: mounted privately for the
/// read where nobody mounted it).
pub fn lockdown_mode() -> Option<String> {
    super::security::security().lockdown.clone()
}

pub use super::security::parse_lockdown;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockdown_mode_is_the_bracketed_word() {
        assert_eq!(
            parse_lockdown("none integrity [confidentiality]\n").as_deref(),
            Some("confidentiality")
        );
        assert_eq!(
            parse_lockdown("[none] integrity confidentiality").as_deref(),
            Some("none")
        );
        assert_eq!(parse_lockdown(""), None);
    }

    #[test]
    fn btf_arguments_from_the_readme_of_debian_13() {
        let dir = tempfile::tempdir().unwrap();
        let fx = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/debian13/README.txt"
        );
        std::fs::copy(fx, dir.path().join("README")).unwrap();
        let f = Features::detect(&Tracefs::at(dir.path()));
        assert!(f.has(Feature::BtfArgs));
        assert!(f.has(Feature::ReturnSuffix));
    }

    #[test]
    fn the_machine_is_the_kernels() {
        // What uname says; on the build machines and in CI, x86_64.
        let m = machine();
        assert!(!m.is_empty());
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!(m, "x86_64");
        }
    }

    #[test]
    fn detects_from_a_fake_tree_with_real_fixture_files() {
        let dir = tempfile::tempdir().unwrap();
        let fx = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/debian/");
        std::fs::copy(
            format!("{fx}available_tracers.txt"),
            dir.path().join("available_tracers"),
        )
        .unwrap();
        std::fs::copy(format!("{fx}README.txt"), dir.path().join("README")).unwrap();
        std::fs::write(dir.path().join("kprobe_events"), "").unwrap();
        let f = Features::detect(&Tracefs::at(dir.path()));
        assert!(f.has(Feature::Kprobes));
        assert!(f.has(Feature::FunctionTracer));
        assert!(f.has(Feature::FunctionGraph));
        assert!(f.has(Feature::HistTriggers));
        assert!(!f.has(Feature::FunctionProfiler));
        assert!(!f.has(Feature::Uprobes));
        assert!(
            !f.has(Feature::BtfArgs),
            "Debian 6.1 has no BTF probe arguments"
        );
        let e = f.require(Feature::FunctionProfiler).unwrap_err();
        assert!(e.hint().unwrap().contains("CONFIG_FUNCTION_PROFILER"));
    }
}
