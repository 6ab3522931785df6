//! The chat API the SDKs reach through the socket (Twilio's "aim" host, `CLIENT_PROTOCOL.md`
//! §4): the configuration document that twilio-chat 6 (`Client/v1/Configuration`) and
//! conversations 3 (`Client/v2/Configuration`) read first, and the reads and commands behind
//! its links, all under `/Client/v2/Services/{IS}` (`{IS}` must be the token's service, else
//! 404).
//!
//! Every handler is thin: it parses the request (`input`), makes one domain call (two where a
//! representation needs the caller's own status) as the socket's end user, and renders the
//! result (`render`). Permissions, pre- and post-event webhooks and events are the domain's.
//! Commands carrying `X-Twilio-Mutation-Id` are remembered (`mutations`) so that a repeat is
//! answered without running twice.
//!
//! Every link is an absolute URL under Banter's base URL: the SDK hands links straight to
//! twilsock, which accepts only `http(s)://` URLs, and media links are fetched directly.
//!
//! | file | routes (`CLIENT_PROTOCOL.md` §4.3 numbers) |
//! |---|---|
//! | `users` | A2–A5 (the user's channels), A19–A21 (users) |
//! | `conversations` | A6–A10 (channels), A22 (typing), A23–A26 (conversations' extras) |
//! | `participants` | A11–A15 (members and invites) |
//! | `messages` | A16–A18 |

mod conversations;
mod input;
mod messages;
mod mutations;
mod participants;
mod render;
mod users;

use std::sync::Arc;

use serde_json::{Value, json};

use super::tunnel::{Endpoint, Routes, TunnelContext, TunnelRequest, TunnelResponse};
use crate::chat::ChatError;
use crate::chat::client_config::ClientConfiguration;
use input::Call;
use mutations::Mutations;
use render::segment;

/// The tunnelled routes this module serves.
#[must_use]
pub fn routes(routes: Routes) -> Routes {
    let memory = Arc::new(Mutations::new(
        mutations::CAPACITY,
        mutations::MAX_BYTES,
        mutations::TTL,
    ));
    #[rustfmt::skip]
    let table: &[(&'static str, &'static str, Op)] = &[
        ("GET",    "/Client/v2/Services/{IS}/Users/{US}/Conversations",                         Op::MyConversations),
        ("GET",    "/Client/v2/Services/{IS}/Users/{US}/Conversations/{CH}",                    Op::MyConversation),
        ("POST",   "/Client/v2/Services/{IS}/Users/{US}/Conversations/{CH}",                    Op::UpdateMyConversation),
        ("GET",    "/Client/v2/Services/{IS}/Conversations",                                    Op::PublicConversations),
        ("POST",   "/Client/v2/Services/{IS}/Conversations",                                    Op::CreateConversation),
        ("GET",    "/Client/v2/Services/{IS}/Conversations/{CH}",                               Op::Conversation),
        ("POST",   "/Client/v2/Services/{IS}/Conversations/{CH}",                               Op::UpdateConversation),
        ("DELETE", "/Client/v2/Services/{IS}/Conversations/{CH}",                               Op::DeleteConversation),
        ("POST",   "/Client/v2/Services/{IS}/Conversations/{CH}/Participants",                  Op::AddParticipant),
        ("GET",    "/Client/v2/Services/{IS}/Conversations/{CH}/Participants/{MB}",             Op::Participant),
        ("POST",   "/Client/v2/Services/{IS}/Conversations/{CH}/Participants/{MB}",             Op::UpdateParticipant),
        ("DELETE", "/Client/v2/Services/{IS}/Conversations/{CH}/Participants/{MB}",             Op::RemoveParticipant),
        ("POST",   "/Client/v2/Services/{IS}/Conversations/{CH}/Invites",                       Op::Invite),
        ("GET",    "/Client/v2/Services/{IS}/Conversations/{CH}/Invites/{identity}",            Op::InviteOf),
        ("DELETE", "/Client/v2/Services/{IS}/Conversations/{CH}/Invites/{identity}",            Op::DeclineInvite),
        ("POST",   "/Client/v2/Services/{IS}/Conversations/{CH}/Messages",                      Op::SendMessage),
        ("GET",    "/Client/v2/Services/{IS}/Conversations/{CH}/Messages/{IM}",                 Op::Message),
        ("POST",   "/Client/v2/Services/{IS}/Conversations/{CH}/Messages/{IM}",                 Op::UpdateMessage),
        ("DELETE", "/Client/v2/Services/{IS}/Conversations/{CH}/Messages/{IM}",                 Op::DeleteMessage),
        ("GET",    "/Client/v2/Services/{IS}/Conversations/{CH}/Messages/{IM}/Receipts",        Op::Receipts),
        ("GET",    "/Client/v2/Services/{IS}/Conversations/{CH}/Messages/{IM}/ChannelMetadata", Op::ChannelMetadata),
        ("GET",    "/Client/v2/Services/{IS}/Conversations/{CH}/MessageRecipients",             Op::Recipients),
        ("GET",    "/Client/v2/Services/{IS}/Users",                                            Op::Users),
        ("GET",    "/Client/v2/Services/{IS}/Users/{identity}",                                 Op::User),
        ("POST",   "/Client/v2/Services/{IS}/Users/{identity}",                                 Op::UpdateUser),
        ("POST",   "/Client/v2/Services/{IS}/Typing",                                           Op::Typing),
    ];
    let mut routes = routes.add("GET", "/Client/v1/Configuration", Configuration).add(
        "GET",
        "/Client/v2/Configuration",
        Configuration,
    );
    for &(method, pattern, op) in table {
        routes = routes.add(method, pattern, Aim::new(op, &memory));
    }
    routes.add(
        "GET",
        "/Client/v2/ContentTemplates",
        Aim::new(Op::ContentTemplates, &memory),
    )
}

