//! Raw ring-buffer events made into the same [`Event`] records the text path makes of the
//! kernel's `trace_pipe` lines (`records.rs`): every value formatted as the kernel's text
//! formatter would, then converted as the text path converts it.
//!
//! - comm and tgid: `saved_cmdlines` / `saved_tgids`, as the text formatter looks them up
//!   (`<idle>` for pid 0, `<...>` when unknown; a tgid of 0 prints as unknown);
//! - flags: the five-character column of Linux 6.0–6.12 (`trace_print_lat_fmt`);
//! - timestamp: the kernel's nanoseconds rounded to the microsecond as `ns2usecs` does (+500 ns,
//!   then divided), then made a float the way the text path parses `SECS.USECS`;
//! - probe site: `__probe_ip` as `sym+0xoff/0xsize` (kallsyms), a return probe's as
//!   `caller+0xoff/0xsize <- func`;
//! - arguments: by the conversion the event's `print fmt` gives each (`%u`/`%d` decimal,
//!   `0x%x` hex, `"%s"` strings, `(fault)` for a failed string fetch), then as the text path
//!   converts printed values: decimals become numbers, the rest stays text.
//!
//! An event whose print format has anything else (arrays, `%pS` symbols, chars) is not
//! supported: [`ProbeFormat::new`] says why, and the tool reads the text instead.

use std::fmt::Write as _;

use super::symbols::{Names, ReadFile, Symbols};
use crate::record::{Event, FieldValue};
use crate::tracefs::format::EventFormat;
use crate::tracefs::raw::{EventDecoder, Record as RawRecord, Value};

/// How the kernel prints one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgPrint {
    /// `%u`, `%Lu`, `%d`, `%Ld`: decimal (signed when the field is).
    Dec,
    /// `0x%x`, `0x%Lx`.
    Hex,
    /// `"%s"`, or `(fault)` when the fetch failed.
    Str,
}

/// A kprobe (entry) or kretprobe (return) event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// `(%lx)` of `__probe_ip` at this decoder field.
    Entry { ip: usize },
    /// `(%lx <- %lx)` of `__probe_ret_ip` and `__probe_func`.
    Return { ret_ip: usize, func: usize },
}

/// One probe event as the raw path formats it.
#[derive(Debug, Clone)]
pub struct ProbeFormat {
    pub name: String,
    pub id: u32,
    pub site: Site,
    /// The arguments in print order: name, decoder field index, conversion.
    args: Vec<(String, usize, ArgPrint)>,
}

impl ProbeFormat {
    /// The format of a kprobe/kretprobe event, or why its text cannot be reproduced.
    pub fn new(f: &EventFormat, dec: &EventDecoder) -> Result<ProbeFormat, String> {
        let fmt = quoted_format(&f.print_fmt)
            .ok_or_else(|| format!("event {}: print fmt not understood", f.name))?;
        let field = |name: &str| {
            dec.fields
                .iter()
                .position(|d| d.name == name)
                .ok_or_else(|| format!("event {}: no field {name}", f.name))
        };
        let (site, rest) = if let Some(rest) = fmt.strip_prefix("(%lx <- %lx)") {
            (
                Site::Return {
                    ret_ip: field("__probe_ret_ip")?,
                    func: field("__probe_func")?,
                },
                rest,
            )
        } else if let Some(rest) = fmt.strip_prefix("(%lx)") {
            (
                Site::Entry {
                    ip: field("__probe_ip")?,
                },
                rest,
            )
        } else {
            return Err(format!("event {} is not a kprobe event", f.name));
        };
        let own: Vec<&str> = f
            .fields
            .iter()
            .map(|x| x.name.as_str())
            .filter(|n| !n.starts_with("__probe_"))
            .collect();
        let mut args = Vec::new();
        for tok in rest.split(' ').filter(|t| !t.is_empty()) {
            let (name, conv) = tok
                .split_once('=')
                .ok_or_else(|| format!("event {}: print fmt token {tok:?}", f.name))?;
            let print = match conv {
                "%u" | "%lu" | "%Lu" | "%llu" | "%d" | "%ld" | "%Ld" | "%lld" => ArgPrint::Dec,
                "0x%x" | "0x%lx" | "0x%Lx" | "0x%llx" => ArgPrint::Hex,
                "\"%s\"" => ArgPrint::Str,
                _ => {
                    return Err(format!(
                        "argument {name} of {} prints as {conv}, which the raw reader does not reproduce",
                        f.name
                    ))
                }
            };
            args.push((name.to_string(), field(name)?, print));
        }
        let names: Vec<&str> = args.iter().map(|(n, _, _)| n.as_str()).collect();
        if names != own {
            return Err(format!(
                "event {}: print fmt names {names:?}, the format has {own:?}",
                f.name
            ));
        }
        Ok(ProbeFormat {
            name: f.name.clone(),
            id: f.id,
            site,
            args,
        })
    }
}

