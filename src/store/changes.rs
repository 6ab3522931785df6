//! The change log: a durable, ordered position for every change a client can observe, so a
//! client that was offline can catch up from the database on any node.
//!
//! Every write method of the store that makes such a change (see [`ChangeKind`]) logs it in the
//! same transaction, at the next position of its service: the store knows which change it
//! writes, so callers pass nothing. Positions are numbered 1, 2, 3, … per service by the
//! service's head row (`change_heads`), which the writing transaction advances as its last step
//! and holds locked until it commits (SQLite: the only writer), so a reader that has seen
//! position `P` never later finds a new change at or below `P`. Old changes are pruned; a
//! reader whose position is older than what is kept is told to resynchronise
//! ([`StoreError::Resync`]).

use async_trait::async_trait;

use super::StoreError;
use crate::time::Timestamp;

/// What a logged change did (see [`Change`]). The names are stable: clients and other nodes
/// see them, and the database stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// A message was appended.
    MessageAdded,
    /// A message was edited.
    MessageUpdated,
    /// A message was deleted. [`Change::detail`]: its index, as decimal text (`"4"`).
    MessageRemoved,
    /// A member joined a channel.
    MemberAdded,
    /// A member's role, attributes, read horizon or notification level changed.
    MemberUpdated,
    /// A member left a channel (or was removed with its user). [`Change::detail`]: the member's
    /// identity.
    MemberRemoved,
    /// A channel was created.
    ChannelAdded,
    /// A channel's names, attributes or creator changed.
    ChannelUpdated,
    /// A channel was deleted with everything in it.
    ChannelRemoved,
    /// A user was created (explicitly, or implicitly by joining a channel).
    UserAdded,
    /// A user's role, attributes or friendly name changed.
    UserUpdated,
    /// A user was deleted.
    UserRemoved,
    /// A user went online or offline, or became notifiable or not (see
    /// [`crate::store::PresenceStore`]).
    UserReachability,
    /// An identity was invited to a channel.
    InviteAdded,
    /// An invite was deleted, consumed by the identity joining, or removed with its user.
    /// [`Change::detail`]: the invited identity.
    InviteRemoved,
}

impl ChangeKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 15] = [
        Self::MessageAdded,
        Self::MessageUpdated,
        Self::MessageRemoved,
        Self::MemberAdded,
        Self::MemberUpdated,
        Self::MemberRemoved,
        Self::ChannelAdded,
        Self::ChannelUpdated,
        Self::ChannelRemoved,
        Self::UserAdded,
        Self::UserUpdated,
        Self::UserRemoved,
        Self::UserReachability,
        Self::InviteAdded,
        Self::InviteRemoved,
    ];

    /// The stored name (`message_added`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessageAdded => "message_added",
            Self::MessageUpdated => "message_updated",
            Self::MessageRemoved => "message_removed",
            Self::MemberAdded => "member_added",
            Self::MemberUpdated => "member_updated",
            Self::MemberRemoved => "member_removed",
            Self::ChannelAdded => "channel_added",
            Self::ChannelUpdated => "channel_updated",
            Self::ChannelRemoved => "channel_removed",
            Self::UserAdded => "user_added",
            Self::UserUpdated => "user_updated",
            Self::UserRemoved => "user_removed",
            Self::UserReachability => "user_reachability",
            Self::InviteAdded => "invite_added",
            Self::InviteRemoved => "invite_removed",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One logged change: written by the store in the same transaction as the change itself, at a