/// One aim operation; [`Op::run`] names the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    MyConversations,
    MyConversation,
    UpdateMyConversation,
    PublicConversations,
    CreateConversation,
    Conversation,
    UpdateConversation,
    DeleteConversation,
    AddParticipant,
    Participant,
    UpdateParticipant,
    RemoveParticipant,
    Invite,
    InviteOf,
    DeclineInvite,
    SendMessage,
    Message,
    UpdateMessage,
    DeleteMessage,
    Receipts,
    ChannelMetadata,
    Recipients,
    Users,
    User,
    UpdateUser,
    Typing,
    ContentTemplates,
}

impl Op {
    async fn run(self, c: Call<'_>) -> Result<TunnelResponse, ChatError> {
        match self {
            Self::MyConversations => users::my_conversations(c).await,
            Self::MyConversation => users::my_conversation(c).await,
            Self::UpdateMyConversation => users::update_my_conversation(c).await,
            Self::PublicConversations => conversations::list_public(c).await,
            Self::CreateConversation => conversations::create(c).await,
            Self::Conversation => conversations::fetch(c).await,
            Self::UpdateConversation => conversations::update(c).await,
            Self::DeleteConversation => conversations::delete(c).await,
            Self::AddParticipant => participants::add(c).await,
            Self::Participant => participants::fetch(c).await,
            Self::UpdateParticipant => participants::update(c).await,
            Self::RemoveParticipant => participants::remove(c).await,
            Self::Invite => participants::invite(c).await,
            Self::InviteOf => participants::fetch_invite(c).await,
            Self::DeclineInvite => participants::decline(c).await,
            Self::SendMessage => messages::send(c).await,
            Self::Message => messages::fetch(c).await,
            Self::UpdateMessage => messages::update(c).await,
            Self::DeleteMessage => messages::delete(c).await,
            Self::Receipts => conversations::receipts(c).await,
            Self::ChannelMetadata => Ok(conversations::channel_metadata()),
            Self::Recipients => conversations::recipients(c).await,
            Self::Users => users::list(c).await,
            Self::User => users::fetch(c).await,
            Self::UpdateUser => users::update(c).await,
            Self::Typing => conversations::typing(c).await,
            Self::ContentTemplates => Ok(conversations::content_templates()),
        }
    }
}

/// An aim route: checks the path's service, answers a repeated mutation id from memory, and
/// runs the operation.
struct Aim {
    op: Op,
    memory: Arc<Mutations>,
}

impl Aim {
    fn new(op: Op, memory: &Arc<Mutations>) -> Self {
        Self {
            op,
            memory: Arc::clone(memory),
        }
    }
}

