//! Access Tokens: every refusal with Twilio's code (through the domain, as the CLI and the
//! next slice's HTTP authentication call it), and `banter token` through the real binary.

use banter::chat::{Chat, ChatError, TokenIdentity};
use banter::store::ApiKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::harness::TestApp;

struct Fixture {
    app: TestApp,
    op: Chat,
    key: ApiKey,
    service_sid: String,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let service_sid = app.service().await["sid"].as_str().unwrap().to_owned();
    let op = app.operator().await;
    let key = op.create_api_key(&app.account_sid, "k").await.unwrap();
    Fixture {
        app,
        op,
        key,
        service_sid,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Fixture {
    /// The claims twilio-python's `AccessToken` + `ChatGrant` produce.
    fn claims(&self) -> Value {
        let now = now();
        json!({
            "jti": format!("{}-{now}", self.key.sid),
            "iss": self.key.sid,
            "sub": self.app.account_sid,
            "nbf": now,
            "exp": now + 3600,
            "grants": {"identity": "alice", "chat": {"service_sid": self.service_sid}},
        })
    }

    fn sign(&self, claims: &Value) -> String {
        sign(Algorithm::HS256, Some("twilio-fpa;v=1"), claims, &self.key.secret)
    }

    /// A token of `claims` changed by `edit`, signed with the fixture's key.
    fn token_with(&self, edit: impl FnOnce(&mut Value)) -> String {
        let mut claims = self.claims();
        edit(&mut claims);
        self.sign(&claims)
    }

    async fn code_of(&self, jwt: &str) -> u32 {
        code(self.op.verify_token(jwt).await)
    }
}

pub(crate) fn sign(alg: Algorithm, cty: Option<&str>, claims: &Value, secret: &str) -> String {
    let header = Header {
        cty: cty.map(str::to_owned),
        ..Header::new(alg)
    };
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn code(r: Result<TokenIdentity, ChatError>) -> u32 {
    match r {
        Err(ChatError::Twilio { code, message }) => {
            assert!(!message.is_empty());
            code
        }
        other => panic!("expected a token refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn token_minted_like_twilio_python_verifies() {
    let f = fixture().await;
    let claims = f.claims();
    let id = f.op.verify_token(&f.sign(&claims)).await.unwrap();
    assert_eq!(id.account_sid, f.app.account_sid);
    assert_eq!(id.key_sid, f.key.sid);
    assert_eq!(id.service_sid, f.service_sid);
    assert_eq!(id.identity, "alice");
    assert_eq!(id.expires_at, claims["exp"].as_i64().unwrap());
    assert_eq!(id.endpoint_id, None);
}

#[tokio::test]
async fn token_hs384_hs512_and_legacy_ip_messaging_grant_are_accepted() {
    let f = fixture().await;
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let jwt = sign(alg, Some("twilio-fpa;v=1"), &f.claims(), &f.key.secret);
        assert_eq!(f.op.verify_token(&jwt).await.unwrap().identity, "alice");
    }
    let jwt = f.token_with(|c| {
        c["grants"] = json!({
            "identity": "user@example.com",
            "ip_messaging": {
                "service_sid": f.service_sid,
                "endpoint_id": "HipFlowSlackDockRC:user@example.com:someiosdevice",
                "push_credential_sid": "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "deployment_role_sid": "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            },
        });
    });
    let id = f.op.verify_token(&jwt).await.unwrap();
    assert_eq!(id.identity, "user@example.com");
    assert_eq!(
        id.endpoint_id.as_deref(),
        Some("HipFlowSlackDockRC:user@example.com:someiosdevice")
    );
    assert_eq!(
        id.push_credential_sid.as_deref(),
        Some("CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    );
    assert_eq!(
        id.deployment_role_sid.as_deref(),
        Some("RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    );
}

#[tokio::test]
async fn token_malformed_is_20101() {
    let f = fixture().await;
    let good = f.sign(&f.claims());
    let (header, rest) = good.split_once('.').unwrap();
    for jwt in [
        String::new(),
        "abc".to_owned(),
        "a.b".to_owned(),
        format!("{good}.x"),
        format!("{header}.!!!.sig"),
        format!("@@@.{rest}"),
    ] {
        assert_eq!(f.code_of(&jwt).await, 20101, "{jwt}");
    }
}

#[tokio::test]
async fn token_bad_header_is_20102() {
    let f = fixture().await;
    let claims = f.claims();
    assert_eq!(
        f.code_of(&sign(Algorithm::HS256, None, &claims, &f.key.secret)).await,
        20102
    );
    let wrong_cty = sign(Algorithm::HS256, Some("JWT"), &claims, &f.key.secret);
    assert_eq!(f.code_of(&wrong_cty).await, 20102);
    // `alg: none` with the right cty and no signature.
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "cty": "twilio-fpa;v=1"})),
        b64(&claims)
    );
    assert_eq!(f.code_of(&none).await, 20102);
}

#[tokio::test]
async fn token_unknown_key_or_foreign_subject_is_20103() {
    let f = fixture().await;
    let unknown = "SKffffffffffffffffffffffffffffffff";
    let jwt = f.token_with(|c| c["iss"] = json!(unknown));
    assert_eq!(f.code_of(&jwt).await, 20103);
    let jwt = f.token_with(|c| c["iss"] = json!("not-a-key"));
    assert_eq!(f.code_of(&jwt).await, 20103);
    // A key of another account, signed correctly, claiming this account.
    let (other, _) = f.app.other_account().await;
    let other_key = f.op.create_api_key(&other, "o").await.unwrap();
    let mut claims = f.claims();
    claims["iss"] = json!(other_key.sid);
    let jwt = sign(Algorithm::HS256, Some("twilio-fpa;v=1"), &claims, &other_key.secret);
    assert_eq!(f.code_of(&jwt).await, 20103);
    // This account's key claiming the other account.
    let jwt = f.token_with(|c| c["sub"] = json!(other));
    assert_eq!(f.code_of(&jwt).await, 20103);
}

#[tokio::test]
async fn token_bad_signature_is_20107() {
    let f = fixture().await;
    let claims = f.claims();
    let wrong_secret = sign(Algorithm::HS256, Some("twilio-fpa;v=1"), &claims, "not-the-secret");
    assert_eq!(f.code_of(&wrong_secret).await, 20107);
    // A valid token whose payload was changed after signing.
    let good = f.sign(&claims);
    let parts: Vec<&str> = good.split('.').collect();
    let mut forged = claims.clone();
    forged["grants"]["identity"] = json!("mallory");
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
    assert_eq!(f.code_of(&tampered).await, 20107);
}

#[tokio::test]
async fn token_expiry_not_before_and_lifetime() {
    let f = fixture().await;
    let t = now();
    // Expired (beyond the 60 s clock skew), missing or malformed exp: 20104.
    let jwt = f.token_with(|c| {
        c["nbf"] = json!(t - 7200);
        c["exp"] = json!(t - 120);
    });
    assert_eq!(f.code_of(&jwt).await, 20104);
    let jwt = f.token_with(|c| {
        c.as_object_mut().unwrap().remove("exp");
    });
    assert_eq!(f.code_of(&jwt).await, 20104);
    let jwt = f.token_with(|c| c["exp"] = json!("tomorrow"));
    assert_eq!(f.code_of(&jwt).await, 20104);
    // Within the skew: still accepted.
    let jwt = f.token_with(|c| {
        c["nbf"] = json!(t - 600);
        c["exp"] = json!(t - 20);
    });
    assert!(f.op.verify_token(&jwt).await.is_ok());
    // Not yet valid: 20105 (nbf beyond the skew), accepted within it.
    let jwt = f.token_with(|c| {
        c["nbf"] = json!(t + 300);
        c["exp"] = json!(t + 900);
    });
    assert_eq!(f.code_of(&jwt).await, 20105);
    let jwt = f.token_with(|c| {
        c["nbf"] = json!(t + 20);
        c["exp"] = json!(t + 900);
    });
    assert!(f.op.verify_token(&jwt).await.is_ok());
    // A lifetime above 24 hours, from nbf, or from the jti time without nbf: 20104.
    let jwt = f.token_with(|c| c["exp"] = json!(t + 86_400 + 100));
    assert_eq!(f.code_of(&jwt).await, 20104);
    let jwt = f.token_with(|c| {
        c.as_object_mut().unwrap().remove("nbf");
        c["exp"] = json!(t + 86_400 + 100);
    });
    assert_eq!(f.code_of(&jwt).await, 20104);
    // Exactly 24 hours is fine.
    let jwt = f.token_with(|c| c["exp"] = json!(t + 86_400));
    assert!(f.op.verify_token(&jwt).await.is_ok());
}

#[tokio::test]
async fn token_bad_grants_are_20106() {
    let f = fixture().await;
    let (other, _) = f.app.other_account().await;
    let foreign = f.op.create_service(&other, "theirs").await.unwrap().sid;
    let edits: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
        (
            "no grants",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("grants");
            }),
        ),
        ("grants not an object", Box::new(|c| c["grants"] = json!("chat"))),
        (
            "no chat grant",
            Box::new(|c| c["grants"] = json!({"identity": "alice", "video": {"room": "r"}})),
        ),
        ("no service_sid", Box::new(|c| c["grants"]["chat"] = json!({}))),
        (
            "unknown service",
            Box::new(|c| c["grants"]["chat"]["service_sid"] = json!("ISffffffffffffffffffffffffffffffff")),
        ),
        (
            "not a service sid",
            Box::new(|c| c["grants"]["chat"]["service_sid"] = json!("x")),
        ),
        (
            "another account's service",
            Box::new(move |c| c["grants"]["chat"]["service_sid"] = json!(foreign)),
        ),
        ("empty identity", Box::new(|c| c["grants"]["identity"] = json!(""))),
        (
            "no identity",
            Box::new(|c| {
                c["grants"].as_object_mut().unwrap().remove("identity");
            }),
        ),
    ];
    for (case, edit) in edits {
        let jwt = f.token_with(|c| edit(c));
        assert_eq!(f.code_of(&jwt).await, 20106, "{case}");
    }
}

#[tokio::test]
async fn token_refusals_are_401_in_twilio_error_form() {
    let f = fixture().await;
    let err = f.op.verify_token("abc").await.unwrap_err();
    let api = banter::http::error::ApiError::from(err);
    assert_eq!(api.status.as_u16(), 401);
    assert_eq!(api.code, 20101);
    assert!(api.message.starts_with("Invalid Access Token"), "{}", api.message);
}

#[tokio::test]
async fn token_of_a_deleted_key_is_refused_at_once_even_when_cached() {
    let f = fixture().await;
    let jwt = f.sign(&f.claims());
    // Verified (and remembered) by this handle; another handle has never seen it.
    f.op.verify_token(&jwt).await.unwrap();
    f.op.verify_token(&jwt).await.unwrap();
    assert_eq!(f.op.token_cache().len(), 1);
    f.op.delete_api_key(&f.app.account_sid, &f.key.sid).await.unwrap();
    assert_eq!(f.code_of(&jwt).await, 20103);
    let fresh = f.app.operator().await;
    assert_eq!(code(fresh.verify_token(&jwt).await), 20103);
}

/// Runs the `banter` binary against the test app's database; returns (success, stdout, stderr).
async fn banter(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_banter"));
    cmd.args(args);
    // The data directory holds the server key on both backends.
    cmd.arg("--data-dir").arg(&app.store.data_dir);
    if let Some(url) = &app.store.database_url {
        cmd.arg("--database-url").arg(url);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[tokio::test]
async fn token_cli_mints_a_token_that_verifies() {
    let f = fixture().await;
    let (app, svc) = (&f.app, f.service_sid.as_str());
    // With a given key: stdout is only the JWT.
    let (ok, out, err) = banter(
        app,
        &[
            "token",
            "--account",
            &app.account_sid,
            "--service",
            svc,
            "--identity",
            "alice",
            "--ttl",
            "600",
            "--key",
            &f.key.sid,
        ],
    )
    .await;
    assert!(ok, "{err}");
    let jwt = out.trim_end_matches('\n');
    assert_eq!(jwt.split('.').count(), 3, "{out}");
    assert!(!jwt.contains(char::is_whitespace));
    let id = f.op.verify_token(jwt).await.unwrap();
    assert_eq!((id.identity.as_str(), id.service_sid.as_str()), ("alice", svc));
    assert_eq!(id.key_sid, f.key.sid);
    assert!((id.expires_at - now() - 600).abs() <= 5);

    // Without a key: a new one is created and named on stderr.
    let (ok, out, err) = banter(
        app,
        &[
            "token",
            "--account",
            &app.account_sid,
            "--service",
            svc,
            "--identity",
            "bob",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let id = f.op.verify_token(out.trim()).await.unwrap();
    assert_eq!(id.identity, "bob");
    assert_ne!(id.key_sid, f.key.sid);
    assert!(err.contains(&id.key_sid), "{err}");

    // `banter token verify` prints the identity, or the refusal's code.
    let (ok, out, err) = banter(app, &["token", "verify", jwt]).await;
    assert!(ok, "{err}");
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed["identity"], "alice");
    assert_eq!(printed["service_sid"], svc);
    let (ok, out, _) = banter(app, &["token", "verify", &format!("{jwt}x")]).await;
    assert!(!ok);
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed["code"], 20107);

    // A TTL above 24 hours, another account's service, or someone else's key: refused.
    let too_long = [
        "token",
        "--account",
        &app.account_sid,
        "--service",
        svc,
        "--identity",
        "a",
        "--ttl",
        "86401",
    ];
    assert!(!banter(app, &too_long).await.0);
    let (other, _) = app.other_account().await;
    let foreign = f.op.create_service(&other, "theirs").await.unwrap().sid;
    let args = [
        "token",
        "--account",
        &app.account_sid,
        "--service",
        &foreign,
        "--identity",
        "a",
        "--key",
        &f.key.sid,
    ];
    assert!(!banter(app, &args).await.0);
    let other_key = f.op.create_api_key(&other, "o").await.unwrap();
    let args = [
        "token",
        "--account",
        &app.account_sid,
        "--service",
        svc,
        "--identity",
        "a",
        "--key",
        &other_key.sid,
    ];
    assert!(!banter(app, &args).await.0);
}
