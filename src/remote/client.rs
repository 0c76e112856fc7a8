//! The client side: run a Spec on one or several agents and feed their records into the same
//! sink a local run would use; `ctl ping`.
//!
//! One thread per host talks to its agent; records come back over a bounded channel to the
//! caller's thread, which owns the sink (so a slow terminal slows the agents down instead of
//! filling memory). With several hosts each record goes to [`Sink::emit_from`] with its host.

use std::collections::VecDeque;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::config::{default_key_path, RemoteTarget};
use super::crypto::Key;
use super::handshake;
use super::msg::{AgentInfo, Outcome, ToAgent, ToClient};
use super::reliable::{Conn, ConnLimits, Delivery, Dropped, Role};
use super::wire::{self, Header, Kind, MAX_DATAGRAM};
use super::Error;
use crate::record::{Hosted, Lost, Ping, Record, Sink};
use crate::tools::Spec;
use crate::tracefs::stop::StopFlag;

const TICK: Duration = Duration::from_millis(5);
/// Records an agent may send us that we hold before delivering in order (bytes).
const RECEIVE_BUFFER: usize = 32 * 1024 * 1024;
const PINGS: usize = 5;

/// Timeouts of the client side.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// Give up finding or authenticating to an agent after this long.
    pub connect_timeout: Duration,
    /// An agent silent this long is gone.
    pub silence_timeout: Duration,
    pub heartbeat: Duration,
    /// After a second Ctrl-C, wait at most this long for the agent's last records.
    pub hurry_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            silence_timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(1),
            hurry_timeout: Duration::from_secs(3),
        }
    }
}

/// What a connection hands up.
#[derive(Debug)]
pub enum Incoming {
    Message(ToClient),
    /// Records the agent sent that will never arrive.
    Lost(u64),
}

/// An authenticated session with one agent.
pub struct Connection {
    socket: UdpSocket,
    conn: Conn,
    buf: Vec<u8>,
    next_tick: Instant,
    opts: ClientOptions,
    incoming: VecDeque<Incoming>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("conn", &self.conn)
            .finish()
    }
}

fn sock(op: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Socket { op, source }
}

