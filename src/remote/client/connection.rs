//! One authenticated session with an agent: the handshake, then messages both ways.

use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::super::batch::RecordBuf;
use super::super::crypto::Key;
use super::super::handshake;
use super::super::msg::{AgentInfo, ToAgent, ToClient};
use super::super::reliable::{Conn, ConnLimits, Delivery, Dropped, Role};
use super::super::wire::{self, Header, Kind, MAX_DATAGRAM};
use super::super::Error;
use crate::record::{Lost, Record};

const TICK: Duration = Duration::from_millis(5);
/// Records an agent may send us that we hold before delivering in order (bytes).
const RECEIVE_BUFFER: usize = 32 * 1024 * 1024;

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
    received: bool,
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
                                received: false,
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

    pub(super) fn drive(&mut self, tick: bool) {
        let socket = &self.socket;
        self.conn.drive(Instant::now(), tick, &mut |d| {
            let _ = socket.send(d);
        });
    }

    /// Waits up to one tick for traffic, handles it, and returns what the agent delivered,
    /// one record at a time (tests, `ctl ping`; a run takes them in batches with
    /// [`Connection::poll_into`]).
    pub fn poll(&mut self) -> Result<Option<Incoming>, Error> {
        if let Some(i) = self.incoming.pop_front() {
            return Ok(Some(i));
        }
        self.receive()?;
        let mut records = RecordBuf::new();
        while let Some(d) = self.conn.rx.pop() {
            match d {
                Delivery::Message(m) => {
                    if let Some(msg) = decode(&m, &mut records)? {
                        self.incoming.push_back(Incoming::Message(msg));
                    }
                    for r in records.drain() {
                        let msg = ToClient::Record(Box::new(r));
                        self.incoming.push_back(Incoming::Message(msg));
                    }
                }
                Delivery::Lost(n) => self.incoming.push_back(Incoming::Lost(n)),
            }
        }
        self.after_receive()?;
        Ok(self.incoming.pop_front())
    }

    /// Waits up to one tick for traffic, handles it, and appends the records the agent
    /// delivered to `records`, each gap as a `lost` record in its place; returns any other
    /// message (Done, Pong). Whether a datagram came is [`Connection::received`].
    pub fn poll_into(&mut self, records: &mut RecordBuf) -> Result<Option<ToClient>, Error> {
        if let Some(i) = self.incoming.pop_front() {
            match i {
                Incoming::Message(ToClient::Record(r)) => records.push(*r),
                Incoming::Message(m) => return Ok(Some(m)),
                Incoming::Lost(n) => records.push(lost(n)),
            }
            return Ok(None);
        }
        self.receive()?;
        while let Some(d) = self.conn.rx.pop() {
            match d {
                Delivery::Message(m) => {
                    if let Some(msg) = decode(&m, records)? {
                        // Done is the last message of a run, Pong answers nothing here: keep
                        // it for after the records that came before it.
                        self.incoming.push_back(Incoming::Message(msg));
                    }
                }
                Delivery::Lost(n) => records.push(lost(n)),
            }
        }
        self.after_receive()?;
        Ok(match self.incoming.pop_front() {
            Some(Incoming::Message(m)) => Some(m),
            Some(Incoming::Lost(n)) => {
                records.push(lost(n));
                None
            }
            None => None,
        })
    }

    /// The last poll handled a datagram (more may be waiting): the caller may gather more
    /// records before handing them on.
    pub fn received(&self) -> bool {
        self.received
    }

    fn receive(&mut self) -> Result<(), Error> {
        self.received = false;
        match self.socket.recv(&mut self.buf) {
            Ok(n) => {
                self.received = true;
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
        Ok(())
    }

    fn after_receive(&mut self) -> Result<(), Error> {
        let now = Instant::now();
        let tick = now >= self.next_tick;
        if tick {
            self.next_tick = now + TICK;
        }
        self.drive(tick);
        if now.saturating_duration_since(self.conn.last_heard) > self.opts.silence_timeout {
            return Err(Error::Silent);
        }
        Ok(())
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
                    let mut records = RecordBuf::new();
                    // Giving up already: what does not decode is left out, as lost.
                    if let Ok(Some(msg)) = ToClient::decode_into(&m, &mut records) {
                        out.push(Incoming::Message(msg));
                    }
                    for r in records.drain() {
                        out.push(Incoming::Message(ToClient::Record(Box::new(r))));
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

/// A message from the agent: anything that does not decode is a protocol violation.
fn decode(m: &[u8], records: &mut RecordBuf) -> Result<Option<ToClient>, Error> {
    ToClient::decode_into(m, records)
        .map_err(|e| Error::Protocol(format!("undecodable message: {e}")))
}

fn lost(n: u64) -> Record {
    Record::Lost(Lost {
        cpu: None,
        count: Some(n),
    })
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