/// The text between the first pair of unescaped quotes of a `print fmt`, with `\"` unescaped.
fn quoted_format(print_fmt: &str) -> Option<String> {
    let body = print_fmt.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                // Anything else escaped (\n, \t) the raw reader does not reproduce.
                _ => return None,
            },
            '"' => return Some(out),
            c => out.push(c),
        }
    }
    None
}

/// The flags column of Linux 6.0–6.12 (`trace_print_lat_fmt`): irqs-off/BH, need-resched,
/// hard/softirq/NMI, preempt depth, migrate-disable depth.
pub fn flags_text(flags: u8, preempt: u8, out: &mut String) {
    const IRQS_OFF: u8 = 0x01;
    const IRQS_NOSUPPORT: u8 = 0x02;
    const NEED_RESCHED: u8 = 0x04;
    const HARDIRQ: u8 = 0x08;
    const SOFTIRQ: u8 = 0x10;
    const PREEMPT_RESCHED: u8 = 0x20;
    const NMI: u8 = 0x40;
    const BH_OFF: u8 = 0x80;
    let on = |bit: u8| flags & bit != 0;
    out.clear();
    out.push(match (on(IRQS_OFF), on(BH_OFF)) {
        (true, true) => 'D',
        (true, false) => 'd',
        (false, true) => 'b',
        _ if on(IRQS_NOSUPPORT) => 'X',
        _ => '.',
    });
    out.push(match (on(NEED_RESCHED), on(PREEMPT_RESCHED)) {
        (true, true) => 'N',
        (true, false) => 'n',
        (false, true) => 'p',
        _ => '.',
    });
    out.push(match (on(NMI), on(HARDIRQ), on(SOFTIRQ)) {
        (true, true, _) => 'Z',
        (true, false, _) => 'z',
        (false, true, true) => 'H',
        (false, true, false) => 'h',
        (false, false, true) => 's',
        _ => '.',
    });
    for nibble in [preempt & 0xf, preempt >> 4] {
        out.push(match nibble {
            0 => '.',
            n => char::from_digit(u32::from(n), 16).unwrap_or('?'),
        });
    }
}

/// The timestamp the text path gets for an event at `ns`: the kernel prints
/// `ns2usecs(ns)` = (ns + 500) / 1000 as `SECS.USECS`, and the text path parses that as the
/// decimal it is: microseconds / 1e6, one correctly rounded division while they are below
/// 2^53 (the text parser's rule too), so the two floats are bit for bit equal.
pub fn text_timestamp(ns: u64) -> f64 {
    let us = ns.saturating_add(500) / 1000;
    if us < 1 << 53 {
        us as f64 / 1e6
    } else {
        format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
            .parse()
            .unwrap_or(f64::MAX)
    }
}

/// Fills events from raw records of the probe events it knows.
#[derive(Debug)]
pub struct Converter {
    probes: Vec<ProbeFormat>,
    pub names: Names,
    pub symbols: Symbols,
}

impl Converter {
    pub fn new(probes: Vec<ProbeFormat>, names: Names, symbols: Symbols) -> Converter {
        Converter {
            probes,
            names,
            symbols,
        }
    }

