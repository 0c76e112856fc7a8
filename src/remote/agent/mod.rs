//! `lktrace agent`: one UDP socket, one thread reading it, one thread per run.
//!
//! The socket thread owns the session table and does everything an unauthenticated datagram
//! can reach: header decode, Hello → Cookie (stateless, rate-limited, never larger than the
//! Hello), Auth (cookie, then a token, then the Noise handshake), and routing Data to its
//! session. A run thread calls
//! [`crate::tools::run`] with a sink that streams records back; when the client is slow the
//! sink blocks (backpressure) instead of dropping. Leases, retransmission and heartbeats are
//! driven from the socket thread's tick.
//!
//! Limits: sessions in total and per IP, runs at once, bytes buffered per session (receive
//! buffer and send queue), Hello and Auth rates per address prefix and in total. Work an
//! unauthenticated datagram can cause is ordered by cost: exact sizes and the version (free),
//! the cookie's MAC (one HMAC), a token, and only then the Noise handshake (X25519).

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::crypto::Key;
use super::front::{self, AuthCheck, FrontDoor, Rates};
use super::handshake;
use super::msg::{AgentInfo, Outcome, Refusal, ToAgent, ToClient};
use super::reliable::{Conn, ConnLimits, Delivery, Dropped, Role};
use super::wire::{Header, Kind, RefuseReason, MAX_DATAGRAM};
use crate::tracefs::stop::StopFlag;

mod options;
mod run;

pub use options::{serve, AgentOptions, Runner, Stats};

/// How often the socket thread wakes without traffic: retransmits, acks, leases.
const TICK: Duration = Duration::from_millis(5);
/// Bytes a run may queue before its sink blocks (plus the in-flight window).
const SEND_QUEUE_LIMIT: usize = 256 * 1024;
/// A client's messages are a Spec, Stops and Pings: small. Counted as memory (fragment and
/// message overhead included), so this is what a session's receive side can cost.
const RECEIVE_BUFFER: usize = 64 * 1024;
/// Client messages held incomplete at once: a Start, a few Stops and Pings.
const MAX_PARTIAL: usize = 32;
const HEARTBEAT: Duration = Duration::from_secs(1);
/// A client sends its first Data (a Start, a Ping, or at least a heartbeat) at once after
/// the Accept; a handshake nobody follows up is dropped after this long.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunState {
    None,
    Running,
    Finished,
}

/// Why a session ended, for the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndReason {
    ClientClosed,
    LeaseExpired,
    Shutdown,
    Violation,
    Unconfirmed,
}

struct SessionState {
    conn: Conn,
    run: RunState,
    run_stop: StopFlag,
    stops: u32,
    /// Set when the session is over: a blocked sink returns Closed.
    ended: Option<EndReason>,
    /// The client sent a Data datagram that opened under the session's keys. Until then the
    /// session is only a handshake answered (a replayed Auth gets this far and no further),
    /// and it is forgotten after [`CONFIRM_TIMEOUT`].
    confirmed: bool,
    opened: Instant,
    /// A sink waits on `cv` for the queue to drain: only then do acks need to wake it (a wake
    /// is a syscall, and acks come thousands of times a second).
    sink_waiting: bool,
}

struct Session {
    peer: SocketAddr,
    /// The handshake that opened it (the client's ephemeral key), and the Accept we sent: a
    /// resent Auth of that handshake gets the same Accept again, never a second session.
    client_ephemeral: [u8; 32],
    accept: Vec<u8>,
    /// The Records message the run's sink is filling. Locked before `state` whenever both
    /// are held (the sink sending a full batch), so batches enter the queue in order; the
    /// socket thread only ever try-locks it (a sink blocked on backpressure holds it).
    batch: Mutex<run::Batch>,
    state: Mutex<SessionState>,
    cv: Condvar,
    socket: Arc<UdpSocket>,
}

fn lock(m: &Mutex<SessionState>) -> MutexGuard<'_, SessionState> {
    // A panic while holding the lock (a bug) must not take the agent down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Session {
    fn sender(&self) -> impl FnMut(&[u8]) + '_ {
        move |d: &[u8]| {
            // A send error (buffer full, network down) is a lost datagram: resent later.
            let _ = self.socket.send_to(d, self.peer);
        }
    }
}

