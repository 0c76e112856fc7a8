//! Synthetic pages for every event kind, the merge, and hostile input (truncated, bit-flipped
//! and random pages, from the real fixtures too). The fixtures' events against the kernel's
//! text are checked in `tests/raw_fixtures.rs`.

use std::cell::Cell;
use std::rc::Rc;

use super::*;

mod hostile;

/// Debian 12's 6.1 x86-64 files (the same text as `tests/fixtures/raw/debian12/`).
pub(crate) const HEADER_PAGE: &str = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\
\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\
\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\
\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";
pub(crate) const HEADER_EVENT: &str = "# compressed entry header\n\
\ttype_len    :    5 bits\n\ttime_delta  :   27 bits\n\tarray       :   32 bits\n\n\
\tpadding     : type == 29\n\ttime_extend : type == 30\n\ttime_stamp : type == 31\n\
\tdata max type_len  == 28\n";

pub(crate) fn layout() -> PageLayout {
    PageLayout::parse(HEADER_PAGE, HEADER_EVENT).unwrap()
}

/// Builds a page the way the kernel lays one out (little-endian x86-64).
pub(crate) struct PageBuilder {
    data: Vec<u8>,
    ts: u64,
}

impl PageBuilder {
    pub(crate) fn new(ts: u64) -> Self {
        PageBuilder {
            data: Vec::new(),
            ts,
        }
    }

    fn word(&mut self, type_len: u32, delta: u32) {
        self.data
            .extend_from_slice(&(type_len | (delta << 5)).to_le_bytes());
    }

    /// A data event; payloads over 112 bytes, or not a multiple of 4, take the long form.
    pub(crate) fn event(&mut self, delta: u32, payload: &[u8]) -> &mut Self {
        if payload.len() <= 112 && payload.len().is_multiple_of(4) && !payload.is_empty() {
            self.word(payload.len() as u32 / 4, delta);
        } else {
            self.word(0, delta);
            let len = payload.len() as u32 + 4;
            self.data.extend_from_slice(&len.to_le_bytes());
        }
        self.data.extend_from_slice(payload);
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
        self
    }

    pub(crate) fn extend(&mut self, t: u64) -> &mut Self {
        self.word(30, (t & ((1 << 27) - 1)) as u32);
        self.data
            .extend_from_slice(&((t >> 27) as u32).to_le_bytes());
        self
    }

    pub(crate) fn absolute(&mut self, t: u64) -> &mut Self {
        self.word(31, (t & ((1 << 27) - 1)) as u32);
        self.data
            .extend_from_slice(&((t >> 27) as u32).to_le_bytes());
        self
    }

    /// A discarded event of `len` bytes after its header word.
    pub(crate) fn discarded(&mut self, len: u32) -> &mut Self {
        self.word(29, 1);
        self.data.extend_from_slice(&len.to_le_bytes());
        self.data.resize(self.data.len() + len as usize - 4, 0xee);
        self
    }

    /// The whole page: header, data, the missed count after it when given, zeros to the end.
    pub(crate) fn page(&self, missed: Option<Option<u64>>) -> Vec<u8> {
        let mut commit = self.data.len() as u64;
        let mut p = Vec::with_capacity(4096);
        p.extend_from_slice(&self.ts.to_le_bytes());
        match missed {
            Some(Some(_)) => commit |= 3 << 30,
            Some(None) => commit |= 1 << 31,
            None => {}
        }
        p.extend_from_slice(&commit.to_le_bytes());
        p.extend_from_slice(&self.data);
        if let Some(Some(n)) = missed {
            p.extend_from_slice(&n.to_le_bytes());
        }
        p.resize(4096, 0);
        p
    }
}

fn payloads(page: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let l = layout();
    Page::parse(&l, page)
        .unwrap()
        .events()
        .map(|e| e.map(|e| (e.ts, e.payload.to_vec())))
        .collect::<Result<_>>()
        .unwrap()
}

#[test]
fn layout_of_6_1() {
    let l = layout();
    assert_eq!(
        (l.page_size, l.commit_size, l.data_offset, l.data_size()),
        (4096, 8, 16, 4080)
    );
    assert_eq!(
        l.header,
        EventHeaderLayout {
            type_len_bits: 5,
            delta_bits: 27,
            padding: 29,
            time_extend: 30,
            time_stamp: 31,
            data_max: 28
        }
    );
    // A larger sub-buffer (6.8's buffer_subbuf_size_kb) is read from the file, not assumed.
    let big = HEADER_PAGE.replace("size:4080", "size:16368");
    assert_eq!(
        PageLayout::parse(&big, HEADER_EVENT).unwrap().page_size,
        16384
    );
}

