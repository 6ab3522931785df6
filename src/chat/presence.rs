//! Reachability: a user is online while a client of theirs is connected to any node, and
//! notifiable while they have a push binding (CLIENT_PROTOCOL.md §6.2). Only services with
//! `ReachabilityEnabled` count connections; the count lives in the database
//! ([`crate::store::PresenceStore`]), so every node agrees, and every flip is logged in the
//! change log, so every node's clients see it as the `reachability` item of the user's info.
//!
//! Each node refreshes its own liveness every [`PresenceSettings::beat_every`] and sweeps
//! every [`PresenceSettings::sweep_every`]: the sockets closed more than
//! [`PresenceSettings::linger`] ago (a client that reconnects within the linger never looks
//! offline), and the sockets of nodes that stopped refreshing for
//! [`PresenceSettings::node_ttl`] (crashed).

use std::sync::Arc;
use std::time::Duration;

use super::{Chat, ChatError, ServiceRef, TokenIdentity};
use crate::events::ChatEvent;
use crate::store::{Reachability, SocketPresence, User};

/// How presence is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceSettings {
    /// How long a closed socket still counts (debounces reconnects).
    pub linger: Duration,
    /// How often each node refreshes its liveness.
    pub beat_every: Duration,
    /// How long a node that stopped refreshing still counts.
    pub node_ttl: Duration,
    /// How often each node sweeps.
    pub sweep_every: Duration,
}

impl Default for PresenceSettings {
    fn default() -> Self {
        Self {
            linger: Duration::from_secs(5),
            beat_every: Duration::from_secs(10),
            node_ttl: Duration::from_secs(45),
            sweep_every: Duration::from_secs(1),
        }
    }
}

/// This process as a node that holds presence rows.
#[derive(Debug)]
pub struct Node {
    /// Unique per process.
    pub id: String,
    /// Its settings.
    pub settings: PresenceSettings,
}

impl Node {
    /// A node with a fresh id.
    #[must_use]
    pub fn new(settings: PresenceSettings) -> Self {
        Self {
            id: format!("node-{}", crate::sid::secret()),
            settings,
        }
    }
}

/// A user with their reachability (`None` when the service does not track it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    /// The user.
    pub user: User,
    /// Online and notifiable, when the service has `ReachabilityEnabled`.
    pub reachability: Option<Reachability>,
}

