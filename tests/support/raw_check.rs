//! Checks a raw capture (a directory laid out like `tests/fixtures/raw/<kernel>/`): every page
//! decodes, and every event agrees with the kernel's own text of the same buffer.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use lktrace::tracefs::raw::{
    CpuMerge, CpuStats, EventTable, Lost, Next, PageLayout, SlicePages, Value,
};
use lktrace::tracefs::trace_line::{
    fields as fields_of, parse_line, probe_payload, Body, Line, RawValue,
};

/// Decodes base64 text (any line breaks; `=` padding), as busybox `base64` prints it.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (i, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return Err(format!("byte {c:#x} at {i}")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

/// What a capture held, once checked.
#[derive(Debug, Default)]
pub struct Summary {
    pub pages: usize,
    pub page_bytes: usize,
    /// Events per event name.
    pub events: BTreeMap<String, usize>,
    /// `rd` events of dd reading /lkt/payload one byte at a time.
    pub dd_reads: usize,
    /// Per CPU: (events lost by the page headers, pages that said "lost" without a count,
    /// the kernel's overrun from per_cpu/cpuN/stats), of the overflow capture.
    pub lost: Vec<(u64, u64, u64)>,
    /// Ring-buffer entries of each kind in the pages.
    pub kinds: BTreeMap<&'static str, usize>,
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))
}

/// One event, as both sides can say it.
#[derive(Debug, PartialEq)]
struct Ev {
    cpu: u32,
    /// Microseconds, as the text prints them (rounded to the nearest).
    us: u64,
    pid: i64,
    name: String,
    /// (name, value) in format order; numbers in decimal, strings as their text.
    fields: Vec<(String, String)>,
}

/// `S`, `D|W`, `R+`: sched_switch's prev_state as its print fmt prints it. The flag letters
/// and values come from the format's `__print_flags` pairs; the preemption bit is the one
/// above the largest flag (`TASK_REPORT_MAX`).
fn task_state(v: u64, pairs: &[(u64, String)]) -> String {
    let max = pairs.iter().map(|p| p.0).max().unwrap_or(0) << 1;
    let flags = v & max.wrapping_sub(1);
    let mut s = if flags == 0 {
        "R".to_string()
    } else {
        pairs
            .iter()
            .filter(|(bit, _)| flags & bit != 0)
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("|")
    };
    if v & max != 0 {
        s.push('+');
    }
    s
}

fn state_pairs(format: &str) -> Vec<(u64, String)> {
    let mut pairs = Vec::new();
    let mut rest = format;
    while let Some(i) = rest.find("{ 0x") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find('}') else { break };
        let item = &rest[..end];
        if let Some((num, letter)) = item.split_once(',') {
            let num = u64::from_str_radix(num.trim().trim_start_matches("0x"), 16).unwrap_or(0);
            pairs.push((num, letter.trim().trim_matches('"').to_string()));
        }
        rest = &rest[end..];
    }
    pairs
}