impl Connection {
    /// Hello → Cookie → Auth → the agent's first authenticated datagram.
    pub fn open(addr: SocketAddr, key: &Key, opts: &ClientOptions) -> Result<Connection, Error> {
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local).map_err(sock("bind"))?;
        socket.connect(addr).map_err(sock("connect"))?;
        let mut buf = vec![0u8; MAX_DATAGRAM + 1];
        let deadline = Instant::now() + opts.connect_timeout;
        let mut got_cookie = false;
        // What the agent said when it refused a session (busy, rate-limited, ...). Not
        // authenticated, so it only words the error: we keep trying until the deadline.
        let mut refused = None;
        // Each attempt starts from a fresh Hello and a fresh ephemeral key: a cookie that
        // expired or a forged Accept costs one attempt only.
        loop {
            if Instant::now() >= deadline {
                let addr = addr.to_string();
                return Err(match (refused, got_cookie) {
                    (Some(reason), _) => Error::Refused { addr, reason },
                    (None, true) => Error::AuthFailed { addr },
                    (None, false) => Error::NoAnswer { addr },
                });
            }
            let Some((time, cookie)) = get_cookie(&socket, &mut buf, deadline)? else {
                continue;
            };
            got_cookie = true;
            let (auth, init) = handshake::auth(key, time, &cookie)?;
            let mut init = Some(init);
            let mut wait = Duration::from_millis(100);
            'attempt: for _ in 0..4 {
                if Instant::now() >= deadline {
                    break;
                }
                let _ = socket.send(&auth);
                let until = (Instant::now() + wait).min(deadline);
                while let Some(n) = recv_until(&socket, &mut buf, until)? {
                    let d = &buf[..n];
                    let Ok((h, body)) = Header::decode(d) else {
                        continue;
                    };
                    match h.kind {
                        Kind::Accept => {
                            let Some(keys) = init.take().and_then(|i| i.finish(&h, d)) else {
                                // Spent on a datagram that was not our Accept: start over.
                                break 'attempt;
                            };
                            let limits = ConnLimits {
                                max_buffered: RECEIVE_BUFFER,
                                // The byte limit (which counts overhead) bounds these.
                                max_partial: usize::MAX,
                                heartbeat: opts.heartbeat,
                                abandon_after: opts.silence_timeout,
                            };
                            let conn = Conn::new(Role::Client, &keys, limits, Instant::now());
                            socket
                                .set_read_timeout(Some(TICK))
                                .map_err(sock("set timeout"))?;
                            return Ok(Connection {
                                socket,
                                conn,
                                buf,
                                next_tick: Instant::now(),
                                opts: *opts,
                                incoming: VecDeque::new(),
                            });
                        }
                        Kind::Refused if h.version == wire::VERSION => {
                            if let Ok(r) = wire::decode_refused(body) {
                                refused = Some(r);
                            }
                        }
                        _ => {}
                    }
                }
                wait *= 2;
            }
        }
    }

    /// Queues a message for the agent and sends it now.
    pub fn send(&mut self, m: &ToAgent) -> Result<(), Error> {
        self.send_bytes(m.encode())
    }

    /// Queues an encoded message as is: what [`Connection::send`] does after encoding, open so
    /// tests can send what no well-behaved client would (a hostile Spec, an unknown tool).
    pub fn send_bytes(&mut self, message: Vec<u8>) -> Result<(), Error> {
        self.conn
            .tx
            .push(message, true, Instant::now())
            .map_err(|_| Error::Protocol("request too large".into()))?;
        self.drive(false);
        Ok(())
    }

    fn drive(&mut self, tick: bool) {
        let socket = &self.socket;
        self.conn.drive(Instant::now(), tick, &mut |d| {
            let _ = socket.send(d);
        });
    }

    /// Waits up to one tick for traffic, handles it, and returns what the agent delivered.
    pub fn poll(&mut self) -> Result<Option<Incoming>, Error> {
        if let Some(i) = self.incoming.pop_front() {
            return Ok(Some(i));
        }
        match self.socket.recv(&mut self.buf) {
            Ok(n) => {
                let now = Instant::now();
                let d = &self.buf[..n];
                if let Ok((h, _)) = Header::decode(d) {
                    if h.kind == Kind::Data && h.session == self.conn.session {
                        // Forged, replayed or late datagrams are dropped; only a key holder
                        // breaking the protocol ends the session.
                        if let Err(Dropped::Violation(why)) = self.conn.receive(&h, d, now) {
                            return Err(Error::Protocol(why.into()));
                        }
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // ICMP unreachable and the like: the agent may come back; silence decides.
            Err(_) => {}
        }
        while let Some(d) = self.conn.rx.pop() {
            match d {
                Delivery::Message(m) => {
                    let msg = ToClient::decode(&m)
                        .ok_or_else(|| Error::Protocol("undecodable message".into()))?;
                    self.incoming.push_back(Incoming::Message(msg));
                }
                Delivery::Lost(n) => self.incoming.push_back(Incoming::Lost(n)),
            }
        }
        let now = Instant::now();
        let tick = now >= self.next_tick;
        if tick {
            self.next_tick = now + TICK;
        }
        self.drive(tick);
        if now.saturating_duration_since(self.conn.last_heard) > self.opts.silence_timeout {
            return Err(Error::Silent);
        }
        Ok(self.incoming.pop_front())
    }

    /// Keeps the session alive without reading: our own output is blocked (a paused pager),
    /// so we stop acking (the agent's tool then blocks too) but still send heartbeats, and the
    /// agent's silence while we do not listen is not held against it.
    pub fn keepalive(&mut self) {
        let now = Instant::now();
        if now >= self.next_tick {
            self.next_tick = now + TICK;
            self.drive(true);
        }
        self.conn.last_heard = now;
    }

    /// Stops waiting for what is missing: returns what is complete, with a loss count for
    /// every gap, so nothing the agent sent disappears without a `lost` record.
    pub fn give_up(&mut self) -> Vec<Incoming> {
        self.conn.rx.give_up();
        let mut out: Vec<Incoming> = self.incoming.drain(..).collect();
        while let Some(d) = self.conn.rx.pop() {
            match d {
                Delivery::Message(m) => {
                    if let Some(msg) = ToClient::decode(&m) {
                        out.push(Incoming::Message(msg));
                    }
                }
                Delivery::Lost(n) => out.push(Incoming::Lost(n)),
            }
        }
        out
    }

    /// One authenticated round trip: Ping → Pong, timed from first send to answer.
    pub fn ping(&mut self) -> Result<(Duration, AgentInfo), Error> {
        let t0 = Instant::now();
        self.send(&ToAgent::Ping)?;
        loop {
            if let Some(Incoming::Message(ToClient::Pong(info))) = self.poll()? {
                return Ok((t0.elapsed(), info));
            }
            if t0.elapsed() > self.opts.silence_timeout {
                return Err(Error::Silent);
            }
        }
    }

    /// Leaves the session politely (the agent frees it at once instead of at lease expiry).
    pub fn close(mut self) {
        let socket = &self.socket;
        self.conn.send_close(&mut |d| {
            let _ = socket.send(d);
        });
    }
}

/// Sends Hello with backoff until a Cookie answers (`None` when the deadline passes first).
fn get_cookie(
    socket: &UdpSocket,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<Option<(u64, [u8; wire::COOKIE_LEN])>, Error> {
    let hello = handshake::hello();
    let mut wait = Duration::from_millis(100);
    while Instant::now() < deadline {
        let _ = socket.send(&hello);
        let until = (Instant::now() + wait).min(deadline);
        while let Some(n) = recv_until(socket, buf, until)? {
            let Ok((h, body)) = Header::decode(&buf[..n]) else {
                continue;
            };
            match h.kind {
                Kind::Version => {
                    return Err(Error::Version {
                        theirs: h.version,
                        ours: wire::VERSION,
                    })
                }
                Kind::Cookie if h.version == wire::VERSION => {
                    if let Ok(c) = wire::decode_cookie(body) {
                        return Ok(Some(c));
                    }
                }
                _ => {}
            }
        }
        wait = (wait * 2).min(Duration::from_secs(1));
    }
    Ok(None)
}

/// Waits for one datagram until `until`; `None` when the time is up.
fn recv_until(socket: &UdpSocket, buf: &mut [u8], until: Instant) -> Result<Option<usize>, Error> {
    loop {
        let now = Instant::now();
        if now >= until {
            return Ok(None);
        }
        socket
            .set_read_timeout(Some((until - now).max(Duration::from_micros(100))))
            .map_err(sock("set timeout"))?;
        match socket.recv(buf) {
            Ok(n) => return Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // Connection refused (ICMP) while the agent is not up: keep trying until the deadline.
            Err(_) => std::thread::sleep(
                Duration::from_millis(10).min(until.saturating_duration_since(now)),
            ),
        }
    }
}

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
    Record(Record),
    Finished(crate::Result<()>),
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
    let (tx, rx) = mpsc::sync_channel::<(usize, Event)>(1024);
    let mut results: Vec<Option<crate::Result<()>>> = (0..targets.len()).map(|_| None).collect();
    let mut sink_error = None;
    std::thread::scope(|scope| {
        for (i, (t, key)) in targets.iter().zip(&keys).enumerate() {
            let tx = tx.clone();
            let abort = &abort;
            scope.spawn(move || {
                let mut out = |mut rec: Record, c: &mut Connection| loop {
                    match tx.try_send((i, Event::Record(rec))) {
                        Ok(()) => return true,
                        Err(mpsc::TrySendError::Full((_, Event::Record(r)))) if !abort.is_set() => {
                            rec = r;
                            c.keepalive();
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        Err(_) => return false,
                    }
                };
                let r = run_one(t, key, spec, stop, abort, opts, &mut out);
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
}

impl Merge<'_> {
    fn take(&mut self, i: usize, ev: Event, sink: &mut dyn Sink) {
        match ev {
            Event::Record(r) => {
                if self.sink_error.is_some() {
                    return;
                }
                let sent = if self.multi {
                    sink.emit_from(&self.targets[i].label, r)
                } else {
                    sink.emit(r)
                };
                if let Err(e) = sent {
                    // `| head` closed: stop every host, quietly.
                    *self.sink_error = Some(e);
                    self.abort.request();
                }
            }
            Event::Finished(r) => self.results[i] = Some(r),
        }
    }
}

/// One host: connect, Start, stream until Done; Stop on Ctrl-C.
fn run_one(
    t: &RemoteTarget,
    key: &Key,
    spec: &Spec,
    stop: &StopFlag,
    abort: &StopFlag,
    opts: &ClientOptions,
    out: &mut dyn FnMut(Record, &mut Connection) -> bool,
) -> crate::Result<()> {
    let host = t.label.as_str();
    let fail = |e: Error| e.into_crate(host);
    let addr = resolve(t).map_err(fail)?;
    let mut c = Connection::open(addr, key, opts).map_err(fail)?;
    c.send(&ToAgent::Start(Box::new(spec.clone())))
        .map_err(fail)?;
    let mut stops_sent = 0;
    let mut hurried_at: Option<Instant> = None;
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
                flush_given_up(&mut c, out);
                c.close();
                return Ok(());
            }
        }
        let polled = match c.poll() {
            Ok(p) => p,
            Err(e) => {
                flush_given_up(&mut c, out);
                return Err(fail(e));
            }
        };
        let record = match polled {
            None | Some(Incoming::Message(ToClient::Pong(_))) => None,
            Some(Incoming::Lost(n)) => Some(Record::Lost(Lost {
                cpu: None,
                count: Some(n),
            })),
            Some(Incoming::Message(ToClient::Record(r))) => Some(*r),
            Some(Incoming::Message(ToClient::Done(outcome))) => {
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
        };
        if let Some(r) = record {
            if !out(r, &mut c) {
                c.close();
                return Ok(());
            }
        }
    }
}

/// Emits what arrived before we stopped waiting, and a `lost` record for each gap.
fn flush_given_up(c: &mut Connection, out: &mut dyn FnMut(Record, &mut Connection) -> bool) {
    for i in c.give_up() {
        let r = match i {
            Incoming::Message(ToClient::Record(r)) => *r,
            Incoming::Lost(n) => Record::Lost(Lost {
                cpu: None,
                count: Some(n),
            }),
            Incoming::Message(_) => continue,
        };
        if !out(r, c) {
            return;
        }
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
