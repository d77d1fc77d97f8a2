//! Resource files: the objects in the file store (`object_store`: a local directory, or an
//! S3-compatible bucket when built with the `s3` feature) and the `resource_files` rows that
//! tie each uploaded resource to its object.
//!
//! Object I/O runs on a small runtime of its own, so the same store serves both the async
//! transport (streaming an upload in, a download out) and the blocking actions (moving an upload
//! to its final key inside the dataset's transaction, deleting replaced files after commit).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use chrono::NaiveDateTime;
use datahavn_domain::Timestamp;
use diesel::prelude::*;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, MultipartUpload, ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::schema::resource_files;
use crate::{StorageError, StorageResult, Tx};

/// The file stored for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub resource_id: String,
    pub package_id: String,
    /// Where the object is in the file store.
    pub object_key: String,
    /// Bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// The content type the upload's part declared (`application/octet-stream` when none).
    pub content_type: String,
    /// The cleaned file name the resource's `url` holds.
    pub file_name: String,
    pub stored_at: Timestamp,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = resource_files)]
struct FileRow {
    resource_id: String,
    package_id: String,
    object_key: String,
    size: i64,
    sha256: String,
    content_type: String,
    file_name: String,
    stored_at: NaiveDateTime,
}

impl From<&StoredFile> for FileRow {
    fn from(file: &StoredFile) -> Self {
        Self {
            resource_id: file.resource_id.clone(),
            package_id: file.package_id.clone(),
            object_key: file.object_key.clone(),
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
            sha256: file.sha256.clone(),
            content_type: file.content_type.clone(),
            file_name: file.file_name.clone(),
            stored_at: file.stored_at.naive(),
        }
    }
}

impl From<FileRow> for StoredFile {
    fn from(row: FileRow) -> Self {
        Self {
            resource_id: row.resource_id,
            package_id: row.package_id,
            object_key: row.object_key,
            size: u64::try_from(row.size).unwrap_or(0),
            sha256: row.sha256,
            content_type: row.content_type,
            file_name: row.file_name,
            stored_at: Timestamp::from_naive(row.stored_at),
        }
    }
}

impl Tx<'_> {
    /// The file stored for a resource, if it has one.
    pub fn resource_file(&mut self, resource_id: &str) -> StorageResult<Option<StoredFile>> {
        let row = resource_files::table
            .find(resource_id)
            .select(FileRow::as_select())
            .first(self.conn())
            .optional()?;
        Ok(row.map(StoredFile::from))
    }

    /// The files stored for a dataset's resources.
    pub fn resource_files_of_package(&mut self, package_id: &str) -> StorageResult<Vec<StoredFile>> {
        let rows = resource_files::table
            .filter(resource_files::package_id.eq(package_id))
            .order(resource_files::resource_id)
            .select(FileRow::as_select())
            .load(self.conn())?;
        Ok(rows.into_iter().map(StoredFile::from).collect())
    }

    /// Records the file of a resource, replacing the row it had.
    pub fn set_resource_file(&mut self, file: &StoredFile) -> StorageResult<()> {
        diesel::delete(resource_files::table.find(&file.resource_id)).execute(self.conn())?;
        diesel::insert_into(resource_files::table).values(FileRow::from(file)).execute(self.conn())?;
        Ok(())
    }

    /// Forgets the file of a resource (its object is the caller's to delete after commit).
    pub fn delete_resource_file(&mut self, resource_id: &str) -> StorageResult<()> {
        diesel::delete(resource_files::table.find(resource_id)).execute(self.conn())?;
        Ok(())
    }
}

/// Where new uploads are written before their action runs.
const STAGING_PREFIX: &str = "staging";

/// The size of the parts an upload is written in: what S3 requires at least (but the last).
const PART_BYTES: usize = 5 * 1024 * 1024;

/// Owns the runtime object I/O runs on; dropping it stops that runtime's thread.
struct Worker {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The file store: a local directory or an object store bucket.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    worker: Arc<Worker>,
    description: String,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore").field("location", &self.description).finish_non_exhaustive()
    }
}

fn object_error(error: object_store::Error) -> StorageError {
    StorageError::Internal(format!("file store: {error}"))
}

fn start_worker() -> StorageResult<Worker> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StorageError::Internal(format!("file store runtime: {e}")))?;
    let handle = runtime.handle().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("datahavn-files".into())
        .spawn(move || {
            runtime.block_on(async {
                let _ = stopped.await;
            });
        })
        .map_err(|e| StorageError::Internal(format!("file store thread: {e}")))?;
    Ok(Worker { handle, stop: Some(stop) })
}

