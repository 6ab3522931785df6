//! `/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Invites`: create, fetch, list, delete.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::extract::{BaseUrl, Client, Form, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::store::Invite;
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/Services/{service}/Channels/{channel}/Invites",
            get(list).post(create),
        )
        .route(
            "/v2/Services/{service}/Channels/{channel}/Invites/{sid}",
            get(fetch).delete(delete),
        )
}

fn render(i: &Invite, base: &str) -> Value {
    json!({
        "sid": i.sid,
        "account_sid": i.account_sid,
        "channel_sid": i.channel_sid,
        "service_sid": i.service_sid,
        "identity": i.identity,
        "date_created": time::format(&i.date_created),
        "date_updated": time::format(&i.date_updated),
        "role_sid": i.role_sid,
        "created_by": i.created_by,
        "url": format!("{base}/v2/Services/{}/Channels/{}/Invites/{}", i.service_sid, i.channel_sid, i.sid),
    })
}

/// `POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Invites`
///
/// Invites an existing user. `201`; `404` unknown user; `409` already invited or a member.
async fn create(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel)): Path<(String, String)>,
    Form(f): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let identity = f.required("Identity")?;
    let invite = app
        .chat
        .create_invite(caller.service(&service).channel(&channel), &identity, f.get("RoleSid"))
        .await?;
    Ok((StatusCode::CREATED, Json(render(&invite, &base))))
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Invites/{Sid}`
///
/// `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel, sid)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let invite = app
        .chat
        .invite(caller.service(&service).channel(&channel), &sid)
        .await?;
    Ok(Json(render(&invite, &base)))
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Invites`
///
/// One page of invites; `Identity` (repeatable) filters. `200`.
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
        .list_invites(caller.service(&service).channel(&channel), &identities, paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Channels/{channel}/Invites");
    let filters: Vec<(&str, String)> = identities.into_iter().map(|i| ("Identity", i)).collect();
    Ok(page::render(
        "invites",
        rows,
        &paging,
        &base,
        &path,
        &filters,
        |buf, i| serde_json::to_writer(buf, &render(i, &base)),
    ))
}

/// `DELETE /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Invites/{Sid}`
///
/// `204`.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, channel, sid)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat
        .delete_invite(caller.service(&service).channel(&channel), &sid)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
