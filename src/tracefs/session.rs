//! A Session owns every change one run makes to the kernel, and undoes them all.
//!
//! - It works in its own event group (`lkt_<pid>`) and, when it needs a buffer, a tracer or an
//!   enabled event, its own instance (`instances/lktrace_<pid>`, made on first use), so it never
//!   shares a buffer, a filter or an enabled event with anyone. Counting in the kernel (the
//!   profiler, kprobe_profile, hist triggers) needs no instance, and making one costs: on 6.1 the
//!   kernel builds every event's files in it.
//! - Every change is recorded *before* it is made in an undo log, so a step that fails half-way
//!   is undone too. Changes to global files are also journaled to disk next to the run's lock,
//!   so a run killed with SIGKILL is cleaned up (old values restored) by the next run or by
//!   `ctl reset`.
//! - Teardown runs on [`Session::close`], and on drop (errors, panics, a signal that made the
//!   tool return). It is idempotent and keeps going past failures, reporting each.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

use super::dynamic_events::{self, ProbeFile};
use super::error::{Error, Result};
use super::events::{self, EventRef};
use super::features::{Feature, Features};
use super::ftrace_filter::{self, FilterList};
use super::instance::Instance;
use super::lock::{LockFile, TryLock};
use super::probe::ProbeDef;
use super::rcu::{self, Knob};
use super::relpath::RelPath;
use super::stale::SessionId;
use super::stop::StopFlag;
use super::Tracefs;

mod reap;
mod tgid;
#[cfg(test)]
use reap::journal_name;
pub use reap::{owned, reap_dead, KEPT_PREFIX};
use reap::{remove_group_safely, remove_journal, write_journal};

/// Second and later sessions of one process get a sequence number (the agent runs several).
static NEXT_SEQ: AtomicU32 = AtomicU32::new(0);

/// Lock file that guards the global (top-level only) files: function profiler, top-level
/// set_ftrace_filter.
const GLOBAL_LOCK: &str = "global.lock";

/// One step to undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Undo {
    /// `rmdir` our instance (its tracer, buffer, enables and pid filters go with it).
    Instance(String),
    /// `-:GROUP/` in kprobe_events or uprobe_events.
    ProbeGroup { uprobe: bool, group: String },
    /// Write `0` to an `enable` file.
    Disable(PathBuf),
    /// Put back a control file's old value.
    Value { rel: RelPath, old: String },
    /// Put back a filter list (empty = all functions, as it was).
    FilterList { rel: RelPath, old: Vec<String> },
    /// Remove a trigger (`!hist:...`) from an event's `trigger` file.
    Trigger { rel: PathBuf, trigger: String },
    /// Put back a kernel setting outside tracefs (`rcu_expedited`).
    Knob { knob: Knob, old: String },
    /// Remove a synthetic event of ours (`!NAME` in synthetic_events).
    Synthetic(String),
}

impl Undo {
    /// Global changes outlive the process if it is killed: they go to the on-disk journal.
    /// The phase of teardown this step belongs to, as `--debug` names it.
    fn phase(&self) -> &'static str {
        match self {
            Undo::Instance(_) => "remove instance",
            Undo::ProbeGroup { .. } | Undo::Synthetic(_) => "detach",
            Undo::Disable(_) | Undo::Trigger { .. } => "disable",
            Undo::Value { .. } | Undo::FilterList { .. } | Undo::Knob { .. } => "restore",
        }
    }

    fn is_global(&self) -> bool {
        match self {
            Undo::Value { rel, .. } | Undo::FilterList { rel, .. } => !rel.starts_with("instances"),
            Undo::Knob { .. } => true,
            _ => false,
        }
    }
}

/// Receives a line for each slow step.
type Progress = Box<dyn FnMut(&str) + Send>;

/// Receives what a teardown on drop (an error path, a panic) could not undo.
type DropReport = Box<dyn FnMut(TeardownReport) + Send>;

/// What teardown could not undo.
#[derive(Debug, Default)]
pub struct TeardownReport {
    pub failures: Vec<Error>,
}

