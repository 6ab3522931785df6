//! The outbox on PostgreSQL (SQL in `store::queries::outbox`): rows written inside the change's
//! transaction, claimed with a lease. Several nodes claim at once: `for update skip locked`
//! hands each due row to one claimer (see `CLAIM_PG`).

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::{Fail, PgStore, execute, map_rows, query};
use crate::store::queries::outbox as q;
use crate::store::row::{self, Cursor, OUTBOX_COLUMNS};
use crate::store::{OutboxItem, OutboxRow, OutboxStore, StoreError};
use crate::time::{self, Timestamp};

/// Writes `rows` (each with `extra` parameters appended) inside the caller's transaction.
pub(super) async fn insert_outbox_in(
    t: &Transaction<'_>,
    rows: &[OutboxRow],
    extra: &[(String, String)],
) -> Result<(), Fail> {
    for row in rows {
        let mut params_list = row.params.clone();
        params_list.extend_from_slice(extra);
        let params_json = serde_json::to_string(&params_list).map_err(StoreError::other)?;
        let created = time::format(&row.date_created);
        execute(
            t,
            q::INSERT.pg(),
            &[
                &row.id,
                &row.account_sid,
                &row.ordering_key,
                &row.url,
                &row.method,
                &row.event_type,
                &params_json,
                &row.max_attempts,
                &created,
            ],
        )
        .await?;
    }
    Ok(())
}

/// A claimed item and its `seq` (the claim returns them unordered).
fn claimed(r: &Row) -> Result<(i64, OutboxItem), StoreError> {
    let item = row::outbox_item(r, 0)?;
    Ok((Cursor::new(r, OUTBOX_COLUMNS.len()).int()?, item))
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let (now, lease, limit) = (time::format(&now), time::format(&lease_until), i64::from(limit));
        self.write(&(now, lease, limit), |t, (now, lease, limit)| {
            Box::pin(async move {
                let rows = query(t, q::CLAIM_PG.pg(), &[now, lease, limit]).await?;
                let mut items = map_rows(&rows, claimed)?;
                items.sort_by_key(|(seq, _)| *seq);
                Ok(items.into_iter().map(|(_, item)| item).collect())
            })
        })
        .await
    }

    async fn complete_outbox(&self, id: &str) -> Result<(), StoreError> {
        self.write(id, |t, id| {
            Box::pin(async move {
                execute(t, q::COMPLETE.pg(), &[&id]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn retry_outbox(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let next = time::format(&next_attempt_at);
        self.write(&(id, attempts, next, error), |t, (id, attempts, next, error)| {
            Box::pin(async move {
                execute(t, q::RETRY.pg(), &[attempts, next, error, id]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn fail_outbox(&self, id: &str, attempts: i64, error: &str) -> Result<(), StoreError> {
        self.write(&(id, attempts, error), |t, (id, attempts, error)| {
            Box::pin(async move {
                execute(t, q::FAIL.pg(), &[attempts, error, id]).await?;
                Ok(())
            })
        })
        .await
    }
}
