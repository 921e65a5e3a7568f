//! The demo's closing summary. Every figure is read back from the store
//! through its public queries, never from the simulator's own counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use gridwork_core::case::CaseState;
use gridwork_core::priority::{Priority, Severity};
use gridwork_core::store::CaseScope;
use gridwork_core::Store;

use crate::load::LoadReport;
use crate::SimError;

fn dir_size(dir: &Path) -> (u64, u64) {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().fold((0, 0), |(n, bytes), e| {
                (n + 1, bytes + e.metadata().map(|m| m.len()).unwrap_or(0))
            })
        })
        .unwrap_or((0, 0))
}

fn file_size(p: &Path) -> u64 {
    let wal = p.with_file_name(format!(
        "{}-wal",
        p.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Render the summary.
pub fn summarize(
    store: &Store,
    db_path: &Path,
    load: &LoadReport,
    admin_id: &str,
    worker_id: &str,
    day: NaiveDate,
) -> Result<String, SimError> {
    let mut out = String::new();
    let w = &mut out;
    let grids = store.my_grids(admin_id)?;
    let households: u32 = grids.iter().map(|g| g.households).sum();
    let errors =
        load.regions.errors.len() + load.households.errors.len() + load.members.errors.len();
    let _ = writeln!(w, "== 示范区 / Demo area ==");
    let _ = writeln!(
        w,
        "  网格 {} 个，户/场所 {} 个，成员 {} 人；导入错误 {} 条 / {} grids, {} households and places, {} members; {} import errors",
        grids.len(),
        households,
        load.members.imported,
        errors,
        grids.len(),
        households,
        load.members.imported,
        errors
    );
    let me = store.user(worker_id)?;
    let d = store.my_day(worker_id, day)?;
    let _ = writeln!(
        w,
        "== 网格员 {} 的一天 ({day}) / A grid worker's day ==",
        me.name
    );
    let _ = writeln!(
        w,
        "  巡查 {} 次，轨迹 {:.1} km；走访 {} 次 ({} 户) / {} patrol(s), {:.1} km tracked; {} visits to {} households",
        d.patrols,
        d.distance_m / 1000.0,
        d.visits,
        d.households_visited,
        d.patrols,
        d.distance_m / 1000.0,
        d.visits,
        d.households_visited
    );
    let verdicts: Vec<String> = d
        .verdicts
        .iter()
        .map(|v| format!("{} {}", v.status, v.count))
        .collect();
    let _ = writeln!(w, "  定位核验 / location verdicts: {}", verdicts.join(", "));
    let _ = writeln!(
        w,
        "  发现隐患 {} 项，上报事件 {} 件，就地解决 {} 件，照片 {} 张 / {} hazards, {} cases reported, {} resolved on the spot, {} photos",
        d.hazards_found,
        d.cases_reported,
        d.resolved_on_spot,
        d.photos,
        d.hazards_found,
        d.cases_reported,
        d.resolved_on_spot,
        d.photos
    );
    let cases = store.cases(admin_id, CaseScope::Jurisdiction, false, 0, 500)?;
    let mut by_priority: BTreeMap<Priority, u32> = BTreeMap::new();
    let mut by_state: BTreeMap<CaseState, u32> = BTreeMap::new();
    let mut chain_ok = 0;
    for c in &cases {
        *by_priority.entry(c.priority).or_default() += 1;
        *by_state.entry(c.state).or_default() += 1;
        if store.case_detail(admin_id, &c.id)?.chain_break.is_none() {
            chain_ok += 1;
        }
    }
    let _ = writeln!(w, "== 事件 / Cases ({}) ==", cases.len());
    let pri: Vec<String> = by_priority
        .iter()
        .map(|(p, n)| format!("{} {n}", p.label_zh()))
        .collect();
    let _ = writeln!(w, "  按重点 / by priority: {}", pri.join("，"));
    let st: Vec<String> = by_state
        .iter()
        .map(|(s, n)| format!("{} {n}", s.label_zh()))
        .collect();
    let _ = writeln!(w, "  按状态 / by state: {}", st.join("，"));
    let critical = cases
        .iter()
        .filter(|c| c.severity == Severity::Critical)
        .count();
    let l1 = cases.iter().filter(|c| c.escalation_level >= 1).count();
    let l2 = cases.iter().filter(|c| c.escalation_level >= 2).count();
    let overdue = cases
        .iter()
        .filter(|c| c.countdown_secs.is_some_and(|s| s < 0))
        .count();
    let _ = writeln!(
        w,
        "  重大 {critical} 件；升级至街道 {l1} 件、至市 {l2} 件；仍超期 {overdue} 件 / {critical} critical; {l1} escalated to the township, {l2} to the city; {overdue} overdue now"
    );
    let _ = writeln!(
        w,
        "  事件链校验通过 {chain_ok}/{} / hash chains verified",
        cases.len()
    );
    let cov = store.coverage_report(admin_id)?;
    let _ = writeln!(w, "== 四个承诺 / The four promises ==");
    let _ = writeln!(
        w,
        "  网格空白 {}，重叠 {}，无人网格 {}，网格外住户 {}，无人负责事件 {} / gaps {}, overlaps {}, grids without a worker {}, households outside every grid {}, open cases without an owner {}",
        cov.gaps.len(),
        cov.overlaps.len(),
        cov.grids_without_worker.len(),
        cov.households_outside_every_grid.len(),
        cov.open_cases_without_owner.len(),
        cov.gaps.len(),
        cov.overlaps.len(),
        cov.grids_without_worker.len(),
        cov.households_outside_every_grid.len(),
        cov.open_cases_without_owner.len()
    );
    let (photos, photo_bytes) = dir_size(store.evidence_dir());
    let _ = writeln!(w, "== 设备存储 / Device store ==");
    let _ = writeln!(
        w,
        "  待同步操作 {} 条；数据库 {:.1} MB；证据照片 {} 张 {:.1} MB / {} operations waiting to sync; database {:.1} MB; {} evidence photos, {:.1} MB",
        store.outbox_len()?,
        file_size(db_path) as f64 / 1e6,
        photos,
        photo_bytes as f64 / 1e6,
        store.outbox_len()?,
        file_size(db_path) as f64 / 1e6,
        photos,
        photo_bytes as f64 / 1e6
    );
    Ok(out)
}
