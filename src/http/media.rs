//! The Media Content Service (MCS): `/mcs/v1/Services/{ServiceSid}/Media…`, also served as
//! `/v1/Services/{ServiceSid}/Media…` (the path on Twilio's own MCS host).
//!
//! Uploads and downloads stream; the size limit is enforced while the body arrives. Every
//! response carries CORS headers (the client SDKs call MCS directly from browsers), and a
//! preflight `OPTIONS` is answered here.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::extract::{BaseUrl, Client, Query};
use super::{ApiError, AppState};
use crate::chat::{Caller, Chat, NewMedia};
use crate::media::{self, BlobError, ByteStream, signed};
use crate::store::Media;
use crate::time;

mod range;

/// What a multipart upload may carry besides its file (boundaries, part headers, form fields).
const MULTIPART_OVERHEAD: u64 = 1024 * 1024;

pub(super) fn router() -> Router<AppState> {
    let mut r = Router::new();
    for prefix in ["/mcs/v1", "/v1"] {
        let at = |tail: &str| format!("{prefix}/Services/{{service}}/{tail}");
        r = r
            .route(&at("Media"), post(upload).options(preflight))
            .route(&at("Media/{sid}"), get(fetch).options(preflight))
            .route(&at("Media/{sid}/Content"), get(content).options(preflight))
            .route(&at("MediaSet"), post(media_set).options(preflight));
    }
    r.layer(axum::middleware::from_fn(cors))
}

/// `OPTIONS` on any MCS path: the CORS preflight of a browser client (every call carries
/// `X-Twilio-Token` and most an arbitrary `Content-Type`). `204`.
async fn preflight(headers: HeaderMap) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    let asked = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        asked.unwrap_or(HeaderValue::from_static(
            "X-Twilio-Token, Content-Type, Authorization, Range",
        )),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    res
}

/// Adds `Access-Control-Allow-Origin` to every MCS response, errors included (no cookies are
/// used, so any origin may read them).
async fn cors(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Content-Length, Content-Range, Accept-Ranges, Location"),
    );
    res
}

/// The media resource. `url` and `links.content` are relative, as Twilio's MCS has them;
/// `content_direct_temporary` is an absolute signed URL.
fn render(app: &AppState, m: &Media, base: &str, temporary: bool) -> Value {
    let url = format!("/v1/Services/{}/Media/{}", m.service_sid, m.sid);
    let mut links = json!({"content": format!("{url}/Content")});
    if temporary {
        links["content_direct_temporary"] = Value::String(temporary_url(app, m, base));
    }
    json!({
        "sid": m.sid,
        "account_sid": m.account_sid,
        "service_sid": m.service_sid,
        "channel_sid": m.channel_sid,
        "message_sid": m.message_sid,
        "date_created": time::format(&m.date_created),
        "date_upload_updated": time::format(&m.date_upload_updated),
        "date_updated": time::format(&m.date_updated),
        "links": links,
        "size": m.size,
        "content_type": m.content_type,
        "filename": m.filename,
        "author": m.author,
        "category": m.category,
        "url": url,
        "is_multipart_upstream": false,
    })
}

/// A signed download URL of `m`, valid for the configured time.
fn temporary_url(app: &AppState, m: &Media, base: &str) -> String {
    let ttl = i64::try_from(app.media.url_ttl.as_secs()).unwrap_or(300);
    let expires = time::now().timestamp() + ttl;
    let query = signed::query(app.chat.secrets(), &m.service_sid, &m.sid, expires);
    format!(
        "{base}/mcs/v1/Services/{}/Media/{}/Content?{query}",
        m.service_sid, m.sid
    )
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
        .into_response()
}

fn blob_error(e: BlobError) -> ApiError {
    match e {
        BlobError::NotFound => ApiError::from(crate::chat::ChatError::NotFound),
        BlobError::TooLarge(limit) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            50512,
            format!(
                "Message media size is too large: the limit is {} MB",
                limit / (1024 * 1024)
            ),
        ),
        BlobError::Body(why) => ApiError::new(StatusCode::BAD_REQUEST, 20001, format!("Upload interrupted: {why}")),
        BlobError::Storage(why) => {
            tracing::error!(error = %why, "media storage failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, 20503, "Media storage unavailable")
        }
    }
}

