//! `banter copy`: SQLite → PostgreSQL → SQLite keeps every SID, date, message index, counter and
//! keyset key, a second run changes nothing, and a count mismatch fails the command. Always
//! starts from SQLite (whatever `BANTER_TEST_DATABASE` says); skipped when PostgreSQL is not
//! reachable at `BANTER_TEST_PG_URL`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use banter::app::StoreConfig;
use banter::chat::Chat;
use banter::copy::CopyReport;
use banter::store::copy::{CopyKey, CopyRow, TABLES, Table};
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, TestDatabase, ok_json};

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `Err(reason)` when the PostgreSQL test server cannot be reached.
async fn pg_reachable() -> Result<(), String> {
    let url = std::env::var("BANTER_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio_postgres::connect(&url, tokio_postgres::NoTls),
    )
    .await
    {
        Ok(Ok((client, conn))) => {
            let driver = tokio::spawn(conn);
            drop(client);
            let _ = driver.await;
            Ok(())
        }
        Ok(Err(e)) => Err(format!("{url}: {e}")),
        Err(_) => Err(format!("{url}: connection timed out")),
    }
}

/// One server key for every database of these tests: `banter copy` carries sealed secrets as
/// they are, so the servers on both sides share it.
const TEST_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn config(url: &str) -> StoreConfig {
    StoreConfig {
        database_url: Some(url.to_owned()),
        pg_pool_size: 4,
        secret_key: Some(TEST_KEY.to_owned()),
        ..StoreConfig::default()
    }
}

/// A server on the database at `url` that knows `account` (bootstrapped when missing).
async fn serve_on(url: &str, account: &(String, String)) -> TestApp {
    let store = config(url);
    let bootstrap = account.clone();
    let mut app = TestApp::spawn_with(move |cfg| {
        // Media files stay in the test app's own temporary directory.
        cfg.store = StoreConfig {
            data_dir: cfg.store.data_dir.clone(),
            ..store
        };
        cfg.bootstrap = Some(bootstrap);
    })
    .await;
    app.account_sid.clone_from(&account.0);
    app.auth_token.clone_from(&account.1);
    app
}

/// Every page of a list (following `next_page_url`), or the one document.
async fn fetch_all(app: &TestApp, path: &str) -> Value {
    let mut pages = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(url) = next {
        let page = ok_json(app.get(&url).send().await.unwrap()).await;
        next = page["meta"]["next_page_url"].as_str().map(str::to_owned);
        pages.push(page);
    }
    Value::Array(pages)
}

/// What a client sees of the test data, with the server's address taken out.
async fn snapshot(app: &TestApp, service: &str, channel: &str) -> BTreeMap<String, Value> {
    let sp = format!("/v2/Services/{service}");
    let ch = format!("{sp}/Channels/{channel}");
    let paths = [
        "/v2/Services".to_owned(),
        sp.clone(),
        format!("{sp}/Roles"),
        format!("{sp}/Users"),
        format!("{sp}/Users/alice"),
        format!("{sp}/Users/alice/Channels"),
        format!("{sp}/Channels"),
        ch.clone(),
        format!("{ch}/Members"),
        format!("{ch}/Messages?PageSize=40"),
        format!("{ch}/Messages?Order=desc&PageSize=100"),
        format!("{ch}/Invites"),
        format!("{ch}/Webhooks"),
        format!("{sp}/Bindings"),
        "/v2/Credentials".to_owned(),
        "/v1/Configuration".to_owned(),
        "/v1/Configuration/Addresses".to_owned(),
    ];
    let mut out = BTreeMap::new();
    for path in paths {
        let v = fetch_all(app, &path).await;
        let text = serde_json::to_string(&v).unwrap().replace(&app.base, "BASE");
        out.insert(path, serde_json::from_str(&text).unwrap());
    }
    out
}