pub struct Session {
    tracefs: Tracefs,
    features: Features,
    id: SessionId,
    /// Made on first use ([`Session::ensure_instance`]).
    instance: Option<Instance>,
    undo: Vec<Undo>,
    stop: StopFlag,
    global: Option<LockFile>,
    /// Held for the session's life: proof to others that it is alive. Dropped last.
    alive: Option<LockFile>,
    /// perf-tools' lock, on the running kernel's tracefs, when this run made it.
    perf_tools: Option<super::ftrace_lock::FtraceLock>,
    reaped: Vec<String>,
    /// Probes defined (each costs a grace period to remove: see [`rcu`]).
    probes: usize,
    progress: Option<Progress>,
    on_drop: Option<DropReport>,
    closed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("instance", &self.instance)
            .field("undo", &self.undo)
            .finish()
    }
}

impl Session {
    /// Opens a session: detects features, removes what dead runs left and takes the alive
    /// lock. The private instance is made when something first needs it.
    pub fn open(tracefs: Tracefs, stop: StopFlag) -> Result<Session> {
        let phase = tracefs.phase("features");
        let features = Features::detect(&tracefs);
        phase.end();
        features.require(Feature::Instances)?;
        let phase = tracefs.phase("reap");
        let reaped = reap_dead(&tracefs);
        phase.end();
        let phase = tracefs.phase("lock");
        let id = SessionId {
            pid: std::process::id(),
            seq: NEXT_SEQ.fetch_add(1, Ordering::SeqCst),
        };
        let alive = match LockFile::try_acquire(&id.lock_name(), true)? {
            TryLock::Acquired(l) => l,
            TryLock::Held { holder } => {
                return Err(Error::Busy {
                    what: id.lock_name(),
                    holder,
                })
            }
        };
        // Only the running kernel's tracefs is perf-tools' (not a copy or a test's tree). A
        // pid in it is a live lktrace run's while that run's session lock is held.
        let perf_tools = match tracefs.is_running_kernels() {
            true => {
                super::ftrace_lock::take(Path::new(super::ftrace_lock::PERF_TOOLS_LOCK), |pid| {
                    super::lock::is_abandoned(&SessionId { pid, seq: 0 }.lock_name()) == Some(false)
                })?
            }
            false => None,
        };
        phase.end();
        Ok(Session {
            tracefs,
            features,
            id,
            undo: Vec::new(),
            instance: None,
            stop,
            global: None,
            alive: Some(alive),
            perf_tools,
            reaped,
            probes: 0,
            progress: None,
            on_drop: None,
            closed: false,
        })
    }

    pub fn tracefs(&self) -> &Tracefs {
        &self.tracefs
    }

    pub fn features(&self) -> &Features {
        &self.features
    }

    pub fn id(&self) -> SessionId {
        self.id
    }

    pub fn stop_flag(&self) -> &StopFlag {
        &self.stop
    }

    /// Our event group, `lkt_<pid>[_<n>]`.
    pub fn group(&self) -> String {
        self.id.group_name()
    }

    /// Where our events are enabled: our instance's directory, relative to the tracefs root,
    /// or the root itself (`""`) before the instance exists, where only files of our own
    /// events are touched (a trigger: see [`Session::add_trigger`]).
    pub fn scope(&self) -> PathBuf {
        self.instance
            .as_ref()
            .map(Instance::dir)
            .unwrap_or_default()
    }

    /// Our instance, if it was made.
    pub fn instance(&self) -> Option<&Instance> {
        self.instance.as_ref()
    }

    /// Makes our instance on first use (its removal recorded first); then returns it.
    pub fn ensure_instance(&mut self) -> Result<&Instance> {
        if self.instance.is_none() {
            let name = self.id.instance_name();
            let _phase = self.tracefs.phase("instance");
            self.undo.push(Undo::Instance(name.clone()));
            self.instance = Some(Instance::create(&self.tracefs, &name)?);
        }
        self.existing_instance()
    }

    fn existing_instance(&self) -> Result<&Instance> {
        self.instance.as_ref().ok_or_else(|| {
            Error::Unsupported(
                "internal: an instance file was used before the instance was made".into(),
            )
        })
    }

    /// A file of our instance, relative to the tracefs root.
    pub fn instance_file(&mut self, file: &str) -> Result<PathBuf> {
        Ok(self.ensure_instance()?.rel(file))
    }

    /// What this session's start removed of dead runs.
    pub fn reaped(&self) -> &[String] {
        &self.reaped
    }

    /// Receives progress messages for slow steps (attaching or removing many probes).
    pub fn on_progress(&mut self, f: impl FnMut(&str) + Send + 'static) {
        self.progress = Some(Box::new(f));
    }

