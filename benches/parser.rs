//! Throughput of the trace line parser on real kernel output.
//!
//! The corpus repeats the event lines captured from Debian's 6.1 kernel
//! (tests/fixtures/debian/trace_kprobes.txt and trace_kprobe_stack.txt) plus function-tracer
//! lines in the kernel's layout, to about 8 MB. Results go to docs/performance.md.
//!
//! `cargo bench --bench parser -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lktrace::tools::engine::stream::TraceRecords;
use lktrace::tracefs::trace_line::{fields, parse_line, probe_payload, Body, Line};

const TARGET_BYTES: usize = 8 * 1024 * 1024;

/// Function tracer lines as `trace_print_context` + `func <-parent` print them.
const FUNCTION_LINES: &str = "\
            bash-1234    [001] d..1.  1234.567890: vfs_read <-ksys_read
            bash-1234    [001] d..1.  1234.567895: rw_verify_area <-vfs_read
             cat-4321    [000] .....  1234.567901: __x64_sys_openat <-do_syscall_64
   kworker/u4:2-77      [001] d.h1.  1234.567950: ext4_file_read_iter <-vfs_read
";

fn corpus() -> String {
    let kprobes = include_str!("../tests/fixtures/debian/trace_kprobes.txt");
    let stack = include_str!("../tests/fixtures/debian/trace_kprobe_stack.txt");
    let mut unit = String::new();
    for text in [kprobes, stack, FUNCTION_LINES] {
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            unit.push_str(line);
            unit.push('\n');
        }
    }
    let mut out = String::with_capacity(TARGET_BYTES + unit.len());
    while out.len() < TARGET_BYTES {
        out.push_str(&unit);
    }
    out
}

/// parse_line plus, for events, the probe site and every field: what a consumer of the
/// values pays. Returns a checksum so nothing is optimised away.
fn parse_all(text: &str) -> usize {
    let mut sum = 0usize;
    for line in text.lines() {
        match parse_line(line) {
            Line::Event { ctx, body } => {
                sum += ctx.pid as usize;
                match body {
                    Body::Named { event, payload } => {
                        sum += event.len();
                        let p = probe_payload(payload);
                        sum += p.site.map_or(0, str::len);
                        for (name, _value) in fields(p.rest) {
                            sum += name.len();
                        }
                    }
                    Body::Function { func, .. } => sum += func.len(),
                    _ => sum += 1,
                }
            }
            Line::StackFrame(f) => sum += f.len(),
            _ => sum += 1,
        }
    }
    sum
}

fn bench(c: &mut Criterion) {
    let text = corpus();
    let lines = text.lines().count() as u64;
    let bytes = text.len() as u64;

    let mut g = c.benchmark_group("parse_line+fields");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("bytes", |b| b.iter(|| parse_all(black_box(&text))));
    g.throughput(Throughput::Elements(lines));
    g.bench_function("lines", |b| b.iter(|| parse_all(black_box(&text))));
    g.finish();

    let mut g = c.benchmark_group("TraceRecords");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("bytes", |b| {
        b.iter(|| {
            let mut t = TraceRecords::new();
            let mut n = 0usize;
            for line in black_box(&text).lines() {
                t.feed(line, &mut |r| {
                    n += 1;
                    black_box(r);
                });
            }
            t.finish(&mut |_| n += 1);
            n
        })
    });
    g.throughput(Throughput::Elements(lines));
    g.bench_function("lines", |b| {
        b.iter(|| {
            let mut t = TraceRecords::new();
            let mut n = 0usize;
            for line in black_box(&text).lines() {
                t.feed(line, &mut |r| {
                    n += 1;
                    black_box(r);
                });
            }
            t.finish(&mut |_| n += 1);
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