/// Creates a service with everything under it through the API (and the store API for what has
/// no endpoint); returns (service, channel) SIDs.
async fn seed(app: &TestApp, op: &Chat) -> (String, String) {
    let s = ok_json(
        app.post("/v2/Services", &[("FriendlyName", "copied")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let service = s["sid"].as_str().unwrap().to_owned();
    let sp = format!("/v2/Services/{service}");
    ok_json(
        app.post(
            &sp,
            &[
                ("PostWebhookUrl", "http://127.0.0.1:9/post"),
                ("WebhookFilters", "onMessageSent"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    ok_json(
        app.post(
            &format!("{sp}/Roles"),
            &[
                ("FriendlyName", "poster"),
                ("Type", "channel"),
                ("Permission", "sendMessage"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    for identity in ["alice", "bob", "dave"] {
        ok_json(
            app.post(&format!("{sp}/Users"), &[("Identity", identity)])
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let c = ok_json(
        app.post(
            &format!("{sp}/Channels"),
            &[("UniqueName", "general"), ("FriendlyName", "General")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let channel = c["sid"].as_str().unwrap().to_owned();
    let ch = format!("{sp}/Channels/{channel}");
    ok_json(
        app.post(&format!("{sp}/Channels"), &[("Type", "private")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut members = Vec::new();
    for identity in ["alice", "bob", "carol"] {
        let m = ok_json(
            app.post(&format!("{ch}/Members"), &[("Identity", identity)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        members.push(m["sid"].as_str().unwrap().to_owned());
    }
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..250 {
        let from = if i % 2 == 0 { "alice" } else { "bob" };
        let req = app.post(
            &format!("{ch}/Messages"),
            &[("Body", format!("m{i}").as_str()), ("From", from)],
        );
        sends.spawn(req.send());
        if sends.len() >= 16 {
            assert!(sends.join_next().await.unwrap().unwrap().unwrap().status().is_success());
        }
    }
    while let Some(r) = sends.join_next().await {
        assert!(r.unwrap().unwrap().status().is_success());
    }
    // An uploaded media file (its record is copied; the bytes are in the media storage).
    crate::media::upload(app, &service, crate::media::sample(100), "image/png", Some("x.png")).await;
    // Three messages whose post-event webhook lands in the outbox (the URL never answers).
    for i in 0..3 {
        ok_json(
            app.post(&format!("{ch}/Messages"), &[("Body", format!("hooked {i}").as_str())])
                .header("X-Twilio-Webhook-Enabled", "true")
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let first = ok_json(app.get(&format!("{ch}/Messages?PageSize=1")).send().await.unwrap()).await;
    let first_sid = first["messages"][0]["sid"].as_str().unwrap().to_owned();
    ok_json(
        app.post(&format!("{ch}/Messages/{first_sid}"), &[("Body", "edited")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    ok_json(
        app.post(
            &format!("{ch}/Members/{}", members[0]),
            &[("LastConsumedMessageIndex", "100")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    ok_json(
        app.post(&format!("{ch}/Invites"), &[("Identity", "dave")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    ok_json(
        app.post(
            &format!("{ch}/Webhooks"),
            &[
                ("Type", "webhook"),
                ("Configuration.Url", "http://127.0.0.1:9/hook"),
                ("Configuration.Filters", "onMemberAdded"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let cred = ok_json(
        app.post(
            "/v2/Credentials",
            &[
                ("Type", "apn"),
                ("Certificate", "CERT"),
                ("PrivateKey", "KEY"),
                ("Sandbox", "true"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    ok_json(
        app.post(
            "/v1/Configuration",
            &[
                ("DefaultChatServiceSid", service.as_str()),
                ("DefaultInactiveTimer", "PT1H"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    ok_json(
        app.post(
            "/v1/Configuration/Addresses",
            &[
                ("Type", "sms"),
                ("Address", "+15550001111"),
                ("AutoCreation.Enabled", "true"),
                ("AutoCreation.Type", "webhook"),
                ("AutoCreation.WebhookUrl", "https://example.com/auto"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let operator = banter::chat::Caller::operator(app.account_sid.clone(), false);
    op.create_binding(
        operator.service(&service),
        banter::chat::NewBinding {
            identity: "alice".into(),
            endpoint: "device-1".into(),
            binding_type: "apn".into(),
            credential_sid: cred["sid"].as_str().map(str::to_owned),
            message_types: vec![],
        },
    )
    .await
    .unwrap();
    (service, channel)
}

/// Every row of `table`, read through the copy interface.
async fn dump(url: &str, table: &'static Table) -> Vec<CopyRow> {
    let db = banter::copy::open(url, true).await.unwrap();
    let mut rows = Vec::new();
    let mut after: Option<CopyKey> = None;
    loop {
        let batch = db.export(table, after.clone(), 1000).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = Some(table.key_of(last).unwrap());
        rows.extend(batch);
    }
    rows
}

fn assert_complete(report: &CopyReport, inserted_everything: bool) {
    assert!(report.ok(), "{}", report.render());
    for t in &report.tables {
        assert!(t.source > 0, "{} is empty: the test should fill every table", t.table);
        assert_eq!(t.source, t.target, "{}", t.table);
        let expected = if inserted_everything { t.source } else { 0 };
        assert_eq!(t.inserted, expected, "{}: {}", t.table, report.render());
        if t.table != "messages" {
            assert!(t.kept_seq, "{} did not keep seq", t.table);
        }
    }
}

/// Runs the real binary; returns (success, stdout, stderr).
async fn run_binary(from: &str, to: &str) -> (bool, String, String) {
    let (from, to) = (from.to_owned(), to.to_owned());
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_banter"))
            .args(["copy", "--from", &from, "--to", &to, "--batch-size", "64"])
            .env("BANTER_LOG", "error")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite:{}", dir.join(name).display())
}

#[tokio::test]
async fn copy_sqlite_to_postgres_and_back_keeps_everything() {
    if let Err(reason) = pg_reachable().await {
        eprintln!("skipping copy test: PostgreSQL unreachable ({reason}); set BANTER_TEST_PG_URL");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source_url = sqlite_url(dir.path(), "source.db");

    // Seed the source through a server on SQLite.
    let source = serve_on(
        &source_url,
        &(
            format!("AC{}", crate::harness::random_hex()),
            crate::harness::random_hex(),
        ),
    )
    .await;
    let account = (source.account_sid.clone(), source.auth_token.clone());
    let op = config(&source_url).chat().await.unwrap();
    let key = op.create_api_key(&account.0, "copied key").await.unwrap();
    let (service, channel) = seed(&source, &op).await;
    let before = snapshot(&source, &service, &channel).await;
    let channel_doc = &before[&format!("/v2/Services/{service}/Channels/{channel}")][0];
    assert_eq!(channel_doc["messages_count"], 253);
    assert_eq!(channel_doc["members_count"], 3);
    drop(source);
    drop(op);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // SQLite → PostgreSQL, in small batches so messages take several.
    let (pg, pg_url) = TestDatabase::create().await;
    let mut lines = Vec::new();
    let mut progress = |p: banter::copy::Progress| lines.push(p);
    let from = banter::copy::open(&source_url, true).await.unwrap();
    let to = banter::copy::open(&pg_url, false).await.unwrap();
    let report = banter::copy::copy(from.as_ref(), to.as_ref(), 100, &mut progress)
        .await
        .unwrap();
    drop((from, to));
    assert_complete(&report, true);
    let message_batches = lines.iter().filter(|p| p.table == "messages" && !p.finished).count();
    assert_eq!(message_batches, 3, "253 messages in batches of 100");
    assert!(
        lines
            .iter()
            .any(|p| p.table == "messages" && p.finished && p.done == 253 && p.total == 253)
    );

    // A server on the copy shows the same documents: SIDs, dates, indexes, counters, page tokens.
    let on_pg = serve_on(&pg_url, &account).await;
    assert_eq!(snapshot(&on_pg, &service, &channel).await, before);
    let by_key = on_pg
        .http
        .get(format!("{}/v2/Services/{service}", on_pg.base))
        .basic_auth(&key.sid, Some(&key.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(by_key.status(), StatusCode::OK, "the API key was copied");

    // Again, through the real binary: nothing new, nothing changed.
    let (ok, stdout, stderr) = run_binary(&source_url, &pg_url).await;
    assert!(ok, "stdout: {stdout}\nstderr: {stderr}");
    assert!(!stdout.contains("MISMATCH") && stdout.contains("messages"), "{stdout}");
    assert!(stdout.contains("0 rows inserted"), "{stdout}");
    assert!(stderr.contains("messages: 253/253 rows"), "{stderr}");
    assert_eq!(snapshot(&on_pg, &service, &channel).await, before);

    // PostgreSQL → a new SQLite file, and the same documents once more.
    let back_url = sqlite_url(dir.path(), "back.db");
    let report = banter::copy::run(&pg_url, &back_url, 1000).await.unwrap();
    assert_complete(&report, true);
    let report = banter::copy::run(&pg_url, &back_url, 1000).await.unwrap();
    assert_complete(&report, false);
    drop(on_pg);
    let on_back = serve_on(&back_url, &account).await;
    assert_eq!(snapshot(&on_back, &service, &channel).await, before);
    drop(on_back);

    // Row for row (seq included) the round trip is exact, except the outbox rows' delivery
    // bookkeeping, which the server on PostgreSQL kept updating, and the change heads, whose
    // positions are all marked as pruned (the change log itself is not copied).
    for table in TABLES {
        let (a, b) = (dump(&source_url, table).await, dump(&back_url, table).await);
        if table.name == "outbox" {
            let ids = |rows: &[CopyRow]| rows.iter().map(|r| r[..2].to_vec()).collect::<Vec<_>>();
            assert_eq!(ids(&a), ids(&b), "outbox");
        } else if table.name == "change_heads" {
            let sealed: Vec<CopyRow> = a
                .iter()
                .map(|r| vec![r[0].clone(), r[1].clone(), r[2].clone(), r[2].clone()])
                .collect();
            assert!(!a.is_empty());
            assert_eq!(b, sealed, "change_heads");
        } else {
            assert_eq!(a, b, "{}", table.name);
        }
    }
    drop(pg);
}

#[tokio::test]
async fn copy_reports_a_mismatch_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let source_url = sqlite_url(dir.path(), "source.db");
    let target_url = sqlite_url(dir.path(), "target.db");
    let source = config(&source_url).chat().await.unwrap();
    source.create_account("one").await.unwrap();
    // The target already holds an account the source does not have.
    let target = config(&target_url).chat().await.unwrap();
    target.create_account("extra").await.unwrap();
    drop((source, target));
    let (ok, stdout, stderr) = run_binary(&source_url, &target_url).await;
    assert!(!ok, "a mismatch must fail: {stdout}");
    assert!(stdout.contains("MISMATCH"), "{stdout}");
    assert!(stderr.contains("verification failed"), "{stderr}");
    let (ok, _, stderr) = run_binary(&sqlite_url(dir.path(), "missing.db"), &target_url).await;
    assert!(!ok);
    assert!(stderr.contains("does not exist"), "{stderr}");
}
