//! Blobs in an object store through the `object_store` crate (Apache
//! Arrow's; S3 and every S3-compatible service), so that several server
//! instances share one photo store (ADR 0018). A PUT is durable when it
//! is answered, and it carries the blob's SHA-256
//! (`x-amz-checksum-sha256`) so the store refuses bytes damaged on the
//! way. Object keys are `<prefix>/<ab>/<sha256>`.
//!
//! The `BlobStore` trait is blocking (the routes call storage on tokio's
//! blocking pool); this store drives `object_store`'s futures on a small
//! runtime of its own, so it works the same from any thread, inside the
//! server's runtime or not.

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, Checksum};
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientConfigKey, ObjectStore, PutPayload, RetryConfig};

use super::{valid_key, BlobError, BlobStore};

/// How long one request to the object store may take, and how long it is
/// retried: a phone's upload waits on it, and a 503 it can retry later
/// beats a request hanging for object_store's default three minutes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_FOR: Duration = Duration::from_secs(10);

/// Photo blobs in an object store.
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    /// Where the store's futures run. `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    /// For messages: `s3://bucket/prefix`.
    name: String,
}

impl std::fmt::Debug for ObjectBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBlobStore")
            .field("at", &self.name)
            .finish_non_exhaustive()
    }
}

impl Drop for ObjectBlobStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside another
        // runtime (the server drops its storage at the end of `serve`).
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl ObjectBlobStore {
    /// An S3-compatible bucket named by `s3://bucket/prefix`, with the
    /// endpoint, region and credentials from the standard `AWS_*`
    /// environment variables.
    pub fn s3_from_env(url: &str) -> Result<Self, BlobError> {
        Self::s3(AmazonS3Builder::from_env(), url)
    }

    /// An S3-compatible bucket, `s3://bucket/prefix`, reached with the
    /// given settings.
    pub fn s3(settings: AmazonS3Builder, url: &str) -> Result<Self, BlobError> {
        let rest = url.strip_prefix("s3://").unwrap_or(url);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let store = settings
            .with_bucket_name(bucket)
            .with_checksum_algorithm(Checksum::SHA256)
            // Set key by key: `with_client_options` would replace the
            // options read from the environment (AWS_ALLOW_HTTP among them).
            .with_config(
                AmazonS3ConfigKey::Client(ClientConfigKey::Timeout),
                format!("{}s", REQUEST_TIMEOUT.as_secs()),
            )
            .with_config(
                AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                format!("{}s", CONNECT_TIMEOUT.as_secs()),
            )
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: RETRY_FOR,
            })
            .build()
            .map_err(|e| BlobError::Unavailable(format!("{url}: {e}")))?;
        Self::new(Arc::new(store), prefix, url)
    }

    /// Any `object_store` store (tests use the in-memory one).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str, name: &str) -> Result<Self, BlobError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gridwork-blobs")
            .enable_all()
            .build()
            .map_err(|e| BlobError::Unavailable(format!("no runtime for the photo store: {e}")))?;
        Ok(ObjectBlobStore {
            store,
            prefix: prefix.trim_matches('/').to_string(),
            runtime: Some(runtime),
            name: name.to_string(),
        })
    }

    fn key(&self, sha256: &str) -> Result<ObjectPath, BlobError> {
        valid_key(sha256)?;
        let key = if self.prefix.is_empty() {
            format!("{}/{sha256}", &sha256[..2])
        } else {
            format!("{}/{}/{sha256}", self.prefix, &sha256[..2])
        };
        Ok(ObjectPath::from(key))
    }

    /// Run one of the store's futures to completion from blocking code.
    fn run<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T, object_store::Error>> + Send + 'static,
    ) -> Result<T, object_store::Error> {
        let Some(rt) = &self.runtime else {
            return Err(object_store::Error::NotImplemented);
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv()
            .unwrap_or(Err(object_store::Error::NotImplemented))
    }

    fn err(&self, sha256: &str, e: object_store::Error) -> BlobError {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound(sha256.to_string()),
            e => {
                tracing::warn!(store = %self.name, error = %e, "photo store request failed");
                BlobError::Unavailable(e.to_string())
            }
        }
    }
}

