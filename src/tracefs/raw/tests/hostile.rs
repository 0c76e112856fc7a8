//! Hostile input: real fixture pages and synthetic ones cut short and bit-flipped, random
//! pages, mangled layout files. Nothing may panic or read outside its page; the decoder may
//! only return errors. (The fuzz target `raw_page` does the same without end.)

use super::*;

/// The three kernels' pages and format files, as captured (tests/fixtures/raw/).
macro_rules! fixture {
    ($k:literal) => {
        (
            [
                &include_bytes!(concat!("../../../../tests/fixtures/raw/", $k, "/cpu0.raw"))[..],
                &include_bytes!(concat!("../../../../tests/fixtures/raw/", $k, "/cpu1.raw"))[..],
                &include_bytes!(concat!(
                    "../../../../tests/fixtures/raw/",
                    $k,
                    "/lost/cpu0.raw"
                ))[..],
                &include_bytes!(concat!(
                    "../../../../tests/fixtures/raw/",
                    $k,
                    "/lost/cpu1.raw"
                ))[..],
            ],
            [
                include_str!(concat!(
                    "../../../../tests/fixtures/raw/",
                    $k,
                    "/format_rd.txt"
                )),
                include_str!(concat!(
                    "../../../../tests/fixtures/raw/",
                    $k,
                    "/format_sched_switch.txt"
                )),
                include_str!(concat!(
                    "../../../../tests/fixtures/raw/",
                    $k,
                    "/format_sched_process_exec.txt"
                )),
            ],
        )
    };
}

#[test]
fn cut_and_flipped_fixture_pages_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut checked = 0;
    for (files, formats) in [
        fixture!("debian12"),
        fixture!("debian13"),
        fixture!("profiler"),
    ] {
        let mut table = EventTable::new();
        for f in formats {
            table.add_format(f).unwrap();
        }
        let pages: Vec<Vec<u8>> = files
            .iter()
            .flat_map(|f| f.chunks_exact(4096))
            .map(<[u8]>::to_vec)
            .collect();
        // Intact, they decode in full: the mutations below start from real, valid pages.
        for p in &pages {
            assert!(decode_all(&layout(), &table, p) > 0);
        }
        checked += pages.len();
        hostile_inputs(&pages, &table, &mut rng);
    }
    assert!(checked >= 20, "{checked} fixture pages");
}

/// xorshift: the same "random" input every run.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Decodes everything in `page` every way a reader would; must never panic.
pub(crate) fn decode_all(l: &PageLayout, table: &EventTable, page: &[u8]) -> usize {
    let mut n = 0;
    let Ok(p) = Page::parse(l, page) else {
        return 0;
    };
    for e in p.events() {
        let Ok(e) = e else { break };
        if let Ok(r) = table.record(e.payload) {
            for (_, v) in r.fields() {
                if let Ok(Value::Ints(a)) = v {
                    n += a.iter().count();
                }
                n += 1;
            }
            let _ = (r.pid(), r.probe_ip());
        }
    }
    n
}

fn hostile_inputs(pages: &[Vec<u8>], table: &EventTable, rng: &mut Rng) {
    let l = layout();
    for page in pages {
        for cut in [0, 1, 8, 15, 16, 17, 100, 2048, 4095] {
            decode_all(&l, table, &page[..cut.min(page.len())]);
        }
        for _ in 0..300 {
            let mut p = page.clone();
            for _ in 0..1 + rng.next() % 4 {
                // Mostly the header and the first events, where lengths live.
                let at = (rng.next()
                    % if rng.next().is_multiple_of(2) {
                        256
                    } else {
                        4096
                    }) as usize;
                let n = p.len();
                p[at % n] ^= 1 << (rng.next() % 8);
            }
            decode_all(&l, table, &p);
            let mut m = CpuMerge::new(l.clone(), [(0u32, SlicePages::new(&p))], 0);
            for _ in 0..1000 {
                if let Ok(Next::End | Next::Wait) = m.next_event() {
                    break;
                }
            }
        }
    }
    for _ in 0..200 {
        let mut p = vec![0u8; 4096];
        for b in p.iter_mut().take(16 + (rng.next() % 4080) as usize) {
            *b = rng.next() as u8;
        }
        // A plausible commit, so the event walk runs on the random data.
        p[8..16].copy_from_slice(&(rng.next() % 4081).to_le_bytes());
        decode_all(&l, table, &p);
    }
}

#[test]
fn hostile_synthetic_pages_never_panic() {
    let mut t = EventTable::new();
    t.add_format(ALL_KINDS).unwrap();
    let rec = all_kinds_record();
    let mut b = PageBuilder::new(1);
    for i in 0..30 {
        b.event(i, &rec).extend(1 << 30).event(1, &rec[..64]);
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    hostile_inputs(&[b.page(Some(Some(3)))], &t, &mut rng);
}

#[test]
fn hostile_layout_files_never_panic() {
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let mut page = HEADER_PAGE.as_bytes().to_vec();
        let mut ev = HEADER_EVENT.as_bytes().to_vec();
        for _ in 0..3 {
            let i = (rng.next() as usize) % page.len();
            page[i] = b"0123456789:; \tx"[(rng.next() % 15) as usize];
            let j = (rng.next() as usize) % ev.len();
            ev[j] = b"0123456789:= \tx"[(rng.next() % 15) as usize];
        }
        let (p, e) = (String::from_utf8_lossy(&page), String::from_utf8_lossy(&ev));
        if let Ok(l) = PageLayout::parse(&p, &e) {
            assert!(l.page_size <= 1 << 24 && l.data_offset < l.page_size);
        }
    }
}
