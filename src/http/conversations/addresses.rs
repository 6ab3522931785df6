//! `/v1/Configuration/Addresses`: the account's address configurations (not served yet: they
//! answer `501` in Twilio's error form).

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use crate::http::{ApiError, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/Configuration/Addresses", get(unserved).post(unserved))
        .route(
            "/v1/Configuration/Addresses/{sid}",
            get(unserved).post(unserved).delete(unserved),
        )
}

/// `501` / 20001.
async fn unserved() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        20001,
        "This operation is not served by Banter yet",
    )
}
