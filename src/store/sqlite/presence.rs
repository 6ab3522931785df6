//! Presence rows and reachability on SQLite (SQL in `store::queries::presence`). The writer is
//! the only one, so counting an identity's rows before and after a write tells whether it
//! flipped.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::changes::ChangeLog;
use super::channels::json_list;
use super::{SqliteStore, other, query_first, query_rows};
use crate::store::ChangeKind::UserReachability;
use crate::store::queries::presence as q;
use crate::store::row::Cursor;
use crate::store::{Flip, NewChange, PresenceStore, Reachability, SocketPresence, StoreError};

/// Runs a counting statement (`$1` service, `$2` identity).
pub(super) fn count(c: &Connection, sql: &str, service_sid: &str, identity: &str) -> Result<i64, StoreError> {
    Ok(query_first(c, sql, [service_sid, identity], |r| Cursor::new(r, 0).int())?.unwrap_or(0))
}

/// Logs that the reachability of `identity` changed, when the identity has a user.
pub(super) fn flipped(
    c: &Connection,
    log: &mut ChangeLog,
    service_sid: &str,
    identity: &str,
) -> Result<(), StoreError> {
    let user = query_first(c, q::USER_SID.sqlite(), [service_sid, identity], |r| {
        Cursor::new(r, 0).text()
    })?;
    if let Some(user_sid) = user {
        log.push(service_sid, NewChange::of_service(UserReachability, &user_sid));
    }
    Ok(())
}

fn execute(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    c.prepare_cached(sql).and_then(|mut s| s.execute(params)).map_err(other)
}

fn removed(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<(String, String)>, StoreError> {
    query_rows(c, sql, params, |r| {
        let mut cur = Cursor::new(r, 0);
        Ok((cur.text()?, cur.text()?))
    })
}

#[async_trait]
impl PresenceStore for SqliteStore {
    async fn presence_beat(&self, node_id: &str, expires_at: i64) -> Result<(), StoreError> {
        let node_id = node_id.to_owned();
        self.write(move |c| execute(c, q::BEAT.sqlite(), params![node_id, expires_at]).map(drop))
            .await
    }

    async fn presence_open(&self, p: &SocketPresence) -> Result<bool, StoreError> {
        let p = p.clone();
        self.write_logged(move |c, log| {
            let before = count(c, q::COUNT.sqlite(), &p.service_sid, &p.identity)?;
            execute(
                c,
                q::OPEN.sqlite(),
                params![p.service_sid, p.identity, p.socket_id, p.node_id],
            )?;
            if before == 0 {
                flipped(c, log, &p.service_sid, &p.identity)?;
            }
            Ok(before == 0)
        })
        .await
    }

    async fn presence_close(&self, p: &SocketPresence, linger_until: i64) -> Result<(), StoreError> {
        let p = p.clone();
        self.write(move |c| {
            execute(
                c,
                q::CLOSE.sqlite(),
                params![p.service_sid, p.identity, p.socket_id, linger_until],
            )
            .map(drop)
        })
        .await
    }

    async fn presence_sweep(&self, now: i64) -> Result<Vec<Flip>, StoreError> {
        self.write_logged(move |c, log| {
            let mut gone = removed(c, q::SWEEP_CLOSED.sqlite(), [now])?;
            let dead = query_rows(c, q::DEAD_NODES.sqlite(), [now], |r| Cursor::new(r, 0).text())?;
            for node in dead {
                gone.extend(removed(c, q::SWEEP_NODE.sqlite(), [&node])?);
                execute(c, q::FORGET_NODE.sqlite(), params![node, now])?;
            }
            gone.sort_unstable();
            gone.dedup();
            let mut flips = Vec::new();
            for (service_sid, identity) in gone {
                if count(c, q::COUNT.sqlite(), &service_sid, &identity)? == 0 {
                    flipped(c, log, &service_sid, &identity)?;
                    flips.push(Flip { service_sid, identity });
                }
            }
            Ok(flips)
        })
        .await
    }

    async fn reachability(&self, service_sid: &str, identities: &[String]) -> Result<Vec<Reachability>, StoreError> {
        let list = json_list(identities);
        self.read(|c| {
            query_rows(c, q::REACHABILITY_SQLITE.sqlite(), params![service_sid, list], |r| {
                let mut cur = Cursor::new(r, 0);
                Ok(Reachability {
                    online: cur.bool()?,
                    notifiable: cur.bool()?,
                })
            })
        })
        .await
    }
}
