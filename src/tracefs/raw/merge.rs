//! Several CPUs' pages merged into one stream in timestamp order.
//!
//! Each CPU's buffer is in time order by itself, so a merge that holds one page per CPU and
//! always hands out the earliest head event is exact, as long as every CPU has a head. A CPU
//! whose buffer is empty right now may still produce an earlier event later (its writer was
//! preempted before committing); waiting for it forever would stall the others, so an event is
//! also handed out once it is more than the reorder `window` older than the newest event seen
//! on any CPU. Memory is one page per CPU, whatever the window.
//!
//! Lost events come from the page headers: each page that says events were lost before it
//! yields [`Next::Lost`] before its own events, and [`CpuMerge::lost`] keeps the totals.

use std::collections::VecDeque;
use std::io::Read;
use std::ops::Range;

use super::layout::PageLayout;
use super::page::{Cursor, Missed, Page};
use super::{RawError, Result};

/// What one read of a page source gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRead {
    /// A whole page is in the buffer.
    Page,
    /// Nothing now (a non-blocking `trace_pipe_raw` with an empty buffer).
    Empty,
    /// Nothing ever again.
    End,
}

/// One CPU's pages, one at a time.
pub trait PageSource {
    /// Fills `buf` (exactly one page long) with the next page.
    fn read_page(&mut self, buf: &mut [u8]) -> std::io::Result<PageRead>;
}

/// A boxed source, so one merge can take sources of different kinds.
impl<S: PageSource + ?Sized> PageSource for Box<S> {
    fn read_page(&mut self, buf: &mut [u8]) -> std::io::Result<PageRead> {
        (**self).read_page(buf)
    }
}

/// Pages from memory, back to back (a saved `trace_pipe_raw`, the fixtures, benchmarks).
#[derive(Debug, Clone)]
pub struct SlicePages<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SlicePages<'a> {
    pub fn new(data: &'a [u8]) -> SlicePages<'a> {
        SlicePages { data, pos: 0 }
    }
}

impl PageSource for SlicePages<'_> {
    fn read_page(&mut self, buf: &mut [u8]) -> std::io::Result<PageRead> {
        let end = self.pos.saturating_add(buf.len());
        match self.data.get(self.pos..end) {
            Some(page) => {
                buf.copy_from_slice(page);
                self.pos = end;
                Ok(PageRead::Page)
            }
            // A cut-off last page is the end of a saved capture, not a page.
            None => Ok(PageRead::End),
        }
    }
}

/// Pages from a reader: `trace_pipe_raw` opened with `O_NONBLOCK` (`WouldBlock` is
/// [`PageRead::Empty`]), or a file of saved pages. A page cut off by `WouldBlock` is finished
/// by the next reads; one cut off by the end of the input is an error.
#[derive(Debug)]
pub struct ReaderSource<R> {
    reader: R,
    filled: usize,
}

impl<R: Read> ReaderSource<R> {
    pub fn new(reader: R) -> ReaderSource<R> {
        ReaderSource { reader, filled: 0 }
    }
}

impl<R: Read> PageSource for ReaderSource<R> {
    fn read_page(&mut self, buf: &mut [u8]) -> std::io::Result<PageRead> {
        while self.filled < buf.len() {
            match self.reader.read(&mut buf[self.filled..]) {
                Ok(0) if self.filled == 0 => return Ok(PageRead::End),
                Ok(0) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("a page cut off after {} bytes", self.filled),
                    ))
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(PageRead::Empty),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.filled = 0;
        Ok(PageRead::Page)
    }
}

/// What the merge has next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'m> {
    Event {
        cpu: u32,
        ts: u64,
        /// The record, borrowed from the merge's page buffer until the next call.
        payload: &'m [u8],
    },
    /// Events lost on `cpu` before what follows from it; `None` when the kernel had no room
    /// to store the number.
    Lost { cpu: u32, count: Option<u64> },
    /// Nothing can be handed out until a waiting CPU's source has more (or the window passes).
    Wait,
    /// Every source has ended.
    End,
}

/// Events one CPU lost, from its page headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lost {
    /// The sum of the counts the kernel stored.
    pub events: u64,
    /// Pages whose header says events were lost without room for the number
    /// ([`CpuStats::overrun`] has the kernel's total).
    pub uncounted_pages: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Waiting,
    Ended,
}

