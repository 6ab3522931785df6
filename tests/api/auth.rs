use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, assert_twilio_error};

#[tokio::test]
async fn auth_healthz_needs_no_credentials() {
    let app = TestApp::spawn().await;
    let r = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_missing_or_wrong_credentials_get_401_20003_with_challenge() {
    let app = TestApp::spawn().await;
    let url = format!("{}/v2/Services", app.base);
    let cases = [
        app.http.get(&url),
        app.http.get(&url).basic_auth(&app.account_sid, Some("wrong")),
        app.http
            .get(&url)
            .basic_auth("ACffffffffffffffffffffffffffffffff", Some(&app.auth_token)),
        app.http.get(&url).basic_auth("nobody", Some("x")),
        app.http.get(&url).header("Authorization", "Basic !!!"),
        app.http.get(&url).header("Authorization", "Digest x"),
    ];
    for req in cases {
        let r = req.send().await.unwrap();
        assert!(r.headers().contains_key("www-authenticate"));
        let body = assert_twilio_error(r, 401, 20003).await;
        assert_eq!(body["message"], "Authenticate");
    }
}

/// A rejected request whose body arrives after its headers: the 401 tells the client to close
/// the connection (its unread body makes it unusable), and the next connection is served.
#[tokio::test]
async fn auth_401_before_the_body_closes_the_connection_cleanly() {
    let app = TestApp::spawn().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /v2/Services HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic QUN4OmJhZA==\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\n\r\n"
    );
    let response = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let _ = s.write_all(b"FriendlyName=x");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).to_lowercase()
    })
    .await
    .unwrap();
    assert!(response.starts_with("http/1.1 401"), "{response}");
    assert!(response.contains("connection: close"), "{response}");
    assert!(response.contains("\"code\":20003"), "{response}");
    let next = app.get("/v2/Services").send().await.unwrap();
    assert_eq!(next.status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_api_key_acts_for_its_account_until_deleted() {
    // Arrange
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let operator = app.operator().await;
    let key = operator.create_api_key(&app.account_sid, "k").await.unwrap();
    let url = format!("{}/v2/Services/{}", app.base, s["sid"].as_str().unwrap());
    // Act + Assert: the key sees the account's service.
    let r = app
        .http
        .get(&url)
        .basic_auth(&key.sid, Some(&key.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let fetched: Value = r.json().await.unwrap();
    assert_eq!(fetched["sid"], s["sid"]);
    let r = app
        .http
        .get(&url)
        .basic_auth(&key.sid, Some("bad secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Deleting the key through another process's handle revokes it within one poll interval.
    operator.delete_api_key(&app.account_sid, &key.sid).await.unwrap();
    let started = Instant::now();
    loop {
        let r = app
            .http
            .get(&url)
            .basic_auth(&key.sid, Some(&key.secret))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "deleted key still accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The account's own credential still works.
    assert_eq!(app.get(&url).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_other_accounts_resources_are_404_never_403() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sid = s["sid"].as_str().unwrap();
    let user: Value = app
        .post(&format!("/v2/Services/{sid}/Users"), &[("Identity", "alice")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cred: Value = app
        .post("/v2/Credentials", &[("Type", "fcm"), ("Secret", "s")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (other, token) = app.other_account().await;
    let as_other = |req: reqwest::RequestBuilder| req.basic_auth(&other, Some(&token));
    let paths = [
        format!("/v2/Services/{sid}"),
        format!(
            "/v2/Services/{sid}/Roles/{}",
            s["default_service_role_sid"].as_str().unwrap()
        ),
        format!("/v2/Services/{sid}/Users/{}", user["sid"].as_str().unwrap()),
        format!("/v2/Services/{sid}/Users/alice"),
        format!("/v2/Services/{sid}/Users"),
        format!("/v2/Credentials/{}", cred["sid"].as_str().unwrap()),
    ];
    for p in &paths {
        let url = format!("{}{p}", app.base);
        assert_twilio_error(as_other(app.http.get(&url)).send().await.unwrap(), 404, 20404).await;
        let r = as_other(app.http.post(&url))
            .form(&[("FriendlyName", "stolen")])
            .send()
            .await
            .unwrap();
        assert_twilio_error(r, 404, 20404).await;
        if !p.ends_with("/Users") {
            assert_twilio_error(as_other(app.http.delete(&url)).send().await.unwrap(), 404, 20404).await;
        }
    }
    let r = as_other(app.http.get(format!("{}/v2/Services", app.base)))
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["services"].as_array().unwrap().len(), 0);
    let r = as_other(app.http.get(format!("{}/v2/Credentials", app.base)))
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["credentials"].as_array().unwrap().len(), 0);
    // Everything is still there for its owner, unchanged.
    let again: Value = app.get_json(&format!("/v2/Services/{sid}")).await;
    assert_eq!(again["friendly_name"], "test");
}

/// Runs the `banter` CLI against the test app's database, as an operator would while the
/// server runs; returns its stdout.
async fn cli(app: &TestApp, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_banter"));
    cmd.args(args);
    // The data directory holds the server key on both backends.
    cmd.arg("--data-dir").arg(&app.store.data_dir);
    if let Some(url) = &app.store.database_url {
        cmd.arg("--database-url").arg(url);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A key or account deleted with the CLI (another process) is refused by the very next request:
/// the CLI returns only once running servers have had time to see the revocation.
#[tokio::test]
async fn auth_cli_revocation_applies_to_the_next_request() {
    let app = TestApp::spawn().await;
    let url = format!("{}/v2/Services", app.base);
    let key = cli(&app, &["key", "create", "--account", &app.account_sid]).await;
    let field = |name: &str| key.lines().find_map(|l| l.strip_prefix(name)).unwrap().to_owned();
    let (key_sid, key_secret) = (field("API_KEY_SID="), field("API_KEY_SECRET="));
    let (other, other_token) = app.other_account().await;
    let as_key = || app.http.get(&url).basic_auth(&key_sid, Some(&key_secret));
    let as_other = || app.http.get(&url).basic_auth(&other, Some(&other_token));
    // Both credentials are cached by the server.
    assert_eq!(as_key().send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(as_other().send().await.unwrap().status(), StatusCode::OK);
    // Act + Assert
    cli(&app, &["key", "delete", "--account", &app.account_sid, &key_sid]).await;
    assert_refused_next(as_key).await;
    cli(&app, &["account", "delete", &other]).await;
    assert_refused_next(as_other).await;
    assert_eq!(app.get("/v2/Services").send().await.unwrap().status(), StatusCode::OK);
}

async fn assert_refused_next(request: impl Fn() -> reqwest::RequestBuilder) {
    assert_twilio_error(request().send().await.unwrap(), 401, 20003).await;
}

/// A client whose connections come from `ip` (any 127.x.y.z address reaches the server).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

#[tokio::test]
async fn auth_failures_from_one_address_get_429_for_every_attempt_until_the_window_ends() {
    // Arrange: 3 failures per address per second; the SID limit off.
    let app = TestApp::spawn_with(|c| {
        c.auth_throttle.per_address = 3;
        c.auth_throttle.per_sid = 0;
        c.auth_throttle.window = Duration::from_secs(1);
    })
    .await;
    let url = format!("{}/v2/Services", app.base);
    let (attacker, bystander) = (client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2]));
    // Act + Assert: the first 3 wrong guesses are 401s, then 429 even for the right token.
    for _ in 0..3 {
        let r = attacker
            .get(&url)
            .basic_auth(&app.account_sid, Some("guess"))
            .send()
            .await
            .unwrap();
        assert_twilio_error(r, 401, 20003).await;
    }
    let started = Instant::now();
    for token in ["guess", app.auth_token.as_str()] {
        let r = attacker
            .get(&url)
            .basic_auth(&app.account_sid, Some(token))
            .send()
            .await
            .unwrap();
        let retry_after: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=1).contains(&retry_after), "{retry_after}");
        let body = assert_twilio_error(r, 429, 20429).await;
        assert_eq!(body["message"], "Too Many Requests");
    }
    // Another address is unaffected.
    let r = bystander
        .get(&url)
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // After the window the address is let in again.
    tokio::time::sleep(Duration::from_millis(1100).saturating_sub(started.elapsed())).await;
    let r = attacker
        .get(&url)
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_failures_on_one_sid_block_failing_addresses_but_not_its_owner() {
    // Arrange: 2 failures per SID; the address limit off.
    let app = TestApp::spawn_with(|c| {
        c.auth_throttle.per_address = 0;
        c.auth_throttle.per_sid = 2;
    })
    .await;
    let url = format!("{}/v2/Services", app.base);
    let (a, b, owner) = (
        client_from([127, 0, 0, 11]),
        client_from([127, 0, 0, 12]),
        client_from([127, 0, 0, 13]),
    );
    let try_as =
        |client: &reqwest::Client, token: &str| client.get(&url).basic_auth(&app.account_sid, Some(token)).send();
    for _ in 0..2 {
        assert_twilio_error(try_as(&a, "guess").await.unwrap(), 401, 20003).await;
    }
    // Act + Assert: the failing address is refused on that SID, even with the right token...
    assert_twilio_error(try_as(&a, &app.auth_token).await.unwrap(), 429, 20429).await;
    // ...a new attacking address gets one guess, then is refused too...
    assert_twilio_error(try_as(&b, "guess").await.unwrap(), 401, 20003).await;
    assert_twilio_error(try_as(&b, "guess").await.unwrap(), 429, 20429).await;
    // ...while the owner, from an address that has not failed, still gets in.
    assert_eq!(try_as(&owner, &app.auth_token).await.unwrap().status(), StatusCode::OK);
    // Other SIDs are not affected for the failing address.
    let (other, other_token) = app.other_account().await;
    let r = a.get(&url).basic_auth(&other, Some(&other_token)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
