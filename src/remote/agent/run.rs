//! A run: the thread that runs a tool for a session, and the sink that streams its records.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{lock, Agent, EndReason, RunState, Session, SEND_QUEUE_LIMIT};
use crate::record::{Record, Sink, SinkError};
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
                    "lktrace agent: {} {}: {:.1} s, {} records ({net}), {how}",
                    s.peer,
                    spec.describe(),
                    started.elapsed().as_secs_f64(),
                    sink.records
                );
                eprintln!("{}", crate::output::escape::message_line(&line));
            }
            stats.runs_active.fetch_sub(1, Ordering::SeqCst);
        });
        self.runs.push(h);
    }
}

/// Streams a run's records to its client: sequence numbers, bounded queue, backpressure.
struct StreamSink {
    session: Arc<Session>,
    records: u64,
}

impl Sink for StreamSink {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        let bytes = ToClient::Record(Box::new(record)).encode();
        let s = &self.session;
        let mut st = lock(&s.state);
        loop {
            if st.ended.is_some() {
                return Err(SinkError::Closed);
            }
            if st.conn.tx.queued_bytes() < SEND_QUEUE_LIMIT {
                break;
            }
            // The client is slow: wait for acks rather than drop or buffer without bound.
            st =
                s.cv.wait_timeout(st, Duration::from_millis(50))
                    .map(|r| r.0)
                    .unwrap_or_else(|e| e.into_inner().0);
        }
        let now = Instant::now();
        if st.conn.tx.push(bytes, false, now).is_err() {
            // A record over 70 MB: say so rather than fail the run.
            let note = Record::notice(
                crate::record::NoticeLevel::Warning,
                "a record too large to send was left out",
            );
            let _ = st
                .conn
                .tx
                .push(ToClient::Record(Box::new(note)).encode(), false, now);
        }
        self.records += 1;
        st.conn.drive(now, false, &mut s.sender());
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        let s = &self.session;
        let mut st = lock(&s.state);
        if st.ended.is_some() {
            return Err(SinkError::Closed);
        }
        st.conn.tx.request_flush();
        st.conn.drive(Instant::now(), false, &mut s.sender());
        Ok(())
    }
}
