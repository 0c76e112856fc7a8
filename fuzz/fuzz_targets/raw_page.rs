//! The raw ring-buffer decoder on arbitrary bytes: one page (cut or zero-padded to the page
//! size, so the header checks and the event walk both run) decoded with the real format files
//! of Debian 12's fixtures, and the same bytes as two CPUs' page streams through the merge.
//! Nothing may panic, and every payload handed out must lie inside its page.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lktrace::tracefs::raw::{CpuMerge, EventTable, Next, Page, PageLayout, SlicePages};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/raw/debian12/");

fn setup() -> &'static (PageLayout, EventTable) {
    static S: OnceLock<(PageLayout, EventTable)> = OnceLock::new();
    S.get_or_init(|| {
        let text = |f: &str| std::fs::read_to_string(format!("{DIR}{f}")).expect(f);
        let layout = PageLayout::parse(&text("header_page.txt"), &text("header_event.txt"))
            .expect("the fixture layout parses");
        let mut table = EventTable::new();
        for f in ["format_rd.txt", "format_sched_switch.txt", "format_sched_process_exec.txt"] {
            table.add_format(&text(f)).expect("the fixture format parses");
        }
        (layout, table)
    })
}

fuzz_target!(|data: &[u8]| {
    let (layout, table) = setup();
    let mut page = data.to_vec();
    page.resize(layout.page_size(), 0);
    if let Ok(p) = Page::parse(layout, &page) {
        let range = page.as_ptr_range();
        for e in p.events() {
            let Ok(e) = e else { break };
            let r = e.payload.as_ptr_range();
            assert!(range.start <= r.start && r.end <= range.end);
            if let Ok(rec) = table.record(e.payload) {
                for (_, v) in rec.fields() {
                    let _ = v;
                }
            }
        }
    }
    let (a, b) = data.split_at(data.len() / 2);
    let mut m = CpuMerge::new(
        layout.clone(),
        [(0u32, SlicePages::new(a)), (1, SlicePages::new(b))],
        1000,
    );
    for _ in 0..10_000 {
        match m.next_event() {
            Ok(Next::End | Next::Wait) => break,
            Ok(Next::Event { payload, .. }) => {
                let _ = table.record(payload);
            }
            _ => {}
        }
    }
});
