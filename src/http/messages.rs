//! `/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::extract::{BaseUrl, Client, Form, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::{MessagePatch, NewMessage};
use crate::store::Message;
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/Services/{service}/Channels/{channel}/Messages",
            get(list).post(create),
        )
        .route(
            "/v2/Services/{service}/Channels/{channel}/Messages/{sid}",
            get(fetch).post(update).delete(delete),
        )
}

/// Media attached to a message.
#[derive(Serialize)]
struct MediaRef<'a> {
    sid: &'a str,
    size: i64,
    content_type: &'a str,
    filename: Option<&'a str>,
}

/// The message resource, serialized from borrowed fields (this is the hottest list).
#[derive(Serialize)]
pub(super) struct MessageResource<'a> {
    sid: &'a str,
    account_sid: &'a str,
    service_sid: &'a str,
    to: &'a str,
    channel_sid: &'a str,
    date_created: String,
    date_updated: String,
    last_updated_by: Option<&'a str>,
    was_edited: bool,
    from: &'a str,
    attributes: Option<&'a str>,
    body: &'a str,
    index: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    media: Option<MediaRef<'a>>,
    url: String,
}

fn render<'a>(m: &'a Message, base: &str) -> MessageResource<'a> {
    MessageResource {
        sid: &m.sid,
        account_sid: &m.account_sid,
        service_sid: &m.service_sid,
        to: &m.channel_sid,
        channel_sid: &m.channel_sid,
        date_created: time::format(&m.date_created),
        date_updated: time::format(&m.date_updated),
        last_updated_by: m.last_updated_by.as_deref(),
        was_edited: m.was_edited,
        from: &m.from,
        attributes: m.attributes.as_deref(),
        body: &m.body,
        index: m.index,
        kind: if m.media.is_some() { "media" } else { "text" },
        media: m.media.as_ref().map(|x| MediaRef {
            sid: &x.sid,
            size: x.size,
            content_type: &x.content_type,
            filename: x.filename.as_deref(),
        }),
        url: format!(
            "{base}/v2/Services/{}/Channels/{}/Messages/{}",
            m.service_sid, m.channel_sid, m.sid
        ),
    }
}

/// `POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages`
///
/// Sends a message; its `index` is the channel's next. `201`; `400` 50504 for a long body.
async fn create(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel)): Path<(String, String)>,
    Form(f): Form,
) -> Result<Response, ApiError> {
    if f.all("MediaSid").len() > 1 {
        return Err(ApiError::invalid("MediaSid", "a message carries one media file"));
    }
    let input = NewMessage {
        from: f.string("From"),
        body: f.string("Body"),
        attributes: f.string("Attributes"),
        media_sid: f.string("MediaSid"),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        last_updated_by: f.string("LastUpdatedBy"),
    };
    let message = app
        .chat
        .send_message(caller.service(&service).channel(&channel), input)
        .await?;
    Ok((StatusCode::CREATED, Json(render(&message, &base))).into_response())
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages/{Sid}`
///
/// `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel, sid)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let message = app
        .chat
        .message(caller.service(&service).channel(&channel), &sid)
        .await?;
    Ok(Json(render(&message, &base)).into_response())
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages`
///
/// One page of messages by index; `Order=desc` for newest first. `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel)): Path<(String, String)>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let order = q.string("Order").unwrap_or_else(|| "asc".to_owned());
    let desc = match order.as_str() {
        "asc" => false,
        "desc" => true,
        _ => return Err(ApiError::invalid("Order", "must be asc or desc")),
    };
    let paging = Paging::from_query(&q, 100, desc)?;
    let rows = app
        .chat
        .list_messages(caller.service(&service).channel(&channel), paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Channels/{channel}/Messages");
    let filters: Vec<(&str, String)> = q.get("Order").map(|o| ("Order", o.to_owned())).into_iter().collect();
    Ok(page::render(
        "messages",
        rows,
        &paging,
        &base,
        &path,
        &filters,
        |buf, m| serde_json::to_writer(buf, &render(m, &base)),
    ))
}

/// `POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages/{Sid}`
///
/// Edits body, attributes, author or dates. `200`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel, sid)): Path<(String, String, String)>,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let patch = MessagePatch {
        body: f.string("Body"),
        attributes: f.string("Attributes"),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        last_updated_by: f.string("LastUpdatedBy"),
        from: f.string("From"),
    };
    let message = app
        .chat
        .update_message(caller.service(&service).channel(&channel), &sid, patch)
        .await?;
    Ok(Json(render(&message, &base)).into_response())
}

/// `DELETE /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages/{Sid}`
///
/// `204`; the other messages keep their indexes.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, channel, sid)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat
        .delete_message(caller.service(&service).channel(&channel), &sid)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
