//! `gridwork demo`: a living demo city from one command. A generated city
//! is imported into a real `gridwork serve` (a child process on loopback,
//! on a test clock, with a local Web Push service), every person's phone
//! is enrolled with an activation code and syncs over HTTP, and one working
//! day runs: patrols offline, checklists, photos, cases, uploads; the
//! secretaries' evening; the next morning; deadlines pass and escalations
//! reach the supervisors' phones by push; the supervisors act. The summary
//! at the end is read back from the server (`GET /v1/admin/report`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures_util::stream::{self, StreamExt};
use gridwork_core::clock::ManualClock;
use gridwork_core::evidence::queue::NetworkKind;
use gridwork_core::inbox::PushEndpoint;
use gridwork_core::secrets::{MemorySecrets, SecretStore, DEVICE_CREDENTIAL};
use gridwork_core::sync::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use gridwork_core::sync::{device, upload};
use gridwork_core::user::Role;
use gridwork_core::Store;
use gridwork_push::receiver::LocalPushService;
use gridwork_sim::area::{generate, Area, AreaSpec};
use gridwork_sim::day::{
    handler_morning, local, patrol_day, secretary_evening, supervisor_round, DayPlan,
};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::Value;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What `gridwork demo` was asked for.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    pub seed: u64,
    pub dir: PathBuf,
    pub small: bool,
    pub grids: Option<u32>,
    pub workers: Option<u32>,
    pub households_per_grid: Option<u32>,
    pub visits: u32,
    pub concurrency: usize,
    pub serve: bool,
    pub listen_port: u16,
}

/// The simulated Monday (Beijing time).
fn day0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 11).unwrap_or_default()
}

fn at(days: i64, h: u32, m: u32) -> DateTime<Utc> {
    local(day0() + Duration::days(days), h, m)
}

/// The city the arguments describe.
pub fn spec_for(args: &DemoArgs) -> AreaSpec {
    let mut spec = if args.small {
        AreaSpec {
            villages_per_township: 6,
            grids_per_village: 2,
            workers_per_grid: 2,
            households_per_grid: 20,
            places_per_grid: 4,
            ..AreaSpec::township(args.seed)
        }
    } else {
        AreaSpec::city(args.seed)
    };
    if let Some(g) = args.grids {
        spec.grids = Some(g.max(spec.village_count()));
    }
    if let Some(w) = args.workers {
        spec.workers = Some(w);
        spec.grids
            .get_or_insert(spec.village_count() * spec.grids_per_village);
    }
    if let Some(h) = args.households_per_grid {
        spec.households_per_grid = h;
    }
    spec
}

/// `gridwork serve` as a child process.
struct Server {
    child: Child,
    url: String,
    admin_code: String,
    args: Vec<String>,
}

