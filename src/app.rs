//! Start-up: open the store, bootstrap an account, bind, and serve plain HTTP or TLS.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::chat::{Chat, PresenceSettings};
use crate::conn::{self, ConnLimits};
use crate::dburl::DatabaseUrl;
use crate::gateway::{Gateway, GatewaySettings};
use crate::http::throttle::{AuthThrottle, ThrottleConfig};
use crate::http::{self, AppState};
use crate::secrets::{self, Secrets};
use crate::store::Store;
use crate::store::postgres::PgStore;
use crate::store::sqlite::{Durability, SqliteStore};
use crate::webhooks::{self, HookClient, HttpPreHook, Metrics, Policy};
use anyhow::{Context, bail};

/// Where the data lives and how it is stored.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory for the embedded database (used when no URL is given).
    pub data_dir: PathBuf,
    /// `sqlite:PATH`, or `postgres://…` / `postgresql://…`; overrides `data_dir`.
    pub database_url: Option<String>,
    /// SQLite commit durability.
    pub durability: Durability,
    /// Most connections one process keeps to PostgreSQL.
    pub pg_pool_size: usize,
    /// PostgreSQL `statement_timeout` of every connection; also how long a request waits for a
    /// free connection before the store reports itself unavailable.
    pub pg_statement_timeout: Duration,
    /// The server key (64 hex digits) that seals stored secrets; without it the key lives in
    /// `data_dir` (created on first use).
    pub secret_key: Option<String>,
    /// Where media files live: `s3://bucket/prefix` (an S3-compatible object store), or files
    /// under `data_dir/media` when `None`.
    pub media_url: Option<String>,
    /// Settings of an S3-compatible media store beyond the URL.
    pub s3: crate::media::S3Options,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./banter-data"),
            database_url: None,
            durability: Durability::Full,
            pg_pool_size: 16,
            pg_statement_timeout: Duration::from_secs(30),
            secret_key: None,
            media_url: None,
            s3: crate::media::S3Options::default(),
        }
    }
}

impl StoreConfig {
    /// Opens the configured store, creating the database on first use (SQLite) or applying
    /// pending migrations (PostgreSQL).
    ///
    /// # Errors
    /// On an unsupported URL scheme or when the database cannot be opened.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let url = self.database_url.as_deref().map(DatabaseUrl::parse).transpose()?;
        let path = match url {
            Some(DatabaseUrl::Postgres(url)) => {
                let store = PgStore::open(&url, self.pg_pool_size, self.pg_statement_timeout)
                    .await
                    .with_context(|| {
                        format!(
                            "opening PostgreSQL database {}",
                            DatabaseUrl::Postgres(url.clone()).redacted()
                        )
                    })?;
                return Ok(Arc::new(store));
            }
            Some(DatabaseUrl::Sqlite(path)) => path,
            None => {
                secrets::private_dir(&self.data_dir)?;
                self.data_dir.join("banter.db")
            }
        };
        // The database and its journal files are readable by this user only. SQLite creates the
        // WAL and shared-memory files with the database file's mode.
        secrets::create_private_file(&path)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            secrets::private_file(std::path::Path::new(&file))?;
        }
        let store = SqliteStore::open(&path, self.durability)
            .with_context(|| format!("opening database {}", path.display()))?;
        Ok(Arc::new(store))
    }
}

impl StoreConfig {
    /// The server key: `secret_key` when given, otherwise the key file in `data_dir`.
    ///
    /// # Errors
    /// A malformed key, or a key file that cannot be read or created.
    pub fn secrets(&self) -> anyhow::Result<Arc<Secrets>> {
        Ok(Arc::new(Secrets::load(&self.data_dir, self.secret_key.as_deref())?))
    }

    /// The media storage: the object store of `media_url`, or `data_dir/media`.
    ///
    /// # Errors
    /// An unsupported URL, bad S3 settings, or a directory that cannot be created.
    pub fn blobs(&self) -> anyhow::Result<Arc<dyn crate::media::Blobs>> {
        crate::media::open(self.media_url.as_deref(), &self.data_dir.join("media"), &self.s3)
    }

