//! The accept loop: HTTP/1.1 connections with a header-read deadline, a cap on how many are
//! open at once, and graceful shutdown.
//!
//! Why not `axum::serve`: it sets no timer, so a client that sends nothing, half a request
//! line, or one header byte every few seconds (slowloris), or that idles after a keep-alive
//! response, holds its connection and task forever. hyper's `header_read_timeout` runs from
//! the moment the server waits for a request head — on a new connection and between
//! keep-alive requests alike — so it bounds all of these; a body that trickles in is bounded by
//! [`super::Settings::request_timeout`] in the handlers.
//!
//! The cap: at `max_connections`, a new connection first makes room by closing connections
//! that have sat idle between keep-alive requests for a while (answered at least once,
//! nothing in progress), longest-idle first — HTTP/1.1 always allows closing an idle keep-alive connection, and a
//! client that reuses it reconnects — then waits for a slot.
//! Without that, a crowd of idle keep-alive connections (pooled clients under overload) kept
//! new clients in the kernel's backlog, and once the backlog was full their SYNs were dropped:
//! seconds of retransmission instead of an answer or the signed overload refusal at once.
//! Connections in the middle of a request keep their slot. Only HTTP/1.x is served (every
//! official SDK speaks it; an HTTP/2 connection could idle forever between pings).

use std::collections::HashMap;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, Semaphore};
use tower::ServiceExt;

/// Limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_grace: Duration,
}

/// The listen backlog asked for (the kernel caps it at `net.core.somaxconn`); tokio's
/// default of 1,024 overflowed under the open-loop overload benchmark.
const LISTEN_BACKLOG: libc::c_int = 4096;

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and gives
/// open connections `shutdown_grace` to finish their requests.
///
/// Connections are accepted on a thread of their own, not on the runtime: when the workers
/// are busy signing, an accept task waited in their run queue while the kernel's backlog
/// overflowed and dropped SYNs (clients then retransmit after 1 s, 3 s, …). A blocked
/// `accept` is woken by the kernel as soon as a connection arrives.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let listener = listener.into_std()?;
    listener.set_nonblocking(false)?;
    widen_backlog(&listener);
    let wake_addr = loopback_of(listener.local_addr()?);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let cap = limits.max_connections.max(1);
    let acceptor = Acceptor {
        http,
        router,
        runtime: tokio::runtime::Handle::current(),
        slots: Arc::new(Semaphore::new(cap)),
        cap,
        open: Arc::new(OpenConnections::default()),
        stopping: watch::channel(false).0,
        stop: AtomicBool::new(false),
    };
    let acceptor = Arc::new(acceptor);
    let accepting = {
        let acceptor = acceptor.clone();
        std::thread::Builder::new()
            .name("zhima-accept".into())
            .spawn(move || acceptor.run(&listener))?
    };
    // Also when this future is dropped instead of reaching its end: the thread holds the
    // listener.
    let stop = StopAccepting {
        acceptor: acceptor.clone(),
        wake_addr,
    };
    shutdown.await;
    tracing::info!("shutting down: no new connections, finishing in-flight requests");
    stop.signal();
    let all_closed = async {
        let _ = tokio::task::spawn_blocking(move || accepting.join()).await;
        let _ = acceptor
            .slots
            .acquire_many(u32::try_from(cap).unwrap_or(u32::MAX))
            .await;
    };
    tokio::select! {
        () = all_closed => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                grace_secs = limits.shutdown_grace.as_secs_f64(),
                "in-flight requests did not finish in time; closing"
            );
        }
    }
    Ok(())
}

/// Stops the accept thread: sets `stop`, tells connections to close once idle, and wakes the
/// thread out of `accept` by connecting (it sees `stop` and drops that connection).
struct StopAccepting {
    acceptor: Arc<Acceptor>,
    wake_addr: SocketAddr,
}

impl StopAccepting {
    fn signal(&self) {
        if self.acceptor.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        self.acceptor.stopping.send_replace(true);
        // Loopback: answered by the kernel at once, whatever the accept thread is doing.
        let _ = std::net::TcpStream::connect_timeout(&self.wake_addr, Duration::from_secs(1));
    }
}

impl Drop for StopAccepting {
    fn drop(&mut self) {
        self.signal();
    }
}

/// Asks for a [`LISTEN_BACKLOG`]-deep accept queue (`listen` again on a listening socket only
/// changes its backlog).
fn widen_backlog(listener: &std::net::TcpListener) {
    use std::os::fd::AsRawFd;
    // SAFETY: `listen` on a valid socket descriptor we own; no memory is passed.
    if unsafe { libc::listen(listener.as_raw_fd(), LISTEN_BACKLOG) } != 0 {
        tracing::warn!(error = %std::io::Error::last_os_error(), "cannot widen the listen backlog");
    }
}

