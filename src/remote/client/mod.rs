//! The client side: run a Spec on one or several agents and feed their records into the same
//! sink a local run would use; `ctl ping`.
//!
//! One thread per host talks to its agent; records come back in batches over a bounded channel
//! to the caller's thread, which owns the sink (so a slow terminal slows the agents down instead
//! of filling memory), and the emptied batches go back to be filled again. One host's records
//! are lent to [`Sink::emit_ref`]; with several hosts each record goes to [`Sink::emit_from`]
//! with its host.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use super::batch::RecordBuf;
use super::config::{default_key_path, RemoteTarget};
use super::crypto::Key;
use super::msg::{Outcome, ToAgent, ToClient};
use super::Error;
use crate::record::{Hosted, Lost, Ping, Record, Sink};
use crate::tools::Spec;
use crate::tracefs::stop::StopFlag;

mod connection;

pub use connection::{ClientOptions, Connection, Incoming};

const PINGS: usize = 5;

/// The target's address; IPv4 first when a name has both (the agent listens on 127.0.0.1 by
/// default, and `localhost` often resolves to ::1 first).
fn resolve(t: &RemoteTarget) -> Result<SocketAddr, Error> {
    let s = t.addr_string();
    let mut addrs: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|source| Error::Resolve {
            target: s.clone(),
            source,
        })?
        .collect();
    addrs.sort_by_key(|a| a.is_ipv6());
    addrs.into_iter().next().ok_or_else(|| Error::Resolve {
        target: s.clone(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
    })
}

/// The key for a target: `--key-file`, else the config's `key_file`, else the default path.
pub fn key_for(target: &RemoteTarget, key_file: Option<&Path>) -> Result<Key, Error> {
    let path = key_file
        .map(Path::to_path_buf)
        .or_else(|| target.key_file.clone())
        .or_else(|| default_key_path().filter(|p| p.exists()))
        .ok_or(Error::NoKey)?;
    Key::load(&path)
}

enum Event {
    Records(RecordBuf),
    Finished(crate::Result<()>),
}

/// Batches of records in the channel from the hosts' threads to the sink, at most: with at
/// most a few hundred records each (see `batch.rs`), a slow sink holds back the agents soon.
const CHANNEL: usize = 64;
/// A host's thread hands on what it gathered once it holds this many records, or when no
/// more datagrams are waiting: one wake of the sink's thread per few datagrams, not per record.
const HANDOFF: usize = 64;
/// Emptied batches kept for reuse (their records' strings are refilled in place).
const POOL: usize = CHANNEL + 8;

/// Record batches the sink has seen, back to the hosts' threads to be filled again: a steady
/// stream decodes without allocating.
#[derive(Default)]
struct Pool(Mutex<Vec<RecordBuf>>);

impl Pool {
    fn get(&self) -> RecordBuf {
        let mut p = self.0.lock().unwrap_or_else(|e| e.into_inner());
        p.pop().unwrap_or_default()
    }

    fn put(&self, mut b: RecordBuf) {
        b.clear();
        if !b.reusable() {
            return;
        }
        let mut p = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if p.len() < POOL {
            p.push(b);
        }
    }
}

/// Runs `spec` on every target at once and renders what comes back into `sink`, as a local
/// run would. Ctrl-C (`stop`) stops the remote runs and still prints their last records.
/// With several targets, records carry their host. The first host error is returned after
/// every host has finished.
pub fn run_remote(
    targets: &[RemoteTarget],
    key_file: Option<&Path>,
    spec: &Spec,
    sink: &mut dyn Sink,
    stop: &StopFlag,
) -> crate::Result<()> {
    run_remote_with(
        targets,
        key_file,
        spec,
        sink,
        stop,
        &ClientOptions::default(),
    )
}

