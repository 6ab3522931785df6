//! The Media Content Service over plain HTTP: upload (raw and multipart), fetch, signed
//! download with ranges, CORS, the size limit, and who may read what.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::harness::{TestApp, assert_date, assert_sid, assert_twilio_error, created, json, ok_json};

/// Bytes that are not text, so nothing along the way could have rewritten them.
pub fn sample(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// Uploads `bytes` to `service` as the operator (raw body, the client SDKs' way).
pub async fn upload(app: &TestApp, service: &str, bytes: Vec<u8>, ctype: &str, filename: Option<&str>) -> Value {
    let mut url = format!("{}/mcs/v1/Services/{service}/Media", app.base);
    if let Some(f) = filename {
        url = format!("{url}?Filename={f}");
    }
    let r = app
        .http
        .post(url)
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .header("content-type", ctype)
        .body(bytes)
        .send()
        .await
        .expect("send");
    created(r).await
}

/// A new channel of `service`; returns its path.
pub async fn channel(app: &TestApp, service: &str) -> String {
    let ch = created(
        app.post(&format!("/v2/Services/{service}/Channels"), &[])
            .send()
            .await
            .unwrap(),
    )
    .await;
    format!("/v2/Services/{service}/Channels/{}", ch["sid"].as_str().unwrap())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn raw_upload_fetch_and_signed_download_round_trip() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let bytes = sample(300_000);
    let m = upload(&app, &service, bytes.clone(), "image/png", Some("cat%20one.png")).await;
    assert_sid(&m["sid"], "ME");
    let sid = m["sid"].as_str().unwrap();
    assert_eq!(m["service_sid"], service.as_str());
    assert_eq!(m["account_sid"], app.account_sid.as_str());
    assert_eq!(m["size"], 300_000);
    assert_eq!(m["content_type"], "image/png");
    assert_eq!(m["filename"], "cat one.png");
    assert_eq!(m["author"], "system");
    assert_eq!(m["category"], "media");
    assert_eq!(m["channel_sid"], Value::Null);
    assert_eq!(m["message_sid"], Value::Null);
    assert_date(&m["date_created"]);
    assert_date(&m["date_updated"]);
    assert_eq!(m["url"], format!("/v1/Services/{service}/Media/{sid}"));
    assert_eq!(
        m["links"]["content"],
        format!("/v1/Services/{service}/Media/{sid}/Content")
    );

    // Fetch, on both path forms.
    for prefix in ["/mcs/v1", "/v1"] {
        let f = app.get_json(&format!("{prefix}/Services/{service}/Media/{sid}")).await;
        assert_eq!(f["sid"], sid);
        assert_eq!(f["size"], 300_000);
    }
    let f = app.get_json(&format!("/mcs/v1/Services/{service}/Media/{sid}")).await;
    let temporary = f["links"]["content_direct_temporary"].as_str().unwrap().to_owned();
    assert!(temporary.starts_with(&app.base), "{temporary}");

    // The signed URL needs no credentials.
    let r = reqwest::get(&temporary).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["content-length"], "300000");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);

    // `links.content` with credentials redirects to a signed URL.
    let r = no_redirects()
        .get(format!("{}{}", app.base, m["links"]["content"].as_str().unwrap()))
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("Signature="), "{location}");
    let got = reqwest::get(&location).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.to_vec(), bytes);

    // Without credentials and without a signature: 401.
    let r = app
        .http
        .get(format!("{}/mcs/v1/Services/{service}/Media/{sid}/Content", app.base))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 401, 20003).await;

    // A tampered signature, or the signature of another media: 403.
    let tampered = temporary.replace("Expires=", "Expires=1");
    assert_twilio_error(reqwest::get(&tampered).await.unwrap(), 403, 20403).await;
    let other = upload(&app, &service, sample(10), "text/plain", None).await;
    let moved = temporary.replace(sid, other["sid"].as_str().unwrap());
    assert_twilio_error(reqwest::get(&moved).await.unwrap(), 403, 20403).await;
}

