//! The chat API the SDKs reach through the socket (Twilio's "aim" host): for now the
//! configuration document that twilio-chat 6 (`Client/v1/Configuration`) and conversations 3
//! (`Client/v2/Configuration`) read first.
//!
//! Every link is an absolute URL under Banter's base URL: the SDK hands links straight to
//! twilsock, which accepts only `http(s)://` URLs, and media links are fetched directly.
//! The resources behind the links come with later slices; until then they answer 404.

use serde_json::{Value, json};

use super::tunnel::{Endpoint, Routes, TunnelContext, TunnelRequest, TunnelResponse};
use crate::chat::client_config::ClientConfiguration;

/// The tunnelled routes this module serves.
#[must_use]
pub fn routes(routes: Routes) -> Routes {
    routes
        .add("GET", "/Client/v1/Configuration", Configuration)
        .add("GET", "/Client/v2/Configuration", Configuration)
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

/// What a path segment keeps unencoded: RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (identities may hold `@`, spaces, `/`).
fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
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
