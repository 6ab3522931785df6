//! The one path every write takes, whoever makes it:
//!
//! 1. [`Chat::change`]: the actor's permissions are checked (the caller states what it needs);
//! 2. [`Change::pre`]: the pre-event webhook runs, for end users' actions only, and may veto
//!    the change or modify it;
//! 3. [`Approved::commit`]: the post-event deliveries are built (for end users' actions, and for
//!    the operator's when asked for with `X-Twilio-Webhook-Enabled: true`), the store writes
//!    the change with them in one transaction, and once it has committed the event reaches
//!    the bus.
//!
//! Each step can only be reached through the one before it, and the webhook and bus calls are
//! private to this module, so none can be skipped, repeated or reordered by an operation.

use serde_json::Value;

use super::access::{Access, Scope};
use super::events::{Event, HookFailure, HookRequest, Params, p, selected};
use super::{Chat, ChatError};
use crate::events::ChatEvent;
use crate::sid;
use crate::store::{Channel, ChannelWebhook, OutboxRow, PageReq, Service};
use crate::time;

/// A change whose actor was allowed to make it; next, [`Change::pre`].
#[must_use = "a change does nothing until it is committed"]
pub(super) struct Change<'a> {
    chat: &'a Chat,
    scope: &'a Scope,
    channel: Where<'a>,
    event: Event,
}

/// A change the pre-event hook approved; next, [`Approved::commit`].
#[must_use = "a change does nothing until it is committed"]
pub(super) struct Approved<'a>(Change<'a>);

/// Where a change happens: service-wide, or in a channel. The whole channel is needed only
/// when webhooks may fire (its webhooks and their filters); the hot path of the operator
/// without webhooks knows just its SID.
#[derive(Clone, Copy)]
pub(super) enum Where<'a> {
    /// Outside channels (users).
    Service,
    /// In a channel.
    Channel(&'a Channel),
    /// In a channel known only by SID: valid only when no webhook can fire.
    ChannelSid(&'a str),
}

impl Where<'_> {
    fn channel_sid(&self) -> Option<&str> {
        match self {
            Self::Service => None,
            Self::Channel(c) => Some(&c.sid),
            Self::ChannelSid(sid) => Some(sid),
        }
    }
}

impl Scope {
    /// Whether post-event webhooks fire for this actor's changes.
    #[must_use]
    pub(super) fn webhooks(&self) -> bool {
        match self.access {
            Access::Operator { webhooks } => webhooks,
            Access::User { .. } => true,
        }
    }
}

/// The state of a closed conversation.
const CLOSED: &str = "closed";

/// Refuses a change to a closed conversation (400 / 50377), for callers that read the channel
/// before a change that does not (the operator's message sends).
///
/// # Errors
/// 50377 when `channel` is a closed conversation.
pub fn require_open(channel: &Channel) -> Result<(), ChatError> {
    if channel.state == CLOSED {
        return Err(ChatError::titled(50377));
    }
    Ok(())
}

