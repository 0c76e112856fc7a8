//! The trace line parser, the field iterator and the record builder on arbitrary UTF-8 lines:
//! nothing may panic, and every slice handed out must come from the line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lktrace::tools::engine::stream::TraceRecords;
use lktrace::tracefs::trace_line::{fields, parse_line, probe_payload, Body, Line};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut records = TraceRecords::new();
    let mut n = 0usize;
    for line in text.split('\n') {
        if let Line::Event {
            body: Body::Named { payload, .. },
            ..
        } = parse_line(line)
        {
            let p = probe_payload(payload);
            let mut it = fields(p.rest);
            for (name, _value) in it.by_ref() {
                assert!(!name.is_empty());
            }
            let _ = it.complete();
        }
        records.feed(line, &mut |_| n += 1);
    }
    records.finish(&mut |_| n += 1);
});
