//! Blobs as files on the local filesystem (the default): durable by
//! rename and directory fsync, a batch made durable with one `syncfs`.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{sync_batch, sync_dir, valid_key, BlobError, BlobStore};

/// Blobs as files `root/ab/abcdef…` (two-character fan-out keeps
/// directories small at a city's millions of photos).
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Where `sha256` goes, its fan-out directory made again if it was
    /// removed since `open` (with the root synced, so its name lasts).
    fn dest_dir(&self, sha256: &str) -> Result<(PathBuf, PathBuf), BlobError> {
        let dest = self.path_of(sha256)?;
        let dir = dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir).map_err(|e| BlobError::io(&dir, e))?;
            sync_dir(&self.root).map_err(|e| BlobError::io(&self.root, e))?;
        }
        Ok((dest, dir))
    }

    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| BlobError::io(&root, e))?;
        // Every fan-out directory exists from the start, its name durable
        // (one fsync of the root here), so storing a blob never creates a
        // directory whose entry a power cut could take away with the blob.
        let mut created = false;
        for b in 0..=255u8 {
            let dir = root.join(format!("{b:02x}"));
            if !dir.is_dir() {
                std::fs::create_dir_all(&dir).map_err(|e| BlobError::io(&dir, e))?;
                created = true;
            }
        }
        if created {
            sync_dir(&root).map_err(|e| BlobError::io(&root, e))?;
        }
        Ok(FsBlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a blob lives (for the tests and for serving files directly).
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        valid_key(sha256)?;
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }
}

impl BlobStore for FsBlobStore {
    fn put_file(&self, sha256: &str, file: &Path) -> Result<(), BlobError> {
        let (dest, dir) = self.dest_dir(sha256)?;
        if dest.exists() {
            // Same bytes already stored (content addressing): keep one copy.
            std::fs::remove_file(file).map_err(|e| BlobError::io(file, e))?;
            return Ok(());
        }
        // The bytes are on disk before the name says they are there: the
        // caller fsync'd them (a second fsync of a clean file still costs a
        // disk cache flush).
        std::fs::rename(file, &dest).map_err(|e| BlobError::io(&dest, e))?;
        sync_dir(&dir).map_err(|e| BlobError::io(&dir, e))?;
        Ok(())
    }

    fn put_files(&self, files: &[(String, PathBuf)]) -> Result<(), BlobError> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (sha256, file) in files {
            let (dest, dir) = self.dest_dir(sha256)?;
            if dest.exists() {
                std::fs::remove_file(file).map_err(|e| BlobError::io(file, e))?;
                continue;
            }
            std::fs::rename(file, &dest).map_err(|e| BlobError::io(&dest, e))?;
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        if !dirs.is_empty() {
            // One barrier for every rename of the batch.
            sync_batch(&self.root, &dirs).map_err(|e| BlobError::io(&self.root, e))?;
        }
        Ok(())
    }

    fn open(&self, sha256: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        let path = self.path_of(sha256)?;
        match File::open(&path) {
            Ok(f) => Ok(Box::new(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(BlobError::NotFound(sha256.into()))
            }
            Err(e) => Err(BlobError::io(&path, e)),
        }
    }

    fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        Ok(self.path_of(sha256)?.is_file())
    }

    fn size(&self, sha256: &str) -> Result<u64, BlobError> {
        let path = self.path_of(sha256)?;
        match std::fs::metadata(&path) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(BlobError::NotFound(sha256.into()))
            }
            Err(e) => Err(BlobError::io(&path, e)),
        }
    }

    fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        let path = self.path_of(sha256)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BlobError::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_is_content_addressed_and_dedupes() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::open(dir.path().join("blobs")).unwrap();
        let key = "ab".repeat(32);
        for _ in 0..2 {
            let f = dir.path().join("done");
            std::fs::write(&f, b"photo").unwrap();
            blobs.put_file(&key, &f).unwrap();
            assert!(!f.exists(), "the completed file is moved or dropped");
        }
        assert!(blobs.exists(&key).unwrap());
        assert_eq!(blobs.size(&key).unwrap(), 5);
        let mut s = String::new();
        blobs.open(&key).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "photo");
        blobs.delete(&key).unwrap();
        assert!(!blobs.exists(&key).unwrap());
        assert!(matches!(blobs.path_of("../x"), Err(BlobError::BadKey(_))));
    }
}
