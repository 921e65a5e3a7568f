//! Photos for the upload tests: pseudo-random files of a given size, a
//! visit and two cases (normal, critical) with one photo each, and "the
//! server answered the outbox".
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::Duration;
use gridwork_core::evidence::PhotoInput;
use gridwork_core::priority::Severity;

use crate::common::*;

/// A photo of `size` pseudo-random bytes (a JPEG header first).
pub fn big_photo(dir: &Path, name: &str, size: usize, seed: u64) -> PhotoInput {
    let mut p = photo(dir, name, None);
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    while bytes.len() < size {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        bytes.push((x >> 33) as u8);
    }
    std::fs::write(&p.path, &bytes).unwrap();
    p.item_code = None;
    p
}

/// As if a sync had pushed every operation and the server answered them.
pub fn outbox_answered(t: &Township) {
    rusqlite::Connection::open(t.db_path())
        .unwrap()
        .execute("DELETE FROM outbox", [])
        .unwrap();
}

/// A visit photo, a normal case with a photo, a critical case with a
/// photo, recorded in that order. Returns (visit photo, normal, critical).
pub fn three_photos(t: &Township, size: usize) -> (String, String, String) {
    let template = t
        .store
        .checklist_for_kind(gridwork_core::household::PlaceKind::Household)
        .unwrap();
    let mut answers = safe_household_answers();
    answers[2].value = gridwork_core::checklist::AnswerValue::YesNo(true);
    let visit = t
        .store
        .record_visit(
            WORKER,
            &gridwork_core::store::VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers,
                notes: String::new(),
                fix: Some(fix_at(22.5016, 113.9016)),
                photos: vec![big_photo(t.dir.path(), "visit.jpg", size, 1)],
            },
        )
        .unwrap();
    let visit_photo = visit.evidence[0].id.clone();
    let mut draft = visit.drafts[0].clone();
    draft.evidence_ids.clear();
    let mut report = |sev: Severity, name: &str, seed: u64| {
        t.clock.advance(Duration::seconds(10));
        draft.severity = sev;
        let out = t
            .store
            .report_case(
                WORKER,
                &draft,
                &[big_photo(t.dir.path(), name, size, seed)],
                None,
            )
            .unwrap();
        out.case.evidence_ids[0].clone()
    };
    let normal = report(Severity::Normal, "normal.jpg", 2);
    let critical = report(Severity::Critical, "critical.jpg", 3);
    (visit_photo, normal, critical)
}
