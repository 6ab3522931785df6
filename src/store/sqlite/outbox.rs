//! The outbox on SQLite (SQL in `store::queries::outbox`): rows written inside the change's
//! transaction, claimed with a lease.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::{SqliteStore, other, query_rows};
use crate::store::queries::outbox as q;
use crate::store::row;
use crate::store::{OutboxItem, OutboxRow, OutboxStore, StoreError};
use crate::time::{self, Timestamp};

/// Writes `rows` (each with `extra` parameters appended) on the writer connection.
pub(super) fn insert_outbox_in(
    c: &Connection,
    rows: &[OutboxRow],
    extra: &[(String, String)],
) -> Result<(), StoreError> {
    for row in rows {
        let mut params_list = row.params.clone();
        params_list.extend_from_slice(extra);
        let params_json = serde_json::to_string(&params_list).map_err(StoreError::other)?;
        let created = time::format(&row.date_created);
        c.prepare_cached(q::INSERT.sqlite())
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    row.account_sid,
                    row.ordering_key,
                    row.url,
                    row.method,
                    row.event_type,
                    params_json,
                    row.max_attempts,
                    created
                ])
            })
            .map_err(other)?;
    }
    Ok(())
}

/// Runs one statement on the writer connection.
fn run(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<(), StoreError> {
    c.prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map_err(other)?;
    Ok(())
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let (now, lease) = (time::format(&now), time::format(&lease_until));
        self.write(move |c| {
            // The only writer: nothing else claims between the read and the leases.
            let items = query_rows(c, q::DUE_SQLITE.sqlite(), params![now, limit], |r| {
                row::outbox_item(r, 0)
            })?;
            for item in &items {
                run(c, q::LEASE.sqlite(), params![lease, item.row.id])?;
            }
            Ok(items)
        })
        .await
    }

    async fn complete_outbox(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |c| run(c, q::COMPLETE.sqlite(), [id])).await
    }

    async fn retry_outbox(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let (id, error, next) = (id.to_owned(), error.to_owned(), time::format(&next_attempt_at));
        self.write(move |c| run(c, q::RETRY.sqlite(), params![attempts, next, error, id]))
            .await
    }

    async fn fail_outbox(&self, id: &str, attempts: i64, error: &str) -> Result<(), StoreError> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.write(move |c| run(c, q::FAIL.sqlite(), params![attempts, error, id]))
            .await
    }
}