    /// Receives the failures of a teardown that runs because the session is dropped without
    /// [`Session::close`] (an error path, a panic). The library prints nothing itself.
    pub fn on_drop_failures(&mut self, f: impl FnMut(TeardownReport) + Send + 'static) {
        self.on_drop = Some(Box::new(f));
    }

    fn say(&mut self, msg: &str) {
        if let Some(p) = self.progress.as_mut() {
            p(msg);
        }
    }

    /// Writes a file of our own instance (tracer, options, pids). No undo needed: the instance
    /// goes away whole.
    /// Needs the instance made already (the setup that needed it made it).
    pub fn write_instance(&self, file: &str, value: &str) -> Result<()> {
        self.tracefs
            .write(self.existing_instance()?.rel(file), value)
    }

    /// Grows our instance's ring buffer to `kib` per CPU, where that changes nothing else
    /// ([`super::buffer::instance_resize_is_private`]); returns whether it did. Best effort: the
    /// instance's own buffer (1408 KiB per CPU by default) still works.
    pub fn grow_instance_buffer(&mut self, kib: u32) -> Result<bool> {
        if !self.expand_buffers()? {
            return Ok(false);
        }
        let rel = self.instance_file("buffer_size_kb")?;
        Ok(self.tracefs.write(rel, &kib.to_string()).is_ok())
    }

    /// Lets the kernel expand its buffers the way the first traced event would, before our
    /// instance gets a tracer or a new size. Up to 6.6 the kernel's "expanded" flag is global:
    /// switching an instance's tracer (or resizing its buffer) while the top-level buffer still
    /// has its token size sets the flag without growing the top level, which then stays at
    /// 7 KiB for everyone after us (seen on Debian 12's 6.1). A write to our instance's
    /// `set_event`, even an empty line, first runs the kernel's normal expansion instead: on
    /// 6.1 that grows the top-level buffer (the one-way step any first event takes, which the
    /// real-kernel suite accepts); from 6.7 it grows only our instance. Nothing is enabled.
    /// Returns whether the top-level buffer is expanded now, i.e. whether resizing our
    /// instance's buffer is ours alone ([`super::buffer::instance_resize_is_private`]).
    pub fn expand_buffers(&mut self) -> Result<bool> {
        if super::buffer::instance_resize_is_private(&self.tracefs) {
            return Ok(true);
        }
        let rel = self.instance_file("set_event")?;
        self.tracefs.append(rel, "\n")?;
        Ok(super::buffer::instance_resize_is_private(&self.tracefs))
    }

    /// Sets an option of our instance and puts the old value back before the instance goes:
    /// some options hold global state (`record-tgid` takes a reference on tgid recording that
    /// removing the instance does not drop).
    pub fn set_instance_option(&mut self, option: &str, value: &str) -> Result<()> {
        let rel = self.instance_file(&format!("options/{option}"))?;
        let old = self.tracefs.read_value(&rel)?;
        self.undo.push(Undo::Value {
            rel: rel_path(&rel)?,
            old,
        });
        self.tracefs.write(rel, value)
    }

    /// Limits our instance's events to these tasks (`set_event_pid`, which goes with the
    /// instance); with `forks` the kernel adds the tasks they fork as they are made
    /// (`event-fork`): a process's new threads, and its children.
    pub fn follow_pids(&mut self, pids: &[u32], forks: bool) -> Result<()> {
        let list: Vec<String> = pids.iter().map(u32::to_string).collect();
        self.append_instance("set_event_pid", &format!("{}\n", list.join(" ")))?;
        if forks {
            self.set_instance_option("event-fork", "1")?;
        }
        Ok(())
    }

    pub fn append_instance(&mut self, file: &str, value: &str) -> Result<()> {
        let rel = self.instance_file(file)?;
        self.tracefs.append(rel, value)
    }

    /// Sets our instance's function filter (never empty) and returns the functions it selects,
    /// as the kernel read it back.
    pub fn set_instance_filter(&mut self, list: &FilterList) -> Result<Vec<String>> {
        self.tracefs.require_ftrace_enabled()?;
        let rel = self.instance_file("set_ftrace_filter")?;
        let _phase = self.tracefs.phase("filter");
        ftrace_filter::set(&self.tracefs, &rel, list)
    }