pub fn run_remote_with(
    targets: &[RemoteTarget],
    key_file: Option<&Path>,
    spec: &Spec,
    sink: &mut dyn Sink,
    stop: &StopFlag,
    opts: &ClientOptions,
) -> crate::Result<()> {
    // Every key first: a bad key file is reported before anything runs anywhere.
    let mut keys = Vec::with_capacity(targets.len());
    for t in targets {
        keys.push(key_for(t, key_file).map_err(|e| e.into_crate(&t.label))?);
    }
    let multi = targets.len() > 1;
    let abort = StopFlag::new();
    let (tx, rx) = mpsc::sync_channel::<(usize, Event)>(CHANNEL);
    let pool = Pool::default();
    let mut results: Vec<Option<crate::Result<()>>> = (0..targets.len()).map(|_| None).collect();
    let mut sink_error = None;
    std::thread::scope(|scope| {
        for (i, (t, key)) in targets.iter().zip(&keys).enumerate() {
            let tx = tx.clone();
            let abort = &abort;
            let pool = &pool;
            scope.spawn(move || {
                let mut out = |mut recs: RecordBuf, c: &mut Connection| loop {
                    match tx.try_send((i, Event::Records(recs))) {
                        Ok(()) => return true,
                        Err(mpsc::TrySendError::Full((_, Event::Records(r))))
                            if !abort.is_set() =>
                        {
                            recs = r;
                            c.keepalive();
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        Err(_) => return false,
                    }
                };
                let r = run_one(t, key, spec, stop, abort, opts, pool, &mut out);
                let _ = tx.send((i, Event::Finished(r)));
            });
        }
        drop(tx);
        let mut merge = Merge {
            targets,
            multi,
            abort: &abort,
            sink_error: &mut sink_error,
            results: &mut results,
            pool: &pool,
        };
        // Take what has arrived, then flush: output keeps up with the stream as a local run's
        // does (tools flush after each read of the kernel's pipe).
        while let Ok((i, ev)) = rx.recv() {
            merge.take(i, ev, sink);
            while let Ok((i, ev)) = rx.try_recv() {
                merge.take(i, ev, sink);
            }
            if merge.sink_error.is_none() {
                if let Err(e) = sink.flush() {
                    *merge.sink_error = Some(e);
                    abort.request();
                }
            }
        }
    });
    if let Some(e) = sink_error {
        return Err(e.into());
    }
    sink.flush()?;
    // Every host's failure counts, not only the first: the exit status and the messages
    // reflect all of them.
    let mut failed: Vec<crate::Error> = results
        .into_iter()
        .flatten()
        .filter_map(Result::err)
        .collect();
    match failed.len() {
        0 => Ok(()),
        1 => Err(failed.remove(0)),
        _ => Err(crate::Error::Several(failed)),
    }
}

/// The caller's side of a multi-host run: records into the one sink, results per host.
struct Merge<'a> {
    targets: &'a [RemoteTarget],
    multi: bool,
    abort: &'a StopFlag,
    sink_error: &'a mut Option<crate::record::SinkError>,
    results: &'a mut Vec<Option<crate::Result<()>>>,
    pool: &'a Pool,
}

impl Merge<'_> {
    fn take(&mut self, i: usize, ev: Event, sink: &mut dyn Sink) {
        match ev {
            Event::Records(mut recs) => {
                if self.sink_error.is_none() {
                    let sent = if self.multi {
                        let host = &self.targets[i].label;
                        recs.drain().try_for_each(|r| sink.emit_from(host, r))
                    } else {
                        // Lent, not given: a renderer writes them and the pool refills the
                        // same records' strings for the next batch.
                        recs.as_slice().iter().try_for_each(|r| sink.emit_ref(r))
                    };
                    if let Err(e) = sent {
                        // `| head` closed: stop every host, quietly.
                        *self.sink_error = Some(e);
                        self.abort.request();
                    }
                }
                self.pool.put(recs);
            }
            Event::Finished(r) => self.results[i] = Some(r),
        }
    }
}

