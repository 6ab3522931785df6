//! Presence rows and reachability on PostgreSQL (SQL in `store::queries::presence`).
//!
//! Several nodes open and close sockets of one identity at once, so every transaction that may
//! flip an identity first takes that identity's advisory lock (held until commit): counting its
//! rows before and after the write then tells whether it flipped. The change head is still
//! taken last (see `changes`), after the advisory locks, so lock order stays acyclic. One node
//! sweeps at a time (a second finds the sweep lock taken and skips the round).

use async_trait::async_trait;
use deadpool_postgres::Transaction;

use super::changes::{log_all, log_one};
use super::{Fail, PgStore, execute, map_rows, query, query_opt};
use crate::store::ChangeKind::UserReachability;
use crate::store::queries::presence as q;
use crate::store::row::Cursor;
use crate::store::{Flip, NewChange, PresenceStore, Reachability, SocketPresence, StoreError};

/// Takes the flip lock of `identity` and returns its count by `sql` (`$1` service, `$2`
/// identity).
pub(super) async fn lock_and_count(
    t: &Transaction<'_>,
    sql: &str,
    service_sid: &str,
    identity: &str,
) -> Result<i64, Fail> {
    query(t, q::LOCK_IDENTITY_PG.pg(), &[&service_sid, &identity]).await?;
    count(t, sql, service_sid, identity).await
}

/// Runs a counting statement (`$1` service, `$2` identity).
pub(super) async fn count(t: &Transaction<'_>, sql: &str, service_sid: &str, identity: &str) -> Result<i64, Fail> {
    let row = query_opt(t, sql, &[&service_sid, &identity]).await?;
    Ok(match row {
        Some(r) => Cursor::new(&r, 0).int()?,
        None => 0,
    })
}

/// The SID of the user `identity` of service `service_sid`, if there is one.
async fn user_sid(t: &Transaction<'_>, service_sid: &str, identity: &str) -> Result<Option<String>, Fail> {
    let row = query_opt(t, q::USER_SID.pg(), &[&service_sid, &identity]).await?;
    Ok(row.map(|r| Cursor::new(&r, 0).text()).transpose()?)
}

/// Logs that the reachability of `identity` changed, when the identity has a user (the last
/// step of the transaction: it takes the change head).
pub(super) async fn flipped(t: &Transaction<'_>, service_sid: &str, identity: &str) -> Result<(), Fail> {
    if let Some(user_sid) = user_sid(t, service_sid, identity).await? {
        log_one(t, service_sid, NewChange::of_service(UserReachability, &user_sid)).await?;
    }
    Ok(())
}

async fn removed(
    t: &Transaction<'_>,
    sql: &str,
    arg: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<Vec<(String, String)>, Fail> {
    let rows = query(t, sql, &[arg]).await?;
    Ok(map_rows(&rows, |r| {
        let mut cur = Cursor::new(r, 0);
        Ok((cur.text()?, cur.text()?))
    })?)
}

#[async_trait]
impl PresenceStore for PgStore {
    async fn presence_beat(&self, node_id: &str, expires_at: i64) -> Result<(), StoreError> {
        self.write(&(node_id, expires_at), |t, (node_id, expires_at)| {
            Box::pin(async move {
                execute(t, q::BEAT.pg(), &[node_id, expires_at]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn presence_open(&self, p: &SocketPresence) -> Result<bool, StoreError> {
        self.write(p, |t, p| {
            Box::pin(async move {
                let before = lock_and_count(t, q::COUNT.pg(), &p.service_sid, &p.identity).await?;
                execute(
                    t,
                    q::OPEN.pg(),
                    &[&p.service_sid, &p.identity, &p.socket_id, &p.node_id],
                )
                .await?;
                if before == 0 {
                    flipped(t, &p.service_sid, &p.identity).await?;
                }
                Ok(before == 0)
            })
        })
        .await
    }

    async fn presence_close(&self, p: &SocketPresence, linger_until: i64) -> Result<(), StoreError> {
        self.write(&(p, linger_until), |t, (p, linger_until)| {
            Box::pin(async move {
                execute(
                    t,
                    q::CLOSE.pg(),
                    &[&p.service_sid, &p.identity, &p.socket_id, linger_until],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn presence_sweep(&self, now: i64) -> Result<Vec<Flip>, StoreError> {
        self.write(&now, |t, now| {
            Box::pin(async move {
                let may = query_opt(t, q::LOCK_SWEEP_PG.pg(), &[]).await?;
                if !may.map(|r| Cursor::new(&r, 0).bool()).transpose()?.unwrap_or(false) {
                    return Ok(Vec::new());
                }
                let mut gone = removed(t, q::SWEEP_CLOSED.pg(), now).await?;
                let dead = query(t, q::DEAD_NODES.pg(), &[now]).await?;
                for node in map_rows(&dead, |r| Cursor::new(r, 0).text())? {
                    gone.extend(removed(t, q::SWEEP_NODE.pg(), &node).await?);
                    execute(t, q::FORGET_NODE.pg(), &[&node, now]).await?;
                }
                gone.sort_unstable();
                gone.dedup();
                let mut offline = Vec::new();
                let mut users = Vec::new();
                for (service_sid, identity) in gone {
                    if lock_and_count(t, q::COUNT.pg(), &service_sid, &identity).await? == 0 {
                        if let Some(user) = user_sid(t, &service_sid, &identity).await? {
                            users.push((service_sid.clone(), user));
                        }
                        offline.push(Flip { service_sid, identity });
                    }
                }
                // The change heads last, after every lock.
                let changes: Vec<(&str, NewChange<'_>)> = users
                    .iter()
                    .map(|(s, u)| (s.as_str(), NewChange::of_service(UserReachability, u)))
                    .collect();
                log_all(t, &changes).await?;
                Ok(offline)
            })
        })
        .await
    }

    async fn reachability(&self, service_sid: &str, identities: &[String]) -> Result<Vec<Reachability>, StoreError> {
        let rows = self.read(q::REACHABILITY_PG.pg(), &[&service_sid, &identities]).await?;
        map_rows(&rows, |r| {
            let mut cur = Cursor::new(r, 0);
            Ok(Reachability {
                online: cur.bool()?,
                notifiable: cur.bool()?,
            })
        })
    }
}
