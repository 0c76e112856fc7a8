//! The shared vocabulary: what tools emit ([`Record`]) and where it goes ([`Sink`]).
//!
//! Records are plain data. They never format themselves: `src/output/` renders them, once,
//! whether the tool ran here or on a remote agent. Every record serialises with a `"type"` tag;
//! `docs/json.md` documents each one and `tests/json_schema.rs` pins the shapes.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One thing a tool reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// Counts for one interval (funccount).
    Counts(Counts),
    /// One traced event (kprobe, parse, ...).
    Event(Event),
    /// A kernel stack trace attached to the event before it.
    Stack(Stack),
    /// Kernel stacks and how often each was seen (stackcount), one record at the end.
    StackCounts(StackCounts),
    /// A distribution counted in the kernel (hist trigger, log2 or linear buckets).
    Histogram(Histogram),
    /// A call with its duration (funcgraph, funcslower).
    Span(Span),
    /// Events the kernel (or the network) dropped.
    Lost(Lost),
    /// Something a person should know that is not data: the backend chosen, a warning.
    Notice(Notice),
    /// An event's format, as `kprobe -v` prints it.
    Format(Format),
    /// A tracepoint this kernel has (`tpoint -l`).
    Tracepoint(Tracepoint),
    /// Something this kernel can trace (`lktrace list`).
    Symbol(Symbol),
    /// A function a user-space file defines, where a uprobe can go (`uprobe -l`).
    UserSymbol(UserSymbol),
    /// `ctl status`.
    Status(Status),
    /// `ctl check`.
    Check(Check),
    /// `ctl reset`.
    Reset(Reset),
    /// `ctl ping`.
    Ping(Ping),
}

impl Record {
    /// Its `"type"` in JSON (docs/json.md).
    pub fn type_name(&self) -> &'static str {
        match self {
            Record::Counts(_) => "counts",
            Record::Event(_) => "event",
            Record::Stack(_) => "stack",
            Record::StackCounts(_) => "stack_counts",
            Record::Histogram(_) => "histogram",
            Record::Span(_) => "span",
            Record::Lost(_) => "lost",
            Record::Notice(_) => "notice",
            Record::Format(_) => "format",
            Record::Tracepoint(_) => "tracepoint",
            Record::Symbol(_) => "symbol",
            Record::UserSymbol(_) => "user_symbol",
            Record::Status(_) => "status",
            Record::Check(_) => "check",
            Record::Reset(_) => "reset",
            Record::Ping(_) => "ping",
        }
    }
}

/// Function counts over one interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Which backend counted: `profiler`, `kprobe_profile`, `function_trace`.
    pub backend: String,
    /// Length of the interval in seconds.
    pub duration_s: f64,
    /// Wall-clock end of the interval, seconds since the Unix epoch.
    pub time: f64,
    /// Sorted ascending by count, like perf-tools (the largest last, nearest the prompt).
    pub counts: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// The counted thing (a function), or the display form of `keys`.
    pub name: String,
    pub count: u64,
    /// For counts keyed by more than one thing (process and syscall): the keys, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Fields>,
}

impl Count {
    /// A count of one named thing.
    pub fn named(name: impl Into<String>, count: u64) -> Count {
        Count {
            name: name.into(),
            count,
            keys: None,
        }
    }
}

/// A distribution: buckets ascending, each with the bounds it holds (both inclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// What was measured (`bytes`, `latency`).
    pub name: String,
    /// Its unit (`bytes`, `us`), or empty.
    pub unit: String,
    /// The other keys this histogram is for (`comm = dd`); empty for one histogram of all.
    pub keys: Fields,
    pub buckets: Vec<Bucket>,
    /// Wall-clock end of the interval it counts, seconds since the Unix epoch; only from
    /// tools that print a histogram per interval (funclatency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub low: u64,
    pub high: u64,
    pub count: u64,
}

/// A call from entry to exit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    /// Seconds at entry, as the trace clock printed them.
    pub timestamp: f64,
    pub name: String,
    pub duration_us: f64,
    /// Call depth, for nested spans (funcgraph).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    pub fields: Fields,
}

/// One event line of `trace_pipe`, parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub comm: String,
    pub pid: u32,
    /// Thread group id, when the trace recorded it or the process could be looked up.
    pub tgid: Option<u32>,
    pub cpu: u32,
    /// The irq/preempt flag column (`d.h1.`), absent when the `irq-info` option was off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
    /// Seconds, as the trace clock printed them.
    pub timestamp: f64,
    /// Event name; `function` for function-tracer lines.
    pub event: String,
    /// The probe site of a kprobe/uprobe (`do_sys_openat2+0x0/0x170`, or `caller <- func`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    /// `name=value` pairs of the payload, in the kernel's order.
    pub fields: Fields,
    /// The payload text when it is not `name=value` pairs (tracepoints with their own format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

impl Event {
    /// An event with nothing allocated yet: the buffer a decoder fills, record after record.
    pub fn empty() -> Event {
        Event {
            comm: String::new(),
            pid: 0,
            tgid: None,
            cpu: 0,
            flags: None,
            timestamp: 0.0,
            event: String::new(),
            probe: None,
            fields: Fields::default(),
            payload: None,
        }
    }
}

