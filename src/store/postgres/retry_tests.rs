//! Unit tests of the transaction retry loop against a real server (skipped without
//! `BANTER_TEST_PG_URL`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{Fail, MAX_ATTEMPTS, PgStore, execute};
use crate::store::StoreError;

/// Runs `f` against a fresh database on `BANTER_TEST_PG_URL`; skips (with a note) without it.
async fn with_database<F: AsyncFnOnce(PgStore)>(f: F) {
    let Ok(admin) = std::env::var("BANTER_TEST_PG_URL") else {
        eprintln!("skipped: BANTER_TEST_PG_URL is not set");
        return;
    };
    let name = format!("banter_unit_{}", &crate::sid::secret()[..16]);
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client.batch_execute(&format!("create database {name}")).await.unwrap();
    // The same server and credentials, another database: swap the URL's path.
    let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    let url = format!(
        "{}/{name}{}{query}",
        &base[..path],
        if query.is_empty() { "" } else { "?" }
    );
    let store = PgStore::open(&url, 2, Duration::from_secs(10)).await.unwrap();
    f(store).await;
    client
        .batch_execute(&format!("drop database {name} with (force)"))
        .await
        .unwrap();
}

/// Transactions that lose a race (40001, 40P01) run again; the caller never sees the loss.
#[tokio::test]
async fn write_retries_serialization_failures_and_deadlocks() {
    with_database(async |store| {
        let attempts = AtomicU32::new(0);
        let value = store
            .write(&attempts, |t, attempts| {
                Box::pin(async move {
                    let code = match attempts.fetch_add(1, Ordering::SeqCst) {
                        0 => "40001",
                        1 => "40P01",
                        _ => return Ok(7),
                    };
                    let raise = format!("do $$ begin raise exception 'lost' using errcode = '{code}'; end $$");
                    execute(t, &raise, &[]).await?;
                    Ok(0)
                })
            })
            .await
            .unwrap();
        assert_eq!((value, attempts.load(Ordering::SeqCst)), (7, 3));
    })
    .await;
}

/// A race lost on every attempt is reported as `Unavailable` (worth a retry by the client);
/// other errors are not retried at all.
#[tokio::test]
async fn write_gives_up_after_the_last_attempt_and_never_retries_other_errors() {
    with_database(async |store| {
        let attempts = AtomicU32::new(0);
        let lost = store
            .write(&attempts, |t, attempts| {
                Box::pin(async move {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    execute(
                        t,
                        "do $$ begin raise exception 'lost' using errcode = '40001'; end $$",
                        &[],
                    )
                    .await?;
                    Ok::<(), Fail>(())
                })
            })
            .await;
        assert!(matches!(lost, Err(StoreError::Unavailable(_))), "{lost:?}");
        assert_eq!(attempts.load(Ordering::SeqCst), MAX_ATTEMPTS);
        let bad = AtomicU32::new(0);
        let other = store
            .write(&bad, |t, bad| {
                Box::pin(async move {
                    bad.fetch_add(1, Ordering::SeqCst);
                    execute(t, "select no_such_column from accounts", &[]).await?;
                    Ok::<(), Fail>(())
                })
            })
            .await;
        assert!(matches!(other, Err(StoreError::Other(_))), "{other:?}");
        assert_eq!(bad.load(Ordering::SeqCst), 1);
    })
    .await;
}
