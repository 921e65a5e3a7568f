//! The escalation engine with 10,000 open cases (ADR 0011), in process on
//! the server's own storage and engine code (`gridwork_server::escalation`,
//! the same tick `gridwork serve` runs), with Web Push over loopback to
//! `gridwork_push::receiver::LocalPushService`, on a test clock:
//!
//! - an idle pass (nothing due) beside the baseline a scan-everything engine
//!   would pay every minute: raw SQL over every open case, each parsed and
//!   assessed, on the same database in the same process;
//! - the time from a deadline (here the acceptance limit) passing to its
//!   push request leaving, with the
//!   default one-minute schedule simulated on the test clock: a tick every
//!   60 s of test time; a push's latency is the test time of its tick minus
//!   the deadline, plus the real time from the tick's start to the request
//!   reaching the push service;
//! - a pass where every open case is due at once (the morning after the
//!   engine was down), and the dispatch of its pushes.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gridwork_core::case::{CaseDraft, DeadlinePolicy};
use gridwork_core::clock::{Clock, ManualClock};
use gridwork_core::escalation::assess;
use gridwork_core::hlc::Hlc;
use gridwork_core::inbox::PushEndpoint;
use gridwork_core::outbox::{Operation, OutboxEntry};
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::user::Role;
use gridwork_core::Store;
use gridwork_push::receiver::LocalPushService;
use gridwork_server::escalation::Engine;
use gridwork_server::push::{PushSettings, ServerClock};
use gridwork_server::storage::sqlite::SqliteStorage;
use gridwork_server::storage::ServerStorage;
use gridwork_sim::area::{generate, AreaSpec};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::BoxError;

fn t0() -> DateTime<Utc> {
    // 09:00 in Beijing, a Monday.
    Utc.with_ymd_and_hms(2026, 5, 11, 1, 0, 0)
        .single()
        .unwrap_or_default()
}

