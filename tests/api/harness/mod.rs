//! Spawns Banter through `banter::app::run` (the same path `main` takes) and talks to it.

use std::path::PathBuf;

use banter::app::{self, ServeConfig, StoreConfig};
use banter::chat::Chat;
use banter::store::sqlite::Durability;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A running server plus what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub account_sid: String,
    pub auth_token: String,
    pub dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

pub fn random_hex() -> String {
    banter::sid::secret()
}

pub fn store_config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        data_dir: dir.to_owned(),
        database_url: None,
        durability: Durability::Full,
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let account_sid = format!("AC{}", random_hex());
        let auth_token = random_hex();
        let mut cfg = ServeConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            store: store_config(dir.path()),
            public_url: None,
            tls: None,
            behind_tls_proxy: false,
            bootstrap: Some((account_sid.clone(), auth_token.clone())),
            max_body_bytes: 64 * 1024,
        };
        tweak(&mut cfg);
        let scheme = if cfg.tls.is_some() { "https" } else { "http" };
        let listener = std::net::TcpListener::bind(cfg.listen).expect("bind ephemeral port");
        let port = listener.local_addr().expect("addr").port();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = app::run(cfg, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        let base = format!("{scheme}://127.0.0.1:{port}");
        let app = Self {
            base,
            http: reqwest::Client::new(),
            account_sid,
            auth_token,
            dir,
            shutdown: Some(tx),
        };
        if scheme == "http" {
            app.wait_ready().await;
        }
        app
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server did not become ready");
    }

    /// A second handle on the same database, as the CLI would open it.
    pub fn operator(&self) -> Chat {
        Chat::new(store_config(self.dir.path()).open().expect("open store"))
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("banter.db")
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http
            .get(self.url(path))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
    }

    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> RequestBuilder {
        self.http
            .post(self.url(path))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(form)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.http
            .delete(self.url(path))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
    }

    /// Creates a service and returns its JSON.
    pub async fn service(&self) -> Value {
        let r = self
            .post("/v2/Services", &[("FriendlyName", "test")])
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json().await.expect("json")
    }

    /// Creates another account on the same database; returns (sid, token).
    pub async fn other_account(&self) -> (String, String) {
        let a = self.operator().create_account("other").await.expect("account");
        (a.sid, a.auth_token)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Asserts a Twilio error body and status; returns the body.
pub async fn assert_twilio_error(resp: Response, status: u16, code: u64) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    assert!(ctype.unwrap_or_default().starts_with("application/json"));
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["code"], code, "code in {body}");
    assert_eq!(body["status"], status, "status in {body}");
    assert_eq!(body["more_info"], format!("https://www.twilio.com/docs/errors/{code}"));
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    assert!(body.get("type").is_none() && body.get("title").is_none());
    body
}

pub fn assert_sid(v: &Value, prefix: &str) {
    let s = v.as_str().unwrap_or_else(|| panic!("sid not a string: {v}"));
    assert!(banter::sid::is_sid(prefix, s), "{s} is not a {prefix} sid");
}

pub fn assert_date(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("date not a string: {v}"));
    assert_eq!(s.len(), 20, "{s}");
    assert!(
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{s}"
    );
}