#[test]
fn bad_layouts_are_errors() {
    assert!(matches!(
        PageLayout::parse("", HEADER_EVENT),
        Err(RawError::HeaderPage(_))
    ));
    let no_commit = HEADER_PAGE.replace("commit", "kommit");
    assert!(PageLayout::parse(&no_commit, HEADER_EVENT).is_err());
    let huge = HEADER_PAGE.replace("size:4080", "size:4000000000");
    assert!(PageLayout::parse(&huge, HEADER_EVENT).is_err());
    let odd_bits = HEADER_EVENT.replace("27 bits", "26 bits");
    assert!(matches!(
        PageLayout::parse(HEADER_PAGE, &odd_bits),
        Err(RawError::HeaderEvent(_))
    ));
    let no_pad = HEADER_EVENT.replace("padding", "padd");
    assert!(PageLayout::parse(HEADER_PAGE, &no_pad).is_err());
}

#[test]
fn every_event_kind_and_its_time() {
    let long = vec![7u8; 200];
    let odd = [1u8, 2, 3, 4, 5];
    let mut b = PageBuilder::new(1_000_000);
    b.event(5, &[1, 0, 0, 0])
        .extend(3 << 27 | 9) // adds 3<<27 + 9
        .event(1, &long)
        .discarded(24) // adds nothing
        .event(2, &odd)
        .absolute(5_000_000_000)
        .event(0, &[2, 0, 0, 0, 0, 0, 0, 0]);
    let got = payloads(&b.page(None));
    let t1 = 1_000_005;
    let t2 = t1 + (3 << 27) + 9 + 1;
    let t3 = t2 + 2;
    assert_eq!(
        got,
        vec![
            (t1, vec![1, 0, 0, 0]),
            (t2, long),
            // The long form gives the exact length, without the alignment bytes.
            (t3, odd.to_vec()),
            (5_000_000_000, vec![2, 0, 0, 0, 0, 0, 0, 0]),
        ]
    );
}

#[test]
fn null_padding_ends_the_page() {
    let mut b = PageBuilder::new(10);
    b.event(1, &[1, 0, 0, 0]);
    b.word(29, 0);
    b.event(1, &[9, 9, 9, 9]);
    assert_eq!(payloads(&b.page(None)), vec![(11, vec![1, 0, 0, 0])]);
}

#[test]
fn absolute_time_keeps_the_top_bits_of_the_running_time() {
    // 59 bits are stored; the top five come from the running time, one wrap on when the
    // stored value would make time go back.
    let top = 1u64 << 60;
    let mut b = PageBuilder::new(top + 100);
    b.absolute(200).event(0, &[0; 4]);
    assert_eq!(payloads(&b.page(None))[0].0, top + 200);
    let mut b = PageBuilder::new(top + 500);
    b.absolute(200).event(0, &[0; 4]);
    assert_eq!(payloads(&b.page(None))[0].0, top + (1 << 59) + 200);
}

#[test]
fn missed_events_in_the_header() {
    let l = layout();
    let mut b = PageBuilder::new(1);
    b.event(1, &[0; 8]);
    let none = b.page(None);
    let counted = b.page(Some(Some(1234)));
    let unknown = b.page(Some(None));
    assert_eq!(Page::parse(&l, &none).unwrap().missed, Missed::None);
    let p = Page::parse(&l, &counted).unwrap();
    assert_eq!(p.missed, Missed::Count(1234));
    // The count lies after the data, not in it.
    assert_eq!(p.events().count(), 1);
    assert_eq!(Page::parse(&l, &unknown).unwrap().missed, Missed::Unknown);
}

#[test]
fn bad_pages_are_errors() {
    let l = layout();
    let mut b = PageBuilder::new(1);
    b.event(1, &[0; 8]);
    let page = b.page(None);
    assert!(matches!(
        Page::parse(&l, &page[..100]),
        Err(RawError::ShortPage {
            len: 100,
            need: 4096
        })
    ));
    let mut big = page.clone();
    big[8..16].copy_from_slice(&5000u64.to_le_bytes());
    assert!(matches!(
        Page::parse(&l, &big),
        Err(RawError::CommitTooLarge { len: 5000, .. })
    ));
    // The stored count must fit in the page: data filling the page leaves it no room.
    let mut full = page.clone();
    full[8..16].copy_from_slice(&(4080u64 | 3 << 30).to_le_bytes());
    assert!(matches!(
        Page::parse(&l, &full),
        Err(RawError::MissedOutOfPage { len: 4080 })
    ));
    // An event whose length runs past the commit.
    let mut cut = page.clone();
    cut[16..20].copy_from_slice(&(20u32 | 1 << 5).to_le_bytes());
    let r: Vec<_> = Page::parse(&l, &cut).unwrap().events().collect();
    assert!(matches!(r[..], [Err(RawError::BadEvent { offset: 0, .. })]));
}

