//! `/v1/Configuration` (the account's default service and defaults, its webhooks) and a
//! service's `/v1/Services/{ChatServiceSid}/Configuration` (default roles, reachability,
//! notifications, webhooks), which are the Chat service's settings under Conversations' names.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::At;
use crate::chat::{ConversationsConfigPatch, ServicePatch};
use crate::http::extract::{Auth, BaseUrl, Form};
use crate::http::services::{kind, kind_patch};
use crate::http::{ApiError, AppState};
use crate::store::{ConversationsAccount, Service};

/// The account-level routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/Configuration", get(fetch).post(update))
        .route("/v1/Configuration/Webhooks", get(fetch_webhooks).post(update_webhooks))
}

/// The service-level routes (only under `/v1/Services/{service}`).
pub(super) fn service_router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/Services/{service}/Configuration",
            get(fetch_service).post(update_service),
        )
        .route(
            "/v1/Services/{service}/Configuration/Notifications",
            get(fetch_notifications).post(update_notifications),
        )
        .route(
            "/v1/Services/{service}/Configuration/Webhooks",
            get(fetch_service_webhooks).post(update_service_webhooks),
        )
}

/// The configuration resource.
fn render(a: &ConversationsAccount, base: &str) -> Value {
    let url = format!("{base}/v1/Configuration");
    json!({
        "account_sid": a.account_sid,
        "default_chat_service_sid": a.default_service_sid,
        "default_messaging_service_sid": a.settings.default_messaging_service_sid,
        "default_inactive_timer": a.settings.default_inactive_timer,
        "default_closed_timer": a.settings.default_closed_timer,
        "links": {
            "service": format!("{base}/v1/Services/{}", a.default_service_sid),
            "webhooks": format!("{url}/Webhooks"),
        },
        "url": url,
    })
}

/// `GET /v1/Configuration`
///
/// The account's default Conversations service (created on first use) and defaults. `200`.
async fn fetch(State(app): State<AppState>, auth: Auth, BaseUrl(base): BaseUrl) -> Result<Response, ApiError> {
    Ok(Json(render(&configured(&app, &auth, None).await?, &base)).into_response())
}

/// The account's Conversations configuration, after `patch` when one is given.
async fn configured(
    app: &AppState,
    auth: &Auth,
    patch: Option<ConversationsConfigPatch>,
) -> Result<ConversationsAccount, ApiError> {
    Ok(match patch {
        None => app.chat.conversations_account(&auth.account_sid).await?,
        Some(p) => app.chat.update_conversations_account(&auth.account_sid, p).await?,
    })
}

/// `POST /v1/Configuration`
///
/// Changes the default service (`DefaultChatServiceSid`), messaging service and timers. `200`.
async fn update(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let patch = ConversationsConfigPatch {
        default_service_sid: f.string("DefaultChatServiceSid"),
        default_messaging_service_sid: f.string("DefaultMessagingServiceSid"),
        default_inactive_timer: f.string("DefaultInactiveTimer"),
        default_closed_timer: f.string("DefaultClosedTimer"),
        ..ConversationsConfigPatch::default()
    };
    Ok(Json(render(&configured(&app, &auth, Some(patch)).await?, &base)).into_response())
}

/// The account's webhook configuration resource.
fn render_webhooks(a: &ConversationsAccount, base: &str) -> Value {
    let s = &a.settings;
    json!({
        "account_sid": a.account_sid,
        "method": s.webhook_method.as_deref().unwrap_or("POST"),
        "filters": s.webhook_filters,
        "pre_webhook_url": s.pre_webhook_url,
        "post_webhook_url": s.post_webhook_url,
        "target": s.webhook_target.as_deref().unwrap_or("webhook"),
        "url": format!("{base}/v1/Configuration/Webhooks"),
    })
}

/// `GET /v1/Configuration/Webhooks`
///
/// `200`.
async fn fetch_webhooks(State(app): State<AppState>, auth: Auth, BaseUrl(base): BaseUrl) -> Result<Response, ApiError> {
    Ok(Json(render_webhooks(&configured(&app, &auth, None).await?, &base)).into_response())
}

/// `POST /v1/Configuration/Webhooks`
///
/// Stores `Method`, `Filters`, `PreWebhookUrl`, `PostWebhookUrl` and `Target`. `200`.
async fn update_webhooks(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let patch = ConversationsConfigPatch {
        webhook_method: f.string("Method"),
        webhook_filters: f.list("Filters"),
        pre_webhook_url: f.string("PreWebhookUrl"),
        post_webhook_url: f.string("PostWebhookUrl"),
        webhook_target: f.string("Target"),
        ..ConversationsConfigPatch::default()
    };
    Ok(Json(render_webhooks(&configured(&app, &auth, Some(patch)).await?, &base)).into_response())
}

