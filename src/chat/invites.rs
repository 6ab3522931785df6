//! Invites, and each user's view of their channels.

use super::events::Event;
use super::members::MemberPatch;
use super::payload::Payload;
use super::write::Where;
use super::{ChannelRef, Chat, ChatError, Permission, Scope, ServiceRef};
use crate::sid;
use crate::store::{AddInvite, Channel, Invite, Keyed, PageReq, User, UserChannel};
use crate::time;

impl Chat {
    /// CreateInvite: the identity must be an existing user and not yet a member. An end user
    /// needs `inviteMember`, and the invite is created by them.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown user; 50212 (409) already invited; 50404 (409)
    /// member; 50107/50205 (403).
    pub async fn create_invite(
        &self,
        at: ChannelRef<'_>,
        identity: &str,
        role_sid: Option<&str>,
    ) -> Result<Invite, ChatError> {
        let (scope, channel) = self.channel_scope(at).await?;
        let allowed = match scope.access.identity() {
            Some(_) if role_sid.is_some() => Err(ChatError::titled(50205)),
            Some(_) => scope.access.require(Permission::InviteMember),
            None => Ok(()),
        };
        let change = self.change(&scope, Where::Channel(&channel), Event::InviteAdd, allowed)?;
        if identity.is_empty() {
            return Err(ChatError::missing("Identity"));
        }
        if identity.chars().count() > super::users::MAX_IDENTITY {
            return Err(ChatError::invalid_code(
                50207,
                format!(
                    "Identity is too long (maximum {} characters)",
                    super::users::MAX_IDENTITY
                ),
            ));
        }
        let service = &scope.service;
        let role_sid = match role_sid {
            Some(r) => Some(self.channel_role(service, r).await?),
            None => service.settings.default_channel_role_sid.clone(),
        };
        let user = self
            .store
            .user(&service.sid, identity)
            .await?
            .ok_or(ChatError::NotFound)?;
        let now = time::now();
        let invite = Invite {
            sid: sid::generate(sid::INVITE),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            channel_sid: channel.sid.clone(),
            identity: user.identity,
            role_sid,
            created_by: Some(scope.access.identity().unwrap_or("system").to_owned()),
            date_created: now,
            date_updated: now,
        };
        let (approved, _) = change.pre(Payload::default).await?;
        let invite = &invite;
        approved
            .commit(&invite.sid, Payload::default, None, async |_| {
                match self.store.insert_invite(invite).await? {
                    AddInvite::Added => Ok(invite.clone()),
                    AddInvite::Duplicate => Err(ChatError::new(50212, "User already invited")),
                    AddInvite::AlreadyMember => Err(ChatError::new(50404, "Member already exists")),
                }
            })
            .await
    }

