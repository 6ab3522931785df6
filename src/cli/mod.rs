//! The `banter` command line: `serve`, operator commands (accounts, API keys, bindings, Access
//! Tokens) and `copy`. `main.rs` only installs the allocator and calls [`run`].

use std::path::PathBuf;
use std::time::Duration;

mod serve;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::{self, StoreConfig};
use crate::chat::Chat;
use crate::store::sqlite::Durability;

#[derive(Parser)]
#[command(
    name = "banter",
    version,
    about = "A self-hosted server for the Twilio Programmable Chat REST API v2"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<serve::Serve>),
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Register push bindings (normally done by end-user clients), for imports and tests.
    Binding {
        #[command(subcommand)]
        command: BindingCommand,
    },
    /// Mint a Twilio Access Token with a chat grant (for development and tests); prints only
    /// the JWT. `banter token verify JWT` checks one instead.
    Token(Box<TokenArgs>),
    /// Copy every row to another database (SQLite <-> PostgreSQL), then compare row counts.
    /// Idempotent: a second run copies only what is missing. Stop the servers first.
    Copy {
        /// Source database (`sqlite:PATH` or `postgres://user:password@host:port/db`).
        #[arg(long)]
        from: String,
        /// Destination database, same forms; created (SQLite) and migrated when needed.
        #[arg(long)]
        to: String,
        /// Rows read and written per batch.
        #[arg(long, default_value_t = crate::copy::DEFAULT_BATCH)]
        batch_size: u32,
        /// Where the source's media files are (`s3://bucket/prefix` or a directory); default:
        /// `media/` beside a SQLite file. S3 settings come from the AWS_* variables.
        #[arg(long)]
        from_media: Option<String>,
        /// Where the destination's media files go, same forms and default.
        #[arg(long)]
        to_media: Option<String>,
    },
}

#[derive(Subcommand)]
enum BindingCommand {
    /// Create a binding for an identity; prints BINDING_SID.
    Create {
        #[command(flatten)]
        db: Db,
        /// The owning account.
        #[arg(long)]
        account: String,
        /// The service (IS…).
        #[arg(long)]
        service: String,
        /// The user's identity (the user is not required to exist).
        #[arg(long)]
        identity: String,
        /// Device address.
        #[arg(long)]
        endpoint: String,
        /// `apn`, `gcm` or `fcm`.
        #[arg(long = "type")]
        binding_type: String,
        /// Push credential (CR…).
        #[arg(long)]
        credential: Option<String>,
        /// Push types received (repeatable); all four when absent.
        #[arg(long = "message-type")]
        message_types: Vec<String>,
    },
}

#[derive(Args)]
#[command(subcommand_negates_reqs = true)]
struct TokenArgs {
    #[command(subcommand)]
    command: Option<TokenCommand>,
    #[command(flatten)]
    db: Db,
    /// The account (AC…).
    #[arg(long, required = true)]
    account: Option<String>,
    /// The chat service (IS…) of the grant.
    #[arg(long, required = true)]
    service: Option<String>,
    /// The end user's identity.
    #[arg(long, required = true)]
    identity: Option<String>,
    /// Lifetime in seconds (at most 86400, 24 hours).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(1..=crate::chat::MAX_TTL_SECS))]
    ttl: i64,
    /// The signing API key (SK…); default: a new key is created for the account.
    #[arg(long)]
    key: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Verify an Access Token; prints whom it speaks for as JSON, or the refusal's Twilio error
    /// (`{"code", "message"}`) and exits with status 1.
    Verify {
        #[command(flatten)]
        db: Db,
        /// The JWT.
        jwt: String,
    },
}