/// position that orders the changes of its service (positions 1, 2, 3, … per service, committed
/// in that order on every backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position within the service: greater than every position committed before.
    pub position: i64,
    /// The service.
    pub service_sid: String,
    /// The channel, or `None` for a service-level change (users).
    pub channel_sid: Option<String>,
    /// What happened.
    pub kind: ChangeKind,
    /// The SID of what changed (`IM…`, `MB…`, `CH…`, `US…`, `IN…`).
    pub sid: String,
    /// What a removal needs that the deleted record can no longer tell (the record is gone
    /// when a reader turns the change into an event):
    /// - [`ChangeKind::MessageRemoved`]: the message's index, as decimal text (`"4"`);
    /// - [`ChangeKind::MemberRemoved`]: the member's identity;
    /// - [`ChangeKind::InviteRemoved`]: the invited identity.
    ///
    /// `None` for every other kind (the current record tells), and for removals logged before
    /// the log kept it.
    pub detail: Option<String>,
    /// When the change was written.
    pub date_created: Timestamp,
}

/// Where the change log of a service stands (see [`crate::store::ChangeStore::last_change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeHead {
    /// The position of the newest change (0 before the first).
    pub last_position: i64,
    /// Changes up to this position may be gone (pruned, or not carried over by a copy): a
    /// reader at an older position must resynchronise.
    pub pruned_through: i64,
}

/// A change as a write method logs it; the store adds the position and the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewChange<'a> {
    /// The channel, or `None` for a service-level change.
    pub channel_sid: Option<&'a str>,
    /// What happened.
    pub kind: ChangeKind,
    /// The SID of what changed.
    pub sid: &'a str,
    /// What a removal needs that its deleted record can no longer tell (see
    /// [`Change::detail`] for the meaning per kind); `None` for other kinds.
    pub detail: Option<&'a str>,
}

impl<'a> NewChange<'a> {
    /// A change of `sid` in channel `channel_sid`.
    #[must_use]
    pub fn in_channel(channel_sid: &'a str, kind: ChangeKind, sid: &'a str) -> Self {
        Self {
            channel_sid: Some(channel_sid),
            kind,
            sid,
            detail: None,
        }
    }

    /// A service-level change of `sid`.
    #[must_use]
    pub fn of_service(kind: ChangeKind, sid: &'a str) -> Self {
        Self {
            channel_sid: None,
            kind,
            sid,
            detail: None,
        }
    }

    /// This change with `detail` (see [`Change::detail`] for what each removal records).
    #[must_use]
    pub fn with_detail(self, detail: &'a str) -> Self {
        Self {
            detail: Some(detail),
            ..self
        }
    }
}

/// Reading and pruning the change log (writing it is part of every write method).
#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// Up to `limit` changes of the service after position `after`, ascending: those of the
    /// given channels (every channel for `None`) and the service-level ones (users). One read over the service's log in
    /// position order; the next call resumes after the last position returned.
    ///
    /// # Errors
    /// [`StoreError::Resync`] when changes after `after` may have been pruned (or `after` is
    /// beyond the last position, so it comes from another database): the caller must
    /// resynchronise fully and resume from [`ChangeHead::last_position`].
    async fn changes_after(
        &self,
        service_sid: &str,
        after: i64,
        channels: Option<&[String]>,
        limit: usize,
    ) -> Result<Vec<Change>, StoreError>;

    /// Where the service's log stands: its last position and how far it has been pruned
    /// (both 0 before the first change).
    ///
    /// # Errors
    /// When the database cannot be read.
    async fn last_change(&self, service_sid: &str) -> Result<ChangeHead, StoreError>;

    /// Deletes, per service, up to `limit` of the oldest changes written before `older_than`
    /// (one short transaction per service) and returns how many went. Call again while it
    /// returns `limit` or more to continue.
    ///
    /// # Errors
    /// When the database cannot be written.
    async fn prune_changes(&self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError>;
}

/// Whether a reader at position `after` can resume from the log whose head is `head`.
///
/// # Errors
/// [`StoreError::Resync`] when changes after `after` may have been pruned, or `after` is beyond
/// the last position.
pub(super) fn check_resumable(after: i64, head: ChangeHead) -> Result<(), StoreError> {
    if after < head.pruned_through || after > head.last_position {
        Err(StoreError::Resync { after, head })
    } else {
        Ok(())
    }
}
