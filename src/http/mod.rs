//! The HTTP surface: one router per resource file, thin handlers, Twilio's wire conventions.

mod bindings;
mod channel_webhooks;
mod channels;
mod credentials;
pub mod error;
pub mod extract;
mod invites;
mod members;
mod messages;
pub mod page;
mod roles;
mod services;
mod user_channels;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use error::ApiError;

use crate::chat::Chat;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The domain.
    pub chat: Chat,
    /// `--public-url`, without a trailing slash, when configured.
    pub public_url: Option<String>,
    /// Whether this server terminates TLS itself (for URLs built from `Host`).
    pub tls: bool,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
}

/// Builds the whole router.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
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
