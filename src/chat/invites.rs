//! Invites, and each user's view of their channels.

use super::members::MemberPatch;
use super::{Chat, ChatError};
use crate::sid;
use crate::store::{AddInvite, Invite, Keyed, PageReq, User, UserChannel};
use crate::time;

impl Chat {
    /// CreateInvite: the identity must be an existing user and not yet a member.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown user; 50212 (409) already invited; 50404 (409) member.
    pub async fn create_invite(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        identity: &str,
        role_sid: Option<&str>,
    ) -> Result<Invite, ChatError> {
        let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
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
        let role_sid = match role_sid {
            Some(r) => Some(self.channel_role(&service, r).await?),
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
            account_sid: account_sid.to_owned(),
            service_sid: service.sid.clone(),
            channel_sid: channel.sid,
            identity: user.identity,
            role_sid,
            created_by: Some("system".to_owned()),
            date_created: now,
            date_updated: now,
        };
        match self.store.insert_invite(&invite).await? {
            AddInvite::Added => Ok(invite),
            AddInvite::Duplicate => Err(ChatError::Conflict {
                code: 50212,
                message: "User already invited".into(),
            }),
            AddInvite::AlreadyMember => Err(ChatError::Conflict {
                code: 50404,
                message: "Member already exists".into(),
            }),
        }
    }

    /// FetchInvite.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn invite(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        sid: &str,
    ) -> Result<Invite, ChatError> {
        let (_, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        if !sid::is_sid(sid::INVITE, sid) {
            return Err(ChatError::NotFound);
        }
        self.store.invite(&channel.sid, sid).await?.ok_or(ChatError::NotFound)
    }

    /// ListInvite, optionally only the given identities.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn list_invites(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Invite>>, ChatError> {
        let (_, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        Ok(self.store.list_invites(&channel.sid, identities, page).await?)
    }

    /// DeleteInvite.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_invite(
        &self,
        account_sid: &str,
        service_sid: &str,
        channel_key: &str,
        sid: &str,
    ) -> Result<(), ChatError> {
        let invite = self.invite(account_sid, service_sid, channel_key, sid).await?;
        if self.store.delete_invite(&invite.channel_sid, &invite.sid).await? {
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// ListUserChannel: the channels a user (SID or identity) has joined or is invited to.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service or user.
    pub async fn list_user_channels(
        &self,
        account_sid: &str,
        service_sid: &str,
        user_key: &str,
        page: PageReq,
    ) -> Result<(User, Vec<Keyed<UserChannel>>), ChatError> {
        let user = self.user(account_sid, service_sid, user_key).await?;
        let rows = self
            .store
            .list_user_channels(&user.service_sid, &user.identity, None, page)
            .await?;
        Ok((user, rows))
    }

    /// FetchUserChannel.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the user has joined or is invited to the channel.
    pub async fn user_channel(
        &self,
        account_sid: &str,
        service_sid: &str,
        user_key: &str,
        channel_key: &str,
    ) -> Result<(User, UserChannel), ChatError> {
        let user = self.user(account_sid, service_sid, user_key).await?;
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
            .list_user_channels(&user.service_sid, &user.identity, Some(&channel.sid), page)
            .await?;
        let uc = rows.into_iter().next().ok_or(ChatError::NotFound)?.item;
        Ok((user, uc))
    }

    /// UpdateUserChannel: notification level and read horizon of the user's membership.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the user is a member of the channel.
    pub async fn update_user_channel(
        &self,
        account_sid: &str,
        service_sid: &str,
        user_key: &str,
        channel_key: &str,
        patch: MemberPatch,
    ) -> Result<(User, UserChannel), ChatError> {
        let user = self.user(account_sid, service_sid, user_key).await?;
        let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        let mut member = self
            .store
            .member(&channel.sid, &user.identity)
            .await?
            .ok_or(ChatError::NotFound)?;
        self.apply_member_patch(&service, &mut member, patch).await?;
        let outbox = self.member_updated(false, &service, &channel, &member).await?;
        if !self.store.update_member(&member, &outbox).await? {
            return Err(ChatError::NotFound);
        }
        self.emit("onMemberUpdated", &service, Some(&channel.sid), &member.sid)
            .await;
        self.user_channel(account_sid, service_sid, &user.sid, &channel.sid)
            .await
    }

    /// DeleteUserChannel: the user leaves the channel.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the user is a member of the channel.
    pub async fn delete_user_channel(
        &self,
        account_sid: &str,
        service_sid: &str,
        user_key: &str,
        channel_key: &str,
        webhooks: bool,
    ) -> Result<(), ChatError> {
        let user = self.user(account_sid, service_sid, user_key).await?;
        let (service, channel) = self.channel_of(account_sid, service_sid, channel_key).await?;
        let member = self
            .store
            .member(&channel.sid, &user.identity)
            .await?
            .ok_or(ChatError::NotFound)?;
        let outbox = self.member_removed(webhooks, &service, &channel, &member).await?;
        if self.store.remove_member(&channel.sid, &member.sid, &outbox).await? {
            self.emit("onMemberRemoved", &service, Some(&channel.sid), &member.sid)
                .await;
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
