//! What the Conversations API adds to the domain: the account's default Conversations service
//! and the account-wide Conversations configuration.
//!
//! Everything else the Conversations API serves is the Chat domain seen through other names
//! (a conversation is a private channel, a participant a member); the HTTP layer maps it.

use std::sync::Arc;

use super::{Chat, ChatError, ServicePatch};
use crate::store::{AccountWebhooks, ConversationsAccount, ConversationsSettings, Service};

/// The name Twilio gives the service it creates for an account's Conversations.
pub const DEFAULT_SERVICE_NAME: &str = "Default Conversations Service";

/// Attempts at settling the default service before giving up (each loses only to a
/// concurrent writer, which settles it).
const ATTEMPTS: usize = 4;

/// A change to `/v1/Configuration` (`None` keeps a field).
#[derive(Debug, Clone, Default)]
pub struct ConversationsConfigPatch {
    /// `DefaultChatServiceSid`: must name a service of the account.
    pub default_service_sid: Option<String>,
    /// `DefaultMessagingServiceSid`.
    pub default_messaging_service_sid: Option<String>,
    /// `DefaultInactiveTimer`.
    pub default_inactive_timer: Option<String>,
    /// `DefaultClosedTimer`.
    pub default_closed_timer: Option<String>,
    /// `/v1/Configuration/Webhooks` `Method`.
    pub webhook_method: Option<String>,
    /// `/v1/Configuration/Webhooks` `Filters`.
    pub webhook_filters: Option<Vec<String>>,
    /// `/v1/Configuration/Webhooks` `PreWebhookUrl`.
    pub pre_webhook_url: Option<String>,
    /// `/v1/Configuration/Webhooks` `PostWebhookUrl`.
    pub post_webhook_url: Option<String>,
    /// `/v1/Configuration/Webhooks` `Target`.
    pub webhook_target: Option<String>,
}