    /// Fills `e` (its buffers reused) with the event `rec`, recorded on `cpu` at `ns`.
    /// `read` reads `saved_cmdlines`/`saved_tgids` for pids not known yet.
    pub fn fill(
        &mut self,
        read: ReadFile<'_>,
        cpu: u32,
        ns: u64,
        rec: &RawRecord<'_, '_>,
        e: &mut Event,
    ) -> Result<(), String> {
        let id = rec.event.id;
        let Some(p) = self.probes.iter().find(|p| p.id == id) else {
            return Err(format!(
                "raw event {} ({id}) is not a probe of this run",
                rec.event.name
            ));
        };
        let pid = rec.pid().unwrap_or(0).max(0) as u32;
        set(&mut e.comm, self.names.comm(read, pid));
        e.pid = pid;
        e.tgid = self.names.tgid(read, pid);
        e.cpu = cpu;
        let flags = e.flags.get_or_insert_with(String::new);
        flags_text(
            rec.common_flags().unwrap_or(0),
            rec.preempt_count().unwrap_or(0),
            flags,
        );
        e.timestamp = text_timestamp(ns);
        set(&mut e.event, &p.name);
        let int = |i: usize| rec.field(i).ok().and_then(|v| v.as_u64()).unwrap_or(0);
        let probe = e.probe.get_or_insert_with(String::new);
        match p.site {
            Site::Entry { ip } => set(probe, self.symbols.with_offset(int(ip))),
            Site::Return { ret_ip, func } => {
                set(probe, self.symbols.with_offset(int(ret_ip)));
                probe.push_str(" <- ");
                probe.push_str(self.symbols.name_only(int(func)));
            }
        }
        e.payload = None;
        let fields = &mut e.fields.0;
        fields.truncate(p.args.len());
        for (n, (name, i, print)) in p.args.iter().enumerate() {
            if n == fields.len() {
                fields.push((String::new(), FieldValue::UInt(0)));
            }
            let (k, v) = &mut fields[n];
            set(k, name);
            let value = rec.field(*i).map_err(|err| err.to_string())?;
            convert(value, *print, v);
        }
        Ok(())
    }
}

/// A value as the text path would have it after the kernel printed it with `print`.
fn convert(value: Value<'_>, print: ArgPrint, dst: &mut FieldValue) {
    match (print, value) {
        (ArgPrint::Dec, Value::I64(v)) if v < 0 => *dst = FieldValue::Int(v),
        (ArgPrint::Dec, Value::I64(v)) => *dst = FieldValue::UInt(v as u64),
        (ArgPrint::Dec, Value::U64(v)) => *dst = FieldValue::UInt(v),
        (ArgPrint::Hex, v) => {
            let s = str_value(dst);
            let _ = write!(s, "0x{:x}", v.as_u64().unwrap_or(0));
        }
        (ArgPrint::Str, Value::Str(b)) => {
            let s = str_value(dst);
            match std::str::from_utf8(b) {
                Ok(t) => s.push_str(t),
                Err(_) => s.push_str(&String::from_utf8_lossy(b)),
            }
        }
        (ArgPrint::Str, Value::Absent) => str_value(dst).push_str("(fault)"),
        // A field the decoder read as something else than the print fmt says: what the text
        // would show cannot be known; keep its number, or nothing.
        (_, v) => match v.as_u64() {
            Some(n) => *dst = FieldValue::UInt(n),
            None => {
                str_value(dst);
            }
        },
    }
}

/// `dst` as an empty string value, reusing its buffer when it was one.
fn str_value(dst: &mut FieldValue) -> &mut String {
    if !matches!(dst, FieldValue::Str(_)) {
        *dst = FieldValue::Str(String::new());
    }
    match dst {
        FieldValue::Str(s) => {
            s.clear();
            s
        }
        _ => unreachable!("set to a string just above"),
    }
}

