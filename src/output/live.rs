//! `--live`: a counting run's table full-screen, redrawn at every interval, busiest first, with
//! each count's rate; `q`, Esc or Ctrl-C ends the run (torn down as any end is). When it ends
//! the screen is given back and the last table printed as the text mode prints it, so the
//! result stays in the terminal's scrollback.
//!
//! The terminal is in raw mode meanwhile, where Ctrl-C is a key, not SIGINT: a thread reads the
//! keys and asks the run to stop. ratatui's init installs a panic hook that restores the
//! terminal; [`Drop`] restores it on every other way out.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::DefaultTerminal;

use crate::record::{Counts, Record, Sink, SinkError};
use crate::tracefs::stop::StopFlag;

/// The most rows kept from one table: a screen shows fewer.
const MAX_ROWS: usize = 500;

/// Draws counts full-screen.
pub struct LiveSink<'a> {
    terminal: Option<DefaultTerminal>,
    /// Where the last table goes once the screen is given back.
    out: Box<dyn Write + 'a>,
    title: String,
    last: Option<Counts>,
    intervals: u64,
    notice: String,
    keys_done: Arc<AtomicBool>,
    keys: Option<std::thread::JoinHandle<()>>,
}

impl<'a> LiveSink<'a> {
    /// Takes over the terminal; `stop` is asked to stop when a key says so.
    pub fn start(tool: &str, stop: StopFlag, out: Box<dyn Write + 'a>) -> std::io::Result<Self> {
        let terminal = ratatui::try_init()?;
        let keys_done = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&keys_done);
        let keys = std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if !event::poll(Duration::from_millis(200)).unwrap_or(false) {
                    continue;
                }
                let Ok(Event::Key(k)) = event::read() else {
                    continue;
                };
                let ctrl_c =
                    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                let quit = matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c;
                if k.kind == KeyEventKind::Press && quit {
                    stop.request();
                    break;
                }
            }
        });
        let mut sink = LiveSink {
            terminal: Some(terminal),
            out,
            title: format!("lktrace {tool}"),
            last: None,
            intervals: 0,
            notice: String::new(),
            keys_done,
            keys: Some(keys),
        };
        sink.draw()?;
        Ok(sink)
    }

    fn draw(&mut self) -> std::io::Result<()> {
        let Some(term) = self.terminal.as_mut() else {
            return Ok(());
        };
        let rows = rows(self.last.as_ref());
        let head = match &self.last {
            Some(c) => format!(
                "{} · backend {} · interval {} s · {} interval{}",
                self.title,
                super::escape::message_line(&c.backend),
                c.duration_s,
                self.intervals,
                if self.intervals == 1 { "" } else { "s" }
            ),
            None => format!("{} · waiting for the first interval", self.title),
        };
        let notice = self.notice.clone();
        term.draw(|f| {
            let [top, body, foot] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Min(1),
                Constraint::Length(1),
            ])
            .areas(f.area());
            f.render_widget(Paragraph::new(Line::from(head)), top);
            let table = Table::new(
                rows.iter()
                    .map(|(n, c, r)| Row::new(vec![n.clone(), c.clone(), r.clone()])),
                [
                    Constraint::Min(20),
                    Constraint::Length(14),
                    Constraint::Length(14),
                ],
            )
            .header(
                Row::new(vec!["NAME", "COUNT", "PER SECOND"])
                    .style(Style::default().add_modifier(Modifier::BOLD)),
            )
            .block(Block::default());
            f.render_widget(table, body);
            let foot_text = if notice.is_empty() {
                "q or Ctrl-C to end".to_string()
            } else {
                format!("{notice} · q or Ctrl-C to end")
            };
            f.render_widget(Paragraph::new(Line::from(foot_text)), foot);
        })?;
        Ok(())
    }

    /// Gives the screen back and prints the last table; idempotent.
    fn leave(&mut self) {
        self.keys_done.store(true, Ordering::Relaxed);
        if let Some(k) = self.keys.take() {
            let _ = k.join();
        }
        if self.terminal.take().is_some() {
            ratatui::restore();
            if let Some(c) = &self.last {
                let _ = self.out.write_all(
                    super::escape::data_block(&super::table::counts(c, false, false, None))
                        .as_bytes(),
                );
                let _ = self.out.flush();
            }
        }
    }
}

/// Busiest first, as a person scans a live table (the text mode's is ascending, perf-tools'
/// order for a table that ends at the prompt); names escaped and cut.
fn rows(c: Option<&Counts>) -> Vec<(String, String, String)> {
    let Some(c) = c else {
        return Vec::new();
    };
    let mut counts: Vec<_> = c.counts.iter().collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    counts
        .into_iter()
        .take(MAX_ROWS)
        .map(|n| {
            let rate = if c.duration_s > 0.0 {
                format!("{:.1}", n.count as f64 / c.duration_s)
            } else {
                "-".into()
            };
            (
                super::escape::message_line(&n.name),
                n.count.to_string(),
                rate,
            )
        })
        .collect()
}

impl Sink for LiveSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        match record {
            Record::Counts(c) => {
                self.intervals += 1;
                self.last = Some(c);
            }
            Record::Notice(n) => self.notice = super::escape::message_line(&n.message),
            Record::Lost(_) => self.notice = "the kernel dropped events: counts incomplete".into(),
            other => {
                return Err(SinkError::Format(format!(
                    "--live shows counts, not {} records",
                    other.type_name()
                )))
            }
        }
        self.draw().map_err(SinkError::from_io)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl Drop for LiveSink<'_> {
    fn drop(&mut self) {
        self.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Count;

    #[test]
    fn rows_are_busiest_first_with_rates_and_escaped() {
        let c = Counts {
            backend: "profiler".into(),
            duration_s: 2.0,
            time: 0.0,
            counts: vec![
                Count::named("vfs_open", 4),
                Count::named("evil\u{1b}[2J", 4),
                Count::named("vfs_read", 100),
            ],
        };
        let r = rows(Some(&c));
        assert_eq!(r[0], ("vfs_read".into(), "100".into(), "50.0".into()));
        assert_eq!(r[1].0, "evil\\x1b[2J");
        assert_eq!(r[2].0, "vfs_open");
        assert!(rows(None).is_empty());
    }
}
