//! Secrets at rest: auth tokens, API key secrets and push credential material are stored
//! sealed with the server key, the data directory and database files are private, and a
//! server with the wrong key refuses to start.

use std::sync::Arc;

use banter::app::{self, ServeConfig};
use banter::store::{Account, Store};
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{Backend, TestApp, backend, random_hex, test_store};

const FCM_SECRET: &str = "fcm-server-key-that-must-not-be-readable";
const APN_KEY: &str = "-----BEGIN PRIVATE KEY-----apn-private-key-material";

/// Every file of the data directory, concatenated.
fn data_dir_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn stored_secrets_are_sealed_and_files_are_private() {
    let app = TestApp::spawn().await;
    let op = app.operator().await;
    let key = op.create_api_key(&app.account_sid, "k").await.unwrap();
    for form in [
        vec![("Type", "fcm"), ("Secret", FCM_SECRET)],
        vec![("Type", "apn"), ("PrivateKey", APN_KEY), ("Certificate", "cert-pem")],
    ] {
        let r = app.post("/v2/Credentials", &form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let body = r.text().await.unwrap();
        assert!(
            !body.contains(FCM_SECRET) && !body.contains(APN_KEY),
            "never returned: {body}"
        );
    }
    // The secrets still work: the API key authenticates, and so does the account's token.
    let r = app
        .http
        .get(format!("{}/v2/Services", app.base))
        .basic_auth(&key.sid, Some(&key.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // What the database holds, read past the domain: sealed values only.
    let store: Arc<dyn Store> = app.store.open().await.unwrap();
    let account = store.account(&app.account_sid).await.unwrap().unwrap();
    assert!(account.auth_token.starts_with("sealed:v1:"), "{}", account.auth_token);
    assert!(!account.auth_token.contains(&app.auth_token));
    let stored_key = store.api_key(&key.sid).await.unwrap().unwrap();
    assert!(stored_key.secret.starts_with("sealed:v1:"));

    if backend() == Backend::Sqlite {
        let dir = &app.store.data_dir;
        let bytes = data_dir_bytes(dir);
        for secret in [
            app.auth_token.as_str(),
            key.secret.as_str(),
            FCM_SECRET,
            APN_KEY,
            "cert-pem",
        ] {
            assert!(!contains(&bytes, secret), "{secret} is readable in the database files");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(dir), 0o700, "data directory");
            for name in ["banter.db", "banter.db-wal", "banter.db-shm", "secret.key"] {
                let path = dir.join(name);
                if name != "banter.db-shm" || path.exists() {
                    assert_eq!(mode(&path), 0o600, "{name}");
                }
            }
        }
    }
}

#[tokio::test]
async fn plain_text_secrets_of_an_earlier_version_are_sealed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (store_cfg, _db) = test_store(dir.path()).await;
    let (sid, token) = (format!("AC{}", random_hex()), random_hex());
    {
        // As an earlier version stored it: the token in plain text.
        let store = store_cfg.open().await.unwrap();
        let account = Account {
            sid: sid.clone(),
            auth_token: token.clone(),
            friendly_name: "legacy".into(),
            date_created: banter::time::now(),
        };
        store.insert_account(&account).await.unwrap();
    }
    let cfg = store_cfg.clone();
    let app = TestApp::spawn_with(move |c| {
        c.store = cfg;
        c.bootstrap = None;
    })
    .await;
    let r = app
        .http
        .get(format!("{}/v2/Services", app.base))
        .basic_auth(&sid, Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page: Value = r.json().await.unwrap();
    assert!(page["services"].is_array());
    let stored = store_cfg.open().await.unwrap().account(&sid).await.unwrap().unwrap();
    assert!(stored.auth_token.starts_with("sealed:v1:"), "{}", stored.auth_token);
}

#[tokio::test]
async fn a_server_with_another_key_refuses_to_start() {
    let app = TestApp::spawn().await;
    let mut store = app.store.clone();
    store.secret_key = Some("ab".repeat(32));
    let cfg = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        store,
        public_url: None,
        tls: None,
        behind_tls_proxy: false,
        bootstrap: None,
        max_body_bytes: 64 * 1024,
        webhooks_allow_private: None,
        ..ServeConfig::default()
    };
    let listener = std::net::TcpListener::bind(cfg.listen).unwrap();
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        app::run(cfg, listener, std::future::pending()),
    )
    .await
    .expect("start-up must fail, not serve");
    let error = format!("{:#}", result.unwrap_err());
    assert!(error.contains("server key"), "{error}");
}

#[tokio::test]
async fn an_operator_command_with_another_key_refuses_to_write() {
    let app = TestApp::spawn().await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_banter"));
    cmd.args(["key", "create", "--account", &app.account_sid]);
    cmd.arg("--data-dir").arg(&app.store.data_dir);
    cmd.args(["--secret-key", &"cd".repeat(32)]);
    if let Some(url) = &app.store.database_url {
        cmd.arg("--database-url").arg(url);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server key"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("API_KEY_SID"));
    let keys = app.operator().await.list_api_keys(&app.account_sid).await.unwrap();
    assert!(keys.is_empty(), "nothing was written");
}
