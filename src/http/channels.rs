//! `/v2/Services/{ServiceSid}/Channels`: create, fetch, list, update, delete (by SID or unique name).

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
use crate::chat::{ChannelPatch, NewChannel};
use crate::store::Channel;
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/Services/{service}/Channels", get(list).post(create))
        .route(
            "/v2/Services/{service}/Channels/{sid}",
            get(fetch).post(update).delete(delete),
        )
}

/// The channel resource.
/// `links` of a channel.
#[derive(Serialize)]
pub(super) struct ChannelLinks {
    members: String,
    messages: String,
    invites: String,
    webhooks: String,
    last_message: Option<String>,
}

/// The channel resource, serialized from borrowed fields (fetched on every client screen).
#[derive(Serialize)]
pub(super) struct ChannelResource<'a> {
    sid: &'a str,
    account_sid: &'a str,
    service_sid: &'a str,
    friendly_name: Option<&'a str>,
    unique_name: Option<&'a str>,
    attributes: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    date_created: String,
    date_updated: String,
    created_by: &'a str,
    members_count: i64,
    messages_count: i64,
    url: String,
    links: ChannelLinks,
}

/// The channel resource.
pub(super) fn render<'a>(c: &'a Channel, base: &str) -> ChannelResource<'a> {
    let url = format!("{base}/v2/Services/{}/Channels/{}", c.service_sid, c.sid);
    ChannelResource {
        sid: &c.sid,
        account_sid: &c.account_sid,
        service_sid: &c.service_sid,
        friendly_name: c.friendly_name.as_deref(),
        unique_name: c.unique_name.as_deref(),
        attributes: &c.attributes,
        kind: &c.channel_type,
        date_created: time::format(&c.date_created),
        date_updated: time::format(&c.date_updated),
        created_by: &c.created_by,
        members_count: c.members_count,
        messages_count: c.messages_count,
        links: ChannelLinks {
            members: format!("{url}/Members"),
            messages: format!("{url}/Messages"),
            invites: format!("{url}/Invites"),
            webhooks: format!("{url}/Webhooks"),
            last_message: c.last_message_sid.as_ref().map(|m| format!("{url}/Messages/{m}")),
        },
        url,
    }
}

/// `POST /v2/Services/{ServiceSid}/Channels`
///
/// Creates a channel. `201`; `409` with 50307 for a taken unique name.
async fn create(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let input = NewChannel {
        friendly_name: f.string("FriendlyName"),
        unique_name: f.string("UniqueName"),
        attributes: f.string("Attributes"),
        channel_type: f.string("Type"),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        created_by: f.string("CreatedBy"),
        ..Default::default()
    };
    let channel = app.chat.create_channel(caller.service(&service), input).await?;
    Ok((StatusCode::CREATED, Json(render(&channel, &base))).into_response())
}

/// `GET /v2/Services/{ServiceSid}/Channels/{Sid}`
///
/// `{Sid}` is a CH SID or the unique name. `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let channel = app.chat.channel(caller.service(&service).channel(&key)).await?;
    Ok(Json(render(&channel, &base)).into_response())
}

/// `GET /v2/Services/{ServiceSid}/Channels`
///
/// One page of channels; `Type` (repeatable) filters, public only when absent. `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let given = q.all("Type");
    let types = if given.is_empty() {
        vec!["public".to_owned()]
    } else {
        given.clone()
    };
    let rows = app
        .chat
        .list_channels(caller.service(&service), &types, paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Channels");
    let filters: Vec<(&str, String)> = given.into_iter().map(|t| ("Type", t)).collect();
    Ok(page::render(
        "channels",
        rows,
        &paging,
        &base,
        &path,
        &filters,
        |buf, c| serde_json::to_writer(buf, &render(c, &base)),
    ))
}

/// `POST /v2/Services/{ServiceSid}/Channels/{Sid}`
///
/// Updates names, attributes, creator and dates. `200`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, key)): Path<(String, String)>,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let patch = ChannelPatch {
        friendly_name: f.string("FriendlyName"),
        unique_name: f.string("UniqueName"),
        attributes: f.string("Attributes"),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        created_by: f.string("CreatedBy"),
        ..Default::default()
    };
    let channel = app
        .chat
        .update_channel(caller.service(&service).channel(&key), patch)
        .await?;
    Ok(Json(render(&channel, &base)).into_response())
}

/// `DELETE /v2/Services/{ServiceSid}/Channels/{Sid}`
///
/// Deletes the channel with its members, messages, invites and webhooks. `204`.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat.delete_channel(caller.service(&service).channel(&key)).await?;
    Ok(StatusCode::NO_CONTENT)
}
