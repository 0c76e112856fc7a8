//! The JSON of the stream records (`event`, `stack`, `lost`) written by hand, byte for byte what
//! serde_json writes for them; every other record goes through serde_json.
//!
//! Why: `lktrace parse --json` spent most of its time in serde's generic map machinery and in
//! serde_json's string escaping, which scans a byte at a time and hands every unescaped run to
//! the writer separately. These records are most of what a trace is, so they get a direct path.
//! Numbers still go through serde_json's own serializer (itoa, zmij, `null` for non-finite
//! floats), so they cannot drift. The tests compare this writer with serde_json on every shape
//! the records can take, hostile strings and odd floats included.

use serde::Serialize;

use crate::record::{Event, FieldValue, Fields, Lost, Record, Stack};

/// Appends `record` as one JSON object (no newline) to `buf`; with `host`, a `"host"` field
/// follows the record's own, as [`Hosted`](crate::record::Hosted) serialises.
pub(crate) fn record(
    buf: &mut Vec<u8>,
    record: &Record,
    host: Option<&str>,
) -> Result<(), serde_json::Error> {
    match record {
        Record::Event(e) => event(buf, e)?,
        Record::Stack(s) => stack(buf, s)?,
        Record::Lost(l) => lost(buf, l)?,
        _ => {
            return match host {
                None => serde_json::to_writer(&mut *buf, record),
                Some(host) => serde_json::to_writer(&mut *buf, &HostedRef { record, host }),
            }
        }
    }
    if let Some(h) = host {
        // Every object above ends in its `}`: reopen it for the host.
        buf.pop();
        buf.extend_from_slice(b",\"host\":");
        string(buf, h);
        buf.push(b'}');
    }
    Ok(())
}

/// [`Hosted`](crate::record::Hosted) with its record and host borrowed; the same JSON.
#[derive(Serialize)]
struct HostedRef<'a> {
    #[serde(flatten)]
    record: &'a Record,
    host: &'a str,
}

fn event(buf: &mut Vec<u8>, e: &Event) -> Result<(), serde_json::Error> {
    // No `..`: a field added to Event fails to compile here until it is written.
    let Event {
        comm,
        pid,
        tgid,
        cpu,
        flags,
        timestamp,
        event,
        probe,
        fields: values,
        payload,
    } = e;
    buf.extend_from_slice(b"{\"type\":\"event\",\"comm\":");
    string(buf, comm);
    buf.extend_from_slice(b",\"pid\":");
    number(buf, pid)?;
    buf.extend_from_slice(b",\"tgid\":");
    number(buf, tgid)?;
    buf.extend_from_slice(b",\"cpu\":");
    number(buf, cpu)?;
    if let Some(f) = flags {
        buf.extend_from_slice(b",\"flags\":");
        string(buf, f);
    }
    buf.extend_from_slice(b",\"timestamp\":");
    number(buf, timestamp)?;
    buf.extend_from_slice(b",\"event\":");
    string(buf, event);
    if let Some(p) = probe {
        buf.extend_from_slice(b",\"probe\":");
        string(buf, p);
    }
    buf.extend_from_slice(b",\"fields\":");
    fields(buf, values)?;
    if let Some(p) = payload {
        buf.extend_from_slice(b",\"payload\":");
        string(buf, p);
    }
    buf.push(b'}');
    Ok(())
}

fn fields(buf: &mut Vec<u8>, f: &Fields) -> Result<(), serde_json::Error> {
    buf.push(b'{');
    for (i, (k, v)) in f.0.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, k);
        buf.push(b':');
        match v {
            FieldValue::Int(n) => number(buf, n)?,
            FieldValue::UInt(n) => number(buf, n)?,
            FieldValue::Str(s) => string(buf, s),
        }
    }
    buf.push(b'}');
    Ok(())
}

fn stack(buf: &mut Vec<u8>, s: &Stack) -> Result<(), serde_json::Error> {
    let Stack {
        comm,
        pid,
        cpu,
        timestamp,
        frames,
    } = s;
    buf.extend_from_slice(b"{\"type\":\"stack\",\"comm\":");
    string(buf, comm);
    buf.extend_from_slice(b",\"pid\":");
    number(buf, pid)?;
    buf.extend_from_slice(b",\"cpu\":");
    number(buf, cpu)?;
    buf.extend_from_slice(b",\"timestamp\":");
    number(buf, timestamp)?;
    buf.extend_from_slice(b",\"frames\":[");
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, f);
    }
    buf.extend_from_slice(b"]}");
    Ok(())
}