    /// The domain over the configured store and server key (what operator commands use).
    ///
    /// # Errors
    /// As for [`StoreConfig::open`] and [`StoreConfig::secrets`].
    pub async fn chat(&self) -> anyhow::Result<Chat> {
        let secrets = self.secrets()?;
        Ok(Chat::new(self.open().await?, secrets))
    }
}

/// Everything `banter serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The store.
    pub store: StoreConfig,
    /// Public base URL for `url`, `links` and paging URLs.
    pub public_url: Option<String>,
    /// PEM certificate chain and private key for TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Allow plain HTTP on a non-loopback address (a TLS proxy is in front).
    pub behind_tls_proxy: bool,
    /// Bootstrap account (`BANTER_ACCOUNT_SID` / `BANTER_AUTH_TOKEN`).
    pub bootstrap: Option<(String, String)>,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Whether webhooks may target non-public addresses (loopback, private networks, link-local
    /// and the like). `None`: allowed when listening on a loopback address (local development
    /// and tests), refused otherwise.
    pub webhooks_allow_private: Option<bool>,
    /// Time allowed for a request's headers, counted from accept or from the end of the
    /// previous response on the connection (so also the keep-alive idle timeout), and for a
    /// TLS handshake.
    pub header_read_timeout: Duration,
    /// Time allowed for a whole request body, from when the handler starts reading it.
    pub body_read_timeout: Duration,
    /// Most client connections open at once (lowered to fit the open-file limit).
    pub max_connections: usize,
    /// Limits on failed authentication per client address and per SID.
    pub auth_throttle: ThrottleConfig,
    /// How long logged changes are kept for clients that resume from a position; a client
    /// whose position is older must resynchronise fully.
    pub change_retention: Duration,
    /// Timers and bounds of the client SDK socket.
    pub gateway: GatewaySettings,
    /// How reachability (who is online) is kept.
    pub presence: PresenceSettings,
    /// Limits of the Media Content Service.
    pub media: http::MediaSettings,
    /// The shortest conversation timers accepted.
    pub timer_limits: crate::chat::TimerLimits,
}

/// [`ServeConfig::change_retention`] unless configured: a week, so a client that was offline
/// over a long weekend still catches up without a full reload.
pub const DEFAULT_CHANGE_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            store: StoreConfig::default(),
            public_url: None,
            tls: None,
            behind_tls_proxy: false,
            bootstrap: None,
            max_body_bytes: 1024 * 1024,
            webhooks_allow_private: None,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            auth_throttle: ThrottleConfig::default(),
            change_retention: DEFAULT_CHANGE_RETENTION,
            gateway: GatewaySettings::default(),
            presence: PresenceSettings::default(),
            media: http::MediaSettings::default(),
            timer_limits: crate::chat::TimerLimits::default(),
        }
    }
}

/// Runs the server until Ctrl-C / SIGTERM.
///
/// # Errors
/// On bad configuration, a store that cannot be opened, or an address that cannot be bound.
pub async fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    conn::raise_fd_limit();
    let listener = std::net::TcpListener::bind(cfg.listen).with_context(|| format!("binding {}", cfg.listen))?;
    run(cfg, listener, shutdown_signal()).await
}

