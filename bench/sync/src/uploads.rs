//! Photo upload throughput: 200 photos of 300 KB from one phone to a real
//! `gridwork serve` over tus (the core's uploader: create, offset check,
//! checksummed chunks, fsync, whole-file SHA-256 before linking), beside a
//! raw HTTP PUT of the same bytes to a minimal server in this process that
//! writes each file and fsyncs it (the least a durable upload can do), and
//! the same PUT without fsync for reference. Then the bytes sent again when
//! uploads are cut off repeatedly.

use std::path::{Path, PathBuf};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::put;
use axum::Router;
use gridwork_core::evidence::queue::NetworkKind;
use gridwork_core::evidence::PhotoInput;
use gridwork_core::household::PlaceKind;
use gridwork_core::store::VisitInput;
use gridwork_core::sync::upload::upload_evidence;
use gridwork_core::Store;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::json;

use gridwork_netem::{LinkShape, Profile, Proxy, ProxyConfig};

use crate::admin::{enrol, Admin};
use crate::sync_bench::setup_grid;
use crate::BoxError;

/// The shaped-link run: photos and rate (a good 4G uplink).
const SHAPED_PHOTOS: usize = 40;
const SHAPED_KBIT: u64 = 20_000;

/// The raw server's directory and whether it fsyncs each file.
#[derive(Clone)]
struct Raw {
    dir: PathBuf,
    fsync: bool,
}

