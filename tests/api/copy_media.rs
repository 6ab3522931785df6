//! `banter copy` carries media files along: SQLite (files beside the database) → PostgreSQL
//! (files in `--to-media`) → a new SQLite file (files beside it), and the bytes are the same on
//! a server of each copy. Skipped when PostgreSQL is not reachable.

use std::path::Path;

use banter::app::StoreConfig;

use crate::harness::{TestApp, TestDatabase, created, ok_json};
use crate::media::{sample, upload};

const TEST_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A server on the database at `url` with its data (and media) directory `dir`.
async fn serve(url: &str, dir: &Path, account: &(String, String)) -> TestApp {
    let store = StoreConfig {
        data_dir: dir.to_owned(),
        database_url: Some(url.to_owned()),
        pg_pool_size: 4,
        secret_key: Some(TEST_KEY.to_owned()),
        ..StoreConfig::default()
    };
    let bootstrap = account.clone();
    let mut app = TestApp::spawn_with(move |cfg| {
        cfg.store = store;
        cfg.bootstrap = Some(bootstrap);
    })
    .await;
    app.account_sid.clone_from(&account.0);
    app.auth_token.clone_from(&account.1);
    app
}

fn copy(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_banter"))
        .arg("copy")
        .args(args)
        .env("BANTER_LOG", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn bytes_of(app: &TestApp, service: &str, sid: &str) -> Vec<u8> {
    let m = app.get_json(&format!("/mcs/v1/Services/{service}/Media/{sid}")).await;
    let url = m["links"]["content_direct_temporary"].as_str().unwrap();
    reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn copy_carries_media_files_between_backends() {
    if tokio_postgres::connect(
        &std::env::var("BANTER_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        tokio_postgres::NoTls,
    )
    .await
    .is_err()
    {
        eprintln!("skipping: PostgreSQL unreachable");
        return;
    }
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let source_url = format!("sqlite:{}", a.path().join("banter.db").display());
    let account = (
        format!("AC{}", crate::harness::random_hex()),
        crate::harness::random_hex(),
    );
    let source = serve(&source_url, a.path(), &account).await;
    let service = source.service().await["sid"].as_str().unwrap().to_owned();
    let ch = created(
        source
            .post(&format!("/v2/Services/{service}/Channels"), &[])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (one, two) = (sample(70_000), sample(33));
    let m1 = upload(&source, &service, one.clone(), "image/png", Some("one.png")).await;
    let m2 = upload(&source, &service, two.clone(), "text/plain", None).await;
    let (s1, s2) = (
        m1["sid"].as_str().unwrap().to_owned(),
        m2["sid"].as_str().unwrap().to_owned(),
    );
    let msg = ok_json(
        source
            .post(
                &format!("{}/Messages", ch["url"].as_str().unwrap()),
                &[("MediaSid", s1.as_str())],
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let msg_path = msg["url"].as_str().unwrap().replacen(&source.base, "", 1);
    drop(source);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // SQLite → PostgreSQL: the files go to --to-media; a second run copies none.
    let (pg, pg_url) = TestDatabase::create().await;
    let pg_media = b.path().join("media");
    let to_media = pg_media.display().to_string();
    let out = copy(&["--from", &source_url, "--to", &pg_url, "--to-media", &to_media]);
    assert!(
        out.contains("media: 2 files copied, 0 already there, 0 missing"),
        "{out}"
    );
    let out = copy(&["--from", &source_url, "--to", &pg_url, "--to-media", &to_media]);
    assert!(out.contains("media: 0 files copied, 2 already there"), "{out}");
    let on_pg = serve(&pg_url, b.path(), &account).await;
    assert_eq!(bytes_of(&on_pg, &service, &s1).await, one);
    assert_eq!(bytes_of(&on_pg, &service, &s2).await, two);
    let copied = on_pg.get_json(&msg_path).await;
    assert_eq!(copied["media"], msg["media"]);
    drop(on_pg);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // PostgreSQL → a new SQLite file: the files go beside it.
    let back_url = format!("sqlite:{}", c.path().join("banter.db").display());
    let out = copy(&["--from", &pg_url, "--to", &back_url, "--from-media", &to_media]);
    assert!(out.contains("media: 2 files copied"), "{out}");
    let on_back = serve(&back_url, c.path(), &account).await;
    assert_eq!(bytes_of(&on_back, &service, &s1).await, one);
    assert_eq!(bytes_of(&on_back, &service, &s2).await, two);
    drop(on_back);
    drop(pg);
}
