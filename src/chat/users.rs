//! Users: identities within a service, addressable by SID or identity.

use super::events::{modified, user_params};
use super::{Chat, ChatError, validate};
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

    /// CreateUser.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 50201 (409) for a taken identity;
    /// 5020x for a bad identity; 50100/50105 for a bad role.
    pub async fn create_user(
        &self,
        account_sid: &str,
        service_sid: &str,
        input: NewUser,
        webhooks: bool,
    ) -> Result<User, ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        let identity = identity(&input.identity)?;
        let role_sid = match &input.role_sid {
            Some(r) => Some(self.deployment_role(&service, r).await?),
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
            account_sid: account_sid.to_owned(),
            service_sid: service.sid.clone(),
            role_sid,
            identity,
            attributes,
            friendly_name,
            joined_channels_count: 0,
            date_created: now,
            date_updated: now,
        };
        let outbox = self
            .post_events(webhooks, &service, None, "onUserAdded", &user_params(&user), None)
            .await?;
        match self.store.insert_user(&user, &outbox).await {
            Ok(()) => {
                self.emit("onUserAdded", &service, None, &user.sid).await;
                Ok(user)
            }
            Err(StoreError::Conflict(_)) => Err(ChatError::Conflict {
                code: 50201,
                message: "User already exists".into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// FetchUser by SID or identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service or user.
    pub async fn user(&self, account_sid: &str, service_sid: &str, key: &str) -> Result<User, ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        self.store.user(&service.sid, key).await?.ok_or(ChatError::NotFound)
    }

    /// ListUser.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service.
    pub async fn list_users(
        &self,
        account_sid: &str,
        service_sid: &str,
        page: PageReq,
    ) -> Result<Vec<Keyed<User>>, ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        Ok(self.store.list_users(&service.sid, page).await?)
    }

    /// UpdateUser by SID or identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; validation errors as for create.
    pub async fn update_user(
        &self,
        account_sid: &str,
        service_sid: &str,
        key: &str,
        mut patch: UserPatch,
        webhooks: bool,
    ) -> Result<User, ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        let mut user = self.store.user(&service.sid, key).await?.ok_or(ChatError::NotFound)?;
        if let Some(r) = &patch.role_sid {
            user.role_sid = Some(self.deployment_role(&service, r).await?);
        }
        apply_patch(&mut user, &patch)?;
        if webhooks {
            // The hook sees the user as it would be after the update, and may change it.
            let answer = self
                .pre_event(webhooks, &service, "onUserUpdate", user_params(&user))
                .await?;
            patch.friendly_name = modified(answer.as_ref(), "friendly_name", "FriendlyName");
            patch.attributes = modified(answer.as_ref(), "attributes", "Attributes");
            patch.role_sid = None;
            apply_patch(&mut user, &patch)?;
        }
        user.date_updated = time::now();
        let outbox = self
            .post_events(webhooks, &service, None, "onUserUpdated", &user_params(&user), None)
            .await?;
        if self.store.update_user(&user, &outbox).await? {
            self.emit("onUserUpdated", &service, None, &user.sid).await;
            Ok(user)
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// DeleteUser by SID or identity.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_user(&self, account_sid: &str, service_sid: &str, key: &str) -> Result<(), ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        let user = self.store.user(&service.sid, key).await?.ok_or(ChatError::NotFound)?;
        if self.store.delete_user(&service.sid, &user.sid).await? {
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