/// Serves on an already bound listener until `shutdown` completes. `main` and the integration
/// tests both come through here, so tests exercise the real start-up path.
///
/// # Errors
/// On bad configuration or a store that cannot be opened.
pub async fn run(
    cfg: ServeConfig,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    if cfg.tls.is_none() && !addr.ip().is_loopback() && !cfg.behind_tls_proxy {
        bail!(
            "refusing to serve plain HTTP on non-loopback address {addr}: pass --tls-cert/--tls-key, \
             or --behind-tls-proxy when a TLS proxy terminates connections in front of Banter"
        );
    }
    if cfg.public_url.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "--public-url is not set: resource and paging URLs are built from each request's Host \
             header, which any client can forge; an SDK that follows a forged next_page_url sends \
             its credentials to that host. Set --public-url when serving beyond loopback"
        );
    }
    let scheme = if cfg.tls.is_some() { "https" } else { "http" };
    let allow_private = cfg.webhooks_allow_private.unwrap_or(addr.ip().is_loopback());
    if allow_private {
        tracing::info!("webhooks may target private and loopback addresses");
    } else {
        tracing::info!("webhooks to private and loopback addresses are refused");
    }
    let hooks = HookClient::new(allow_private).context("building the webhook HTTP client")?;
    let blobs = cfg.store.blobs().context("opening the media storage")?;
    tracing::info!(storage = %blobs.describe(), "media storage");
    let chat = cfg
        .store
        .chat()
        .await?
        .with_blobs(blobs)
        .with_media_size_limit_mb(cfg.media.size_limit / (1024 * 1024))
        .with_pre_hook(Arc::new(HttpPreHook::new(hooks.clone())))
        .with_presence(cfg.presence.clone())
        .with_timer_limits(cfg.timer_limits);
    let sealed = chat.seal_stored_secrets().await.context(
        "checking stored secrets against the server key (every node and command must use the same --secret-key or key file)",
    )?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed secrets that were stored in plain text");
    }
    let metrics = Arc::new(Metrics::default());
    tokio::spawn(webhooks::worker::run(
        chat.clone(),
        hooks,
        Arc::clone(&metrics),
        Policy::default(),
    ));
    chat.spawn_change_pruner(cfg.change_retention);
    chat.spawn_presence();
    chat.spawn_timers();
    chat.spawn_media_sweeper();
    bootstrap(&chat, cfg.bootstrap.as_ref(), &format!("{scheme}://{addr}")).await?;
    chat.spawn_auth_watcher();
    // Upgraded sockets have left the connection's graceful shutdown: they learn of it here
    // and ask their clients to reconnect (the sender is dropped, or set, when serving ends).
    let (stop_sockets, stopping) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        let _ = stop_sockets.send(true);
    };
    let state = AppState::new(http::Shared {
        chat,
        public_url: cfg.public_url.as_ref().map(|u| u.trim_end_matches('/').to_owned()),
        tls: cfg.tls.is_some(),
        max_body_bytes: cfg.max_body_bytes,
        body_read_timeout: cfg.body_read_timeout,
        throttle: AuthThrottle::new(cfg.auth_throttle),
        metrics,
        gateway: Gateway::new(cfg.gateway.clone(), stopping),
        media: cfg.media,
    });
    let app = http::router(state);
    let limits = ConnLimits {
        header_read_timeout: cfg.header_read_timeout,
        max_connections: conn::clamp_connections(cfg.max_connections, conn::fd_limit()),
    };
    if limits.max_connections < cfg.max_connections {
        tracing::warn!(
            wanted = cfg.max_connections,
            max_connections = limits.max_connections,
            open_file_limit = conn::fd_limit(),
            "lowered --max-connections to fit under the open-file limit"
        );
    }
    let tls = match &cfg.tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let loaded = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .context("loading TLS certificate and key")?;
            Some((*loaded.get_inner()).clone())
        }
        None => {
            if !addr.ip().is_loopback() {
                tracing::warn!(%addr, "serving plain HTTP on a non-loopback address: a TLS proxy must be in front");
            }
            None
        }
    };
    announce(scheme, addr);
    conn::serve(listener, app, tls, limits, shutdown).await?;
    Ok(())
}

/// Prints the address once bound; tests and scripts read this line to find an ephemeral port.
#[allow(clippy::print_stdout)]
fn announce(scheme: &str, addr: SocketAddr) {
    println!("banter listening on {scheme}://{addr}");
    tracing::info!(%addr, scheme, "listening");
}

/// Creates the bootstrap account, or on an empty database a first account that is printed once.
#[allow(clippy::print_stdout)]
async fn bootstrap(chat: &Chat, given: Option<&(String, String)>, base: &str) -> anyhow::Result<()> {
    if let Some((sid, token)) = given {
        chat.ensure_account(sid, token)
            .await
            .context("bootstrapping BANTER_ACCOUNT_SID")?;
        return Ok(());
    }
    if !chat.list_accounts().await?.is_empty() {
        return Ok(());
    }
    let account = chat.create_account("default").await?;
    println!(
        "Created the first account. These credentials are shown once:\n\n  \
         ACCOUNT_SID={}\n  AUTH_TOKEN={}\n\nPoint twilio-python at Banter:\n\n  \
         from twilio.rest import Client\n  client = Client(\"{}\", \"{}\")\n  \
         client.edge = None; client.region = None\n  client.chat.base_url = \"{}\"\n",
        account.sid, account.auth_token, account.sid, account.auth_token, base
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