/// A format with a field of every kind the decoder knows.
pub(crate) const ALL_KINDS: &str = "name: all\nID: 77\nformat:\n\
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n\
\tfield:u8 a;\toffset:16;\tsize:1;\tsigned:0;\n\
\tfield:s8 b;\toffset:17;\tsize:1;\tsigned:1;\n\
\tfield:s16 c;\toffset:18;\tsize:2;\tsigned:1;\n\
\tfield:u32 d;\toffset:20;\tsize:4;\tsigned:0;\n\
\tfield:s32 e;\toffset:24;\tsize:4;\tsigned:1;\n\
\tfield:s64 f;\toffset:28;\tsize:8;\tsigned:1;\n\
\tfield:char comm[8];\toffset:36;\tsize:8;\tsigned:0;\n\
\tfield:__data_loc char[] name;\toffset:44;\tsize:4;\tsigned:1;\n\
\tfield:__rel_loc char[] rel;\toffset:48;\tsize:4;\tsigned:1;\n\
\tfield:__data_loc u32[] nums;\toffset:52;\tsize:4;\tsigned:0;\n\
\tfield:u16 arr[3];\toffset:56;\tsize:6;\tsigned:0;\n\
\tfield:__data_loc char[] faulted;\toffset:62;\tsize:4;\tsigned:1;\n\n\
print fmt: \"whatever\"\n";

pub(crate) fn all_kinds_record() -> Vec<u8> {
    let mut r = vec![0u8; 66];
    r[0..2].copy_from_slice(&77u16.to_le_bytes());
    r[2] = 0x81;
    r[3] = 2;
    r[4..8].copy_from_slice(&(-5i32).to_le_bytes());
    r[8..16].copy_from_slice(&0xffff_ffff_8123_4560u64.to_le_bytes());
    r[16] = 200;
    r[17] = 0xfe; // -2
    r[18..20].copy_from_slice(&(-300i16).to_le_bytes());
    r[20..24].copy_from_slice(&4_000_000_000u32.to_le_bytes());
    r[24..28].copy_from_slice(&(-70000i32).to_le_bytes());
    r[28..36].copy_from_slice(&i64::MIN.to_le_bytes());
    r[36..40].copy_from_slice(b"dd\0\0");
    r[56..62].copy_from_slice(&[1, 0, 2, 0, 0xff, 0xff]);
    let mut tail = Vec::new();
    let name_at = 66;
    tail.extend_from_slice(b"payload\0");
    let rel_at = 66 + tail.len();
    tail.extend_from_slice(b"rel\0");
    let nums_at = 66 + tail.len();
    tail.extend_from_slice(&[7, 0, 0, 0, 8, 0, 0, 0]);
    let loc = |len: usize, off: usize| ((len << 16) | off) as u32;
    r[44..48].copy_from_slice(&loc(8, name_at).to_le_bytes());
    // __rel_loc counts from the end of its own field (offset 48 + 4).
    r[48..52].copy_from_slice(&loc(4, rel_at - 52).to_le_bytes());
    r[52..56].copy_from_slice(&loc(8, nums_at).to_le_bytes());
    r[62..66].copy_from_slice(&loc(0, 66).to_le_bytes());
    r.extend_from_slice(&tail);
    r
}

