//! A city's morning: every phone pushes its 50 operations at about the same
//! time. Phones are simulated at the protocol level (real credentials, real
//! gzip'd push requests over HTTP), so thousands fit on one machine.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use flate2::write::GzEncoder;
use flate2::Compression;
use gridwork_core::checklist::defaults::default_template_for;
use gridwork_core::hlc::Hlc;
use gridwork_core::household::PlaceKind;
use gridwork_core::outbox::{Operation, OutboxEntry};
use gridwork_core::sync::protocol::{
    ActivateRequest, PushRequest, CLOCK_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use gridwork_core::visit::Visit;
use gridwork_sim::area::{generate, AreaSpec};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::admin::Admin;
use crate::BoxError;

/// A boxed job.
type Job<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, BoxError>> + Send>>;

/// Run `jobs` with at most `limit` at once.
async fn bounded<T: Send + 'static>(limit: usize, jobs: Vec<Job<T>>) -> Result<Vec<T>, BoxError> {
    let sem = Arc::new(Semaphore::new(limit.max(1)));
    let mut handles = Vec::with_capacity(jobs.len());
    for job in jobs {
        let sem = sem.clone();
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await?;
            job.await
        }));
    }
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

pub async fn run(
    bin: &Path,
    devices: usize,
    ops: usize,
    grids: usize,
    concurrency: usize,
    instances: usize,
) -> Result<String, BoxError> {
    let dir = tempfile::tempdir()?;
    let (server, admin) = Admin::start(bin, dir.path()).await?;
    // More instances on the same PostgreSQL (GRIDWORK_DATABASE), each with
    // its own data directory; phones take them in turn.
    let mut servers = vec![server];
    for k in 1..instances.max(1) {
        servers.push(crate::admin::Server::start_beside(
            bin,
            &dir.path().join("server"),
            &dir.path().join(format!("server-{k}")),
        )?);
    }
    let urls: Vec<String> = servers
        .iter()
        .map(|s| format!("{}/v1/sync/push", s.url))
        .collect();
    // A city of about `grids` grids, two per village, enough workers.
    let villages = grids.div_ceil(2);
    let townships = 11usize;
    let spec = AreaSpec {
        seed: 1890,
        townships: townships as u32,
        villages_per_township: villages.div_ceil(townships) as u32,
        grids_per_village: 2,
        workers_per_grid: devices.div_ceil(grids) as u32,
        households_per_grid: 10,
        places_per_grid: 0,
        villages: None,
        grids: None,
        workers: None,
    };
    let area = generate(&spec);
    eprintln!(
        "city: {} grids, {} households, {} workers; importing …",
        area.grids().count(),
        area.households.len(),
        area.assignments.len()
    );
    admin
        .send(
            reqwest::Method::POST,
            "/admin/import/regions",
            area.geojson().into_bytes(),
        )
        .await?;
    admin
        .send(
            reqwest::Method::POST,
            "/admin/import/households",
            area.households_csv().into_bytes(),
        )
        .await?;
    let workers: Vec<(String, String)> = area
        .assignments
        .iter()
        .take(devices)
        .map(|a| (a.user_id.clone(), a.grid_code.clone()))
        .collect();
    let mut setup = Vec::new();
    for (user, grid) in workers.clone() {
        let admin = admin.clone();
        let name = area
            .users
            .iter()
            .find(|u| u.id == user)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        setup.push(Box::pin(async move {
            admin
                .put("/admin/users", json!({"id": user, "name": name, "role": "grid_worker", "phone": null, "jurisdiction": []}))
                .await?;
            admin
                .put("/admin/assignments", json!({"user_id": user, "grid_code": grid, "kind": "primary", "from": "2026-01-01", "to": null}))
                .await?;
            let code = admin.code_for(&user).await?;
            let body = serde_json::to_vec(&ActivateRequest {
                code,
                device_id: format!("bench-{user}"),
                device_name: "bench".into(),
            })?;
            let v = admin.send(reqwest::Method::POST, "/activate", body).await?;
            Ok(v["token"].as_str().ok_or("no token")?.to_string())
        }) as Job<String>);
    }
    let t = Instant::now();
    let tokens = bounded(16, setup).await?;
    eprintln!(
        "{} phones enrolled in {:.1} s; building pushes …",
        tokens.len(),
        t.elapsed().as_secs_f64()
    );

    let template = default_template_for(PlaceKind::Household)?;
    let mut rng = StdRng::seed_from_u64(50);
    let mut bodies = Vec::with_capacity(workers.len());
    for ((user, grid), token) in workers.iter().zip(&tokens) {
        let homes: Vec<&str> = area
            .households
            .iter()
            .filter(|h| h.grid_code == *grid)
            .map(|h| h.code.as_str())
            .collect();
        let device = format!("bench-{user}");
        let now = Utc::now();
        let entries: Vec<OutboxEntry> = (0..ops)
            .map(|i| {
                let visit = Visit {
                    id: uuid::Uuid::now_v7().to_string(),
                    household_code: homes[i % homes.len().max(1)].to_string(),
                    grid_code: grid.clone(),
                    worker_id: user.clone(),
                    patrol_id: None,
                    template_id: template.id.clone(),
                    template_version: template.version,
                    answers: gridwork_sim::day::answers(&mut rng, &template, 0.0),
                    notes: String::new(),
                    at: now,
                    fix: None,
                    verdict: None,
                };
                OutboxEntry {
                    seq: i as i64 + 1,
                    op_id: uuid::Uuid::now_v7().to_string(),
                    hlc: Hlc {
                        wall_ms: now.timestamp_millis(),
                        counter: i as u32,
                        node: device.clone(),
                    },
                    created_at: now,
                    operation: Operation::VisitRecorded { visit },
                }
            })
            .collect();
        let json = serde_json::to_vec(&PushRequest {
            device_id: device,
            acked_through: 0,
            ops: entries,
        })?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&json)?;
        bodies.push((token.clone(), gz.finish()?));
    }
    let bytes_up: usize = bodies.iter().map(|(_, b)| b.len()).sum();
    eprintln!(
        "{} phones push {ops} operations each, {concurrency} at a time …",
        bodies.len()
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let mut jobs = Vec::new();
    for (k, (token, body)) in bodies.into_iter().enumerate() {
        let (http, url) = (http.clone(), urls[k % urls.len()].clone());
        jobs.push(Box::pin(async move {
            let t = Instant::now();
            let resp = http
                .post(url)
                .bearer_auth(token)
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .header(CLOCK_HEADER, Utc::now().timestamp_millis().to_string())
                .header(reqwest::header::CONTENT_ENCODING, "gzip")
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await?;
            let status = resp.status();
            let bytes = resp.bytes().await?;
            let latency = t.elapsed();
            if !status.is_success() {
                return Err(
                    format!("push failed: {status} {}", String::from_utf8_lossy(&bytes)).into(),
                );
            }
            let v: serde_json::Value = serde_json::from_slice(&bytes)?;
            let applied = v["answers"]
                .as_array()
                .map_or(0, |a| a.iter().filter(|x| x["status"] == "applied").count());
            Ok((latency, applied, bytes.len()))
        }) as Job<(Duration, usize, usize)>);
    }
    let t = Instant::now();
    let results = bounded(concurrency, jobs).await?;
    let seconds = t.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = results.iter().map(|r| r.0).collect();
    latencies.sort();
    let applied: usize = results.iter().map(|r| r.1).sum();
    let bytes_down: usize = results.iter().map(|r| r.2).sum();
    let total = results.len() * ops;
    if applied != total {
        return Err(format!("only {applied} of {total} operations applied").into());
    }
    Ok(json!({
        "devices": results.len(),
        "ops_per_device": ops,
        "operations": total,
        "seconds": seconds,
        "ops_per_second": total as f64 / seconds,
        "concurrency": concurrency,
        "instances": urls.len(),
        "latency_ms": {
            "p50": percentile(&latencies, 0.50),
            "p90": percentile(&latencies, 0.90),
            "p99": percentile(&latencies, 0.99),
            "max": percentile(&latencies, 1.0),
        },
        "bytes_up": bytes_up,
        "bytes_down": bytes_down,
    })
    .to_string())
}
