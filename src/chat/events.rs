//! Webhook events: which hooks an operation fires, with Twilio's event names and parameters.
//!
//! Pre-event hooks are called synchronously (through [`PreEventHook`], implemented outside the
//! domain) and may veto or modify the action. Post-event deliveries become [`OutboxRow`]s that
//! the store writes in the same transaction as the change. REST calls fire hooks only with
//! `X-Twilio-Webhook-Enabled: true`, which reaches the domain as `webhooks: bool`.

use async_trait::async_trait;
use serde_json::Value;

use super::{Chat, ChatError};
use crate::sid;
use crate::store::{Channel, ChannelWebhook, Member, Message, OutboxRow, PageReq, Service, User};
use crate::time::{self, Timestamp};

/// Form parameters of a webhook request, in order.
pub type Params = Vec<(String, String)>;

/// A synchronous pre-event request.
#[derive(Debug, Clone)]
pub struct HookRequest {
    /// Target URL.
    pub url: String,
    /// `GET` or `POST`.
    pub method: String,
    /// Form parameters (without `RetryCount`, which the caller adds per attempt).
    pub params: Params,
    /// Signs the request.
    pub auth_token: String,
    /// Extra attempts on timeout, 429, 503 or 504.
    pub retry_count: i64,
}

/// Why a pre-event hook did not approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookFailure {
    /// It answered with this non-2xx status.
    Rejected(u16),
    /// No usable answer on any attempt: refused target, unreachable, not HTTP, timed out, or an
    /// answer too large to read. Deliberately carries no reason, so none can reach the tenant
    /// (the caller logs it): these cases must look the same from outside.
    NoAnswer,
}

/// Calls pre-event webhooks. Implemented by `crate::webhooks` with a real HTTP client.
#[async_trait]
pub trait PreEventHook: Send + Sync {
    /// Calls the hook; `Ok(Some(json))` when it approved with a JSON body.
    async fn call(&self, request: HookRequest) -> Result<Option<Value>, HookFailure>;
}

/// Formats dates as webhook parameters carry them (milliseconds, `Z`).
fn ms(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn p(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_owned(), value.into())
}

/// Parameters of message events (`MessageSid` and `Index` only once they exist).
pub(super) fn message_params(m: &Message, stored: bool) -> Params {
    let mut v = vec![
        p("ChannelSid", &m.channel_sid),
        p("Body", &m.body),
        p("Attributes", m.attributes.as_deref().unwrap_or("{}")),
        p("From", &m.from),
        p("DateCreated", ms(&m.date_created)),
    ];
    if let Some(media) = &m.media_sid {
        v.push(p("MediaSid", media));
    }
    if stored {
        v.push(p("MessageSid", &m.sid));
        v.push(p("DateUpdated", ms(&m.date_updated)));
    }
    v
}

/// Parameters of channel events.
pub(super) fn channel_params(c: &Channel, stored: bool) -> Params {
    let mut v = vec![
        p("ChannelType", &c.channel_type),
        p("FriendlyName", c.friendly_name.as_deref().unwrap_or("")),
        p("UniqueName", c.unique_name.as_deref().unwrap_or("")),
        p("Attributes", &c.attributes),
        p("CreatedBy", &c.created_by),
        p("DateCreated", ms(&c.date_created)),
        p("DateUpdated", ms(&c.date_updated)),
    ];
    if stored {
        v.insert(0, p("ChannelSid", &c.sid));
        v.push(p("MembersCount", c.members_count.to_string()));
        v.push(p("MessagesCount", c.messages_count.to_string()));
    }
    v
}

/// Parameters of member events; `reason` is `ADDED`, `REMOVED` or empty for updates.
pub(super) fn member_params(m: &Member, reason: &str, stored: bool) -> Params {
    let mut v = vec![
        p("ChannelSid", &m.channel_sid),
        p("Identity", &m.identity),
        p("RoleSid", m.role_sid.as_deref().unwrap_or("")),
        p("Attributes", &m.attributes),
        p("DateCreated", ms(&m.date_created)),
        p("DateUpdated", ms(&m.date_updated)),
    ];
    if !reason.is_empty() {
        v.push(p("Reason", reason));
    }
    if let Some(i) = m.last_consumed_message_index {
        v.push(p("LastConsumedMessageIndex", i.to_string()));
    }
    if stored {
        v.push(p("MemberSid", &m.sid));
    }
    v
}

