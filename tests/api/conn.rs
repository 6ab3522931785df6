//! Connection-level limits on real sockets: header-read timeout (slow headers and idle
//! keep-alive connections), body-read timeout, TLS handshake timeout, and the connection cap.
//!
//! Bounds are generous on purpose (a connection must be closed within five times its timeout);
//! nothing here measures speed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::TestApp;
use crate::harness::tls::SelfSigned;

const TIMEOUT: Duration = Duration::from_secs(1);
/// Generous: a limit counts as enforced when the connection ends within this.
const BOUND: Duration = Duration::from_secs(5);

fn addr(app: &TestApp) -> String {
    app.base
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_owned()
}

/// Reads until the server closes (EOF or reset) and returns what arrived, or `None` when the
/// connection is still open after `bound`.
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin), bound: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0_u8; 4096];
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&out).to_lowercase()),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Writes `chunks` one every 200 ms while reading; returns what the server sent before it
/// closed the connection, or `None` if it was still open after [`BOUND`].
async fn dribble(stream: TcpStream, head: String, chunk: &'static [u8]) -> Option<String> {
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(chunk).await.is_err() {
                return;
            }
        }
    });
    let seen = read_until_closed(&mut reader, BOUND).await;
    writing.abort();
    seen
}

#[tokio::test]
async fn conn_slow_headers_are_cut_after_the_header_timeout() {
    let app = TestApp::spawn_with(|c| c.header_read_timeout = TIMEOUT).await;
    let stream = TcpStream::connect(addr(&app)).await.unwrap();
    // A header byte every 200 ms, never finishing the head.
    let seen = dribble(stream, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".to_owned(), b"a").await;
    let seen = seen.expect("a slow-header connection was still open after 5 s");
    assert!(!seen.contains(" 500 "), "{seen}");
    // The server keeps serving.
    assert_eq!(app.get("/v2/Services").send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn conn_idle_keep_alive_connection_is_closed() {
    let app = TestApp::spawn_with(|c| c.header_read_timeout = TIMEOUT).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0_u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    let response = String::from_utf8_lossy(&buf[..n]).to_lowercase();
    assert!(response.starts_with("http/1.1 200"), "{response}");
    assert!(!response.contains("connection: close"), "{response}");
    // Now idle, kept alive: the server closes it.
    let rest = read_until_closed(&mut stream, BOUND).await;
    assert_eq!(
        rest.as_deref(),
        Some(""),
        "idle keep-alive connection still open after 5 s"
    );
}

#[tokio::test]
async fn conn_endless_chunked_body_gets_408_and_is_closed() {
    let app = TestApp::spawn_with(|c| c.body_read_timeout = TIMEOUT).await;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", app.account_sid, app.auth_token));
    let head = format!(
        "POST /v2/Services HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {credentials}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
         d\r\nFriendlyName=\r\n"
    );
    let stream = TcpStream::connect(addr(&app)).await.unwrap();
    // One more byte of the value every 200 ms, forever.
    let seen = dribble(stream, head, b"1\r\nx\r\n").await;
    let seen = seen.expect("an endless chunked body was still being read after 5 s");
    assert!(seen.starts_with("http/1.1 408"), "{seen}");
    assert!(seen.contains("connection: close"), "{seen}");
    assert!(seen.contains("\"status\":408"), "{seen}");
    // Nothing was created.
    let list: serde_json::Value = app.get_json("/v2/Services").await;
    assert_eq!(list["services"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn conn_cap_holds_new_connections_until_idle_ones_time_out() {
    // Arrange: the cap is taken by idle connections that send nothing.
    let app = TestApp::spawn_with(|c| {
        c.header_read_timeout = TIMEOUT;
        c.max_connections = 4;
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Act: a real request on a new connection.
    let started = Instant::now();
    let request = tokio::spawn(
        reqwest::Client::new()
            .get(format!("{}/v2/Services", app.base))
            .basic_auth(&app.account_sid, Some(&app.auth_token))
            .send(),
    );
    // Assert: not served while the idle connections hold the cap (they cannot time out
    // before TIMEOUT after they were accepted)...
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!request.is_finished(), "a connection beyond the cap was served");
    // ...served once they time out, and they were closed by the server.
    let response = tokio::time::timeout(BOUND, request)
        .await
        .expect("request beyond the cap not served within 5 s")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() < BOUND);
    for mut s in idle {
        assert!(
            read_until_closed(&mut s, BOUND).await.is_some(),
            "idle connection never closed"
        );
    }
}

#[tokio::test]
async fn conn_tls_stalled_handshake_and_idle_connection_are_closed() {
    let cert = SelfSigned::for_loopback();
    let app = TestApp::spawn_with(|c| {
        c.tls = cert.paths();
        c.header_read_timeout = TIMEOUT;
    })
    .await;
    // A TCP connection that never starts the handshake is closed.
    let mut stalled = connect_when_up(&addr(&app)).await;
    assert!(
        read_until_closed(&mut stalled, BOUND).await.is_some(),
        "stalled TLS handshake still open after 5 s"
    );
    let connector = cert.connector();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    // A TLS connection that sends no request after the handshake is closed.
    let tcp = TcpStream::connect(addr(&app)).await.unwrap();
    let mut silent = connector.connect(name.clone(), tcp).await.unwrap();
    assert!(
        read_until_closed(&mut silent, BOUND).await.is_some(),
        "silent TLS connection still open after 5 s"
    );
    let tcp = TcpStream::connect(addr(&app)).await.unwrap();
    // A TLS connection that goes idle after one request is closed.
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0_u8; 1024];
    let n = tls.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        read_until_closed(&mut tls, BOUND).await.is_some(),
        "idle TLS keep-alive connection still open after 5 s"
    );
}

async fn connect_when_up(addr: &str) -> TcpStream {
    for _ in 0..200 {
        if let Ok(s) = TcpStream::connect(addr).await {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not come up");
}

/// The scenario: a process allowed 256 descriptors, 300 idle connections. Requests
/// are served (once idle connections time out) and none fails.
#[tokio::test]
async fn conn_300_idle_connections_do_not_exhaust_256_descriptors() {
    // Arrange: the real binary under `ulimit -n 256` (soft and hard, so it cannot raise it).
    let dir = tempfile::tempdir().unwrap();
    let sid = format!("AC{}", banter::sid::secret());
    let token = banter::sid::secret();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" serve --listen 127.0.0.1:0 --header-read-timeout-secs 1 --data-dir \"$1\"")
        .arg(env!("CARGO_BIN_EXE_banter"))
        .arg(dir.path())
        .env("BANTER_ACCOUNT_SID", &sid)
        .env("BANTER_AUTH_TOKEN", &token)
        .env("BANTER_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("banter exited before listening").unwrap();
            if let Some(url) = line.strip_prefix("banter listening on ") {
                break url.trim().to_owned();
            }
        }
    };
    let address = base.trim_start_matches("http://").to_owned();
    // Act: 300 connections that send nothing, kept open by the client.
    let mut idle = Vec::new();
    for _ in 0..300 {
        let address = address.clone();
        idle.push(tokio::spawn(async move {
            let stream = tokio::time::timeout(Duration::from_secs(20), TcpStream::connect(address)).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(stream);
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Assert: real requests on new connections are all served, none with an error.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(25))
        .build()
        .unwrap();
    for i in 0..10 {
        let r = http
            .post(format!("{base}/v2/Services"))
            .basic_auth(&sid, Some(&token))
            .form(&[("FriendlyName", format!("s{i}"))])
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i} failed: {e}"));
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "request {i}: {}",
            r.text().await.unwrap()
        );
    }
    for task in idle {
        task.abort();
    }
    let _ = child.kill();
    let _ = child.wait();
}