/// Where to connect to reach a listener bound to `addr` (an unspecified address is reached
/// on loopback).
fn loopback_of(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

/// The accept thread's state, shared with the connections it starts.
struct Acceptor {
    http: hyper::server::conn::http1::Builder,
    router: Router,
    runtime: tokio::runtime::Handle,
    slots: Arc<Semaphore>,
    cap: usize,
    open: Arc<OpenConnections>,
    /// Set at shutdown: connections close once idle.
    stopping: watch::Sender<bool>,
    /// Set at shutdown: the accept thread stops.
    stop: AtomicBool,
}

impl Acceptor {
    fn run(&self, listener: &std::net::TcpListener) {
        loop {
            let accepted = listener.accept();
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; the listener survives.
                    tracing::warn!(error = %e, "accept failed");
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            // Someone is waiting: make room at the cap, then take the first slot given back.
            let slot = match self.slots.clone().try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => self.runtime.block_on(async {
                    loop {
                        self.open.shed_idle(shed_batch(self.cap));
                        let next = self.slots.clone().acquire_owned();
                        if let Ok(slot) = tokio::time::timeout(SHED_RETRY, next).await {
                            break slot.expect("the semaphore is never closed");
                        }
                    }
                }),
            };
            if let Err(e) = self.start(stream, slot) {
                tracing::debug!(error = %e, "cannot serve an accepted connection");
            }
        }
    }

    /// Serves one accepted connection on the runtime; `slot` is given back when it closes.
    fn start(
        &self,
        stream: std::net::TcpStream,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> std::io::Result<()> {
        stream.set_nonblocking(true)?;
        let _ = stream.set_nodelay(true);
        let _runtime = self.runtime.enter();
        let stream = tokio::net::TcpStream::from_std(stream)?;
        let (id, state) = self.open.add();
        let service = {
            let (router, state, open) = (self.router.clone(), state.clone(), self.open.clone());
            tower::service_fn(move |req: axum::extract::Request<hyper::body::Incoming>| {
                let (router, state, open) = (router.clone(), state.clone(), open.clone());
                state.in_request.fetch_add(1, Ordering::Relaxed);
                async move {
                    let answer = router.oneshot(req.map(axum::body::Body::new)).await;
                    state.idle_since_ms.store(open.now_ms(), Ordering::Relaxed);
                    state.served.store(true, Ordering::Relaxed);
                    state.in_request.fetch_sub(1, Ordering::Relaxed);
                    answer
                }
            })
        };
        let conn = self
            .http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let (open, mut stopping) = (self.open.clone(), self.stopping.subscribe());
        self.runtime.spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let finished = tokio::select! {
                r = conn.as_mut() => Some(r),
                () = state.shed.notified() => None,
                _ = stopping.wait_for(|stop| *stop) => None,
            };
            // Shed or shutting down: an idle connection closes now, a busy one after its
            // answer (hyper turns keep-alive off).
            let finished = match finished {
                Some(r) => r,
                None => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = finished {
                // Timeouts, resets and malformed heads are the client's business.
                tracing::debug!(error = ?e, "connection closed with an error");
            }
            open.remove(id);
            drop(slot);
        });
        Ok(())
    }
}

/// How long a connection must have been idle before it is closed to make room: a client that
/// is about to reuse a connection it just used would otherwise race the close (a request sent
/// as the server closes gets no answer); a connection idle this long is a pool's surplus.
const SHED_AFTER_IDLE_MS: u64 = 250;
/// How often a new connection waiting at the cap looks again for connections to close.
const SHED_RETRY: Duration = Duration::from_millis(50);

/// How many idle connections one full-cap moment closes: enough that a burst of new clients
/// gets in without a shed per accept, few enough to leave most pooled clients alone.
fn shed_batch(cap: usize) -> usize {
    (cap / 16).max(1)
}

/// One open connection, as the accept loop sees it.
#[derive(Default)]
struct ConnectionState {
    /// Requests being answered (0 or 1 on HTTP/1.1).
    in_request: AtomicUsize,
    /// Whether it has been answered at least once: only such a connection is "idle between
    /// keep-alive requests" when `in_request` is 0. A new one may have sent a request the
    /// runtime has not read yet; it is bounded by the header-read timeout instead.
    served: AtomicBool,
    /// When the connection last finished an answer (or opened), in ms since `OpenConnections::epoch`.
    idle_since_ms: AtomicU64,
    /// Asks the connection to close once idle.
    shed: Notify,
}

/// Every open connection, so that the longest-idle ones can be closed at the cap.
struct OpenConnections {
    epoch: Instant,
    next_id: AtomicU64,
    by_id: Mutex<HashMap<u64, Arc<ConnectionState>>>,
}

impl Default for OpenConnections {
    fn default() -> Self {
        OpenConnections {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            by_id: Mutex::new(HashMap::new()),
        }
    }
}

impl OpenConnections {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn add(&self) -> (u64, Arc<ConnectionState>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnectionState {
            idle_since_ms: AtomicU64::new(self.now_ms()),
            ..ConnectionState::default()
        });
        self.lock().insert(id, state.clone());
        (id, state)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Asks up to `n` connections that have been idle between keep-alive requests for
    /// [`SHED_AFTER_IDLE_MS`] to close, longest-idle first.
    fn shed_idle(&self, n: usize) {
        let idle_before = self.now_ms().saturating_sub(SHED_AFTER_IDLE_MS);
        let mut idle: Vec<(u64, Arc<ConnectionState>)> = self
            .lock()
            .values()
            .filter(|c| {
                c.served.load(Ordering::Relaxed)
                    && c.in_request.load(Ordering::Relaxed) == 0
                    && c.idle_since_ms.load(Ordering::Relaxed) <= idle_before
            })
            .map(|c| (c.idle_since_ms.load(Ordering::Relaxed), c.clone()))
            .collect();
        idle.sort_unstable_by_key(|(since, _)| *since);
        for (_, c) in idle.into_iter().take(n) {
            c.shed.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnectionState>>> {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner())
    }
}