/// Parameters of user events.
pub(super) fn user_params(u: &User) -> Params {
    vec![
        p("UserSid", &u.sid),
        p("Identity", &u.identity),
        p("FriendlyName", u.friendly_name.as_deref().unwrap_or("")),
        p("Attributes", u.attributes.as_deref().unwrap_or("{}")),
        p("RoleSid", u.role_sid.as_deref().unwrap_or("")),
        p("IsOnline", "false"),
        p("IsNotifiable", "false"),
        p("DateCreated", ms(&u.date_created)),
        p("DateUpdated", ms(&u.date_updated)),
    ]
}

/// Whether the service's `WebhookFilters` select `event` (unset or empty selects all).
fn selected(service: &Service, event: &str) -> bool {
    match &service.settings.webhook_filters {
        Some(filters) if !filters.is_empty() => filters.iter().any(|f| f == event),
        _ => true,
    }
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

fn common(service: &Service, event: &str) -> Params {
    vec![
        p("EventType", event),
        p("AccountSid", &service.account_sid),
        p("InstanceSid", &service.sid),
        p("Source", "API"),
    ]
}

impl Chat {
    /// Runs the service's pre-event hook for `event` when webhooks are on and one is set.
    ///
    /// Returns the hook's JSON answer, if any, so the caller can apply modifications.
    ///
    /// # Errors
    /// 403 / 20403 when the hook answered non-2xx; 502 / 50076, with one fixed message, when it
    /// gave no usable answer for any reason.
    pub(super) async fn pre_event(
        &self,
        webhooks: bool,
        service: &Service,
        event: &str,
        params: Params,
    ) -> Result<Option<Value>, ChatError> {
        let Some(url) = service
            .settings
            .pre_webhook_url
            .as_ref()
            .filter(|_| webhooks && selected(service, event))
        else {
            return Ok(None);
        };
        let mut all = common(service, event);
        all.extend(params);
        let request = HookRequest {
            url: url.clone(),
            method: service
                .settings
                .webhook_method
                .clone()
                .unwrap_or_else(|| "POST".to_owned()),
            params: all,
            auth_token: self.auth_token(&service.account_sid).await?,
            retry_count: service.settings.pre_webhook_retry_count,
        };
        match self.pre_hook.call(request).await {
            Ok(answer) => Ok(answer),
            Err(HookFailure::Rejected(status)) => Err(ChatError::Forbidden {
                code: 20403,
                message: format!("The pre-event webhook rejected {event} (HTTP {status})"),
            }),
            Err(HookFailure::NoAnswer) => Err(ChatError::HookUnavailable {
                code: 50076,
                message: format!("The pre-event webhook gave no usable answer for {event}"),
            }),
        }
    }

    /// The post-event deliveries for `event`: the service's post-event URL and, for a channel,
    /// its `webhook` hooks filtering on the event and `trigger` hooks matched by `body`.
    pub(super) async fn post_events(
        &self,
        webhooks: bool,
        service: &Service,
        channel: Option<&Channel>,
        event: &str,
        params: &Params,
        body: Option<&str>,
    ) -> Result<Vec<OutboxRow>, ChatError> {
        if !webhooks {
            return Ok(Vec::new());
        }
        let scope = channel.map_or(service.sid.as_str(), |c| c.sid.as_str());
        let now = time::now();
        let row = |url: &str, method: &str, retry: i64, extra: Params| {
            let mut all = common(service, event);
            all.extend(params.iter().cloned());
            all.extend(extra);
            OutboxRow {
                id: sid::generate("WD"),
                account_sid: service.account_sid.clone(),
                ordering_key: ordering_key(scope, url),
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
        if let Some(channel) = channel {
            let page = PageReq {
                after: None,
                before: None,
                limit: 10,
                desc: false,
            };
            for hook in self.store.list_webhooks(&channel.sid, page).await? {
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
}

/// The outbox ordering key of a delivery to `url` about `scope` (a channel, or the service for
/// events outside channels): deliveries are ordered per receiver URL and, within it, per
/// channel. A receiver that is down delays only its own deliveries, and one channel's retries
/// never hold back another channel's events. Migration 0005 computes the same key for rows
/// written before it.
fn ordering_key(scope: &str, url: &str) -> String {
    format!("{scope} {url}")
}

/// Reads a string field a pre-event hook may set, in snake_case or PascalCase.
pub(super) fn modified(answer: Option<&Value>, snake: &str, pascal: &str) -> Option<String> {
    let v = answer?.get(snake).or_else(|| answer?.get(pascal))?;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
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

    #[test]
    fn modified_reads_either_spelling() {
        let v: Value = serde_json::json!({"Body": "new", "attributes": {"a": 1}});
        assert_eq!(modified(Some(&v), "body", "Body").as_deref(), Some("new"));
        assert_eq!(
            modified(Some(&v), "attributes", "Attributes").as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(modified(None, "body", "Body"), None);
    }
}
