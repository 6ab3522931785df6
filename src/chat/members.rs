//! Members: users in a channel, with their role and read horizon.

use super::events::{Event, modified};
use super::messaging_binding::MessagingBinding;
use super::payload::Payload;
use super::write::Where;
use super::{ChannelRef, Chat, ChatError, Permission, Scope, validate};
use crate::sid;
use crate::store::{AddMember, Channel, Keyed, Member, PageReq, RoleType, Service, User};
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
    /// `MessagingBinding.ProxyAddress` (participants reached at an address).
    pub proxy_address: Option<String>,
    /// `MessagingBinding.ProjectedAddress` (chat participants; empty removes it).
    pub projected_address: Option<String>,
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

    /// CreateMember: adds an identity to a channel, creating the User if needed. An end user
    /// joins with `joinChannel` (a private channel only when invited) and adds others with
    /// `addMember`; only the operator chooses roles. Without `RoleSid`, the channel's creator
    /// gets the service's channel creator role and everyone else its channel role.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50404 (409) duplicate; 50403/50208 (403) limits; 50107/50205
    /// (403) for an end user who may not.
    pub async fn add_member(&self, at: ChannelRef<'_>, input: NewMember) -> Result<Member, ChatError> {
        self.add_participant(at, input, None).await
    }

    /// CreateParticipant of the Conversations API: [`Chat::add_member`] with a
    /// `messaging_binding`. A participant reached at an address (SMS, WhatsApp) has no
    /// identity and no User (see `super::messaging_binding`); only the operator adds one.
    ///
    /// # Errors
    /// As [`Chat::add_member`]; 20001 for an identity beside an address; 50416 (409) for a
    /// second participant with the same address and proxy address.
    pub async fn add_participant(
        &self,
        at: ChannelRef<'_>,
        mut input: NewMember,
        binding: Option<MessagingBinding>,
    ) -> Result<Member, ChatError> {
        let (scope, channel) = self.channel_scope(at).await?;
        let service = &scope.service;
        let addressed = binding.as_ref().filter(|b| b.is_addressed());
        if let Some(b) = addressed {
            if !input.identity.is_empty() {
                return Err(ChatError::invalid(
                    "Identity",
                    "a participant has an Identity (chat) or a MessagingBinding.Address, not both",
                ));
            }
            input.identity = b.member_key();
        } else if input.identity.is_empty() {
            return Err(ChatError::missing("Identity"));
        }
        let mut allowed = Ok(());
        if binding.is_some() {
            allowed = scope.access.require_operator();
        }
        let mut reason = "ADDED";
        if let Some(me) = scope.access.identity() {
            if input.role_sid.is_some() {
                allowed = Err(ChatError::titled(50205));
            } else if input.identity == me {
                reason = "JOINED";
                allowed = scope.access.require(Permission::JoinChannel);
            } else {
                allowed = scope.access.require(Permission::AddMember);
                input.last_consumed_message_index = None;
                input.last_consumption_timestamp = None;
            }
            input.date_created = None;
            input.date_updated = None;
        }
        let change = self.change(&scope, Where::Channel(&channel), Event::MemberAdd, allowed)?;
        let attributes = validate::attributes(input.attributes.as_deref().unwrap_or("{}"))?;
        let now = time::now();
        // `Identity` may name the user by SID; the member row always holds the identity, so
        // the per-user limits and the one-membership-per-channel rule see one key per user.
        let (identity, new_user) = match self.store.user(&service.sid, &input.identity).await? {
            _ if addressed.is_some() => (input.identity.clone(), None),
            Some(user) => (user.identity, None),
            None if sid::is_sid(sid::USER, &input.identity) => return Err(ChatError::NotFound),
            None => {
                let identity = super::users::identity(&input.identity)?;
                let user = User {
                    sid: sid::generate(sid::USER),
                    account_sid: service.account_sid.clone(),
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
        let role_sid = match &input.role_sid {
            Some(r) => Some(self.channel_role(service, r).await?),
            None if identity == channel.created_by => service.settings.default_channel_creator_role_sid.clone(),
            None => service.settings.default_channel_role_sid.clone(),
        };
        let date_created = input.date_created.unwrap_or(now);
        let mut member = Member {
            sid: sid::generate(sid::MEMBER),
            account_sid: service.account_sid.clone(),
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
            messaging_binding: binding.as_ref().map(MessagingBinding::to_json),
        };
        let (approved, answer) = change.pre(|| Payload::member(&member, reason, false)).await?;
        if let Some(a) = modified(answer.as_ref(), "attributes", "Attributes") {
            member.attributes = validate::attributes(&a)?;
        }
        let limits = (
            service.settings.limit_channel_members,
            service.settings.limit_user_channels,
        );
        let member = &member;
        let added = approved
            .commit(
                &member.sid,
                || Payload::member(member, reason, true),
                None,
                async |outbox| {
                    let added = self
                        .store
                        .add_member(member, new_user.as_ref(), limits.0, limits.1, outbox)
                        .await;
                    self.forget_participants();
                    Ok(added?)
                },
            )
            .await?;
        match added {
            AddMember::Added => Ok(member.clone()),
            AddMember::ChannelGone => Err(ChatError::NotFound),
            AddMember::Duplicate if addressed.is_some() => Err(ChatError::new(
                50416,
                format!(
                    "A binding for this participant and proxy address already exists in Conversation {}",
                    channel.sid
                ),
            )),
            AddMember::Duplicate => Err(ChatError::new(50404, "Member already exists")),
            AddMember::ChannelFull => Err(ChatError::new(
                50403,
                format!("Channel member limit exceeded (Limits.ChannelMembers is {})", limits.0),
            )),
            AddMember::UserFull => Err(ChatError::new(
                50208,
                format!("User channel limit exceeded (Limits.UserChannels is {})", limits.1),
            )),
        }
    }

    /// Resolves the scope, channel and member (by SID or identity).
    pub(super) async fn member_of(&self, at: ChannelRef<'_>, key: &str) -> Result<(Scope, Channel, Member), ChatError> {
        let (scope, channel) = self.channel_scope(at).await?;
        let member = self.store.member(&channel.sid, key).await?.ok_or(ChatError::NotFound)?;
        Ok((scope, channel, member))
    }

    /// FetchMember by SID or identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn member(&self, at: ChannelRef<'_>, key: &str) -> Result<Member, ChatError> {
        Ok(self.member_of(at, key).await?.2)
    }

    /// ListMember, optionally only the given identities.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn list_members(
        &self,
        at: ChannelRef<'_>,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Member>>, ChatError> {
        let (_, channel) = self.channel_scope(at).await?;
        Ok(self.store.list_members(&channel.sid, identities, page).await?)
    }

    /// UpdateMember (also used by UpdateUserChannel). An end user changes member attributes
    /// with `editOwnMemberAttributes`/`editAnyMemberAttributes`, their own notification level
    /// with `editNotificationLevel`, and only their own read horizon; only the operator
    /// changes roles and dates.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; validation errors; 50107/50205 (403).
    pub async fn update_member(
        &self,
        at: ChannelRef<'_>,
        key: &str,
        mut patch: MemberPatch,
    ) -> Result<Member, ChatError> {
        let (scope, channel, mut member) = self.member_of(at, key).await?;
        let access = &scope.access;
        let mut allowed = Ok(());
        if access.identity().is_some() {
            patch.date_created = None;
            patch.date_updated = None;
            if !scope.service.settings.read_status_enabled {
                // The service keeps no read status: a client's consumption report is accepted
                // and changes nothing.
                let reported = patch.last_consumed_message_index.take().is_some()
                    | patch.last_consumption_timestamp.take().is_some();
                if reported
                    && patch.role_sid.is_none()
                    && patch.attributes.is_none()
                    && patch.notification_level.is_none()
                {
                    return Ok(member);
                }
            }
            let own = access.owns(&member.identity);
            if patch.role_sid.is_some() {
                allowed = Err(ChatError::titled(50205));
            } else if patch.attributes.is_some() {
                allowed = access.require_own_or_any(
                    &member.identity,
                    Permission::EditOwnMemberAttributes,
                    Permission::EditAnyMemberAttributes,
                );
            }
            if allowed.is_ok() && patch.notification_level.is_some() {
                allowed = if own {
                    access.require(Permission::EditNotificationLevel)
                } else {
                    Err(ChatError::not_permitted(Permission::EditNotificationLevel.name()))
                };
            }
            if allowed.is_ok()
                && !own
                && (patch.last_consumed_message_index.is_some() || patch.last_consumption_timestamp.is_some())
            {
                allowed = Err(ChatError::new(
                    50107,
                    "User not authorized for command: only a member sets its own read horizon",
                ));
            }
        }
        let change = self.change(&scope, Where::Channel(&channel), Event::MemberUpdate, allowed)?;
        self.apply_member_patch(&scope.service, &mut member, patch).await?;
        let (approved, _) = change.pre(|| Payload::member(&member, "", true)).await?;
        let member = &member;
        approved
            .commit(
                &member.sid,
                || Payload::member(member, "", true),
                None,
                async |outbox| match self.store.update_member(member, outbox).await? {
                    true => Ok(member.clone()),
                    false => Err(ChatError::NotFound),
                },
            )
            .await
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
        rebind(
            member,
            patch.proxy_address.as_deref(),
            patch.projected_address.as_deref(),
        )?;
        member.date_updated = patch.date_updated.unwrap_or(now);
        Ok(())
    }

    /// DeleteMember by SID or identity. An end user leaves with `leaveChannel` and removes
    /// others with `removeMember`.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50107 (403).
    pub async fn remove_member(&self, at: ChannelRef<'_>, key: &str) -> Result<(), ChatError> {
        let (scope, channel, member) = self.member_of(at, key).await?;
        let own = scope.access.owns(&member.identity);
        let allowed = match scope.access.identity() {
            Some(_) if own => scope.access.require(Permission::LeaveChannel),
            Some(_) => scope.access.require(Permission::RemoveMember),
            None => Ok(()),
        };
        let reason = if own { "LEFT" } else { "REMOVED" };
        let change = self.change(&scope, Where::Channel(&channel), Event::MemberRemove, allowed)?;
        let (approved, _) = change.pre(|| Payload::member(&member, reason, true)).await?;
        let member = &member;
        approved
            .commit(
                &member.sid,
                || {
                    let mut payload = Payload::member(member, reason, true);
                    payload.removed_now(false);
                    payload
                },
                None,
                async |outbox| {
                    let removed = self.store.remove_member(&member.channel_sid, &member.sid, outbox).await;
                    self.forget_participants();
                    if removed? { Ok(()) } else { Err(ChatError::NotFound) }
                },
            )
            .await
    }
}

/// Applies `MessagingBinding.*` updates: an addressed participant keeps its address, and its
/// proxy address names it in the store (remove and add it to change that); a chat participant's
/// projected address may be set or removed.
fn rebind(member: &mut Member, proxy: Option<&str>, projected: Option<&str>) -> Result<(), ChatError> {
    let current = MessagingBinding::parse(member.messaging_binding.as_deref());
    let addressed = current.as_ref().filter(|b| b.is_addressed());
    if let Some(p) = proxy
        && addressed.and_then(|b| b.proxy_address.as_deref()) != Some(p)
    {
        return Err(ChatError::invalid(
            "MessagingBinding.ProxyAddress",
            "cannot be changed: remove the participant and add it with the new proxy address",
        ));
    }
    if let Some(p) = projected {
        if addressed.is_some() {
            return Err(ChatError::invalid(
                "MessagingBinding.ProjectedAddress",
                "is for chat participants (with an Identity)",
            ));
        }
        member.messaging_binding = MessagingBinding::new(None, None, Some(p))?.map(|b| b.to_json());
    }
    Ok(())
}
