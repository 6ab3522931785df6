//! Operations of the Conversations and Chat v3 specs that Banter routes but does not serve yet:
//! they answer `501` in Twilio's error shape, so a client sees a clear refusal rather than a
//! 404 that would suggest a missing resource.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::Routes;
use crate::http::{ApiError, AppState};

/// Service-scoped routes not served yet.
pub(super) fn routes() -> Routes {
    vec![
        ("/Conversations/{conversation}/Webhooks", get(unserved).post(unserved)),
        (
            "/Conversations/{conversation}/Webhooks/{sid}",
            get(unserved).post(unserved).delete(unserved),
        ),
    ]
}

/// Account-level and Chat v3 routes not served yet.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/Configuration/Addresses", get(unserved).post(unserved))
        .route(
            "/v1/Configuration/Addresses/{sid}",
            get(unserved).post(unserved).delete(unserved),
        )
        .route("/v3/Services/{service}/Channels/{sid}", post(unserved))
}

/// `501` / 20001.
async fn unserved() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        20001,
        "This operation is not served by Banter yet",
    )
}
