//! Group commit for message appends on PostgreSQL.
//!
//! Every `append_message` of a node goes through one queue. A batcher task takes whatever is
//! queued and appends it in one transaction: per channel one `update … returning` that reserves
//! a run of indexes (and locks the channel row), then one multi-row insert for all messages of
//! the batch. A batch of N messages thus costs a few round trips and one commit flush instead of
//! N of each. Up to [`IN_FLIGHT`] batches run at once; each takes its channel locks in SID order,
//! so batches of this node or of other nodes cannot deadlock each other. Indexes stay unique and
//! gap-free because each run is reserved under the channel's row lock. The batch's change
//! positions are taken last, once per service (see `changes.rs`).

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::changes::log_all;
use super::outbox::insert_outbox_in;
use super::{Fail, PgStore, execute, query_opt};
use crate::store::queries::messages as q;
use crate::store::row::Cursor;
use crate::store::{ChangeKind, Message, NewChange, OutboxRow, StoreError};
use crate::time;

/// Batches of one node being committed at once.
const IN_FLIGHT: usize = 4;

/// Messages at most in one batch.
const MAX_BATCH: usize = 256;

/// One queued append and where its answer goes.
pub(super) struct Append {
    message: Message,
    outbox: Vec<OutboxRow>,
    reply: oneshot::Sender<Result<Option<Message>, StoreError>>,
}

/// The queue of one store's appends.
#[derive(Clone)]
pub(super) struct Appender(mpsc::UnboundedSender<Append>);

impl Appender {
    /// Starts the batcher over `store` (a handle without an appender of its own); it ends when
    /// the last [`Appender`] is dropped.
    pub(super) fn spawn(store: PgStore) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(Arc::new(store), rx));
        Self(tx)
    }

    /// Appends `message` in the next batch; `None` when its channel does not exist.
    pub(super) async fn append(&self, message: &Message, outbox: &[OutboxRow]) -> Result<Option<Message>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let append = Append {
            message: message.clone(),
            outbox: outbox.to_vec(),
            reply,
        };
        self.0
            .send(append)
            .map_err(|_| StoreError::unavailable("message appender stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("message appender stopped"))?
    }
}

async fn run(store: Arc<PgStore>, mut rx: mpsc::UnboundedReceiver<Append>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        // Whatever queued while waiting for a slot joins this batch.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            commit(&store, batch).await;
            drop(slot);
        });
    }
}

impl PgStore {
    /// Appends one message in its own transaction (the batcher's fallback).
    pub(super) async fn append_one(&self, m: &Message, outbox: &[OutboxRow]) -> Result<Option<Message>, StoreError> {
        let items = [(m, outbox)];
        let indexes = self
            .write(&items[..], |t, items| Box::pin(append_all(t, items)))
            .await?;
        Ok(indexes
            .first()
            .copied()
            .flatten()
            .map(|index| Message { index, ..m.clone() }))
    }
}

/// Appends a batch in one transaction and answers every caller. If the batch as a whole fails
/// for a reason other than the database being unavailable, each message is retried on its own,
/// so one bad message cannot fail its batch-mates.
async fn commit(store: &PgStore, mut batch: Vec<Append>) {
    // Channel row locks in one global order (stable, so arrival order holds per channel).
    batch.sort_by(|a, b| a.message.channel_sid.cmp(&b.message.channel_sid));
    let items: Vec<(&Message, &[OutboxRow])> = batch.iter().map(|a| (&a.message, a.outbox.as_slice())).collect();
    match store.write(&items, |t, items| Box::pin(append_all(t, items))).await {
        Ok(indexes) => {
            for (append, index) in batch.into_iter().zip(indexes) {
                let answer = index.map(|i| Message {
                    index: i,
                    ..append.message
                });
                let _ = append.reply.send(Ok(answer));
            }
        }
        Err(StoreError::Unavailable(why)) => {
            // One cause, answered to every caller of the batch.
            let why: std::sync::Arc<dyn std::error::Error + Send + Sync> = why.into();
            for append in batch {
                let _ = append
                    .reply
                    .send(Err(StoreError::Unavailable(Box::new(std::sync::Arc::clone(&why)))));
            }
        }
        Err(_) => {
            for append in batch {
                let answer = store.append_one(&append.message, &append.outbox).await;
                let _ = append.reply.send(answer);
            }
        }
    }
}

