//! The simulated phones: a store file each, their sync and uploads, and one
//! phone run in its own process so its memory can be measured.

use super::*;
/// One simulated phone: its store file and credential (the store is opened
/// for each phase and closed after, so that thousands of phones do not
/// hold thousands of SQLite connections).
#[derive(Debug, Clone)]
pub(super) struct Phone {
    pub(super) user: String,
    pub(super) role: Role,
    pub(super) db: PathBuf,
    pub(super) token: String,
    /// The area index's grid (workers) or jurisdiction (others).
    pub(super) region: String,
}

impl Phone {
    pub(super) fn open(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(Store, ManualClock, MemorySecrets), BoxError> {
        let clock = ManualClock::new(now);
        let store = Store::open_with_clock(&self.db, Arc::new(clock.clone()))?;
        let secrets = MemorySecrets::default();
        secrets.put(DEVICE_CREDENTIAL, &self.token)?;
        Ok((store, clock, secrets))
    }
}

/// Device-side sync counters (bytes on the wire as the phones saw them).
#[derive(Debug, Default)]
pub(super) struct Traffic {
    pub(super) syncs: AtomicU64,
    pub(super) bytes_sent: AtomicU64,
    pub(super) bytes_received: AtomicU64,
    pub(super) photo_bytes: AtomicU64,
    pub(super) changes_pulled: AtomicU64,
}

pub(super) async fn sync_phone(
    store: &Store,
    secrets: &MemorySecrets,
    traffic: &Traffic,
) -> Result<(), BoxError> {
    let r = device::sync(store, secrets, &|_| {}).await?;
    traffic.syncs.fetch_add(1, Ordering::Relaxed);
    traffic
        .bytes_sent
        .fetch_add(r.bytes_sent, Ordering::Relaxed);
    traffic
        .bytes_received
        .fetch_add(r.bytes_received, Ordering::Relaxed);
    traffic.changes_pulled.fetch_add(
        u64::from(r.pulled.upserted + r.pulled.removed),
        Ordering::Relaxed,
    );
    Ok(())
}

pub(super) async fn upload_phone(
    store: &Store,
    secrets: &MemorySecrets,
    traffic: &Traffic,
) -> Result<(), BoxError> {
    let r = upload::upload_evidence(store, secrets, Some(NetworkKind::Unmetered), &|_| {}).await?;
    traffic
        .photo_bytes
        .fetch_add(r.bytes_sent, Ordering::Relaxed);
    if r.failed > 0 {
        tracing::warn!(failed = r.failed, "photo uploads failed");
    }
    Ok(())
}

/// Run `f` over `items` with at most `n` at once, ticking `bar`.
pub(super) async fn each<T, F, Fut>(
    items: Vec<T>,
    n: usize,
    bar: &ProgressBar,
    f: F,
) -> Result<(), BoxError>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<(), BoxError>>,
{
    bar.set_length(items.len() as u64);
    let mut s = stream::iter(items.into_iter().map(f)).buffer_unordered(n.max(1));
    while let Some(r) = s.next().await {
        r?;
        bar.inc(1);
    }
    bar.finish();
    Ok(())
}

/// Peak resident memory of a process (VmHWM in /proc/PID/status), KiB.
pub(crate) fn vm_hwm_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `gridwork demo-device`: one phone's day in this process, then one JSON
/// line with its wall time and peak memory.
pub(crate) fn device_day(
    server: &str,
    code: &str,
    db: &Path,
    seed: u64,
    visits: u32,
    now: DateTime<Utc>,
) -> Result<(), BoxError> {
    let t = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let traffic = Traffic::default();
    runtime.block_on(async {
        let clock = ManualClock::new(now);
        let store = Store::open_with_clock(db, Arc::new(clock.clone()))?;
        let secrets = MemorySecrets::default();
        let user = device::activate(&store, &secrets, server, code, "measured-phone").await?;
        sync_phone(&store, &secrets, &traffic).await?;
        let camera = db.with_extension("camera");
        let plan = DayPlan {
            visits,
            photo_bytes: 48 * 1024,
            hazard_rate: 0.006,
            ..DayPlan::new(seed, day0())
        };
        let log = patrol_day(&store, &clock, &user.id, &camera, &plan)?;
        clock.set(now);
        sync_phone(&store, &secrets, &traffic).await?;
        upload_phone(&store, &secrets, &traffic).await?;
        println!(
            "{}",
            serde_json::json!({
                "user": user.id,
                "visits": log.visits,
                "cases": log.case_ids.len(),
                "secs": t.elapsed().as_secs_f64(),
                "vm_hwm_kib": vm_hwm_kib("self"),
                "bytes_received": traffic.bytes_received.load(Ordering::Relaxed),
            })
        );
        Ok::<(), BoxError>(())
    })
}

/// One more phone of a worker, run as its own process: its peak memory is
/// then its own (the demo's phones share one process).
pub(super) async fn measured_device(
    admin: &AdminClient,
    worker: &Phone,
    dir: &Path,
    now: DateTime<Utc>,
    seed: u64,
    visits: u32,
) -> Result<Value, BoxError> {
    let code = admin.code_for(&worker.user).await?;
    let exe = std::env::current_exe()?;
    let store = dir.join(format!("{}-measured.db", worker.user));
    let args: Vec<String> = vec![
        "demo-device".into(),
        "--server".into(),
        admin.url.clone(),
        "--code".into(),
        code,
        "--store".into(),
        store.display().to_string(),
        "--seed".into(),
        seed.to_string(),
        "--visits".into(),
        visits.to_string(),
        "--at".into(),
        now.to_rfc3339(),
    ];
    // std's Command on the blocking pool (tokio's process feature is not
    // in the workspace's tokio).
    let out = tokio::task::spawn_blocking(move || Command::new(exe).args(&args).output()).await??;
    if !out.status.success() {
        return Err(format!(
            "demo-device failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(serde_json::from_str(text.lines().last().unwrap_or("{}"))?)
}