async fn fetch_range(http: reqwest::Client, url: String, range: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let r = http.get(url).header("range", range).send().await.unwrap();
    let status = r.status();
    let content_range = r.headers().get("content-range").map(|v| v.to_str().unwrap().to_owned());
    (status, content_range, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn ranges_serve_parts_of_the_file() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let bytes = sample(1000);
    let m = upload(&app, &service, bytes.clone(), "audio/ogg", None).await;
    let f = app
        .get_json(&format!(
            "/mcs/v1/Services/{service}/Media/{}",
            m["sid"].as_str().unwrap()
        ))
        .await;
    let url = f["links"]["content_direct_temporary"].as_str().unwrap();
    let get = |range: &'static str| {
        let (http, url) = (app.http.clone(), url.to_owned());
        async move { fetch_range(http, url, range).await }
    };
    let (s, cr, b) = get("bytes=10-19").await;

    assert_eq!(
        (s, cr.as_deref()),
        (StatusCode::PARTIAL_CONTENT, Some("bytes 10-19/1000"))
    );
    assert_eq!(b, bytes[10..20]);
    let (s, cr, b) = get("bytes=990-").await;
    assert_eq!(
        (s, cr.as_deref()),
        (StatusCode::PARTIAL_CONTENT, Some("bytes 990-999/1000"))
    );
    assert_eq!(b, bytes[990..]);
    let (s, cr, b) = get("bytes=-5").await;
    assert_eq!(
        (s, cr.as_deref()),
        (StatusCode::PARTIAL_CONTENT, Some("bytes 995-999/1000"))
    );
    assert_eq!(b, bytes[995..]);
    let (s, cr, _) = get("bytes=1000-").await;
    assert_eq!(
        (s, cr.as_deref()),
        (StatusCode::RANGE_NOT_SATISFIABLE, Some("bytes */1000"))
    );
}

#[tokio::test]
async fn multipart_uploads_take_the_file_part() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let bytes = sample(70_000);
    let boundary = "XbanterX";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"Media\"; filename=\"voice.ogg\"\r\n\
             Content-Type: audio/ogg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .http
        .post(format!("{}/v1/Services/{service}/Media", app.base))
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let m = created(r).await;
    assert_eq!(m["size"], 70_000);
    assert_eq!(m["content_type"], "audio/ogg");
    assert_eq!(m["filename"], "voice.ogg");
    let f = app
        .get_json(&format!("/v1/Services/{service}/Media/{}", m["sid"].as_str().unwrap()))
        .await;
    let got = reqwest::get(f["links"]["content_direct_temporary"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.to_vec(), bytes);

    // A multipart body without any part: 400.
    let r = app
        .http
        .post(format!("{}/v1/Services/{service}/Media", app.base))
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(format!("--{boundary}--\r\n"))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 20001).await;
}

#[tokio::test]
async fn the_size_limit_is_enforced_while_streaming_and_leaves_nothing() {
    let app = TestApp::spawn_with(|cfg| cfg.media.size_limit = 100_000).await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let url = format!("{}/mcs/v1/Services/{service}/Media", app.base);
    // Declared too large: refused before reading.
    let r = app
        .http
        .post(&url)
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .header("content-type", "video/mp4")
        .body(sample(100_001))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 413, 50512).await;
    // Not declared (chunked): refused once the limit is passed.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..30).map(|_| Ok(sample(10_000))).collect();
    let r = app
        .http
        .post(&url)
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .header("content-type", "video/mp4")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 413, 50512).await;
    // Exactly the limit is fine.
    upload(&app, &service, sample(100_000), "video/mp4", None).await;
    let media_dir = app.store.data_dir.join("media");
    let partial: Vec<_> = std::fs::read_dir(media_dir.join(".partial")).unwrap().collect();
    assert!(partial.is_empty(), "partial uploads left: {partial:?}");
    let stored: Vec<_> = std::fs::read_dir(media_dir.join(&service)).unwrap().collect();
    assert_eq!(stored.len(), 1, "only the accepted upload is stored");
}

