//! Media files in an S3-compatible object store (AWS S3, MinIO, Ceph, R2…) through the
//! `object_store` crate: `s3://bucket/prefix` with the key `{prefix}/{service_sid}/{media_sid}`.
//!
//! An upload smaller than one part is a single PUT; a larger one is a multipart upload of
//! [`PART_SIZE`] parts, at most [`PARALLEL_PARTS`] in flight, so memory stays bounded whatever
//! the file's size. The store's acknowledgement of the PUT or of the completed upload is what
//! makes the bytes durable; a failed or abandoned multipart upload is aborted (never visible).

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};

use super::{BlobError, Blobs, ByteStream, Download, Range, S3Options};

/// Size of one part of a multipart upload (S3's minimum is 5 MiB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts uploaded at once.
pub const PARALLEL_PARTS: usize = 2;

/// Media files in one bucket, under one prefix.
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
}

impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Blobs")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl S3Blobs {
    /// Opens `s3://bucket[/prefix]` with `options`, the unset ones taken from the standard
    /// `AWS_*` environment variables (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, …).
    ///
    /// # Errors
    /// A malformed URL or incomplete settings.
    pub fn open(url: &str, options: &S3Options) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| anyhow::anyhow!("--media-url must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            anyhow::bail!("--media-url {url} names no bucket");
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = options
            .endpoint
            .as_deref()
            .or(std::env::var("AWS_ENDPOINT_URL").ok().as_deref())
        {
            builder = builder.with_endpoint(endpoint);
            // A self-hosted store is addressed by path (`endpoint/bucket/key`).
            builder = builder.with_virtual_hosted_style_request(false);
        }
        if let Some(region) = &options.region {
            builder = builder.with_region(region);
        }
        if let Some(id) = &options.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &options.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        if options.allow_http {
            builder = builder.with_allow_http(true);
        }
        let store = builder.build()?;
        Ok(Self {
            store: Arc::new(store),
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.prefix))
        }
    }
}

fn store_error(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        other => BlobError::storage(other),
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put(&self, key: &str, mut body: ByteStream) -> Result<u64, BlobError> {
        let path = self.path(key);
        // The first part is collected before deciding: a small file is one PUT.
        let mut first: Vec<Bytes> = Vec::new();
        let mut buffered = 0usize;
        let mut rest_pending = false;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            buffered += chunk.len();
            first.push(chunk);
            if buffered >= PART_SIZE {
                rest_pending = true;
                break;
            }
        }
        if !rest_pending {
            let payload: PutPayload = first.into_iter().collect();
            self.store.put(&path, payload).await.map_err(store_error)?;
            return Ok(buffered as u64);
        }
        let upload = self.store.put_multipart(&path).await.map_err(store_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut size = buffered as u64;
        for chunk in first {
            writer.write(&chunk);
        }
        let streamed: Result<(), BlobError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                writer.wait_for_capacity(PARALLEL_PARTS).await.map_err(store_error)?;
                writer.write(&chunk);
            }
            Ok(())
        }
        .await;
        match streamed {
            Ok(()) => {
                writer.finish().await.map_err(store_error)?;
                Ok(size)
            }
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, "aborting a multipart upload failed");
                }
                Err(e)
            }
        }
    }

    async fn size(&self, key: &str) -> Result<u64, BlobError> {
        let meta = self.store.head(&self.path(key)).await.map_err(store_error)?;
        Ok(meta.size)
    }

    async fn get(&self, key: &str, range: Option<Range>) -> Result<Download, BlobError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self
            .store
            .get_opts(&self.path(key), options)
            .await
            .map_err(store_error)?;
        let size = got.meta.size;
        let body = got.into_stream().map(|chunk| chunk.map_err(store_error));
        Ok(Download {
            body: Box::pin(body),
            size,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobError::storage(e)),
        }
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<(String, SystemTime)>, BlobError> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let mut listing = match after {
            Some(a) => self.store.list_with_offset(prefix.as_ref(), &self.path(a)),
            None => self.store.list(prefix.as_ref()),
        };
        let strip = if self.prefix.is_empty() {
            0
        } else {
            self.prefix.len() + 1
        };
        let mut out = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error)?;
            let key = meta.location.as_ref().get(strip..).unwrap_or_default().to_owned();
            out.push((key, SystemTime::from(meta.last_modified)));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}
