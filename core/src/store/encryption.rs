//! The phone's store encrypted at rest (PIPL: names, phones and ID numbers
//! of a whole grid live on a cheap phone that can be lost). SQLCipher
//! through rusqlite's bundled SQLCipher, keyed with a random 256-bit raw
//! key that the platform's secret store keeps (Android Keystore, iOS
//! Keychain, through [`SecretStore`]). A raw key means no passphrase
//! derivation at open: opening costs what plain SQLite costs plus the
//! page decryption. The server's store stays unkeyed (it lives on a
//! server disk with its own controls, and is opened without a key).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tracing::info;

use crate::error::{CoreError, Result};
use crate::secrets::SecretStore;

/// Where the store key lives in the secret store.
pub const STORE_KEY: &str = "gridwork.store_key";

/// A raw 256-bit SQLCipher key. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<StoreKey> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| CoreError::Platform {
            reason: format!("no randomness for the store key: {e}"),
        })?;
        Ok(StoreKey(key))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> StoreKey {
        StoreKey(bytes)
    }

    /// The key this installation's store uses, created (and kept in the
    /// secret store) the first time.
    pub fn from_secrets(secrets: &dyn SecretStore) -> Result<StoreKey> {
        if let Some(hex_key) = secrets.get(STORE_KEY)? {
            let bytes = hex::decode(hex_key.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok());
            return bytes.map(StoreKey).ok_or_else(|| {
                CoreError::invalid(
                    "store_key",
                    "安全存储中的数据库密钥已损坏 / the store key in the secret store is damaged",
                )
            });
        }
        let key = StoreKey::generate()?;
        secrets.put(STORE_KEY, &hex::encode(key.0))?;
        info!("store key created in the secret store");
        Ok(key)
    }

    /// `PRAGMA key` in SQLCipher's raw-key form (`x'…'`: no derivation).
    fn pragma(&self) -> String {
        format!("PRAGMA key = \"x'{}'\";", hex::encode(self.0))
    }

    fn attach(&self, path: &Path) -> Result<String> {
        let p = path.to_str().ok_or_else(|| {
            CoreError::invalid("path", "数据库路径须为UTF-8 / the store path must be UTF-8")
        })?;
        Ok(format!(
            "ATTACH DATABASE '{}' AS encrypted KEY \"x'{}'\";",
            p.replace('\'', "''"),
            hex::encode(self.0)
        ))
    }
}

/// The page formats a phone's store has been written in.
#[derive(Clone, Copy)]
enum PageFormat {
    /// SQLCipher 4's defaults: every page authenticated with HMAC-SHA512.
    /// Stores written before the change below.
    Legacy,
    /// HMAC-SHA256: the same integrity guarantee for a 4 KiB page (a
    /// 256-bit tag) at a lower cost per page written (ADR 0013,
    /// docs/benchmarks.md).
    Current,
}

impl PageFormat {
    /// The pragmas that select this format on `schema` ("main", or an
    /// attached database), set after its key and before its first page is
    /// read or written.
    fn pragmas(self, schema: &str) -> String {
        match self {
            PageFormat::Legacy => String::new(),
            PageFormat::Current => format!("PRAGMA {schema}.cipher_hmac_algorithm = HMAC_SHA256;"),
        }
    }
}

/// Open the phone's store with its key: a plain store from before
/// encryption is encrypted first, and a store in the earlier page format
/// (HMAC-SHA512) is rewritten in the current one. Both rewrites are
/// crash-safe copies renamed over the store only when complete.
pub(crate) fn open_keyed(path: &Path, key: &StoreKey) -> Result<Connection> {
    if is_plain_sqlite(path)? {
        encrypt_in_place(path, key)?;
    }
    crate::private_file::make_private(path)?;
    let conn = Connection::open(path)?;
    match apply_key(&conn, key, PageFormat::Current) {
        Err(Refused::WrongKey) => {}
        other => return other.map(|()| conn).map_err(Refused::into_error),
    }
    drop(conn);
    // Not the current format with this key: either a store written before
    // the format changed, or the wrong key. Only the former opens with the
    // legacy settings; the latter is refused without touching the file.
    reformat_in_place(path, key)?;
    let conn = Connection::open(path)?;
    apply_key(&conn, key, PageFormat::Current).map_err(Refused::into_error)?;
    Ok(conn)
}

