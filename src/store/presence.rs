//! Reachability: which end users have a client connected on any node, and which can be
//! reached by push (see migrations `0008_presence.sql`).
//!
//! A user is **online** while at least one `presence` row of their identity exists: each
//! initialised client socket holds one, a closed socket keeps it for a short linger (so a
//! client that reconnects at once never looks offline), and the rows of a node that stopped
//! refreshing its `presence_nodes` row (it crashed) are swept. A user is **notifiable** while at
//! least one push binding of their identity exists. Whenever either flips for an existing user,
//! the writing transaction logs a [`ChangeKind::UserReachability`] change, so every node's
//! clients see it, in order, from the change log.
//!
//! [`ChangeKind::UserReachability`]: super::ChangeKind::UserReachability

use async_trait::async_trait;

use super::StoreError;

/// Whether a user can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reachability {
    /// At least one client of theirs is connected (or closed within the linger).
    pub online: bool,
    /// At least one push binding of theirs exists.
    pub notifiable: bool,
}

/// One client socket, as the presence rows know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketPresence {
    /// The service of the socket's token.
    pub service_sid: String,
    /// The token's identity.
    pub identity: String,
    /// Unique per socket.
    pub socket_id: String,
    /// The node serving it.
    pub node_id: String,
}

/// A user who went offline or online (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flip {
    /// The service.
    pub service_sid: String,
    /// The identity.
    pub identity: String,
}

/// Presence rows and the reachability they imply.
#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// Keeps node `node_id` alive until `expires_at` (unix ms); creates its row on first use.
    async fn presence_beat(&self, node_id: &str, expires_at: i64) -> Result<(), StoreError>;

    /// Counts socket `p` as open. Returns true (and logs the user's reachability change) when
    /// it makes the identity online.
    async fn presence_open(&self, p: &SocketPresence) -> Result<bool, StoreError>;

    /// Counts socket `p` as closed: it stays counted until `linger_until` (unix ms).
    async fn presence_close(&self, p: &SocketPresence, linger_until: i64) -> Result<(), StoreError>;

    /// Deletes the rows of sockets closed before `now` (unix ms) and of nodes whose row expired
    /// before it, and the rows of those nodes; logs a reachability change for every existing
    /// user left without a row, and returns who went offline. With several nodes, one sweeps
    /// at a time (another finds nothing or skips).
    async fn presence_sweep(&self, now: i64) -> Result<Vec<Flip>, StoreError>;

    /// The reachability of the identities of service `service_sid`, in the order asked.
    async fn reachability(&self, service_sid: &str, identities: &[String]) -> Result<Vec<Reachability>, StoreError>;
}
