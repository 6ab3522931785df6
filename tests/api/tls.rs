use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::TestApp;

#[tokio::test]
async fn tls_serves_https_with_the_given_certificate() {
    // Arrange: a certificate for 127.0.0.1 generated for this test.
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let app = TestApp::spawn_with(|c| c.tls = Some((cert_path.clone(), key_path.clone()))).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    // Act: wait for readiness over https, then create a service.
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(ready, "https server did not come up");
    let r = client
        .post(format!("{}/v2/Services", app.base))
        .basic_auth(&app.account_sid, Some(&app.auth_token))
        .form(&[("FriendlyName", "secure")])
        .send()
        .await
        .unwrap();
    // Assert
    assert_eq!(r.status(), StatusCode::CREATED);
    let s: Value = r.json().await.unwrap();
    assert!(s["url"].as_str().unwrap().starts_with("https://127.0.0.1:"));
    // A client that does not trust the certificate is refused.
    assert!(reqwest::get(format!("{}/healthz", app.base)).await.is_err());
}
