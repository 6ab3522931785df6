//! Webhook targets that misbehave at the TCP level, for delivery-failure tests: a port nothing
//! listens on, a listener that never answers, one that does not speak HTTP, and one that
//! answers 200 with a body that never ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{TestApp, ok_json};

/// How a [`Sink`] treats each connection.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// Reads the request and never answers.
    Silent,
    /// Sends an SSH banner and closes: an open port that does not speak HTTP.
    NotHttp,
    /// Answers 200 with an endless body (no length, connection close) until the peer leaves.
    Endless,
    /// Answers 200 announcing a 256 MB body in `Content-Length`, then streams it.
    HugeLength,
}

/// A raw TCP target on 127.0.0.1.
pub struct Sink {
    pub port: u16,
    connections: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Sink {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicU64::new(0));
        let written = Arc::new(AtomicU64::new(0));
        let (c, w) = (Arc::clone(&connections), Arc::clone(&written));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, behaviour, Arc::clone(&w)));
            }
        });
        Self {
            port,
            connections,
            written,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Body bytes the peer accepted before it went away.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour, written: Arc<AtomicU64>) {
    let mut buf = [0_u8; 16 * 1024];
    if let Behaviour::NotHttp = behaviour {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
        return;
    }
    // Good enough for these tests: one read takes the whole small webhook request.
    let _ = stream.read(&mut buf).await;
    let head: &[u8] = match behaviour {
        Behaviour::Silent => {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            return;
        }
        Behaviour::Endless => b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
        Behaviour::HugeLength => {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 268435456\r\n\r\n"
        }
        Behaviour::NotHttp => unreachable!(),
    };
    if stream.write_all(head).await.is_err() {
        return;
    }
    let chunk = vec![b' '; 64 * 1024];
    let mut first = true;
    loop {
        let data: &[u8] = if first { b"{\"body\": \"" } else { &chunk };
        first = false;
        if stream.write_all(data).await.is_err() {
            return;
        }
        written.fetch_add(data.len() as u64, Ordering::SeqCst);
        if written.load(Ordering::SeqCst) > 300 * 1024 * 1024 {
            return;
        }
    }
}

/// A new service with `form` applied (its webhook settings) and a channel in it; returns the
/// channel path.
pub async fn channel_with(app: &TestApp, form: &[(&str, &str)]) -> String {
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().expect("service sid"));
    let r = app.post(&sp, form).send().await.expect("send");
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let c = ok_json(app.post(&format!("{sp}/Channels"), &[]).send().await.expect("send")).await;
    format!("{sp}/Channels/{}", c["sid"].as_str().expect("channel sid"))
}

/// Sends a message as an end user who is a member of the channel: such client actions fire
/// the pre-event webhook as well as the post-events.
pub async fn send_hooked(app: &TestApp, ch: &str, body: &str) -> reqwest::Response {
    let user = app.member(ch, "hooked").await;
    app.user_post(&user, &format!("{ch}/Messages"), &[("Body", body)])
        .send()
        .await
        .expect("send")
}

/// The value of the `/metrics` delivery counter `result` (`sent`, `retried`, `failed`).
pub async fn metric(app: &TestApp, result: &str) -> u64 {
    let text = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    let prefix = format!("banter_webhook_deliveries_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {result} counter in {text}"))
}
