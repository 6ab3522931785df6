//! Channel webhooks: `webhook` (events), `trigger` (keywords) and `studio` (flow) types.

use super::{ChannelRef, Chat, ChatError, validate};
use crate::sid;
use crate::store::{AddWebhook, ChannelWebhook, Keyed, PageReq, WebhookConfig};
use crate::time;

/// Most webhooks one channel may have.
pub const MAX_WEBHOOKS: i64 = 5;
/// Most trigger keywords.
pub const MAX_TRIGGERS: usize = 5;
/// Highest channel webhook retry count.
pub const MAX_RETRY: i64 = 3;

/// The `Configuration.*` parameters; absent fields stay unchanged on update.
#[derive(Debug, Clone, Default)]
pub struct WebhookConfigPatch {
    /// `Configuration.Url`
    pub url: Option<String>,
    /// `Configuration.Method`
    pub method: Option<String>,
    /// `Configuration.Filters`
    pub filters: Option<Vec<String>>,
    /// `Configuration.Triggers`
    pub triggers: Option<Vec<String>>,
    /// `Configuration.FlowSid`
    pub flow_sid: Option<String>,
    /// `Configuration.RetryCount`
    pub retry_count: Option<i64>,
}

/// Applies `p` to `c` and checks the result for a webhook of `kind`.
fn configure(kind: &str, c: &mut WebhookConfig, p: WebhookConfigPatch) -> Result<(), ChatError> {
    if let Some(url) = p.url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ChatError::invalid("Configuration.Url", "must be an http or https URL"));
        }
        c.url = Some(validate::text("Configuration.Url", &url, validate::MAX_URL)?);
    }
    if let Some(m) = p.method {
        let m = m.to_ascii_uppercase();
        if m != "GET" && m != "POST" {
            return Err(ChatError::invalid("Configuration.Method", "must be GET or POST"));
        }
        c.method = Some(m);
    }
    if let Some(filters) = p.filters {
        if let Some(bad) = filters
            .iter()
            .find(|f| !super::Event::is_webhook(f) && !super::CONVERSATIONS_EVENTS.contains(&f.as_str()))
        {
            return Err(ChatError::invalid(
                "Configuration.Filters",
                &format!("unknown event {bad}"),
            ));
        }
        c.filters = Some(filters);
    }
    if let Some(triggers) = p.triggers {
        if triggers.len() > MAX_TRIGGERS {
            return Err(ChatError::invalid_code(
                50322,
                format!("Too many trigger keywords (maximum {MAX_TRIGGERS})"),
            ));
        }
        for t in &triggers {
            validate::text("Configuration.Triggers", t, validate::MAX_NAME)?;
        }
        c.triggers = Some(triggers);
    }
    if let Some(flow) = p.flow_sid {
        if !sid::is_sid("FW", &flow) {
            return Err(ChatError::invalid(
                "Configuration.FlowSid",
                "must be a Studio Flow SID (FW…)",
            ));
        }
        c.flow_sid = Some(flow);
    }
    if let Some(n) = p.retry_count {
        if !(0..=MAX_RETRY).contains(&n) {
            return Err(ChatError::invalid_code(
                50065,
                format!("Invalid webhook retry count: must be 0 to {MAX_RETRY}"),
            ));
        }
        c.retry_count = Some(n);
    }
    match kind {
        "webhook" | "trigger" if c.url.is_none() => Err(ChatError::missing("Configuration.Url")),
        "trigger" if c.triggers.as_ref().is_none_or(Vec::is_empty) => Err(ChatError::missing("Configuration.Triggers")),
        "studio" if c.flow_sid.is_none() => Err(ChatError::missing("Configuration.FlowSid")),
        _ => Ok(()),
    }
}

impl Chat {
    /// CreateChannelWebhook.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50321 (403) over five per channel; validation errors.
    pub async fn create_webhook(
        &self,
        at: ChannelRef<'_>,
        kind: &str,
        patch: WebhookConfigPatch,
    ) -> Result<ChannelWebhook, ChatError> {
        let (service, channel) = self.operator_channel(at).await?;
        if !["webhook", "trigger", "studio"].contains(&kind) {
            return Err(ChatError::invalid("Type", "must be webhook, trigger or studio"));
        }
        let mut configuration = WebhookConfig::default();
        configure(kind, &mut configuration, patch)?;
        if kind != "studio" {
            configuration.method.get_or_insert_with(|| "POST".to_owned());
            configuration.retry_count.get_or_insert(0);
        }
        let now = time::now();
        let webhook = ChannelWebhook {
            sid: sid::generate(sid::WEBHOOK),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            channel_sid: channel.sid,
            webhook_type: kind.to_owned(),
            configuration,
            date_created: now,
            date_updated: now,
        };
        match self.store.insert_webhook(&webhook, MAX_WEBHOOKS).await? {
            AddWebhook::Added => Ok(webhook),
            AddWebhook::TooMany => Err(ChatError::new(
                50321,
                format!("Too many channel webhooks (maximum {MAX_WEBHOOKS})"),
            )),
        }
    }

    /// FetchChannelWebhook.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn webhook(&self, at: ChannelRef<'_>, sid: &str) -> Result<ChannelWebhook, ChatError> {
        let (_, channel) = self.operator_channel(at).await?;
        if !sid::is_sid(sid::WEBHOOK, sid) {
            return Err(ChatError::NotFound);
        }
        self.store.webhook(&channel.sid, sid).await?.ok_or(ChatError::NotFound)
    }

    /// ListChannelWebhook.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn list_webhooks(
        &self,
        at: ChannelRef<'_>,
        page: PageReq,
    ) -> Result<Vec<Keyed<ChannelWebhook>>, ChatError> {
        let (_, channel) = self.operator_channel(at).await?;
        Ok(self.store.list_webhooks(&channel.sid, page).await?)
    }

    /// UpdateChannelWebhook.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; validation errors.
    pub async fn update_webhook(
        &self,
        at: ChannelRef<'_>,
        sid: &str,
        patch: WebhookConfigPatch,
    ) -> Result<ChannelWebhook, ChatError> {
        let mut w = self.webhook(at, sid).await?;
        configure(&w.webhook_type.clone(), &mut w.configuration, patch)?;
        w.date_updated = time::now();
        if self.store.update_webhook(&w).await? {
            Ok(w)
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// DeleteChannelWebhook.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_webhook(&self, at: ChannelRef<'_>, sid: &str) -> Result<(), ChatError> {
        let w = self.webhook(at, sid).await?;
        if self.store.delete_webhook(&w.channel_sid, &w.sid).await? {
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