fn lost(buf: &mut Vec<u8>, l: &Lost) -> Result<(), serde_json::Error> {
    let Lost { cpu, count } = l;
    buf.extend_from_slice(b"{\"type\":\"lost\",\"cpu\":");
    number(buf, cpu)?;
    buf.extend_from_slice(b",\"count\":");
    number(buf, count)?;
    buf.push(b'}');
    Ok(())
}

/// A number (or `null` for `None`) exactly as serde_json writes it: through its serializer.
fn number(buf: &mut Vec<u8>, v: &impl Serialize) -> Result<(), serde_json::Error> {
    v.serialize(&mut serde_json::Serializer::new(buf))
}

/// What serde_json escapes: control characters, `"` and `\`. The value is the letter after the
/// backslash (`u` for `\u00XX`); 0 for a byte written as it is. Non-ASCII is written as it is.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// A JSON string, escaped as serde_json escapes it. Most strings here (names, paths, frames)
/// need no escape at all: they are checked eight bytes at a time, without branches, and copied
/// whole.
#[inline]
fn string(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    if clean(bytes) {
        buf.extend_from_slice(bytes);
    } else {
        escaped(buf, bytes);
    }
    buf.push(b'"');
}

/// Whether no byte of `bytes` needs an escape.
#[inline]
fn clean(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let mut dirty = false;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        dirty |= needs_escape(u64::from_le_bytes(w));
    }
    let tail = words.remainder();
    !tail
        .iter()
        .fold(dirty, |d, &b| d | (ESCAPE[usize::from(b)] != 0))
}

/// The escaping copy, byte by byte, unescaped runs copied whole.
fn escaped(buf: &mut Vec<u8>, bytes: &[u8]) {
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match ESCAPE[usize::from(b)] {
            0 => {}
            b'u' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(&bytes[run..i]);
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 0xf)]);
                run = i + 1;
            }
            letter => {
                buf.extend_from_slice(&bytes[run..i]);
                buf.push(b'\\');
                buf.push(letter);
                run = i + 1;
            }
        }
    }
    buf.extend_from_slice(&bytes[run..]);
}

