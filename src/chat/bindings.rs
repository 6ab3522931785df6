//! Push bindings, service-wide and per user. End users' clients create them through push
//! registrations (`push`).

use super::{Chat, ChatError, ServiceRef};
use crate::sid;
use crate::store::{Binding, Keyed, PageReq, Service, User};
use crate::time;

/// A binding as an end-user client registers it.
#[derive(Debug, Clone, Default)]
pub struct NewBinding {
    /// The user's identity.
    pub identity: String,
    /// Device address.
    pub endpoint: String,
    /// `apn`, `gcm` or `fcm`.
    pub binding_type: String,
    /// Push credential (`CR…`).
    pub credential_sid: Option<String>,
    /// Push types received; all four when empty.
    pub message_types: Vec<String>,
}

fn check_types(types: &[String]) -> Result<(), ChatError> {
    if types.iter().any(|t| !["apn", "gcm", "fcm"].contains(&t.as_str())) {
        return Err(ChatError::invalid("BindingType", "must be apn, gcm or fcm"));
    }
    Ok(())
}

impl Chat {
    /// Registers a push binding (end-user clients and operator imports).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 20001 for a bad type or empty fields.
    pub async fn create_binding(&self, at: ServiceRef<'_>, input: NewBinding) -> Result<Binding, ChatError> {
        let service = self.operator_service(at).await?;
        self.insert_binding(&service, input).await
    }

    /// Validates and stores a new binding of `service`; wakes the service's change readers
    /// (the identity may have become notifiable).
    pub(super) async fn insert_binding(&self, service: &Service, input: NewBinding) -> Result<Binding, ChatError> {
        check_types(std::slice::from_ref(&input.binding_type))?;
        if input.identity.is_empty() || input.endpoint.is_empty() {
            return Err(ChatError::invalid("Identity", "identity and endpoint are required"));
        }
        let message_types = if input.message_types.is_empty() {
            [
                "new_message",
                "added_to_channel",
                "removed_from_channel",
                "invited_to_channel",
            ]
            .map(str::to_owned)
            .to_vec()
        } else {
            input.message_types
        };
        let now = time::now();
        let binding = Binding {
            sid: sid::generate(sid::BINDING),
            account_sid: service.account_sid.clone(),
            service_sid: service.sid.clone(),
            identity: input.identity,
            endpoint: input.endpoint,
            credential_sid: input.credential_sid,
            binding_type: input.binding_type,
            message_types,
            date_created: now,
            date_updated: now,
        };
        self.store.insert_binding(&binding).await?;
        self.wake_followers(&binding.service_sid).await;
        Ok(binding)
    }

    /// ListBinding, filtered by types and identities.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 20001 for an unknown type.
    pub async fn list_bindings(
        &self,
        at: ServiceRef<'_>,
        types: &[String],
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Binding>>, ChatError> {
        let service = self.operator_service(at).await?;
        check_types(types)?;
        Ok(self.store.list_bindings(&service.sid, types, identities, page).await?)
    }

    /// FetchBinding; with `user_key`, only a binding of that user.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn binding(
        &self,
        at: ServiceRef<'_>,
        user_key: Option<&str>,
        sid: &str,
    ) -> Result<(Option<User>, Binding), ChatError> {
        let service = self.operator_service(at).await?;
        let user = match user_key {
            Some(k) => Some(self.store.user(&service.sid, k).await?.ok_or(ChatError::NotFound)?),
            None => None,
        };
        if !sid::is_sid(sid::BINDING, sid) {
            return Err(ChatError::NotFound);
        }
        let binding = self
            .store
            .binding(&service.sid, sid)
            .await?
            .ok_or(ChatError::NotFound)?;
        if user.as_ref().is_some_and(|u| u.identity != binding.identity) {
            return Err(ChatError::NotFound);
        }
        Ok((user, binding))
    }

    /// ListUserBinding.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service or user.
    pub async fn list_user_bindings(
        &self,
        at: ServiceRef<'_>,
        user_key: &str,
        types: &[String],
        page: PageReq,
    ) -> Result<(User, Vec<Keyed<Binding>>), ChatError> {
        let service = self.operator_service(at).await?;
        let user = self
            .store
            .user(&service.sid, user_key)
            .await?
            .ok_or(ChatError::NotFound)?;
        check_types(types)?;
        let rows = self
            .store
            .list_bindings(&user.service_sid, types, std::slice::from_ref(&user.identity), page)
            .await?;
        Ok((user, rows))
    }

    /// DeleteBinding / DeleteUserBinding.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_binding(&self, at: ServiceRef<'_>, user_key: Option<&str>, sid: &str) -> Result<(), ChatError> {
        let (_, b) = self.binding(at, user_key, sid).await?;
        if self.store.delete_binding(&b.service_sid, &b.sid).await? {
            self.wake_followers(&b.service_sid).await;
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
