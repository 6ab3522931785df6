//! The post-event deliveries a change writes to the outbox with itself, and the parameters
//! every webhook request carries: Chat's receivers get Chat's payloads, the Conversations
//! API's receivers get Conversations' (see `super::payload`).

use super::access::Scope;
use super::events::{Event, Params, p};
use super::payload::{Payload, chat_selected, receivers};
use super::{Chat, ChatError};
use crate::sid;
use crate::store::{Channel, ChannelWebhook, OutboxRow, PageReq, Service};
use crate::time;

/// The parameters every webhook request carries.
pub(super) fn common(service: &Service, event: &str, identity: Option<&str>) -> Params {
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

/// The post-event deliveries of `event`: Chat's (the service's post-event URL as its filters
/// select, and the channel's `webhook` hooks filtering on it and `trigger` hooks matched by
/// `body`) and, when the change has a Conversations event (`conversations`), the Conversations
/// API's (the service's and account's receivers listing it, and the conversation's webhooks
/// filtering on it).
pub(super) async fn post_events(
    chat: &Chat,
    scope: &Scope,
    channel: Option<&Channel>,
    event: Event,
    conversations: Option<&str>,
    payload: &Payload,
    body: Option<&str>,
) -> Result<Vec<OutboxRow>, ChatError> {
    let service = &scope.service;
    let where_ = channel.map_or(service.sid.as_str(), |c| c.sid.as_str());
    let now = time::now();
    let identity = scope.access.identity();
    let row = |url: &str, method: &str, retry: i64, event: &str, params: Params| OutboxRow {
        id: sid::generate("WD"),
        account_sid: service.account_sid.clone(),
        ordering_key: ordering_key(where_, url),
        url: url.to_owned(),
        method: method.to_owned(),
        event_type: event.to_owned(),
        params,
        max_attempts: 1 + retry.max(0),
        date_created: now,
    };
    let chat_params = |event: &str, extra: Params| {
        let mut all = common(service, event, identity);
        all.extend(payload.chat.iter().cloned());
        all.extend(extra);
        all
    };
    let mut rows = Vec::new();
    let post = event.post();
    if let (Some(post), Some(url)) = (post, service.settings.post_webhook_url.as_deref())
        && chat_selected(service, post)
    {
        let method = service.settings.webhook_method.as_deref().unwrap_or("POST");
        let retry = service.settings.post_webhook_retry_count;
        rows.push(row(url, method, retry, post, chat_params(post, Vec::new())));
    }
    let hooks = match channel.filter(|_| scope.channel_webhooks) {
        Some(c) => {
            let page = PageReq {
                after: None,
                before: None,
                limit: 10,
                desc: false,
            };
            chat.store.list_webhooks(&c.sid, page).await?
        }
        None => Vec::new(),
    };
    for hook in &hooks {
        let ChannelWebhook {
            sid,
            webhook_type,
            configuration: c,
            ..
        } = &hook.item;
        let fires = |name: Option<&str>| {
            name.is_some_and(|name| c.filters.as_ref().is_some_and(|f| f.iter().any(|e| e == name)))
        };
        let Some(url) = c.url.as_deref() else { continue };
        let method = c.method.as_deref().unwrap_or("POST");
        let retry = c.retry_count.unwrap_or(0);
        let extra = || vec![p("WebhookSid", sid), p("WebhookType", webhook_type)];
        match webhook_type.as_str() {
            "webhook" => {
                if let Some(post) = post.filter(|_| fires(post)) {
                    rows.push(row(url, method, retry, post, chat_params(post, extra())));
                }
            }
            "trigger" => {
                if post == Some("onMessageSent") && triggered(c.triggers.as_deref().unwrap_or(&[]), body.unwrap_or(""))
                {
                    rows.push(row(
                        url,
                        method,
                        retry,
                        "onMessageSent",
                        chat_params("onMessageSent", extra()),
                    ));
                }
            }
            _ => tracing::info!(webhook = %sid, "studio channel webhooks are not delivered by a self-hosted server"),
        }
    }
    let Some(name) = conversations else {
        return Ok(rows);
    };
    let mut params = payload.conversations.clone();
    let state = payload.state_change.as_ref().map(|(from, to)| {
        let mut v = vec![p("ConversationSid", where_), p("StateFrom", from), p("StateTo", to)];
        v.push(p("Reason", if identity.is_some() { "SDK" } else { "API" }));
        v.push(p("StateUpdated", time::format(&now)));
        v
    });
    let mut conv = Vec::new();
    for r in receivers(service, name, false) {
        conv.push((r.url, r.method, r.retry_count, name, Vec::new()));
    }
    if state.is_some() {
        for r in receivers(service, STATE_UPDATED, false) {
            conv.push((r.url, r.method, r.retry_count, STATE_UPDATED, Vec::new()));
        }
    }
    for hook in hooks.iter().filter(|h| h.item.webhook_type == "webhook") {
        let c = &hook.item.configuration;
        let Some(url) = c.url.as_deref() else { continue };
        let filters = c.filters.as_deref().unwrap_or(&[]);
        let extra = vec![p("WebhookSid", &hook.item.sid), p("WebhookType", "webhook")];
        let method = c.method.as_deref().unwrap_or("POST");
        let retry = c.retry_count.unwrap_or(0);
        if filters.iter().any(|f| f == name) {
            conv.push((url, method, retry, name, extra.clone()));
        }
        if state.is_some() && filters.iter().any(|f| f == STATE_UPDATED) {
            conv.push((url, method, retry, STATE_UPDATED, extra));
        }
    }
    if conv.is_empty() {
        return Ok(rows);
    }
    if let (Some(author), Some(c)) = (param(&params, "Author"), channel)
        && param(&params, "ParticipantSid").is_none()
        && let Some(sid) = chat.participant_sid(&c.sid, author).await?
    {
        params.push(p("ParticipantSid", sid));
    }
    for (url, method, retry, event, extra) in conv {
        let mut all = conversations_common(service, event, identity);
        if event == STATE_UPDATED {
            all.extend(state.iter().flatten().cloned());
        } else {
            all.extend(params.iter().cloned());
        }
        all.extend(extra);
        rows.push(row(url, method, retry, event, all));
    }
    Ok(rows)
}

/// The Conversations event of a conversation's state change.
const STATE_UPDATED: &str = "onConversationStateUpdated";

/// The value of parameter `name`, if set.
fn param<'p>(params: &'p Params, name: &str) -> Option<&'p str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The parameters every Conversations webhook request carries.
pub(super) fn conversations_common(service: &Service, event: &str, identity: Option<&str>) -> Params {
    let mut v = vec![
        p("EventType", event),
        p("AccountSid", &service.account_sid),
        p("ChatServiceSid", &service.sid),
        p("Source", if identity.is_some() { "SDK" } else { "API" }),
    ];
    if let Some(identity) = identity {
        v.push(p("ClientIdentity", identity));
    }
    v
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
