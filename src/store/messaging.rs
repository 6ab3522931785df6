//! Store traits of the messaging core: channels, members, messages, invites, channel webhooks,
//! bindings. Counters are maintained by these methods inside the same transaction as the rows.

use async_trait::async_trait;

use super::{
    Binding, Channel, ChannelWebhook, ConversationFilter, Invite, Keyed, Member, Message, OutboxItem, OutboxRow,
    PageReq, StoreError, User, UserChannel,
};
use crate::time::Timestamp;

/// Outcome of [`MemberStore::add_member`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddMember {
    /// The member was added; the channel's and user's counters were bumped.
    Added,
    /// The identity is already a member.
    Duplicate,
    /// The channel has `Limits.ChannelMembers` members.
    ChannelFull,
    /// The user is in `Limits.UserChannels` channels.
    UserFull,
    /// The channel no longer exists.
    ChannelGone,
}

/// Outcome of [`InviteStore::insert_invite`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddInvite {
    /// The invite was stored.
    Added,
    /// The identity is already invited.
    Duplicate,
    /// The identity is already a member.
    AlreadyMember,
}

/// Outcome of [`WebhookStore::insert_webhook`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddWebhook {
    /// The webhook was stored.
    Added,
    /// The channel already has the maximum number of webhooks.
    TooMany,
}

