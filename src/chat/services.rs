//! Services: create with Twilio's defaults and the four default roles; update every setting.

use std::sync::Arc;

use super::roles::default_roles;
use super::{Chat, ChatError, validate};
use crate::sid;
use crate::store::{
    ConversationsServiceSettings, Keyed, NotificationKind, Notifications, PageReq, RoleType, Service, ServiceSettings,
};
use crate::time;

/// Highest value of `Limits.ChannelMembers` and `Limits.UserChannels`.
pub const MAX_LIMIT: i64 = 1000;
/// Highest webhook retry count.
pub const MAX_RETRY_COUNT: i64 = 5;
/// Longest notification template (characters).
pub const MAX_TEMPLATE: usize = 1024;

/// A partial change to one kind of push notification.
#[derive(Debug, Clone, Default)]
pub struct NotificationKindPatch {
    /// `….Enabled`
    pub enabled: Option<bool>,
    /// `….Template`
    pub template: Option<String>,
    /// `….Sound`
    pub sound: Option<String>,
    /// `….BadgeCountEnabled` (new messages only)
    pub badge_count_enabled: Option<bool>,
}

/// UpdateService: every field optional; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ServicePatch {
    /// `FriendlyName`
    pub friendly_name: Option<String>,
    /// `DefaultServiceRoleSid`
    pub default_service_role_sid: Option<String>,
    /// `DefaultChannelRoleSid`
    pub default_channel_role_sid: Option<String>,
    /// `DefaultChannelCreatorRoleSid`
    pub default_channel_creator_role_sid: Option<String>,
    /// `ReadStatusEnabled`
    pub read_status_enabled: Option<bool>,
    /// `ReachabilityEnabled`
    pub reachability_enabled: Option<bool>,
    /// `TypingIndicatorTimeout`
    pub typing_indicator_timeout: Option<i64>,
    /// `ConsumptionReportInterval`
    pub consumption_report_interval: Option<i64>,
    /// `Notifications.LogEnabled`
    pub notifications_log_enabled: Option<bool>,
    /// `Notifications.NewMessage.*`
    pub new_message: NotificationKindPatch,
    /// `Notifications.AddedToChannel.*`
    pub added_to_channel: NotificationKindPatch,
    /// `Notifications.RemovedFromChannel.*`
    pub removed_from_channel: NotificationKindPatch,
    /// `Notifications.InvitedToChannel.*`
    pub invited_to_channel: NotificationKindPatch,
    /// `PreWebhookUrl` (empty clears it)
    pub pre_webhook_url: Option<String>,
    /// `PostWebhookUrl` (empty clears it)
    pub post_webhook_url: Option<String>,
    /// `WebhookMethod`
    pub webhook_method: Option<String>,
    /// `WebhookFilters`
    pub webhook_filters: Option<Vec<String>>,
    /// `Limits.ChannelMembers`
    pub limit_channel_members: Option<i64>,
    /// `Limits.UserChannels`
    pub limit_user_channels: Option<i64>,
    /// `Media.CompatibilityMessage`
    pub media_compatibility_message: Option<String>,
    /// Conversations' `Configuration/Webhooks` `Filters` (Conversations event names).
    pub conversations_webhook_filters: Option<Vec<String>>,
    /// The account's Conversations webhooks this (default) service carries (`Some(None)`
    /// removes them); set by the account's configuration, never by a request directly.
    pub account_webhooks: Option<Option<crate::store::AccountWebhooks>>,
    /// Conversations' `NewMessage.WithMedia.Enabled`.
    pub new_message_with_media_enabled: Option<bool>,
    /// Conversations' `NewMessage.WithMedia.Template`.
    pub new_message_with_media_template: Option<String>,
    /// `PreWebhookRetryCount`
    pub pre_webhook_retry_count: Option<i64>,
    /// `PostWebhookRetryCount`
    pub post_webhook_retry_count: Option<i64>,
}