/// A kernel stack: the ` => frame` lines after a `<stack trace>` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    pub timestamp: f64,
    pub frames: Vec<String>,
}

/// Kernel stacks counted over a run (stackcount).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackCounts {
    /// Where the counting happened: `hist` (a hist trigger keyed on the stack).
    pub backend: String,
    /// How long the run counted, in seconds.
    pub duration_s: f64,
    /// Sorted by count, the busiest first.
    pub stacks: Vec<StackCount>,
}

/// One distinct kernel stack and how often it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackCount {
    /// Function names, innermost (the probed function) first, as the kernel prints them.
    pub frames: Vec<String>,
    pub count: u64,
}

/// Events lost: by the kernel's ring buffer (`cpu` set) or on the way from an agent (`cpu` null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lost {
    pub cpu: Option<u32>,
    /// `None` when the kernel said `[LOST EVENTS]` without a number.
    pub count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub level: NoticeLevel,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
}

/// The kernel's `format` file of an event, verbatim, with its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Format {
    pub event: String,
    pub text: String,
}

/// Something this kernel lets a tool trace, as `lktrace list` finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symbol {
    pub kind: SymbolKind,
    /// The function or symbol name, or `SYSTEM:EVENT` for a tracepoint.
    pub name: String,
    /// The kernel module it is in, if not the kernel itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
}

/// What a [`Symbol`] can be traced with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    /// The function tracer (available_filter_functions): funccount, functrace, funcgraph.
    Function,
    /// A tracepoint (available_events): tpoint.
    Tracepoint,
    /// A kernel text symbol outside the kprobe blacklist: kprobe.
    Kprobe,
}

impl SymbolKind {
    pub fn name(self) -> &'static str {
        match self {
            SymbolKind::Function => "function",
            SymbolKind::Tracepoint => "tracepoint",
            SymbolKind::Kprobe => "kprobe",
        }
    }
}

/// A tracepoint of this kernel, as `available_events` lists it (`sched:sched_switch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracepoint {
    pub system: String,
    pub event: String,
}

/// A function of an ELF file (`uprobe -l`): its name, its address in the file's symbol table,
/// and the file offset a uprobe on it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSymbol {
    pub file: String,
    pub name: String,
    pub address: u64,
    pub offset: u64,
}

/// What tracefs holds right now (`ctl status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub tracefs: String,
    pub current_tracer: String,
    pub tracing_on: bool,
    /// `set_ftrace_filter` lines; empty means every function.
    pub ftrace_filter: Vec<String>,
    pub function_profile_enabled: Option<bool>,
    /// `system:event` of every enabled event at the top level.
    pub enabled_events: Vec<String>,
    pub dynamic_events: Vec<DynamicEventStatus>,
    pub instances: Vec<InstanceStatus>,
    /// The top-level ring buffer; `None` when its size files are unreadable.
    pub buffer: Option<BufferStatus>,
    /// Files the kernel would not let status read, each with why (`set_ftrace_filter: the
    /// kernel refused …`): their fields above show nothing, which is not "empty". Absent from
    /// an older agent's record.
    #[serde(default)]
    pub unreadable: Vec<String>,
}

/// The top-level ring buffer's memory (`buffer_size_kb`, `buffer_total_size_kb`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BufferStatus {
    /// KiB per CPU it holds now.
    pub per_cpu_kb: u64,
    /// KiB over all CPUs; `None` where the kernel has no `buffer_total_size_kb` or CPUs differ.
    pub total_kb: Option<u64>,
    /// Whether the kernel has grown it to its real size. Up to Linux 6.5 the first event
    /// enabled anywhere, even in an instance, does that once and for all.
    pub expanded: bool,
    /// Not expanded yet: the KiB per CPU it will grow to.
    pub expands_to_kb: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamicEventStatus {
    /// The definition as the kernel shows it.
    pub definition: String,
    pub group: String,
    pub event: String,
    pub owner: Owner,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceStatus {
    pub name: String,
    pub current_tracer: String,
    pub owner: Owner,
}

/// Who made a tracefs object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// Not lktrace's.
    Other,
    /// A running lktrace process.
    Live { pid: u32 },
    /// A lktrace process that is gone: `ctl reset` removes it.
    Dead { pid: u32 },
}

/// What this kernel can run (`ctl check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub kernel_release: String,
    pub arch: String,
    pub root: bool,
    pub tracefs: Option<String>,
    /// `none`, `integrity`, `confidentiality`, or null when the kernel has no lockdown LSM.
    pub lockdown: Option<String>,
    pub features: Vec<CheckItem>,
    pub tools: Vec<CheckItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckItem {
    pub name: String,
    pub ok: bool,
    /// Why not, and what to do: the missing CONFIG_ option, lockdown, not root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What `ctl reset` removed, and what `ctl reset --all` set back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reset {
    /// What was removed (`instance lktrace_42`, `every kprobe`).
    pub removed: Vec<String>,
    /// Settings put back to the kernel's defaults, one sentence each (`tracing_on set back to
    /// 1 (was 0)`); empty without `--all`. Absent from an older agent's record.
    #[serde(default)]
    pub reset: Vec<String>,
}

