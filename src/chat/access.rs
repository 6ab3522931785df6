//! Who acts, where, and what they may do there.
//!
//! A request names its target with a typed scope ([`ServiceRef`], [`ChannelRef`]) carrying the
//! authenticated [`Caller`]. The domain resolves it into a [`Scope`]: the service, and the
//! actor's [`Access`] in it. The account's operator may do everything; an end user (an Access
//! Token's identity) holds the permissions of their service role and, inside a channel, of
//! their member role there, from Twilio's vocabulary ([`Permission`]). A user is created on
//! their first request, with the service's default service role.

use std::sync::Arc;

use super::{Chat, ChatError, TokenIdentity};
use crate::sid;
use crate::store::{Channel, Grants, Service, StoreError, User};
use crate::time;

/// Who performs a request.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The account's operator (Account SID and Auth Token, or an API key).
    Operator {
        /// `X-Twilio-Webhook-Enabled: true` was sent: post-event webhooks fire. Pre-event
        /// webhooks never fire for the operator (Twilio's REST API never fires them).
        webhooks: bool,
    },
    /// An end user, by an Access Token for one service.
    User(Arc<TokenIdentity>),
}

/// An authenticated caller: an account, and who acts for it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account every lookup is scoped by.
    pub account_sid: String,
    /// Who acts.
    pub actor: Actor,
}

impl Caller {
    /// The account's operator.
    #[must_use]
    pub fn operator(account_sid: impl Into<String>, webhooks: bool) -> Self {
        Self {
            account_sid: account_sid.into(),
            actor: Actor::Operator { webhooks },
        }
    }

    /// An end user with a verified token.
    #[must_use]
    pub fn user(token: TokenIdentity) -> Self {
        Self {
            account_sid: token.account_sid.clone(),
            actor: Actor::User(Arc::new(token)),
        }
    }

    /// The same caller with post-event webhooks off (for operations whose REST form does not
    /// take `X-Twilio-Webhook-Enabled`).
    #[must_use]
    pub fn without_webhooks(mut self) -> Self {
        if let Actor::Operator { webhooks } = &mut self.actor {
            *webhooks = false;
        }
        self
    }

    /// The service `sid` as this caller addresses it.
    #[must_use]
    pub fn service<'a>(&'a self, sid: &'a str) -> ServiceRef<'a> {
        ServiceRef { caller: self, sid }
    }

    /// The end user's identity; `None` for the operator.
    #[must_use]
    pub fn identity(&self) -> Option<&str> {
        match &self.actor {
            Actor::User(t) => Some(&t.identity),
            Actor::Operator { .. } => None,
        }
    }

    /// Refuses end users: account-level resources and configuration are the operator's.
    ///
    /// # Errors
    /// 403 / 20403 for an end user.
    pub fn require_operator(&self) -> Result<(), ChatError> {
        match self.actor {
            Actor::Operator { .. } => Ok(()),
            Actor::User(_) => Err(ChatError::operator_only()),
        }
    }
}

/// A service as a request names it.
#[derive(Debug, Clone, Copy)]
pub struct ServiceRef<'a> {
    /// Who asks.
    pub caller: &'a Caller,
    /// The service SID from the path.
    pub sid: &'a str,
}

impl<'a> ServiceRef<'a> {
    /// A channel of this service, by SID or unique name.
    #[must_use]
    pub fn channel(self, key: &'a str) -> ChannelRef<'a> {
        ChannelRef { service: self, key }
    }
}

/// A channel as a request names it.
#[derive(Debug, Clone, Copy)]
pub struct ChannelRef<'a> {
    /// Its service.
    pub service: ServiceRef<'a>,
    /// The channel's SID or unique name.
    pub key: &'a str,
}

/// Twilio's role permissions (`API.md`, Roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Add another identity to a channel.
    AddMember,
    /// Create a channel.
    CreateChannel,
    /// Delete anyone's message.
    DeleteAnyMessage,
    /// Delete one's own message.
    DeleteOwnMessage,
    /// Delete a channel.
    DestroyChannel,
    /// Change any member's attributes.
    EditAnyMemberAttributes,
    /// Change anyone's message body.
    EditAnyMessage,
    /// Change anyone's message attributes.
    EditAnyMessageAttributes,
    /// Change any user's friendly name and attributes.
    EditAnyUserInfo,
    /// Change a channel's attributes.
    EditChannelAttributes,
    /// Change a channel's friendly or unique name.
    EditChannelName,
    /// Change one's notification level in a channel.
    EditNotificationLevel,
    /// Change one's own member attributes.
    EditOwnMemberAttributes,
    /// Change one's own message body.
    EditOwnMessage,
    /// Change one's own message attributes.
    EditOwnMessageAttributes,
    /// Change one's own friendly name and attributes.
    EditOwnUserInfo,
    /// Invite an identity to a channel.
    InviteMember,
    /// Join a public channel (or a private one when invited).
    JoinChannel,
    /// Leave a channel.
    LeaveChannel,
    /// Remove another member.
    RemoveMember,
    /// Send a media message.
    SendMediaMessage,
    /// Send a text message.
    SendMessage,
}