fn default_settings() -> ServiceSettings {
    ServiceSettings {
        default_service_role_sid: None,
        default_channel_role_sid: None,
        default_channel_creator_role_sid: None,
        read_status_enabled: true,
        reachability_enabled: false,
        typing_indicator_timeout: 5,
        consumption_report_interval: 10,
        limit_channel_members: 100,
        limit_user_channels: 250,
        pre_webhook_url: None,
        post_webhook_url: None,
        webhook_method: None,
        webhook_filters: None,
        pre_webhook_retry_count: 0,
        post_webhook_retry_count: 0,
        notifications: Notifications::default(),
        media_compatibility_message: None,
        conversations: ConversationsServiceSettings::default(),
    }
}

impl Chat {
    /// CreateService: a new service with Twilio's defaults and the four default roles.
    ///
    /// # Errors
    /// 20001/50003 for a missing or too long name.
    pub async fn create_service(&self, account_sid: &str, friendly_name: &str) -> Result<Service, ChatError> {
        let friendly_name = validate::friendly_name(friendly_name, validate::MAX_FRIENDLY_NAME)?;
        let now = time::now();
        let sid = sid::generate(sid::SERVICE);
        let roles = default_roles(account_sid, &sid, now);
        let mut settings = default_settings();
        let role_sid = |name: &str| roles.iter().find(|r| r.friendly_name == name).map(|r| r.sid.clone());
        settings.default_service_role_sid = role_sid("service user");
        settings.default_channel_role_sid = role_sid("channel user");
        settings.default_channel_creator_role_sid = role_sid("channel admin");
        let service = Service {
            sid,
            account_sid: account_sid.to_owned(),
            friendly_name,
            date_created: now,
            date_updated: now,
            revision: 0,
            settings,
        };
        self.store.insert_service(&service, &roles).await?;
        Ok(service)
    }

    /// FetchService.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the account owns the service.
    pub async fn service(&self, account_sid: &str, sid: &str) -> Result<Arc<Service>, ChatError> {
        if !sid::is_sid(sid::SERVICE, sid) {
            return Err(ChatError::NotFound);
        }
        if let Some(service) = self.services.get(sid) {
            return if service.account_sid == account_sid {
                Ok(service)
            } else {
                Err(ChatError::NotFound)
            };
        }
        let ticket = self.services.ticket();
        let Some(service) = self.store.service(account_sid, sid).await? else {
            // A request that passed the credential check just before its account was deleted
            // (on another node, or by the CLI) is refused as the next one will be, not told
            // that the account's data is missing.
            return Err(if self.store.account(account_sid).await?.is_none() {
                ChatError::Revoked
            } else {
                ChatError::NotFound
            });
        };
        let service = Arc::new(service);
        // On a shared database other nodes may change the service: every request reads it, so
        // an update through any node is visible through every node at once.
        if !self.store.shared() {
            self.services.fill(ticket, service.sid.clone(), Arc::clone(&service));
        }
        Ok(service)
    }

    /// Forgets a service after a change to it has committed.
    pub(super) fn forget_service(&self, sid: &str) {
        self.services.invalidate(|k, _| k == sid);
    }

