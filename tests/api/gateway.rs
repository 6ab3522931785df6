//! The client SDK socket (twilsock v3 at `/v3/wsconnect`), driven by a raw WebSocket client:
//! framing, `init`, `update`, `ping`, bounds, and tunnelled requests.

use std::time::Duration;

use banter::gateway::frame::Frame;
use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::TestApp;
use crate::harness::users::EndUser;

type Plain = MaybeTlsStream<tokio::net::TcpStream>;

/// How long a test waits for any one frame.
const WAIT: Duration = Duration::from_secs(10);

/// One test client socket, over plain TCP or any other stream (TLS).
pub(crate) struct Client<S = Plain> {
    pub(crate) ws: WebSocketStream<S>,
}

impl Client {
    pub(crate) async fn connect(app: &TestApp) -> Self {
        let url = format!("{}/v3/wsconnect", app.base.replacen("http", "ws", 1));
        let (ws, resp) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
        assert_eq!(resp.status(), 101);
        Self { ws }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Sends a frame built by hand (the codec under test is not used to write).
    pub(crate) async fn send(&mut self, header: Value, payload: &str) {
        let mut header = header;
        header["payload_size"] = json!(payload.len());
        let header = header.to_string();
        let bytes = format!("TWILSOCK V3.0 {}\r\n{header}\r\n{payload}", header.len());
        self.ws.send(Message::binary(bytes.into_bytes())).await.expect("send");
    }

    /// The next WebSocket message (pings and pongs skipped); `None` once the socket ended.
    pub(crate) async fn next(&mut self) -> Option<Message> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message in time")
            {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(m)) => return Some(m),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// The next twilsock frame.
    pub(crate) async fn frame(&mut self) -> Frame {
        match self.next().await {
            Some(Message::Binary(b)) => Frame::parse(&b).expect("a twilsock frame"),
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    /// Expects the WebSocket close frame with `code`, then the end of the socket.
    pub(crate) async fn expect_closed(&mut self, code: u16) {
        match self.next().await {
            Some(Message::Close(Some(f))) => assert_eq!(f.code, CloseCode::from(code), "{f:?}"),
            other => panic!("expected close {code}, got {other:?}"),
        }
        assert!(self.next().await.is_none(), "the socket ends after the close frame");
    }

    /// Expects a twilsock `close` with `code` (and `error_code`), then WebSocket close `ws`.
    pub(crate) async fn expect_twilsock_close(&mut self, code: u16, error_code: Option<u32>, ws: u16) -> Frame {
        let f = self.frame().await;
        assert_eq!(f.method(), Some("close"), "{:?}", f.header);
        assert_eq!(f.header["status"]["code"], code, "{:?}", f.header);
        assert_eq!(
            f.header["status"].get("errorCode").and_then(Value::as_u64),
            error_code.map(u64::from)
        );
        self.expect_closed(ws).await;
        f
    }

    pub(crate) async fn init_with(&mut self, jwt: &str, extra: Value) -> Frame {
        let mut header = json!({"id": "TMinit", "method": "init", "token": jwt, "continuation_token": null,
                                "capabilities": ["client_update", "offline_storage", "telemetry.v1"],
                                "metadata": {"sdk": "test"}, "registrations": null, "tweaks": null});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            header[k] = v;
        }
        self.send(header, "").await;
        let reply = self.frame().await;
        assert_eq!(reply.method(), Some("reply"));
        assert_eq!(reply.id(), Some("TMinit"));
        reply
    }

    pub(crate) async fn init(&mut self, jwt: &str) -> Frame {
        let reply = self.init_with(jwt, json!({})).await;
        assert_eq!(
            reply.header["status"],
            json!({"code": 200, "status": "OK"}),
            "{:?}",
            reply.header
        );
        reply
    }

    /// A tunnelled request; returns the reply header and its JSON payload.
    pub(crate) async fn request(&mut self, id: &str, method: &str, path: &str) -> (Frame, Value) {
        let header = json!({"id": id, "method": "message", "active_grant": "ip_messaging",
                            "payload_type": "application/json; charset=utf-8",
                            "http_request": {"host": "aim.us1.twilio.com", "path": path, "method": method,
                                             "params": {}, "headers": {"Content-Type": "application/json; charset=utf-8"}}});
        self.send(header, "").await;
        let reply = self.frame().await;
        assert_eq!(reply.id(), Some(id));
        assert_eq!(
            reply.header["status"]["code"], 200,
            "transport status: {:?}",
            reply.header
        );
        let body = serde_json::from_slice(&reply.payload).unwrap_or(Value::Null);
        (reply, body)
    }

    /// A tunnelled request as the SDKs send it: `params` (a JSON object of query values),
    /// extra `headers`, a body of `payload_type`. Returns the HTTP status and the JSON body
    /// (`Null` for an empty one).
    pub(crate) async fn request_with(
        &mut self,
        method: &str,
        path: &str,
        params: Value,
        headers: Value,
        payload_type: &str,
        payload: &str,
    ) -> (u16, Value) {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = format!("TMr{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let mut all_headers = json!({"Content-Type": payload_type});
        for (k, v) in headers.as_object().cloned().unwrap_or_default() {
            all_headers[k] = v;
        }
        let header = json!({"id": id, "method": "message", "active_grant": "ip_messaging",
                            "payload_type": payload_type,
                            "http_request": {"host": "aim.us1.twilio.com", "path": path, "method": method,
                                             "params": params, "headers": all_headers}});
        self.send(header, payload).await;
        let reply = self.frame().await;
        assert_eq!(reply.id(), Some(id.as_str()));
        assert_eq!(
            reply.header["status"]["code"], 200,
            "transport status: {:?}",
            reply.header
        );
        let status = reply.header["http_status"]["code"].as_u64().expect("http_status") as u16;
        let body = serde_json::from_slice(&reply.payload).unwrap_or(Value::Null);
        (status, body)
    }

    /// A tunnelled JSON request (GET and DELETE send `null`, as twilio-chat does); returns the
    /// HTTP status and the JSON body.
    pub(crate) async fn request_json(&mut self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let payload = body.to_string();
        self.request_with(
            method,
            path,
            json!({}),
            json!({}),
            "application/json; charset=utf-8",
            &payload,
        )
        .await
    }
}

pub(crate) async fn with_user(app: &TestApp, identity: &str) -> (String, EndUser) {
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let user = app.end_user(&service, identity).await;
    (service, user)
}

/// A socket initialised with `user`'s token.
pub(crate) async fn socket_of(app: &TestApp, user: &EndUser) -> Client {
    let mut c = Client::connect(app).await;
    c.init(&user.jwt).await;
    c
}

/// A new service, its end user `identity`, and a socket initialised with their token.
pub(crate) async fn signed_in(app: &TestApp, identity: &str) -> (String, Client) {
    let (service, user) = with_user(app, identity).await;
    let mut c = Client::connect(app).await;
    c.init(&user.jwt).await;
    (service, c)
}

#[tokio::test]
async fn gateway_init_with_a_valid_token_is_accepted_with_a_continuation_token() {
    // Arrange
    let app = TestApp::spawn().await;
    let (service, alice) = with_user(&app, "alice").await;
    let mut c = Client::connect(&app).await;

    // Act
    let reply = c.init(&alice.jwt).await;

    // Assert
    let h = &reply.header;
    assert!(h["continuation_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(h["continuation_token_status"]["reissued"], true);
    assert_eq!(
        h["continuation_token_status"]["reissue_reason"],
        "NO_CONTINUATION_TOKEN"
    );
    assert_eq!(h["capabilities"], json!(["client_update"]));
    assert_eq!(h["account_descriptor"]["account_sid"], app.account_sid.as_str());
    assert_eq!(h["account_descriptor"]["identity"], "alice");
    assert_eq!(
        h["account_descriptor"]["instance_sids"]["ip_messaging"],
        service.as_str()
    );
    assert!(h.get("offline_storage").is_none());

    // A reconnect with that token resumes the endpoint.
    let token = h["continuation_token"].clone();
    let mut again = Client::connect(&app).await;
    let resumed = again.init_with(&alice.jwt, json!({"continuation_token": token})).await;
    assert_eq!(resumed.header["continuation_token_status"]["reissued"], false);
}

#[tokio::test]
async fn gateway_init_with_a_bad_or_expired_token_is_refused_and_closed() {
    let app = TestApp::spawn().await;
    let (service, _) = with_user(&app, "alice").await;
    let op = app.operator().await;
    let key = op.create_api_key(&app.account_sid, "k").await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let expired = crate::tokens::sign(
        Algorithm::HS256,
        Some("twilio-fpa;v=1"),
        &json!({"jti": format!("{}-{}", key.sid, now - 7200), "iss": key.sid, "sub": app.account_sid,
                "nbf": now - 7200, "exp": now - 3600,
                "grants": {"identity": "alice", "chat": {"service_sid": service}}}),
        &key.secret,
    );
    for (jwt, error_code) in [("not-a-jwt", 20101), (expired.as_str(), 20104)] {
        let mut c = Client::connect(&app).await;
        let reply = c.init_with(jwt, json!({})).await;
        let status = &reply.header["status"];
        assert_eq!(status["code"], 401, "{status}");
        assert_eq!(status["status"], "UNAUTHORIZED");
        assert_eq!(status["errorCode"], error_code, "{status}");
        c.expect_closed(1008).await;
    }
}

#[tokio::test]
async fn gateway_ping_from_the_client_is_answered_and_server_pings_need_acks() {
    let app = TestApp::spawn_with(|cfg| cfg.gateway.ping_interval = Duration::from_millis(300)).await;
    let (_, mut c) = signed_in(&app, "alice").await;

    c.send(json!({"id": "TMp", "method": "ping"}), "").await;
    let reply = c.frame().await;
    assert_eq!((reply.method(), reply.id()), (Some("reply"), Some("TMp")));
    assert_eq!(reply.header["status"]["code"], 200);

    // The server pings; an acked ping keeps the socket, unanswered ones end it.
    let ping = c.frame().await;
    assert_eq!(ping.method(), Some("ping"));
    let ack = json!({"id": ping.id().unwrap(), "method": "reply", "payload_type": "application/json",
                     "status": {"code": 200, "status": "OK"}});
    c.send(ack, "").await;
    for _ in 0..2 {
        assert_eq!(c.frame().await.method(), Some("ping"));
    }
    c.expect_closed(1008).await;
}

#[tokio::test]
async fn gateway_update_accepts_the_same_identity_and_closes_for_another() {
    let app = TestApp::spawn().await;
    let (service, mut c) = signed_in(&app, "alice").await;

    // Same identity, new token: 200.
    let fresh = app.end_user(&service, "alice").await;
    c.send(json!({"id": "TMu1", "method": "update", "token": fresh.jwt}), "")
        .await;
    let reply = c.frame().await;
    assert_eq!(reply.id(), Some("TMu1"));
    assert_eq!(reply.header["status"]["code"], 200);

    // An invalid token: 401 with its code; the socket stays.
    c.send(json!({"id": "TMu2", "method": "update", "token": "x.y.z"}), "")
        .await;
    let reply = c.frame().await;
    assert_eq!(reply.header["status"]["code"], 401);
    assert_eq!(reply.header["status"]["errorCode"], 20101);
    let (_, body) = c.request("TMq", "GET", "/Client/v1/Configuration").await;
    assert_eq!(body["identity"], "alice");

    // Another identity: the update is refused (403 / 51232) and the socket closed.
    let bob = app.end_user(&service, "bob").await;
    c.send(json!({"id": "TMu3", "method": "update", "token": bob.jwt}), "")
        .await;
    let reply = c.frame().await;
    assert_eq!((reply.method(), reply.id()), (Some("reply"), Some("TMu3")));
    assert_eq!(reply.header["status"]["code"], 403);
    assert_eq!(reply.header["status"]["errorCode"], 51232);
    assert_eq!(reply.header["status"]["status"], "UPDATE_IS_FORBIDDEN");
    c.expect_closed(1008).await;
}

#[tokio::test]
async fn gateway_oversized_text_and_garbage_frames_are_closed_with_406() {
    let app = TestApp::spawn().await;
    let (_, alice) = with_user(&app, "alice").await;

    let mut c = Client::connect(&app).await;
    c.init(&alice.jwt).await;
    let big = "x".repeat(banter::gateway::frame::MAX_FRAME_BYTES);
    c.send(json!({"id": "TMbig", "method": "message"}), &big).await;
    c.expect_twilsock_close(406, Some(51214), 1009).await;

    let mut c = Client::connect(&app).await;
    c.init(&alice.jwt).await;
    c.ws.send(Message::text("TWILSOCK V3.0 2\r\n{}\r\n")).await.unwrap();
    c.expect_twilsock_close(406, Some(51214), 1003).await;

    let mut c = Client::connect(&app).await;
    c.ws.send(Message::binary(b"\x00\xffnot twilsock".to_vec()))
        .await
        .unwrap();
    c.expect_twilsock_close(406, Some(51214), 1002).await;

    // Far beyond the limit, the WebSocket layer itself refuses the message.
    let mut c = Client::connect(&app).await;
    let _ =
        c.ws.send(Message::binary(vec![b'x'; 8 * banter::gateway::frame::MAX_FRAME_BYTES]))
            .await;
    while let Some(m) = c.next().await {
        assert!(matches!(m, Message::Binary(_) | Message::Close(_)), "{m:?}");
    }
}

#[tokio::test]
async fn gateway_socket_without_init_is_closed_at_the_deadline() {
    let app = TestApp::spawn_with(|cfg| cfg.gateway.init_timeout = Duration::from_millis(300)).await;
    let mut c = Client::connect(&app).await;
    let started = std::time::Instant::now();
    c.expect_closed(1008).await;
    assert!(started.elapsed() >= Duration::from_millis(250));

    // A first frame other than init is refused too.
    let mut c = Client::connect(&app).await;
    c.send(json!({"id": "TM1", "method": "message"}), "").await;
    c.expect_twilsock_close(406, Some(51214), 1002).await;
}

#[tokio::test]
async fn gateway_unknown_methods_get_a_400_reply_and_the_socket_stays() {
    let app = TestApp::spawn().await;
    let (_, mut c) = signed_in(&app, "alice").await;

    c.send(json!({"id": "TMx", "method": "frobnicate"}), "").await;
    let reply = c.frame().await;
    assert_eq!(reply.id(), Some("TMx"));
    assert_eq!(reply.header["status"]["code"], 400);

    c.send(
        json!({"id": "TMn", "method": "put_notification_ctx", "notification_ctx_id": "n1"}),
        "{}",
    )
    .await;
    assert_eq!(c.frame().await.header["status"]["code"], 200);

    c.send(json!({"id": "TMt", "method": "telemetry.v1", "events": []}), "")
        .await;
    c.send(json!({"id": "TMm", "method": "message"}), "").await;
    let reply = c.frame().await;
    assert_eq!(reply.id(), Some("TMm"), "telemetry gets no reply");
    assert_eq!(reply.header["status"]["code"], 400);
}

#[tokio::test]
async fn gateway_tunnelled_configuration_describes_the_user_with_absolute_links() {
    let app = TestApp::spawn().await;
    let (service, mut c) = signed_in(&app, "alice@example.com").await;

    for path in ["/Client/v1/Configuration", "/Client/v2/Configuration"] {
        let (reply, body) = c.request("TMc", "GET", path).await;
        assert_eq!(reply.header["http_status"], json!({"code": 200, "status": "OK"}));
        assert_eq!(reply.header["payload_type"], "application/json");
        assert_eq!(body["identity"], "alice@example.com");
        assert_eq!(body["url"], format!("{}{path}", app.base));
        let user_sid = body["sync_objects"]["my_user_info"]
            .as_str()
            .unwrap()
            .trim_end_matches(".info");
        assert!(user_sid.starts_with("US") && user_sid.len() == 34, "{user_sid}");
        assert_eq!(body["sync_objects"]["my_conversations"], format!("{user_sid}.channels"));
        let base = format!("{}/Client/v2/Services/{service}", app.base);
        assert_eq!(body["links"]["conversations"], format!("{base}/Conversations"));
        assert_eq!(
            body["links"]["my_conversations"],
            format!("{base}/Users/{user_sid}/Conversations")
        );
        assert_eq!(
            body["links"]["current_user"],
            format!("{base}/Users/alice%40example.com")
        );
        assert_eq!(
            body["links"]["media_service"],
            format!("{}/mcs/v1/Services/{service}/Media", app.base)
        );
        assert_eq!(body["options"]["reachability_enabled"], false);
        assert_eq!(body["options"]["http_cache_interval"], "PT5S");
    }

    // The user was created on first use, with the identity of the token.
    let users = app.get_json(&format!("/v2/Services/{service}/Users")).await;
    assert_eq!(users["users"][0]["identity"], "alice@example.com");
}

#[tokio::test]
async fn gateway_links_use_the_public_url_when_set() {
    let app = TestApp::spawn_with(|cfg| cfg.public_url = Some("https://chat.example.com/".to_owned())).await;
    let (_, mut c) = signed_in(&app, "alice").await;
    let (_, body) = c.request("TMc", "GET", "/Client/v2/Configuration").await;
    assert_eq!(body["url"], "https://chat.example.com/Client/v2/Configuration");
    assert!(
        body["links"]["users"]
            .as_str()
            .unwrap()
            .starts_with("https://chat.example.com/Client/v2/Services/IS")
    );
}

#[tokio::test]
async fn gateway_unknown_tunnelled_path_is_a_404_in_twilio_form() {
    let app = TestApp::spawn().await;
    let (_, mut c) = signed_in(&app, "alice").await;

    let (reply, body) = c.request("TMu", "GET", "/Client/v2/Nothing/Here").await;
    assert_eq!(reply.header["http_status"], json!({"code": 404, "status": "Not Found"}));
    assert_eq!(body["code"], 20404);
    assert_eq!(body["status"], 404);
    assert_eq!(
        body["message"],
        "The requested resource /Client/v2/Nothing/Here was not found"
    );
    assert_eq!(body["more_info"], "https://www.twilio.com/docs/errors/20404");

    let (reply, body) = c.request("TMp", "POST", "/Client/v1/Configuration").await;
    assert_eq!(reply.header["http_status"]["code"], 405);
    assert_eq!(body["code"], 20004);
}

#[tokio::test]
async fn gateway_warns_before_the_token_expires() {
    let app = TestApp::spawn().await;
    let (service, _) = with_user(&app, "alice").await;
    let op = app.operator().await;
    let key = op.create_api_key(&app.account_sid, "k").await.unwrap();
    let short = op
        .mint_token(&banter::chat::NewToken {
            account_sid: app.account_sid.clone(),
            key_sid: key.sid,
            service_sid: service,
            identity: "alice".to_owned(),
            ttl_secs: 60,
        })
        .await
        .unwrap();
    let mut c = Client::connect(&app).await;
    c.init(&short).await;
    let update = c.frame().await;
    assert_eq!(update.method(), Some("client_update"));
    assert_eq!(update.header["client_update_type"], "token_about_to_expire");
}

#[tokio::test]
async fn gateway_socket_holds_a_connection_permit_until_it_closes() {
    // Arrange: one permit; the start-up probe's idle keep-alive connection gives it back
    // after the header-read timeout.
    let app = TestApp::spawn_with(|cfg| {
        cfg.max_connections = 1;
        cfg.header_read_timeout = Duration::from_millis(300);
    })
    .await;
    let op = app.operator().await;
    let service = op.create_service(&app.account_sid, "s").await.unwrap();
    let alice = app.end_user(&service.sid, "alice").await;
    let app_http = reqwest::Client::new();
    let mut c = loop {
        match tokio::time::timeout(Duration::from_secs(2), Client::connect_maybe(&app)).await {
            Ok(Some(c)) => break c,
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    c.init(&alice.jwt).await;
    // The header-read timeout does not apply to an upgraded socket.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (_, body) = c.request("TMq", "GET", "/Client/v1/Configuration").await;
    assert_eq!(body["identity"], "alice");

    // Act / Assert
    let blocked = tokio::time::timeout(
        Duration::from_millis(500),
        app_http.get(format!("{}/healthz", app.base)).send(),
    )
    .await;
    assert!(blocked.is_err(), "served while the socket holds the only permit");

    c.send(json!({"id": "TMc", "method": "close"}), "").await;
    drop(c);
    let served = tokio::time::timeout(WAIT, app_http.get(format!("{}/healthz", app.base)).send()).await;
    assert_eq!(served.expect("served once the socket closed").unwrap().status(), 200);
}

#[tokio::test]
async fn gateway_plain_get_is_a_400_in_twilio_form() {
    let app = TestApp::spawn().await;
    let r = app.http.get(format!("{}/v3/wsconnect", app.base)).send().await.unwrap();
    crate::harness::assert_twilio_error(r, 400, 20001).await;
}

impl Client {
    /// Connects, or `None` when the upgrade fails.
    async fn connect_maybe(app: &TestApp) -> Option<Self> {
        let url = format!("{}/v3/wsconnect", app.base.replacen("http", "ws", 1));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.ok()?;
        Some(Self { ws })
    }
}