#[async_trait::async_trait]
impl Endpoint for Aim {
    async fn call(&self, ctx: &TunnelContext, req: &TunnelRequest, args: &[String]) -> TunnelResponse {
        // Every route but ContentTemplates starts with `{IS}`.
        let args = match args.split_first() {
            Some((service, rest)) if *service == ctx.token.service_sid => rest,
            Some(_) => return TunnelResponse::not_found(&req.path),
            None => args,
        };
        // Typing is no command: the SDK sends it without a mutation id.
        let command = req.method != "GET" && self.op != Op::Typing;
        let key = mutations::mutation_id(req)
            .filter(|_| command)
            .map(|id| (ctx.token.account_sid.clone(), ctx.token.identity.clone(), id.to_owned()));
        if let Some(key) = &key
            && let Some(answer) = self.memory.recall(key)
        {
            return answer;
        }
        let call = Call { ctx, req, args };
        let answer = match self.op.run(call).await {
            Ok(answer) => answer,
            Err(e) => TunnelResponse::error(&e, &req.path),
        };
        if let Some(key) = key {
            self.memory.remember(key, &answer);
        }
        answer
    }
}

/// `GET /Client/v1/Configuration`, `GET /Client/v2/Configuration`
///
/// `200` with the document; the user is created on first use.
struct Configuration;

#[async_trait::async_trait]
impl Endpoint for Configuration {
    async fn call(&self, ctx: &TunnelContext, req: &TunnelRequest, _: &[String]) -> TunnelResponse {
        match ctx.chat.client_configuration(&ctx.caller).await {
            Ok(config) => TunnelResponse::json(200, document(&config, &ctx.base_url, &req.path)),
            Err(e) => TunnelResponse::error(&e, &req.path),
        }
    }
}

/// The configuration document (`ConfigurationResponse` in the SDKs' type declarations).
fn document(c: &ClientConfiguration, base: &str, path: &str) -> Value {
    let service = format!("{base}/Client/v2/Services/{}", c.service_sid);
    let media = format!("{base}/mcs/v1/Services/{}", c.service_sid);
    json!({
        "identity": c.identity,
        "url": format!("{base}{path}"),
        "options": {
            "consumption_report_interval": format!("PT{}S", c.consumption_report_interval_secs),
            "http_cache_interval": format!("PT{}S", c.http_cache_interval_secs),
            "user_infos_to_subscribe": c.user_infos_to_subscribe,
            "reachability_enabled": c.reachability_enabled,
            "my_conversations_page_size": c.my_conversations_page_size,
            "media_attachments_count_limit": c.media_attachments_count_limit,
            "media_attachment_size_limit_in_mb": c.media_attachment_size_limit_mb,
            "media_attachments_total_size_limit_in_mb": c.media_attachment_size_limit_mb,
            "email_histories_allowed_mime_types": [],
            "email_bodies_allowed_mime_types": [],
        },
        "sync_objects": {
            "my_conversations": format!("{}.channels", c.user_sid),
            "my_user_info": format!("{}.info", c.user_sid),
        },
        "links": {
            "my_conversations": format!("{service}/Users/{}/Conversations", c.user_sid),
            "conversations": format!("{service}/Conversations"),
            "users": format!("{service}/Users"),
            "current_user": format!("{service}/Users/{}", segment(&c.identity)),
            "typing": format!("{service}/Typing"),
            "media_service": format!("{media}/Media"),
            "media_set_service": format!("{media}/MediaSet"),
            "messages_receipts": format!("{service}/Conversations/%s/Messages/%s/Receipts"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_absolute_and_receipts_have_two_placeholders() {
        let c = ClientConfiguration {
            identity: "a b@c".to_owned(),
            user_sid: "US1".to_owned(),
            service_sid: "IS1".to_owned(),
            reachability_enabled: false,
            consumption_report_interval_secs: 10,
            http_cache_interval_secs: 5,
            user_infos_to_subscribe: 100,
            my_conversations_page_size: 50,
            media_attachments_count_limit: 1,
            media_attachment_size_limit_mb: 150,
        };
        let doc = document(&c, "https://chat.example.com", "/Client/v1/Configuration");
        assert_eq!(doc["url"], "https://chat.example.com/Client/v1/Configuration");
        for (name, link) in doc["links"].as_object().unwrap() {
            assert!(
                link.as_str().unwrap().starts_with("https://chat.example.com/"),
                "{name}"
            );
        }
        assert_eq!(
            doc["links"]["current_user"],
            "https://chat.example.com/Client/v2/Services/IS1/Users/a%20b%40c"
        );
        assert_eq!(
            doc["links"]["messages_receipts"]
                .as_str()
                .unwrap()
                .matches("%s")
                .count(),
            2
        );
        assert_eq!(doc["options"]["consumption_report_interval"], "PT10S");
        assert_eq!(doc["sync_objects"]["my_user_info"], "US1.info");
    }
}