    /// ListService: one page of the account's services.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list_services(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Service>>, ChatError> {
        Ok(self.store.list_services(account_sid, page).await?)
    }

    /// UpdateService: applies `patch` atomically (retrying on a concurrent update).
    ///
    /// # Errors
    /// [`ChatError::NotFound`], or a validation error naming the offending parameter.
    pub async fn update_service(
        &self,
        account_sid: &str,
        sid: &str,
        patch: ServicePatch,
    ) -> Result<Arc<Service>, ChatError> {
        if !sid::is_sid(sid::SERVICE, sid) {
            return Err(ChatError::NotFound);
        }
        for _ in 0..8 {
            let mut service = self.store.service(account_sid, sid).await?.ok_or(ChatError::NotFound)?;
            self.check_role_refs(&service, &patch).await?;
            apply(&mut service, &patch)?;
            service.revision += 1;
            service.date_updated = time::now();
            let updated = self.store.update_service(&service).await;
            self.forget_service(sid);
            if updated? {
                return Ok(Arc::new(service));
            }
        }
        Err(ChatError::Store(crate::store::StoreError::unavailable(
            "too many concurrent updates",
        )))
    }

    /// DeleteService: removes the service and everything in it.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the account owns the service.
    pub async fn delete_service(&self, account_sid: &str, sid: &str) -> Result<(), ChatError> {
        if !sid::is_sid(sid::SERVICE, sid) {
            return Err(ChatError::NotFound);
        }
        let deleted = self.store.delete_service(account_sid, sid).await;
        self.forget_service(sid);
        self.forget_participants();
        if deleted? { Ok(()) } else { Err(ChatError::NotFound) }
    }

    async fn check_role_refs(&self, service: &Service, patch: &ServicePatch) -> Result<(), ChatError> {
        let refs = [
            (
                "DefaultServiceRoleSid",
                &patch.default_service_role_sid,
                RoleType::Deployment,
            ),
            (
                "DefaultChannelRoleSid",
                &patch.default_channel_role_sid,
                RoleType::Channel,
            ),
            (
                "DefaultChannelCreatorRoleSid",
                &patch.default_channel_creator_role_sid,
                RoleType::Channel,
            ),
        ];
        for (param, value, want) in refs {
            let Some(role_sid) = value else { continue };
            if !sid::is_sid(sid::ROLE, role_sid) {
                return Err(ChatError::invalid(param, "must be a Role SID (RL…)"));
            }
            let Some(role) = self.store.role(&service.sid, role_sid).await? else {
                return Err(ChatError::invalid_code(
                    50100,
                    format!("Role not found: {param} {role_sid}"),
                ));
            };
            if role.role_type != want {
                return Err(ChatError::invalid_code(
                    50105,
                    format!("Invalid role type: {param} must name a role of type {}", want.as_str()),
                ));
            }
        }
        Ok(())
    }
}

fn apply(service: &mut Service, p: &ServicePatch) -> Result<(), ChatError> {
    let s = &mut service.settings;
    if let Some(name) = &p.friendly_name {
        service.friendly_name = validate::friendly_name(name, validate::MAX_FRIENDLY_NAME)?;
    }
    set(
        &mut s.default_service_role_sid,
        p.default_service_role_sid.clone().map(Some),
    );
    set(
        &mut s.default_channel_role_sid,
        p.default_channel_role_sid.clone().map(Some),
    );
    set(
        &mut s.default_channel_creator_role_sid,
        p.default_channel_creator_role_sid.clone().map(Some),
    );
    set(&mut s.read_status_enabled, p.read_status_enabled);
    set(&mut s.reachability_enabled, p.reachability_enabled);
    set(
        &mut s.typing_indicator_timeout,
        non_negative("TypingIndicatorTimeout", p.typing_indicator_timeout)?,
    );
    set(
        &mut s.consumption_report_interval,
        non_negative("ConsumptionReportInterval", p.consumption_report_interval)?,
    );
    set(&mut s.notifications.log_enabled, p.notifications_log_enabled);
    patch_kind(&mut s.notifications.new_message, &p.new_message)?;
    patch_kind(&mut s.notifications.added_to_channel, &p.added_to_channel)?;
    patch_kind(&mut s.notifications.removed_from_channel, &p.removed_from_channel)?;
    patch_kind(&mut s.notifications.invited_to_channel, &p.invited_to_channel)?;
    set(
        &mut s.pre_webhook_url,
        webhook_url("PreWebhookUrl", p.pre_webhook_url.as_deref())?,
    );
    set(
        &mut s.post_webhook_url,
        webhook_url("PostWebhookUrl", p.post_webhook_url.as_deref())?,
    );
    if let Some(method) = &p.webhook_method {
        let upper = method.to_ascii_uppercase();
        if upper != "GET" && upper != "POST" {
            return Err(ChatError::invalid("WebhookMethod", "must be GET or POST"));
        }
        s.webhook_method = Some(upper);
    }
    if let Some(filters) = &p.webhook_filters {
        if let Some(bad) = filters.iter().find(|f| !f.is_empty() && !super::Event::is_webhook(f)) {
            return Err(ChatError::invalid("WebhookFilters", &format!("unknown event {bad}")));
        }
        s.webhook_filters = Some(filters.iter().filter(|f| !f.is_empty()).cloned().collect());
    }
    if let Some(n) = p.limit_channel_members {
        if !(1..=MAX_LIMIT).contains(&n) {
            return Err(ChatError::invalid_code(
                50061,
                format!("Invalid channel members limit: must be 1 to {MAX_LIMIT}"),
            ));
        }
        s.limit_channel_members = n;
    }
    if let Some(n) = p.limit_user_channels {
        if !(1..=MAX_LIMIT).contains(&n) {
            return Err(ChatError::invalid_code(
                50060,
                format!("Invalid user channels limit: must be 1 to {MAX_LIMIT}"),
            ));
        }
        s.limit_user_channels = n;
    }
    if let Some(msg) = &p.media_compatibility_message {
        s.media_compatibility_message = Some(validate::text("Media.CompatibilityMessage", msg, MAX_TEMPLATE)?);
    }
    if let Some(filters) = &p.conversations_webhook_filters {
        if let Some(bad) = filters
            .iter()
            .find(|f| !f.is_empty() && !CONVERSATIONS_EVENTS.contains(&f.as_str()))
        {
            return Err(ChatError::invalid("Filters", &format!("unknown event {bad}")));
        }
        s.conversations.webhook_filters = filters.iter().filter(|f| !f.is_empty()).cloned().collect();
    }
    if let Some(hooks) = &p.account_webhooks {
        s.conversations.account_webhooks.clone_from(hooks);
    }
    set(
        &mut s.conversations.new_message_with_media_enabled,
        p.new_message_with_media_enabled,
    );
    if let Some(t) = &p.new_message_with_media_template {
        s.conversations.new_message_with_media_template =
            Some(validate::text("NewMessage.WithMedia.Template", t, MAX_TEMPLATE)?);
    }
    set(&mut s.pre_webhook_retry_count, retry_count(p.pre_webhook_retry_count)?);
    set(
        &mut s.post_webhook_retry_count,
        retry_count(p.post_webhook_retry_count)?,
    );
    Ok(())
}