    /// Defines probes in our group, all of one batch or none: on failure the group is removed
    /// again and the kernel's error_log entry is attached to the error.
    pub fn add_probes(&mut self, defs: &[ProbeDef]) -> Result<()> {
        let _phase = self.tracefs.phase("attach");
        let group = self.group();
        let mut by_file: Vec<(ProbeFile, Vec<ProbeDef>)> = Vec::new();
        for d in defs {
            let mut d = d.clone();
            // Name the event ourselves: with `GRP/` alone the kernel would invent a name we
            // could not predict.
            d.event = Some(d.event_name());
            d.group = Some(group.clone());
            let file = ProbeFile::of(&d);
            match by_file.iter_mut().find(|(f, _)| *f == file) {
                Some((_, v)) => v.push(d),
                None => by_file.push((file, vec![d])),
            }
        }
        for (file, defs) in by_file {
            let feature = match file {
                ProbeFile::Kprobe => Feature::Kprobes,
                ProbeFile::Uprobe => Feature::Uprobes,
            };
            self.features.require(feature)?;
            let entry = Undo::ProbeGroup {
                uprobe: file == ProbeFile::Uprobe,
                group: group.clone(),
            };
            let first_batch = !self.undo.contains(&entry);
            if first_batch {
                self.undo.push(entry);
            }
            if defs.len() > 20 {
                self.say(&format!("attaching {} probes", defs.len()));
            }
            self.probes += defs.len();
            if let Err(e) = dynamic_events::add(&self.tracefs, file, &defs) {
                // The kernel kept the lines before the bad one: take this batch away again.
                // The group's first batch goes in one write; later ones event by event, so
                // earlier batches stay. A single line that failed left nothing to take away
                // (and its event name may be shared with earlier probes of a multi-probe event).
                if defs.len() > 1 {
                    if first_batch {
                        let _ = dynamic_events::remove_group(&self.tracefs, file, &group);
                    } else {
                        for d in &defs {
                            let _ = dynamic_events::remove_event(
                                &self.tracefs,
                                file,
                                &group,
                                &d.event_name(),
                            );
                        }
                    }
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Defines probes one write each, skipping those the kernel refuses (a function on the
    /// kprobe blacklist, say). Returns the refused ones with the kernel's reason; the accepted
    /// ones stay. For tools that count many functions, where one bad function must not spoil
    /// the rest.
    pub fn add_probes_each(&mut self, defs: &[ProbeDef]) -> Result<Vec<(ProbeDef, Error)>> {
        let mut refused = Vec::new();
        if defs.len() > 20 {
            self.say(&format!("attaching {} probes one by one", defs.len()));
        }
        for d in defs {
            match self.add_probes(std::slice::from_ref(d)) {
                Ok(()) => {}
                Err(e @ Error::Rejected { .. }) => refused.push((d.clone(), e)),
                Err(e) => return Err(e),
            }
        }
        Ok(refused)
    }

    /// The name of this session's synthetic event: the group's name (`lkt_<pid>`), so what a
    /// killed run left is found and removed as its group is.
    pub fn synthetic_name(&self) -> String {
        self.group()
    }

    /// Defines this session's synthetic event ([`Session::synthetic_name`]) with `fields`;
    /// removed again at close, after the triggers that fill it and before the probes. Returns
    /// the event (`synthetic/NAME`).
    pub fn add_synthetic(&mut self, fields: Vec<super::synthetic::SynthField>) -> Result<EventRef> {
        self.features.require(Feature::SynthEvents)?;
        let name = self.synthetic_name();
        let def = super::synthetic::SynthDef {
            name: name.clone(),
            fields,
        };
        // Checked before it is journaled: a definition we could not write is nothing to undo.
        def.definition()?;
        let _phase = self.tracefs.phase("attach");
        self.undo.push(Undo::Synthetic(name.clone()));
        if let Err(e) = super::synthetic::define(&self.tracefs, &def) {
            // Nothing was made: nothing to remove.
            self.undo.pop();
            return Err(e);
        }
        Ok(EventRef::event(super::synthetic::SYSTEM, &name))
    }

    /// Enables an event or group in our instance.
    pub fn enable(&mut self, ev: &EventRef) -> Result<()> {
        let scope = self.ensure_instance()?.dir();
        let _phase = self.tracefs.phase("enable");
        self.undo.push(Undo::Disable(ev.file(&scope, "enable")));
        events::set_enabled(&self.tracefs, &scope, ev, true)
    }

    /// Attaches a trigger (`hist:...`) to one of our own events, at the top level; removed again
    /// at close. The event is ours alone, so its top-level trigger file is too, and a trigger
    /// needs no instance: the kernel runs it with the event soft-enabled, recording into no
    /// buffer. Its output (`hist`) is read beside it ([`Session::trigger_file`]).
    pub fn add_trigger(&mut self, ev: &EventRef, trigger: &str) -> Result<()> {
        if ev.group != self.group() {
            return Err(Error::Unsupported(format!(
                "internal: a trigger on {}, not an event of ours",
                ev.group
            )));
        }
        let _phase = self.tracefs.phase("trigger");
        let rel = self.trigger_file(ev, "trigger");
        self.undo.push(Undo::Trigger {
            rel: rel.clone(),
            trigger: trigger.to_string(),
        });
        // `>` and `>>` both add a trigger; the file is per instance and per event.
        self.tracefs.append(&rel, trigger)
    }

    /// Attaches a trigger to an event in our instance (a tracepoint: its top-level trigger file
    /// is everyone's, the instance's is ours); removed again at close, before the instance. The
    /// trigger alone runs the event there (soft-enabled). Its `hist` is read beside it
    /// ([`Session::instance_event_file`]).
    pub fn add_instance_trigger(&mut self, ev: &EventRef, trigger: &str) -> Result<()> {
        let rel = ev.file(&self.ensure_instance()?.dir(), "trigger");
        let _phase = self.tracefs.phase("trigger");
        self.undo.push(Undo::Trigger {
            rel: rel.clone(),
            trigger: trigger.to_string(),
        });
        self.tracefs.append(&rel, trigger)
    }

    /// A file of an event in our instance (`hist` beside a trigger of
    /// [`Session::add_instance_trigger`]).
    pub fn instance_event_file(&mut self, ev: &EventRef, file: &str) -> Result<PathBuf> {
        Ok(ev.file(&self.ensure_instance()?.dir(), file))
    }

    /// A file of one of our events beside its trigger (`trigger`, `hist`), at the top level.
    pub fn trigger_file(&self, ev: &EventRef, file: &str) -> PathBuf {
        ev.file(Path::new(""), file)
    }

    /// Sets a filter on an event in our instance (filters are per instance).
    pub fn set_filter(&mut self, ev: &EventRef, filter: &str) -> Result<()> {
        let scope = self.ensure_instance()?.dir();
        events::set_filter(&self.tracefs, &scope, ev, filter)
    }

    /// Takes the lock on the global files. Fails at once when another run holds it.
    pub fn lock_global(&mut self, what: &str) -> Result<()> {
        if self.global.is_some() {
            return Ok(());
        }
        match LockFile::try_acquire(GLOBAL_LOCK, false)? {
            TryLock::Acquired(l) => {
                self.global = Some(l);
                Ok(())
            }
            TryLock::Held { holder } => Err(Error::Busy {
                what: what.into(),
                holder,
            }),
        }
    }

    fn require_global(&self) -> Result<()> {
        if self.global.is_none() {
            return Err(Error::Unsupported(
                "internal: a global tracefs file was changed without the global lock".into(),
            ));
        }
        Ok(())
    }

    /// Changes a global control file, remembering (and journaling) its old value.
    pub fn set_global(&mut self, rel: &str, value: &str) -> Result<()> {
        self.require_global()?;
        let mut old = self.tracefs.read_value(rel)?;
        // An empty pid list reads back as words that cannot be written back.
        if rel.ends_with("_pid") && old == "no pid" {
            old = String::new();
        }
        self.record(Undo::Value {
            rel: rel_path(rel)?,
            old,
        })?;
        self.tracefs.write(rel, value)
    }

    /// Replaces a global filter list (top-level set_ftrace_filter), remembering the old one;
    /// returns the functions it selects, as the kernel read it back.
    pub fn set_global_filter(&mut self, rel: &str, list: &FilterList) -> Result<Vec<String>> {
        self.require_global()?;
        self.tracefs.require_ftrace_enabled()?;
        let _phase = self.tracefs.phase("filter");
        let old = ftrace_filter::parse_filter(&self.tracefs.read(rel)?);
        self.record(Undo::FilterList {
            rel: rel_path(rel)?,
            old,
        })?;
        ftrace_filter::set(&self.tracefs, Path::new(rel), list)
    }

    fn record(&mut self, u: Undo) -> Result<()> {
        self.undo.push(u);
        if self.undo.last().is_some_and(Undo::is_global) {
            write_journal(&self.id, &self.undo)?;
        }
        Ok(())
    }

    /// Before removing many probes: RCU grace periods expedited for the teardown, the old
    /// value recorded (and journaled) first and put back as teardown's last step. Only on the
    /// running kernel's own tracefs, and only when it is off now (someone who set it keeps it).
    fn expedite_teardown(&mut self) -> Result<()> {
        if self.probes < rcu::EXPEDITE_AT {
            return Ok(());
        }
        let knob = Knob::RcuExpedited;
        match self.tracefs.read_knob(knob) {
            Some(old) if old == "0" => {
                // First in the list: undone last, after every probe is gone.
                self.undo.insert(0, Undo::Knob { knob, old });
                write_journal(&self.id, &self.undo)?;
                self.tracefs.write_knob(knob, "1")
            }
            _ => Ok(()),
        }
    }

    /// Undoes everything, newest first. Safe to call twice.
    pub fn close(&mut self) -> TeardownReport {
        let mut report = TeardownReport::default();
        if self.closed {
            return report;
        }
        self.closed = true;
        let hurry = self.stop.hurry();
        let scope = self.scope();
        if let Err(e) = self.expedite_teardown() {
            report.failures.push(e);
        }
        let undo = std::mem::take(&mut self.undo);
        // Consecutive steps of one kind are timed as one phase.
        let mut phase: Option<(&'static str, super::tap::PhaseTimer)> = None;
        for u in undo.iter().rev() {
            let name = u.phase();
            if phase.as_ref().is_none_or(|(n, _)| *n != name) {
                phase = Some((name, self.tracefs.phase(name)));
            }
            let r = match u {
                // In a hurry, let rmdir of the instance disable what is enabled in it.
                Undo::Disable(rel) if hurry && rel.starts_with(&scope) => Ok(()),
                Undo::Disable(rel) => self.tracefs.write(rel, "0"),
                Undo::ProbeGroup { uprobe, group } => {
                    let file = if *uprobe {
                        ProbeFile::Uprobe
                    } else {
                        ProbeFile::Kprobe
                    };
                    self.say(&format!("removing probes of {group}"));
                    remove_group_safely(&self.tracefs, file, group, &scope)
                }
                Undo::Instance(name) => Instance::named(name.clone()).remove(&self.tracefs),
                Undo::Value { rel, old } => self.tracefs.write(rel, old),
                Undo::FilterList { rel, old } => ftrace_filter::restore(&self.tracefs, rel, old),
                Undo::Trigger { rel, trigger } => self.tracefs.append(rel, &removal(trigger)),
                Undo::Knob { knob, old } => self.tracefs.write_knob(*knob, old),
                Undo::Synthetic(name) => super::synthetic::remove(&self.tracefs, name),
            };
            if let Err(e) = r {
                report.failures.push(e);
            }
        }
        drop(phase);
        if report.failures.is_empty() {
            remove_journal(&self.id);
        }
        self.global.take();
        self.perf_tools.take();
        self.alive.take();
        report
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The normal path calls close() and reports; this is the path of errors and panics.
        let report = self.close();
        if report.failures.is_empty() {
            return;
        }
        if let Some(f) = self.on_drop.as_mut() {
            f(report);
        }
    }
}

/// A path made in code, checked like one read back from a journal.
fn rel_path(p: impl AsRef<Path>) -> Result<RelPath> {
    RelPath::new(p.as_ref()).map_err(|e| Error::Unsupported(format!("internal: {e}")))
}

/// The removal of a trigger we wrote: a hist trigger whole, `if FILTER` included (the kernel
/// matches a hist trigger's removal on whether it has a filter: without one, a filtered
/// trigger stays, and its event cannot be removed: EBUSY, seen on 6.1); others by their
/// command alone.
fn removal(trigger: &str) -> String {
    events::trigger_removal(trigger).unwrap_or_else(|| format!("!{}", trigger.trim()))
}

#[cfg(test)]
mod tests;