fn value_text(v: &Value<'_>) -> String {
    match v {
        Value::U64(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::Str(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Absent => "(fault)".into(),
        Value::Ints(a) => format!("{:?}", a.iter().collect::<Vec<_>>()),
        Value::Bytes(b) => format!("{b:?}"),
    }
}

/// The text's number in decimal (kprobe types print `0x` hex for `x*`, decimal otherwise).
fn text_number(s: &str) -> Option<String> {
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok().map(|n| n.to_string());
    }
    s.parse::<i64>()
        .map(|n| n.to_string())
        .or_else(|_| s.parse::<u64>().map(|n| n.to_string()))
        .ok()
}

/// Decodes every page of `cpuN.raw` under `dir` in one merged stream.
fn raw_events(
    dir: &Path,
    layout: &PageLayout,
    table: &EventTable,
    vfs_read: u64,
    pairs: &[(u64, String)],
    s: &mut Summary,
) -> Result<(Vec<Ev>, Vec<Lost>), String> {
    let mut files = Vec::new();
    for cpu in 0..64u32 {
        match std::fs::read(dir.join(format!("cpu{cpu}.raw"))) {
            Ok(b) => files.push((cpu, b)),
            Err(_) => break,
        }
    }
    if files.is_empty() {
        return Err(format!("no cpu0.raw in {}", dir.display()));
    }
    for (cpu, b) in &files {
        if b.len() % layout.page_size() != 0 {
            return Err(format!(
                "cpu{cpu}.raw is not whole pages: {} bytes",
                b.len()
            ));
        }
        s.pages += b.len() / layout.page_size();
        s.page_bytes += b.len();
    }
    let mut merge = CpuMerge::new(
        layout.clone(),
        files.iter().map(|(c, b)| (*c, SlicePages::new(b))),
        0,
    );
    let mut out = Vec::new();
    loop {
        let (cpu, ts, payload) = match merge.next_event().map_err(|e| e.to_string())? {
            Next::Event { cpu, ts, payload } => (cpu, ts, payload),
            Next::Lost { .. } => continue,
            Next::Wait => return Err("a merge of saved pages waited".into()),
            Next::End => break,
        };
        let r = table.record(payload).map_err(|e| e.to_string())?;
        let mut fields = Vec::new();
        for (i, d) in r.event.own_fields().iter().enumerate() {
            let v = r.field(r.event.common + i).map_err(|e| e.to_string())?;
            if d.name == "__probe_ip" {
                let ip = v.as_u64().unwrap_or(0);
                let off = ip.wrapping_sub(vfs_read);
                fields.push((d.name.clone(), format!("vfs_read+{off:#x}")));
                continue;
            }
            let text = if d.name == "prev_state" {
                task_state(v.as_u64().unwrap_or(0), pairs)
            } else {
                value_text(&v)
            };
            fields.push((d.name.clone(), text));
        }
        *s.events.entry(r.event.name.clone()).or_default() += 1;
        if r.event.name == "rd"
            && r.get("comm").ok() == Some(Value::Str(b"dd"))
            && r.get("name").ok() == Some(Value::Str(b"payload"))
            && r.get("cnt").ok() == Some(Value::U64(1))
        {
            s.dd_reads += 1;
        }
        out.push(Ev {
            cpu,
            us: (ts + 500) / 1000,
            pid: i64::from(r.pid().unwrap_or(-1)),
            name: r.event.name.clone(),
            fields,
        });
    }
    let lost = files.iter().map(|(c, _)| merge.lost(*c)).collect();
    Ok((out, lost))
}

/// The events of a `trace` text file.
fn text_events(text: &str) -> Result<Vec<Ev>, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (ctx, event, payload) = match parse_line(line) {
            Line::Event {
                ctx,
                body: Body::Named { event, payload },
            } => (ctx, event, payload),
            Line::Comment | Line::Lost { .. } => continue,
            other => return Err(format!("unexpected trace line {other:?}")),
        };
        let p = probe_payload(payload);
        let mut fields = Vec::new();
        if let Some(site) = p.site {
            let site = site.split('/').next().unwrap_or(site);
            fields.push(("__probe_ip".to_string(), site.to_string()));
        }
        let mut it = fields_of(p.rest);
        for (name, v) in &mut it {
            let (quoted, v) = match v {
                RawValue::Quoted(q) => (true, q),
                RawValue::Bare(b) => (false, b),
            };
            // sched_switch: `prev_state=S ==> next_comm=...`.
            let v = v.strip_suffix(" ==>").unwrap_or(v);
            let v = match (quoted, text_number(v)) {
                (false, Some(n)) if !name.ends_with("comm") && name != "filename" => n,
                _ => v.to_string(),
            };
            fields.push((name.to_string(), v));
        }
        if !it.complete() {
            return Err(format!("fields of {line:?} did not parse"));
        }
        out.push(Ev {
            cpu: ctx.cpu,
            us: (ctx.timestamp * 1e6).round() as u64,
            pid: i64::from(ctx.pid),
            name: event.to_string(),
            fields,
        });
    }
    Ok(out)
}

fn compare(raw: &[Ev], text: &[Ev], what: &str) -> Result<(), String> {
    for (i, (r, t)) in raw.iter().zip(text).enumerate() {
        if r != t {
            return Err(format!(
                "{what}: event {i} differs\n raw:  {r:?}\n text: {t:?}"
            ));
        }
    }
    if raw.len() != text.len() {
        return Err(format!(
            "{what}: {} events in the pages, {} in the text",
            raw.len(),
            text.len()
        ));
    }
    Ok(())
}

