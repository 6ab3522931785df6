//! The domain: one function per operation, with validation, defaults and invariants.
//!
//! Nothing here knows about HTTP or SQL. Handlers in `crate::http` parse requests into the
//! input types defined here, call one [`Chat`] method, and render what comes back.

mod access;
mod accounts;
mod addresses;
mod auth;
mod bindings;
mod changes;
mod channels;
pub mod client_config;
mod conversations;
mod credentials;
mod deliveries;
mod error;
pub mod events;
pub mod feed;
mod invites;
mod media;
mod members;
mod memo;
mod messages;
pub mod messaging_binding;
mod payload;
pub mod presence;
mod push;
mod roles;
mod services;
mod timers;
mod tokens;
pub mod typing;
mod users;
pub mod validate;
mod webhooks;
mod write;

use std::sync::Arc;

use memo::Memo;

pub use access::{Access, Actor, Caller, ChannelRef, Permission, Scope, ServiceRef};
pub use addresses::{AddressPatch, NewAddress};
pub use auth::AuthCache;
pub use bindings::NewBinding;
pub use changes::{Catchup, MAX_CHANGES_PER_READ};
pub use channels::{ChannelPatch, NewChannel};
pub use conversations::{ConversationsConfigPatch, DEFAULT_SERVICE_NAME};
pub use credentials::{CredentialPatch, NewCredential};
pub use error::{CODES, ChatError, Code};
pub use events::{Event, HookFailure, HookRequest, PreEventHook};
pub use feed::{ChannelView, Detail, FeedBatch, Observed};
pub use media::{MAX_FILENAME, NewMedia, Upload};
pub use members::{MemberPatch, NewMember};
pub use messages::{MessagePatch, NewMessage};
pub use presence::{PresenceSettings, UserView};
pub use push::{MAX_REGISTRATIONS, PushRegistration};
pub use roles::{NewRole, PERMISSIONS_CHANNEL, PERMISSIONS_DEPLOYMENT};
pub use services::{CONVERSATIONS_EVENTS, NotificationKindPatch, ServicePatch};
pub use timers::{TimerLimits, TimersInput, parse_duration};
pub use tokens::{CLOCK_SKEW_SECS, MAX_TTL_SECS, NewToken, TOKEN_CTY, TokenCache, TokenIdentity};
pub use typing::Typing;
pub use users::{NewUser, UserPatch};
pub use webhooks::WebhookConfigPatch;

use crate::events::ChatEvent;
use crate::secrets::Secrets;
use crate::store::{Service, Store};

/// The chat domain: every operation the API offers, over one store.
#[derive(Clone)]
pub struct Chat {
    store: Arc<dyn Store>,
    auth: Arc<AuthCache>,
    /// Services by SID. Every request resolves its service, and services change rarely, so they
    /// are served from memory; updates and deletes through this process refresh the entry.
    services: Arc<Memo<String, Arc<Service>>>,
    /// Calls pre-event webhooks (approves everything until a real client is plugged in).
    pre_hook: Arc<dyn PreEventHook>,
    /// After-commit events of every node.
    bus: tokio::sync::broadcast::Sender<ChatEvent>,
    /// (service SID, channel SID or unique name) → channel SID, for single-process stores.
    channel_keys: Arc<Memo<(String, String), (String, bool)>>,
    /// (channel SID, identity) → participant (member) SID, for single-process stores: the
    /// Conversations API renders a message's `participant_sid`. Forgotten whenever a
    /// membership may have changed.
    participants: Arc<Memo<(String, String), Option<String>>>,
    /// Seals auth tokens, API key secrets and push credential material before they are stored.
    secrets: Arc<Secrets>,
    /// Access Tokens verified by this process, until they expire or a revocation moves the
    /// auth epoch.
    tokens: Arc<TokenCache>,
    /// The change-log readers that feed this process's client sockets.
    feeds: Arc<feed::Feeds>,
    /// Typing indicators of every node.
    typing: tokio::sync::broadcast::Sender<typing::Typing>,
    /// This process as a holder of presence rows.
    node: Arc<presence::Node>,
    /// Media files, when configured (deleting a media message deletes its file).
    blobs: Option<Arc<dyn crate::media::Blobs>>,
    /// The largest media file in MB.
    media_limit_mb: u64,
    /// The shortest conversation timers accepted.
    timer_limits: TimerLimits,
}

/// Services remembered per process before the cache starts over.
const MAX_REMEMBERED_SERVICES: usize = 100_000;

/// Approves every action without a network call (operator commands, tests).
struct ApproveAll;

#[async_trait::async_trait]
impl PreEventHook for ApproveAll {
    async fn call(&self, _: HookRequest) -> Result<Option<serde_json::Value>, HookFailure> {
        Ok(None)
    }
}

impl Chat {
    /// Builds the domain over `store`; `secrets` seals what it stores of credentials.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, secrets: Arc<Secrets>) -> Self {
        let auth = Arc::new(AuthCache::default());
        let (bus, _) = tokio::sync::broadcast::channel(crate::events::CAPACITY);
        Self {
            store,
            auth,
            services: Arc::new(Memo::new(MAX_REMEMBERED_SERVICES)),
            pre_hook: Arc::new(ApproveAll),
            bus,
            channel_keys: Arc::new(Memo::new(channels::MAX_REMEMBERED_CHANNELS)),
            participants: Arc::new(Memo::new(channels::MAX_REMEMBERED_CHANNELS)),
            secrets,
            tokens: Arc::new(TokenCache::default()),
            feeds: Arc::new(feed::Feeds::default()),
            typing: tokio::sync::broadcast::channel(typing::TYPING_CAPACITY).0,
            node: Arc::new(presence::Node::new(PresenceSettings::default())),
            blobs: None,
            media_limit_mb: crate::media::DEFAULT_SIZE_LIMIT_MB,
            timer_limits: TimerLimits::default(),
        }
    }

    /// Keeps presence (reachability) with `settings`.
    #[must_use]
    pub fn with_presence(mut self, settings: PresenceSettings) -> Self {
        self.node = Arc::new(presence::Node::new(settings));
        self
    }

    /// Accepts conversation timers down to `limits` (Twilio's minima unless lowered).
    #[must_use]
    pub fn with_timer_limits(mut self, limits: TimerLimits) -> Self {
        self.timer_limits = limits;
        self
    }

    /// Uses `hook` for pre-event webhooks.
    #[must_use]
    pub fn with_pre_hook(mut self, hook: Arc<dyn PreEventHook>) -> Self {
        self.pre_hook = hook;
        self
    }

    /// Subscribes to the after-commit events of every node.
    #[must_use]
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChatEvent> {
        self.bus.subscribe()
    }

    /// The store, for operator commands and tests.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