impl Chat {
    /// Starts a change. The caller has checked the permissions it needs on `scope.access`
    /// (they depend on the fields the change touches); `allowed` is that outcome.
    pub(super) fn change<'a>(
        &'a self,
        scope: &'a Scope,
        channel: Where<'a>,
        event: Event,
        allowed: Result<(), ChatError>,
    ) -> Result<Change<'a>, ChatError> {
        allowed?;
        // A closed conversation is final (Conversations API): no new messages, participants
        // or invites, no edits; it may still be read, left and deleted. (The operator's send
        // path without webhooks knows only the channel's SID: see [`require_open`].)
        if let Where::Channel(c) = channel
            && c.state == CLOSED
            && matches!(
                event,
                Event::MessageSend
                    | Event::MediaMessageSend
                    | Event::MessageUpdate
                    | Event::ChannelUpdate
                    | Event::MemberAdd
                    | Event::InviteAdd
            )
        {
            return Err(ChatError::titled(50377));
        }
        if matches!(channel, Where::ChannelSid(_)) && scope.webhooks() {
            return Err(ChatError::Store(crate::store::StoreError::other(
                "a change that fires webhooks needs its whole channel",
            )));
        }
        Ok(Change {
            chat: self,
            scope,
            channel,
            event,
        })
    }

    async fn emit(&self, event: Event, service: &Service, channel_sid: Option<&str>, sid: &str) {
        let shared = self.store.shared();
        if !shared && self.bus.receiver_count() == 0 {
            return;
        }
        let event = ChatEvent {
            event_type: event.name().to_owned(),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            channel_sid: channel_sid.map(str::to_owned),
            sid: sid.to_owned(),
        };
        self.publish(event).await;
    }

    /// Sends `event` to the bus of every node (this one's directly, others' by a notice).
    pub(super) async fn publish(&self, event: ChatEvent) {
        let shared = self.store.shared();
        if shared {
            let payload = match serde_json::to_string(&event) {
                Ok(json) => format!("event:{json}"),
                Err(_) => return,
            };
            if let Err(e) = self.store.notify(&payload).await {
                tracing::warn!(error = %e, event = %event.event_type, "cannot publish an event to the other nodes");
            }
        } else {
            let _ = self.bus.send(event);
        }
    }
}

impl<'a> Change<'a> {
    /// Runs the pre-event webhook when an end user acts and the service has one for this
    /// event; `params` builds its parameters only then. Returns the hook's JSON answer, if
    /// any, from which the caller applies the modifications Twilio allows.
    ///
    /// # Errors
    /// 403 / 20403 when the hook answered non-2xx; 502 / 50076, with one fixed message, when
    /// it gave no usable answer.
    pub(super) async fn pre(self, params: impl FnOnce() -> Params) -> Result<(Approved<'a>, Option<Value>), ChatError> {
        let service = &self.scope.service;
        let (Access::User { identity, .. }, Some(event)) = (&self.scope.access, self.event.pre()) else {
            return Ok((Approved(self), None));
        };
        let Some(url) = service
            .settings
            .pre_webhook_url
            .as_ref()
            .filter(|_| selected(service, event))
        else {
            return Ok((Approved(self), None));
        };
        let mut all = common(service, event, Some(identity));
        all.extend(params());
        let request = HookRequest {
            url: url.clone(),
            method: service
                .settings
                .webhook_method
                .clone()
                .unwrap_or_else(|| "POST".to_owned()),
            params: all,
            auth_token: self.chat.auth_token(&service.account_sid).await?,
            retry_count: service.settings.pre_webhook_retry_count,
        };
        match self.chat.pre_hook.call(request).await {
            Ok(answer) => Ok((Approved(self), answer)),
            Err(HookFailure::Rejected(status)) => Err(ChatError::new(
                20403,
                format!("The pre-event webhook rejected {event} (HTTP {status})"),
            )),
            Err(HookFailure::NoAnswer) => Err(ChatError::new(
                50076,
                format!("The pre-event webhook gave no usable answer for {event}"),
            )),
        }
    }
}

impl Approved<'_> {
    /// Builds the post-event deliveries (`params` and, for trigger webhooks, the message
    /// `body`), runs `write` with them, and publishes the event about `sid` once it committed.
    ///
    /// # Errors
    /// What `write` returns; store failures while reading channel webhooks.
    pub(super) async fn commit<T>(
        self,
        sid: &str,
        params: impl FnOnce() -> Params,
        body: Option<&str>,
        write: impl AsyncFnOnce(&[OutboxRow]) -> Result<T, ChatError>,
    ) -> Result<T, ChatError> {
        let Change {
            chat,
            scope,
            channel,
            event,
        } = self.0;
        let outbox = match event.post() {
            Some(post) if scope.webhooks() => {
                let channel = match channel {
                    Where::Channel(c) => Some(c),
                    _ => None,
                };
                post_events(chat, scope, channel, post, &params(), body).await?
            }
            _ => Vec::new(),
        };
        let done = write(&outbox).await?;
        chat.emit(event, &scope.service, channel.channel_sid(), sid).await;
        Ok(done)
    }
}

