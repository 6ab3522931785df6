//! Media files on local disk: `{dir}/{service_sid}/{media_sid}`.
//!
//! An upload streams into `{dir}/.partial/` and is fsynced, renamed into place and its
//! directory fsynced before [`Blobs::put`] returns; a failed or abandoned upload's partial file
//! is removed (and any left by a crash is removed when the storage is opened).

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use futures_util::StreamExt;
use std::io::Write;

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{BlobError, Blobs, ByteStream, Download, Range};

/// Write buffer of an upload: few large writes instead of many small ones.
const WRITE_BUFFER: usize = 1024 * 1024;

/// Full write buffers queued for the writer thread.
const WRITES_QUEUED: usize = 2;

/// Read chunk of a download.
const READ_CHUNK: usize = 512 * 1024;

/// Chunks a download reads ahead of the socket.
const READ_AHEAD: usize = 4;

/// Media files under one directory.
#[derive(Debug)]
pub struct DiskBlobs {
    dir: PathBuf,
}

impl DiskBlobs {
    /// Uses `dir` (created with mode 0700 when missing) and removes partial uploads left there
    /// by a crash.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        crate::secrets::private_dir(dir)?;
        let partial = dir.join(".partial");
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir_all(&partial)?;
        Ok(Self { dir: dir.to_owned() })
    }

    /// Uses `dir` as it is (created when missing), leaving partial uploads alone: for
    /// `banter copy`, which may read the directory of a server.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn at(dir: &Path) -> anyhow::Result<Self> {
        crate::secrets::private_dir(dir)?;
        std::fs::create_dir_all(dir.join(".partial"))?;
        Ok(Self { dir: dir.to_owned() })
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        // Keys are built from validated SIDs; refuse anything that could leave the directory.
        if key.split('/').any(|p| p.is_empty() || p.starts_with('.')) || key.contains('\\') {
            return Err(BlobError::NotFound);
        }
        Ok(self.dir.join(key))
    }
}

/// Removes a partial upload unless it was put in place.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn io(e: std::io::Error) -> BlobError {
    if e.kind() == std::io::ErrorKind::NotFound {
        BlobError::NotFound
    } else {
        BlobError::storage(e)
    }
}

/// Sorted visible entries of `dir` (none when it does not exist).
fn sorted_names(dir: &Path) -> Result<Vec<String>, BlobError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BlobError::storage(e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort_unstable();
    Ok(names)
}

/// [`Blobs::list`] over `{dir}/{service}/{media}` files.
fn list_dir(dir: &Path, after: Option<&str>, limit: usize) -> Result<Vec<(String, SystemTime)>, BlobError> {
    let mut out = Vec::new();
    let after_service = after.and_then(|a| a.split('/').next()).unwrap_or("");
    for service in sorted_names(dir)?.into_iter().filter(|s| s.as_str() >= after_service) {
        for file in sorted_names(&dir.join(&service))? {
            let key = format!("{service}/{file}");
            if after.is_some_and(|a| key.as_str() <= a) {
                continue;
            }
            let Ok(modified) = std::fs::metadata(dir.join(&key)).and_then(|m| m.modified()) else {
                continue;
            };
            out.push((key, modified));
            if out.len() >= limit {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

async fn sync_dir(dir: PathBuf) -> Result<(), BlobError> {
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir).and_then(|d| d.sync_all()))
        .await
        .map_err(BlobError::storage)?
        .map_err(io)
}

#[async_trait]
impl Blobs for DiskBlobs {
    async fn put(&self, key: &str, mut body: ByteStream) -> Result<u64, BlobError> {
        let target = self.path(key)?;
        let name = format!("{:032x}", rand::random::<u128>());
        let partial_path = self.dir.join(".partial").join(name);
        let mut guard = Partial(Some(partial_path.clone()));
        // A writer thread takes full buffers while the next one fills from the socket.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(WRITES_QUEUED);
        // Created here, before any early return, so the guard always finds what it removes.
        let mut file = tokio::fs::File::create(&partial_path)
            .await
            .map_err(io)?
            .into_std()
            .await;
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            while let Some(buf) = rx.blocking_recv() {
                file.write_all(&buf)?;
            }
            file.sync_all()
        });
        let mut size: u64 = 0;
        let mut buf = Vec::with_capacity(WRITE_BUFFER);
        let mut writer_gone = false;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            buf.extend_from_slice(&chunk);
            if buf.len() >= WRITE_BUFFER {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(WRITE_BUFFER));
                if tx.send(full).await.is_err() {
                    writer_gone = true;
                    break;
                }
            }
        }
        if !writer_gone && !buf.is_empty() {
            let _ = tx.send(buf).await;
        }
        drop(tx);
        writer.await.map_err(BlobError::storage)?.map_err(io)?;
        if writer_gone {
            return Err(BlobError::Storage("the media writer stopped".to_owned()));
        }
        let parent = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.clone());
        let created = !tokio::fs::try_exists(&parent).await.unwrap_or(false);
        tokio::fs::create_dir_all(&parent).await.map_err(io)?;
        if created {
            sync_dir(self.dir.clone()).await?;
        }
        tokio::fs::rename(&partial_path, &target).await.map_err(io)?;
        guard.0 = None;
        sync_dir(parent).await?;
        Ok(size)
    }

    async fn size(&self, key: &str) -> Result<u64, BlobError> {
        Ok(tokio::fs::metadata(self.path(key)?).await.map_err(io)?.len())
    }

    async fn get(&self, key: &str, range: Option<Range>) -> Result<Download, BlobError> {
        let mut file = tokio::fs::File::open(self.path(key)?).await.map_err(io)?;
        let size = file.metadata().await.map_err(io)?.len();
        let range = range.unwrap_or(0..size);
        file.seek(SeekFrom::Start(range.start)).await.map_err(io)?;
        let reader = file.take(range.end.saturating_sub(range.start));
        // A reader task keeps a few chunks ahead, so the disk reads while the socket writes.
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
        tokio::spawn(async move {
            let mut chunks = tokio_util::io::ReaderStream::with_capacity(reader, READ_CHUNK);
            while let Some(chunk) = chunks.next().await {
                let failed = chunk.is_err();
                if tx.send(chunk.map_err(BlobError::storage)).await.is_err() || failed {
                    break;
                }
            }
        });
        let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
        Ok(Download {
            body: Box::pin(body),
            size,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BlobError::storage(e)),
        }
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<(String, SystemTime)>, BlobError> {
        let (dir, after) = (self.dir.clone(), after.map(str::to_owned));
        tokio::task::spawn_blocking(move || list_dir(&dir, after.as_deref(), limit))
            .await
            .map_err(BlobError::storage)?
    }

    fn describe(&self) -> String {
        format!("files under {}", self.dir.display())
    }
}