/// The service configuration resource.
fn render_service(s: &Service, at: &At) -> Value {
    let url = format!("{}/Configuration", at.url);
    json!({
        "chat_service_sid": s.sid,
        "default_conversation_creator_role_sid": s.settings.default_channel_creator_role_sid,
        "default_conversation_role_sid": s.settings.default_channel_role_sid,
        "default_chat_service_role_sid": s.settings.default_service_role_sid,
        "reachability_enabled": s.settings.reachability_enabled,
        "links": {
            "notifications": format!("{url}/Notifications"),
            "webhooks": format!("{url}/Webhooks"),
        },
        "url": url,
    })
}

/// The service (for an operator only), after `patch` when one is given.
async fn service(app: &AppState, at: &At, patch: Option<ServicePatch>) -> Result<std::sync::Arc<Service>, ApiError> {
    at.caller.require_operator()?;
    let (account, sid) = (&at.caller.account_sid, &at.service);
    Ok(match patch {
        None => app.chat.service(account, sid).await?,
        Some(p) => app.chat.update_service(account, sid, p).await?,
    })
}

/// `GET /v1/Services/{ChatServiceSid}/Configuration`
///
/// `200` or `404`.
async fn fetch_service(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    Ok(Json(render_service(&*service(&app, &at, None).await?, &at)).into_response())
}

/// `POST /v1/Services/{ChatServiceSid}/Configuration`
///
/// Default roles and `ReachabilityEnabled` (the Chat service's settings). `200`.
async fn update_service(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let patch = ServicePatch {
        default_channel_creator_role_sid: f.string("DefaultConversationCreatorRoleSid"),
        default_channel_role_sid: f.string("DefaultConversationRoleSid"),
        default_service_role_sid: f.string("DefaultChatServiceRoleSid"),
        reachability_enabled: f.bool("ReachabilityEnabled")?,
        ..ServicePatch::default()
    };
    Ok(Json(render_service(&*service(&app, &at, Some(patch)).await?, &at)).into_response())
}

/// The service notification configuration resource.
fn render_notifications(s: &Service, at: &At) -> Value {
    let n = &s.settings.notifications;
    let mut new_message = kind(&n.new_message, true);
    let c = &s.settings.conversations;
    new_message["with_media"] = json!({
        "enabled": c.new_message_with_media_enabled,
        "template": c.new_message_with_media_template,
    });
    json!({
        "account_sid": s.account_sid,
        "chat_service_sid": s.sid,
        "new_message": new_message,
        "added_to_conversation": kind(&n.added_to_channel, false),
        "removed_from_conversation": kind(&n.removed_from_channel, false),
        "log_enabled": n.log_enabled,
        "url": format!("{}/Configuration/Notifications", at.url),
    })
}

/// `GET /v1/Services/{ChatServiceSid}/Configuration/Notifications`
///
/// `200` or `404`.
async fn fetch_notifications(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    Ok(Json(render_notifications(&*service(&app, &at, None).await?, &at)).into_response())
}

/// `POST /v1/Services/{ChatServiceSid}/Configuration/Notifications`
///
/// `NewMessage.*`, `AddedToConversation.*`, `RemovedFromConversation.*`, `LogEnabled` (the
/// Chat service's `Notifications.*`). `200`.
async fn update_notifications(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let patch = ServicePatch {
        notifications_log_enabled: f.bool("LogEnabled")?,
        new_message: kind_patch(&f, "NewMessage")?,
        added_to_channel: kind_patch(&f, "AddedToConversation")?,
        removed_from_channel: kind_patch(&f, "RemovedFromConversation")?,
        new_message_with_media_enabled: f.bool("NewMessage.WithMedia.Enabled")?,
        new_message_with_media_template: f.string("NewMessage.WithMedia.Template"),
        ..ServicePatch::default()
    };
    Ok(Json(render_notifications(&*service(&app, &at, Some(patch)).await?, &at)).into_response())
}

/// The service webhook configuration resource.
fn render_service_webhooks(s: &Service, at: &At) -> Value {
    let st = &s.settings;
    json!({
        "account_sid": s.account_sid,
        "chat_service_sid": s.sid,
        "pre_webhook_url": st.pre_webhook_url,
        "post_webhook_url": st.post_webhook_url,
        "filters": st.conversations.webhook_filters,
        "method": st.webhook_method.as_deref().unwrap_or("POST"),
        "url": format!("{}/Configuration/Webhooks", at.url),
    })
}

/// `GET /v1/Services/{ChatServiceSid}/Configuration/Webhooks`
///
/// `200` or `404`.
async fn fetch_service_webhooks(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    Ok(Json(render_service_webhooks(&*service(&app, &at, None).await?, &at)).into_response())
}

/// `POST /v1/Services/{ChatServiceSid}/Configuration/Webhooks`
///
/// `PreWebhookUrl`, `PostWebhookUrl`, `Filters`, `Method` (the Chat service's webhook
/// settings). `200`.
async fn update_service_webhooks(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let patch = ServicePatch {
        pre_webhook_url: f.string("PreWebhookUrl"),
        post_webhook_url: f.string("PostWebhookUrl"),
        conversations_webhook_filters: f.list("Filters"),
        webhook_method: f.string("Method"),
        ..ServicePatch::default()
    };
    Ok(Json(render_service_webhooks(&*service(&app, &at, Some(patch)).await?, &at)).into_response())
}