fn median_ms(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The baseline: what an engine without the next-threshold index reads and
/// decides each minute — every open case, parsed and assessed.
fn scan_all(db: &std::path::Path, now: DateTime<Utc>) -> Result<(usize, usize), BoxError> {
    let c = rusqlite::Connection::open(db)?;
    let policy: DeadlinePolicy = c
        .query_row(
            "SELECT value FROM meta WHERE key = 'deadline_policy'",
            [],
            |r| r.get::<_, String>(0),
        )
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let mut stmt = c.prepare(
        "SELECT data FROM case_file WHERE state IN ('reported', 'filed', 'dispatched', 'in_progress')",
    )?;
    let mut rows = stmt.query([])?;
    let (mut open, mut due) = (0, 0);
    while let Some(row) = rows.next()? {
        let case: gridwork_core::case::Case = serde_json::from_str(&row.get::<_, String>(0)?)?;
        open += 1;
        if !assess(&case, &policy, now).due.is_empty() {
            due += 1;
        }
    }
    Ok((open, due))
}

fn draft(grid: &str, n: usize) -> CaseDraft {
    CaseDraft {
        category: Category {
            priority: Priority::WorkSafety,
            subcategory: "fire_exit".into(),
        },
        severity: Severity::Normal,
        title: format!("消防通道堵塞 #{n}"),
        description: String::new(),
        household_code: None,
        grid_code: grid.to_string(),
        source: None,
        evidence_ids: vec![],
    }
}

pub async fn run(cases: usize, timed: usize) -> Result<String, BoxError> {
    let dir = tempfile::tempdir()?;
    let clock = ManualClock::new(t0());
    let storage = Arc::new(SqliteStorage::open(dir.path(), Arc::new(clock.clone()))?);
    let db = dir.path().join("gridwork.db");
    let store = Store::open_server(&db, Arc::new(clock.clone()))?;
    let spec = AreaSpec {
        villages_per_township: 10,
        grids_per_village: 2,
        households_per_grid: 5,
        places_per_grid: 0,
        ..AreaSpec::township(2026)
    };
    let area = generate(&spec);
    gridwork_sim::load::load_area(&store, &area)?;
    let workers: Vec<(String, String)> = area
        .assignments
        .iter()
        .map(|a| (a.user_id.clone(), a.grid_code.clone()))
        .collect();
    let township_supervisors: Vec<String> = area
        .users
        .iter()
        .filter(|u| u.role == Role::TownshipSupervisor)
        .map(|u| u.id.clone())
        .collect();

    // Each township supervisor has a phone and a browser subscribed.
    let push = LocalPushService::start().await?;
    let mut devices = 0;
    for (i, user) in township_supervisors.iter().enumerate() {
        for kind in ["phone", "browser"] {
            let sub = push.subscribe(&format!("{user}-{kind}"))?;
            let device = format!("{user}-{kind}");
            let ops = vec![
                OutboxEntry {
                    seq: 1,
                    op_id: format!("op-{i}-{kind}-1"),
                    hlc: "0001778461200000-00000-bench".parse::<Hlc>()?,
                    created_at: t0(),
                    operation: Operation::QuietHoursSet {
                        user_id: user.clone(),
                        quiet: None,
                    },
                },
                OutboxEntry {
                    seq: 2,
                    op_id: format!("op-{i}-{kind}-2"),
                    hlc: "0001778461200000-00001-bench".parse::<Hlc>()?,
                    created_at: t0(),
                    operation: Operation::PushEndpointRegistered {
                        endpoint: PushEndpoint::WebPush {
                            endpoint: sub.endpoint,
                            p256dh: sub.p256dh,
                            auth: sub.auth,
                        },
                    },
                },
            ];
            store.apply_push(user, &device, None, 0, &ops)?;
            devices += 1;
        }
    }
    let settings = PushSettings {
        allow_http_endpoints: true,
        ..PushSettings::default()
    };
    let dyn_storage: Arc<dyn ServerStorage> = storage.clone();
    let core_clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let (dispatcher, info) = gridwork_server::push::dispatcher(
        &settings,
        dir.path(),
        dyn_storage.clone(),
        Arc::new(ServerClock(core_clock.clone())),
    )?;
    let engine = Engine::new(dyn_storage, dispatcher, core_clock, info);

    // The timed cases, reported over one hour from t0 and never filed:
    // their acceptance limits (24 h) pass one after another an hour later.
    eprintln!("reporting {timed} timed cases and {cases} open ones …");
    let mut deadlines = std::collections::HashMap::new();
    // Report times uniform over the hour (seeded), so deadlines fall at
    // every second of the scheduler's minute.
    let mut rng = StdRng::seed_from_u64(60);
    let mut offsets: Vec<i64> = (0..timed).map(|_| rng.random_range(0..3_600_000)).collect();
    offsets.sort_unstable();
    for (i, offset) in offsets.into_iter().enumerate() {
        clock.set(t0() + Duration::milliseconds(offset));
        let (w, g) = &workers[i % workers.len()];
        let c = store.report_case(w, &draft(g, i), &[], None)?.case;
        deadlines.insert(c.id, c.accept_deadline);
    }
    // The rest of the open cases, two hours in (acceptance at t0 + 26 h).
    clock.set(t0() + Duration::hours(2));
    let t = Instant::now();
    for i in 0..cases {
        let (w, g) = &workers[i % workers.len()];
        store.report_case(w, &draft(g, timed + i), &[], None)?;
    }
    eprintln!("  {} cases in {:.1} s", cases, t.elapsed().as_secs_f64());
    let open = cases + timed;

    // Idle: nothing due. The engine's pass beside a full scan.
    clock.set(t0() + Duration::hours(3));
    let mut idle = Vec::new();
    let mut scan = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let pass = store.escalation_pass()?;
        idle.push(t.elapsed().as_secs_f64() * 1000.0);
        if pass.examined != 0 {
            return Err(format!("idle pass examined {}", pass.examined).into());
        }
        let t = Instant::now();
        let (seen, due) = scan_all(&db, clock.now())?;
        scan.push(t.elapsed().as_secs_f64() * 1000.0);
        if seen != open || due != 0 {
            return Err(format!("scan saw {seen} open, {due} due").into());
        }
    }

    // Deadline to push, on the one-minute schedule.
    eprintln!("ticking every minute of test time through the hour …");
    let mut latencies = Vec::new();
    let mut ticks = Vec::new();
    let mut seen = push.received().len();
    let start = t0() + Duration::hours(24) - Duration::minutes(1);
    for minute in 0..=62 {
        let at = start + Duration::minutes(minute);
        clock.set(at);
        let wall = Utc::now();
        let t = Instant::now();
        engine.tick().await?;
        ticks.push(t.elapsed().as_secs_f64() * 1000.0);
        let got = push.received();
        for r in &got[seen..] {
            let case = r
                .payload
                .as_ref()
                .and_then(|p| p["data"]["case_id"].as_str())
                .unwrap_or_default();
            let Some(deadline) = deadlines.get(case) else {
                continue;
            };
            let test_time = (at - *deadline).num_milliseconds() as f64 / 1000.0;
            let real = (r.at - wall).num_milliseconds() as f64 / 1000.0;
            latencies.push(test_time + real);
        }
        seen = got.len();
    }
    latencies.sort_by(f64::total_cmp);
    let expected = timed * devices;
    if latencies.len() != expected {
        return Err(format!("{} pushes for {expected} expected", latencies.len()).into());
    }

    // Everything due at once: the other open cases pass their acceptance
    // limit together.
    clock.set(t0() + Duration::hours(26) + Duration::minutes(1));
    let before = push.received().len();
    let t = Instant::now();
    let pass = store.escalation_pass()?;
    let pass_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let tick = engine.tick().await?;
    let dispatch_s = t.elapsed().as_secs_f64();
    let pushed = push.received().len() - before;

    ticks.sort_by(f64::total_cmp);
    Ok(json!({
        "open_cases": open,
        "devices": devices,
        "idle_pass_ms": median_ms(idle),
        "scan_baseline_ms": median_ms(scan),
        "latency_pushes": latencies.len(),
        "latency_p50_s": percentile(&latencies, 0.5),
        "latency_p95_s": percentile(&latencies, 0.95),
        "latency_max_s": latencies.last().copied().unwrap_or(0.0),
        "tick_p50_ms": percentile(&ticks, 0.5),
        "tick_max_ms": ticks.last().copied().unwrap_or(0.0),
        "all_due_escalations": pass.escalations.len(),
        "all_due_inbox_items": pass.inbox_items,
        "all_due_push_jobs": pass.push_jobs,
        "all_due_pass_s": pass_s,
        "all_due_dispatch_s": dispatch_s,
        "all_due_pushes_delivered": tick.push.delivered,
        "all_due_pushes_received": pushed,
    })
    .to_string())
}