pub struct Agent {
    socket: Arc<UdpSocket>,
    opts: AgentOptions,
    front: FrontDoor,
    sessions: HashMap<u64, Arc<Session>>,
    /// Client ephemeral key → the session its handshake opened (live sessions only).
    handshakes: HashMap<[u8; 32], u64>,
    runs: Vec<JoinHandle<()>>,
    stats: Arc<Stats>,
    info: AgentInfo,
}

impl Agent {
    /// Binds the socket. Port 0 picks a free one: see [`Agent::local_addr`].
    pub fn bind(addr: SocketAddr, key: Key, opts: AgentOptions) -> crate::Result<Agent> {
        let sock = |op, source| super::Error::Socket { op, source }.into_crate("agent");
        let socket = UdpSocket::bind(addr).map_err(|e| sock("bind", e))?;
        socket
            .set_read_timeout(Some(TICK))
            .map_err(|e| sock("set timeout", e))?;
        let rates = Rates {
            hello: opts.hello_rate,
            hello_per_prefix: opts.hello_rate_per_prefix,
            auth: opts.auth_rate,
            auth_per_prefix: opts.auth_rate_per_prefix,
        };
        Ok(Agent {
            socket: Arc::new(socket),
            front: FrontDoor::new(key, rates, Instant::now()).map_err(|e| e.into_crate("agent"))?,
            opts,
            sessions: HashMap::new(),
            handshakes: HashMap::new(),
            runs: Vec::new(),
            stats: Arc::new(Stats::default()),
            info: AgentInfo {
                version: env!("CARGO_PKG_VERSION").to_string(),
                kernel: crate::tracefs::features::kernel_release(),
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        // The socket is bound; local_addr fails only on a closed socket, which this is not.
        self.socket
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Serves until `stop` is set; then stops every run, gives their final records a grace
    /// period to reach the clients, and waits for every run's teardown.
    pub fn run(mut self, stop: StopFlag) -> crate::Result<()> {
        let mut buf = vec![0u8; MAX_DATAGRAM + 1];
        let mut next_tick = Instant::now();
        let mut shutdown: Option<Instant> = None;
        let mut hurried = false;
        loop {
            if stop.is_set() && shutdown.is_none() {
                shutdown = Some(Instant::now() + self.opts.grace);
                self.stop_all(&stop);
            }
            if let Some(deadline) = shutdown {
                let quiet = self.stats.runs_active.load(Ordering::SeqCst) == 0
                    && self
                        .sessions
                        .values()
                        .all(|s| lock(&s.state).conn.tx.idle());
                if quiet || Instant::now() >= deadline {
                    break;
                }
                if stop.hurry() && !hurried {
                    hurried = true;
                    self.stop_all(&stop);
                }
            }
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => self.handle(&buf[..n], from, shutdown.is_some()),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                // ICMP errors surface here on some systems (ConnectionReset on Windows): they
                // concern one peer, never the socket.
                Err(_) => {}
            }
            let now = Instant::now();
            if now >= next_tick {
                self.tick(now);
                next_tick = now + TICK;
            }
        }
        // End every session so blocked sinks return, then wait for every run's teardown.
        for s in self.sessions.values() {
            let mut st = lock(&s.state);
            st.ended.get_or_insert(EndReason::Shutdown);
            st.run_stop.request();
            st.conn.send_close(&mut s.sender());
            s.cv.notify_all();
        }
        for h in self.runs.drain(..) {
            let _ = h.join();
        }
        Ok(())
    }

    fn stop_all(&self, stop: &StopFlag) {
        for s in self.sessions.values() {
            let st = lock(&s.state);
            st.run_stop.request();
            if stop.hurry() {
                st.run_stop.request();
            }
        }
    }

    fn handle(&mut self, d: &[u8], from: SocketAddr, shutting_down: bool) {
        self.stats.datagrams_in.fetch_add(1, Ordering::Relaxed);
        // One decode attempt; anything malformed is dropped without an answer.
        let Ok((h, _)) = Header::decode(d) else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let now = Instant::now();
        match h.kind {
            Kind::Hello if !shutting_down => match self.front.hello(&h, d, from, now) {
                Some(r) => {
                    let _ = self.socket.send_to(&r, from);
                }
                None => self.drop_one(),
            },
            Kind::Auth => self.on_auth(&h, d, from, now, shutting_down),
            Kind::Data => self.on_data(&h, d, from, now, shutting_down),
            _ => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn drop_one(&self) {
        self.stats.dropped.fetch_add(1, Ordering::Relaxed);
    }

    fn refuse(&self, from: SocketAddr, reason: RefuseReason) {
        self.stats.refused.fetch_add(1, Ordering::Relaxed);
        // 25 bytes in answer to 112, to an address the cookie proved: no amplification.
        let _ = self.socket.send_to(&handshake::refused(reason), from);
    }

    fn on_auth(
        &mut self,
        h: &Header,
        d: &[u8],
        from: SocketAddr,
        now: Instant,
        shutting_down: bool,
    ) {
        // Size, version and cookie first: junk costs at most one HMAC and spends no token.
        let auth = match self.front.auth(h, d, from, now) {
            AuthCheck::Drop => return self.drop_one(),
            AuthCheck::Refuse(reason) => return self.refuse(from, reason),
            AuthCheck::Proceed(auth) => auth,
        };
        let e = auth.client_ephemeral();
        if let Some(s) = self.handshakes.get(&e).and_then(|id| self.sessions.get(id)) {
            // A resent Auth (our Accept was lost): the same Accept again, never a new session.
            if s.peer == from {
                let _ = self.socket.send_to(&s.accept, from);
            } else {
                self.drop_one();
            }
            return;
        }
        if shutting_down {
            self.refuse(from, RefuseReason::ShuttingDown);
            return;
        }
        let per_ip = self
            .sessions
            .values()
            .filter(|s| s.peer.ip() == from.ip())
            .count();
        if self.sessions.len() >= self.opts.max_sessions {
            self.log(&format!("{from}: refused a session: too many sessions"));
            self.refuse(from, RefuseReason::Full);
            return;
        }
        if per_ip >= self.opts.max_sessions_per_ip {
            self.log(&format!(
                "{from}: refused a session: too many from this address"
            ));
            self.refuse(from, RefuseReason::PerAddress);
            return;
        }
        let Some(id) = front::new_session_id(|id| self.sessions.contains_key(&id)) else {
            self.drop_one();
            return;
        };
        let Some(acc) = self.front.accept(&auth, id) else {
            // Not our key (or a tampered message): silence.
            self.drop_one();
            return;
        };
        let limits = ConnLimits {
            max_buffered: RECEIVE_BUFFER,
            max_partial: MAX_PARTIAL,
            heartbeat: HEARTBEAT,
            abandon_after: self.opts.lease,
        };
        let conn = Conn::new(Role::Agent, &acc.keys, limits, now);
        let s = Arc::new(Session {
            peer: from,
            client_ephemeral: e,
            accept: acc.reply,
            batch: Mutex::new(run::Batch::default()),
            state: Mutex::new(SessionState {
                conn,
                run: RunState::None,
                run_stop: StopFlag::new(),
                stops: 0,
                ended: None,
                confirmed: false,
                opened: now,
                sink_waiting: false,
            }),
            cv: Condvar::new(),
            socket: Arc::clone(&self.socket),
        });
        let _ = self.socket.send_to(&s.accept, from);
        self.stats.handshakes.fetch_add(1, Ordering::Relaxed);
        self.handshakes.insert(e, id);
        self.sessions.insert(id, s);
        self.stats
            .sessions_live
            .store(self.sessions.len(), Ordering::Relaxed);
    }

    fn on_data(
        &mut self,
        h: &Header,
        d: &[u8],
        from: SocketAddr,
        now: Instant,
        shutting_down: bool,
    ) {
        let Some(s) = self.sessions.get(&h.session).cloned() else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if s.peer != from {
            // Sessions are bound to the address that authenticated: no answer elsewhere.
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut st = lock(&s.state);
        match st.conn.receive(h, d, now) {
            Ok(()) if !st.confirmed => {
                st.confirmed = true;
                self.stats.sessions_opened.fetch_add(1, Ordering::Relaxed);
            }
            Ok(()) => {}
            Err(Dropped::Violation(why)) => {
                self.log(&format!("{from}: ending session: {why}"));
                st.ended.get_or_insert(EndReason::Violation);
                st.run_stop.request();
                s.cv.notify_all();
                return;
            }
            Err(_) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        while let Some(del) = st.conn.rx.pop() {
            let Delivery::Message(m) = del else { continue };
            match ToAgent::receive(&m) {
                Some(Err(refusal)) => {
                    // A Start we will not run (no such tool, a Spec refused): say why, once.
                    if st.run != RunState::None {
                        continue;
                    }
                    st.run = RunState::Finished;
                    let message = refusal.message(&self.info.version);
                    self.log(&format!("{from}: refused: {message}"));
                    let hint = match refusal {
                        Refusal::NoTool(_) => {
                            Some("run the same lktrace version on both sides".to_string())
                        }
                        Refusal::LocalOnly(_) | Refusal::BadSpec { .. } => None,
                    };
                    let done = ToClient::Done(Outcome::Error {
                        message,
                        hint,
                        detail: None,
                    });
                    let _ = st.conn.tx.push(done.encode(), true, now);
                }
                Some(Ok(ToAgent::Start(spec))) => {
                    // Only the first Start of a session runs: a repeated request is a no-op.
                    if st.run != RunState::None {
                        continue;
                    }
                    st.run = RunState::Finished;
                    let refuse = if shutting_down {
                        Some("the agent is shutting down".to_string())
                    } else if self.stats.runs_active.load(Ordering::SeqCst) >= self.opts.max_runs {
                        Some(format!(
                            "the agent is busy: {} runs already (--max-runs)",
                            self.opts.max_runs
                        ))
                    } else {
                        None
                    };
                    match refuse {
                        Some(message) => {
                            self.log(&format!("{from}: refused {}: {message}", spec.describe()));
                            let done = ToClient::Done(Outcome::Error {
                                message,
                                hint: Some("try again later".into()),
                                detail: None,
                            });
                            let _ = st.conn.tx.push(done.encode(), true, now);
                        }
                        None => {
                            st.run = RunState::Running;
                            self.spawn_run(&s, *spec, st.run_stop.clone());
                        }
                    }
                }
                Some(Ok(ToAgent::Stop)) => {
                    st.stops += 1;
                    st.run_stop.request();
                }
                Some(Ok(ToAgent::Ping)) => {
                    // A client that pings without reading the answers must not grow our queue.
                    if st.conn.tx.queued_bytes() < SEND_QUEUE_LIMIT {
                        let pong = ToClient::Pong(self.info.clone()).encode();
                        let _ = st.conn.tx.push(pong, true, now);
                    }
                }
                None => {
                    self.log(&format!("{from}: ending session: undecodable message"));
                    st.ended.get_or_insert(EndReason::Violation);
                    st.run_stop.request();
                    s.cv.notify_all();
                    return;
                }
            }
        }
        if st.conn.peer_closed {
            st.ended.get_or_insert(EndReason::ClientClosed);
            st.run_stop.request();
        }
        st.conn.drive(now, false, &mut s.sender());
        // Acks may have opened the window for a blocked sink.
        if st.sink_waiting {
            s.cv.notify_all();
        }
    }

    fn tick(&mut self, now: Instant) {
        let lease = self.opts.lease;
        let mut remove = Vec::new();
        for (id, s) in &self.sessions {
            // A batch a quiet tool left unsent goes out within a tick or two.
            s.linger(now);
            let mut st = lock(&s.state);
            let unconfirmed =
                !st.confirmed && now.saturating_duration_since(st.opened) > CONFIRM_TIMEOUT;
            if st.ended.is_none() && unconfirmed {
                st.ended = Some(EndReason::Unconfirmed);
            }
            if st.ended.is_none() && now.saturating_duration_since(st.conn.last_heard) > lease {
                st.ended = Some(EndReason::LeaseExpired);
                st.run_stop.request();
                // A second request: nobody is waiting for a graceful end.
                st.run_stop.request();
                s.cv.notify_all();
            }
            if st.ended.is_some() {
                if st.run != RunState::Running {
                    remove.push(*id);
                }
                continue;
            }
            st.conn.drive(now, true, &mut s.sender());
            if st.sink_waiting {
                s.cv.notify_all();
            }
        }
        for id in remove {
            if let Some(s) = self.sessions.remove(&id) {
                self.handshakes.remove(&s.client_ephemeral);
            }
        }
        self.stats
            .sessions_live
            .store(self.sessions.len(), Ordering::Relaxed);
        // Reap finished run threads so the list stays bounded.
        let (done, running): (Vec<_>, Vec<_>) = self.runs.drain(..).partition(|h| h.is_finished());
        self.runs = running;
        for h in done {
            let _ = h.join();
        }
    }

    fn log(&self, line: &str) {
        if self.opts.log {
            eprintln!(
                "{}",
                crate::output::escape::message_line(&format!("lktrace agent: {line}"))
            );
        }
    }
}
