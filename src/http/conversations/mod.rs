//! The Conversations v1 REST API (`/v1/…`) over the Chat data, and Chat v3's channel update.
//!
//! One set of data, as on Twilio: a Chat service is a Conversations service, a private channel
//! is a conversation, a member is a participant and a message is the same message. Handlers
//! here are thin: they read Conversations' parameter names, call the [`crate::chat::Chat`]
//! domain, and render Conversations' field names.
//!
//! Every service-scoped resource is served twice: under `/v1/Services/{ChatServiceSid}/…` and,
//! for the account's default Conversations service, at the top level `/v1/…` (the [`At`]
//! extractor resolves which service a request acts on).

mod addresses;
mod configuration;
mod conversation;
mod messages;
mod participants;
mod people;
mod roles;
mod services;
mod v3;
mod webhooks;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::MethodRouter;
use serde_json::Value;

use super::extract::{BaseUrl, Client};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::{Caller, ChannelRef, ServiceRef};
use crate::store::{Channel, Keyed};

/// Builds the Conversations and Chat v3 routes.
pub(super) fn router() -> Router<AppState> {
    let mut r = Router::new();
    for (rel, route) in conversation::routes()
        .into_iter()
        .chain(participants::routes())
        .chain(messages::routes())
        .chain(people::routes())
        .chain(roles::routes())
        .chain(webhooks::routes())
    {
        r = r
            .route(&format!("/v1{rel}"), route.clone())
            .route(&format!("/v1/Services/{{service}}{rel}"), route);
    }
    r.merge(services::router())
        .merge(configuration::router())
        .merge(configuration::service_router())
        .merge(super::credentials::routes("v1"))
        .merge(v3::router())
        .merge(addresses::router())
}

/// The service-scoped routes of one resource file: paths relative to `/v1` or
/// `/v1/Services/{service}`.
type Routes = Vec<(&'static str, MethodRouter<AppState>)>;

/// Where a service-scoped request acts: who calls, on which service, and the URL prefix its
/// resources are rendered under (`…/v1` or `…/v1/Services/IS…`, as requested).
pub(super) struct At {
    /// Whoever calls.
    pub caller: Caller,
    /// The service: from the path, or the account's default Conversations service.
    pub service: String,
    /// The public base URL followed by the form's prefix, for `url` and `links`.
    pub url: String,
    /// The request path's prefix (`/v1` or `/v1/Services/IS…`), for paging URLs.
    pub prefix: String,
    /// The rest of the path's parameters by name.
    params: HashMap<String, String>,
}

impl At {
    /// The service, for the domain.
    pub fn svc(&self) -> ServiceRef<'_> {
        self.caller.service(&self.service)
    }

    /// A conversation (channel) of the service, by SID or unique name.
    pub fn channel<'a>(&'a self, key: &'a str) -> ChannelRef<'a> {
        self.svc().channel(key)
    }

    /// A path parameter (every route names the ones its handler reads).
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    /// A list page of `rows` under `key`, at `rel` (the list's path after the form's prefix),
    /// carrying `filters` in its paging URLs; `item` renders one row.
    pub fn page<T>(
        &self,
        key: &str,
        rows: Vec<Keyed<T>>,
        paging: &Paging,
        rel: &str,
        filters: &[(&str, String)],
        item: impl Fn(&T) -> Value,
    ) -> Response {
        let base = self.url.strip_suffix(&self.prefix).unwrap_or(&self.url);
        let path = format!("{}{rel}", self.prefix);
        page::render(key, rows, paging, base, &path, filters, |buf, row| {
            serde_json::to_writer(buf, &item(row))
        })
    }
}

impl FromRequestParts<AppState> for At {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let Client(caller) = Client::from_request_parts(parts, app).await?;
        let BaseUrl(base) = BaseUrl::from_request_parts(parts, app).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, app)
            .await
            .map_err(|_| ApiError::not_found())?;
        let service = match params.get("service") {
            Some(s) => s.clone(),
            None => app
                .chat
                .default_conversations_service(&caller.account_sid)
                .await?
                .sid
                .clone(),
        };
        let prefix = if params.contains_key("service") {
            format!("/v1/Services/{service}")
        } else {
            "/v1".to_owned()
        };
        Ok(Self {
            caller,
            url: format!("{base}{prefix}"),
            service,
            prefix,
            params,
        })
    }
}

/// The conversation `key` names: a private channel of the service. A public channel is not a
/// conversation (until Chat v3 makes it private), so it is not found.
pub(super) async fn conversation(app: &AppState, at: &At, key: &str) -> Result<Channel, ApiError> {
    let channel = app.chat.channel(at.channel(key)).await?;
    if channel.channel_type == "private" {
        Ok(channel)
    } else {
        Err(ApiError::not_found())
    }
}

/// Answers a Chat error with Conversations' code where the two APIs differ (`from` → `to`,
/// same status): 50307 → 50353 for a taken unique name, 50404 → 50433 for a duplicate
/// participant.
pub(super) fn recode(e: crate::chat::ChatError, from: u32, to: u32) -> ApiError {
    let mut e = ApiError::from(e);
    if e.code == from {
        e.code = to;
    }
    e
}