#[derive(Args, Clone)]
struct Db {
    /// Directory of the embedded SQLite database.
    #[arg(long, env = "BANTER_DATA_DIR", default_value = "./banter-data")]
    data_dir: PathBuf,
    /// Database URL (`sqlite:PATH` or `postgres://user:password@host:port/db`); overrides --data-dir.
    #[arg(long, env = "BANTER_DATABASE_URL")]
    database_url: Option<String>,
    /// SQLite commit durability: `full` survives power loss, `normal` only process crashes.
    #[arg(long, env = "BANTER_SQLITE_SYNC", value_enum, default_value = "full")]
    sqlite_sync: Sync,
    /// Most connections this process keeps to PostgreSQL.
    #[arg(long, env = "BANTER_PG_POOL_SIZE", default_value_t = 16)]
    pg_pool_size: usize,
    /// PostgreSQL statement timeout in milliseconds (also the wait for a free connection).
    #[arg(long, env = "BANTER_PG_STATEMENT_TIMEOUT_MS", default_value_t = 30_000)]
    pg_statement_timeout_ms: u64,
    /// Server key that seals stored secrets (64 hex digits); default: `secret.key` in --data-dir.
    #[arg(long, env = "BANTER_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Where media files live: `s3://bucket[/prefix]` for an S3-compatible object store shared
    /// by every node; default: `media/` in --data-dir.
    #[arg(long, env = "BANTER_MEDIA_URL")]
    media_url: Option<String>,
    /// S3 endpoint for a store other than AWS (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, env = "BANTER_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// S3 region (default: AWS_REGION / AWS_DEFAULT_REGION).
    #[arg(long, env = "BANTER_S3_REGION")]
    s3_region: Option<String>,
    /// S3 access key ID (default: AWS_ACCESS_KEY_ID).
    #[arg(long, env = "BANTER_S3_ACCESS_KEY_ID")]
    s3_access_key_id: Option<String>,
    /// S3 secret access key (default: AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "BANTER_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    s3_secret_access_key: Option<String>,
    /// Allow plain HTTP to the S3 endpoint (a store on a private network).
    #[arg(long, env = "BANTER_S3_ALLOW_HTTP")]
    s3_allow_http: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Sync {
    Full,
    Normal,
}

impl Db {
    fn config(&self) -> StoreConfig {
        StoreConfig {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            durability: match self.sqlite_sync {
                Sync::Full => Durability::Full,
                Sync::Normal => Durability::Normal,
            },
            pg_pool_size: self.pg_pool_size,
            pg_statement_timeout: Duration::from_millis(self.pg_statement_timeout_ms),
            secret_key: self.secret_key.clone(),
            media_url: self.media_url.clone(),
            s3: crate::media::S3Options {
                endpoint: self.s3_endpoint.clone(),
                region: self.s3_region.clone(),
                access_key_id: self.s3_access_key_id.clone(),
                secret_access_key: self.s3_secret_access_key.clone(),
                allow_http: self.s3_allow_http,
            },
        }
    }
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account; prints ACCOUNT_SID and AUTH_TOKEN once.
    Create {
        #[command(flatten)]
        db: Db,
        /// A label.
        #[arg(long, default_value = "account")]
        friendly_name: String,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        db: Db,
    },
    /// Delete an account with everything it owns; its credentials stop working at once.
    Delete {
        #[command(flatten)]
        db: Db,
        /// The account SID (AC…).
        account_sid: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key; prints API_KEY_SID and API_KEY_SECRET once.
    Create {
        #[command(flatten)]
        db: Db,
        /// The owning account.
        #[arg(long)]
        account: String,
        /// A label.
        #[arg(long, default_value = "key")]
        friendly_name: String,
    },
    /// List the keys of an account.
    List {
        #[command(flatten)]
        db: Db,
        /// The owning account.
        #[arg(long)]
        account: String,
    },
    /// Delete a key; it stops working at once.
    Delete {
        #[command(flatten)]
        db: Db,
        /// The owning account.
        #[arg(long)]
        account: String,
        /// The key SID (SK…).
        key_sid: String,
    },
}

/// Parses the command line and runs the command.
///
/// # Errors
/// Whatever the command fails with (bad configuration, a database that cannot be opened, …).
#[allow(clippy::print_stdout)]
pub async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BANTER_LOG").unwrap_or_else(|_| "banter=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(s) => app::serve(s.config()).await,
        Command::Account { command } => match command {
            AccountCommand::Create { db, friendly_name } => {
                let a = chat(&db).await?.create_account(&friendly_name).await?;
                println!("ACCOUNT_SID={}\nAUTH_TOKEN={}", a.sid, a.auth_token);
                Ok(())
            }
            AccountCommand::List { db } => {
                for a in chat(&db).await?.list_accounts().await? {
                    println!(
                        "{}\t{}\t{}",
                        a.sid,
                        crate::time::format(&a.date_created),
                        a.friendly_name
                    );
                }
                Ok(())
            }
            AccountCommand::Delete { db, account_sid } => {
                chat(&db)
                    .await?
                    .delete_account(&account_sid)
                    .await
                    .context("no such account")?;
                println!("deleted {account_sid}");
                Ok(())
            }
        },
        Command::Key { command } => match command {
            KeyCommand::Create {
                db,
                account,
                friendly_name,
            } => {
                let k = chat(&db)
                    .await?
                    .create_api_key(&account, &friendly_name)
                    .await
                    .context("no such account")?;
                println!("API_KEY_SID={}\nAPI_KEY_SECRET={}", k.sid, k.secret);
                Ok(())
            }
            KeyCommand::List { db, account } => {
                for k in chat(&db).await?.list_api_keys(&account).await? {
                    println!(
                        "{}\t{}\t{}",
                        k.sid,
                        crate::time::format(&k.date_created),
                        k.friendly_name
                    );
                }
                Ok(())
            }
            KeyCommand::Delete { db, account, key_sid } => {
                chat(&db)
                    .await?
                    .delete_api_key(&account, &key_sid)
                    .await
                    .context("no such key")?;
                println!("deleted {key_sid}");
                Ok(())
            }
        },
        Command::Token(args) => token(*args).await,
        Command::Copy {
            from,
            to,
            batch_size,
            from_media,
            to_media,
        } => {
            let report = crate::copy::run(&from, &to, batch_size).await?;
            print!("{}", report.render());
            if !report.ok() {
                anyhow::bail!("verification failed: the row counts marked MISMATCH differ");
            }
            println!("copy complete: {} rows inserted", report.inserted());
            let media = crate::media::copy::run(&from, &to, from_media.as_deref(), to_media.as_deref()).await?;
            println!("{media}");
            Ok(())
        }
        Command::Binding {
            command:
                BindingCommand::Create {
                    db,
                    account,
                    service,
                    identity,
                    endpoint,
                    binding_type,
                    credential,
                    message_types,
                },
        } => {
            let input = crate::chat::NewBinding {
                identity,
                endpoint,
                binding_type,
                credential_sid: credential,
                message_types,
            };
            let operator = crate::chat::Caller::operator(account, false);
            let b = chat(&db)
                .await?
                .create_binding(operator.service(&service), input)
                .await
                .context("creating the binding")?;
            println!("BINDING_SID={}", b.sid);
            Ok(())
        }
    }
}