#[test]
fn fields_of_every_kind() {
    let mut t = EventTable::new();
    t.add_format(ALL_KINDS).unwrap();
    let data = all_kinds_record();
    let r = t.record(&data).unwrap();
    assert_eq!(r.event.name, "all");
    assert_eq!(
        (r.pid(), r.common_flags(), r.preempt_count()),
        (Some(-5), Some(0x81), Some(2))
    );
    assert_eq!(r.probe_ip(), Some(0xffff_ffff_8123_4560));
    let v = |n: &str| r.get(n).unwrap();
    assert_eq!(v("a"), Value::U64(200));
    assert_eq!(v("b"), Value::I64(-2));
    assert_eq!(v("c"), Value::I64(-300));
    assert_eq!(v("d"), Value::U64(4_000_000_000));
    assert_eq!(v("e"), Value::I64(-70000));
    assert_eq!(v("f"), Value::I64(i64::MIN));
    assert_eq!(v("comm"), Value::Str(b"dd"));
    assert_eq!(v("name"), Value::Str(b"payload"));
    assert_eq!(v("rel"), Value::Str(b"rel"));
    assert_eq!(v("faulted"), Value::Absent);
    let Value::Ints(nums) = v("nums") else {
        panic!("nums: {:?}", v("nums"))
    };
    assert_eq!(nums.iter().collect::<Vec<_>>(), [7, 8]);
    let Value::Ints(arr) = v("arr") else {
        panic!("arr: {:?}", v("arr"))
    };
    assert_eq!(arr.iter().collect::<Vec<_>>(), [1, 2, 0xffff]);
    assert_eq!(r.fields().count(), 17);

    // A record cut short: the fields past its end are errors, the ones before still decode.
    let short = t.record(&data[..40]).unwrap();
    assert_eq!(short.get("e").unwrap(), Value::I64(-70000));
    assert!(matches!(
        short.get("name"),
        Err(RawError::FieldOutOfBounds { .. })
    ));
    // A data_loc pointing past the record.
    let mut bad = data.clone();
    bad[44..48].copy_from_slice(&((8u32 << 16) | 0xfff0).to_le_bytes());
    assert!(t.record(&bad).unwrap().get("name").is_err());
    // An id nobody added.
    let mut other = data;
    other[0] = 78;
    assert!(matches!(t.record(&other), Err(RawError::UnknownEvent(78))));
}

fn one_cpu(events: &[(u32, u8)], missed: Option<Option<u64>>, start: u64) -> Vec<u8> {
    let mut b = PageBuilder::new(start);
    for &(delta, tag) in events {
        b.event(delta, &[tag, 0, 0, 0]);
    }
    b.page(missed)
}

/// A source that is empty until `ready` pages are released.
struct Trickle {
    pages: Vec<Vec<u8>>,
    ready: Rc<Cell<usize>>,
    next: usize,
}

impl PageSource for Trickle {
    fn read_page(&mut self, buf: &mut [u8]) -> std::io::Result<PageRead> {
        if self.next >= self.pages.len() {
            return Ok(PageRead::End);
        }
        if self.next >= self.ready.get() {
            return Ok(PageRead::Empty);
        }
        buf.copy_from_slice(&self.pages[self.next]);
        self.next += 1;
        Ok(PageRead::Page)
    }
}

/// (cpu, ts, first payload byte) of each event, and (cpu, count) of each lost notice.
type Drained = (Vec<(u32, u64, u8)>, Vec<(u32, Option<u64>)>);

fn drain<S: PageSource>(m: &mut CpuMerge<S>) -> Drained {
    let (mut ev, mut lost) = (Vec::new(), Vec::new());
    loop {
        match m.next_event().unwrap() {
            Next::Event { cpu, ts, payload } => ev.push((cpu, ts, payload[0])),
            Next::Lost { cpu, count } => lost.push((cpu, count)),
            Next::Wait | Next::End => return (ev, lost),
        }
    }
}

#[test]
fn merge_orders_cpus_by_time_and_reports_losses() {
    let mut cpu0 = one_cpu(&[(10, 1), (20, 3)], None, 0);
    cpu0.extend(one_cpu(&[(5, 5)], Some(Some(17)), 100));
    let cpu1 = one_cpu(&[(15, 2), (20, 4), (100, 6)], Some(None), 0);
    let mut m = CpuMerge::new(
        layout(),
        [(0, SlicePages::new(&cpu0)), (1, SlicePages::new(&cpu1))],
        0,
    );
    let (ev, lost) = drain(&mut m);
    let order: Vec<u8> = ev.iter().map(|e| e.2).collect();
    assert_eq!(order, [1, 2, 3, 4, 5, 6]);
    assert_eq!(ev[4], (0, 105, 5));
    assert_eq!(lost, [(1, None), (0, Some(17))]);
    assert_eq!(
        m.lost(0),
        Lost {
            events: 17,
            uncounted_pages: 0
        }
    );
    assert_eq!(
        m.lost(1),
        Lost {
            events: 0,
            uncounted_pages: 1
        }
    );
    assert_eq!(m.next_event().unwrap(), Next::End);
}