impl Permission {
    /// The name roles store.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::AddMember => "addMember",
            Self::CreateChannel => "createChannel",
            Self::DeleteAnyMessage => "deleteAnyMessage",
            Self::DeleteOwnMessage => "deleteOwnMessage",
            Self::DestroyChannel => "destroyChannel",
            Self::EditAnyMemberAttributes => "editAnyMemberAttributes",
            Self::EditAnyMessage => "editAnyMessage",
            Self::EditAnyMessageAttributes => "editAnyMessageAttributes",
            Self::EditAnyUserInfo => "editAnyUserInfo",
            Self::EditChannelAttributes => "editChannelAttributes",
            Self::EditChannelName => "editChannelName",
            Self::EditNotificationLevel => "editNotificationLevel",
            Self::EditOwnMemberAttributes => "editOwnMemberAttributes",
            Self::EditOwnMessage => "editOwnMessage",
            Self::EditOwnMessageAttributes => "editOwnMessageAttributes",
            Self::EditOwnUserInfo => "editOwnUserInfo",
            Self::InviteMember => "inviteMember",
            Self::JoinChannel => "joinChannel",
            Self::LeaveChannel => "leaveChannel",
            Self::RemoveMember => "removeMember",
            Self::SendMediaMessage => "sendMediaMessage",
            Self::SendMessage => "sendMessage",
        }
    }
}

/// What the actor of a request may do in its service (and channel, when one was resolved).
#[derive(Debug, Clone)]
pub enum Access {
    /// The operator: everything.
    Operator {
        /// Post-event webhooks were asked for.
        webhooks: bool,
    },
    /// An end user.
    User {
        /// Their identity.
        identity: String,
        /// Their user, their roles' permissions and their membership.
        grants: Grants,
    },
}

impl Access {
    /// The end user's identity; `None` for the operator.
    #[must_use]
    pub fn identity(&self) -> Option<&str> {
        match self {
            Self::User { identity, .. } => Some(identity),
            Self::Operator { .. } => None,
        }
    }

    /// Whether the actor holds `p`: in their service role, or in their role in the channel.
    #[must_use]
    pub fn may(&self, p: Permission) -> bool {
        match self {
            Self::Operator { .. } => true,
            Self::User { grants, .. } => {
                let name = p.name();
                grants.service_permissions.iter().any(|x| x == name)
                    || grants.channel_permissions.iter().any(|x| x == name)
            }
        }
    }

    /// Refuses unless the actor holds `p`.
    ///
    /// # Errors
    /// 403 / 50107 naming the permission.
    pub fn require(&self, p: Permission) -> Result<(), ChatError> {
        if self.may(p) {
            Ok(())
        } else {
            Err(ChatError::not_permitted(p.name()))
        }
    }

    /// Whether `owner` (an author or member identity) is the actor itself.
    #[must_use]
    pub fn owns(&self, owner: &str) -> bool {
        self.identity() == Some(owner)
    }

    /// Refuses unless the actor holds `any`, or holds `own` and is `owner`.
    ///
    /// # Errors
    /// 403 / 50107 naming the permission that was needed.
    pub fn require_own_or_any(&self, owner: &str, own: Permission, any: Permission) -> Result<(), ChatError> {
        if self.may(any) || (self.owns(owner) && self.may(own)) {
            Ok(())
        } else {
            Err(ChatError::not_permitted(if self.owns(owner) {
                own.name()
            } else {
                any.name()
            }))
        }
    }

    /// Refuses end users.
    ///
    /// # Errors
    /// 403 / 20403 for an end user.
    pub fn require_operator(&self) -> Result<(), ChatError> {
        match self {
            Self::Operator { .. } => Ok(()),
            Self::User { .. } => Err(ChatError::operator_only()),
        }
    }

    /// Whether the actor is a member of the channel resolved with this access.
    #[must_use]
    pub fn is_member(&self) -> bool {
        match self {
            Self::Operator { .. } => true,
            Self::User { grants, .. } => grants.member_sid.is_some(),
        }
    }

    /// Whether the actor may see `channel`: every public channel; a private one only as its
    /// creator, a member or an invitee.
    #[must_use]
    pub fn sees(&self, channel: &Channel) -> bool {
        match self {
            Self::Operator { .. } => true,
            Self::User { grants, identity } => {
                channel.channel_type != "private"
                    || grants.member_sid.is_some()
                    || grants.invited
                    || channel.created_by == *identity
            }
        }
    }
}

/// A resolved service and what the actor may do in it.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The service.
    pub service: Arc<Service>,
    /// The actor's access.
    pub access: Access,
    /// `false` when the channel resolved with this scope is known to have no channel
    /// webhooks, so a write in it need not list them.
    pub channel_webhooks: bool,
}

