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

mod console_sign_ins;
mod phases;
mod phone;
mod server;
mod summary;

use phases::*;
use phone::*;
pub(crate) use phone::{device_day, vm_hwm_kib};
use server::*;
use summary::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What `gridwork demo` was asked for.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed for the generated city and day (same seed, same city).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Where to keep the server's data and the phones' stores.
    #[arg(long, default_value = "gridwork-demo")]
    pub dir: PathBuf,
    /// A quick look: one township, 6 villages, 12 grids.
    #[arg(long)]
    pub small: bool,
    /// Grids in the city (default 678; at least one per village).
    #[arg(long)]
    pub grids: Option<u32>,
    /// Grid workers in the city (default 1,890).
    #[arg(long)]
    pub workers: Option<u32>,
    /// Households per grid (plus a few places).
    #[arg(long)]
    pub households_per_grid: Option<u32>,
    /// Households and places each worker visits in the day.
    #[arg(long, default_value_t = 8)]
    pub visits: u32,
    /// Phones working at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Keep the server running after the summary (Ctrl-C stops it).
    #[arg(long)]
    pub serve: bool,
    /// Port for the server (0: any free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
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
    prepare_dir(&args.dir)?;
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
    let mut server = Server::start(&data, args.port, at(0, 7, 0))?;
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
    // A handler asks for more time; it waits for a supervisor (the console
    // shows it).
    extension_request(&workers, at(4, 17, 5), &traffic).await?;
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
    // The administrator's credential outlives the demo (the server keeps
    // it): a file only this user can read, so the API can be explored.
    let token_file = args.dir.join("admin-token");
    write_private(&token_file, &admin.token)?;
    let curl = |url: &str| {
        format!(
            "curl -H \"Authorization: Bearer $(cat {file})\" -H \"{PROTOCOL_HEADER}: {PROTOCOL_VERSION}\" {url}/v1/admin/report",
            file = token_file.display()
        )
    };
    println!(
        "管理员凭证 / administrator credential: {}",
        token_file.display()
    );
    let now = report["at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let sign_ins =
        console_sign_ins::console_sign_ins(&admin, &secretaries, &township, &city, now).await?;
    let sign_ins_file = args.dir.join("console-sign-ins.json");
    write_private(
        &sign_ins_file,
        &serde_json::to_string_pretty(&console_sign_ins::to_json(&sign_ins))?,
    )?;
    let print_console = |url: &str| {
        println!("指挥中心 / web console: {url}/");
        for s in &sign_ins {
            println!(
                "  {} {}: 账号 account {}  密码 password {}",
                s.role.label_zh(),
                s.role.as_str(),
                s.user_id,
                s.password
            );
        }
        println!("  (also in {})", sign_ins_file.display());
    };
    if args.serve {
        print_console(&server.url);
        // Printed while the server answers, so it works as printed.
        println!(
            "服务器继续运行 / the server keeps running at {} (OpenAPI: {}/openapi.json); Ctrl-C 停止 / to stop",
            server.url, server.url
        );
        println!("  例如 / e.g. {}", curl(&server.url));
        tokio::signal::ctrl_c().await?;
        server.stop();
    } else {
        server.stop();
        println!("服务器已停止；在同一数据上重新启动 / the server is stopped; to start it again on the same data:");
        println!("  {command}");
        println!("然后 / then, e.g.:");
        println!("  {}", curl("http://127.0.0.1:8080"));
        println!("  OpenAPI 文档 / OpenAPI document: http://127.0.0.1:8080/openapi.json");
        print_console("http://127.0.0.1:8080");
    }
    Ok(())
}

/// The file that marks a folder as the demo's own (so a later run may
/// replace it).
const DEMO_MARKER: &str = ".gridwork-demo";

/// Make `dir` ready for a new demo. A folder an earlier demo left (it has
/// the demo's marker, or its summary) is emptied and reused, so running the
/// demo again just works; a folder holding anything else is refused, so the
/// demo never deletes what it did not make.
fn prepare_dir(dir: &Path) -> Result<(), BoxError> {
    let earlier_demo = dir.join(DEMO_MARKER).exists() || dir.join("demo-summary.json").exists();
    let empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(format!("{}: {e}", dir.display()).into()),
    };
    if earlier_demo {
        println!(
            "替换上次示范的数据 / replacing the earlier demo in {}",
            dir.display()
        );
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    } else if !empty {
        return Err(format!(
            "{} 不是空目录，也不是示范目录，请换一个 --dir / is neither empty nor an earlier demo's folder: choose another --dir",
            dir.display()
        )
        .into());
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join(DEMO_MARKER),
        "gridwork demo: this folder is replaced by the next `gridwork demo --dir` here\n",
    )?;
    Ok(())
}

/// Write a secret readable by this user only.
fn write_private(path: &Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(secret.as_bytes())
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
