//! `banter serve`: its flags, and the server configuration they make.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::Db;
use crate::app::ServeConfig;

/// `banter serve`'s flags.
#[derive(Args)]
pub(super) struct Serve {
    /// Address to listen on.
    #[arg(long, env = "BANTER_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    db: Db,
    /// Public base URL for resource and paging URLs (default: from the request's Host header).
    #[arg(long, env = "BANTER_PUBLIC_URL")]
    public_url: Option<String>,
    /// PEM certificate chain; serves HTTPS together with --tls-key.
    #[arg(long, env = "BANTER_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "BANTER_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address because a TLS proxy is in front.
    #[arg(long, env = "BANTER_BEHIND_TLS_PROXY")]
    behind_tls_proxy: bool,
    /// Account to create (or check) at start-up, with --auth-token.
    #[arg(long, env = "BANTER_ACCOUNT_SID", requires = "auth_token")]
    account_sid: Option<String>,
    /// Auth token of the bootstrap account.
    #[arg(long, env = "BANTER_AUTH_TOKEN", hide_env_values = true, requires = "account_sid")]
    auth_token: Option<String>,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "BANTER_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Let webhooks target private, loopback and link-local addresses (`true` or `false`;
    /// default: allowed only when listening on a loopback address).
    #[arg(long, env = "BANTER_WEBHOOKS_ALLOW_PRIVATE", value_name = "true|false")]
    webhooks_allow_private: Option<bool>,
    /// Seconds allowed for a request's headers, from accept or from the end of the previous
    /// response (so also the keep-alive idle timeout), and for a TLS handshake.
    #[arg(long, env = "BANTER_HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout_secs: u64,
    /// Seconds allowed for a whole request body; a slower body gets 408 and the connection closes.
    #[arg(long, env = "BANTER_BODY_READ_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_read_timeout_secs: u64,
    /// Most client connections open at once; further clients wait in the listen backlog.
    /// Lowered to fit under the open-file limit.
    #[arg(long, env = "BANTER_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Failed authentications one client address may make per minute; then all its attempts
    /// get 429 until the minute ends. 0 turns this off.
    #[arg(long, env = "BANTER_AUTH_FAIL_LIMIT", default_value_t = 60)]
    auth_fail_limit: u32,
    /// Failed authentications per minute on one Account SID or API Key SID; then attempts on it
    /// get 429 from addresses that have failed themselves. 0 turns this off.
    #[arg(long, env = "BANTER_AUTH_FAIL_LIMIT_PER_SID", default_value_t = 100)]
    auth_fail_limit_per_sid: u32,
    /// Hours logged changes are kept for clients that resume from a change position; a client
    /// whose position is older must resynchronise fully.
    #[arg(long, env = "BANTER_CHANGE_RETENTION_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=87_600))]
    change_retention_hours: u64,
    /// Seconds between the server's pings on a client SDK socket; a socket that leaves two in a
    /// row unanswered is closed.
    #[arg(long, env = "BANTER_SOCKET_PING_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    socket_ping_secs: u64,
    /// Frames queued for one client SDK socket; a client that stops reading fills it and is
    /// disconnected (it resumes from the database when it reconnects).
    #[arg(long, env = "BANTER_SOCKET_QUEUE", default_value_t = 256, value_parser = clap::value_parser!(u64).range(16..=65_536))]
    socket_queue: u64,
    /// Seconds a user still counts as online after their last client socket closed (so a
    /// reconnecting client never looks offline), for services with reachability enabled.
    #[arg(long, env = "BANTER_OFFLINE_AFTER_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=3600))]
    offline_after_secs: u64,
    /// Largest media upload in MB (Twilio's `media.size_limit_mb`: 150).
    #[arg(long, env = "BANTER_MEDIA_SIZE_LIMIT_MB", default_value_t = crate::media::DEFAULT_SIZE_LIMIT_MB, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    media_size_limit_mb: u64,
    /// Shortest conversation timer accepted, in seconds, for both `Timers.Inactive` and
    /// `Timers.Closed` (default: Twilio's minima, 60 and 600). For tests that need short timers.
    #[arg(long, env = "BANTER_CONVERSATION_TIMER_MINIMUM_SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    conversation_timer_minimum_secs: Option<u64>,
    /// How long a signed media download URL (`content_direct_temporary`) works, in seconds.
    #[arg(long, env = "BANTER_MEDIA_URL_TTL_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    media_url_ttl_secs: u64,
}

impl Serve {
    /// The server configuration these flags describe.
    pub(super) fn config(self) -> ServeConfig {
        let s = self;
        ServeConfig {
            listen: s.listen,
            store: s.db.config(),
            public_url: s.public_url,
            tls: s.tls_cert.zip(s.tls_key),
            behind_tls_proxy: s.behind_tls_proxy,
            bootstrap: s.account_sid.zip(s.auth_token),
            max_body_bytes: s.max_body_bytes,
            webhooks_allow_private: s.webhooks_allow_private,
            header_read_timeout: Duration::from_secs(s.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(s.body_read_timeout_secs),
            max_connections: usize::try_from(s.max_connections).unwrap_or(usize::MAX),
            auth_throttle: crate::http::throttle::ThrottleConfig {
                per_address: s.auth_fail_limit,
                per_sid: s.auth_fail_limit_per_sid,
                window: Duration::from_secs(60),
            },
            change_retention: Duration::from_secs(s.change_retention_hours * 3600),
            gateway: crate::gateway::GatewaySettings {
                ping_interval: Duration::from_secs(s.socket_ping_secs),
                outbound_queue: usize::try_from(s.socket_queue).unwrap_or(usize::MAX),
                ..crate::gateway::GatewaySettings::default()
            },
            presence: crate::chat::PresenceSettings {
                linger: Duration::from_secs(s.offline_after_secs),
                ..crate::chat::PresenceSettings::default()
            },
            timer_limits: s
                .conversation_timer_minimum_secs
                .map(|secs| crate::chat::TimerLimits::lowered_to(Duration::from_secs(secs)))
                .unwrap_or_default(),
            media: crate::http::MediaSettings {
                size_limit: s.media_size_limit_mb.saturating_mul(1024 * 1024),
                url_ttl: Duration::from_secs(s.media_url_ttl_secs),
            },
        }
    }
}
