//! The client SDK socket over TLS (`wss://`): served by the same listener as HTTPS, with
//! `https://` links.

use std::time::Duration;

use rustls::pki_types::ServerName;

use crate::gateway::Client;
use crate::harness::TestApp;
use crate::harness::tls::SelfSigned;

#[tokio::test]
async fn gateway_serves_wss_with_https_links() {
    // Arrange: a certificate for 127.0.0.1, and a client that trusts only it.
    let cert = SelfSigned::for_loopback();
    let app = TestApp::spawn_with(|c| c.tls = cert.paths()).await;
    let connector = cert.connector();
    let addr = app.base.trim_start_matches("https://").to_owned();
    let url = format!("wss://{addr}/v3/wsconnect");

    // Act: connect once the server is up (the harness waits for readiness over plain HTTP
    // only, and the account is bootstrapped before the server accepts), then init and read
    // the configuration.
    let mut attempt = 0;
    let mut c = loop {
        attempt += 1;
        let tls = async {
            let tcp = tokio::net::TcpStream::connect(&addr).await.ok()?;
            let name = ServerName::try_from("127.0.0.1").unwrap();
            connector.connect(name, tcp).await.ok()
        };
        if let Some(tls) = tls.await {
            let (ws, _) = tokio_tungstenite::client_async(url.as_str(), tls)
                .await
                .expect("upgrade");
            break Client { ws };
        }
        assert!(attempt < 200, "wss server did not come up");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let op = app.operator().await;
    let service = op.create_service(&app.account_sid, "s").await.unwrap();
    let alice = app.end_user(&service.sid, "alice").await;
    c.init(&alice.jwt).await;
    let (reply, body) = c.request("TMc", "GET", "/Client/v1/Configuration").await;

    // Assert
    assert_eq!(reply.header["http_status"]["code"], 200);
    assert_eq!(body["url"], format!("https://{addr}/Client/v1/Configuration"));
    assert!(
        body["links"]["users"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://{addr}/"))
    );
}
