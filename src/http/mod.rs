//! The HTTP surface: one router per resource file, thin handlers, Twilio's wire conventions.

mod bindings;
mod channel_webhooks;
mod channels;
mod conversations;
mod credentials;
pub mod error;
pub mod extract;
mod invites;
mod media;
mod members;
mod messages;
pub mod page;
mod roles;
mod services;
pub mod throttle;
mod user_channels;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use error::ApiError;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;

use crate::chat::Chat;
use crate::webhooks::Metrics;

/// What every handler can reach: cloned for every request, so it is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps what the handlers share.
    #[must_use]
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The contents of [`AppState`].
pub struct Shared {
    /// The domain.
    pub chat: Chat,
    /// `--public-url`, without a trailing slash, when configured.
    pub public_url: Option<String>,
    /// Whether this server terminates TLS itself (for URLs built from `Host`).
    pub tls: bool,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Longest a request body may take to arrive once the handler reads it.
    pub body_read_timeout: std::time::Duration,
    /// Failed-authentication counts per client address and per SID.
    pub throttle: throttle::AuthThrottle,
    /// Webhook delivery counters (for `/metrics`).
    pub metrics: Arc<Metrics>,
    /// The client SDK socket's settings, routes and shutdown signal.
    pub gateway: crate::gateway::Gateway,
    /// Limits of the Media Content Service.
    pub media: MediaSettings,
}

/// Limits of the Media Content Service.
#[derive(Debug, Clone, Copy)]
pub struct MediaSettings {
    /// Largest upload in bytes (`media.size_limit_mb`).
    pub size_limit: u64,
    /// How long a signed download URL works.
    pub url_ttl: std::time::Duration,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            size_limit: crate::media::DEFAULT_SIZE_LIMIT_MB * 1024 * 1024,
            url_ttl: crate::media::DEFAULT_URL_TTL,
        }
    }
}

/// Builds the whole router.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(services::router())
        .merge(roles::router())
        .merge(users::router())
        .merge(credentials::router())
        .merge(channels::router())
        .merge(members::router())
        .merge(messages::router())
        .merge(invites::router())
        .merge(channel_webhooks::router())
        .merge(user_channels::router())
        .merge(bindings::router())
        .merge(media::router())
        .merge(conversations::router())
        .merge(crate::gateway::router())
        .fallback(error::fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(error::add_not_found_path))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /healthz`
///
/// `200 ok` once the server is ready; no authentication.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`
///
/// Webhook delivery counters in Prometheus text format; no authentication.
async fn metrics(State(app): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let m = &app.metrics;
    let mut out = String::from(
        "# HELP banter_webhook_deliveries_total Post-event webhook delivery attempts by outcome.\n\
         # TYPE banter_webhook_deliveries_total counter\n",
    );
    for (result, counter) in [("sent", &m.sent), ("retried", &m.retried), ("failed", &m.failed)] {
        let _ = writeln!(
            out,
            "banter_webhook_deliveries_total{{result=\"{result}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
