//! Tests of the SQLite backend's own machinery (its migrations).

use rusqlite::Connection;

use super::{Durability, SqliteStore, migrate_to, open_connection};
use crate::store::{MessageStore, OutboxStore, PageReq};

/// A database written by the schema before messages were stored in arrival order keeps every
/// message, index and field through migration 4, and new messages continue the indexes.
#[tokio::test]
async fn messages_survive_the_move_to_arrival_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("banter.db");
    {
        let conn: Connection = open_connection(&path, false, Durability::Full).expect("open");
        migrate_to(&conn, 3).expect("migrations 1-3");
        conn.execute_batch(
            "insert into services (sid, account_sid, friendly_name, date_created, date_updated, revision, settings) \
               values ('IS1', 'AC1', 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0, '{}'); \
             insert into channels (sid, account_sid, service_sid, type, created_by, messages_count, next_index, \
               date_created, date_updated) values \
               ('CHa', 'AC1', 'IS1', 'public', 'system', 3, 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), \
               ('CHb', 'AC1', 'IS1', 'public', 'system', 1, 2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'); \
             insert into messages (sid, account_sid, service_sid, channel_sid, idx, from_identity, body, attributes, \
               media_sid, was_edited, last_updated_by, date_created, date_updated) values \
               ('IMa2', 'AC1', 'IS1', 'CHa', 2, 'ann', 'third', '{}', null, 0, null, '2026-01-01T00:00:02Z', '2026-01-01T00:00:02Z'), \
               ('IMb1', 'AC1', 'IS1', 'CHb', 1, 'bob', 'only', null, 'ME1', 1, 'bob', '2026-01-01T00:00:03Z', '2026-01-02T00:00:00Z'), \
               ('IMa0', 'AC1', 'IS1', 'CHa', 0, 'ann', 'first', '{\"k\":1}', null, 0, null, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), \
               ('IMa1', 'AC1', 'IS1', 'CHa', 1, 'cy', 'second', '{}', null, 0, null, '2026-01-01T00:00:01Z', '2026-01-01T00:00:01Z');",
        )
        .expect("old rows");
    }
    let store = SqliteStore::open(&path, Durability::Full).expect("migrated");
    let page = PageReq {
        after: None,
        before: None,
        limit: 50,
        desc: false,
    };
    let a = store.list_messages("CHa", page).await.expect("list a");
    let got: Vec<(i64, &str, &str, &str)> = a
        .iter()
        .map(|k| (k.key, k.item.sid.as_str(), k.item.body.as_str(), k.item.from.as_str()))
        .collect();
    let want = [
        (0, "IMa0", "first", "ann"),
        (1, "IMa1", "second", "cy"),
        (2, "IMa2", "third", "ann"),
    ];
    assert_eq!(got, want);
    assert_eq!(a[0].item.attributes.as_deref(), Some("{\"k\":1}"));

    let b = store.message("CHb", "IMb1").await.expect("fetch").expect("present");
    assert_eq!(
        (b.index, b.body.as_str(), b.media.as_ref().map(|m| m.sid.as_str())),
        (1, "only", Some("ME1"))
    );
    assert!(b.was_edited);
    assert_eq!(b.last_updated_by.as_deref(), Some("bob"));
    assert!(store.message("CHa", "IMb1").await.expect("fetch").is_none());

    let mut next = b.clone();
    next.sid = "IMb2".to_owned();
    let appended = store
        .append_message(&next, &[])
        .await
        .expect("append")
        .expect("channel exists");
    assert_eq!(appended.index, 2);
    let desc = PageReq { desc: true, ..page };
    let newest = store.list_messages("CHb", desc).await.expect("list b");
    assert_eq!(newest.iter().map(|k| k.key).collect::<Vec<_>>(), vec![2, 1]);
}

/// Outbox rows written before migration 5 get the per-destination ordering key, and keep their
/// order within it.
#[tokio::test]
async fn pending_deliveries_are_rekeyed_per_destination() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("banter.db");
    {
        let conn: Connection = open_connection(&path, false, Durability::Full).expect("open");
        migrate_to(&conn, 4).expect("migrations 1-4");
        conn.execute_batch(
            "insert into outbox (id, account_sid, ordering_key, url, method, event_type, params, max_attempts, \
               next_attempt_at, locked_until, date_created) values \
               ('WD1', 'AC1', 'CH1', 'http://dead.example/h', 'POST', 'onMessageSent', '[]', 1, \
                 '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), \
               ('WD2', 'AC1', 'CH1', 'http://live.example/h', 'POST', 'onMessageSent', '[]', 1, \
                 '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), \
               ('WD3', 'AC1', 'CH1', 'http://live.example/h', 'POST', 'onMessageSent', '[]', 1, \
                 '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');",
        )
        .expect("old rows");
    }
    let store = SqliteStore::open(&path, Durability::Full).expect("migrated");
    let now = crate::time::now();
    let claimed = store
        .claim_outbox(now, now + chrono::TimeDelta::seconds(30), 10)
        .await
        .expect("claim");
    let got: Vec<(&str, &str)> = claimed
        .iter()
        .map(|i| (i.row.id.as_str(), i.row.ordering_key.as_str()))
        .collect();
    // The live receiver's first row no longer waits behind the dead one; its second still
    // waits behind its first.
    assert_eq!(
        got,
        [
            ("WD1", "CH1 http://dead.example/h"),
            ("WD2", "CH1 http://live.example/h")
        ]
    );
}