/// The parameters every webhook request carries.
fn common(service: &Service, event: &str, identity: Option<&str>) -> Params {
    let mut v = vec![
        p("EventType", event),
        p("AccountSid", &service.account_sid),
        p("InstanceSid", &service.sid),
        p("Source", if identity.is_some() { "SDK" } else { "API" }),
    ];
    if let Some(identity) = identity {
        v.push(p("ClientIdentity", identity));
    }
    v
}

/// The post-event deliveries for `event`: the service's post-event URL and, for a channel, its
/// `webhook` hooks filtering on the event and `trigger` hooks matched by `body`.
async fn post_events(
    chat: &Chat,
    scope: &Scope,
    channel: Option<&Channel>,
    event: &str,
    params: &Params,
    body: Option<&str>,
) -> Result<Vec<OutboxRow>, ChatError> {
    let service = &scope.service;
    let where_ = channel.map_or(service.sid.as_str(), |c| c.sid.as_str());
    let now = time::now();
    let row = |url: &str, method: &str, retry: i64, extra: Params| {
        let mut all = common(service, event, scope.access.identity());
        all.extend(params.iter().cloned());
        all.extend(extra);
        OutboxRow {
            id: sid::generate("WD"),
            account_sid: service.account_sid.clone(),
            ordering_key: ordering_key(where_, url),
            url: url.to_owned(),
            method: method.to_owned(),
            event_type: event.to_owned(),
            params: all,
            max_attempts: 1 + retry.max(0),
            date_created: now,
        }
    };
    let mut rows = Vec::new();
    if let Some(url) = service
        .settings
        .post_webhook_url
        .as_ref()
        .filter(|_| selected(service, event))
    {
        let method = service.settings.webhook_method.as_deref().unwrap_or("POST");
        rows.push(row(url, method, service.settings.post_webhook_retry_count, Vec::new()));
    }
    if let Some(channel) = channel.filter(|_| scope.channel_webhooks) {
        let page = PageReq {
            after: None,
            before: None,
            limit: 10,
            desc: false,
        };
        for hook in chat.store.list_webhooks(&channel.sid, page).await? {
            let ChannelWebhook {
                sid,
                webhook_type,
                configuration: c,
                ..
            } = &hook.item;
            let fires = match webhook_type.as_str() {
                "webhook" => c.filters.as_ref().is_some_and(|f| f.iter().any(|e| e == event)),
                "trigger" => {
                    event == "onMessageSent" && triggered(c.triggers.as_deref().unwrap_or(&[]), body.unwrap_or(""))
                }
                _ => {
                    tracing::info!(webhook = %sid, event, "studio channel webhooks are not delivered by a self-hosted server");
                    false
                }
            };
            if let (true, Some(url)) = (fires, c.url.as_ref()) {
                let extra = vec![p("WebhookSid", sid), p("WebhookType", webhook_type)];
                rows.push(row(
                    url,
                    c.method.as_deref().unwrap_or("POST"),
                    c.retry_count.unwrap_or(0),
                    extra,
                ));
            }
        }
    }
    Ok(rows)
}

/// True when `body` contains one of the trigger keywords as a whole word (case-insensitive).
fn triggered(keywords: &[String], body: &str) -> bool {
    let words: Vec<String> = body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    keywords.iter().any(|k| words.contains(&k.to_lowercase()))
}

/// The outbox ordering key of a delivery to `url` about `scope` (a channel, or the service for
/// events outside channels): deliveries are ordered per receiver URL and, within it, per
/// channel. A receiver that is down delays only its own deliveries, and one channel's retries
/// never hold back another channel's events. Migration 0005 computes the same key for rows
/// written before it.
fn ordering_key(scope: &str, url: &str) -> String {
    format!("{scope} {url}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_match_whole_words_case_insensitively() {
        let k = vec!["Help".to_owned()];
        assert!(triggered(&k, "I need help!"));
        assert!(!triggered(&k, "helpful"));
    }
}