/// One host: connect, Start, stream until Done; Stop on Ctrl-C.
#[allow(clippy::too_many_arguments)]
fn run_one(
    t: &RemoteTarget,
    key: &Key,
    spec: &Spec,
    stop: &StopFlag,
    abort: &StopFlag,
    opts: &ClientOptions,
    pool: &Pool,
    out: &mut dyn FnMut(RecordBuf, &mut Connection) -> bool,
) -> crate::Result<()> {
    let host = t.label.as_str();
    let fail = |e: Error| e.into_crate(host);
    let addr = resolve(t).map_err(fail)?;
    let mut c = Connection::open(addr, key, opts).map_err(fail)?;
    c.send(&ToAgent::Start(Box::new(spec.clone())))
        .map_err(fail)?;
    let mut stops_sent = 0;
    let mut hurried_at: Option<Instant> = None;
    let mut recs = pool.get();
    loop {
        if abort.is_set() {
            c.close();
            return Ok(());
        }
        // First Ctrl-C: stop gracefully (the tool still emits its last table); second: hurry.
        let wanted = if stop.hurry() {
            2
        } else {
            usize::from(stop.is_set())
        };
        while stops_sent < wanted {
            c.send(&ToAgent::Stop).map_err(fail)?;
            stops_sent += 1;
        }
        if stop.hurry() {
            let t0 = *hurried_at.get_or_insert_with(Instant::now);
            if t0.elapsed() > opts.hurry_timeout {
                flush_given_up(&mut c, recs, out);
                c.close();
                return Ok(());
            }
        }
        let polled = match c.poll_into(&mut recs) {
            Ok(p) => p,
            Err(e) => {
                flush_given_up(&mut c, recs, out);
                return Err(fail(e));
            }
        };
        let done = match polled {
            Some(ToClient::Done(outcome)) => Some(outcome),
            _ => None,
        };
        // Gather a few datagrams' worth while they keep coming; hand on at once when the
        // stream pauses (a poll that waited a tick for nothing) or ends.
        if !recs.is_empty() && (recs.len() >= HANDOFF || !c.received() || done.is_some()) {
            let full = std::mem::replace(&mut recs, pool.get());
            if !out(full, &mut c) {
                c.close();
                return Ok(());
            }
        }
        if let Some(outcome) = done {
            // Let our ack of the last chunk out, then leave.
            c.drive(true);
            c.close();
            return match outcome {
                Outcome::Ok => Ok(()),
                Outcome::Error {
                    message,
                    hint,
                    detail,
                } => Err(crate::Error::Remote(Box::new(crate::error::RemoteError {
                    host: host.to_string(),
                    message,
                    hint,
                    detail,
                }))),
            };
        }
    }
}

/// Emits what arrived before we stopped waiting, and a `lost` record for each gap.
fn flush_given_up(
    c: &mut Connection,
    mut recs: RecordBuf,
    out: &mut dyn FnMut(RecordBuf, &mut Connection) -> bool,
) {
    for i in c.give_up() {
        match i {
            Incoming::Message(ToClient::Record(r)) => recs.push(*r),
            Incoming::Lost(n) => recs.push(Record::Lost(Lost {
                cpu: None,
                count: Some(n),
            })),
            Incoming::Message(_) => {}
        }
    }
    if !recs.is_empty() {
        let _ = out(recs, c);
    }
}

/// `lktrace ctl ping --remote ...`: one `ping` record per host: the median of a few
/// authenticated round trips on an open session, the agent's version and kernel.
pub fn ping(
    targets: &[RemoteTarget],
    key_file: Option<&Path>,
    stop: &StopFlag,
) -> crate::Result<Vec<Hosted>> {
    ping_with(targets, key_file, stop, &ClientOptions::default())
}

pub fn ping_with(
    targets: &[RemoteTarget],
    key_file: Option<&Path>,
    stop: &StopFlag,
    opts: &ClientOptions,
) -> crate::Result<Vec<Hosted>> {
    let mut keys = Vec::with_capacity(targets.len());
    for t in targets {
        keys.push(key_for(t, key_file).map_err(|e| e.into_crate(&t.label))?);
    }
    let results: Vec<crate::Result<Hosted>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .zip(&keys)
            .map(|(t, key)| scope.spawn(move || ping_one(t, key, stop, opts)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(crate::Error::Other("ping thread panicked".into())))
            })
            .collect()
    });
    results.into_iter().collect()
}

fn ping_one(
    t: &RemoteTarget,
    key: &Key,
    stop: &StopFlag,
    opts: &ClientOptions,
) -> crate::Result<Hosted> {
    let fail = |e: Error| e.into_crate(&t.label);
    let addr = resolve(t).map_err(fail)?;
    let mut c = Connection::open(addr, key, opts).map_err(fail)?;
    let mut rtts = Vec::with_capacity(PINGS);
    let mut info = None;
    for _ in 0..PINGS {
        if stop.is_set() && !rtts.is_empty() {
            break;
        }
        let (rtt, i) = c.ping().map_err(fail)?;
        rtts.push(rtt);
        info = Some(i);
    }
    c.close();
    rtts.sort();
    let info = info.ok_or_else(|| crate::Error::Other("no ping answered".into()))?;
    Ok(Hosted {
        record: Record::Ping(Ping {
            rtt_us: rtts[rtts.len() / 2].as_secs_f64() * 1e6,
            agent_version: info.version,
            kernel_release: info.kernel,
        }),
        host: Some(t.label.clone()),
    })
}