impl Server {
    fn start(data: &Path, port: u16, start: DateTime<Utc>) -> Result<Server, BoxError> {
        let exe = std::env::current_exe()?;
        let args = vec![
            "serve".to_string(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--data".into(),
            data.display().to_string(),
            "--test-clock".into(),
            start.to_rfc3339(),
            // The local push service listens on http://127.0.0.1.
            "--push-allow-http".into(),
            // Ticks come from the clock moves (and pushes with case work).
            "--escalation-interval-secs".into(),
            "3600".into(),
        ];
        let mut child = Command::new(exe)
            .args(&args)
            .env(
                "RUST_LOG",
                std::env::var("GRIDWORK_DEMO_SERVER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut url, mut code) = (None, None);
        let deadline = Instant::now() + StdDuration::from_secs(30);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("gridwork server listening on ") {
                url = rest.split_whitespace().next().map(str::to_string);
            }
            if let Some((_, c)) = line.split_once("activation code: ") {
                code = Some(c.trim().to_string());
            }
            if line.starts_with("OpenAPI:") {
                break;
            }
        }
        // Keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = url.ok_or("服务器未报告地址 / the server did not report its address")?;
        let admin_code = code.ok_or(
            "没有管理员激活码(数据目录不是新的?) / no administrator code (is the data directory fresh?)",
        )?;
        Ok(Server {
            child,
            url,
            admin_code,
            args,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The administrator's HTTP client.
#[derive(Clone)]
struct AdminClient {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl AdminClient {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Value, BoxError> {
        let resp = self
            .http
            .request(method, format!("{}/v1{path}", self.url))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .body(body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {}", String::from_utf8_lossy(&bytes)).into());
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    async fn put(&self, path: &str, value: Value) -> Result<(), BoxError> {
        self.send(reqwest::Method::PUT, path, value.to_string().into_bytes())
            .await
            .map(|_| ())
    }

    async fn code_for(&self, user: &str) -> Result<String, BoxError> {
        let v = self
            .send(
                reqwest::Method::POST,
                "/admin/activation-codes",
                serde_json::json!({ "user_id": user })
                    .to_string()
                    .into_bytes(),
            )
            .await?;
        Ok(v["code"].as_str().ok_or("no code")?.to_string())
    }

    async fn clock_to(&self, t: DateTime<Utc>) -> Result<Value, BoxError> {
        self.send(
            reqwest::Method::POST,
            "/admin/clock",
            serde_json::json!({ "now": t }).to_string().into_bytes(),
        )
        .await
    }
}

/// One simulated phone: its store file and credential (the store is opened
/// for each phase and closed after, so that thousands of phones do not
/// hold thousands of SQLite connections).
#[derive(Debug, Clone)]
struct Phone {
    user: String,
    role: Role,
    db: PathBuf,
    token: String,
    /// The area index's grid (workers) or jurisdiction (others).
    region: String,
}

impl Phone {
    fn open(&self, now: DateTime<Utc>) -> Result<(Store, ManualClock, MemorySecrets), BoxError> {
        let clock = ManualClock::new(now);
        let store = Store::open_with_clock(&self.db, Arc::new(clock.clone()))?;
        let secrets = MemorySecrets::default();
        secrets.put(DEVICE_CREDENTIAL, &self.token)?;
        Ok((store, clock, secrets))
    }
}

/// Device-side sync counters (bytes on the wire as the phones saw them).
#[derive(Debug, Default)]
struct Traffic {
    syncs: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    photo_bytes: AtomicU64,
    changes_pulled: AtomicU64,
}

async fn sync_phone(
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

async fn upload_phone(
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
async fn each<T, F, Fut>(items: Vec<T>, n: usize, bar: &ProgressBar, f: F) -> Result<(), BoxError>
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

/// The measured phases, for the summary and docs/benchmarks.md.
#[derive(Debug, Default)]
struct Timings(Vec<(&'static str, f64)>);

impl Timings {
    fn mark(&mut self, what: &'static str, since: Instant) {
        self.0.push((what, since.elapsed().as_secs_f64()));
    }
}

fn bar(multi: &MultiProgress, zh_en: &str) -> ProgressBar {
    let b = multi.add(ProgressBar::new(0));
    let style = ProgressStyle::with_template("{prefix:<44} [{bar:30}] {pos}/{len} {elapsed}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    b.set_style(style);
    b.set_prefix(zh_en.to_string());
    b
}

/// `gridwork demo`.
pub fn demo(args: DemoArgs) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: DemoArgs) -> Result<(), BoxError> {
    let total = Instant::now();
    let mut times = Timings::default();
    let data = args.dir.join("server");
    if data.join("gridwork.db").exists() {
        return Err(format!(
            "{} 已有数据，请换一个 --dir 或先删除 / already holds a server database: choose another --dir or delete it",
            data.display()
        )
        .into());
    }
    let phones_dir = args.dir.join("phones");
    std::fs::create_dir_all(&phones_dir)?;
    let spec = spec_for(&args);
    println!(
        "生成示范市 / generating the demo city (seed {}) …",
        args.seed
    );
    let t = Instant::now();
    let area = generate(&spec);
    times.mark("generate", t);
    let grids = area.grids().count();
    println!(
        "  {} 个乡镇街道、{} 个村社区、{} 个网格、{} 人、{} 户/场所 / {} townships and streets, {} villages, {} grids, {} people, {} households and places",
        spec.townships,
        spec.village_count(),
        grids,
        area.users.len(),
        area.households.len(),
        spec.townships,
        spec.village_count(),
        grids,
        area.users.len(),
        area.households.len()
    );

    // The server, on a test clock that starts at 07:00 on the day.
    let t = Instant::now();
    let mut server = Server::start(&data, args.listen_port, at(0, 7, 0))?;
    let push = LocalPushService::start().await?;
    println!(
        "服务器 / server: {} (pid {}), 推送服务 / push service on loopback",
        server.url,
        server.pid()
    );
    let console = Store::open(phones_dir.join("admin-console.db"))?;
    let console_secrets = MemorySecrets::default();
    device::activate(
        &console,
        &console_secrets,
        &server.url,
        &server.admin_code,
        "demo-console",
    )
    .await?;
    let admin = AdminClient {
        url: server.url.clone(),
        token: console_secrets
            .get(DEVICE_CREDENTIAL)?
            .ok_or("no credential")?,
        http: reqwest::Client::new(),
    };
    times.mark("server start", t);

    let multi = MultiProgress::new();
    if std::env::var_os("GRIDWORK_DEMO_NO_BARS").is_some() {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let n = args.concurrency;

    // Import through the admin API, as an administrator's console would.
    let t = Instant::now();
    let b = bar(&multi, "导入 / import (regions, registers, people)");
    import(&admin, &area, n, &b).await?;
    times.mark("import", t);

    // Every person's phone: an activation code, activation, first sync.
    let t = Instant::now();
    let traffic = Arc::new(Traffic::default());
    let b = bar(&multi, "激活手机 / enrolling phones");
    let phones = enroll(
        &admin,
        &area,
        &phones_dir,
        &server.url,
        &push,
        n,
        &b,
        &traffic,
    )
    .await?;
    times.mark("enroll", t);
    let by_role =
        |role: Role| -> Vec<Phone> { phones.iter().filter(|p| p.role == role).cloned().collect() };
    let workers = by_role(Role::GridWorker);
    let secretaries = by_role(Role::VillageSecretary);
    let township = by_role(Role::TownshipSupervisor);
    let city = by_role(Role::CitySupervisor);
    let mut grid_workers: HashMap<String, Vec<String>> = HashMap::new();
    for a in &area.assignments {
        grid_workers
            .entry(a.grid_code.clone())
            .or_default()
            .push(a.user_id.clone());
    }
    let grid_workers = Arc::new(grid_workers);
    let plan = DayPlan {
        visits: args.visits,
        photo_bytes: 48 * 1024,
        // A city's day should show work for the secretaries and supervisors.
        hazard_rate: 0.006,
        ..DayPlan::new(args.seed, day0())
    };

    // 08:30–17:00: patrols, offline; then each phone syncs and uploads.
    let t = Instant::now();
    admin.clock_to(at(0, 17, 0)).await?;
    let b = bar(&multi, "巡查走访 / patrols, visits, cases, photos");
    let reporters = Arc::new(std::sync::Mutex::new(Vec::<Phone>::new()));
    each(workers.clone(), n, &b, |p| {
        let (traffic, reporters, plan, phones_dir) = (
            traffic.clone(),
            reporters.clone(),
            plan.clone(),
            phones_dir.clone(),
        );
        async move {
            let start = at(0, 8, 30) + Duration::minutes((hash(&p.user) % 30) as i64);
            let (store, clock, secrets) = p.open(start)?;
            let camera = phones_dir.join("camera").join(&p.user);
            let plan = DayPlan {
                seed: plan.seed ^ hash(&p.user),
                ..plan
            };
            let (store, log) = tokio::task::spawn_blocking(move || {
                let log = patrol_day(&store, &clock, &p.user.clone(), &camera, &plan);
                // Back in signal range at five: the phone's clock is the day's.
                clock.set(at(0, 17, 0));
                (store, log.map(|l| (l, p)))
            })
            .await?;
            let (log, p) = log?;
            sync_phone(&store, &secrets, &traffic).await?;
            upload_phone(&store, &secrets, &traffic).await?;
            if !log.case_ids.is_empty() {
                if let Ok(mut r) = reporters.lock() {
                    r.push(p);
                }
            }
            Ok(())
        }
    })
    .await?;
    times.mark("patrol day", t);

    // 17:30: the secretaries' evening.
    let t = Instant::now();
    admin.clock_to(at(0, 17, 30)).await?;
    let b = bar(&multi, "书记核查派遣 / secretaries confirm, dispatch");
    evening(&secretaries, at(0, 17, 30), args.seed, n, &b, &traffic).await?;
    times.mark("secretaries (evening)", t);

    // Next morning: the handlers.
    let t = Instant::now();
    admin.clock_to(at(1, 9, 0)).await?;
    let reporters: Vec<Phone> = reporters.lock().map(|r| r.clone()).unwrap_or_default();
    let b = bar(&multi, "次日处置 / next morning: handlers");
    morning(&reporters, at(1, 9, 0), &plan, &phones_dir, n, &b, &traffic).await?;
    admin.clock_to(at(1, 17, 30)).await?;
    let b = bar(&multi, "书记再核查 / secretaries confirm again");
    evening(&secretaries, at(1, 17, 30), args.seed + 1, n, &b, &traffic).await?;
    times.mark("next day", t);

    // Three days on: what is open runs late and goes to the township; a
    // day later to the city. Each move ticks the engine, which escalates
    // and pushes before it answers.
    let t = Instant::now();
    let before = push.received().len();
    let tick = admin.clock_to(at(3, 15, 0)).await?;
    let level1 = tick["engine"]["escalation"]["escalations"]
        .as_array()
        .map_or(0, Vec::len);
    wait_for_pushes(&push, before, level1 > 0).await;
    let b = bar(&multi, "乡镇督导 / township supervisors act");
    supervisors(
        &township,
        at(3, 15, 30),
        args.seed,
        &grid_workers,
        n,
        &b,
        &traffic,
    )
    .await?;
    let before = push.received().len();
    let tick = admin.clock_to(at(4, 16, 0)).await?;
    let level2 = tick["engine"]["escalation"]["escalations"]
        .as_array()
        .map_or(0, Vec::len);
    wait_for_pushes(&push, before, level2 > 0).await;
    let b = bar(&multi, "市级督导 / city supervisors act");
    supervisors(
        &city,
        at(4, 16, 30),
        args.seed + 2,
        &grid_workers,
        n,
        &b,
        &traffic,
    )
    .await?;
    // The handlers hear of urges and reassignments at their next sync.
    let b = bar(&multi, "处置人同步 / handlers sync");
    let handlers: Vec<Phone> = workers.clone();
    admin.clock_to(at(4, 17, 0)).await?;
    each(handlers, n, &b, |p| {
        let traffic = traffic.clone();
        async move {
            let (store, _clock, secrets) = p.open(at(4, 17, 0))?;
            sync_phone(&store, &secrets, &traffic).await
        }
    })
    .await?;
    times.mark("escalations and supervisors", t);

    // One more phone, in its own process, to measure a phone's memory.
    let t = Instant::now();
    let measured = match workers.first() {
        Some(w) => measured_device(&admin, w, &phones_dir, at(4, 17, 0), args.seed, args.visits)
            .await
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
        None => Value::Null,
    };
    times.mark("measured phone", t);
    let server_hwm = vm_hwm_kib(&server.pid().to_string());

    let t = Instant::now();
    let report = admin
        .send(reqwest::Method::GET, "/admin/report", Vec::new())
        .await?;
    times.mark("report", t);
    drop(multi);
    let pushes_received = push.received().len();
    println!();
    print!(
        "{}",
        render(&report, &traffic, pushes_received, &data, &times, total)
    );
    println!(
        "  内存峰值 / peak memory (VmHWM): 服务器 server {} MiB; 单台手机(独立进程) one phone in its own process {} MiB ({} 次走访 visits, {:.1}s)",
        server_hwm.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        measured["vm_hwm_kib"].as_u64().map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        measured["visits"].as_u64().unwrap_or(0),
        measured["secs"].as_f64().unwrap_or(0.0),
    );
    // The same figures for scripts (scripts/bench_demo.sh → docs/benchmarks.md).
    let data_bytes = |f: &str| {
        std::fs::metadata(data.join(f))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let machine = serde_json::json!({
        "args": {
            "seed": args.seed, "small": args.small, "grids": grids,
            "workers": workers.len(), "households_per_grid": spec.households_per_grid,
            "visits": args.visits, "concurrency": args.concurrency,
        },
        "phases": times.0.iter().map(|(k, v)| serde_json::json!({"phase": k, "secs": v})).collect::<Vec<_>>(),
        "total_secs": total.elapsed().as_secs_f64(),
        "server_vm_hwm_kib": server_hwm,
        "measured_phone": measured,
        "server_db_bytes": data_bytes("gridwork.db") + data_bytes("gridwork.db-wal") + data_bytes("auth.db") + data_bytes("auth.db-wal"),
        "server_blob_bytes": dir_bytes(&data.join("blobs")),
        "phone_bytes_sent": traffic.bytes_sent.load(Ordering::Relaxed),
        "phone_bytes_received": traffic.bytes_received.load(Ordering::Relaxed),
        "pushes_received": pushes_received,
        "report": report,
    });
    std::fs::write(
        args.dir.join("demo-summary.json"),
        serde_json::to_string_pretty(&machine)?,
    )?;
    let command = format!(
        "{} serve --data {} --listen 127.0.0.1:8080 --test-clock {} --push-allow-http",
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "gridwork".into()),
        std::fs::canonicalize(&data)
            .unwrap_or_else(|_| data.clone())
            .display(),
        report["at"].as_str().unwrap_or("")
    );
    let _ = &server.args;
    if args.serve {
        println!(
            "服务器继续运行 / the server keeps running at {} (OpenAPI: {}/openapi.json); Ctrl-C 停止 / to stop",
            server.url, server.url
        );
        println!(
            "管理员凭证 / administrator credential (for curl -H 'Authorization: Bearer …'): {}",
            admin.token
        );
        tokio::signal::ctrl_c().await?;
        server.stop();
    } else {
        server.stop();
        println!("服务器已停止；在同一数据上重新启动 / the server is stopped; to start it again on the same data:");
        println!("  {command}");
        println!("  OpenAPI 文档 / OpenAPI document: http://127.0.0.1:8080/openapi.json");
    }
    Ok(())
}

/// Peak resident memory of a process (VmHWM in /proc/PID/status), KiB.
pub fn vm_hwm_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `gridwork demo-device`: one phone's day in this process, then one JSON
/// line with its wall time and peak memory.
pub fn device_day(
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
async fn measured_device(
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

/// A stable small hash (FNV-1a) for per-person seeds and start times.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Pushes are sent before the clock route answers; wait briefly for the
/// local service to have them all (bounded: the summary says what came).
async fn wait_for_pushes(push: &LocalPushService, before: usize, expect: bool) {
    if !expect {
        return;
    }
    for _ in 0..50 {
        if push.received().len() > before {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

async fn import(
    admin: &AdminClient,
    area: &Area,
    n: usize,
    b: &ProgressBar,
) -> Result<(), BoxError> {
    let people: Vec<_> = area
        .users
        .iter()
        .filter(|u| u.role != Role::Administrator)
        .cloned()
        .collect();
    b.set_length(3 + people.len() as u64 + area.assignments.len() as u64);
    let r = admin
        .send(
            reqwest::Method::POST,
            "/admin/import/regions?mode=all_or_nothing",
            area.geojson().into_bytes(),
        )
        .await?;
    check_import("regions", &r)?;
    b.inc(1);
    let mut users = stream::iter(people.into_iter().map(|u| {
        let admin = admin.clone();
        async move { admin.put("/admin/users", serde_json::to_value(&u)?).await }
    }))
    .buffer_unordered(n);
    while let Some(r) = users.next().await {
        r?;
        b.inc(1);
    }
    let mut assignments = stream::iter(area.assignments.iter().cloned().map(|a| {
        let admin = admin.clone();
        async move {
            admin
                .put("/admin/assignments", serde_json::to_value(&a)?)
                .await
        }
    }))
    .buffer_unordered(n);
    while let Some(r) = assignments.next().await {
        r?;
        b.inc(1);
    }
    // Registers after the people: the households' change rows are the
    // bulk of a phone's first pull, and land in its grid only.
    for (path, body) in [
        (
            "/admin/import/households?mode=all_or_nothing&format=csv",
            area.households_csv(),
        ),
        (
            "/admin/import/members?mode=all_or_nothing&format=csv",
            area.members_csv(),
        ),
    ] {
        let r = admin
            .send(reqwest::Method::POST, path, body.into_bytes())
            .await?;
        check_import(path, &r)?;
        b.inc(1);
    }
    b.finish();
    Ok(())
}

fn check_import(what: &str, r: &Value) -> Result<(), BoxError> {
    let errors = r["errors"].as_array().map_or(0, Vec::len);
    if errors > 0 {
        return Err(format!("导入{what}有错误 / importing {what} reported errors: {r}").into());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn enroll(
    admin: &AdminClient,
    area: &Area,
    dir: &Path,
    url: &str,
    push: &LocalPushService,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<Vec<Phone>, BoxError> {
    let mut regions: HashMap<&str, String> = HashMap::new();
    for a in &area.assignments {
        regions
            .entry(&a.user_id)
            .or_insert_with(|| a.grid_code.clone());
    }
    let people: Vec<(String, Role, String)> = area
        .users
        .iter()
        .filter(|u| u.role != Role::Administrator)
        .map(|u| {
            let region = regions
                .get(u.id.as_str())
                .cloned()
                .or_else(|| u.jurisdiction.first().cloned())
                .unwrap_or_default();
            (u.id.clone(), u.role, region)
        })
        .collect();
    let out = Arc::new(std::sync::Mutex::new(Vec::with_capacity(people.len())));
    each(people, n, b, |(user, role, region)| {
        let (admin, out, traffic) = (admin.clone(), out.clone(), traffic.clone());
        let db = dir.join(format!("{user}.db"));
        let url = url.to_string();
        let endpoint = matches!(role, Role::TownshipSupervisor | Role::CitySupervisor)
            .then(|| push.subscribe(&user));
        async move {
            let code = admin.code_for(&user).await?;
            let clock = ManualClock::new(at(0, 7, 0));
            let store = Store::open_with_clock(&db, Arc::new(clock))?;
            let secrets = MemorySecrets::default();
            device::activate(&store, &secrets, &url, &code, &format!("{user}-phone")).await?;
            if let Some(s) = endpoint {
                let s = s?;
                store.register_push_endpoint(&PushEndpoint::WebPush {
                    endpoint: s.endpoint,
                    p256dh: s.p256dh,
                    auth: s.auth,
                })?;
            }
            sync_phone(&store, &secrets, &traffic).await?;
            let token = secrets
                .get(DEVICE_CREDENTIAL)?
                .ok_or("no credential after activation")?;
            if let Ok(mut o) = out.lock() {
                o.push(Phone {
                    user,
                    role,
                    db,
                    token,
                    region,
                });
            }
            Ok(())
        }
    })
    .await?;
    let mut phones = out.lock().map(|o| o.clone()).unwrap_or_default();
    phones.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(phones)
}

async fn evening(
    secretaries: &[Phone],
    now: DateTime<Utc>,
    seed: u64,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<(), BoxError> {
    each(secretaries.to_vec(), n, b, |p| {
        let traffic = traffic.clone();
        async move {
            let (store, _clock, secrets) = p.open(now)?;
            sync_phone(&store, &secrets, &traffic).await?;
            let user = p.user.clone();
            let store = tokio::task::spawn_blocking(move || {
                secretary_evening(&store, &user, seed ^ hash(&user)).map(|_| store)
            })
            .await??;
            sync_phone(&store, &secrets, &traffic).await
        }
    })
    .await
}

async fn morning(
    handlers: &[Phone],
    now: DateTime<Utc>,
    plan: &DayPlan,
    dir: &Path,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<(), BoxError> {
    each(handlers.to_vec(), n, b, |p| {
        let (traffic, plan) = (traffic.clone(), plan.clone());
        let camera = dir.join("camera").join(&p.user);
        async move {
            let (store, _clock, secrets) = p.open(now)?;
            sync_phone(&store, &secrets, &traffic).await?;
            let user = p.user.clone();
            let plan = DayPlan {
                seed: plan.seed ^ hash(&user),
                ..plan
            };
            let store = tokio::task::spawn_blocking(move || {
                handler_morning(&store, &user, &camera, &plan).map(|_| store)
            })
            .await??;
            sync_phone(&store, &secrets, &traffic).await?;
            upload_phone(&store, &secrets, &traffic).await
        }
    })
    .await
}

async fn supervisors(
    people: &[Phone],
    now: DateTime<Utc>,
    seed: u64,
    grid_workers: &Arc<HashMap<String, Vec<String>>>,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<(), BoxError> {
    each(people.to_vec(), n, b, |p| {
        let (traffic, grid_workers) = (traffic.clone(), grid_workers.clone());
        async move {
            let (store, _clock, secrets) = p.open(now)?;
            sync_phone(&store, &secrets, &traffic).await?;
            let user = p.user.clone();
            let _ = &p.region;
            let store = tokio::task::spawn_blocking(move || {
                let workers_of = |g: &str| grid_workers.get(g).cloned().unwrap_or_default();
                supervisor_round(&store, &user, seed ^ hash(&user), &workers_of).map(|_| store)
            })
            .await??;
            sync_phone(&store, &secrets, &traffic).await
        }
    })
    .await
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn counts(v: &Value, labels: &dyn Fn(&str) -> String) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    format!(
                        "{} {}",
                        labels(c["key"].as_str().unwrap_or("")),
                        c["count"].as_u64().unwrap_or(0)
                    )
                })
                .collect::<Vec<_>>()
                .join("，")
        })
        .unwrap_or_default()
}

fn priority_label(k: &str) -> String {
    gridwork_core::priority::Priority::parse(k)
        .map(|p| format!("{} {}", p.label_zh(), k))
        .unwrap_or_else(|| k.to_string())
}

fn state_label(k: &str) -> String {
    gridwork_core::case::CaseState::parse(k)
        .map(|s| format!("{} {}", s.label_zh(), k))
        .unwrap_or_else(|| k.to_string())
}

fn plain(k: &str) -> String {
    k.to_string()
}

/// The closing summary: every figure from the server's report, except
/// the lines marked as measured by the phones or the push service.
fn render(
    r: &Value,
    traffic: &Traffic,
    pushes_received: usize,
    data: &Path,
    times: &Timings,
    total: Instant,
) -> String {
    let f = &r["figures"];
    let u = |k: &str| f[k].as_u64().unwrap_or(0);
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line("== 示范市 / Demo city (数据来自服务器 GET /v1/admin/report / figures read back from the server) ==".into());
    line(format!(
        "  区域 / regions: {} 个乡镇街道 townships and streets, {} 个村社区 villages, {} 个网格 grids; 无网格员的网格 {} grids without a worker",
        u("townships"), u("villages"), u("grids"), u("grids_without_worker")
    ));
    line(format!(
        "  人员 / people: {}；已激活设备 {} devices enrolled",
        counts(&f["users_by_role"], &plain),
        r["devices"].as_u64().unwrap_or(0)
    ));
    line(format!(
        "  覆盖 / coverage: 走访住户 {} / {} households visited, 检查场所 {} / {} places visited, 走访记录 {} visits",
        u("households_visited"), u("households"), u("places_visited"), u("places"), u("visits")
    ));
    line(format!(
        "  事件 / cases: 共 {} cases reported, {} 条处置记录 case events",
        u("cases"),
        u("case_events")
    ));
    line(format!(
        "    按重点 / by priority: {}",
        counts(&f["cases_by_priority"], &priority_label)
    ));
    line(format!(
        "    按状态 / by state: {}",
        counts(&f["cases_by_state"], &state_label)
    ));
    line(format!(
        "    按紧急程度 / by severity: {}",
        counts(&f["cases_by_severity"], &plain)
    ));
    line(format!(
        "  升级 / escalations: {} escalations (按级别 by level: {})；消息 {} inbox items；推送任务 push jobs: {}",
        u("escalations"),
        counts(&f["escalations_by_level"], &plain),
        u("inbox_items"),
        counts(&f["push_jobs_by_state"], &plain)
    ));
    line(format!(
        "  照片 / photos: 证据 {} evidence records, 已存储 {} stored ({}), 复核哈希通过 {} verified, 未通过 {} failed the check",
        u("evidence"),
        u("evidence_stored"),
        mib(u("evidence_stored_bytes")),
        r["photos_verified"].as_u64().unwrap_or(0),
        r["photos_failed_check"].as_u64().unwrap_or(0)
    ));
    line(format!(
        "  同步 / sync: 收到操作 {} operations received, 冲突/拒绝 {} conflicts (rejected), 变更日志 {} changes logged",
        u("ops_received"),
        u("ops_rejected"),
        u("changes_logged")
    ));
    line(format!(
        "  手机端测得 / measured on the phones: {} 次同步 syncs, 上行 {} sent, 下行 {} received, 照片 {} uploaded, 拉取 {} changes pulled; 本地推送服务收到 {} pushes received at the local push service",
        traffic.syncs.load(Ordering::Relaxed),
        mib(traffic.bytes_sent.load(Ordering::Relaxed)),
        mib(traffic.bytes_received.load(Ordering::Relaxed)),
        mib(traffic.photo_bytes.load(Ordering::Relaxed)),
        traffic.changes_pulled.load(Ordering::Relaxed),
        pushes_received
    ));
    line(format!(
        "  服务器数据 / server data: 数据库 {} database, 照片库 {} blobs ({})",
        mib(["gridwork.db", "gridwork.db-wal", "auth.db", "auth.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(data.join(f))
                .map(|m| m.len())
                .unwrap_or(0))
            .sum()),
        mib(dir_bytes(&data.join("blobs"))),
        data.display()
    ));
    let phases: Vec<String> = times
        .0
        .iter()
        .map(|(what, s)| format!("{what} {s:.1}s"))
        .collect();
    line(format!(
        "  用时 / timings: {}; 合计 total {:.1}s",
        phases.join(", "),
        total.elapsed().as_secs_f64()
    ));
    out
}
