//! Photo bytes behind a trait, content-addressed by SHA-256 (two evidence
//! records of the same photo share one blob). The default keeps them on
//! the local filesystem under `data/blobs/` (`fs.rs`); `--blobs s3://…`
//! puts them in any S3-compatible object store (`object.rs`), which
//! several server instances can share (ADR 0018).
//!
//! A blob only ever appears whole: `put_file` takes a completed, verified
//! file and stores it in one step (an atomic rename, or one PUT).

mod fs;
mod object;

pub use fs::FsBlobStore;
pub use object::ObjectBlobStore;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

/// Why a blob operation failed.
#[derive(Debug, Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("not a SHA-256 hex digest: {0}")]
    BadKey(String),
    #[error("blob storage is full")]
    Full,
    /// The object store did not answer, or refused (its words).
    #[error("the photo store is unavailable: {0}")]
    Unavailable(String),
    #[error("blob storage i/o on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl BlobError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::StorageFull {
            BlobError::Full
        } else {
            BlobError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Content-addressed blob storage; keys are lowercase SHA-256 hex digests.
pub trait BlobStore: Send + Sync + std::fmt::Debug + 'static {
    /// Move a completed file (already verified to hash to `sha256`, its
    /// bytes already fsync'd by the caller) into the store atomically. If
    /// the blob exists already, the file is removed.
    fn put_file(&self, sha256: &str, file: &Path) -> Result<(), BlobError>;
    /// Move a batch of verified files (`(sha256, file)`, bytes already
    /// durable) into the store. When it returns, every one is stored and
    /// durable; a store that can make the batch durable at once (one
    /// barrier instead of one per blob) does so.
    fn put_files(&self, files: &[(String, PathBuf)]) -> Result<(), BlobError> {
        for (sha256, file) in files {
            self.put_file(sha256, file)?;
        }
        Ok(())
    }
    /// Read a blob.
    fn open(&self, sha256: &str) -> Result<Box<dyn Read + Send>, BlobError>;
    fn exists(&self, sha256: &str) -> Result<bool, BlobError>;
    /// Size in bytes.
    fn size(&self, sha256: &str) -> Result<u64, BlobError>;
    fn delete(&self, sha256: &str) -> Result<(), BlobError>;
}

/// Where photo blobs live (`gridwork serve --blobs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BlobLocation {
    /// Files under the data directory's `blobs/` (one machine).
    #[default]
    DataDir,
    /// An S3-compatible bucket (and key prefix), `s3://bucket/prefix`;
    /// endpoint and credentials from the standard `AWS_*` variables
    /// (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ALLOW_HTTP`).
    S3(String),
    /// An object store handed in by the program embedding the server
    /// (the tests give `object_store`'s in-memory one), shared like S3.
    Given(GivenObjects),
}

/// An `object_store` store and a name for it (compared by name).
#[derive(Clone)]
pub struct GivenObjects {
    pub store: Arc<dyn object_store::ObjectStore>,
    pub name: String,
}

impl PartialEq for GivenObjects {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for GivenObjects {}

impl std::fmt::Debug for GivenObjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GivenObjects({})", self.name)
    }
}

impl std::str::FromStr for BlobLocation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || s == "data" {
            Ok(BlobLocation::DataDir)
        } else if let Some(rest) = s.strip_prefix("s3://") {
            if rest.split('/').next().unwrap_or_default().is_empty() {
                return Err(format!(
                    "照片存储地址缺少存储桶名 / no bucket in the photo store address {s} (s3://bucket/prefix)"
                ));
            }
            Ok(BlobLocation::S3(s.to_string()))
        } else {
            Err(format!(
                "照片存储地址须为 data 或 s3://存储桶/前缀 / the photo store must be `data` or s3://bucket/prefix, not {s}"
            ))
        }
    }
}

impl BlobLocation {
    /// Open the blob store this names (`data_dir` for the default).
    pub fn open(&self, data_dir: &Path) -> Result<Arc<dyn BlobStore>, BlobError> {
        Ok(match self {
            BlobLocation::DataDir => Arc::new(FsBlobStore::open(data_dir.join("blobs"))?),
            _ => match self.open_objects() {
                Some(objects) => objects?,
                None => Arc::new(FsBlobStore::open(data_dir.join("blobs"))?),
            },
        })
    }

    /// The object store this names, if it names one (several instances
    /// can share it); `None` for the data directory.
    pub fn open_objects(&self) -> Option<Result<Arc<ObjectBlobStore>, BlobError>> {
        match self {
            BlobLocation::DataDir => None,
            BlobLocation::S3(url) => Some(ObjectBlobStore::s3_from_env(url).map(Arc::new)),
            BlobLocation::Given(given) => {
                Some(ObjectBlobStore::new(given.store.clone(), "", &given.name).map(Arc::new))
            }
        }
    }
}

pub(crate) fn valid_key(sha256: &str) -> Result<(), BlobError> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(BlobError::BadKey(sha256.chars().take(80).collect()))
    }
}

/// Make a rename or a new file in `dir` survive power loss.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Make every write and rename so far on the file system holding `dir`
/// durable. On Linux one `syncfs` (one journal commit, however many files
/// and directories changed): a batch of photos costs one flush, not one
/// per file. Elsewhere each of `each` (files or directories) is fsync'd.
pub(crate) fn sync_batch(dir: &Path, each: &[PathBuf]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let _ = each;
        let f = File::open(dir)?;
        rustix::fs::syncfs(&f).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        for path in each {
            if path.is_dir() {
                sync_dir(path)?;
            } else {
                File::open(path)?.sync_all()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::BlobLocation;

    #[test]
    fn the_photo_store_is_named_plainly_or_refused_with_the_reason() {
        assert_eq!("data".parse(), Ok(BlobLocation::DataDir));
        assert_eq!(
            "s3://photos/city-a".parse(),
            Ok(BlobLocation::S3("s3://photos/city-a".into()))
        );
        let no_bucket = "s3:///city-a".parse::<BlobLocation>().unwrap_err();
        assert!(no_bucket.contains("no bucket"), "{no_bucket}");
        let other = "ftp://photos".parse::<BlobLocation>().unwrap_err();
        assert!(other.contains("s3://bucket/prefix"), "{other}");
    }
}
