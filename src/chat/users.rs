//! Users: identities within a service, addressable by SID or identity.

use std::sync::Arc;

use super::events::{Event, modified};
use super::payload::Payload;
use super::write::Where;
use super::{Access, Chat, ChatError, Permission, Scope, ServiceRef, validate};
use crate::sid;
use crate::store::{Keyed, PageReq, RoleType, Service, StoreError, User};
use crate::time;

/// Longest identity (characters).
pub const MAX_IDENTITY: usize = 256;

/// CreateUser input.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// `Identity` (required).
    pub identity: String,
    /// `RoleSid`; the service's default service role when absent.
    pub role_sid: Option<String>,
    /// `Attributes` (JSON text).
    pub attributes: Option<String>,
    /// `FriendlyName`
    pub friendly_name: Option<String>,
}

/// UpdateUser input: absent fields stay unchanged.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// `RoleSid`
    pub role_sid: Option<String>,
    /// `Attributes`
    pub attributes: Option<String>,
    /// `FriendlyName`
    pub friendly_name: Option<String>,
}

/// Applies attributes and friendly name from `patch` (the role is checked by the caller).
fn apply_patch(user: &mut User, patch: &UserPatch) -> Result<(), ChatError> {
    if let Some(a) = &patch.attributes {
        user.attributes = Some(validate::attributes(a)?);
    }
    if let Some(n) = &patch.friendly_name {
        user.friendly_name = Some(validate::friendly_name(n, validate::MAX_FRIENDLY_NAME)?);
    }
    Ok(())
}

pub(super) fn identity(identity: &str) -> Result<String, ChatError> {
    if identity.is_empty() {
        return Err(ChatError::invalid_code(50204, "Identity not provided"));
    }
    if identity.chars().count() > MAX_IDENTITY {
        return Err(ChatError::invalid_code(
            50207,
            format!("Identity is too long (maximum {MAX_IDENTITY} characters)"),
        ));
    }
    if sid::is_sid(sid::USER, identity) {
        return Err(ChatError::invalid_code(
            50206,
            "Identity should not match the User SID pattern",
        ));
    }
    Ok(identity.to_owned())
}

impl Chat {
    /// Checks that `role_sid` names a deployment role of `service`.
    async fn deployment_role(&self, service: &Service, role_sid: &str) -> Result<String, ChatError> {
        if !sid::is_sid(sid::ROLE, role_sid) {
            return Err(ChatError::invalid("RoleSid", "must be a Role SID (RL…)"));
        }
        let Some(role) = self.store.role(&service.sid, role_sid).await? else {
            return Err(ChatError::invalid_code(50100, format!("Role not found: {role_sid}")));
        };
        if role.role_type != RoleType::Deployment {
            return Err(ChatError::invalid_code(
                50105,
                "Invalid role type: RoleSid must name a deployment role",
            ));
        }
        Ok(role.sid)
    }

    /// CreateUser (the operator's; end users are created on their first request).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 50201 (409) for a taken identity;
    /// 5020x for a bad identity; 50100/50105 for a bad role; 20403 for an end user.
    pub async fn create_user(&self, at: ServiceRef<'_>, input: NewUser) -> Result<User, ChatError> {
        let scope = self.scope(at).await?;
        scope.access.require_operator()?;
        let service = &scope.service;
        let identity = identity(&input.identity)?;
        let role_sid = match &input.role_sid {
            Some(r) => Some(self.deployment_role(service, r).await?),
            None => service.settings.default_service_role_sid.clone(),
        };
        let attributes = input.attributes.as_deref().map(validate::attributes).transpose()?;
        let friendly_name = input
            .friendly_name
            .as_deref()
            .map(|n| validate::friendly_name(n, validate::MAX_FRIENDLY_NAME))
            .transpose()?;
        let now = time::now();
        let user = User {
            sid: sid::generate(sid::USER),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            role_sid,
            identity,
            attributes,
            friendly_name,
            joined_channels_count: 0,
            date_created: now,
            date_updated: now,
        };
        self.insert_user(service, &scope.access, user).await
    }