/// Whether any of the eight bytes of `w` is one [`ESCAPE`] names: below 0x20, `"` or `\`.
/// (The word tricks of "Bit Twiddling Hacks": each test is exact about whether such a byte
/// exists, which is all this needs.)
#[inline]
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte that is zero (or, for `below`, under 0x20), and possibly in
    // bytes above such a byte: never set when there is none. No branches, so the loop over a
    // string's words stays straight.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let below = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = zero(w ^ (ONES * u64::from(b'"')));
    let backslash = zero(w ^ (ONES * u64::from(b'\\')));
    (below | quote | backslash) & HIGH != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Hosted, NoticeLevel, Span};

    /// What serde_json writes for the record, the reference this writer must match.
    fn serde(r: &Record, host: Option<&str>) -> String {
        serde_json::to_string(&Hosted {
            record: r.clone(),
            host: host.map(str::to_string),
        })
        .unwrap()
    }

    fn ours(r: &Record, host: Option<&str>) -> String {
        let mut buf = Vec::new();
        record(&mut buf, r, host).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn same(r: &Record) {
        for host in [None, Some("pi"), Some("h\"o\\st\n")] {
            assert_eq!(ours(r, host), serde(r, host), "{r:?} host {host:?}");
        }
    }

    /// Every byte a string can start with, every control character, quotes, backslashes and
    /// multi-byte characters, at the start, middle and end of strings.
    fn hostile_strings() -> Vec<String> {
        let mut v: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        v.extend(
            [
                "",
                "plain",
                "a\"b\\c",
                "\u{1b}]0;owned\u{7}",
                "tab\there\r\n",
                "ü€𝄞\u{7f}\u{80}\u{fffd}",
                "\\\\\"\"",
                "end\u{1f}",
            ]
            .map(str::to_string),
        );
        v.push((0u8..0x20).map(char::from).collect());
        v
    }

    fn floats() -> Vec<f64> {
        vec![
            0.0,
            -0.0,
            1.0,
            2.527091,
            1234.56789,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]
    }

    fn event(s: &str, ts: f64, opt: bool) -> Event {
        Event {
            comm: s.into(),
            pid: u32::MAX,
            tgid: opt.then_some(7),
            cpu: 0,
            flags: opt.then(|| s.to_string()),
            timestamp: ts,
            event: format!("ev{s}"),
            probe: opt.then(|| format!("{s}+0x0/0x1")),
            fields: Fields(vec![
                (s.to_string(), FieldValue::Str(s.to_string())),
                ("i".into(), FieldValue::Int(i64::MIN)),
                ("u".into(), FieldValue::UInt(u64::MAX)),
                ("neg".into(), FieldValue::Int(-1)),
            ]),
            payload: opt.then(|| s.to_string()),
        }
    }

    /// Every byte value at every position of strings long enough for the word-at-a-time scan,
    /// beside ASCII and multi-byte neighbours.
    #[test]
    fn strings_match_serde_json_byte_by_byte() {
        let mut chars: Vec<char> = (0u8..0x80).map(char::from).collect();
        chars.extend(['\u{80}', 'ü', '€', '𝄞', '\u{fffd}']);
        for c in chars {
            for len in [1, 7, 8, 9, 16, 17, 24] {
                for at in 0..len {
                    for fill in ['a', 'é'] {
                        let s: String = (0..len).map(|i| if i == at { c } else { fill }).collect();
                        let mut buf = Vec::new();
                        string(&mut buf, &s);
                        assert_eq!(
                            String::from_utf8(buf).unwrap(),
                            serde_json::to_string(&s).unwrap(),
                            "{s:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn events_match_serde_json_for_hostile_strings_and_odd_floats() {
        for s in hostile_strings() {
            for ts in floats() {
                for opt in [false, true] {
                    same(&Record::Event(event(&s, ts, opt)));
                }
            }
        }
        let mut empty = event("x", 1.0, false);
        empty.fields = Fields::default();
        same(&Record::Event(empty));
    }

    #[test]
    fn stacks_and_lost_match_serde_json() {
        for s in hostile_strings() {
            for ts in floats() {
                for frames in [
                    vec![],
                    vec![s.clone()],
                    vec![s.clone(), "f".into(), s.clone()],
                ] {
                    same(&Record::Stack(Stack {
                        comm: s.clone(),
                        pid: 1,
                        cpu: u32::MAX,
                        timestamp: ts,
                        frames,
                    }));
                }
            }
        }
        for cpu in [None, Some(0), Some(u32::MAX)] {
            for count in [None, Some(0), Some(u64::MAX)] {
                same(&Record::Lost(Lost { cpu, count }));
            }
        }
    }

    #[test]
    fn other_records_go_through_serde_json() {
        same(&Record::notice(NoticeLevel::Warning, "x\u{1b}"));
        same(&Record::Span(Span {
            comm: "dd".into(),
            pid: 1,
            cpu: 0,
            timestamp: 12.5,
            name: "vfs_read".into(),
            duration_us: 3.25,
            depth: Some(1),
            fields: Fields::default(),
        }));
    }

    /// The real kernel captures, through the record builder, render as serde_json renders them.
    #[test]
    fn fixture_records_match_serde_json() {
        let mut n = 0;
        for text in [
            include_str!("../../../tests/fixtures/debian/trace_kprobes.txt"),
            include_str!("../../../tests/fixtures/debian/trace_kprobe_stack.txt"),
            include_str!("../../../tests/fixtures/profiler/trace_pipe_lost.txt"),
            include_str!("../../../tests/fixtures/profiler/trace_kprobe_stack.txt"),
        ] {
            let mut conv = crate::tools::engine::stream::TraceRecords::new();
            let mut recs = Vec::new();
            for line in text.lines() {
                conv.feed(line, &mut |r| recs.push(r));
            }
            conv.finish(&mut |r| recs.push(r));
            assert!(recs.iter().any(|r| matches!(r, Record::Event(_))));
            for r in &recs {
                same(r);
                n += 1;
            }
        }
        assert!(n > 30, "{n} records");
    }
}