    /// FetchInvite.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn invite(&self, at: ChannelRef<'_>, sid: &str) -> Result<Invite, ChatError> {
        Ok(self.invite_of(at, sid).await?.2)
    }

    async fn invite_of(&self, at: ChannelRef<'_>, sid: &str) -> Result<(Scope, Channel, Invite), ChatError> {
        let (scope, channel) = self.channel_scope(at).await?;
        if !sid::is_sid(sid::INVITE, sid) {
            return Err(ChatError::NotFound);
        }
        let invite = self.store.invite(&channel.sid, sid).await?.ok_or(ChatError::NotFound)?;
        Ok((scope, channel, invite))
    }

    /// ListInvite, optionally only the given identities.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn list_invites(
        &self,
        at: ChannelRef<'_>,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Invite>>, ChatError> {
        let (_, channel) = self.channel_scope(at).await?;
        Ok(self.store.list_invites(&channel.sid, identities, page).await?)
    }

    /// DeleteInvite. An end user withdraws invites with `inviteMember`, and may always
    /// decline their own.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50107 (403).
    pub async fn delete_invite(&self, at: ChannelRef<'_>, sid: &str) -> Result<(), ChatError> {
        let (scope, channel, invite) = self.invite_of(at, sid).await?;
        let allowed = match scope.access.identity() {
            Some(_) if scope.access.owns(&invite.identity) => Ok(()),
            Some(_) => scope.access.require(Permission::InviteMember),
            None => Ok(()),
        };
        let change = self.change(&scope, Where::Channel(&channel), Event::InviteRemove, allowed)?;
        let (approved, _) = change.pre(Payload::default).await?;
        let invite = &invite;
        approved
            .commit(&invite.sid, Payload::default, None, async |_| {
                match self.store.delete_invite(&invite.channel_sid, &invite.sid).await? {
                    true => Ok(()),
                    false => Err(ChatError::NotFound),
                }
            })
            .await
    }

    /// The user a User Channels request names (an end user may name only themselves), and
    /// whether the service keeps read status (`ReadStatusEnabled`).
    async fn channels_user(&self, at: ServiceRef<'_>, user_key: &str) -> Result<(User, bool), ChatError> {
        let scope = self.scope(at).await?;
        let read_status = scope.service.settings.read_status_enabled;
        let user = self
            .store
            .user(&scope.service.sid, user_key)
            .await?
            .ok_or(ChatError::NotFound)?;
        match at.caller.identity() {
            Some(me) if me != user.identity => Err(ChatError::new(
                50107,
                "User not authorized for command: a user sees only their own channels",
            )),
            _ => Ok((user, read_status)),
        }
    }

    /// ListUserChannel: the channels a user (SID or identity) has joined or is invited to.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service or user; 50107 (403) for another user's.
    pub async fn list_user_channels(
        &self,
        at: ServiceRef<'_>,
        user_key: &str,
        page: PageReq,
    ) -> Result<(User, Vec<Keyed<UserChannel>>), ChatError> {
        let (user, read_status) = self.channels_user(at, user_key).await?;
        let mut rows = self
            .store
            .list_user_channels(&user.service_sid, &user.identity, None, page)
            .await?;
        if !read_status {
            for r in &mut rows {
                r.item.unread_messages_count = None;
            }
        }
        Ok((user, rows))
    }

    /// FetchUserChannel.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the user has joined or is invited to the channel.
    pub async fn user_channel(
        &self,
        at: ServiceRef<'_>,
        user_key: &str,
        channel_key: &str,
    ) -> Result<(User, UserChannel), ChatError> {
        let (user, read_status) = self.channels_user(at, user_key).await?;
        let channel = self
            .store
            .channel(&user.service_sid, channel_key)
            .await?
            .ok_or(ChatError::NotFound)?;
        let page = PageReq {
            after: None,
            before: None,
            limit: 2,
            desc: false,
        };
        let rows = self
            .store
            .list_user_channels(
                &user.service_sid,
                &user.identity,
                Some(std::slice::from_ref(&channel.sid)),
                page,
            )
            .await?;
        let mut uc = rows.into_iter().next().ok_or(ChatError::NotFound)?.item;
        if !read_status {
            uc.unread_messages_count = None;
        }
        Ok((user, uc))
    }

    /// The caller's own user channels among `channel_sids` (those they joined or are invited
    /// to; others are absent), in one read whatever their number (at most one page, 100).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service or user.
    pub async fn my_channels_among(
        &self,
        at: ServiceRef<'_>,
        user_key: &str,
        channel_sids: &[String],
    ) -> Result<Vec<UserChannel>, ChatError> {
        if channel_sids.is_empty() {
            return Ok(Vec::new());
        }
        let (user, read_status) = self.channels_user(at, user_key).await?;
        let page = PageReq {
            after: None,
            before: None,
            limit: u32::try_from(channel_sids.len()).unwrap_or(u32::MAX).min(100),
            desc: false,
        };
        let rows = self
            .store
            .list_user_channels(&user.service_sid, &user.identity, Some(channel_sids), page)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut uc = r.item;
                if !read_status {
                    uc.unread_messages_count = None;
                }
                uc
            })
            .collect())
    }

    /// UpdateUserChannel: notification level and read horizon of the user's membership (an
    /// update of that member, with its permissions).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the user is a member of the channel.
    pub async fn update_user_channel(
        &self,
        at: ServiceRef<'_>,
        user_key: &str,
        channel_key: &str,
        patch: MemberPatch,
    ) -> Result<(User, UserChannel), ChatError> {
        let (user, _) = self.channels_user(at, user_key).await?;
        self.update_member(at.channel(channel_key), &user.identity, patch)
            .await?;
        self.user_channel(at, &user.sid, channel_key).await
    }

    /// DeleteUserChannel: the user leaves the channel (a removal of that member, with its
    /// permissions).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the user is a member of the channel.
    pub async fn delete_user_channel(
        &self,
        at: ServiceRef<'_>,
        user_key: &str,
        channel_key: &str,
    ) -> Result<(), ChatError> {
        let (user, _) = self.channels_user(at, user_key).await?;
        self.remove_member(at.channel(channel_key), &user.identity).await
    }
}
