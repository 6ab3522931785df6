//! `/v2/Services/{ServiceSid}/Users/{UserSid}/Channels`: a user's channels with unread counts.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::extract::{BaseUrl, Client, Form, Query};
use super::members::horizon;
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::MemberPatch;
use crate::store::{User, UserChannel};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/Services/{service}/Users/{user}/Channels", get(list))
        .route(
            "/v2/Services/{service}/Users/{user}/Channels/{channel}",
            get(fetch).post(update).delete(delete),
        )
}

fn render(user: &User, uc: &UserChannel, base: &str) -> Value {
    let c = &uc.channel;
    let channel_url = format!("{base}/v2/Services/{}/Channels/{}", c.service_sid, c.sid);
    json!({
        "account_sid": c.account_sid,
        "service_sid": c.service_sid,
        "channel_sid": c.sid,
        "user_sid": user.sid,
        "member_sid": uc.member_sid,
        "status": uc.status,
        "last_consumed_message_index": uc.last_consumed_message_index,
        "unread_messages_count": uc.unread_messages_count,
        "notification_level": uc.notification_level.as_deref().unwrap_or("default"),
        "url": format!("{base}/v2/Services/{}/Users/{}/Channels/{}", c.service_sid, user.sid, c.sid),
        "links": {
            "channel": channel_url,
            "member": uc.member_sid.as_ref().map(|m| format!("{channel_url}/Members/{m}")),
        },
    })
}

/// `GET /v2/Services/{ServiceSid}/Users/{UserSid}/Channels`
///
/// One page (`PageSize` max 50) of the channels the user joined or is invited to. `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, user)): Path<(String, String)>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 50, false)?;
    let (u, rows) = app
        .chat
        .list_user_channels(caller.service(&service), &user, paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Users/{user}/Channels");
    Ok(page::render("channels", rows, &paging, &base, &path, &[], |buf, uc| {
        serde_json::to_writer(buf, &render(&u, uc, &base))
    }))
}

/// `GET /v2/Services/{ServiceSid}/Users/{UserSid}/Channels/{ChannelSid}`
///
/// `200`, or `404` when the user neither joined nor is invited.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, user, channel)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (u, uc) = app.chat.user_channel(caller.service(&service), &user, &channel).await?;
    Ok(Json(render(&u, &uc, &base)))
}

/// `POST /v2/Services/{ServiceSid}/Users/{UserSid}/Channels/{ChannelSid}`
///
/// Sets `NotificationLevel` and the read horizon. `200`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, user, channel)): Path<(String, String, String)>,
    Form(f): Form,
) -> Result<Json<Value>, ApiError> {
    let patch = MemberPatch {
        notification_level: f.string("NotificationLevel"),
        last_consumed_message_index: horizon(&f)?,
        last_consumption_timestamp: f.date("LastConsumptionTimestamp")?,
        ..MemberPatch::default()
    };
    // UpdateUserChannel does not take X-Twilio-Webhook-Enabled.
    let caller = caller.without_webhooks();
    let (u, uc) = app
        .chat
        .update_user_channel(caller.service(&service), &user, &channel, patch)
        .await?;
    Ok(Json(render(&u, &uc, &base)))
}

/// `DELETE /v2/Services/{ServiceSid}/Users/{UserSid}/Channels/{ChannelSid}`
///
/// The user leaves the channel. `204`.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, user, channel)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat
        .delete_user_channel(caller.service(&service), &user, &channel)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