/// `banter token` and `banter token verify`.
#[allow(clippy::print_stdout, clippy::print_stderr)]
async fn token(args: TokenArgs) -> anyhow::Result<()> {
    if let Some(TokenCommand::Verify { db, jwt }) = args.command {
        return match chat(&db).await?.verify_token(jwt.trim()).await {
            Ok(identity) => {
                println!("{}", serde_json::to_string(&identity)?);
                Ok(())
            }
            Err(crate::chat::ChatError::Twilio { code, message }) => {
                println!("{}", serde_json::json!({"code": code, "message": message}));
                anyhow::bail!("refused: {code} {message}")
            }
            Err(e) => Err(e.into()),
        };
    }
    let (Some(account), Some(service), Some(identity)) = (args.account, args.service, args.identity) else {
        anyhow::bail!("--account, --service and --identity are required");
    };
    let chat = chat(&args.db).await?;
    let key_sid = match args.key {
        Some(key) => key,
        None => {
            let key = chat
                .create_api_key(&account, "token")
                .await
                .context("no such account")?;
            eprintln!("created API key {} for {account} to sign the token", key.sid);
            key.sid
        }
    };
    let input = crate::chat::NewToken {
        account_sid: account,
        key_sid,
        service_sid: service,
        identity,
        ttl_secs: args.ttl,
    };
    let jwt = chat
        .mint_token(&input)
        .await
        .context("minting the token (the key and the service must belong to the account)")?;
    println!("{jwt}");
    Ok(())
}

async fn chat(db: &Db) -> anyhow::Result<Chat> {
    let chat = db.config().chat().await?;
    chat.check_secrets().await.context(
        "the server key does not open the secrets in this database: give this command the same \
         --secret-key or --data-dir (secret.key) as the server",
    )?;
    Ok(chat)
}
