//! Chat v3's channel update, `POST /v3/Services/{ServiceSid}/Channels/{Sid}`: sets a channel's
//! `Type` (a public channel becomes private, and so a conversation; not back) and its
//! `MessagingServiceSid`, as Twilio's Chat-to-Conversations migration does.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use crate::chat::ChannelPatch;
use crate::http::extract::{BaseUrl, Client, Form};
use crate::http::{ApiError, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v3/Services/{service}/Channels/{sid}", post(update))
}

/// `POST /v3/Services/{ServiceSid}/Channels/{Sid}`
///
/// `{Sid}` is a CH SID or the unique name. `200` with the v3 channel; `400` for a private
/// channel made public; `404`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, key)): Path<(String, String)>,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let patch = ChannelPatch {
        channel_type: f.string("Type"),
        messaging_service_sid: f.string("MessagingServiceSid"),
        ..ChannelPatch::default()
    };
    let c = app
        .chat
        .update_channel(caller.service(&service).channel(&key), patch)
        .await?;
    let mut v = serde_json::to_value(crate::http::channels::render(&c, &base))
        .map_err(|_| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, 20500, "Internal error"))?;
    if let Some(o) = v.as_object_mut() {
        o.remove("links");
        o.insert("messaging_service_sid".to_owned(), json!(c.messaging_service_sid));
        o.insert(
            "url".to_owned(),
            json!(format!("{base}/v3/Services/{}/Channels/{}", c.service_sid, c.sid)),
        );
    }
    Ok(Json(v).into_response())
}
