//! Push registrations: what an end user's client SDK registers (Twilio's "ers" service,
//! CLIENT_PROTOCOL.md §6.3) becomes a Chat push binding of the user, which makes the user
//! notifiable. A registration is identified by the binding's SID.

use super::bindings::NewBinding;
use super::{Actor, Chat, ChatError, ServiceRef};
use crate::store::{Binding, Keyed, PageReq};

/// Push bindings one identity may hold (each of its devices and browsers holds one).
pub const MAX_REGISTRATIONS: u32 = 100;

/// A device's registration as the client sends it.
#[derive(Debug, Clone, Default)]
pub struct PushRegistration {
    /// `fcm`, `apn` or `gcm` (the SDK's `channel_type`).
    pub channel_type: String,
    /// The device token (FCM registration id, APNs device token).
    pub address: String,
    /// The SDK's notification types (`twilio.channel.new_message`, …).
    pub message_types: Vec<String>,
}

/// Chat's binding message type for one of the SDKs' notification types, if it has one.
fn binding_type_of(t: &str) -> Option<&'static str> {
    Some(match t {
        "twilio.channel.new_message" | "twilio.conversations.new_message" => "new_message",
        "twilio.channel.added_to_channel" | "twilio.conversations.added_to_conversation" => "added_to_channel",
        "twilio.channel.removed_from_channel" | "twilio.conversations.removed_from_conversation" => {
            "removed_from_channel"
        }
        "twilio.channel.invited_to_channel" => "invited_to_channel",
        _ => return None,
    })
}

impl Chat {
    /// Registers the caller's device for push: a binding of their identity with the address,
    /// type and message types asked for, and the push credential of their token. Registering
    /// the same address and type again replaces the binding (a new SID); the same message
    /// types again change nothing.
    ///
    /// # Errors
    /// 403 / 20403 for the operator; 400 / 20001 for a bad type or an empty address, or when
    /// the identity already holds [`MAX_REGISTRATIONS`].
    pub async fn register_push(&self, at: ServiceRef<'_>, reg: PushRegistration) -> Result<Binding, ChatError> {
        let Actor::User(token) = &at.caller.actor else {
            return Err(ChatError::new(
                20403,
                "Forbidden: push registrations belong to end users",
            ));
        };
        let scope = self.scope(at).await?;
        let address = reg.address.trim();
        if address.is_empty() || address.len() > 4096 {
            return Err(ChatError::invalid("registration_id", "must be 1 to 4096 characters"));
        }
        let mut types: Vec<String> = reg
            .message_types
            .iter()
            .filter_map(|t| binding_type_of(t))
            .map(str::to_owned)
            .collect();
        types.sort_unstable();
        types.dedup();
        let mine = self.registrations(&scope.service.sid, &token.identity, &[]).await?;
        let same = mine
            .iter()
            .find(|b| b.item.binding_type == reg.channel_type && b.item.endpoint == address);
        if let Some(b) = same {
            let mut held = b.item.message_types.clone();
            held.sort_unstable();
            if types.is_empty() || held == types {
                return Ok(b.item.clone());
            }
        } else if mine.len() >= MAX_REGISTRATIONS as usize {
            return Err(ChatError::invalid(
                "registration_id",
                "this identity holds the most push registrations allowed; remove one first",
            ));
        }
        let binding = self
            .insert_binding(
                &scope.service,
                NewBinding {
                    identity: token.identity.clone(),
                    endpoint: address.to_owned(),
                    binding_type: reg.channel_type,
                    credential_sid: token.push_credential_sid.clone(),
                    message_types: types,
                },
            )
            .await?;
        // The new binding first, then the one it replaces: the user never looks unreachable.
        if let Some(old) = same {
            self.store.delete_binding(&old.item.service_sid, &old.item.sid).await?;
        }
        Ok(binding)
    }

    /// Removes the caller's registration `id` (a binding SID of theirs).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the caller holds it; 403 / 20403 for the operator.
    pub async fn unregister_push(&self, at: ServiceRef<'_>, id: &str) -> Result<(), ChatError> {
        let Actor::User(token) = &at.caller.actor else {
            return Err(ChatError::new(
                20403,
                "Forbidden: push registrations belong to end users",
            ));
        };
        let scope = self.scope(at).await?;
        let binding = self.store.binding(&scope.service.sid, id).await?;
        match binding {
            Some(b) if b.identity == token.identity => {
                if self.store.delete_binding(&b.service_sid, &b.sid).await? {
                    self.wake_followers(&b.service_sid).await;
                }
                Ok(())
            }
            _ => Err(ChatError::NotFound),
        }
    }

    /// Removes the caller's registrations of `binding_type` for device `address`; returns how
    /// many went.
    ///
    /// # Errors
    /// 403 / 20403 for the operator.
    pub async fn unregister_push_address(
        &self,
        at: ServiceRef<'_>,
        binding_type: &str,
        address: &str,
    ) -> Result<usize, ChatError> {
        let Actor::User(token) = &at.caller.actor else {
            return Err(ChatError::new(
                20403,
                "Forbidden: push registrations belong to end users",
            ));
        };
        let scope = self.scope(at).await?;
        let mine = self
            .registrations(&scope.service.sid, &token.identity, &[binding_type.to_owned()])
            .await?;
        let mut removed = 0;
        for b in mine.iter().filter(|b| b.item.endpoint == address) {
            if self.store.delete_binding(&b.item.service_sid, &b.item.sid).await? {
                removed += 1;
            }
        }
        if removed > 0 {
            self.wake_followers(&scope.service.sid).await;
        }
        Ok(removed)
    }

    /// The push bindings of `identity` (of `types`, or all), up to [`MAX_REGISTRATIONS`].
    async fn registrations(
        &self,
        service_sid: &str,
        identity: &str,
        types: &[String],
    ) -> Result<Vec<Keyed<Binding>>, ChatError> {
        let page = PageReq {
            after: None,
            before: None,
            limit: MAX_REGISTRATIONS,
            desc: false,
        };
        let identities = [identity.to_owned()];
        Ok(self.store.list_bindings(service_sid, types, &identities, page).await?)
    }
}