/// Milliseconds since the Unix epoch, `d` from now.
fn unix_ms_in(d: Duration) -> i64 {
    let now = crate::time::now().timestamp_millis();
    now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Chat {
    /// A client socket of `token` finished `init`: when its service tracks reachability, it
    /// counts towards its user being online until [`Chat::socket_closed`]. Returns what to hand
    /// back when it closes.
    ///
    /// # Errors
    /// When the service cannot be read or the row written.
    pub async fn socket_opened(&self, token: &TokenIdentity) -> Result<Option<SocketPresence>, ChatError> {
        let service = self.service(&token.account_sid, &token.service_sid).await?;
        if !service.settings.reachability_enabled {
            return Ok(None);
        }
        let p = SocketPresence {
            service_sid: service.sid.clone(),
            identity: token.identity.clone(),
            socket_id: crate::sid::secret(),
            node_id: self.node.id.clone(),
        };
        if self.store.presence_open(&p).await? {
            self.wake_followers(&p.service_sid).await;
        }
        Ok(Some(p))
    }

    /// A socket counted by [`Chat::socket_opened`] closed; it stops counting after the linger.
    pub async fn socket_closed(&self, p: &SocketPresence) {
        let until = unix_ms_in(self.node.settings.linger);
        if let Err(e) = self.store.presence_close(p, until).await {
            tracing::warn!(error = %e, "cannot record a closed socket; its node's sweep will");
        }
    }

    /// A user by SID or identity, with their reachability when the service tracks it.
    ///
    /// # Errors
    /// As [`Chat::user`].
    pub async fn user_view(&self, at: ServiceRef<'_>, key: &str) -> Result<UserView, ChatError> {
        let scope = self.scope(at).await?;
        let user = self
            .store
            .user(&scope.service.sid, key)
            .await?
            .ok_or(ChatError::NotFound)?;
        let mut views = self
            .with_reachability(scope.service.settings.reachability_enabled, vec![user])
            .await?;
        views.pop().ok_or(ChatError::NotFound)
    }

    /// The users among `identities` (identities without a user are absent), with their
    /// reachability when the service tracks it; two reads whatever the number.
    ///
    /// # Errors
    /// As [`Chat::users_by_identity`].
    pub async fn user_views(&self, at: ServiceRef<'_>, identities: &[String]) -> Result<Vec<UserView>, ChatError> {
        let scope = self.scope(at).await?;
        if identities.is_empty() {
            return Ok(Vec::new());
        }
        let users = self.store.users_by_identity(&scope.service.sid, identities).await?;
        self.with_reachability(scope.service.settings.reachability_enabled, users)
            .await
    }

    /// The reachability of one user, whatever the service's setting (clients see it only when
    /// the service tracks it).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn reachability_of(&self, user: &User) -> Result<Reachability, ChatError> {
        let found = self
            .store
            .reachability(&user.service_sid, std::slice::from_ref(&user.identity))
            .await?;
        Ok(found.into_iter().next().unwrap_or_default())
    }

    async fn with_reachability(&self, enabled: bool, users: Vec<User>) -> Result<Vec<UserView>, ChatError> {
        let Some(service_sid) = users.first().map(|u| u.service_sid.clone()).filter(|_| enabled) else {
            return Ok(users
                .into_iter()
                .map(|user| UserView {
                    user,
                    reachability: None,
                })
                .collect());
        };
        let identities: Vec<String> = users.iter().map(|u| u.identity.clone()).collect();
        let found = self.store.reachability(&service_sid, &identities).await?;
        Ok(users
            .into_iter()
            .zip(found.into_iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(user, reachability)| UserView {
                reachability: reachability.or(Some(Reachability::default())),
                user,
            })
            .collect())
    }

    /// Wakes every node's change-log readers of `service_sid` (a change was logged outside the
    /// usual write path).
    pub(super) async fn wake_followers(&self, service_sid: &str) {
        let event = ChatEvent {
            event_type: "reachability".to_owned(),
            account_sid: String::new(),
            service_sid: service_sid.to_owned(),
            channel_sid: None,
            sid: String::new(),
        };
        self.publish(event).await;
    }

    /// Starts this node's presence upkeep: its liveness now and every
    /// [`PresenceSettings::beat_every`], and the sweep every [`PresenceSettings::sweep_every`]
    /// (call once per server). Failures are logged and retried on the next round.
    pub fn spawn_presence(&self) {
        let chat = self.clone();
        let node = Arc::clone(&self.node);
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(node.settings.beat_every);
            let mut sweep = tokio::time::interval(node.settings.sweep_every);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = beat.tick() => {
                        let until = unix_ms_in(node.settings.node_ttl);
                        if let Err(e) = chat.store.presence_beat(&node.id, until).await {
                            tracing::warn!(error = %e, "cannot refresh this node's presence; retrying");
                        }
                    }
                    _ = sweep.tick() => chat.sweep_presence().await,
                }
            }
        });
    }

    /// One sweep: forgets closed and orphaned sockets and wakes the readers of the services
    /// whose users went offline.
    pub async fn sweep_presence(&self) {
        match self.store.presence_sweep(unix_ms_in(Duration::ZERO)).await {
            Ok(flips) => {
                let mut services: Vec<&str> = flips.iter().map(|f| f.service_sid.as_str()).collect();
                services.sort_unstable();
                services.dedup();
                for service in services {
                    self.wake_followers(service).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot sweep presence; retrying"),
        }
    }
}
