//! Photo ingest under load (issue 21): many phones upload their photos at
//! once to one `gridwork serve` (its photo store and records as the
//! environment names them, `GRIDWORK_BLOBS` and `GRIDWORK_DATABASE`, so
//! `scripts/bench.sh ingest` runs the same program on the data directory,
//! an S3-compatible server and PostgreSQL), beside a raw HTTP PUT + fsync
//! of the same bytes at the same concurrency to a minimal server in this
//! process. The time runs until every phone has heard "stored" for every
//! photo (the core's uploader, as in the field).

use std::path::Path;
use std::time::Instant;

use gridwork_core::evidence::queue::NetworkKind;
use gridwork_core::sync::upload::upload_evidence;
use serde_json::json;

use crate::admin::Admin;
use crate::sync_bench::setup_grid;
use crate::uploads::{phone_with_photos, raw_baseline};
use crate::BoxError;

pub async fn run(
    bin: &Path,
    phones: usize,
    per_phone: usize,
    size: usize,
) -> Result<String, BoxError> {
    let dir = tempfile::tempdir()?;
    let (server, admin) = Admin::start(bin, dir.path()).await?;
    setup_grid(&admin, 10, false).await?;
    eprintln!("{phones} phones with {per_phone} photos of {size} bytes each …");
    let mut ready = Vec::with_capacity(phones);
    for p in 0..phones {
        let name = format!("phone-{p}");
        ready.push(
            phone_with_photos(
                &admin,
                &server.url,
                dir.path(),
                &name,
                per_phone,
                size,
                100 + p as u64,
            )
            .await?,
        );
    }
    let (phones_ready, groups): (Vec<_>, Vec<_>) = ready.into_iter().unzip();
    eprintln!("all {phones} phones upload at once …");
    let t = Instant::now();
    let mut uploads = Vec::with_capacity(phones);
    for phone in phones_ready {
        uploads.push(tokio::spawn(async move {
            let report = upload_evidence(
                &phone.store,
                &phone.secrets,
                Some(NetworkKind::Unmetered),
                &|_| {},
            )
            .await
            .map_err(|e| -> BoxError { e.to_string().into() })?;
            Ok::<_, BoxError>(report)
        }));
    }
    let (mut stored, mut requests) = (0usize, 0u64);
    for upload in uploads {
        let report = upload.await??;
        stored += report.stored as usize;
        requests += u64::from(report.requests);
    }
    let tus_seconds = t.elapsed().as_secs_f64();
    let photos = phones * per_phone;
    if stored != photos {
        return Err(format!("only {stored} of {photos} photos stored").into());
    }
    drop(server);
    eprintln!("raw HTTP PUT + fsync of the same bytes, {phones} at once …");
    let raw_seconds = raw_baseline(&groups, dir.path(), true, None).await?;
    let blobs = std::env::var("GRIDWORK_BLOBS").unwrap_or_else(|_| "data".into());
    // With photos in an object store, also what that store takes at the
    // same concurrency: a PUT of each file, signed and checksummed as the
    // server's are (object_store, from the same AWS_* settings).
    let raw_store = match blobs.strip_prefix("s3://") {
        Some(rest) => {
            let bucket = rest.split('/').next().unwrap_or_default();
            eprintln!("raw PUT of the same bytes to the object store, {phones} at once …");
            Some(put_all(&groups, bucket).await?)
        }
        None => None,
    };
    let records = if std::env::var("GRIDWORK_DATABASE").is_ok_and(|d| d.starts_with("postgres")) {
        "postgres"
    } else {
        "sqlite"
    };
    Ok(json!({
        "phones": phones,
        "photos": photos,
        "photo_bytes": size,
        "photos_in": if blobs.starts_with("s3://") { "s3" } else { "data" },
        "records_in": records,
        "tus": {"seconds": tus_seconds, "photos_per_s": photos as f64 / tus_seconds, "requests": requests},
        "raw_put_fsync": {"seconds": raw_seconds, "photos_per_s": photos as f64 / raw_seconds, "requests": photos},
        "raw_put_store": raw_store.map(|seconds| json!({"seconds": seconds, "photos_per_s": photos as f64 / seconds})),
    })
    .to_string())
}

/// Seconds to PUT every file into `bucket` as `raw-bench/<group>-<n>.jpg`,
/// the groups at once.
async fn put_all(groups: &[Vec<std::path::PathBuf>], bucket: &str) -> Result<f64, BoxError> {
    use object_store::aws::{AmazonS3Builder, Checksum};
    use object_store::ObjectStore as _;
    let store = std::sync::Arc::new(
        AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_checksum_algorithm(Checksum::SHA256)
            .build()?,
    );
    let t = Instant::now();
    let mut senders = Vec::new();
    for (g, files) in groups.iter().enumerate() {
        let (store, files) = (store.clone(), files.clone());
        senders.push(tokio::spawn(async move {
            for (i, f) in files.iter().enumerate() {
                let key = object_store::path::Path::from(format!("raw-bench/{g}-{i}.jpg"));
                store.put(&key, std::fs::read(f)?.into()).await?;
            }
            Ok::<(), BoxError>(())
        }));
    }
    for sender in senders {
        sender.await??;
    }
    Ok(t.elapsed().as_secs_f64())
}
