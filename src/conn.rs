//! Connections: HTTP/1.1 over plain TCP or TLS, with a header-read timeout and a connection cap.
//!
//! One accept loop serves both, with hyper's HTTP/1 connection and a graceful
//! shutdown:
//! - **HTTP/1.1 only**, straight into hyper's HTTP/1 connection. (hyper-util's auto builder,
//!   which axum's and axum-server's serve functions use, first waits for the client's first
//!   bytes to tell HTTP/1 from HTTP/2, with no timeout: a connection that never sends anything
//!   would be kept forever.) TLS offers only `http/1.1` in ALPN.
//! - **Header-read timeout** (hyper's `header_read_timeout`). The clock starts when the
//!   connection is ready for a request: at accept (after the TLS handshake), and again as soon
//!   as the previous response is written (hyper 1 arms the timer when a keep-alive connection
//!   goes idle). A request whose headers are not complete by then closes the connection, so
//!   the same setting ends slow-header ("slowloris") connections and idle keep-alive ones.
//! - **TLS handshake timeout**: the same duration.
//! - **Connection cap.** The loop takes a permit from a semaphore *before* it accepts, and the
//!   connection keeps it until it is closed. While none is free nothing is accepted: further
//!   clients queue in the kernel's listen backlog instead of using file descriptors, and the
//!   connections already open keep being served.
//!
//! - **Upgrades** (the client SDK socket, [`crate::gateway`]): an upgraded connection leaves
//!   hyper, so the header-read timeout no longer applies to it (the socket has its own `init`
//!   deadline and ping policy). It keeps its permit: every request carries a
//!   [`ConnectionHold`], and a WebSocket keeps it until the socket ends.
//!
//! The body-read deadline is applied where bodies are read ([`crate::http::extract::Form`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower_service::Service;

/// How long connections get to finish their requests after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Descriptors kept free for everything that is not a client connection: the listener,
/// SQLite's files (a read connection per worker thread), PostgreSQL and webhook connections,
/// logs. Connections beyond the limit minus this would make those fail instead.
pub const FD_RESERVE: u64 = 128;

/// A share of a connection's `--max-connections` permit, put into every request's extensions:
/// the permit is released when the connection and every holder are gone, so an upgraded
/// socket that keeps one stays counted after hyper has let go of the connection.
#[derive(Clone)]
pub struct ConnectionHold(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

/// Connection-level limits, shared by the plain-HTTP and the TLS path.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time allowed for a request's headers, counted from accept or from the end of the
    /// previous response; hence also the keep-alive idle timeout and the TLS handshake timeout.
    pub header_read_timeout: Duration,
    /// Most client connections open at once.
    pub max_connections: usize,
}

/// Raises the soft limit on open files to the hard limit (many systems start processes with a
/// soft limit of 1024 or less, far below what the kernel allows them).
pub fn raise_fd_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current < limit.maximum {
            let raised = rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::debug!(error = %e, "cannot raise the open-file limit");
            }
        }
    }
}

/// The current soft limit on open files, when the platform has one.
#[must_use]
pub fn fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `wanted`, lowered so that the connections fit under the open-file limit with
/// [`FD_RESERVE`] descriptors to spare (at least 16 connections either way).
#[must_use]
pub fn clamp_connections(wanted: usize, fd_limit: Option<u64>) -> usize {
    let Some(limit) = fd_limit else {
        return wanted.max(1);
    };
    let room = usize::try_from(limit.saturating_sub(FD_RESERVE).max(16)).unwrap_or(usize::MAX);
    wanted.clamp(1, room)
}

/// Serves `app` on `listener` until `shutdown` completes, over TLS when `tls` is given (its
/// ALPN is replaced by `http/1.1`). Then stops accepting, lets open connections finish their
/// requests for up to [`SHUTDOWN_GRACE`], and returns.
///
/// # Errors
/// When the listener cannot be registered with the runtime.
pub async fn serve(
    listener: std::net::TcpListener,
    app: axum::Router,
    tls: Option<rustls::ServerConfig>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    let tls = tls.map(|mut config| {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let http = Arc::new(http);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    // Graceful shutdown: every connection task holds a receiver; the sender signals the stop
    // and then waits until every receiver is gone. (hyper-util's `GracefulShutdown` does the
    // same, but does not accept connections that may upgrade.)
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (permit, stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &permits) => match accepted {
                Some(accepted) => accepted,
                None => break,
            },
        };
        let Ok(service) = make_service.call(peer).await;
        let service = TowerToHyperService::new(service);
        let hold = ConnectionHold(Arc::new(permit));
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(hold.clone());
            hyper::service::Service::call(&service, req)
        });
        let (http, tls, stop) = (Arc::clone(&http), tls.clone(), stop_rx.clone());
        let handshake_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let served = match tls {
                None => {
                    drive(
                        http.serve_connection(TokioIo::new(stream), service).with_upgrades(),
                        stop,
                    )
                    .await
                }
                Some(tls) => match tokio::time::timeout(handshake_timeout, tls.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        drive(
                            http.serve_connection(TokioIo::new(stream), service).with_upgrades(),
                            stop,
                        )
                        .await
                    }
                    Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
                },
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    if tokio::time::timeout(SHUTDOWN_GRACE, stop_tx.closed()).await.is_err() {
        tracing::warn!("connections still open {SHUTDOWN_GRACE:?} after shutdown began");
    }
    Ok(())
}

/// Serves one connection (which may upgrade) until it ends. Once `stop` fires, the request in
/// progress is finished and the connection closed; a connection that already upgraded has
/// left hyper, and its socket learns of the shutdown on its own.
async fn drive<I, S, B>(
    conn: http1::UpgradeableConnection<I, S>,
    mut stop: watch::Receiver<()>,
) -> Result<(), hyper::Error>
where
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        served = conn.as_mut() => return served,
        _ = stop.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    conn.await
}

/// Waits for a free permit, then for a connection. Accept errors (such as running out of file
/// descriptors) are retried after a pause; `None` only if the semaphore was closed.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(OwnedSemaphorePermit, TcpStream, SocketAddr)> {
    let permit = Arc::clone(permits).acquire_owned().await.ok()?;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => return Some((permit, stream, peer)),
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_under_the_descriptor_limit() {
        assert_eq!(clamp_connections(1024, Some(1_048_576)), 1024);
        assert_eq!(clamp_connections(1024, Some(1024)), 1024 - 128);
        assert_eq!(clamp_connections(1024, Some(256)), 128);
        assert_eq!(clamp_connections(1024, Some(20)), 16);
        assert_eq!(clamp_connections(1024, None), 1024);
        assert_eq!(clamp_connections(0, None), 1);
    }
}
