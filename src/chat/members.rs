//! Members: users in a channel, with their role and read horizon.

use std::sync::Arc;

use super::events::{member_params, modified};
use super::{Chat, ChatError, validate};
use crate::sid;
use crate::store::{AddMember, Channel, Keyed, Member, OutboxRow, PageReq, RoleType, Service, User};
use crate::time::{self, Timestamp};

/// CreateMember input.
#[derive(Debug, Clone, Default)]
pub struct NewMember {
    /// `Identity` (required).
    pub identity: String,
    /// `RoleSid` (a channel role; the service default when absent).
    pub role_sid: Option<String>,
    /// `Attributes`
    pub attributes: Option<String>,
    /// `LastConsumedMessageIndex`
    pub last_consumed_message_index: Option<i64>,
    /// `LastConsumptionTimestamp`
    pub last_consumption_timestamp: Option<Timestamp>,
    /// `DateCreated`
    pub date_created: Option<Timestamp>,
    /// `DateUpdated`
    pub date_updated: Option<Timestamp>,
}

/// UpdateMember input. `last_consumed_message_index: Some(None)` clears the horizon.
#[derive(Debug, Clone, Default)]
pub struct MemberPatch {
    /// `RoleSid`
    pub role_sid: Option<String>,
    /// `Attributes`
    pub attributes: Option<String>,
    /// `LastConsumedMessageIndex`
    pub last_consumed_message_index: Option<Option<i64>>,
    /// `LastConsumptionTimestamp`
    pub last_consumption_timestamp: Option<Timestamp>,
    /// `NotificationLevel` (user channel updates)
    pub notification_level: Option<String>,
    /// `DateCreated`
    pub date_created: Option<Timestamp>,
    /// `DateUpdated`
    pub date_updated: Option<Timestamp>,
}

impl Chat {
    /// Checks that `role_sid` names a channel role of `service`.
    pub(super) async fn channel_role(&self, service: &Service, role_sid: &str) -> Result<String, ChatError> {
        if !sid::is_sid(sid::ROLE, role_sid) {
            return Err(ChatError::invalid("RoleSid", "must be a Role SID (RL…)"));
        }
        let Some(role) = self.store.role(&service.sid, role_sid).await? else {
            return Err(ChatError::invalid_code(
                50101,
                format!("Channel role not found: {role_sid}"),
            ));
        };
        if role.role_type != RoleType::Channel {
            return Err(ChatError::invalid_code(
                50105,
                "Invalid role type: RoleSid must name a channel role",
            ));
        }
        Ok(role.sid)
    }

    /// CreateMember: adds an identity to a channel, creating the User if needed.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50404 (409) duplicate; 50403/50208 (403) limits.
    pub async fn add_member(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        input: NewMember,
        webhooks: bool,
    ) -> Result<Member, ChatError> {
        let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        if input.identity.is_empty() {
            return Err(ChatError::missing("Identity"));
        }
        let role_sid = match &input.role_sid {
            Some(r) => Some(self.channel_role(&service, r).await?),
            None => service.settings.default_channel_role_sid.clone(),
        };
        let attributes = validate::attributes(input.attributes.as_deref().unwrap_or("{}"))?;
        let now = time::now();
        // `Identity` may name the user by SID; the member row always holds the identity, so
        // the per-user limits and the one-membership-per-channel rule see one key per user.
        let (identity, new_user) = match self.store.user(&service.sid, &input.identity).await? {
            Some(user) => (user.identity, None),
            None if sid::is_sid(sid::USER, &input.identity) => return Err(ChatError::NotFound),
            None => {
                let identity = super::users::identity(&input.identity)?;
                let user = User {
                    sid: sid::generate(sid::USER),
                    account_sid: account_sid.to_owned(),
                    service_sid: service.sid.clone(),
                    role_sid: service.settings.default_service_role_sid.clone(),
                    identity: identity.clone(),
                    attributes: None,
                    friendly_name: None,
                    joined_channels_count: 0,
                    date_created: now,
                    date_updated: now,
                };
                (identity, Some(user))
            }
        };
        let date_created = input.date_created.unwrap_or(now);
        let member = Member {
            sid: sid::generate(sid::MEMBER),
            account_sid: account_sid.to_owned(),
            service_sid: service.sid.clone(),
            channel_sid: channel.sid.clone(),
            identity,
            role_sid,
            attributes,
            last_consumed_message_index: input.last_consumed_message_index,
            last_consumption_timestamp: input
                .last_consumption_timestamp
                .or(input.last_consumed_message_index.map(|_| now)),
            notification_level: None,
            date_created,
            date_updated: input.date_updated.unwrap_or(date_created),
        };
        let mut member = member;
        let answer = self
            .pre_event(
                webhooks,
                &service,
                "onMemberAdd",
                member_params(&member, "ADDED", false),
            )
            .await?;
        if let Some(a) = modified(answer.as_ref(), "attributes", "Attributes") {
            member.attributes = validate::attributes(&a)?;
        }
        let params = member_params(&member, "ADDED", true);
        let outbox = self
            .post_events(webhooks, &service, Some(&channel), "onMemberAdded", &params, None)
            .await?;
        let limits = (
            service.settings.limit_channel_members,
            service.settings.limit_user_channels,
        );
        match self
            .store
            .add_member(&member, new_user.as_ref(), limits.0, limits.1, &outbox)
            .await?
        {
            AddMember::Added => {
                self.emit("onMemberAdded", &service, Some(&channel.sid), &member.sid)
                    .await;
                Ok(member)
            }
            AddMember::ChannelGone => Err(ChatError::NotFound),
            AddMember::Duplicate => Err(ChatError::Conflict {
                code: 50404,
                message: "Member already exists".into(),
            }),
            AddMember::ChannelFull => Err(ChatError::Forbidden {
                code: 50403,
                message: format!("Channel member limit exceeded (Limits.ChannelMembers is {})", limits.0),
            }),
            AddMember::UserFull => Err(ChatError::Forbidden {
                code: 50208,
                message: format!("User channel limit exceeded (Limits.UserChannels is {})", limits.1),
            }),
        }
    }

