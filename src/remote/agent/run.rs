//! A run: the thread that runs a tool for a session, and the sink that streams its records.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{lock, Agent, EndReason, RunState, Session, SEND_QUEUE_LIMIT};
use crate::record::{Record, Sink, SinkError};
use crate::remote::batch::BatchEncoder;
use crate::remote::msg::{Outcome, ToClient};
use crate::tools::{RunEnv, Spec};
use crate::tracefs::stop::StopFlag;

impl Agent {
    pub(super) fn spawn_run(&mut self, s: &Arc<Session>, spec: Spec, stop: StopFlag) {
        self.stats.runs_active.fetch_add(1, Ordering::SeqCst);
        self.stats.runs_started.fetch_add(1, Ordering::Relaxed);
        let s = Arc::clone(s);
        let runner = Arc::clone(&self.opts.runner);
        let stats = Arc::clone(&self.stats);
        let env = RunEnv {
            tracefs: self.opts.tracefs.clone(),
            stop,
            tap: self.opts.tap.clone(),
        };
        let log = self.opts.log;
        let h = std::thread::spawn(move || {
            let started = Instant::now();
            let mut sink = StreamSink {
                session: Arc::clone(&s),
                records: 0,
            };
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let r = runner(&spec, &env, &mut sink);
                let f = sink.flush().map_err(crate::Error::from);
                r.and(f)
            }))
            .unwrap_or_else(|_| {
                Err(crate::Error::Other(
                    "the run failed on the agent (a bug: it panicked)".into(),
                ))
            });
            sink.finish();
            let outcome = Outcome::from_result(&result);
            let mut st = lock(&s.state);
            let _ = st.conn.tx.push(
                ToClient::Done(outcome.clone()).encode(),
                true,
                Instant::now(),
            );
            st.conn.drive(Instant::now(), false, &mut s.sender());
            st.run = RunState::Finished;
            let net = format!(
                "{} datagrams of records, {} resent ({} on timeout), {} abandoned, srtt {:?}",
                st.conn.tx.sent_chunks,
                st.conn.tx.resent_chunks,
                st.conn.tx.timeouts,
                st.conn.tx.abandoned_chunks,
                st.conn.tx.srtt().unwrap_or_default()
            );
            let how = match (&outcome, st.ended, st.stops) {
                (_, Some(EndReason::LeaseExpired), _) => {
                    "lease expired: stopped and cleaned up".to_string()
                }
                (_, Some(EndReason::Shutdown), _) => "agent shutting down: stopped".to_string(),
                (_, Some(EndReason::ClientClosed), _) => "client left: stopped".to_string(),
                (Outcome::Ok, _, n) if n > 0 => "stopped by client".to_string(),
                (Outcome::Ok, _, _) => "ok".to_string(),
                (Outcome::Error { message, .. }, _, _) => format!("error: {message}"),
            };
            drop(st);
            if log {
                let line = format!(
                    "lktrace agent: {} {}: {:.1} s, {} ({net}), {how}",
                    s.peer,
                    spec.describe(),
                    started.elapsed().as_secs_f64(),
                    crate::tools::counted(sink.records, "record")
                );
                eprintln!("{}", crate::output::escape::message_line(&line));
            }
            stats.runs_active.fetch_sub(1, Ordering::SeqCst);
        });
        self.runs.push(h);
    }
}

/// How long a batch that is not full may wait for more records before it goes out anyway:
/// a slow stream still flows within a few milliseconds (tools also flush after each read of
/// the kernel's pipe, which sends at once).
const LINGER: Duration = Duration::from_millis(2);

/// The Records message a run's sink is filling, and since when.
#[derive(Debug, Default)]
pub(super) struct Batch {
    enc: BatchEncoder,
    since: Option<Instant>,
}

fn lock_batch(m: &Mutex<Batch>) -> MutexGuard<'_, Batch> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Session {
    /// Queues a finished Records message; `wait` blocks while the queue is over its limit
    /// (backpressure: the tool slows down, nothing is dropped). The caller holds the batch
    /// lock, which keeps messages in the order their records were emitted.
    fn ship(&self, _order: &mut Batch, msg: Vec<u8>, wait: bool) -> Result<(), SinkError> {
        let mut st = lock(&self.state);
        loop {
            if st.ended.is_some() {
                return Err(SinkError::Closed);
            }
            if !wait || st.conn.tx.queued_bytes() < SEND_QUEUE_LIMIT {
                break;
            }
            // The client is slow: wait for acks rather than drop or buffer without bound.
            st.sink_waiting = true;
            st = self
                .cv
                .wait_timeout(st, Duration::from_millis(50))
                .map(|r| r.0)
                .unwrap_or_else(|e| e.into_inner().0);
            st.sink_waiting = false;
        }
        let now = Instant::now();
        // A full batch fills a datagram: send it now rather than wait for more to pack.
        if st.conn.tx.push(msg, true, now).is_err() {
            // A record over 70 MB: say so rather than fail the run.
            let note = Record::notice(
                crate::record::NoticeLevel::Warning,
                "a record too large to send was left out",
            );
            let _ = st
                .conn
                .tx
                .push(ToClient::Record(Box::new(note)).encode(), true, now);
        }
        st.conn.drive(now, false, &mut self.sender());
        Ok(())
    }

    /// Sends whatever the batch holds (a flush, the end of a run).
    fn ship_batch(&self, b: &mut Batch, wait: bool) -> Result<(), SinkError> {
        b.since = None;
        match b.enc.take() {
            Some(msg) => self.ship(b, msg, wait),
            None => Ok(()),
        }
    }

    /// From the socket thread's tick: a batch older than [`LINGER`] goes out. Never waits
    /// for the batch lock: a sink that holds it is sending anyway.
    pub(super) fn linger(&self, now: Instant) {
        let mut b = match self.batch.try_lock() {
            Ok(b) => b,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        if b.since
            .is_some_and(|t| now.saturating_duration_since(t) >= LINGER)
        {
            let _ = self.ship_batch(&mut b, false);
        }
    }
}

/// Streams a run's records to its client: batched into Records messages, bounded queue,
/// backpressure. Only a full (or lingering) batch takes the session's lock and sends.
struct StreamSink {
    session: Arc<Session>,
    records: u64,
}

impl StreamSink {
    /// After the run: what the batch still holds goes before Done, even if the tool panicked
    /// before its flush.
    fn finish(&mut self) {
        let s = &self.session;
        let mut b = lock_batch(&s.batch);
        let _ = s.ship_batch(&mut b, false);
    }
}

impl Sink for StreamSink {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.emit_ref(&record)
    }

    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        let s = &self.session;
        let mut b = lock_batch(&s.batch);
        let started = b.enc.is_empty();
        if let Some(full) = b.enc.push(record) {
            b.since = Some(Instant::now());
            s.ship(&mut b, full, true)?;
        } else if started {
            b.since = Some(Instant::now());
        }
        self.records += 1;
        if b.enc.is_full() || b.since.is_some_and(|t| t.elapsed() >= LINGER) {
            s.ship_batch(&mut b, true)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        let s = &self.session;
        let mut b = lock_batch(&s.batch);
        s.ship_batch(&mut b, true)?;
        let mut st = lock(&s.state);
        if st.ended.is_some() {
            return Err(SinkError::Closed);
        }
        st.conn.tx.request_flush();
        st.conn.drive(Instant::now(), false, &mut s.sender());
        Ok(())
    }
}
