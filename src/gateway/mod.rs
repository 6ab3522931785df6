//! The client socket: twilsock v3, the WebSocket protocol Twilio's client SDKs (twilio-chat,
//! conversations, twilio-sync) speak, served at `/v3/wsconnect` (Twilio's own path).
//!
//! This layer parses frames and routes them; it holds no business rules:
//! - [`frame`]: the wire codec, strict and bounded.
//! - [`protocol`]: the frames and transport statuses this server sends.
//! - `session`: one socket's state machine (`init`, `update`, `ping`, `close`, `message`).
//! - [`tunnel`]: tunnelled HTTP requests and the routing table later slices extend.
//! - [`aim`]: the chat API's tunnelled routes: the configuration document, and the reads and
//!   commands behind its links.
//! - [`sync`]: the Sync objects the SDKs read their live state from.
//! - [`ers`]: push registrations, which become the user's push bindings.
//!
//! Bounds, each documented where it is set: [`frame::MAX_FRAME_BYTES`] per frame,
//! [`GatewaySettings`] for the `init` deadline, the ping policy, the outbound queue, the write
//! timeout and the tunnelled requests in flight; every socket holds one of the
//! `--max-connections` permits for as long as it is open.

pub mod aim;
pub mod ers;
pub mod frame;
pub mod protocol;
mod session;
pub mod sync;
pub mod tunnel;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;

use crate::conn::ConnectionHold;
use crate::http::extract::BaseUrl;
use crate::http::{ApiError, AppState};

/// Timers and queue bounds of client sockets.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// How long a new socket has to send `init` before it is closed (WebSocket close 1008).
    pub init_timeout: Duration,
    /// How often the server sends `ping`; a socket that leaves two consecutive pings
    /// unanswered is closed.
    pub ping_interval: Duration,
    /// Frames queued for one socket. A client that stops reading fills it, and is then
    /// disconnected rather than allowed to hold memory.
    pub outbound_queue: usize,
    /// Longest a single frame may take to be written to the socket; past it the client is
    /// considered gone.
    pub write_timeout: Duration,
    /// Tunnelled requests one socket may have in flight; beyond this the server stops reading
    /// from it until one completes.
    pub max_in_flight: usize,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            // Twilio's Kotlin client allows its own init 2 s; a browser on a slow link needs
            // the TLS handshake plus one frame. 10 s is the header-read timeout's value too.
            init_timeout: Duration::from_secs(10),
            // The Kotlin client reconnects after 45 s without a frame: 30 s keeps it alive.
            ping_interval: Duration::from_secs(30),
            // Replies and, later, notifications; 256 frames of typical size are well under
            // 1 MiB, and a client that reads at all drains them in milliseconds.
            outbound_queue: 256,
            write_timeout: Duration::from_secs(10),
            max_in_flight: 32,
        }
    }
}

/// What every socket shares: settings, the routing table and the shutdown signal.
#[derive(Clone)]
pub struct Gateway(Arc<Inner>);

struct Inner {
    settings: GatewaySettings,
    routes: tunnel::Routes,
    stop: watch::Receiver<bool>,
}

impl Gateway {
    /// A gateway with `settings`; sockets are asked to reconnect elsewhere (a `close` 308)
    /// once `stop` turns true or its sender is dropped.
    #[must_use]
    pub fn new(settings: GatewaySettings, stop: watch::Receiver<bool>) -> Self {
        let routes = ers::routes(sync::routes(aim::routes(tunnel::Routes::new())));
        Self(Arc::new(Inner { settings, routes, stop }))
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &GatewaySettings {
        &self.0.settings
    }

    fn routes(&self) -> &tunnel::Routes {
        &self.0.routes
    }

    fn stop(&self) -> watch::Receiver<bool> {
        self.0.stop.clone()
    }
}

/// Initial read buffer of one socket.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// The socket's route.
pub fn router() -> Router<AppState> {
    Router::new().route("/v3/wsconnect", get(connect))
}

/// `GET /v3/wsconnect`
///
/// `101` and a twilsock v3 session; `400` / 20001 for a request that is not a WebSocket
/// upgrade. The Access Token arrives in the first frame, not in the request.
async fn connect(
    State(app): State<AppState>,
    BaseUrl(base_url): BaseUrl,
    hold: Option<Extension<ConnectionHold>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        let e = ApiError::new(StatusCode::BAD_REQUEST, 20001, "This URL expects a WebSocket upgrade");
        return e.into_response();
    };
    let start = session::Start {
        chat: app.chat.clone(),
        base_url,
        gateway: app.gateway.clone(),
        hold: hold.map(|Extension(h)| h),
    };
    // Frames above the limit are refused by the codec with a twilsock `close` 406; the
    // WebSocket layer's own limit is looser (4×) so that such frames still reach it, and
    // only bounds memory against larger ones.
    let limit = frame::MAX_FRAME_BYTES * 4;
    // Sockets are many and mostly idle: a small read buffer (it grows while a large frame
    // arrives) instead of WebSocket's default 128 KiB, and every frame written at once (the
    // writer flushes each one anyway).
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| session::run(socket, start))
}