struct Cpu<S> {
    cpu: u32,
    source: S,
    /// The page being decoded (front) and the pages read ahead behind it.
    pages: VecDeque<Vec<u8>>,
    /// Emptied page buffers, for the next reads.
    spare: Vec<Vec<u8>>,
    /// Whether the front page is being decoded (its header read), not only read ahead.
    current: bool,
    /// The front page's event data, within it.
    data: Range<usize>,
    cursor: Cursor,
    head: Option<(u64, Range<usize>)>,
    state: State,
    lost: Lost,
    /// A read error met while reading ahead, for `fill` to report in its turn.
    read_error: Option<std::io::Error>,
}

/// Per-CPU page sources merged in timestamp order (see the module docs).
pub struct CpuMerge<S> {
    layout: PageLayout,
    cpus: Vec<Cpu<S>>,
    window: u64,
    /// Pages a CPU may hold (its current one and those read ahead): the memory bound.
    max_pages: usize,
    newest: u64,
    draining: bool,
}

impl<S: PageSource> CpuMerge<S> {
    /// `sources` are (cpu number, its pages); `window` is in the trace clock's units (ns).
    /// Each CPU may read up to 16 pages ahead to see past the window ([`Self::max_pages`]).
    pub fn new(
        layout: PageLayout,
        sources: impl IntoIterator<Item = (u32, S)>,
        window: u64,
    ) -> Self {
        let cpus = sources
            .into_iter()
            .map(|(cpu, source)| Cpu {
                cpu,
                source,
                pages: VecDeque::new(),
                spare: Vec::new(),
                current: false,
                data: 0..0,
                cursor: Cursor::finished(),
                head: None,
                state: State::Active,
                lost: Lost::default(),
                read_error: None,
            })
            .collect();
        CpuMerge {
            layout,
            cpus,
            window,
            max_pages: 16,
            newest: 0,
            draining: false,
        }
    }

    /// How many pages (at least 1) one CPU may hold while another is empty. When a CPU has
    /// that many and the window has not passed, its earliest event goes out anyway: the order
    /// is then only as good as the window this many pages covered.
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Draining: an empty source no longer holds the others back (tracing has stopped, or
    /// `-d`'s buffered read after its window): what every CPU has is merged and handed out.
    pub fn set_draining(&mut self, draining: bool) {
        self.draining = draining;
    }

    /// The events `cpu` lost so far, as its page headers said.
    pub fn lost(&self, cpu: u32) -> Lost {
        self.cpus
            .iter()
            .find(|c| c.cpu == cpu)
            .map(|c| c.lost)
            .unwrap_or_default()
    }

    /// The next event or lost-events notice. An error concerns one page of one CPU: that page
    /// is dropped and the next call goes on with the next one.
    pub fn next_event(&mut self) -> Result<Next<'_>> {
        let mut best: Option<(u64, usize)> = None;
        let mut waiting = false;
        for i in 0..self.cpus.len() {
            if let Some(lost) = self.fill(i)? {
                return Ok(lost);
            }
            let c = &self.cpus[i];
            match &c.head {
                Some((ts, _)) if best.is_none_or(|(b, _)| *ts < b) => best = Some((*ts, i)),
                Some(_) => {}
                None => waiting |= c.state == State::Waiting,
            }
        }
        let Some((ts, b)) = best else {
            return Ok(if waiting { Next::Wait } else { Next::End });
        };
        if waiting && !self.draining && !self.window_passed(b, ts) {
            return Ok(Next::Wait);
        }
        let c = &mut self.cpus[b];
        let Some((ts, range)) = c.head.take() else {
            return Ok(Next::End);
        };
        let page = c.pages.front().map(Vec::as_slice).unwrap_or_default();
        Ok(Next::Event {
            cpu: c.cpu,
            ts,
            payload: page.get(range).unwrap_or_default(),
        })
    }

    /// Whether CPU `b`'s head at `ts` may go out while another CPU is empty: the newest time
    /// seen is past the window, or `b` cannot read further ahead to find out.
    fn window_passed(&mut self, b: usize, ts: u64) -> bool {
        let deadline = ts.saturating_add(self.window);
        let header = self.layout.header;
        let c = &mut self.cpus[b];
        while self.newest < deadline {
            if c.pages.len() >= self.max_pages || c.read_error.is_some() {
                return true;
            }
            let mut buf = c
                .spare
                .pop()
                .unwrap_or_else(|| vec![0; self.layout.page_size]);
            match c.source.read_page(&mut buf) {
                Ok(PageRead::Page) => {}
                // Nothing more now: the window decides when more comes.
                Ok(PageRead::Empty | PageRead::End) => {
                    c.spare.push(buf);
                    return false;
                }
                // Reported after the pages read before it; nothing more can be learnt here.
                Err(e) => {
                    c.spare.push(buf);
                    c.read_error = Some(e);
                    return true;
                }
            }
            // The page's last event time; a bad page is reported when it becomes current.
            if let Ok(page) = Page::parse(&self.layout, &buf) {
                let data = buf
                    .get(self.layout.data_offset..self.layout.data_offset + page.data_len())
                    .unwrap_or_default();
                let mut cur = Cursor::new(page.timestamp);
                while let Some(Ok((t, _))) = cur.next(data, &header) {
                    self.newest = self.newest.max(t);
                }
            }
            c.pages.push_back(buf);
        }
        true
    }