async fn raw_put(State(raw): State<Raw>, UrlPath(name): UrlPath<String>, body: Body) -> StatusCode {
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return StatusCode::BAD_REQUEST;
    };
    let path = raw.dir.join(name);
    let write = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut file = std::fs::File::create(path)?;
        file.write_all(&bytes)?;
        if raw.fsync {
            file.sync_all()?;
        }
        Ok::<_, std::io::Error>(())
    });
    match write.await {
        Ok(Ok(())) => StatusCode::CREATED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds to PUT every file to a raw server (through a shaped link when
/// `link` is given): the groups at once, each group's files one after
/// another (one group per phone).
pub(crate) async fn raw_baseline(
    groups: &[Vec<PathBuf>],
    dir: &Path,
    fsync: bool,
    link: Option<Profile>,
) -> Result<f64, BoxError> {
    let store = dir.join(format!("raw-{fsync}-{}-{}", link.is_some(), groups.len()));
    std::fs::create_dir_all(&store)?;
    let app = Router::new()
        .route("/raw/{name}", put(raw_put))
        .with_state(Raw { dir: store, fsync });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let proxy = match link {
        Some(profile) => Some(Proxy::start(ProxyConfig::new(addr).with_profile(profile)).await?),
        None => None,
    };
    let addr = proxy.as_ref().map_or(addr, |p| p.addr());
    let http = reqwest::Client::new();
    let t = Instant::now();
    let mut senders = Vec::new();
    for (g, files) in groups.iter().enumerate() {
        let (http, files) = (http.clone(), files.clone());
        senders.push(tokio::spawn(async move {
            for (i, f) in files.iter().enumerate() {
                let bytes = std::fs::read(f)?;
                let status = http
                    .put(format!("http://{addr}/raw/{g}-{i}.jpg"))
                    .body(bytes)
                    .send()
                    .await?
                    .status();
                if status != reqwest::StatusCode::CREATED {
                    return Err::<(), BoxError>(format!("raw PUT answered {status}").into());
                }
            }
            Ok(())
        }));
    }
    for sender in senders {
        sender.await??;
    }
    let seconds = t.elapsed().as_secs_f64();
    server.abort();
    Ok(seconds)
}

pub(crate) struct Phone {
    pub(crate) store: Store,
    pub(crate) secrets: gridwork_core::secrets::MemorySecrets,
}

/// A phone with `photos` photos of `size` bytes recorded on visits and
/// their records synced (so the server knows what to expect).
pub(crate) async fn phone_with_photos(
    admin: &Admin,
    url: &str,
    dir: &Path,
    name: &str,
    photos: usize,
    size: usize,
    seed: u64,
) -> Result<(Phone, Vec<PathBuf>), BoxError> {
    let store = Store::open(dir.join(format!("{name}.db")))?;
    let (secrets, _) = enrol(&store, url, &admin.code_for("bw1").await?, name).await?;
    gridwork_core::sync::device::sync(&store, &secrets, &|_| {}).await?;
    let template = store.checklist_for_kind(PlaceKind::Household)?;
    let answers = {
        let mut rng = StdRng::seed_from_u64(seed);
        gridwork_sim::day::answers(&mut rng, &template, 0.0)
    };
    let shots = dir.join(format!("{name}-camera"));
    std::fs::create_dir_all(&shots)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut files = Vec::new();
    // Ten photos a visit, as on a thorough inspection.
    for (v, batch) in (0..photos).collect::<Vec<_>>().chunks(10).enumerate() {
        let mut inputs = Vec::new();
        for i in batch {
            let mut bytes = vec![0u8; size];
            rng.fill_bytes(&mut bytes);
            let path = shots.join(format!("{i}.jpg"));
            std::fs::write(&path, &bytes)?;
            files.push(path.clone());
            inputs.push(PhotoInput {
                item_code: None,
                path: path.display().to_string(),
                media_type: "image/jpeg".into(),
                taken_at: chrono::Utc::now(),
                fix: None,
            });
        }
        store.record_visit(
            "bw1",
            &VisitInput {
                household_code: format!("BH{:06}", v % 10),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers: answers.clone(),
                notes: String::new(),
                fix: None,
                photos: inputs,
            },
        )?;
    }
    gridwork_core::sync::device::sync(&store, &secrets, &|_| {}).await?;
    Ok((Phone { store, secrets }, files))
}

pub async fn run(bin: &Path, photos: usize, size: usize, cuts: usize) -> Result<String, BoxError> {
    let dir = tempfile::tempdir()?;
    let (server, admin) = Admin::start(bin, dir.path()).await?;
    eprintln!("setting up a grid and a worker …");
    setup_grid(&admin, 10, false).await?;

    eprintln!("{photos} photos of {size} bytes: tus upload to gridwork serve …");
    let (phone, files) =
        phone_with_photos(&admin, &server.url, dir.path(), "phone", photos, size, 1).await?;
    let t = Instant::now();
    let report = upload_evidence(
        &phone.store,
        &phone.secrets,
        Some(NetworkKind::Unmetered),
        &|_| {},
    )
    .await?;
    let tus_seconds = t.elapsed().as_secs_f64();
    if report.stored as usize != photos {
        return Err(format!(
            "only {} of {photos} photos stored: {report:?}",
            report.stored
        )
        .into());
    }

    eprintln!("raw HTTP PUT of the same bytes (fsync, then without) …");
    let one = [files];
    let raw_fsync = raw_baseline(&one, dir.path(), true, None).await?;
    let raw_nofsync = raw_baseline(&one, dir.path(), false, None).await?;

    // On a link like a good 4G uplink (20 Mbit/s, 20 ms each way) the
    // network, not the disk, sets the pace, as it does in the field.
    let shaped = Profile::symmetric(
        LinkShape::kbit_per_sec(SHAPED_KBIT).with_latency(std::time::Duration::from_millis(20)),
    );
    eprintln!("{SHAPED_PHOTOS} photos over a {SHAPED_KBIT} kbit/s link: tus, then raw PUT …");
    let target: std::net::SocketAddr = server.url.trim_start_matches("http://").parse()?;
    let link = Proxy::start(ProxyConfig::new(target).with_profile(shaped)).await?;
    let (link_phone, link_files) = phone_with_photos(
        &admin,
        &format!("http://{}", link.addr()),
        dir.path(),
        "phone-4g",
        SHAPED_PHOTOS,
        size,
        3,
    )
    .await?;
    let t = Instant::now();
    let shaped_report = upload_evidence(
        &link_phone.store,
        &link_phone.secrets,
        Some(NetworkKind::Metered),
        &|_| {},
    )
    .await?;
    let shaped_tus = t.elapsed().as_secs_f64();
    if shaped_report.stored as usize != SHAPED_PHOTOS {
        return Err(format!(
            "over the shaped link only {} photos stored",
            shaped_report.stored
        )
        .into());
    }
    let shaped_raw = raw_baseline(&[link_files], dir.path(), true, Some(shaped)).await?;
    let shaped_mb = (SHAPED_PHOTOS * size) as f64 / 1e6;

    // Interrupted: the link (a proxy on loopback) dies mid-upload `cuts`
    // times, each time after a different number of bytes; each run after a
    // cut resumes. Bytes re-sent = photo bytes sent in request bodies beyond
    // the photos' size (a cut chunk counts whole); the proxy counts every
    // byte on the wire, HTTP and tus headers included.
    eprintln!("the same photos again, the link cut {cuts} times …");
    let proxy = Proxy::start(ProxyConfig::new(target)).await?;
    let proxy_url = format!("http://{}", proxy.addr());
    let (cut_phone, _) =
        phone_with_photos(&admin, &proxy_url, dir.path(), "phone-cut", photos, size, 2).await?;
    let wire_before = proxy.stats();
    // The cuts, one after another: each armed when the one before has
    // struck, somewhere in the next 1–2 MB (mid-chunk, at varying points).
    let handle = proxy.handle();
    let cutter = tokio::spawn(async move {
        for i in 0..cuts as u64 {
            let struck = handle.stats().connections_cut;
            handle.cut_after_bytes(
                gridwork_netem::Direction::Up,
                1_000_000 + (i * 370_003) % 1_000_000,
            );
            // Bounded: a cut that never strikes (the upload finished first)
            // ends the series.
            let mut waited = 0;
            while handle.stats().connections_cut == struck && waited < 10_000 {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                waited += 1;
            }
        }
        handle.clear_cuts();
    });
    let mut sent = 0u64;
    let mut stored = 0u32;
    let mut runs = 0usize;
    let total = (photos * size) as u64;
    // Bounded: each run stores at least what the cuts spare.
    while (stored as usize) < photos && runs < cuts + 20 {
        runs += 1;
        match upload_evidence(&cut_phone.store, &cut_phone.secrets, None, &|_| {}).await {
            Ok(r) => {
                sent += r.bytes_sent;
                stored += r.stored;
            }
            Err(e) => eprintln!("  run {runs}: {e}"),
        }
        // A cut upload waits out its backoff before the next try: not here.
        cut_phone.store.retry_uploads_now()?;
    }
    cutter.abort();
    let wire = proxy.stats().since(&wire_before);
    let cut_connections = wire.connections_cut;
    let status = cut_phone.store.upload_queue_status()?;
    if status.stored as usize != photos {
        return Err(format!(
            "after the cuts only {} photos stored: {status:?}",
            status.stored
        )
        .into());
    }
    drop(server);
    let mb = total as f64 / 1e6;
    Ok(json!({
        "photos": photos,
        "photo_bytes": size,
        "tus": {"seconds": tus_seconds, "mb_per_s": mb / tus_seconds, "requests": report.requests},
        "raw_put_fsync": {"seconds": raw_fsync, "mb_per_s": mb / raw_fsync, "requests": photos},
        "raw_put": {"seconds": raw_nofsync, "mb_per_s": mb / raw_nofsync, "requests": photos},
        "shaped": {
            "link_kbit_per_s": SHAPED_KBIT,
            "photos": SHAPED_PHOTOS,
            "tus": {"seconds": shaped_tus, "mb_per_s": shaped_mb / shaped_tus, "requests": shaped_report.requests},
            "raw_put_fsync": {"seconds": shaped_raw, "mb_per_s": shaped_mb / shaped_raw, "requests": SHAPED_PHOTOS},
        },
        "interrupted": {
            "cuts": cut_connections,
            "runs": runs,
            "photo_bytes": total,
            "body_bytes_sent": sent,
            "bytes_resent": sent.saturating_sub(total),
            "wire_bytes_up": wire.bytes_up,
        },
    })
    .to_string())
}