impl Chat {
    /// Resolves a service and the actor's service-wide access.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for a service the account does not own; 403 / 20403 for a
    /// token whose grant is for another service.
    pub(super) async fn scope(&self, at: ServiceRef<'_>) -> Result<Scope, ChatError> {
        let service = self.service(&at.caller.account_sid, at.sid).await?;
        let access = self.access(at.caller, &service).await?;
        Ok(Scope {
            service,
            access,
            channel_webhooks: true,
        })
    }

    /// Resolves a service for one of the operator's operations (configuration, roles,
    /// bindings, channel webhooks).
    ///
    /// # Errors
    /// 403 / 20403 for an end user; [`ChatError::NotFound`] for a service the account does
    /// not own.
    pub(super) async fn operator_service(&self, at: ServiceRef<'_>) -> Result<Arc<Service>, ChatError> {
        at.caller.require_operator()?;
        self.service(&at.caller.account_sid, at.sid).await
    }

    /// Resolves a channel for one of the operator's operations (channel webhooks).
    ///
    /// # Errors
    /// As for [`Chat::operator_service`]; [`ChatError::NotFound`] for an unknown channel.
    pub(super) async fn operator_channel(&self, at: ChannelRef<'_>) -> Result<(Arc<Service>, Channel), ChatError> {
        at.service.caller.require_operator()?;
        self.channel_of(&at.service.caller.account_sid, at.service.sid, at.key)
            .await
    }

    /// Resolves a channel and the actor's access in it. A private channel the actor may not
    /// see does not exist for them. For an end user the channel, their grants in it and
    /// whether it has webhooks are one read.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; as for [`Chat::scope`].
    pub(super) async fn channel_scope(&self, at: ChannelRef<'_>) -> Result<(Scope, Channel), ChatError> {
        let caller = at.service.caller;
        let (service, token) = match &caller.actor {
            Actor::Operator { webhooks } => {
                let (service, channel) = self.channel_of(&caller.account_sid, at.service.sid, at.key).await?;
                let access = Access::Operator { webhooks: *webhooks };
                let scope = Scope {
                    service,
                    access,
                    channel_webhooks: true,
                };
                return Ok((scope, channel));
            }
            Actor::User(token) => (self.service(&caller.account_sid, at.service.sid).await?, token),
        };
        check_grant(token, &service)?;
        for _ in 0..2 {
            let Some(found) = self.store.channel_access(&service.sid, at.key, &token.identity).await? else {
                return Err(ChatError::NotFound);
            };
            if let Some(grants) = found.grants {
                let access = Access::User {
                    identity: token.identity.clone(),
                    grants,
                };
                if !access.sees(&found.channel) {
                    return Err(ChatError::NotFound);
                }
                let scope = Scope {
                    service,
                    access,
                    channel_webhooks: found.has_webhooks,
                };
                return Ok((scope, found.channel));
            }
            self.create_first_user(&service, &token.identity).await?;
        }
        Err(first_user_unreadable())
    }

    /// What `caller` may do service-wide in `service`; an end user's user is created on first
    /// use with the service's default service role.
    pub(super) async fn access(&self, caller: &Caller, service: &Arc<Service>) -> Result<Access, ChatError> {
        let token = match &caller.actor {
            Actor::Operator { webhooks } => return Ok(Access::Operator { webhooks: *webhooks }),
            Actor::User(token) => token,
        };
        check_grant(token, service)?;
        let identity = token.identity.clone();
        for _ in 0..2 {
            if let Some(grants) = self.store.grants(&service.sid, &identity, None).await? {
                return Ok(Access::User { identity, grants });
            }
            self.create_first_user(service, &identity).await?;
        }
        Err(first_user_unreadable())
    }

    /// Creates the user an Access Token names, on its first request (a concurrent first
    /// request may create it first: that is not an error).
    async fn create_first_user(&self, service: &Arc<Service>, identity: &str) -> Result<(), ChatError> {
        let now = time::now();
        let user = User {
            sid: sid::generate(sid::USER),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            role_sid: service.settings.default_service_role_sid.clone(),
            identity: super::users::identity(identity)?,
            attributes: None,
            friendly_name: None,
            joined_channels_count: 0,
            date_created: now,
            date_updated: now,
        };
        // Its onUserAdded is the end user's own action (Source=SDK, ClientIdentity).
        let access = Access::User {
            identity: user.identity.clone(),
            grants: Grants::default(),
        };
        match self.insert_user(service, &access, user).await {
            Ok(_) => Ok(()),
            Err(ChatError::Twilio { code: 50201, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Refuses a token whose grant is for another service than the one addressed.
fn check_grant(token: &TokenIdentity, service: &Service) -> Result<(), ChatError> {
    if token.service_sid == service.sid {
        Ok(())
    } else {
        Err(ChatError::new(
            20403,
            "Forbidden: the Access Token's chat grant is for another service",
        ))
    }
}

fn first_user_unreadable() -> ChatError {
    ChatError::Store(StoreError::unavailable(
        "the user created on first use cannot be read back",
    ))
}
