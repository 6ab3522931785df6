//! Channels: public or private rooms, addressable by SID or unique name.

use std::sync::Arc;

use super::events::{Event, modified};
use super::payload::Payload;
use super::write::Where;
use super::{ChannelRef, Chat, ChatError, Permission, ServiceRef, TimersInput, validate};
use crate::sid;
use crate::store::{Channel, ConversationFilter, Keyed, PageReq, Service, StoreError};
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
    /// Conversations' `State` (`active` when absent).
    pub state: Option<String>,
    /// Conversations' and Chat v3's `MessagingServiceSid`.
    pub messaging_service_sid: Option<String>,
    /// Conversations' `Timers.*`; `Some` (even empty) for conversations created through the
    /// Conversations API, which take the account's default timers.
    pub timers: Option<TimersInput>,
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
    /// Chat v3's `Type`: a public channel may become private (a conversation), not back.
    pub channel_type: Option<String>,
    /// Conversations' `State`.
    pub state: Option<String>,
    /// Conversations' and Chat v3's `MessagingServiceSid`.
    pub messaging_service_sid: Option<String>,
    /// Conversations' `Timers.*`.
    pub timers: Option<TimersInput>,
}

/// A conversation state, checked.
fn state(s: &str) -> Result<String, ChatError> {
    match s {
        "active" | "inactive" | "closed" => Ok(s.to_owned()),
        _ => Err(ChatError::invalid("State", "must be active, inactive or closed")),
    }
}