    /// Resolves service, channel and member (by SID or identity).
    pub(super) async fn member_of(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        key: &str,
    ) -> Result<(Arc<Service>, Channel, Member), ChatError> {
        let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        let member = self.store.member(&channel.sid, key).await?.ok_or(ChatError::NotFound)?;
        Ok((service, channel, member))
    }

    /// FetchMember by SID or identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn member(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        key: &str,
    ) -> Result<Member, ChatError> {
        Ok(self.member_of(account_sid, service_sid, channel_key, key).await?.2)
    }

    /// ListMember, optionally only the given identities.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn list_members(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Member>>, ChatError> {
        let (_, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        Ok(self.store.list_members(&channel.sid, identities, page).await?)
    }

    /// UpdateMember (also used by UpdateUserChannel).
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; validation errors.
    pub async fn update_member(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        key: &str,
        patch: MemberPatch,
        webhooks: bool,
    ) -> Result<Member, ChatError> {
        let (service, channel, mut member) = self.member_of(account_sid, service_sid, channel_key, key).await?;
        self.apply_member_patch(&service, &mut member, patch).await?;
        let outbox = self.member_updated(webhooks, &service, &channel, &member).await?;
        if self.store.update_member(&member, &outbox).await? {
            self.emit("onMemberUpdated", &service, Some(&channel.sid), &member.sid)
                .await;
            Ok(member)
        } else {
            Err(ChatError::NotFound)
        }
    }

    pub(super) async fn apply_member_patch(
        &self,
        service: &Service,
        member: &mut Member,
        patch: MemberPatch,
    ) -> Result<(), ChatError> {
        let now = time::now();
        if let Some(r) = &patch.role_sid {
            member.role_sid = Some(self.channel_role(service, r).await?);
        }
        if let Some(a) = &patch.attributes {
            member.attributes = validate::attributes(a)?;
        }
        if let Some(level) = patch.notification_level {
            if level != "default" && level != "muted" {
                return Err(ChatError::invalid("NotificationLevel", "must be default or muted"));
            }
            member.notification_level = Some(level);
        }
        if let Some(index) = patch.last_consumed_message_index {
            member.last_consumed_message_index = index;
            member.last_consumption_timestamp = Some(patch.last_consumption_timestamp.unwrap_or(now));
        } else if let Some(t) = patch.last_consumption_timestamp {
            member.last_consumption_timestamp = Some(t);
        }
        if let Some(d) = patch.date_created {
            member.date_created = d;
        }
        member.date_updated = patch.date_updated.unwrap_or(now);
        Ok(())
    }

    /// DeleteMember by SID or identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn remove_member(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        key: &str,
        webhooks: bool,
    ) -> Result<(), ChatError> {
        let (service, channel, member) = self.member_of(account_sid, service_sid, channel_key, key).await?;
        let outbox = self.member_removed(webhooks, &service, &channel, &member).await?;
        if self.store.remove_member(&channel.sid, &member.sid, &outbox).await? {
            self.emit("onMemberRemoved", &service, Some(&channel.sid), &member.sid)
                .await;
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// Runs `onMemberUpdate` and returns the `onMemberUpdated` deliveries.
    pub(super) async fn member_updated(
        &self,
        webhooks: bool,
        service: &Service,
        channel: &Channel,
        member: &Member,
    ) -> Result<Vec<OutboxRow>, ChatError> {
        self.pre_event(webhooks, service, "onMemberUpdate", member_params(member, "", true))
            .await?;
        let params = member_params(member, "", true);
        self.post_events(webhooks, service, Some(channel), "onMemberUpdated", &params, None)
            .await
    }

    /// Runs `onMemberRemove` and returns the `onMemberRemoved` deliveries.
    pub(super) async fn member_removed(
        &self,
        webhooks: bool,
        service: &Service,
        channel: &Channel,
        member: &Member,
    ) -> Result<Vec<OutboxRow>, ChatError> {
        let params = member_params(member, "REMOVED", true);
        self.pre_event(webhooks, service, "onMemberRemove", params.clone())
            .await?;
        self.post_events(webhooks, service, Some(channel), "onMemberRemoved", &params, None)
            .await
    }
}