fn set(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_as_the_kernel_prints_them() {
        let mut s = String::new();
        for (flags, preempt, want) in [
            (0, 0, "....."),
            (0x01, 2, "d..2."),
            (0x81, 0, "D...."),
            (0x80, 0, "b...."),
            (0x02, 0, "X...."),
            (0x04 | 0x20, 0x11, ".N.11"),
            (0x04, 0, ".n..."),
            (0x20, 0, ".p..."),
            (0x48, 0, "..Z.."),
            (0x40, 0, "..z.."),
            (0x18, 0, "..H.."),
            (0x08, 0xf, "..hf."),
            (0x10, 0x20, "..s.2"),
        ] {
            flags_text(flags, preempt, &mut s);
            assert_eq!(s, want, "{flags:#x} {preempt:#x}");
        }
    }

    #[test]
    fn timestamps_round_as_ns2usecs() {
        assert_eq!(text_timestamp(8_127_412_499), 8.127412);
        assert_eq!(text_timestamp(8_127_412_500), 8.127413);
        assert_eq!(text_timestamp(999_999_500), 1.0);
    }

    #[test]
    fn print_fmt_of_the_fixture_probe() {
        let text = include_str!("../../../../tests/fixtures/raw/debian13/format_rd.txt");
        let f = crate::tracefs::format::parse(text).unwrap();
        let d = EventDecoder::new(&f);
        let p = ProbeFormat::new(&f, &d).unwrap();
        let prints: Vec<ArgPrint> = p.args.iter().map(|a| a.2).collect();
        use ArgPrint::*;
        assert_eq!(
            prints,
            [Dec, Dec, Hex, Dec, Dec, Dec, Dec, Hex, Str, Str],
            "{p:?}"
        );
        let mut bad = f.clone();
        bad.print_fmt = bad.print_fmt.replacen("cnt=%Lu", "cnt=%pS", 1);
        assert!(ProbeFormat::new(&bad, &d).unwrap_err().contains("%pS"));
    }

    /// The real pages of the three test kernels (tests/fixtures/raw/, captured by
    /// tests/vm_raw_capture.rs) through the converter give, for every kprobe event, exactly the
    /// record the text path makes of the kernel's own `trace` text of the same buffer: every
    /// field, the float timestamp bit for bit. What the fixtures cannot give is taken from the
    /// text: the comm of each pid (saved_cmdlines was not captured) and vfs_read's size in the
    /// symbol table (only its address was captured).
    #[test]
    fn fixture_pages_give_the_text_paths_records() {
        use crate::record::Record;
        use crate::tools::engine::stream::TraceRecords;
        use crate::tracefs::raw::{CpuMerge, EventTable, Next, PageLayout, SlicePages};
        macro_rules! fixture {
            ($k:literal, $f:literal) => {
                include_bytes!(concat!("../../../../tests/fixtures/raw/", $k, "/", $f)).as_slice()
            };
        }
        macro_rules! kernel {
            ($k:literal) => {
                [
                    fixture!($k, "header_page.txt"),
                    fixture!($k, "header_event.txt"),
                    fixture!($k, "format_rd.txt"),
                    fixture!($k, "kallsyms_vfs_read.txt"),
                    fixture!($k, "trace.txt"),
                    fixture!($k, "cpu0.raw"),
                    fixture!($k, "cpu1.raw"),
                ]
            };
        }
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        for (k, [hp, he, fmt, ksym, trace, cpu0, cpu1]) in [
            ("debian12", kernel!("debian12")),
            ("debian13", kernel!("debian13")),
            ("profiler", kernel!("profiler")),
        ] {
            let mut want = Vec::new();
            let mut tr = TraceRecords::new();
            for line in text(trace).lines() {
                tr.feed(line, &mut |r| {
                    if let Record::Event(e) = r {
                        if e.event == "rd" {
                            want.push(e)
                        }
                    }
                });
            }
            let mut names = Names::new(false);
            let mut cmdlines = String::new();
            for e in &want {
                cmdlines.push_str(&format!("{} {}\n", e.pid, e.comm));
            }
            names.load_cmdlines(&cmdlines);
            let site = want[0].probe.clone().unwrap();
            let size = u64::from_str_radix(site.rsplit_once("/0x").unwrap().1, 16).unwrap();
            let addr = u64::from_str_radix(text(ksym).split(' ').next().unwrap(), 16).unwrap();
            let syms = format!("{addr:x} T vfs_read\n{:x} T after_vfs_read\n", addr + size);
            let f = crate::tracefs::format::parse(&text(fmt)).unwrap();
            let mut table = EventTable::new();
            let dec = table.add(&f).unwrap().clone();
            let mut conv = Converter::new(
                vec![ProbeFormat::new(&f, &dec).unwrap()],
                names,
                Symbols::from_text(&syms),
            );
            let layout = PageLayout::parse(&text(hp), &text(he)).unwrap();
            let mut merge = CpuMerge::new(
                layout,
                [(0, SlicePages::new(cpu0)), (1, SlicePages::new(cpu1))],
                10_000_000,
            );
            let no_files = |_: &str| None;
            let mut got = Vec::new();
            let mut e = Event::empty();
            loop {
                match merge.next_event().unwrap() {
                    Next::Event { cpu, ts, payload } => {
                        let r = table.record(payload);
                        if let Ok(r) = r {
                            if r.event.id == dec.id {
                                conv.fill(&no_files, cpu, ts, &r, &mut e).unwrap();
                                got.push(e.clone());
                            }
                        }
                    }
                    Next::Lost { .. } => panic!("{k}: no loss in the main capture"),
                    Next::Wait => merge.set_draining(true),
                    Next::End => break,
                }
            }
            assert_eq!(got.len(), want.len(), "{k}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{k}");
                assert_eq!(g.timestamp.to_bits(), w.timestamp.to_bits(), "{k}");
            }
        }
    }
}