/// Channels of a service.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Inserts a channel. [`StoreError::Conflict`] (`channel.unique_name`) on a taken name.
    async fn insert_channel(&self, channel: &Channel, outbox: &[OutboxRow]) -> Result<(), StoreError>;
    /// Looks a channel up by SID or unique name.
    async fn channel(&self, service_sid: &str, key: &str) -> Result<Option<Channel>, StoreError>;
    /// A page of channels, optionally only of the given types, and only those `visible_to`
    /// an identity when given: public ones, and private ones it created, joined or is invited
    /// to.
    async fn list_channels(
        &self,
        service_sid: &str,
        types: &[String],
        visible_to: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError>;
    /// A page of conversations (private channels) `visible_to` an identity when given, only in
    /// `filter`'s state and creation dates.
    async fn list_conversations(
        &self,
        service_sid: &str,
        visible_to: Option<&str>,
        filter: &ConversationFilter,
        page: PageReq,
    ) -> Result<Vec<Keyed<Channel>>, StoreError>;
    /// Writes the mutable fields; false when the channel is gone. Conflict on a taken unique name.
    /// The state and timers are written only while the row still has the state and due instant
    /// of `read` (the channel as the caller read it): a timer that fired meanwhile keeps its
    /// change, and is never re-armed by an update that did not see it.
    async fn update_channel(&self, channel: &Channel, read: &Channel, outbox: &[OutboxRow])
    -> Result<bool, StoreError>;
    /// Deletes a channel with everything in it and corrects members' `joined_channels_count`.
    async fn delete_channel(&self, service_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError>;
}

/// Members of channels.
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Adds a member, creating `new_user` first when given and not yet present, enforcing the
    /// limits, bumping counters and consuming any invite of the identity, all in one transaction.
    async fn add_member(
        &self,
        member: &Member,
        new_user: Option<&User>,
        channel_members_limit: i64,
        user_channels_limit: i64,
        outbox: &[OutboxRow],
    ) -> Result<AddMember, StoreError>;
    /// Looks a member up by SID or identity.
    async fn member(&self, channel_sid: &str, key: &str) -> Result<Option<Member>, StoreError>;
    /// A page of members, optionally only of the given identities.
    async fn list_members(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Member>>, StoreError>;
    /// Writes the mutable fields of a member.
    async fn update_member(&self, member: &Member, outbox: &[OutboxRow]) -> Result<bool, StoreError>;
    /// Removes a member and corrects the counters.
    async fn remove_member(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError>;
}

/// Messages of channels.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Appends a message: assigns the next index of the channel (ignoring `message.index`),
    /// bumps `messages_count`, writes `outbox` with an `Index` parameter appended to each row,
    /// and returns the stored message; `None` when the channel is gone.
    async fn append_message(&self, message: &Message, outbox: &[OutboxRow]) -> Result<Option<Message>, StoreError>;
    /// Looks a message up by SID.
    async fn message(&self, channel_sid: &str, sid: &str) -> Result<Option<Message>, StoreError>;
    /// A page of messages by index (`page.desc` for newest first).
    async fn list_messages(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<Message>>, StoreError>;
    /// Writes the mutable fields of a message.
    async fn update_message(&self, message: &Message, outbox: &[OutboxRow]) -> Result<bool, StoreError>;
    /// Deletes a message; other indexes do not change.
    async fn delete_message(&self, channel_sid: &str, sid: &str, outbox: &[OutboxRow]) -> Result<bool, StoreError>;
}

/// Invites to channels, and the user's view of channels.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Stores an invite unless the identity is already invited or a member.
    async fn insert_invite(&self, invite: &Invite) -> Result<AddInvite, StoreError>;
    /// Looks an invite up by SID.
    async fn invite(&self, channel_sid: &str, sid: &str) -> Result<Option<Invite>, StoreError>;
    /// A page of invites, optionally only of the given identities.
    async fn list_invites(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Invite>>, StoreError>;
    /// Deletes an invite.
    async fn delete_invite(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError>;
    /// A page of the channels a user has joined or is invited to, with unread counts; with
    /// `channels`, only those among them.
    async fn list_user_channels(
        &self,
        service_sid: &str,
        identity: &str,
        channels: Option<&[String]>,
        page: PageReq,
    ) -> Result<Vec<Keyed<UserChannel>>, StoreError>;
}

/// Webhooks scoped to a channel.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a webhook unless the channel already has `max` of them.
    async fn insert_webhook(&self, webhook: &ChannelWebhook, max: i64) -> Result<AddWebhook, StoreError>;
    /// Looks a webhook up by SID.
    async fn webhook(&self, channel_sid: &str, sid: &str) -> Result<Option<ChannelWebhook>, StoreError>;
    /// A page of a channel's webhooks.
    async fn list_webhooks(&self, channel_sid: &str, page: PageReq) -> Result<Vec<Keyed<ChannelWebhook>>, StoreError>;
    /// Writes the configuration.
    async fn update_webhook(&self, webhook: &ChannelWebhook) -> Result<bool, StoreError>;
    /// Deletes a webhook.
    async fn delete_webhook(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError>;
}

/// Push bindings of a service's users.
#[async_trait]
pub trait BindingStore: Send + Sync {
    /// Stores a binding (created by end-user clients; tests use it directly).
    async fn insert_binding(&self, binding: &Binding) -> Result<(), StoreError>;
    /// Looks a binding up by SID.
    async fn binding(&self, service_sid: &str, sid: &str) -> Result<Option<Binding>, StoreError>;
    /// A page of bindings filtered by types and identities (empty filter = all).
    async fn list_bindings(
        &self,
        service_sid: &str,
        types: &[String],
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Binding>>, StoreError>;
    /// Deletes a binding.
    async fn delete_binding(&self, service_sid: &str, sid: &str) -> Result<bool, StoreError>;
}

/// The transactional outbox of post-event webhook deliveries.
///
/// Every mutating method above takes `outbox` rows and writes them in the same transaction as
/// the change (only when the change happens: a refused or failed change writes none).
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` due rows (`next_attempt_at <= now`, lease expired), at most the
    /// oldest pending row per ordering key, leasing them until `lease_until`.
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError>;
    /// The delivery succeeded: the row is removed.
    async fn complete_outbox(&self, id: &str) -> Result<(), StoreError>;
    /// The attempt failed; another is due at `next_attempt_at`.
    async fn retry_outbox(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Attempts are exhausted: the row is kept with status `failed` and no longer claimed.
    async fn fail_outbox(&self, id: &str, attempts: i64, error: &str) -> Result<(), StoreError>;
}
