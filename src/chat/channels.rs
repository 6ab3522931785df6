//! Channels: public or private rooms, addressable by SID or unique name.

use std::sync::Arc;

use super::events::{channel_params, modified};
use super::{Chat, ChatError, validate};
use crate::sid;
use crate::store::{Channel, Keyed, PageReq, Service, StoreError};
use crate::time::{self, Timestamp};

/// Channel keys remembered per process before the map starts over.
pub(super) const MAX_REMEMBERED_CHANNELS: usize = 100_000;

/// Longest unique name (characters).
pub const MAX_UNIQUE_NAME: usize = 256;

/// CreateChannel input.
#[derive(Debug, Clone, Default)]
pub struct NewChannel {
    /// `FriendlyName`
    pub friendly_name: Option<String>,
    /// `UniqueName`
    pub unique_name: Option<String>,
    /// `Attributes`
    pub attributes: Option<String>,
    /// `Type` (`public` when absent).
    pub channel_type: Option<String>,
    /// `DateCreated` (backfill).
    pub date_created: Option<Timestamp>,
    /// `DateUpdated` (backfill).
    pub date_updated: Option<Timestamp>,
    /// `CreatedBy` (`system` when absent).
    pub created_by: Option<String>,
}

/// UpdateChannel input: absent fields stay unchanged; an empty `UniqueName` clears it.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    /// `FriendlyName`
    pub friendly_name: Option<String>,
    /// `UniqueName`
    pub unique_name: Option<String>,
    /// `Attributes`
    pub attributes: Option<String>,
    /// `DateCreated`
    pub date_created: Option<Timestamp>,
    /// `DateUpdated`
    pub date_updated: Option<Timestamp>,
    /// `CreatedBy`
    pub created_by: Option<String>,
}

fn unique_name(name: &str) -> Result<Option<String>, ChatError> {
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > MAX_UNIQUE_NAME {
        return Err(ChatError::invalid_code(
            50004,
            format!("UniqueName is too long (maximum {MAX_UNIQUE_NAME})"),
        ));
    }
    if sid::looks_like_sid(name) {
        return Err(ChatError::invalid("UniqueName", "must not look like a SID"));
    }
    Ok(Some(name.to_owned()))
}

/// Applies what a pre-event hook changed (names, attributes), validated like the request.
fn apply_answer(channel: &mut Channel, answer: Option<&serde_json::Value>) -> Result<(), ChatError> {
    if let Some(n) = modified(answer, "friendly_name", "FriendlyName") {
        channel.friendly_name = Some(validate::friendly_name(&n, validate::MAX_FRIENDLY_NAME)?);
    }
    if let Some(n) = modified(answer, "unique_name", "UniqueName") {
        channel.unique_name = unique_name(&n)?;
    }
    if let Some(a) = modified(answer, "attributes", "Attributes") {
        channel.attributes = validate::attributes(&a)?;
    }
    Ok(())
}

fn taken(e: StoreError) -> ChatError {
    match e {
        StoreError::Conflict(_) => ChatError::Conflict {
            code: 50307,
            message: "Channel unique name already exists".into(),
        },
        e => e.into(),
    }
}