#[tokio::test]
async fn cors_preflight_and_headers() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    for path in ["Media", "MediaSet", "Media/ME00000000000000000000000000000000"] {
        let r = app
            .http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/mcs/v1/Services/{service}/{path}", app.base),
            )
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-twilio-token, content-type")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "*");
        assert!(h["access-control-allow-methods"].to_str().unwrap().contains("POST"));
        assert!(
            h["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("x-twilio-token")
        );
    }
    // An error answer carries CORS headers too, so the browser shows it to the app.
    let r = app
        .http
        .get(format!(
            "{}/mcs/v1/Services/{service}/Media/ME00000000000000000000000000000000",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_twilio_error(r, 401, 20003).await;
}

#[tokio::test]
async fn end_users_read_their_uploads_and_the_media_of_their_channels_only() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = channel(&app, &service).await;
    let ch_sid = ch.rsplit('/').next().unwrap().to_owned();
    let alice = app.member(&ch, "alice").await;
    let bob = app.member(&ch, "bob").await;
    let eve = app.end_user(&service, "eve").await;
    let token_headers = |jwt: &str| {
        let mut h = HeaderMap::new();
        h.insert("x-twilio-token", HeaderValue::from_str(jwt).unwrap());
        h
    };
    let bytes = sample(5000);
    let r = app
        .http
        .post(format!("{}/mcs/v1/Services/{service}/Media?Filename=a.bin", app.base))
        .headers(token_headers(&alice.jwt))
        .header("content-type", "application/octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    let m = created(r).await;
    assert_eq!(m["author"], "alice");
    let sid = m["sid"].as_str().unwrap().to_owned();
    let media_url = format!("{}/mcs/v1/Services/{service}/Media/{sid}", app.base);
    let fetch = |jwt: &str| app.http.get(&media_url).headers(token_headers(jwt)).send();

    // Unattached: only the uploader.
    ok_json(fetch(&alice.jwt).await.unwrap()).await;
    assert_twilio_error(fetch(&bob.jwt).await.unwrap(), 403, 20403).await;

    // Attached to a message in the channel: its members, not others.
    let msg = created(
        app.user_post(&alice, &format!("{ch}/Messages"), &[("MediaSid", &sid)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(msg["type"], "media");
    let seen = ok_json(fetch(&bob.jwt).await.unwrap()).await;
    assert_eq!(seen["channel_sid"], ch_sid.as_str());
    assert_eq!(seen["message_sid"], msg["sid"]);
    assert_twilio_error(fetch(&eve.jwt).await.unwrap(), 403, 20403).await;

    // The MediaSet call of the SDKs: one record per item, JSON.
    let set = app
        .http
        .post(format!("{}/mcs/v1/Services/{service}/MediaSet", app.base))
        .headers(token_headers(&bob.jwt))
        .json(&json!({"command": "get", "list": [{"media_sid": sid}, {"media_sid": "ME0"}]}))
        .send()
        .await
        .unwrap();
    assert!(
        set.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let set = json(set).await;
    assert_eq!(set[0]["code"], 200);
    assert_eq!(set[0]["media_record"]["sid"], sid.as_str());
    assert_eq!(set[0]["media_record"]["size"], 5000);
    assert_eq!(set[1]["code"], 404);
    assert_eq!(set[1]["media_record"]["sid"], "ME0");

    // A token of another service cannot upload here.
    let other = app.service().await["sid"].as_str().unwrap().to_owned();
    let stranger = app.end_user(&other, "alice").await;
    let r = app
        .http
        .post(format!("{}/mcs/v1/Services/{service}/Media", app.base))
        .headers(token_headers(&stranger.jwt))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 403, 20403).await;
}

#[tokio::test]
async fn signed_urls_expire() {
    let app = TestApp::spawn_with(|cfg| cfg.media.url_ttl = std::time::Duration::from_secs(1)).await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let m = upload(&app, &service, sample(10), "text/plain", None).await;
    let url = m["links"]["content_direct_temporary"].as_str().unwrap().to_owned();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_twilio_error(reqwest::get(&url).await.unwrap(), 403, 20403).await;
}

#[tokio::test]
async fn unknown_services_and_media_are_not_found() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let r = app
        .get(&format!("/mcs/v1/Services/{service}/Media/ME{}", "0".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 404, 20404).await;
    let r = app
        .get(&format!("/mcs/v1/Services/{service}/Media/nonsense"))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 404, 20404).await;
    let r = app
        .post(&format!("/mcs/v1/Services/IS{}/Media", "0".repeat(32)), &[])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 404, 20404).await;
    // Another account's service.
    let (other, token) = app.other_account().await;
    let r = app
        .http
        .get(format!(
            "{}/mcs/v1/Services/{service}/Media/ME{}",
            app.base,
            "0".repeat(32)
        ))
        .basic_auth(&other, Some(&token))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 404, 20404).await;
}

#[tokio::test]
async fn an_interrupted_upload_leaves_no_record_and_no_file() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", app.account_sid, app.auth_token),
    );
    let head = format!(
        "POST /mcs/v1/Services/{service}/Media HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: video/mp4\r\nContent-Length: 5000000\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&sample(2_000_000)).await.unwrap();
    let media_dir = app.store.data_dir.join("media");
    let partial = || std::fs::read_dir(media_dir.join(".partial")).unwrap().count();
    for _ in 0..100 {
        if partial() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(partial(), 1, "the upload is under way");
    drop(s);
    let mut left = usize::MAX;
    for _ in 0..100 {
        left = partial();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the partial file is removed");
    assert!(!media_dir.join(&service).exists(), "nothing was stored");
}