    /// Gives CPU `i` a head event if it can; a page with lost events first yields its notice.
    fn fill(&mut self, i: usize) -> Result<Option<Next<'static>>> {
        let header = self.layout.header;
        let c = &mut self.cpus[i];
        while c.head.is_none() && c.state != State::Ended {
            if c.current {
                let page = c.pages.front().map(Vec::as_slice).unwrap_or_default();
                let data = page.get(c.data.clone()).unwrap_or_default();
                match c.cursor.next(data, &header) {
                    Some(Ok((ts, r))) => {
                        let off = c.data.start;
                        c.head = Some((ts, r.start + off..r.end + off));
                        self.newest = self.newest.max(ts);
                        return Ok(None);
                    }
                    Some(Err(e)) => {
                        c.retire_front();
                        return Err(e);
                    }
                    None => c.retire_front(),
                }
                continue;
            }
            if c.pages.is_empty() {
                if let Some(source) = c.read_error.take() {
                    c.state = State::Ended;
                    return Err(RawError::Io { cpu: c.cpu, source });
                }
                let mut buf = c
                    .spare
                    .pop()
                    .unwrap_or_else(|| vec![0; self.layout.page_size]);
                match c.source.read_page(&mut buf) {
                    Ok(PageRead::Page) => c.pages.push_back(buf),
                    Ok(PageRead::Empty) => {
                        c.spare.push(buf);
                        c.state = State::Waiting;
                        return Ok(None);
                    }
                    Ok(PageRead::End) => {
                        c.spare.push(buf);
                        c.state = State::Ended;
                        return Ok(None);
                    }
                    Err(source) => {
                        c.state = State::Ended;
                        return Err(RawError::Io { cpu: c.cpu, source });
                    }
                }
            }
            c.state = State::Active;
            let front = c.pages.front().map(Vec::as_slice).unwrap_or_default();
            let page = match Page::parse(&self.layout, front) {
                Ok(p) => p,
                Err(e) => {
                    c.retire_front();
                    return Err(e);
                }
            };
            c.data = self.layout.data_offset..self.layout.data_offset + page.data_len();
            c.cursor = Cursor::new(page.timestamp);
            c.current = true;
            let count = match page.missed {
                Missed::None => continue,
                Missed::Unknown => {
                    c.lost.uncounted_pages += 1;
                    None
                }
                Missed::Count(n) => {
                    c.lost.events = c.lost.events.saturating_add(n);
                    Some(n)
                }
            };
            return Ok(Some(Next::Lost { cpu: c.cpu, count }));
        }
        Ok(None)
    }
}

impl<S> Cpu<S> {
    /// Done with the front page: its buffer goes back for the next read.
    fn retire_front(&mut self) {
        if let Some(p) = self.pages.pop_front() {
            self.spare.push(p);
        }
        self.current = false;
    }
}

/// A CPU's `per_cpu/cpuN/stats`: the kernel's own counts, beside what the pages say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuStats {
    pub entries: u64,
    /// Events overwritten before anyone read them (the buffer was full, overwrite mode).
    pub overrun: u64,
    pub commit_overrun: u64,
    /// Events refused because the buffer was full (no-overwrite mode).
    pub dropped_events: u64,
    pub read_events: u64,
}

impl CpuStats {
    /// Parses `entries: 0\noverrun: 2760\n...`; absent lines stay 0 (old kernels lack some).
    pub fn parse(text: &str) -> CpuStats {
        let mut s = CpuStats::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let Ok(v) = v.trim().parse::<u64>() else {
                continue;
            };
            match k.trim() {
                "entries" => s.entries = v,
                "overrun" => s.overrun = v,
                "commit overrun" => s.commit_overrun = v,
                "dropped events" => s.dropped_events = v,
                "read events" => s.read_events = v,
                _ => {}
            }
        }
        s
    }
}