#[test]
fn an_empty_cpu_holds_the_others_back_only_for_the_window() {
    // cpu1 has an event at 50 that is not readable yet; cpu0 has events at 10, 100 and 300.
    let late = Rc::new(Cell::new(0));
    let cpu0 = Trickle {
        pages: vec![
            one_cpu(&[(10, 1), (90, 2)], None, 0),
            one_cpu(&[(0, 3)], None, 300),
        ],
        ready: Rc::new(Cell::new(2)),
        next: 0,
    };
    let cpu1 = Trickle {
        pages: vec![one_cpu(&[(50, 9)], None, 0)],
        ready: Rc::clone(&late),
        next: 0,
    };
    let mut m = CpuMerge::new(layout(), [(0u32, cpu0), (1, cpu1)], 250);
    // cpu0's event at 10 may go once cpu0 is known to have reached 10 + 250: it reads ahead
    // to its page at 300 to find out. The one at 100 may not (100 + 250 > 300).
    let (ev, _) = drain(&mut m);
    assert_eq!(ev, [(0, 10, 1)]);
    assert_eq!(m.next_event().unwrap(), Next::Wait);
    // Within the window, cpu1's late event still comes out in order.
    late.set(1);
    let (ev, _) = drain(&mut m);
    assert_eq!(ev, [(1, 50, 9), (0, 100, 2), (0, 300, 3)]);
    assert_eq!(m.next_event().unwrap(), Next::End);
}

#[test]
fn draining_and_the_page_bound_release_held_events() {
    let cpu0 = Trickle {
        pages: vec![one_cpu(&[(10, 1)], None, 0), one_cpu(&[(0, 2)], None, 20)],
        ready: Rc::new(Cell::new(2)),
        next: 0,
    };
    let idle = Trickle {
        pages: vec![one_cpu(&[(1, 9)], None, 1_000_000)],
        ready: Rc::new(Cell::new(0)),
        next: 0,
    };
    let mut m = CpuMerge::new(layout(), [(0u32, cpu0), (1, idle)], 1_000_000).max_pages(2);
    // Two pages read ahead and the window still not passed: the bound lets the first out.
    let (ev, _) = drain(&mut m);
    assert_eq!(ev, [(0, 10, 1)]);
    m.set_draining(true);
    let (ev, _) = drain(&mut m);
    assert_eq!(ev, [(0, 20, 2)]);
}

/// Pages, then an I/O error.
struct Failing(Vec<Vec<u8>>);

impl PageSource for Failing {
    fn read_page(&mut self, buf: &mut [u8]) -> std::io::Result<PageRead> {
        if self.0.is_empty() {
            return Err(std::io::Error::other("EIO"));
        }
        buf.copy_from_slice(&self.0.remove(0));
        Ok(PageRead::Page)
    }
}

#[test]
fn a_read_error_met_reading_ahead_comes_after_the_pages_before_it() {
    let pages = vec![one_cpu(&[(10, 1)], None, 0), one_cpu(&[(0, 2)], None, 20)];
    let idle = Trickle {
        pages: vec![one_cpu(&[(1, 9)], None, 1000)],
        ready: Rc::new(Cell::new(0)),
        next: 0,
    };
    let sources: Vec<(u32, Box<dyn PageSource>)> =
        vec![(0, Box::new(Failing(pages))), (1, Box::new(idle))];
    let mut m = CpuMerge::new(layout(), sources, 1_000_000);
    let mut seen = Vec::new();
    let err = loop {
        match m.next_event() {
            Ok(Next::Event { payload, .. }) => seen.push(payload[0]),
            Ok(other) => panic!("{other:?} before the error"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, [1, 2]);
    assert!(matches!(err, RawError::Io { cpu: 0, .. }), "{err}");
}

#[test]
fn reader_source_reads_whole_pages() {
    let mut two = one_cpu(&[(1, 1)], None, 0);
    two.extend(one_cpu(&[(1, 2)], None, 10));
    let mut s = ReaderSource::new(std::io::Cursor::new(two.clone()));
    let mut buf = vec![0; 4096];
    assert_eq!(s.read_page(&mut buf).unwrap(), PageRead::Page);
    assert_eq!(buf[..], two[..4096]);
    assert_eq!(s.read_page(&mut buf).unwrap(), PageRead::Page);
    assert_eq!(s.read_page(&mut buf).unwrap(), PageRead::End);
    let mut cut = ReaderSource::new(std::io::Cursor::new(two[..5000].to_vec()));
    assert_eq!(cut.read_page(&mut buf).unwrap(), PageRead::Page);
    assert!(cut.read_page(&mut buf).is_err());
}

#[test]
fn stats_file() {
    let s = CpuStats::parse(include_str!(
        "../../../tests/fixtures/debian/per_cpu_stats.txt"
    ));
    assert_eq!((s.overrun, s.read_events, s.entries), (2760, 44425, 0));
}
