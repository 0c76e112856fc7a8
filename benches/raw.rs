//! Decode throughput of the raw ring-buffer reader on the real pages of the three test kernels
//! (`tests/fixtures/raw/`), and the same payloads decoded field by field with
//! `tracepoint_decode` for comparison (docs/raw-reader.md).
//!
//! `cargo bench --bench raw`. Throughput is in bytes of pages; the event count per pass is
//! printed first, for events/s.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lktrace::tracefs::raw::{CpuMerge, EventTable, Next, Page, PageLayout, SlicePages, Value};
use tracepoint_decode::{PerfByteReader, PerfEventFormat};

/// How many times the fixture pages are repeated per pass: enough bytes that a pass is
/// long next to criterion's own overhead.
const REPEAT: usize = 20;

struct Kernel {
    layout: PageLayout,
    table: EventTable,
    /// tracepoint_decode's parse of the same format files, by event id.
    theirs: Vec<(u32, PerfEventFormat)>,
    /// Per CPU: its pages, REPEAT times over.
    cpus: Vec<Vec<u8>>,
}

fn load(kernel: &str) -> Kernel {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/raw")
        .join(kernel);
    let text = |f: &str| std::fs::read_to_string(dir.join(f)).expect(f);
    let layout = PageLayout::parse(&text("header_page.txt"), &text("header_event.txt")).unwrap();
    let mut table = EventTable::new();
    let mut theirs = Vec::new();
    for f in [
        "format_rd.txt",
        "format_sched_switch.txt",
        "format_sched_process_exec.txt",
    ] {
        let t = text(f);
        table.add_format(&t).unwrap();
        let p = PerfEventFormat::parse(true, "x", &t).expect("tracepoint_decode parses it");
        theirs.push((p.id(), p));
    }
    let mut cpus = Vec::new();
    for cpu in 0.. {
        let Ok(b) = std::fs::read(dir.join(format!("cpu{cpu}.raw"))) else {
            break;
        };
        cpus.push(b.repeat(REPEAT));
    }
    Kernel {
        layout,
        table,
        theirs,
        cpus,
    }
}

/// Walks every page's events, nothing more: the page and event headers.
fn walk(k: &Kernel) -> usize {
    let mut n = 0;
    for pages in &k.cpus {
        for page in pages.chunks_exact(k.layout.page_size()) {
            for e in Page::parse(&k.layout, page).unwrap().events() {
                n += black_box(e.unwrap().payload).len();
            }
        }
    }
    n
}

fn sum_value(v: &Value<'_>) -> u64 {
    match v {
        Value::U64(x) => *x,
        Value::I64(x) => *x as u64,
        Value::Str(b) | Value::Bytes(b) => b.len() as u64,
        Value::Ints(a) => a.iter().fold(0, u64::wrapping_add),
        Value::Absent => 0,
    }
}

/// Every event's every field, with this crate's decoder.
fn decode_ours(k: &Kernel) -> u64 {
    let mut acc = 0u64;
    for pages in &k.cpus {
        for page in pages.chunks_exact(k.layout.page_size()) {
            for e in Page::parse(&k.layout, page).unwrap().events() {
                let r = k.table.record(e.unwrap().payload).unwrap();
                for i in 0..r.event.fields.len() {
                    acc = acc.wrapping_add(sum_value(&r.field(i).unwrap()));
                }
            }
        }
    }
    acc
}

/// The same, each payload's fields decoded by tracepoint_decode (the page walk is ours: the
/// crate does not read ring-buffer pages).
fn decode_theirs(k: &Kernel) -> u64 {
    let reader = PerfByteReader::new(false);
    let mut acc = 0u64;
    for pages in &k.cpus {
        for page in pages.chunks_exact(k.layout.page_size()) {
            for e in Page::parse(&k.layout, page).unwrap().events() {
                let data = e.unwrap().payload;
                let id = u32::from(u16::from_ne_bytes([data[0], data[1]]));
                let Some((_, fmt)) = k.theirs.iter().find(|(i, _)| *i == id) else {
                    panic!("unknown id {id}");
                };
                for f in fmt.fields() {
                    let v = f.get_field_value_with_data_and_reader(data, reader);
                    let m = v.metadata();
                    let x = if m.is_scalar() {
                        match m.type_size() {
                            1 => u64::from(v.to_u8(0)),
                            2 => u64::from(v.to_u16(0)),
                            4 => u64::from(v.to_u32(0)),
                            8 => v.to_u64(0),
                            _ => v.bytes().len() as u64,
                        }
                    } else {
                        v.bytes().len() as u64
                    };
                    acc = acc.wrapping_add(x);
                }
            }
        }
    }
    acc
}

/// Every CPU merged in time order, then every field decoded.
fn merge_ours(k: &Kernel) -> u64 {
    let mut m = CpuMerge::new(
        k.layout.clone(),
        k.cpus
            .iter()
            .enumerate()
            .map(|(c, b)| (c as u32, SlicePages::new(b))),
        0,
    );
    let mut acc = 0u64;
    loop {
        match m.next_event().unwrap() {
            Next::Event { payload, .. } => {
                let r = k.table.record(payload).unwrap();
                for i in 0..r.event.fields.len() {
                    acc = acc.wrapping_add(sum_value(&r.field(i).unwrap()));
                }
            }
            Next::Lost { .. } => {}
            Next::Wait | Next::End => return acc,
        }
    }
}

fn bench(c: &mut Criterion) {
    let kernels: Vec<Kernel> = ["debian12", "debian13", "profiler"].map(load).into();
    let bytes: usize = kernels.iter().flat_map(|k| &k.cpus).map(Vec::len).sum();
    let events: usize = kernels
        .iter()
        .map(|k| {
            k.cpus
                .iter()
                .flat_map(|p| p.chunks_exact(k.layout.page_size()))
                .map(|p| Page::parse(&k.layout, p).unwrap().events().count())
                .sum::<usize>()
        })
        .sum();
    println!("raw bench: {events} events in {bytes} bytes of pages per pass");
    let mut g = c.benchmark_group("raw");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("walk_pages", |b| {
        b.iter(|| kernels.iter().map(walk).sum::<usize>())
    });
    g.bench_function("decode_fields", |b| {
        b.iter(|| kernels.iter().map(decode_ours).fold(0, u64::wrapping_add))
    });
    g.bench_function("decode_fields_tracepoint_decode", |b| {
        b.iter(|| kernels.iter().map(decode_theirs).fold(0, u64::wrapping_add))
    });
    g.bench_function("merge_and_decode", |b| {
        b.iter(|| kernels.iter().map(merge_ours).fold(0, u64::wrapping_add))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
