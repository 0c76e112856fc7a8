//! Strict mirrors of lktrace's JSON Lines (docs/json.md), independent of the library's types.
//!
//! Every struct denies unknown fields and every field that the library always writes is
//! required here (`null` included), so a field added, dropped, renamed or made optional in
//! `src/record.rs` fails a test until this file and docs/json.md are updated with it.
//!
//! Reusable: include it from any integration test with
//! `#[path = "support/json_schema.rs"] mod json_schema;` and call [`validate_line`] or
//! [`validate_output`] on what the binary printed, e.g. in real-kernel tests.

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// A field that is always written, possibly as `null`: must be present.
fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// A field that is left out when empty: may be absent, but never `null`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// One line of `--json` output.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Counts(Counts),
    Event(Event),
    Stack(Stack),
    StackCounts(StackCounts),
    Histogram(Histogram),
    Span(Span),
    Lost(Lost),
    Notice(Notice),
    Format(Format),
    Tracepoint(Tracepoint),
    Symbol(Symbol),
    UserSymbol(UserSymbol),
    Status(Status),
    Check(Check),
    Reset(Reset),
    Ping(Ping),
}

impl Line {
    /// The `"type"` tag of the line.
    pub fn kind(&self) -> &'static str {
        match self {
            Line::Counts(_) => "counts",
            Line::Event(_) => "event",
            Line::Stack(_) => "stack",
            Line::StackCounts(_) => "stack_counts",
            Line::Histogram(_) => "histogram",
            Line::Span(_) => "span",
            Line::Lost(_) => "lost",
            Line::Notice(_) => "notice",
            Line::Format(_) => "format",
            Line::Tracepoint(_) => "tracepoint",
            Line::Symbol(_) => "symbol",
            Line::UserSymbol(_) => "user_symbol",
            Line::Status(_) => "status",
            Line::Check(_) => "check",
            Line::Reset(_) => "reset",
            Line::Ping(_) => "ping",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub backend: Backend,
    pub duration_s: f64,
    pub time: f64,
    pub counts: Vec<Count>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Profiler,
    KprobeProfile,
    Hist,
    FunctionTrace,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub name: String,
    pub count: u64,
    #[serde(default, deserialize_with = "present")]
    pub keys: Option<BTreeMap<String, FieldValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    pub name: String,
    pub unit: String,
    pub keys: BTreeMap<String, FieldValue>,
    pub buckets: Vec<Bucket>,
    #[serde(default)]
    pub time: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub low: u64,
    pub high: u64,
    pub count: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    pub timestamp: f64,
    pub name: String,
    pub duration_us: f64,
    #[serde(default, deserialize_with = "present")]
    pub depth: Option<u32>,
    pub fields: BTreeMap<String, FieldValue>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub comm: String,
    pub pid: u32,
    #[serde(deserialize_with = "nullable")]
    pub tgid: Option<u32>,
    pub cpu: u32,
    #[serde(default, deserialize_with = "present")]
    pub flags: Option<String>,
    pub timestamp: f64,
    pub event: String,
    #[serde(default, deserialize_with = "present")]
    pub probe: Option<String>,
    pub fields: BTreeMap<String, FieldValue>,
    #[serde(default, deserialize_with = "present")]
    pub payload: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

/// A payload value: an integer (decimal in the trace) or a string (quoted text, or hex).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    UInt(u64),
    Int(i64),
    Str(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    pub timestamp: f64,
    pub frames: Vec<String>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackCounts {
    pub backend: StackBackend,
    pub duration_s: f64,
    pub stacks: Vec<StackCount>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackBackend {
    Hist,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackCount {
    pub frames: Vec<String>,
    pub count: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lost {
    #[serde(deserialize_with = "nullable")]
    pub cpu: Option<u32>,
    #[serde(deserialize_with = "nullable")]
    pub count: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub level: Level,
    pub message: String,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warning,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tracepoint {
    pub system: String,
    pub event: String,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    #[serde(default, deserialize_with = "present")]
    pub module: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSymbol {
    pub file: String,
    pub name: String,
    pub address: u64,
    pub offset: u64,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    Function,
    Tracepoint,
    Kprobe,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Format {
    pub event: String,
    pub text: String,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub tracefs: String,
    pub current_tracer: String,
    pub tracing_on: bool,
    pub ftrace_filter: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub function_profile_enabled: Option<bool>,
    pub enabled_events: Vec<String>,
    pub dynamic_events: Vec<DynamicEvent>,
    pub instances: Vec<Instance>,
    #[serde(deserialize_with = "nullable")]
    pub buffer: Option<Buffer>,
    pub unreadable: Vec<String>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buffer {
    pub per_cpu_kb: u64,
    #[serde(deserialize_with = "nullable")]
    pub total_kb: Option<u64>,
    pub expanded: bool,
    #[serde(deserialize_with = "nullable")]
    pub expands_to_kb: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicEvent {
    pub definition: String,
    pub group: String,
    pub event: String,
    pub owner: Owner,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub name: String,
    pub current_tracer: String,
    pub owner: Owner,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Owner {
    Other,
    Live { pid: u32 },
    Dead { pid: u32 },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub kernel_release: String,
    pub arch: String,
    pub root: bool,
    #[serde(deserialize_with = "nullable")]
    pub tracefs: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub lockdown: Option<String>,
    pub features: Vec<CheckItem>,
    pub tools: Vec<CheckItem>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckItem {
    pub name: String,
    pub ok: bool,
    #[serde(default, deserialize_with = "present")]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    pub removed: Vec<String>,
    pub reset: Vec<String>,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    pub rtt_us: f64,
    pub agent_version: String,
    pub kernel_release: String,
    #[serde(default, deserialize_with = "present")]
    pub host: Option<String>,
}

/// Checks one line of `--json` output against the documented shapes.
pub fn validate_line(line: &str) -> Result<Line, String> {
    serde_json::from_str::<Line>(line).map_err(|e| format!("{e}: {line}"))
}

/// Checks every line of `--json` output; an empty line or a partial last line is an error.
pub fn validate_output(out: &str) -> Result<Vec<Line>, String> {
    if !out.is_empty() && !out.ends_with('\n') {
        return Err("output does not end with a newline".into());
    }
    out.lines()
        .enumerate()
        .map(|(i, l)| validate_line(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}