/// Why a key did not open a store.
enum Refused {
    WrongKey,
    Other(CoreError),
}

impl Refused {
    fn into_error(self) -> CoreError {
        match self {
            Refused::WrongKey => CoreError::invalid(
                "store_key",
                "数据库无法用此密钥打开（密钥不对，或不是本应用的数据库）/ the store does not open with this key (a wrong key, or not this app's store)",
            ),
            Refused::Other(e) => e,
        }
    }
}

impl From<rusqlite::Error> for Refused {
    fn from(e: rusqlite::Error) -> Self {
        Refused::Other(e.into())
    }
}

impl From<CoreError> for Refused {
    fn from(e: CoreError) -> Self {
        Refused::Other(e)
    }
}

/// Key a freshly opened connection in the given page format, then prove
/// the key opens the file (SQLCipher only notices a wrong key, or a wrong
/// format, at the first read).
fn apply_key(
    conn: &Connection,
    key: &StoreKey,
    format: PageFormat,
) -> std::result::Result<(), Refused> {
    quiet(conn)?;
    conn.execute_batch(&key.pragma())?;
    conn.execute_batch(&format.pragmas("main"))?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(Refused::WrongKey)
        }
        Err(e) => Err(e.into()),
    }
}

/// SQLCipher writes its own log lines to stderr (a wrong key logs
/// "error decrypting page 1"); a library must not. The error still
/// reaches the caller as a `CoreError`.
fn quiet(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(()),
            e => Err(e),
        })?;
    Ok(())
}

/// Does `path` hold an unencrypted SQLite database (a store from before
/// encryption)?
fn is_plain_sqlite(path: &Path) -> Result<bool> {
    let mut head = [0u8; 16];
    match std::fs::File::open(path) {
        Ok(mut f) => match f.read_exact(&mut head) {
            Ok(()) => Ok(&head == b"SQLite format 3\0"),
            Err(_) => Ok(false),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CoreError::io(path, e)),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Encrypt a plain store in place. Crash-safe: the encrypted copy is
/// written beside the store and renamed over it only when complete, so
/// at any moment the path holds either the whole plain store or the whole
/// encrypted one (a half-written copy is discarded at the next open).
fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let tmp = sibling(path, ".encrypting");
    remove_if_exists(&tmp)?;
    {
        let plain = Connection::open(path)?;
        quiet(&plain)?;
        export(&plain, key, &tmp)?;
    }
    replace_with(&tmp, path)?;
    info!("store encrypted in place");
    Ok(())
}

/// Rewrite a store kept in the earlier page format (SQLCipher 4's
/// default, HMAC-SHA512) in the current one, in place and crash-safe like
/// [`encrypt_in_place`]: until the rename the old file is untouched and
/// still opens, so a crash only means the next open tries again. A key
/// that opens neither format is refused and nothing is written.
fn reformat_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let tmp = sibling(path, ".reformatting");
    remove_if_exists(&tmp)?;
    {
        let legacy = Connection::open(path)?;
        apply_key(&legacy, key, PageFormat::Legacy).map_err(Refused::into_error)?;
        export(&legacy, key, &tmp)?;
    }
    replace_with(&tmp, path)?;
    info!("store rewritten in the current page format");
    Ok(())
}

/// Copy everything `from` holds into a new store at `to`, encrypted with
/// `key` in the current page format. `from` leaves WAL mode first, so no
/// journal is left beside the store to be replayed against the copy.
fn export(from: &Connection, key: &StoreKey, to: &Path) -> Result<()> {
    from.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    from.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    let version: i64 = from.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    crate::private_file::make_private(to)?;
    from.execute_batch(&key.attach(to)?)?;
    from.execute_batch(&PageFormat::Current.pragmas("encrypted"))?;
    from.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    from.execute_batch(&format!("PRAGMA encrypted.user_version = {version};"))?;
    from.execute_batch("DETACH DATABASE encrypted;")?;
    Ok(())
}

/// Make the finished copy durable and put it in the store's place.
fn replace_with(tmp: &Path, path: &Path) -> Result<()> {
    sync_file(tmp)?;
    std::fs::rename(tmp, path).map_err(|e| CoreError::io(path, e))?;
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        // The rename itself made durable (best effort where directories
        // cannot be opened).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| CoreError::io(path, e))
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CoreError::io(path, e)),
    }
}
