//! `/v2/Services`: create, fetch, list, update, delete.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::extract::{Auth, BaseUrl, Form, Params, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::{NotificationKindPatch, ServicePatch};
use crate::store::{NotificationKind, Service};
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/Services", get(list).post(create))
        .route("/v2/Services/{sid}", get(fetch).post(update).delete(delete))
}

/// One kind of push notification as rendered (Chat and Conversations alike).
pub(super) fn kind(k: &NotificationKind, badge: bool) -> Value {
    let mut v = json!({ "enabled": k.enabled });
    if let Some(t) = &k.template {
        v["template"] = json!(t);
    }
    if let Some(s) = &k.sound {
        v["sound"] = json!(s);
    }
    if badge {
        v["badge_count_enabled"] = json!(k.badge_count_enabled.unwrap_or(false));
    }
    v
}

/// The service resource as Twilio renders it.
pub(super) fn render(s: &Service, base: &str, media_limit_mb: u64) -> Value {
    let url = format!("{base}/v2/Services/{}", s.sid);
    let st = &s.settings;
    let n = &st.notifications;
    json!({
        "sid": s.sid,
        "account_sid": s.account_sid,
        "friendly_name": s.friendly_name,
        "date_created": time::format(&s.date_created),
        "date_updated": time::format(&s.date_updated),
        "default_service_role_sid": st.default_service_role_sid,
        "default_channel_role_sid": st.default_channel_role_sid,
        "default_channel_creator_role_sid": st.default_channel_creator_role_sid,
        "read_status_enabled": st.read_status_enabled,
        "reachability_enabled": st.reachability_enabled,
        "typing_indicator_timeout": st.typing_indicator_timeout,
        "consumption_report_interval": st.consumption_report_interval,
        "limits": { "channel_members": st.limit_channel_members, "user_channels": st.limit_user_channels },
        "pre_webhook_url": st.pre_webhook_url,
        "post_webhook_url": st.post_webhook_url,
        "webhook_method": st.webhook_method,
        "webhook_filters": st.webhook_filters,
        "pre_webhook_retry_count": st.pre_webhook_retry_count,
        "post_webhook_retry_count": st.post_webhook_retry_count,
        "notifications": {
            "log_enabled": n.log_enabled,
            "new_message": kind(&n.new_message, true),
            "added_to_channel": kind(&n.added_to_channel, false),
            "removed_from_channel": kind(&n.removed_from_channel, false),
            "invited_to_channel": kind(&n.invited_to_channel, false),
        },
        "media": { "size_limit_mb": media_limit_mb, "compatibility_message": st.media_compatibility_message },
        "url": url,
        "links": {
            "channels": format!("{url}/Channels"),
            "users": format!("{url}/Users"),
            "roles": format!("{url}/Roles"),
            "bindings": format!("{url}/Bindings"),
        },
    })
}

/// `{prefix}.Enabled`, `.Template`, `.Sound` and `.BadgeCountEnabled`.
pub(super) fn kind_patch(f: &Params, prefix: &str) -> Result<NotificationKindPatch, ApiError> {
    Ok(NotificationKindPatch {
        enabled: f.bool(&format!("{prefix}.Enabled"))?,
        template: f.string(&format!("{prefix}.Template")),
        sound: f.string(&format!("{prefix}.Sound")),
        badge_count_enabled: f.bool(&format!("{prefix}.BadgeCountEnabled"))?,
    })
}

fn patch(f: &Params) -> Result<ServicePatch, ApiError> {
    Ok(ServicePatch {
        friendly_name: f.string("FriendlyName"),
        default_service_role_sid: f.string("DefaultServiceRoleSid"),
        default_channel_role_sid: f.string("DefaultChannelRoleSid"),
        default_channel_creator_role_sid: f.string("DefaultChannelCreatorRoleSid"),
        read_status_enabled: f.bool("ReadStatusEnabled")?,
        reachability_enabled: f.bool("ReachabilityEnabled")?,
        typing_indicator_timeout: f.int("TypingIndicatorTimeout", i64::MIN, i64::MAX)?,
        consumption_report_interval: f.int("ConsumptionReportInterval", i64::MIN, i64::MAX)?,
        notifications_log_enabled: f.bool("Notifications.LogEnabled")?,
        new_message: kind_patch(f, "Notifications.NewMessage")?,
        added_to_channel: kind_patch(f, "Notifications.AddedToChannel")?,
        removed_from_channel: kind_patch(f, "Notifications.RemovedFromChannel")?,
        invited_to_channel: kind_patch(f, "Notifications.InvitedToChannel")?,
        pre_webhook_url: f.string("PreWebhookUrl"),
        post_webhook_url: f.string("PostWebhookUrl"),
        webhook_method: f.string("WebhookMethod"),
        webhook_filters: f.list("WebhookFilters"),
        limit_channel_members: limit(f, "Limits.ChannelMembers", 50061)?,
        limit_user_channels: limit(f, "Limits.UserChannels", 50060)?,
        media_compatibility_message: f.string("Media.CompatibilityMessage"),
        pre_webhook_retry_count: retry(f, "PreWebhookRetryCount")?,
        post_webhook_retry_count: retry(f, "PostWebhookRetryCount")?,
        ..ServicePatch::default()
    })
}

/// A limit with its own Twilio code for a malformed value.
fn limit(f: &Params, name: &str, code: u32) -> Result<Option<i64>, ApiError> {
    f.int(name, i64::MIN, i64::MAX).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("Invalid {name}: must be an integer"),
        )
    })
}

fn retry(f: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    f.int(name, i64::MIN, i64::MAX).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            50065,
            format!("Invalid {name}: must be an integer"),
        )
    })
}

/// `POST /v2/Services`
///
/// Creates a service with Twilio's defaults and four default roles. `201`.
async fn create(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Form(f): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = f.required("FriendlyName")?;
    let service = app.chat.create_service(&auth.account_sid, &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(render(&service, &base, app.chat.media_size_limit_mb())),
    ))
}

/// `GET /v2/Services/{Sid}`
///
/// `200`, or `404` when the account has no such service.
async fn fetch(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Path(sid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let service = app.chat.service(&auth.account_sid, &sid).await?;
    Ok(Json(render(&service, &base, app.chat.media_size_limit_mb())))
}

/// `GET /v2/Services`
///
/// One page of the account's services (`PageSize` max 100). `200`.
async fn list(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let rows = app.chat.list_services(&auth.account_sid, paging.req).await?;
    Ok(page::render(
        "services",
        rows,
        &paging,
        &base,
        "/v2/Services",
        &[],
        |buf, s| serde_json::to_writer(buf, &render(s, &base, app.chat.media_size_limit_mb())),
    ))
}

/// `POST /v2/Services/{Sid}`
///
/// Updates any subset of the settings. `200`.
async fn update(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Path(sid): Path<String>,
    Form(f): Form,
) -> Result<Json<Value>, ApiError> {
    let service = app.chat.update_service(&auth.account_sid, &sid, patch(&f)?).await?;
    Ok(Json(render(&service, &base, app.chat.media_size_limit_mb())))
}

/// `DELETE /v2/Services/{Sid}`
///
/// Deletes the service and everything in it. `204`.
async fn delete(State(app): State<AppState>, auth: Auth, Path(sid): Path<String>) -> Result<StatusCode, ApiError> {
    app.chat.delete_service(&auth.account_sid, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}