impl FileStore {
    /// Files under a local directory (created when missing).
    pub fn local(dir: &Path) -> StorageResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StorageError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| StorageError::Unavailable(format!("file store {}: {e}", dir.display())))?
            .with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            worker: Arc::new(start_worker()?),
            description: dir.display().to_string(),
        })
    }

    /// Files in an object store named by URL: `s3://bucket[/prefix]`, configured from the
    /// standard `AWS_*` environment variables. Needs the `s3` feature.
    pub fn from_url(url: &str) -> StorageResult<Self> {
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(StorageError::BadUrl(format!(
                "unsupported file store URL {url:?}: use s3://bucket[/prefix], or a directory"
            )));
        };
        Self::s3(rest, url)
    }

    #[cfg(feature = "s3")]
    fn s3(rest: &str, url: &str) -> StorageResult<Self> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| StorageError::BadUrl(format!("file store {url}: {e}")))?;
        let store: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix.trim_matches('/')))
        };
        Ok(Self { store, worker: Arc::new(start_worker()?), description: url.to_owned() })
    }

    #[cfg(not(feature = "s3"))]
    fn s3(_rest: &str, url: &str) -> StorageResult<Self> {
        Err(StorageError::BadUrl(format!(
            "file store {url}: this datahavn was built without S3 support (build with `--features s3`)"
        )))
    }

    /// Where the files are, for logs.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// A new key for an upload being received.
    pub fn staging_key() -> String {
        format!("{STAGING_PREFIX}/{}", uuid::Uuid::new_v4())
    }

    /// The final key of a resource's upload, unique per upload (CKAN's
    /// `resources/{id[0:3]}/{id[3:6]}/{id[6:]}` layout, one object per upload below it).
    pub fn resource_key(resource_id: &str) -> String {
        let safe: String = resource_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let (a, rest) = safe.split_at(safe.len().min(3));
        let (b, c) = rest.split_at(rest.len().min(3));
        let c = if c.is_empty() { "_" } else { c };
        let a = if a.is_empty() { "_" } else { a };
        let b = if b.is_empty() { "_" } else { b };
        format!("resources/{a}/{b}/{c}/{}", uuid::Uuid::new_v4())
    }

    /// Runs object I/O on the store's runtime.
    async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = StorageResult<T>> + Send + 'static,
    ) -> StorageResult<T> {
        self.worker
            .handle
            .spawn(work)
            .await
            .map_err(|e| StorageError::Internal(format!("file store task: {e}")))?
    }

    /// Runs object I/O from blocking code (an action), waiting for it.
    fn block<T: Send + 'static>(
        &self,
        work: impl Future<Output = StorageResult<T>> + Send + 'static,
    ) -> StorageResult<T> {
        let (send, receive) = std::sync::mpsc::channel();
        self.worker.handle.spawn(async move {
            let _ = send.send(work.await);
        });
        receive.recv().map_err(|_| StorageError::Internal("file store task stopped".into()))?
    }

    /// Starts writing a new object, chunk by chunk.
    pub async fn writer(&self, key: &str) -> StorageResult<ObjectWriter> {
        let store = Arc::clone(&self.store);
        let path = ObjectPath::from(key);
        let upload = self.run(async move { store.put_multipart(&path).await.map_err(object_error) }).await?;
        Ok(ObjectWriter {
            files: self.clone(),
            key: key.to_owned(),
            upload: Some(upload),
            buffer: Vec::new(),
            parts: 0,
            size: 0,
            hasher: Sha256::new(),
        })
    }

    /// Moves an object (an upload to its final key). Blocking.
    pub fn rename(&self, from: &str, to: &str) -> StorageResult<()> {
        let store = Arc::clone(&self.store);
        let (from, to) = (ObjectPath::from(from), ObjectPath::from(to));
        self.block(async move { store.rename(&from, &to).await.map_err(object_error) })
    }

    /// Deletes an object; one already gone is not an error. Blocking.
    pub fn delete(&self, key: &str) -> StorageResult<()> {
        let store = Arc::clone(&self.store);
        let path = ObjectPath::from(key);
        self.block(async move { delete_quietly(store.as_ref(), &path).await })
    }

    /// Deletes an object without waiting (from a destructor); a failure is logged.
    pub fn delete_in_background(&self, key: &str) {
        let store = Arc::clone(&self.store);
        let path = ObjectPath::from(key);
        self.worker.handle.spawn(async move {
            if let Err(error) = delete_quietly(store.as_ref(), &path).await {
                log::warn!("removing {path}: {error}");
            }
        });
    }

    /// Deletes an object; one already gone is not an error.
    pub async fn delete_async(&self, key: &str) -> StorageResult<()> {
        let store = Arc::clone(&self.store);
        let path = ObjectPath::from(key);
        self.run(async move { delete_quietly(store.as_ref(), &path).await }).await
    }

    /// Whether an object exists.
    pub async fn exists(&self, key: &str) -> StorageResult<bool> {
        let store = Arc::clone(&self.store);
        let path = ObjectPath::from(key);
        self.run(async move {
            match store.head(&path).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(object_error(e)),
            }
        })
        .await
    }

    /// Reads an object, or the byte range `range` of it, as a stream of chunks.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> StorageResult<BoxStream<'static, Result<Bytes, std::io::Error>>> {
        let store = Arc::clone(&self.store);
        let path = ObjectPath::from(key);
        let result = self
            .run(async move {
                let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
                store.get_opts(&path, options).await.map_err(|e| match e {
                    object_store::Error::NotFound { .. } => StorageError::NotFound,
                    other => object_error(other),
                })
            })
            .await?;
        Ok(result.into_stream().map(|chunk| chunk.map_err(std::io::Error::other)).boxed())
    }

    /// Copies an object into `out`; more than `limit` bytes is an error. Blocking (for
    /// background work such as a DataStore load reading an uploaded file).
    pub fn copy_to(&self, key: &str, out: &mut dyn std::io::Write, limit: u64) -> StorageResult<u64> {
        let (send, mut receive) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(4);
        let store = Arc::clone(&self.store);
        let path = ObjectPath::from(key);
        self.worker.handle.spawn(async move {
            match store.get(&path).await {
                Ok(found) => {
                    let mut chunks = found.into_stream();
                    while let Some(chunk) = chunks.next().await {
                        if send.send(chunk.map_err(|e| e.to_string())).await.is_err() {
                            break;
                        }
                    }
                }
                Err(e) => {
                    let _ = send.send(Err(e.to_string())).await;
                }
            }
        });
        let mut copied = 0u64;
        while let Some(chunk) = receive.blocking_recv() {
            let chunk = chunk.map_err(|e| StorageError::Internal(format!("file store: {e}")))?;
            copied += chunk.len() as u64;
            if copied > limit {
                return Err(StorageError::Internal(format!("the file is larger than {limit} bytes")));
            }
            out.write_all(&chunk).map_err(|e| StorageError::Internal(format!("copying {key}: {e}")))?;
        }
        Ok(copied)
    }

    /// The keys of every stored resource file (not the uploads being received).
    pub fn resource_keys(&self) -> StorageResult<Vec<String>> {
        let store = Arc::clone(&self.store);
        self.block(async move {
            let prefix = ObjectPath::from("resources");
            let mut listed = store.list(Some(&prefix));
            let mut keys = Vec::new();
            while let Some(meta) = listed.next().await {
                keys.push(meta.map_err(object_error)?.location.to_string());
            }
            keys.sort();
            Ok(keys)
        })
    }

    /// Deletes staged uploads left behind by a process that stopped while receiving them:
    /// those older than `age` (other processes sharing the store may be receiving the newer).
    pub fn sweep_staging(&self, age: std::time::Duration) -> StorageResult<usize> {
        let store = Arc::clone(&self.store);
        let age = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
        let before =
            chrono::Utc::now().checked_sub_signed(age).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        self.block(async move {
            let prefix = ObjectPath::from(STAGING_PREFIX);
            let mut listed = store.list(Some(&prefix));
            let mut removed = 0;
            while let Some(meta) = listed.next().await {
                let meta = meta.map_err(object_error)?;
                if meta.last_modified < before {
                    delete_quietly(store.as_ref(), &meta.location).await?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }
}

async fn delete_quietly(store: &dyn ObjectStore, path: &ObjectPath) -> StorageResult<()> {
    match store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(object_error(e)),
    }
}

/// An object being written: parts of [`PART_BYTES`] go out as they fill, so memory stays flat
/// whatever the size; the size and SHA-256 are computed on the way.
pub struct ObjectWriter {
    files: FileStore,
    key: String,
    upload: Option<Box<dyn MultipartUpload>>,
    buffer: Vec<u8>,
    parts: usize,
    size: u64,
    hasher: Sha256,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenObject {
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

impl ObjectWriter {
    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends bytes.
    pub async fn write(&mut self, data: &[u8]) -> StorageResult<()> {
        self.hasher.update(data);
        self.size += data.len() as u64;
        self.buffer.extend_from_slice(data);
        while self.buffer.len() >= PART_BYTES {
            let rest = self.buffer.split_off(PART_BYTES);
            let part = std::mem::replace(&mut self.buffer, rest);
            self.send_part(part).await?;
        }
        Ok(())
    }

    async fn send_part(&mut self, part: Vec<u8>) -> StorageResult<()> {
        let upload = self.upload.as_mut().ok_or_else(|| StorageError::Internal("upload finished".into()))?;
        let sending = upload.put_part(PutPayload::from(part));
        self.parts += 1;
        self.files.run(async move { sending.await.map_err(object_error) }).await
    }

    /// Completes the object.
    pub async fn finish(mut self) -> StorageResult<WrittenObject> {
        let last = std::mem::take(&mut self.buffer);
        if !last.is_empty() || self.parts == 0 {
            self.send_part(last).await?;
        }
        let mut upload =
            self.upload.take().ok_or_else(|| StorageError::Internal("upload finished".into()))?;
        self.files.run(async move { upload.complete().await.map(|_| ()).map_err(object_error) }).await?;
        let digest = std::mem::take(&mut self.hasher).finalize();
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(WrittenObject { key: self.key.clone(), size: self.size, sha256 })
    }

    /// Gives up: nothing is left in the store.
    pub async fn abort(mut self) {
        if let Some(mut upload) = self.upload.take() {
            let aborted = self.files.run(async move { upload.abort().await.map_err(object_error) }).await;
            if let Err(error) = aborted {
                log::warn!("aborting upload {}: {error}", self.key);
            }
        }
        if let Err(error) = self.files.delete_async(&self.key).await {
            log::warn!("removing upload {}: {error}", self.key);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn files_under(dir: &Path) -> usize {
        let mut count = 0;
        let mut pending = vec![dir.to_path_buf()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(&next).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() { pending.push(path) } else { count += 1 }
            }
        }
        count
    }

    #[test]
    fn objects_are_written_in_parts_moved_read_in_ranges_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::local(dir.path()).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let content: Vec<u8> = (0..PART_BYTES * 2 + 10).map(|i| (i % 251) as u8).collect();
        let staged = FileStore::staging_key();
        let written = runtime.block_on(async {
            let mut writer = files.writer(&staged).await.unwrap();
            for chunk in content.chunks(64 * 1024) {
                writer.write(chunk).await.unwrap();
            }
            writer.finish().await.unwrap()
        });
        assert_eq!(written.size, content.len() as u64);
        let digest: String = Sha256::digest(&content).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(written.sha256, digest);

        let key = FileStore::resource_key("0123456789");
        assert!(key.starts_with("resources/012/345/6789/"), "{key}");
        files.rename(&staged, &key).unwrap();
        let read = |range: Option<Range<u64>>| {
            runtime.block_on(async {
                let mut stream = files.read(&key, range).await.unwrap();
                let mut out = Vec::new();
                while let Some(chunk) = stream.next().await {
                    out.extend_from_slice(&chunk.unwrap());
                }
                out
            })
        };
        assert_eq!(read(None), content);
        assert_eq!(read(Some(5..15)), content[5..15]);
        assert!(!runtime.block_on(files.exists(&staged)).unwrap());
        files.delete(&key).unwrap();
        files.delete(&key).unwrap();
        assert_eq!(files_under(dir.path()), 0);
    }

    #[test]
    fn aborted_uploads_and_old_staged_ones_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::local(dir.path()).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let mut writer = files.writer(&FileStore::staging_key()).await.unwrap();
            writer.write(&[1; 1000]).await.unwrap();
            writer.abort().await;
            let mut left = files.writer(&FileStore::staging_key()).await.unwrap();
            left.write(b"left behind").await.unwrap();
            left.finish().await.unwrap();
        });
        assert_eq!(files_under(dir.path()), 1);
        assert_eq!(files.sweep_staging(std::time::Duration::from_secs(3600)).unwrap(), 0);
        assert_eq!(files.sweep_staging(std::time::Duration::ZERO).unwrap(), 1);
        assert_eq!(files_under(dir.path()), 0);
    }
}