/// Bytes of uploads in progress, beside the blobs under
/// `<prefix>/partial/<name>` (ADR 0018): each acknowledged PATCH body is
/// one object, so any instance can continue an upload. A blob key is
/// `<prefix>/<two hex digits>/…`, so the two never meet.
impl ObjectBlobStore {
    fn part_key(&self, name: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(format!("partial/{name}"))
        } else {
            ObjectPath::from(format!("{}/partial/{name}", self.prefix))
        }
    }

    /// Store one part; durable when it returns.
    pub(crate) fn put_part(&self, name: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let (store, key) = (self.store.clone(), self.part_key(name));
        self.run(async move { store.put(&key, PutPayload::from(bytes)).await })
            .map(|_| ())
            .map_err(|e| self.err(name, e))
    }

    /// One part's bytes.
    pub(crate) fn get_part(&self, name: &str) -> Result<Vec<u8>, BlobError> {
        let (store, key) = (self.store.clone(), self.part_key(name));
        self.run(async move { store.get(&key).await?.bytes().await })
            .map(|b| b.to_vec())
            .map_err(|e| self.err(name, e))
    }

    /// Remove a part (gone already is fine).
    pub(crate) fn delete_part(&self, name: &str) -> Result<(), BlobError> {
        let (store, key) = (self.store.clone(), self.part_key(name));
        match self.run(async move { store.delete(&key).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(name, e)),
        }
    }

    /// Every part there is, by name, with when it was written.
    pub(crate) fn list_parts(
        &self,
    ) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>, BlobError> {
        use futures_util::TryStreamExt as _;
        let (store, dir) = (self.store.clone(), self.part_key(""));
        let listed = self
            .run(async move { store.list(Some(&dir)).try_collect::<Vec<_>>().await })
            .map_err(|e| self.err("partial/", e))?;
        let dir = self.part_key("");
        Ok(listed
            .into_iter()
            .filter_map(|meta| {
                let name = meta.location.prefix_match(&dir)?;
                let name = name.map(|p| p.as_ref().to_string()).collect::<Vec<_>>();
                Some((name.join("/"), meta.last_modified))
            })
            .collect())
    }

    /// Store a whole photo from memory (already verified to hash to
    /// `sha256`); durable when it returns.
    pub(crate) fn put_blob(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let (store, key) = (self.store.clone(), self.key(sha256)?);
        self.run(async move { store.put(&key, PutPayload::from(bytes)).await })
            .map(|_| ())
            .map_err(|e| self.err(sha256, e))
    }
}

impl BlobStore for ObjectBlobStore {
    fn put_file(&self, sha256: &str, file: &Path) -> Result<(), BlobError> {
        // One PUT, no HEAD first: the key is the content's hash, so putting
        // a blob that is already there writes the same bytes again, and a
        // round trip per photo is saved on the ingest path. Photos are at
        // most MAX_UPLOAD_SIZE (32 MiB): sent whole.
        let bytes = std::fs::read(file).map_err(|e| BlobError::io(file, e))?;
        let (store, key) = (self.store.clone(), self.key(sha256)?);
        self.run(async move { store.put(&key, PutPayload::from(bytes)).await })
            .map_err(|e| self.err(sha256, e))?;
        // Stored: the local copy is no longer needed.
        std::fs::remove_file(file).map_err(|e| BlobError::io(file, e))
    }

    fn open(&self, sha256: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        let (store, key) = (self.store.clone(), self.key(sha256)?);
        let bytes = self
            .run(async move { store.get(&key).await?.bytes().await })
            .map_err(|e| self.err(sha256, e))?;
        Ok(Box::new(Cursor::new(bytes)))
    }

    fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        match self.size(sha256) {
            Ok(_) => Ok(true),
            Err(BlobError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn size(&self, sha256: &str) -> Result<u64, BlobError> {
        let (store, key) = (self.store.clone(), self.key(sha256)?);
        self.run(async move { store.head(&key).await.map(|m| m.size) })
            .map_err(|e| self.err(sha256, e))
    }

    fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        let (store, key) = (self.store.clone(), self.key(sha256)?);
        match self.run(async move { store.delete(&key).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(sha256, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    #[test]
    fn put_is_content_addressed_and_the_local_copy_goes() {
        let dir = tempfile::tempdir().unwrap();
        let memory = Arc::new(InMemory::new());
        let blobs = ObjectBlobStore::new(memory.clone(), "/photos/", "memory").unwrap();
        let key = "cd".repeat(32);
        for _ in 0..2 {
            let f = dir.path().join("done");
            std::fs::write(&f, b"photo").unwrap();
            blobs.put_file(&key, &f).unwrap();
            assert!(!f.exists(), "the completed file is dropped once stored");
        }
        assert!(blobs.exists(&key).unwrap());
        assert_eq!(blobs.size(&key).unwrap(), 5);
        let mut s = String::new();
        blobs.open(&key).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "photo");
        // Under the prefix, fanned out by the first two hex digits.
        let rt = tokio::runtime::Runtime::new().unwrap();
        let stored = rt
            .block_on(memory.head(&ObjectPath::from(format!("photos/cd/{key}"))))
            .unwrap();
        assert_eq!(stored.size, 5);
        blobs.delete(&key).unwrap();
        assert!(!blobs.exists(&key).unwrap());
        blobs.delete(&key).unwrap();
        assert!(matches!(blobs.open(&key), Err(BlobError::NotFound(_))));
        assert!(matches!(blobs.exists("../x"), Err(BlobError::BadKey(_))));
    }

    #[test]
    fn an_unreachable_store_is_unavailable_not_missing() {
        // Nothing listens on port 9 of loopback (discard): refused at once.
        let settings = AmazonS3Builder::new()
            .with_endpoint("http://127.0.0.1:9")
            .with_allow_http(true)
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .with_region("us-east-1");
        let blobs = ObjectBlobStore::s3(settings, "s3://photos").unwrap();
        match blobs.exists(&"ab".repeat(32)) {
            Err(BlobError::Unavailable(_)) => {}
            other => panic!("an unreachable store must be unavailable: {other:?}"),
        }
    }
}