/// The body as a stream whose chunks must each arrive within the body read timeout.
fn body_stream(app: &AppState, body: Body) -> ByteStream {
    let idle = app.body_read_timeout;
    let chunks = body.into_data_stream();
    Box::pin(futures_util::stream::unfold(chunks, move |mut chunks| async move {
        match tokio::time::timeout(idle, chunks.next()).await {
            Ok(Some(Ok(b))) => Some((Ok(b), chunks)),
            Ok(Some(Err(e))) => Some((Err(BlobError::Body(e.to_string())), chunks)),
            Ok(None) => None,
            Err(_) => Some((
                Err(BlobError::Body(format!("no data for {} s", idle.as_secs()))),
                chunks,
            )),
        }
    }))
}

/// `POST /mcs/v1/Services/{ServiceSid}/Media[?Filename=…&Category=…]`
///
/// Uploads a file: the raw body with its `Content-Type` (the client SDKs), or
/// `multipart/form-data` whose first file part is taken with its file name and type. `201` with
/// the media resource; `413` 50512 beyond `media.size_limit_mb`.
async fn upload(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Query(q): Query,
    req: Request,
) -> Result<Response, ApiError> {
    let upload = app.chat.begin_upload(&caller, &service).await?;
    let limit = app.media.size_limit;
    let declared = header_str(req.headers(), header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(blob_error(BlobError::TooLarge(limit)));
    }
    let content_type = header_str(req.headers(), header::CONTENT_TYPE).map(str::to_owned);
    let mut input = NewMedia {
        content_type: content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned()),
        filename: q.string("Filename").filter(|f| !f.is_empty()),
        category: q.string("Category"),
    };
    let body = body_stream(&app, req.into_body());
    let boundary = content_type.as_deref().and_then(|t| multer::parse_boundary(t).ok());
    let body = match boundary {
        Some(boundary) => {
            // The whole body is bounded too: form fields before the file count.
            let body = media::limited(body, limit.saturating_add(MULTIPART_OVERHEAD));
            let (part, part_type, part_name) = first_file(body, boundary).await?;
            input.content_type = part_type.unwrap_or_else(|| "application/octet-stream".to_owned());
            input.filename = input.filename.or(part_name);
            part
        }
        None => body,
    };
    Chat::check_new_media(&input)?;
    let Some(blobs) = app.chat.blobs() else {
        return Err(blob_error(BlobError::Storage("no media storage configured".to_owned())));
    };
    let key = media::key(&upload.service.sid, &upload.sid);
    let size = blobs.put(&key, media::limited(body, limit)).await.map_err(blob_error)?;
    let media = match app.chat.finish_upload(&upload, input, size).await {
        Ok(m) => m,
        Err(e) => {
            let _ = blobs.delete(&key).await;
            return Err(e.into());
        }
    };
    Ok(json_response(StatusCode::CREATED, &render(&app, &media, &base, true)))
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The first file part of a multipart body (a part with a file name, or else the first part),
/// as a stream, with its type and file name.
async fn first_file(
    body: ByteStream,
    boundary: String,
) -> Result<(ByteStream, Option<String>, Option<String>), ApiError> {
    let mut form = multer::Multipart::new(body, boundary);
    let mut fallback = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        if field.file_name().is_some() || matches!(field.name(), Some("Media" | "media" | "file")) {
            fallback = Some(field);
            break;
        }
        // A text part (a form field): its bytes are read and dropped.
        let mut field = field;
        while field.chunk().await.map_err(multipart_error)?.is_some() {}
    }
    let Some(field) = fallback else {
        return Err(ApiError::invalid("Media", "the multipart body has no file part"));
    };
    let kind = field.content_type().map(ToString::to_string);
    let name = field.file_name().map(str::to_owned);
    let part: ByteStream = Box::pin(field.map(|chunk| {
        chunk.map_err(|e| match e {
            multer::Error::StreamReadFailed(inner) => match inner.downcast::<BlobError>() {
                Ok(b) => *b,
                Err(other) => BlobError::Body(other.to_string()),
            },
            other => BlobError::Body(other.to_string()),
        })
    }));
    // The form is dropped with the field's stream still reading from it: multer keeps the
    // shared state alive in the field.
    drop(form);
    Ok((part, kind, name))
}

fn multipart_error(e: multer::Error) -> ApiError {
    if let multer::Error::StreamReadFailed(inner) = e {
        return match inner.downcast::<BlobError>() {
            Ok(b) => blob_error(*b),
            Err(other) => ApiError::invalid("body", &other.to_string()),
        };
    }
    ApiError::invalid("body", &format!("is not valid multipart/form-data: {e}"))
}

/// `GET /mcs/v1/Services/{ServiceSid}/Media/{MediaSid}`
///
/// The media resource with `links.content_direct_temporary`. `200`; `404`; `403` for an end
/// user who may not read it.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, sid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let media = app.chat.readable_media(&caller, &service, &sid).await?;
    Ok(json_response(StatusCode::OK, &render(&app, &media, &base, true)))
}