    /// Writes a new user through the write path (CreateUser, and an end user's first request).
    pub(super) async fn insert_user(
        &self,
        service: &Arc<Service>,
        access: &Access,
        user: User,
    ) -> Result<User, ChatError> {
        let scope = Scope {
            service: Arc::clone(service),
            access: access.clone(),
            channel_webhooks: true,
        };
        let change = self.change(&scope, Where::Service, Event::UserAdd, Ok(()))?;
        let (approved, _) = change.pre(|| Payload::user(&user)).await?;
        let user = &user;
        approved
            .commit(
                &user.sid,
                || Payload::user(user),
                None,
                async |outbox| match self.store.insert_user(user, outbox).await {
                    Ok(()) => Ok(user.clone()),
                    Err(StoreError::Conflict(_)) => Err(ChatError::new(50201, "User already exists")),
                    Err(e) => Err(e.into()),
                },
            )
            .await
    }

    /// FetchUser by SID or identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service or user.
    pub async fn user(&self, at: ServiceRef<'_>, key: &str) -> Result<User, ChatError> {
        let scope = self.scope(at).await?;
        self.store
            .user(&scope.service.sid, key)
            .await?
            .ok_or(ChatError::NotFound)
    }

    /// The users among `identities`, read at once (for lists that show each member's user);
    /// identities without a user are absent.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service.
    pub async fn users_by_identity(&self, at: ServiceRef<'_>, identities: &[String]) -> Result<Vec<User>, ChatError> {
        let scope = self.scope(at).await?;
        if identities.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.store.users_by_identity(&scope.service.sid, identities).await?)
    }

    /// ListUser.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service.
    pub async fn list_users(&self, at: ServiceRef<'_>, page: PageReq) -> Result<Vec<Keyed<User>>, ChatError> {
        let scope = self.scope(at).await?;
        Ok(self.store.list_users(&scope.service.sid, page).await?)
    }

    /// UpdateUser by SID or identity. An end user edits their own friendly name and
    /// attributes with `editOwnUserInfo`, anyone's with `editAnyUserInfo`; only the operator
    /// changes roles.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; validation errors as for create; 50107/50205 (403).
    pub async fn update_user(&self, at: ServiceRef<'_>, key: &str, patch: UserPatch) -> Result<User, ChatError> {
        let scope = self.scope(at).await?;
        let service = &scope.service;
        let mut user = self.store.user(&service.sid, key).await?.ok_or(ChatError::NotFound)?;
        let allowed = match scope.access.identity() {
            Some(_) if patch.role_sid.is_some() => Err(ChatError::titled(50205)),
            Some(_) => scope.access.require_own_or_any(
                &user.identity,
                Permission::EditOwnUserInfo,
                Permission::EditAnyUserInfo,
            ),
            None => Ok(()),
        };
        let change = self.change(&scope, Where::Service, Event::UserUpdate, allowed)?;
        if let Some(r) = &patch.role_sid {
            user.role_sid = Some(self.deployment_role(service, r).await?);
        }
        apply_patch(&mut user, &patch)?;
        // The hook sees the user as it would be after the update, and may change it.
        let (approved, answer) = change.pre(|| Payload::user(&user)).await?;
        let answered = UserPatch {
            friendly_name: modified(answer.as_ref(), "friendly_name", "FriendlyName"),
            attributes: modified(answer.as_ref(), "attributes", "Attributes"),
            role_sid: None,
        };
        apply_patch(&mut user, &answered)?;
        user.date_updated = time::now();
        let user = &user;
        approved
            .commit(
                &user.sid,
                || Payload::user(user),
                None,
                async |outbox| match self.store.update_user(user, outbox).await? {
                    true => Ok(user.clone()),
                    false => Err(ChatError::NotFound),
                },
            )
            .await
    }

    /// DeleteUser by SID or identity (the operator's).
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 20403 for an end user.
    pub async fn delete_user(&self, at: ServiceRef<'_>, key: &str) -> Result<(), ChatError> {
        let scope = self.scope(at).await?;
        let user = self
            .store
            .user(&scope.service.sid, key)
            .await?
            .ok_or(ChatError::NotFound)?;
        let allowed = scope.access.require_operator();
        let change = self.change(&scope, Where::Service, Event::UserRemove, allowed)?;
        let (approved, _) = change.pre(Payload::default).await?;
        let user = &user;
        approved
            .commit(&user.sid, Payload::default, None, async |_| {
                let deleted = self.store.delete_user(&user.service_sid, &user.sid).await;
                // Its memberships went with it.
                self.forget_participants();
                if deleted? { Ok(()) } else { Err(ChatError::NotFound) }
            })
            .await
    }
}