impl Chat {
    /// The account's Conversations configuration, creating it (with a new default service,
    /// the way Twilio sets an account up) the first time it is needed. Idempotent and
    /// race-free across nodes: concurrent first uses agree on one service, and the losers'
    /// services are removed. A default service that was deleted is replaced the same way.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn conversations_account(&self, account_sid: &str) -> Result<ConversationsAccount, ChatError> {
        for _ in 0..ATTEMPTS {
            let stored = self.store.conversations_account(account_sid).await?;
            if let Some(row) = &stored {
                match self.service(account_sid, &row.default_service_sid).await {
                    Ok(_) => return Ok(row.clone()),
                    Err(ChatError::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            let service = self.create_service(account_sid, DEFAULT_SERVICE_NAME).await?;
            let row = ConversationsAccount {
                account_sid: account_sid.to_owned(),
                default_service_sid: service.sid.clone(),
                settings: stored.as_ref().map(|r| r.settings.clone()).unwrap_or_default(),
            };
            let expected = stored.as_ref().map(|r| r.default_service_sid.as_str());
            if self.store.put_conversations_account(&row, expected).await? {
                if let Some(before) = &stored {
                    self.carry_account_webhooks(before, &row).await?;
                }
                return Ok(row);
            }
            // Another request settled it first: ours is not needed.
            self.delete_service(account_sid, &service.sid).await?;
        }
        Err(ChatError::Store(crate::store::StoreError::unavailable(
            "too many concurrent changes to the Conversations configuration",
        )))
    }

    /// The account's default Conversations service (see [`Chat::conversations_account`]).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn default_conversations_service(&self, account_sid: &str) -> Result<Arc<Service>, ChatError> {
        let row = self.conversations_account(account_sid).await?;
        self.service(account_sid, &row.default_service_sid).await
    }

    /// UpdateConfiguration / UpdateConfigurationWebhook: applies `patch` to the account's
    /// Conversations configuration.
    ///
    /// # Errors
    /// 20001 for a default service the account does not own, a messaging service that is not
    /// an MG SID, or a bad method or target; default timers as [`Chat::update_channel`] checks
    /// timers (50375, 50376, 50379, 50380).
    pub async fn update_conversations_account(
        &self,
        account_sid: &str,
        patch: ConversationsConfigPatch,
    ) -> Result<ConversationsAccount, ChatError> {
        if let Some(m) = &patch.default_messaging_service_sid
            && !m.is_empty()
            && !crate::sid::is_sid("MG", m)
        {
            return Err(ChatError::invalid(
                "DefaultMessagingServiceSid",
                "must be a Messaging Service SID (MG…)",
            ));
        }
        if let Some(sid) = &patch.default_service_sid {
            match self.service(account_sid, sid).await {
                Ok(_) => {}
                Err(ChatError::NotFound) => {
                    return Err(ChatError::invalid(
                        "DefaultChatServiceSid",
                        "is not a service of this account",
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        // The defaults obey the rules of the timers they become (an empty value removes one).
        if let Some(v) = &patch.default_inactive_timer {
            self.timer_ms(false, v)?;
        }
        if let Some(v) = &patch.default_closed_timer {
            self.timer_ms(true, v)?;
        }
        if let Some(m) = &patch.webhook_method
            && !matches!(m.to_ascii_uppercase().as_str(), "GET" | "POST")
        {
            return Err(ChatError::invalid("Method", "must be GET or POST"));
        }
        if let Some(bad) = patch
            .webhook_filters
            .iter()
            .flatten()
            .find(|f| !super::CONVERSATIONS_EVENTS.contains(&f.as_str()))
        {
            return Err(ChatError::invalid("Filters", &format!("unknown event {bad}")));
        }
        if let Some(t) = &patch.webhook_target
            && !matches!(t.as_str(), "webhook" | "flex")
        {
            return Err(ChatError::invalid("Target", "must be webhook or flex"));
        }
        for _ in 0..ATTEMPTS {
            let current = self.conversations_account(account_sid).await?;
            let mut next = current.clone();
            apply(&mut next.settings, &patch);
            if let Some(sid) = &patch.default_service_sid {
                next.default_service_sid.clone_from(sid);
            }
            if self
                .store
                .put_conversations_account(&next, Some(&current.default_service_sid))
                .await?
            {
                self.carry_account_webhooks(&current, &next).await?;
                return Ok(next);
            }
        }
        Err(ChatError::Store(crate::store::StoreError::unavailable(
            "too many concurrent changes to the Conversations configuration",
        )))
    }
}

impl Chat {
    /// Copies the account's webhooks onto its default service (see
    /// [`crate::store::ConversationsServiceSettings::account_webhooks`]), removing them from
    /// the service that was the default before.
    async fn carry_account_webhooks(
        &self,
        before: &ConversationsAccount,
        after: &ConversationsAccount,
    ) -> Result<(), ChatError> {
        let hooks = account_webhooks(&after.settings);
        let account = &after.account_sid;
        if before.default_service_sid != after.default_service_sid {
            let clear = ServicePatch {
                account_webhooks: Some(None),
                ..ServicePatch::default()
            };
            match self.update_service(account, &before.default_service_sid, clear).await {
                Ok(_) | Err(ChatError::NotFound) => {}
                Err(e) => return Err(e),
            }
        } else if hooks == account_webhooks(&before.settings) {
            return Ok(());
        }
        let set = ServicePatch {
            account_webhooks: Some(hooks),
            ..ServicePatch::default()
        };
        self.update_service(account, &after.default_service_sid, set).await?;
        Ok(())
    }
}

/// The account's webhooks as its default service carries them: `None` unless they can fire
/// (a URL is set and the target is `webhook`; Flex targets are Twilio's own product).
fn account_webhooks(s: &ConversationsSettings) -> Option<AccountWebhooks> {
    let target = s.webhook_target.as_deref().unwrap_or("webhook");
    if target != "webhook" || (s.pre_webhook_url.is_none() && s.post_webhook_url.is_none()) {
        return None;
    }
    Some(AccountWebhooks {
        pre_webhook_url: s.pre_webhook_url.clone(),
        post_webhook_url: s.post_webhook_url.clone(),
        method: s.webhook_method.clone(),
        filters: s.webhook_filters.clone(),
    })
}

fn apply(s: &mut ConversationsSettings, p: &ConversationsConfigPatch) {
    let set = |field: &mut Option<String>, value: &Option<String>| {
        if let Some(v) = value {
            *field = (!v.is_empty()).then(|| v.clone());
        }
    };
    set(&mut s.default_messaging_service_sid, &p.default_messaging_service_sid);
    set(&mut s.default_inactive_timer, &p.default_inactive_timer);
    set(&mut s.default_closed_timer, &p.default_closed_timer);
    set(
        &mut s.webhook_method,
        &p.webhook_method.as_ref().map(|m| m.to_ascii_uppercase()),
    );
    set(&mut s.pre_webhook_url, &p.pre_webhook_url);
    set(&mut s.post_webhook_url, &p.post_webhook_url);
    set(&mut s.webhook_target, &p.webhook_target);
    if let Some(f) = &p.webhook_filters {
        s.webhook_filters.clone_from(f);
    }
}
