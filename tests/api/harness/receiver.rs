//! A real HTTP receiver for webhook tests: records every request and answers as told.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub params: Vec<(String, String)>,
}

impl Hit {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Inner {
    hits: Vec<Hit>,
    /// Scripted answers (status, body), used in order; afterwards 200 with an empty body.
    script: VecDeque<(u16, String)>,
}

/// The receiver; `url(path)` gives an address on 127.0.0.1.
#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

async fn record(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw = if method == Method::GET {
        uri.query().unwrap_or("").as_bytes().to_vec()
    } else {
        body.to_vec()
    };
    let params = form_urlencoded::parse(&raw).into_owned().collect();
    let hit = Hit {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        params,
    };
    let (status, body) = {
        let mut inner = inner.lock().unwrap();
        inner.hits.push(hit);
        inner.script.pop_front().unwrap_or((200, String::new()))
    };
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

impl Receiver {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().fallback(record).with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Queues answers for the next requests.
    pub fn answer(&self, status: u16, body: &str) {
        self.inner.lock().unwrap().script.push_back((status, body.to_owned()));
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inner.lock().unwrap().hits.clone()
    }

    /// Waits until `n` requests have arrived at `path` (bounded), returning them.
    pub async fn wait_for(&self, path: &str, n: usize) -> Vec<Hit> {
        for _ in 0..200 {
            let hits: Vec<Hit> = self.hits().into_iter().filter(|h| h.path == path).collect();
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} requests at {path}, got {:?}", self.hits());
    }
}