/// An agent's answer to `ctl ping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ping {
    pub rtt_us: f64,
    pub agent_version: String,
    pub kernel_release: String,
}

impl Record {
    pub fn notice(level: NoticeLevel, message: impl Into<String>) -> Record {
        Record::Notice(Notice {
            level,
            message: message.into(),
        })
    }
}

/// A record and the host it came from: the one place `host` lives. Only multi-host remote
/// runs name a host; JSON writes it as a `"host"` field after the record's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hosted {
    #[serde(flatten)]
    pub record: Record,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// A field value of an event payload.
///
/// Decimal numbers become JSON numbers; hex stays a `"0x…"` string (the kernel chose hex for a
/// reason: pointers, flags); quoted strings lose their quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Int(i64),
    UInt(u64),
    Str(String),
}

/// The value as text, unquoted (a table cell, a label, a display name).
impl std::fmt::Display for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldValue::Int(v) => write!(f, "{v}"),
            FieldValue::UInt(v) => write!(f, "{v}"),
            FieldValue::Str(v) => f.write_str(v),
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Int(v) => s.serialize_i64(*v),
            FieldValue::UInt(v) => s.serialize_u64(*v),
            FieldValue::Str(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            U(u64),
            I(i64),
            S(String),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::U(v) => FieldValue::UInt(v),
            Raw::I(v) => FieldValue::Int(v),
            Raw::S(v) => FieldValue::Str(v),
        })
    }
}

/// Ordered `name=value` pairs; serialised as a JSON object in the kernel's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields(pub Vec<(String, FieldValue)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of event fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Fields, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, FieldValue>()? {
                    out.push((k, v));
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Why a sink refused a record.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The reader went away (`| head`, a client that hung up). Not a failure: stop quietly.
    #[error("output closed")]
    Closed,
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
    /// The output format cannot show this record (events as metrics).
    #[error("{0}")]
    Format(String),
}

impl SinkError {
    /// Classifies an I/O error: a broken pipe is the reader leaving, not a failure.
    pub fn from_io(e: std::io::Error) -> SinkError {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            SinkError::Closed
        } else {
            SinkError::Io(e)
        }
    }
}

/// Where records go: a renderer locally, a datagram stream in the agent.
pub trait Sink {
    fn emit(&mut self, record: Record) -> Result<(), SinkError>;
    /// A record lent rather than given: a sink that only renders it (the JSON and text
    /// renderers) need not own it, so the producer can fill the same record's buffers again for
    /// the next one (parse allocates nothing per event so). The default takes a copy.
    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.emit(record.clone())
    }
    /// A record of a multi-host run, with the host it came from. Sinks that show hosts
    /// (renderers) override this; the default drops the host.
    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        let _ = host;
        self.emit(record)
    }
    /// Called when a burst of records is complete (end of an interval, a read of the pipe).
    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// A sink that keeps everything, for tests and for comparing runs: the records, and beside
/// each the host it came from (multi-host runs).
#[derive(Debug, Default)]
pub struct VecSink(pub Vec<Record>, pub Vec<Option<String>>);

impl Sink for VecSink {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.0.push(record);
        self.1.push(None);
        Ok(())
    }

    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.0.push(record);
        self.1.push(Some(host.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_serialises_with_numbers_strings_and_hex() {
        let e = Record::Event(Event {
            comm: "cat".into(),
            pid: 123,
            tgid: Some(123),
            cpu: 0,
            flags: None,
            timestamp: 1234.56789,
            event: "myopen".into(),
            probe: None,
            fields: Fields(vec![
                ("filename".into(), FieldValue::Str("/etc/passwd".into())),
                ("dfd".into(), FieldValue::UInt(4294967196)),
                ("flags".into(), FieldValue::Str("0x8000".into())),
            ]),
            payload: None,
        });
        let j = serde_json::to_string(&e).unwrap();
        assert_eq!(
            j,
            r#"{"type":"event","comm":"cat","pid":123,"tgid":123,"cpu":0,"timestamp":1234.56789,"event":"myopen","fields":{"filename":"/etc/passwd","dfd":4294967196,"flags":"0x8000"}}"#
        );
        let back: Record = serde_json::from_str(&j).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn host_is_one_field_after_the_records_own() {
        let h = Hosted {
            record: Record::notice(NoticeLevel::Info, "x"),
            host: Some("board".into()),
        };
        let j = serde_json::to_string(&h).unwrap();
        assert_eq!(
            j,
            r#"{"type":"notice","level":"info","message":"x","host":"board"}"#
        );
        assert_eq!(serde_json::from_str::<Hosted>(&j).unwrap(), h);
        let local: Hosted =
            serde_json::from_str(r#"{"type":"notice","level":"info","message":"x"}"#).unwrap();
        assert_eq!(local.host, None);
    }
}