/// A Messaging Service SID, checked (empty clears it).
fn messaging_service(s: &str) -> Result<Option<String>, ChatError> {
    if s.is_empty() {
        Ok(None)
    } else if sid::is_sid("MG", s) {
        Ok(Some(s.to_owned()))
    } else {
        Err(ChatError::invalid(
            "MessagingServiceSid",
            "must be a Messaging Service SID (MG…)",
        ))
    }
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
        StoreError::Conflict(_) => ChatError::new(50307, "Channel unique name already exists"),
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
    ) -> Result<(Arc<Service>, String, bool), ChatError> {
        let service = self.service(account_sid, service_sid).await?;
        let cache_key = (service.sid.clone(), key.to_owned());
        if let Some((sid, private)) = self.channel_keys.get(&cache_key) {
            return Ok((service, sid, private));
        }
        let ticket = self.channel_keys.ticket();
        let channel = self
            .store
            .channel(&service.sid, key)
            .await?
            .ok_or(ChatError::NotFound)?;
        // Other nodes may rename or delete channels of a shared database: nothing is remembered.
        let private = channel.channel_type == "private";
        if !self.store.shared() {
            self.channel_keys
                .fill(ticket, cache_key, (channel.sid.clone(), private));
        }
        Ok((service, channel.sid, private))
    }

    /// Forgets every key of a channel. Called after a rename or delete has committed; the
    /// cache's generation makes lookups that were in flight drop what they read before.
    fn forget_channel(&self, sid: &str) {
        self.channel_keys.invalidate(|_, (v, _)| v == sid);
        self.forget_participants();
    }

    /// CreateChannel. An end user needs `createChannel`; the channel is created by their
    /// identity, and they join it (with the service's channel creator role) as any member does.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 50307 (409) for a taken unique name;
    /// validation errors naming the parameter (timers: 50375, 50376, 50379, 50380); 50107 (403).
    pub async fn create_channel(&self, at: ServiceRef<'_>, input: NewChannel) -> Result<Channel, ChatError> {
        let scope = self.scope(at).await?;
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
        let (created_by, date_created, date_updated) = match scope.access.identity() {
            Some(identity) => (identity.to_owned(), time::now(), None),
            None => (
                match input.created_by.as_deref() {
                    Some(by) => validate::text("CreatedBy", by, validate::MAX_NAME)?,
                    None => "system".to_owned(),
                },
                input.date_created.unwrap_or_else(time::now),
                input.date_updated,
            ),
        };
        let state = input.state.as_deref().map_or(Ok("active".to_owned()), state)?;
        let timers = self
            .new_timers(&scope.service.account_sid, input.timers.as_ref(), &state)
            .await?;
        let mut channel = Channel {
            sid: sid::generate(sid::CHANNEL),
            account_sid: scope.service.account_sid.clone(),
            service_sid: scope.service.sid.clone(),
            friendly_name,
            unique_name,
            attributes,
            channel_type,
            created_by,
            members_count: 0,
            messages_count: 0,
            last_message_sid: None,
            date_created,
            date_updated: date_updated.unwrap_or(date_created),
            state,
            messaging_service_sid: match input.messaging_service_sid.as_deref() {
                Some(m) => messaging_service(m)?,
                None => None,
            },
            timers,
        };
        let allowed = scope.access.require(Permission::CreateChannel);
        let draft = channel.clone();
        let change = self.change(&scope, Where::Channel(&draft), Event::ChannelAdd, allowed)?;
        let (approved, answer) = change.pre(|| Payload::channel(&channel, false)).await?;
        apply_answer(&mut channel, answer.as_ref())?;
        let channel = &channel;
        approved
            .commit(
                &channel.sid,
                || Payload::channel(channel, true),
                None,
                async |outbox| {
                    self.store.insert_channel(channel, outbox).await.map_err(taken)?;
                    Ok(channel.clone())
                },
            )
            .await
    }

    /// FetchChannel by SID or unique name.
    ///
    /// # Errors
    /// [`ChatError::NotFound`], also for a private channel an end user may not see.
    pub async fn channel(&self, at: ChannelRef<'_>) -> Result<Channel, ChatError> {
        Ok(self.channel_scope(at).await?.1)
    }

    /// ListChannel, optionally filtered by type; an end user sees public channels and the
    /// private ones they are a member of or invited to.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 20001 for an unknown type.
    pub async fn list_channels(
        &self,
        at: ServiceRef<'_>,
        types: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, ChatError> {
        let scope = self.scope(at).await?;
        if types.iter().any(|t| t != "public" && t != "private") {
            return Err(ChatError::invalid("Type", "must be public or private"));
        }
        let visible_to = scope.access.identity();
        Ok(self
            .store
            .list_channels(&scope.service.sid, types, visible_to, page)
            .await?)
    }

    /// ListConversation: a page of the service's conversations (private channels) the caller
    /// may see, kept by `filter` (its state and dates checked here).
    ///
    /// # Errors
    /// [`ChatError::NotFound`] for an unknown service; 20001 for a bad state or date.
    pub async fn list_conversations(
        &self,
        at: ServiceRef<'_>,
        filter: &ConversationFilter,
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, ChatError> {
        let scope = self.scope(at).await?;
        if let Some(s) = &filter.state {
            state(s)?;
        }
        for (param, day) in [("StartDate", &filter.start_date), ("EndDate", &filter.end_date)] {
            if let Some(d) = day
                && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
            {
                return Err(ChatError::invalid(param, "must be a date, YYYY-MM-DD"));
            }
        }
        let visible_to = scope.access.identity();
        Ok(self
            .store
            .list_conversations(&scope.service.sid, visible_to, filter, page)
            .await?)
    }

    /// UpdateChannel. An end user changes names with `editChannelName` and attributes with
    /// `editChannelAttributes`; authorship and dates are the operator's to change.
    ///
    /// # Errors
    /// As for create.
    pub async fn update_channel(&self, at: ChannelRef<'_>, mut patch: ChannelPatch) -> Result<Channel, ChatError> {
        let (scope, mut channel) = self.channel_scope(at).await?;
        // The change is judged on the channel as stored (a closed conversation stays closed).
        let stored = channel.clone();
        let mut allowed = Ok(());
        if scope.access.identity().is_some() {
            patch.created_by = None;
            patch.date_created = None;
            patch.date_updated = None;
            if patch.friendly_name.is_some() || patch.unique_name.is_some() {
                allowed = scope.access.require(Permission::EditChannelName);
            }
            if allowed.is_ok() && patch.attributes.is_some() {
                allowed = scope.access.require(Permission::EditChannelAttributes);
            }
            if allowed.is_ok() && patch.channel_type.is_some() {
                allowed = scope.access.require_operator();
            }
        }
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
        if let Some(t) = &patch.channel_type {
            match (channel.channel_type.as_str(), t.as_str()) {
                (_, "private") | ("public", "public") => channel.channel_type.clone_from(t),
                (_, "public") => return Err(ChatError::invalid("Type", "a private channel cannot become public")),
                _ => return Err(ChatError::invalid("Type", "must be public or private")),
            }
        }
        if let Some(s) = &patch.state {
            channel.state = state(s)?;
        }
        if let Some(m) = &patch.messaging_service_sid {
            channel.messaging_service_sid = messaging_service(m)?;
        }
        self.update_timers(&mut channel, &stored.state, patch.timers.as_ref())?;
        channel.date_updated = patch.date_updated.unwrap_or_else(time::now);
        let change = self.change(&scope, Where::Channel(&stored), Event::ChannelUpdate, allowed)?;
        let (approved, answer) = change.pre(|| Payload::channel_state(&channel, &stored.state)).await?;
        apply_answer(&mut channel, answer.as_ref())?;
        let channel = &channel;
        approved
            .commit(
                &channel.sid,
                || Payload::channel_state(channel, &stored.state),
                None,
                async |outbox| {
                    let updated = self.store.update_channel(channel, &stored, outbox).await;
                    self.forget_channel(&channel.sid);
                    if updated.map_err(taken)? {
                        Ok(channel.clone())
                    } else {
                        Err(ChatError::NotFound)
                    }
                },
            )
            .await
    }

    /// DeleteChannel: removes its members, messages, invites and webhooks too. An end user
    /// needs `destroyChannel`.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50107 (403).
    pub async fn delete_channel(&self, at: ChannelRef<'_>) -> Result<(), ChatError> {
        let (scope, channel) = self.channel_scope(at).await?;
        let allowed = scope.access.require(Permission::DestroyChannel);
        let change = self.change(&scope, Where::Channel(&channel), Event::ChannelDestroy, allowed)?;
        let (approved, _) = change.pre(|| Payload::channel(&channel, true)).await?;
        let channel = &channel;
        approved
            .commit(
                &channel.sid,
                || {
                    let mut payload = Payload::channel(channel, true);
                    payload.removed_now(false);
                    payload
                },
                None,
                async |outbox| {
                    let deleted = self
                        .store
                        .delete_channel(&channel.service_sid, &channel.sid, outbox)
                        .await;
                    self.forget_channel(&channel.sid);
                    if deleted? { Ok(()) } else { Err(ChatError::NotFound) }
                },
            )
            .await
    }
}