/// How often each kind of ring-buffer entry occurs in `pages` (walked here independently of
/// the decoder, so a test can tell which of the decoder's paths real pages exercise).
fn entry_kinds(pages: &[u8], layout: &PageLayout, kinds: &mut BTreeMap<&'static str, usize>) {
    let h = layout.header();
    for page in pages.chunks_exact(layout.page_size()) {
        let c = page.get(layout.commit_offset()..layout.commit_offset() + 8);
        let len = c.map_or(0, |c| {
            u64::from_le_bytes(c.try_into().unwrap_or([0; 8])) & 0x3fff_ffff
        });
        let data = &page[layout.data_offset()..layout.data_offset() + len as usize];
        let word = |at: usize| {
            data.get(at..at + 4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        };
        let mut at = 0;
        while let Some(w) = word(at) {
            let (t, delta) = (w & 31, w >> h.type_len_bits);
            let (kind, next) = match t {
                0 => ("long event", at + 4 + word(at + 4).unwrap_or(0) as usize),
                t if t <= h.data_max => ("event", at + 4 + t as usize * 4),
                t if t == h.padding && delta == 0 => ("end padding", data.len()),
                t if t == h.padding => ("padding", at + 4 + word(at + 4).unwrap_or(0) as usize),
                t if t == h.time_extend => ("time extend", at + 8),
                _ => ("absolute timestamp", at + 8),
            };
            *kinds.entry(kind).or_default() += 1;
            at = next.max(at + 4);
        }
    }
}

/// One part of a capture (`dir/part/`): its pages decode and match its `trace.txt`, and every
/// CPU's decoded events are its `stats` `entries`. Returns the lost counts per CPU.
fn check_part(
    dir: &Path,
    part: &str,
    table: &EventTable,
    vfs_read: u64,
    pairs: &[(u64, String)],
    s: &mut Summary,
) -> Result<Vec<(Lost, CpuStats)>, String> {
    let pdir = dir.join(part);
    let layout = PageLayout::parse(
        &read(&pdir, "header_page.txt")?,
        &read(dir, "header_event.txt")?,
    )
    .map_err(|e| e.to_string())?;
    let (raw, lost) = raw_events(&pdir, &layout, table, vfs_read, pairs, s)?;
    let what = format!("{part}/trace.txt");
    compare(&raw, &text_events(&read(&pdir, "trace.txt")?)?, &what)?;
    let mut out = Vec::new();
    for (cpu, l) in lost.into_iter().enumerate() {
        let stats = CpuStats::parse(&read(&pdir, &format!("stats_cpu{cpu}.txt"))?);
        let n = raw.iter().filter(|e| e.cpu == cpu as u32).count() as u64;
        if n != stats.entries {
            return Err(format!(
                "{part}: cpu{cpu}: {n} events decoded, its stats say {} entries",
                stats.entries
            ));
        }
        if let Ok(pages) = std::fs::read(pdir.join(format!("cpu{cpu}.raw"))) {
            entry_kinds(&pages, &layout, &mut s.kinds);
        }
        out.push((l, stats));
    }
    Ok(out)
}

/// The three parts of a capture, checked.
#[derive(Debug)]
pub struct Capture {
    pub main: Summary,
    pub lost: Summary,
}

/// Every part of the capture in `dir` (the main one and `lost/`) decodes and matches its
/// `trace.txt` field by field (cpu, pid, timestamp to the microsecond, event name, every
/// argument), and every CPU's event count matches its `entries`; each part's summary has the
/// lost counts of its page headers beside the kernel's overrun counts.
pub fn check_capture(dir: &Path) -> Result<Capture, String> {
    let mut table = EventTable::new();
    let switch = read(dir, "format_sched_switch.txt")?;
    for f in ["format_rd.txt", "format_sched_process_exec.txt"] {
        table
            .add_format(&read(dir, f)?)
            .map_err(|e| e.to_string())?;
    }
    table.add_format(&switch).map_err(|e| e.to_string())?;
    let pairs = state_pairs(&switch);
    let sym = read(dir, "kallsyms_vfs_read.txt")?;
    let vfs_read = sym
        .lines()
        .find(|l| l.ends_with(" vfs_read"))
        .and_then(|l| u64::from_str_radix(l.split(' ').next()?, 16).ok())
        .ok_or("no vfs_read in kallsyms_vfs_read.txt")?;
    let part = |name: &str| -> Result<Summary, String> {
        let mut s = Summary::default();
        for (l, stats) in check_part(dir, name, &table, vfs_read, &pairs, &mut s)? {
            s.lost.push((l.events, l.uncounted_pages, stats.overrun));
        }
        Ok(s)
    };
    Ok(Capture {
        main: part("")?,
        lost: part("lost")?,
    })
}
