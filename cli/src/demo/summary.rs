//! The closing summary, rendered from the server's report.

use super::*;
pub(super) fn dir_bytes(dir: &Path) -> u64 {
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

pub(super) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub(super) fn counts(v: &Value, labels: &dyn Fn(&str) -> String) -> String {
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

pub(super) fn priority_label(k: &str) -> String {
    gridwork_core::priority::Priority::parse(k)
        .map(|p| format!("{} {}", p.label_zh(), k))
        .unwrap_or_else(|| k.to_string())
}

pub(super) fn state_label(k: &str) -> String {
    gridwork_core::case::CaseState::parse(k)
        .map(|s| format!("{} {}", s.label_zh(), k))
        .unwrap_or_else(|| k.to_string())
}

pub(super) fn plain(k: &str) -> String {
    k.to_string()
}

/// The closing summary: every figure from the server's report, except
/// the lines marked as measured by the phones or the push service.
pub(super) fn render(
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
