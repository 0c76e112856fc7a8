//! The parser of `trace` / `trace_pipe` text lines (TRACEFS.md section 8).
//!
//! Borrowing and allocation-free: a line becomes slices of itself. Building owned records is
//! the caller's business, so a counter that only needs the event name pays nothing more.
//!
//! INTERFACE STUB: the parser is being written; signatures are the contract.

/// The context columns every event line starts with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context<'a> {
    /// Task name; may contain spaces and `-`; `<...>` when the kernel had not cached it.
    pub comm: &'a str,
    pub pid: u32,
    /// Present with the `record-tgid` option (`(  123)` column); `None` for `(-------)` too.
    pub tgid: Option<u32>,
    pub cpu: u32,
    /// The irq/preempt flags column (`d.h1.`), absent when `irq-info` is off.
    pub flags: Option<&'a str>,
    /// Seconds (`2.521076`) or raw counter ticks for non-ns clocks.
    pub timestamp: f64,
}

/// What follows the context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Body<'a> {
    /// `name: payload` (kprobes, tracepoints, `tracing_mark_write`).
    Named { event: &'a str, payload: &'a str },
    /// Function tracer: `func <-parent` (parent absent with `nofuncgraph-parent` style output).
    Function {
        func: &'a str,
        parent: Option<&'a str>,
    },
    /// `<stack trace>`: the frames follow on ` => ` lines.
    StackHeader,
    /// `<user stack trace>`.
    UserStackHeader,
}

/// One line of trace text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Line<'a> {
    Event {
        ctx: Context<'a>,
        body: Body<'a>,
    },
    /// ` => do_sys_openat2` after a stack header.
    StackFrame(&'a str),
    /// `CPU:1 [LOST 12 EVENTS]`; `count` is `None` for `[LOST EVENTS]`.
    Lost {
        cpu: u32,
        count: Option<u64>,
    },
    /// `# ...` header lines and blank lines.
    Comment,
    /// Anything else, kept so nothing is dropped silently.
    Unknown(&'a str),
}

/// Parses one line (without its newline).
pub fn parse_line(_line: &str) -> Line<'_> {
    todo!("trace line parser")
}

/// A field value as it appears in a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawValue<'a> {
    /// `"..."` with the quotes removed.
    Quoted(&'a str),
    /// Anything else: `0x3`, `-2`, `(fault)`, `{1,2}`.
    Bare(&'a str),
}

/// A kprobe/uprobe payload: `(do_sys_openat2+0x0/0x170) dfd=0xffffff9c filename="/tmp" ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbePayload<'a> {
    /// The parenthesised probe site, without the parentheses; `None` for other payloads.
    pub site: Option<&'a str>,
    /// The rest, to iterate with [`fields`].
    pub rest: &'a str,
}

/// Splits off the probe site of a payload.
pub fn probe_payload(_payload: &str) -> ProbePayload<'_> {
    todo!()
}

/// Iterates `name=value` pairs. Stops (and returns `None` from [`Fields::complete`] = false)
/// when the text is not `name=value` pairs.
pub fn fields(rest: &str) -> Fields<'_> {
    Fields { rest, ok: true }
}

pub struct Fields<'a> {
    rest: &'a str,
    ok: bool,
}

impl<'a> Fields<'a> {
    /// False when iteration met text that is not `name=value`.
    pub fn complete(&self) -> bool {
        self.ok
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a str, RawValue<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let _ = (&self.rest, &mut self.ok);
        todo!()
    }
}