/// `GET /mcs/v1/Services/{ServiceSid}/Media/{MediaSid}/Content`
///
/// With credentials: `302` to the signed URL (`content_direct_temporary`). With `Expires` and
/// `Signature` (that URL, no credentials): the bytes, honouring a `Range` header (`206`,
/// `416`); `403` once expired or when tampered with.
async fn content(
    State(app): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path((service, sid)): Path<(String, String)>,
    Query(q): Query,
    req: Request,
) -> Result<Response, ApiError> {
    let (mut parts, _) = req.into_parts();
    let (Some(expires), Some(signature)) = (q.get("Expires"), q.get("Signature")) else {
        let Client(caller) = Client::from_request_parts(&mut parts, &app).await?;
        return redirect(&app, &caller, &service, &sid, &base).await;
    };
    let now = time::now().timestamp();
    signed::verify(app.chat.secrets(), &service, &sid, expires, signature, now).map_err(|why| {
        let message = match why {
            signed::Refused::Expired => "Forbidden: the signed media URL has expired",
            signed::Refused::BadSignature => "Forbidden: the media URL's signature is not valid",
        };
        ApiError::new(StatusCode::FORBIDDEN, 20403, message)
    })?;
    let media = app.chat.media_by_sid(&service, &sid).await?;
    let Some(blobs) = app.chat.blobs() else {
        return Err(blob_error(BlobError::Storage("no media storage configured".to_owned())));
    };
    let key = media::key(&media.service_sid, &media.sid);
    let size = u64::try_from(media.size).unwrap_or(0);
    let wanted = match header_str(&parts.headers, header::RANGE).map(|r| range::parse(r, size)) {
        None | Some(range::Asked::Whole) => None,
        Some(range::Asked::Part(r)) => Some(r),
        Some(range::Asked::Unsatisfiable) => {
            let mut res = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                20001,
                "Requested range not satisfiable",
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(res);
        }
    };
    let download = blobs.get(&key, wanted.clone()).await.map_err(blob_error)?;
    let length = wanted.as_ref().map_or(download.size, |r| r.end - r.start);
    let mut res = Response::new(Body::from_stream(download.body));
    if let Some(r) = &wanted {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        let v = format!("bytes {}-{}/{}", r.start, r.end - 1, download.size);
        if let Ok(v) = HeaderValue::from_str(&v) {
            res.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    let h2 = res.headers_mut();
    h2.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h2.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h2.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h2.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h2.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    h2.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    if let Some(name) = &media.filename {
        let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        if let Ok(v) = HeaderValue::from_str(&format!("inline; filename*=UTF-8''{encoded}")) {
            h2.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(res)
}

async fn redirect(app: &AppState, caller: &Caller, service: &str, sid: &str, base: &str) -> Result<Response, ApiError> {
    let media = app.chat.readable_media(caller, service, sid).await?;
    let url = temporary_url(app, &media, base);
    let mut res = StatusCode::FOUND.into_response();
    let location = HeaderValue::from_str(&url).map_err(|_| ApiError::invalid("Host", "is not a valid URL part"))?;
    res.headers_mut().insert(header::LOCATION, location);
    Ok(res)
}

/// `POST /mcs/v1/Services/{ServiceSid}/MediaSet`
///
/// `{"command":"get","list":[{"media_sid":"ME…"}]}` → `[{"code":200,"media_record":{…}}]`;
/// an item that cannot be read has its status as `code` and only `media_record.sid`.
async fn media_set(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: Value =
        serde_json::from_slice(&body).map_err(|_| ApiError::invalid("body", "must be a JSON object"))?;
    if request.get("command").and_then(Value::as_str) != Some("get") {
        return Err(ApiError::invalid("command", "must be get"));
    }
    let Some(list) = request.get("list").and_then(Value::as_array) else {
        return Err(ApiError::invalid("list", "must be an array"));
    };
    if list.len() > 100 {
        return Err(ApiError::invalid("list", "has more than 100 items"));
    }
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let sid = item.get("media_sid").and_then(Value::as_str).unwrap_or("");
        match app.chat.readable_media(&caller, &service, sid).await {
            Ok(m) => out.push(json!({"code": 200, "media_record": render(&app, &m, &base, true)})),
            Err(e) => out.push(json!({"code": e.status(), "media_record": {"sid": sid}})),
        }
    }
    Ok(json_response(StatusCode::OK, &Value::Array(out)))
}