/// The webhook events of the Conversations API (its `Filters` name these).
pub const CONVERSATIONS_EVENTS: &[&str] = &[
    "onConversationAdd",
    "onConversationAdded",
    "onConversationRemove",
    "onConversationRemoved",
    "onConversationUpdate",
    "onConversationUpdated",
    "onConversationStateUpdated",
    "onMessageAdd",
    "onMessageAdded",
    "onMessageRemove",
    "onMessageRemoved",
    "onMessageUpdate",
    "onMessageUpdated",
    "onParticipantAdd",
    "onParticipantAdded",
    "onParticipantRemove",
    "onParticipantRemoved",
    "onParticipantUpdate",
    "onParticipantUpdated",
    "onDeliveryUpdated",
    "onUserAdded",
    "onUserUpdate",
    "onUserUpdated",
];

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn non_negative(param: &str, v: Option<i64>) -> Result<Option<i64>, ChatError> {
    match v {
        Some(n) if n < 0 => Err(ChatError::invalid(param, "must not be negative")),
        other => Ok(other),
    }
}

fn retry_count(v: Option<i64>) -> Result<Option<i64>, ChatError> {
    match v {
        Some(n) if !(0..=MAX_RETRY_COUNT).contains(&n) => Err(ChatError::invalid_code(
            50065,
            format!("Invalid webhook retry count: must be 0 to {MAX_RETRY_COUNT}"),
        )),
        other => Ok(other),
    }
}

/// `Some(None)` clears the URL (empty string), `Some(Some(url))` sets it.
fn webhook_url(param: &str, v: Option<&str>) -> Result<Option<Option<String>>, ChatError> {
    match v {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Ok(Some(Some(validate::text(param, url, validate::MAX_URL)?)))
        }
        Some(_) => Err(ChatError::invalid(param, "must be an http or https URL")),
    }
}

fn patch_kind(kind: &mut NotificationKind, p: &NotificationKindPatch) -> Result<(), ChatError> {
    set(&mut kind.enabled, p.enabled);
    if let Some(t) = &p.template {
        if t.chars().count() > MAX_TEMPLATE {
            return Err(ChatError::invalid_code(50058, "Notification template is too long"));
        }
        kind.template = Some(t.clone());
    }
    if let Some(sound) = &p.sound {
        kind.sound = Some(validate::text("Notifications.*.Sound", sound, validate::MAX_NAME)?);
    }
    if let Some(b) = p.badge_count_enabled {
        kind.badge_count_enabled = Some(b);
    }
    Ok(())
}