/// The batch transaction: reserves each channel's run of indexes, inserts every message, and
/// returns each message's index (`None` where the channel does not exist), in batch order.
async fn append_all(
    t: &deadpool_postgres::Transaction<'_>,
    items: &[(&Message, &[OutboxRow])],
) -> Result<Vec<Option<i64>>, Fail> {
    let mut indexes: Vec<Option<i64>> = Vec::with_capacity(items.len());
    // Conversations a message of this batch made active again: (service, channel).
    let mut reactivated: Vec<(&str, &str)> = Vec::new();
    let now = time::now_ms();
    let mut start = 0;
    while start < items.len() {
        let channel = &items[start].0.channel_sid;
        let end = start
            + items[start..]
                .iter()
                .take_while(|(m, _)| &m.channel_sid == channel)
                .count();
        let count = i64::try_from(end - start).unwrap_or(i64::MAX);
        let last_sid = &items[end - 1].0.sid;
        let reserved = query_opt(t, q::RESERVE.pg(), &[channel, &count, last_sid, &now]).await?;
        let mut base = None;
        if let Some(row) = reserved {
            let mut cur = Cursor::new(&row, 0);
            base = Some(cur.int()?);
            if cur.opt_text()?.as_deref() == Some("inactive")
                && execute(t, q::REACTIVATE.pg(), &[channel, &time::format(&time::now())]).await? > 0
            {
                reactivated.push((items[start].0.service_sid.as_str(), channel.as_str()));
            }
        }
        indexes.extend((0..count).map(|k| base.map(|b| b + k)));
        start = end;
    }
    let stored: Vec<(&Message, i64)> = items
        .iter()
        .zip(&indexes)
        .filter_map(|((m, _), i)| i.map(|i| (*m, i)))
        .collect();
    if !stored.is_empty() {
        let column = |f: fn(&Message) -> &str| stored.iter().map(|(m, _)| f(m)).collect::<Vec<&str>>();
        let optional =
            |f: fn(&Message) -> Option<&str>| stored.iter().map(|(m, _)| f(m)).collect::<Vec<Option<&str>>>();
        let idx: Vec<i64> = stored.iter().map(|(_, i)| *i).collect();
        let edited: Vec<bool> = stored.iter().map(|(m, _)| m.was_edited).collect();
        let media_size: Vec<Option<i64>> = stored.iter().map(|(m, _)| m.media.as_ref().map(|x| x.size)).collect();
        let created: Vec<String> = stored.iter().map(|(m, _)| time::format(&m.date_created)).collect();
        let updated: Vec<String> = stored.iter().map(|(m, _)| time::format(&m.date_updated)).collect();
        execute(
            t,
            "insert into messages (sid, account_sid, service_sid, channel_sid, idx, from_identity, body, \
             attributes, media_sid, was_edited, last_updated_by, date_created, date_updated, media_size, \
             media_content_type, media_filename) \
             select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[], $12::text[], $13::text[], \
             $14::bigint[], $15::text[], $16::text[])",
            &[
                &column(|m| &m.sid),
                &column(|m| &m.account_sid),
                &column(|m| &m.service_sid),
                &column(|m| &m.channel_sid),
                &idx,
                &column(|m| &m.from),
                &column(|m| &m.body),
                &optional(|m| m.attributes.as_deref()),
                &optional(|m| m.media.as_ref().map(|x| x.sid.as_str())),
                &edited,
                &optional(|m| m.last_updated_by.as_deref()),
                &created,
                &updated,
                &media_size,
                &optional(|m| m.media.as_ref().map(|x| x.content_type.as_str())),
                &optional(|m| m.media.as_ref().and_then(|x| x.filename.as_deref())),
            ],
        )
        .await?;
    }
    for ((_, outbox), index) in items.iter().zip(&indexes) {
        if let Some(i) = index {
            insert_outbox_in(t, outbox, &[("Index".to_owned(), i.to_string())]).await?;
        }
    }
    // Last, as every writer does: one head update per service for the whole batch.
    let changes: Vec<(&str, NewChange<'_>)> = reactivated
        .iter()
        .map(|(service, channel)| {
            let change = NewChange::in_channel(channel, ChangeKind::ChannelUpdated, channel);
            (*service, change)
        })
        .chain(stored.iter().map(|(m, _)| {
            let change = NewChange::in_channel(&m.channel_sid, ChangeKind::MessageAdded, &m.sid);
            (m.service_sid.as_str(), change)
        }))
        .collect();
    log_all(t, &changes).await?;
    Ok(indexes)
}
