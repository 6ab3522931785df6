//! Spawns Banter through `banter::app::run` (the same path `main` takes) and talks to it.
//!
//! The backend comes from `BANTER_TEST_DATABASE`: `sqlite` (the default) gives every test app a
//! database file in a temporary directory; `postgres` gives it a fresh database
//! `banter_test_<hex>` on the server at `BANTER_TEST_PG_URL`, dropped again with the app.

pub mod receiver;
pub mod sinks;
pub mod tls;
pub mod users;

use banter::app::{self, ServeConfig, StoreConfig};
use banter::chat::Chat;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// The administrative connection used to create and drop test databases.
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A running server plus what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub account_sid: String,
    pub auth_token: String,
    /// Holds the SQLite file (and nothing on PostgreSQL) until the app is dropped.
    _dir: TempDir,
    /// How the server opened its store; [`TestApp::operator`] opens the same database.
    pub store: StoreConfig,
    shutdown: Option<oneshot::Sender<()>>,
    /// Declared last so it is dropped after the server was told to stop.
    _database: Option<TestDatabase>,
}

pub fn random_hex() -> String {
    banter::sid::secret()
}

/// The backend the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("BANTER_TEST_DATABASE").as_deref() {
        Ok("postgres" | "postgresql" | "pg") => Backend::Postgres,
        Ok("sqlite" | "") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("BANTER_TEST_DATABASE={other:?}: expected sqlite or postgres"),
    }
}

fn admin_url() -> String {
    std::env::var("BANTER_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// A PostgreSQL database created for one test app and dropped (with its connections) after it.
pub struct TestDatabase {
    name: String,
}

impl TestDatabase {
    /// Creates `banter_test_<hex>` and returns it with the URL that points at it.
    pub async fn create() -> (Self, String) {
        let admin = admin_url();
        let name = format!("banter_test_{}", &random_hex()[..16]);
        let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to {admin} (BANTER_TEST_PG_URL): {e}"));
        let driver = tokio::spawn(conn);
        client
            .batch_execute(&format!("create database {name}"))
            .await
            .expect("create test database");
        drop(client);
        let _ = driver.await;
        let url = with_database(&admin, &name);
        (Self { name }, url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and the test's runtime may be single-threaded: a short-lived
        // thread with its own runtime does the work. Waiting for it (a few milliseconds) makes
        // sure no database outlives its test; `with (force)` ends the server's connections.
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                let Ok((client, conn)) = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls).await else {
                    return;
                };
                let driver = tokio::spawn(conn);
                let _ = client
                    .batch_execute(&format!("drop database if exists {name} with (force)"))
                    .await;
                drop(client);
                let _ = driver.await;
            });
        });
        let _ = dropper.join();
    }
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A store configuration for `dir` (SQLite) or a fresh database (PostgreSQL).
pub async fn test_store(dir: &std::path::Path) -> (StoreConfig, Option<TestDatabase>) {
    let mut store = StoreConfig {
        data_dir: dir.to_owned(),
        pg_pool_size: 4,
        ..StoreConfig::default()
    };
    match backend() {
        Backend::Sqlite => (store, None),
        Backend::Postgres => {
            let (db, url) = TestDatabase::create().await;
            store.database_url = Some(url);
            (store, Some(db))
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, database) = test_store(dir.path()).await;
        let account_sid = format!("AC{}", random_hex());
        let auth_token = random_hex();
        let mut cfg = ServeConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            store: store.clone(),
            public_url: None,
            tls: None,
            behind_tls_proxy: false,
            bootstrap: Some((account_sid.clone(), auth_token.clone())),
            max_body_bytes: 64 * 1024,
            // The default: allowed, because the test server listens on 127.0.0.1.
            webhooks_allow_private: None,
            ..ServeConfig::default()
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
            _dir: dir,
            store,
            shutdown: Some(tx),
            _database: database,
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

    /// A second handle on the same database, as the CLI (another process) would open it.
    pub async fn operator(&self) -> Chat {
        self.store.chat().await.expect("open store")
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
        let a = self.operator().await.create_account("other").await.expect("account");
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

/// The JSON body of a response, whatever its status.
pub async fn json(r: Response) -> Value {
    r.json().await.expect("a JSON body")
}

/// The JSON body of a 2xx response; fails the test with the body otherwise.
pub async fn ok_json(r: Response) -> Value {
    let status = r.status();
    let body = json(r).await;
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// The JSON body of a `201 Created` response; fails the test with the body otherwise.
pub async fn created(r: Response) -> Value {
    let status = r.status();
    let body = json(r).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

impl TestApp {
    /// GETs `path` as the account and returns the JSON body of the 2xx answer.
    pub async fn get_json(&self, path: &str) -> Value {
        ok_json(self.get(path).send().await.expect("send")).await
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
