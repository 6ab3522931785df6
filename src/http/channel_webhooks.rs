//! `/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::extract::{BaseUrl, Client, Form, Params, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::WebhookConfigPatch;
use crate::store::{ChannelWebhook, WebhookConfig};
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/Services/{service}/Channels/{channel}/Webhooks",
            get(list).post(create),
        )
        .route(
            "/v2/Services/{service}/Channels/{channel}/Webhooks/{sid}",
            get(fetch).post(update).delete(delete),
        )
}

/// The webhook resource; `configuration` is an object holding only the keys that are set.
/// Trigger keywords are also echoed under `filters`, as Twilio's examples show.
fn render(w: &ChannelWebhook, base: &str) -> Value {
    let c = &w.configuration;
    let filters = if w.webhook_type == "trigger" {
        &c.triggers
    } else {
        &c.filters
    };
    let mut config = configuration(c, json!(filters));
    if let Some(n) = c.retry_count {
        config.insert("retry_count".to_owned(), json!(n));
    }
    json!({
        "account_sid": w.account_sid,
        "service_sid": w.service_sid,
        "channel_sid": w.channel_sid,
        "sid": w.sid,
        "type": w.webhook_type,
        "configuration": config,
        "date_created": time::format(&w.date_created),
        "date_updated": time::format(&w.date_updated),
        "url": format!("{base}/v2/Services/{}/Channels/{}/Webhooks/{}", w.service_sid, w.channel_sid, w.sid),
    })
}

/// A webhook's `configuration` object: only the keys that are set, with `filters` as given
/// (Chat and Conversations name the events differently).
pub(super) fn configuration(c: &WebhookConfig, filters: Value) -> Map<String, Value> {
    let mut config = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            config.insert(k.to_owned(), v);
        }
    };
    put("url", json!(c.url));
    put("method", json!(c.method));
    put("filters", filters);
    put("triggers", json!(c.triggers));
    put("flow_sid", json!(c.flow_sid));
    config
}

fn patch(f: &Params) -> Result<WebhookConfigPatch, ApiError> {
    Ok(WebhookConfigPatch {
        url: f.string("Configuration.Url"),
        method: f.string("Configuration.Method"),
        filters: f.list("Configuration.Filters"),
        triggers: f.list("Configuration.Triggers"),
        flow_sid: f.string("Configuration.FlowSid"),
        retry_count: f.int("Configuration.RetryCount", i64::MIN, i64::MAX)?,
    })
}

/// `POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks`
///
/// `201`; `403` 50321 beyond five per channel.
async fn create(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel)): Path<(String, String)>,
    Form(f): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let kind = f.required("Type")?;
    let webhook = app
        .chat
        .create_webhook(caller.service(&service).channel(&channel), &kind, patch(&f)?)
        .await?;
    Ok((StatusCode::CREATED, Json(render(&webhook, &base))))
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks/{Sid}`
///
/// `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel, sid)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let webhook = app
        .chat
        .webhook(caller.service(&service).channel(&channel), &sid)
        .await?;
    Ok(Json(render(&webhook, &base)))
}

/// `GET /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks`
///
/// One page (`PageSize` default and max 5). `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel)): Path<(String, String)>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 5, false)?;
    let rows = app
        .chat
        .list_webhooks(caller.service(&service).channel(&channel), paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Channels/{channel}/Webhooks");
    Ok(page::render("webhooks", rows, &paging, &base, &path, &[], |buf, w| {
        serde_json::to_writer(buf, &render(w, &base))
    }))
}

/// `POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks/{Sid}`
///
/// Updates the configuration. `200`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, channel, sid)): Path<(String, String, String)>,
    Form(f): Form,
) -> Result<Json<Value>, ApiError> {
    let webhook = app
        .chat
        .update_webhook(caller.service(&service).channel(&channel), &sid, patch(&f)?)
        .await?;
    Ok(Json(render(&webhook, &base)))
}

/// `DELETE /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks/{Sid}`
///
/// `204`.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, channel, sid)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat
        .delete_webhook(caller.service(&service).channel(&channel), &sid)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
