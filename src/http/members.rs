//! `/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Members` (member by SID or identity).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::extract::{BaseUrl, Client, Form, Params, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::{MemberPatch, NewMember};
use crate::store::Member;
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/Services/{service}/Channels/{channel}/Members",
            get(list).post(create),
        )
        .route(
            "/v2/Services/{service}/Channels/{channel}/Members/{sid}",
            get(fetch).post(update).delete(delete),
        )
}

fn render(m: &Member, base: &str) -> Value {
    json!({
        "sid": m.sid,
        "account_sid": m.account_sid,
        "channel_sid": m.channel_sid,
        "service_sid": m.service_sid,
        "identity": m.identity,
        "role_sid": m.role_sid,
        "last_consumed_message_index": m.last_consumed_message_index,
        "last_consumption_timestamp": m.last_consumption_timestamp.as_ref().map(time::format),
        "date_created": time::format(&m.date_created),
        "date_updated": time::format(&m.date_updated),
        "attributes": m.attributes,
        "url": format!("{base}/v2/Services/{}/Channels/{}/Members/{}", m.service_sid, m.channel_sid, m.sid),
    })
}

/// `LastConsumedMessageIndex`: an integer, or empty to clear the horizon.
pub(super) fn horizon(f: &Params) -> Result<Option<Option<i64>>, ApiError> {
    match f.get("LastConsumedMessageIndex") {
        None => Ok(None),
        Some("" | "null") => Ok(Some(None)),
        Some(_) => Ok(Some(f.int("LastConsumedMessageIndex", 0, i64::MAX)?)),
    }
}

/// `POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Members`
///
/// Adds an identity (creating the User if needed). `201`; `409` 50404 duplicate; `403` limits.
async fn create(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel)): Path<(String, String)>,
    Form(f): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let input = NewMember {
        identity: f.string("Identity").unwrap_or_default(),
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        last_consumed_message_index: horizon(&f)?.flatten(),
        last_consumption_timestamp: f.date("LastConsumptionTimestamp")?,
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
    };
    let member = app
        .chat
        .add_member(caller.service(&service).channel(&channel), input)
        .await?;
    Ok((StatusCode::CREATED, Json(render(&member, &base))))
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Members/{Sid}`
///
/// `{Sid}` is an MB SID or the identity. `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel, key)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let member = app
        .chat
        .member(caller.service(&service).channel(&channel), &key)
        .await?;
    Ok(Json(render(&member, &base)))
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Members`
///
/// One page of members; `Identity` (repeatable) filters. `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel)): Path<(String, String)>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let identities = q.all("Identity");
    let rows = app
        .chat
        .list_members(caller.service(&service).channel(&channel), &identities, paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Channels/{channel}/Members");
    let filters: Vec<(&str, String)> = identities.into_iter().map(|i| ("Identity", i)).collect();
    Ok(page::render(
        "members",
        rows,
        &paging,
        &base,
        &path,
        &filters,
        |buf, m| serde_json::to_writer(buf, &render(m, &base)),
    ))
}

/// `POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Members/{Sid}`
///
/// Updates role, attributes, read horizon and dates. `200`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel, key)): Path<(String, String, String)>,
    Form(f): Form,
) -> Result<Json<Value>, ApiError> {
    let patch = MemberPatch {
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        last_consumed_message_index: horizon(&f)?,
        last_consumption_timestamp: f.date("LastConsumptionTimestamp")?,
        notification_level: None,
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        ..MemberPatch::default()
    };
    let member = app
        .chat
        .update_member(caller.service(&service).channel(&channel), &key, patch)
        .await?;
    Ok(Json(render(&member, &base)))
}

/// `DELETE /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Members/{Sid}`
///
/// Removes the member. `204`.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, channel, key)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat
        .remove_member(caller.service(&service).channel(&channel), &key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
