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
//! The cap works by not accepting: past `max_connections`, new connections wait in the
//! kernel's backlog until an open one finishes or times out. (Closing idle keep-alive
//! connections to make room was tried: clients reusing a connection as it closed lost their
//! request.) Only HTTP/1.x is served (every official SDK speaks it; an HTTP/2 connection
//! could idle forever between pings).

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

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
            // At the cap, it waits here (and later ones in the backlog) for a slot.
            let slot = match self.slots.clone().try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => {
                    let slot = self.runtime.block_on(self.slots.clone().acquire_owned());
                    slot.expect("the semaphore is never closed")
                }
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
        let conn = self.http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(self.router.clone()),
        );
        let mut stopping = self.stopping.subscribe();
        self.runtime.spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let finished = tokio::select! {
                r = conn.as_mut() => Some(r),
                _ = stopping.wait_for(|stop| *stop) => None,
            };
            // Shutting down: an idle connection closes now, a busy one after its answer
            // (hyper turns keep-alive off).
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
            drop(slot);
        });
        Ok(())
    }
}
