//! Initial sync of N records to one phone, then a push of N operations
//! from it, against the real server; the same records are written out for
//! the PouchDB baseline.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use gridwork_core::household::PlaceKind;
use gridwork_core::pii::id_check_char;
use gridwork_core::store::VisitInput;
use gridwork_core::sync::protocol::{PullRequest, PullResponse};
use gridwork_core::sync::{HttpTransport, Transport};
use gridwork_core::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::admin::{enrol, Admin};
use crate::BoxError;

pub(crate) const GRID: &str = "B01-001-001-01";

pub(crate) fn geojson() -> String {
    let ring = |x0: f64, y0: f64, x1: f64, y1: f64| {
        json!([[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]])
    };
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "B01", "name": "基准市", "level": "city"}, "geometry": null},
        {"type": "Feature", "properties": {"code": "B01-001", "name": "基准镇", "level": "township", "parent": "B01"}, "geometry": null},
        {"type": "Feature", "properties": {"code": "B01-001-001", "name": "基准村", "level": "village", "parent": "B01-001"},
         "geometry": {"type": "Polygon", "coordinates": ring(114.0, 22.6, 114.1, 22.7)}},
        {"type": "Feature", "properties": {"code": GRID, "name": "基准网格", "level": "grid", "parent": "B01-001-001"},
         "geometry": {"type": "Polygon", "coordinates": ring(114.0, 22.6, 114.1, 22.7)}},
    ]})
    .to_string()
}

/// `households` households with one member each: 2 × households records.
pub(crate) fn registers(households: usize, seed: u64) -> (String, String) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut h = String::from("户编码,网格编码,类型,名称,地址,经度,纬度,标签\n");
    let mut m = String::from("户编码,姓名,与户主关系,联系电话,身份证号\n");
    for i in 0..households {
        let name = gridwork_sim::names::person(&mut rng);
        let tag = match i % 20 {
            0 => "独居老人",
            1 => "留守儿童",
            _ => "",
        };
        let _ = writeln!(
            h,
            "BH{i:06},{GRID},住户,{name},基准村{}{}号,{:.6},{:.6},{tag}",
            gridwork_sim::names::road(&mut rng),
            i + 1,
            114.0 + rng.random_range(0.001..0.099),
            22.6 + rng.random_range(0.001..0.099)
        );
        let first17 = format!(
            "440307{:04}{:02}{:02}{:03}",
            rng.random_range(1940..2010),
            rng.random_range(1..13),
            rng.random_range(1..29),
            i % 1000
        );
        let id = format!("{first17}{}", id_check_char(&first17).unwrap_or('0'));
        let _ = writeln!(
            m,
            "BH{i:06},{name},户主,1{}{:09},{id}",
            [3, 5, 8][i % 3],
            rng.random_range(0..1_000_000_000u64)
        );
    }
    (h, m)
}

/// The benchmark grid with `households` households (and one member each
/// when `members`), and its grid worker `bw1`.
pub(crate) async fn setup_grid(
    admin: &Admin,
    households: usize,
    members: bool,
) -> Result<(), BoxError> {
    admin
        .send(
            reqwest::Method::POST,
            "/admin/import/regions",
            geojson().into_bytes(),
        )
        .await?;
    let (h, m) = registers(households, 7);
    admin
        .send(
            reqwest::Method::POST,
            "/admin/import/households",
            h.into_bytes(),
        )
        .await?;
    if members {
        admin
            .send(
                reqwest::Method::POST,
                "/admin/import/members",
                m.into_bytes(),
            )
            .await?;
    }
    admin
        .put("/admin/users", json!({"id": "bw1", "name": "基准网格员", "role": "grid_worker", "phone": null, "jurisdiction": []}))
        .await?;
    admin
        .put("/admin/assignments", json!({"user_id": "bw1", "grid_code": GRID, "kind": "primary", "from": "2026-01-01", "to": null}))
        .await?;
    Ok(())
}

pub async fn run(bin: &Path, n: usize, out: &Path) -> Result<String, BoxError> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(out)?;
    let (server, admin) = Admin::start(bin, dir.path()).await?;
    eprintln!("setting up {n} records …");
    setup_grid(&admin, n / 2, true).await?;

    let phone = Store::open(dir.path().join("phone.db"))?;
    let (secrets, token) = enrol(
        &phone,
        &server.url,
        &admin.code_for("bw1").await?,
        "bench-phone",
    )
    .await?;
    eprintln!("initial sync …");
    let t = Instant::now();
    let pulled = gridwork_core::sync::device::sync(&phone, &secrets, &|_| {}).await?;
    let pull_seconds = t.elapsed().as_secs_f64();

    // The same records, for PouchDB: every entity the phone received.
    let transport = HttpTransport::new(&server.url, Some(token))?;
    let mut records = Vec::new();
    let mut cursor = None;
    loop {
        let (page, _): (PullResponse, _) = transport
            .pull(&PullRequest {
                cursor: cursor.clone(),
                limit: 5_000,
            })
            .await?;
        for c in &page.changes {
            records.push(serde_json::to_value(c)?);
        }
        cursor = Some(page.cursor.clone());
        if !page.more {
            break;
        }
    }
    std::fs::write(out.join("pull-records.json"), serde_json::to_vec(&records)?)?;

    eprintln!("recording {n} visits offline …");
    let template = phone.checklist_for_kind(PlaceKind::Household)?;
    let mut rng = StdRng::seed_from_u64(11);
    for i in 0..n {
        let answers = gridwork_sim::day::answers(&mut rng, &template, 0.0);
        phone.record_visit(
            "bw1",
            &VisitInput {
                household_code: format!("BH{:06}", i % (n / 2).max(1)),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers,
                notes: String::new(),
                fix: None,
                photos: vec![],
            },
        )?;
    }
    let ops = phone.outbox(n as u32 + 10)?;
    std::fs::write(out.join("push-records.json"), serde_json::to_vec(&ops)?)?;
    eprintln!("pushing …");
    let t = Instant::now();
    let pushed = gridwork_core::sync::device::sync(&phone, &secrets, &|_| {}).await?;
    let push_seconds = t.elapsed().as_secs_f64();
    if pushed.pushed.applied as usize != n {
        return Err(format!(
            "only {} of {n} operations applied: {pushed:?}",
            pushed.pushed.applied
        )
        .into());
    }
    Ok(json!({
        "tool": "gridwork",
        "n": n,
        "pull": {
            "records": pulled.pulled.upserted,
            "seconds": pull_seconds,
            "requests": pulled.pull_pages + pulled.push_requests,
            "bytes_up": pulled.bytes_sent,
            "bytes_down": pulled.bytes_received,
        },
        "push": {
            "records": pushed.pushed.applied,
            "seconds": push_seconds,
            // The push, then the pull that follows it in every sync.
            "requests": pushed.push_requests + pushed.pull_pages,
            "bytes_up": pushed.bytes_sent,
            "bytes_down": pushed.bytes_received,
        },
    })
    .to_string())
}