impl Chat {
    /// Resolves a service and one of its channels (by SID or unique name).
    pub(super) async fn channel_of(
        &self,
        account_sid: &str,
        service_sid: &str,
        key: &str,
    ) -> Result<(Arc<Service>, Channel), ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        let channel = self
            .store
            .channel(&service.sid, key)
            .await?
            .ok_or(ChatError::NotFound)?;
        Ok((service, channel))
    }

    /// Resolves a service and the SID of one of its channels, from memory when possible: the
    /// hot paths (send a message, page through messages) need only the SID, and the store
    /// reports a channel deleted meanwhile (`None`), which callers turn into a 404.
    pub(super) async fn channel_sid_of(
        &self,
        account_sid: &str,
        service_sid: &str,
        key: &str,
    ) -> Result<(Arc<Service>, String), ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        let cache_key = (service.sid.clone(), key.to_owned());
        if let Some(sid) = self.channel_keys.get(&cache_key) {
            return Ok((service, sid));
        }
        let ticket = self.channel_keys.ticket();
        let channel = self
            .store
            .channel(&service.sid, key)
            .await?
            .ok_or(ChatError::NotFound)?;
        // Other nodes may rename or delete channels of a shared database: nothing is remembered.
        if !self.store.shared() {
            self.channel_keys.fill(ticket, cache_key, channel.sid.clone());
        }
        Ok((service, channel.sid))
    }

    /// Forgets every key of a channel. Called after a rename or delete has committed; the
    /// cache's generation makes lookups that were in flight drop what they read before.
    fn forget_channel(&self, sid: &str) {
        self.channel_keys.invalidate(|_, v| v == sid);
    }

    /// CreateChannel.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 50307 (409) for a taken unique name;
    /// validation errors naming the parameter.
    pub async fn create_channel(
        &self,
        account_sid: &str,
        service_sid: &str,
        input: NewChannel,
        webhooks: bool,
    ) -> Result<Channel, ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        let channel_type = input.channel_type.unwrap_or_else(|| "public".to_owned());
        if channel_type != "public" && channel_type != "private" {
            return Err(ChatError::invalid("Type", "must be public or private"));
        }
        let friendly_name = input
            .friendly_name
            .as_deref()
            .map(|n| validate::friendly_name(n, validate::MAX_FRIENDLY_NAME))
            .transpose()?;
        let unique_name = match input.unique_name.as_deref() {
            Some(n) => unique_name(n)?,
            None => None,
        };
        let attributes = validate::attributes(input.attributes.as_deref().unwrap_or("{}"))?;
        let date_created = input.date_created.unwrap_or_else(time::now);
        let channel = Channel {
            sid: sid::generate(sid::CHANNEL),
            account_sid: account_sid.to_owned(),
            service_sid: service.sid.clone(),
            friendly_name,
            unique_name,
            attributes,
            channel_type,
            created_by: match input.created_by.as_deref() {
                Some(by) => validate::text("CreatedBy", by, validate::MAX_NAME)?,
                None => "system".to_owned(),
            },
            members_count: 0,
            messages_count: 0,
            last_message_sid: None,
            date_created,
            date_updated: input.date_updated.unwrap_or(date_created),
        };
        let mut channel = channel;
        let answer = self
            .pre_event(webhooks, &service, "onChannelAdd", channel_params(&channel, false))
            .await?;
        apply_answer(&mut channel, answer.as_ref())?;
        let params = channel_params(&channel, true);
        let outbox = self
            .post_events(webhooks, &service, Some(&channel), "onChannelAdded", &params, None)
            .await?;
        self.store.insert_channel(&channel, &outbox).await.map_err(taken)?;
        self.emit("onChannelAdded", &service, Some(&channel.sid), &channel.sid)
            .await;
        Ok(channel)
    }

    /// FetchChannel by SID or unique name.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn channel(&self, account_sid: &str, service_sid: &str, key: &str) -> Result<Channel, ChatError> {
        Ok(self.channel_of(account_sid, service_sid, key).await?.1)
    }

    /// ListChannel, optionally filtered by type.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 20001 for an unknown type.
    pub async fn list_channels(
        &self,
        account_sid: &str,
        service_sid: &str,
        types: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        if types.iter().any(|t| t != "public" && t != "private") {
            return Err(ChatError::invalid("Type", "must be public or private"));
        }
        Ok(self.store.list_channels(&service.sid, types, page).await?)
    }

    /// UpdateChannel.
    ///
    /// # Errors
    /// As for create.
    pub async fn update_channel(
        &self,
        account_sid: &str,
        service_sid: &str,
        key: &str,
        patch: ChannelPatch,
        webhooks: bool,
    ) -> Result<Channel, ChatError> {
        let (service, mut channel) = self.channel_of(account_sid, service_sid, key).await?;
        if let Some(n) = &patch.friendly_name {
            channel.friendly_name = Some(validate::friendly_name(n, validate::MAX_FRIENDLY_NAME)?);
        }
        if let Some(n) = &patch.unique_name {
            channel.unique_name = unique_name(n)?;
        }
        if let Some(a) = &patch.attributes {
            channel.attributes = validate::attributes(a)?;
        }
        if let Some(by) = &patch.created_by {
            channel.created_by = validate::text("CreatedBy", by, validate::MAX_NAME)?;
        }
        if let Some(d) = patch.date_created {
            channel.date_created = d;
        }
        channel.date_updated = patch.date_updated.unwrap_or_else(time::now);
        let answer = self
            .pre_event(webhooks, &service, "onChannelUpdate", channel_params(&channel, true))
            .await?;
        apply_answer(&mut channel, answer.as_ref())?;
        let params = channel_params(&channel, true);
        let outbox = self
            .post_events(webhooks, &service, Some(&channel), "onChannelUpdated", &params, None)
            .await?;
        let updated = self.store.update_channel(&channel, &outbox).await;
        self.forget_channel(&channel.sid);
        if updated.map_err(taken)? {
            self.emit("onChannelUpdated", &service, Some(&channel.sid), &channel.sid)
                .await;
            Ok(channel)
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// DeleteChannel: removes its members, messages, invites and webhooks too.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_channel(
        &self,
        account_sid: &str,
        service_sid: &str,
        key: &str,
        webhooks: bool,
    ) -> Result<(), ChatError> {
        let (service, channel) = self.channel_of(account_sid, service_sid, key).await?;
        let params = channel_params(&channel, true);
        self.pre_event(webhooks, &service, "onChannelDestroy", params.clone())
            .await?;
        let outbox = self
            .post_events(webhooks, &service, Some(&channel), "onChannelDestroyed", &params, None)
            .await?;
        let deleted = self.store.delete_channel(&service.sid, &channel.sid, &outbox).await;
        self.forget_channel(&channel.sid);
        if deleted? {
            self.emit("onChannelDestroyed", &service, Some(&channel.sid), &channel.sid)
                .await;
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
