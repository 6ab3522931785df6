//! The Media Content Service's storage: the bytes of uploaded files, on local disk (the
//! default, under the data directory) or in an S3-compatible object store shared by every
//! node, and the signed URLs that download them without credentials.
//!
//! The records (who uploaded what, which message carries it) are in the store
//! ([`crate::store::MediaStore`]); the bytes are stored first and the record written only once
//! they are durable, so an interrupted upload leaves neither.

pub mod copy;
pub mod disk;
pub mod s3;
pub mod signed;

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::Stream;

/// A stream of chunks of a file.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, BlobError>> + Send>>;

/// Twilio's `media.size_limit_mb`: 150 MB.
pub const DEFAULT_SIZE_LIMIT_MB: u64 = 150;

/// How long a signed download URL works: five minutes.
pub const DEFAULT_URL_TTL: Duration = Duration::from_secs(300);

/// What went wrong storing or reading bytes.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No such file.
    #[error("no such media file")]
    NotFound,
    /// The upload is larger than the limit (in bytes).
    #[error("the media is larger than {0} bytes")]
    TooLarge(u64),
    /// The client's request body failed (disconnect, timeout).
    #[error("reading the upload failed: {0}")]
    Body(String),
    /// The storage failed.
    #[error("media storage: {0}")]
    Storage(String),
}

impl BlobError {
    /// A storage failure with its cause.
    pub fn storage(e: impl std::fmt::Display) -> Self {
        Self::Storage(e.to_string())
    }
}

/// A byte range of a file: `start..end` (end exclusive).
pub type Range = std::ops::Range<u64>;

/// What a read returns: the bytes (of the range asked for, or all) and the file's whole size.
pub struct Download {
    /// The bytes.
    pub body: ByteStream,
    /// The whole file's size.
    pub size: u64,
}

/// Where media bytes live. Keys are `{service_sid}/{media_sid}`.
#[async_trait]
pub trait Blobs: Send + Sync {
    /// Stores `body` under `key` and returns its size once it is durable. On any error nothing
    /// is left behind.
    async fn put(&self, key: &str, body: ByteStream) -> Result<u64, BlobError>;
    /// The size of the file under `key`.
    async fn size(&self, key: &str) -> Result<u64, BlobError>;
    /// Reads the file under `key`, or the part `range` of it (already clamped to its size).
    async fn get(&self, key: &str, range: Option<Range>) -> Result<Download, BlobError>;
    /// Deletes the file under `key` (no error when it is already gone).
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Up to `limit` keys after `after` (all when `None`), in key order, each with when its file
    /// was last written: how the orphan sweep walks the storage a page at a time.
    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<(String, SystemTime)>, BlobError>;
    /// Describes the storage for logs (never with credentials).
    fn describe(&self) -> String;
}

/// The key of a media file.
#[must_use]
pub fn key(service_sid: &str, media_sid: &str) -> String {
    format!("{service_sid}/{media_sid}")
}

/// Ends `body` with [`BlobError::TooLarge`] as soon as more than `limit` bytes have arrived,
/// so a too-large upload is refused while it streams, not after.
pub fn limited(body: ByteStream, limit: u64) -> ByteStream {
    use futures_util::StreamExt;
    let mut seen: u64 = 0;
    Box::pin(body.map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > limit {
            return Err(BlobError::TooLarge(limit));
        }
        Ok(chunk)
    }))
}

/// Settings of an S3-compatible store beyond its URL; unset ones come from the standard
/// `AWS_*` environment variables.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// Endpoint of a store other than AWS (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Access key ID.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Allow plain HTTP to the endpoint.
    pub allow_http: bool,
}

/// Opens the media storage: `url` `s3://bucket/prefix` (an S3-compatible object store), or
/// files under `dir` when `url` is `None`.
///
/// # Errors
/// An unsupported URL, bad S3 settings, or a directory that cannot be created.
pub fn open(url: Option<&str>, dir: &std::path::Path, s3: &S3Options) -> anyhow::Result<Arc<dyn Blobs>> {
    match url {
        None => Ok(Arc::new(disk::DiskBlobs::open(dir)?)),
        Some(u) if u.starts_with("s3://") => Ok(Arc::new(s3::S3Blobs::open(u, s3)?)),
        Some(u) if u.starts_with("file://") => Ok(Arc::new(disk::DiskBlobs::open(std::path::Path::new(
            u.trim_start_matches("file://"),
        ))?)),
        Some(u) => anyhow::bail!("unsupported --media-url {u}: use s3://bucket[/prefix] or file:///path"),
    }
}
