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
//! kernel's backlog until an open one finishes or times out. Only HTTP/1.x is served (every
//! official SDK speaks it; an HTTP/2 connection could idle forever between pings).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and gives
/// open connections `shutdown_grace` to finish their requests.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let service = TowerToHyperService::new(router);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; the listener survives.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = http.serve_connection(TokioIo::new(stream), service.clone());
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts, resets and malformed heads are the client's business.
                tracing::debug!(error = ?e, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                grace_secs = limits.shutdown_grace.as_secs_f64(),
                "in-flight requests did not finish in time; closing"
            );
        }
    }
    Ok(())
}
