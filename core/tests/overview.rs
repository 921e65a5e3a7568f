//! The overview's figures for the four promises, region by region, as a
//! console shows them: the whole reach, a drill-down to a village and a
//! grid, a person's reach, and a region out of reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gridwork_core::case::CaseDraft;
use gridwork_core::coord::CoordSystem;
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::region::RegionLevel;
use gridwork_core::store::REPORT_DAYS;
use gridwork_core::CoreError;

fn draft(grid: &str, household: &str, title: &str) -> CaseDraft {
    CaseDraft {
        category: Category {
            priority: Priority::WorkSafety,
            subcategory: "gas".into(),
        },
        severity: Severity::Normal,
        title: title.into(),
        description: String::new(),
        household_code: Some(household.into()),
        grid_code: grid.into(),
        source: None,
        evidence_ids: vec![],
    }
}

#[test]
fn the_overview_adds_grids_up_to_villages_townships_and_the_city() {
    let t = township();
    t.store
        .report_case(WORKER, &draft(G1, "H001", "楼道堆物"), &[], None)
        .unwrap();
    t.store
        .report_case(WORKER2, &draft(G2, "H101", "电动车充电"), &[], None)
        .unwrap();

    // The administrator's reach is one city: the overview opens on it.
    let all = t.store.overview(ADMIN, None).unwrap();
    assert_eq!(all.region.level, Some(RegionLevel::City));
    assert_eq!(all.region.code, "440300");
    assert!(all.path.is_empty());
    assert_eq!(all.region.grids, 2);
    assert_eq!(all.region.grids_with_worker, 2);
    assert_eq!(all.region.open_cases, 2);
    assert_eq!(
        all.region.open_with_owner, 0,
        "reported, nobody dispatched yet"
    );
    let townships: Vec<_> = all.children.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(townships, vec!["440300-T01"]);
    let registered = all.region.households + all.region.places;
    assert!(registered > 0);
    assert_eq!(all.region.with_worker, registered, "every grid is staffed");
    assert_eq!(
        all.region.visits_due + all.region.up_to_date,
        registered,
        "nothing visited yet: everything is due"
    );
    assert_eq!(all.reported_by_day.len(), REPORT_DAYS as usize);
    assert_eq!(
        all.reported_by_day.iter().map(|d| d.reported).sum::<u32>(),
        2
    );
    assert_eq!(all.cases_by_state.iter().map(|c| c.count).sum::<u64>(), 2);

    // Down to the village: its grids, each with its own case.
    let village = t.store.overview(ADMIN, Some("440300-T01-V01")).unwrap();
    assert_eq!(village.region.level, Some(RegionLevel::Village));
    let crumbs: Vec<_> = village.path.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(crumbs, vec!["440300", "440300-T01"]);
    let grids: Vec<_> = village
        .children
        .iter()
        .map(|c| (c.code.as_str(), c.open_cases))
        .collect();
    assert_eq!(grids, vec![(G1, 1), (G2, 1)]);
    let g1 = t.store.overview(ADMIN, Some(G1)).unwrap();
    assert_eq!(g1.region.open_cases, 1);
    assert!(g1.children.is_empty());

    // The secretary's reach is her village: it opens there.
    let mine = t.store.overview(SECRETARY, None).unwrap();
    assert_eq!(mine.region.code, "440300-T01-V01");
    assert!(mine.path.is_empty());

    // A grid worker's overview is their grid; another's is not theirs.
    let worker = t.store.overview(WORKER, None).unwrap();
    assert_eq!(worker.region.code, G1);
    let theirs = t.store.overview(WORKER, Some(G2)).unwrap_err();
    assert!(matches!(theirs, CoreError::NotFound { .. }), "{theirs:?}");
    let nowhere = t.store.overview(ADMIN, Some("NO-SUCH")).unwrap_err();
    assert!(matches!(nowhere, CoreError::NotFound { .. }));

    // The map: each grid's boundary and backlog, within reach only.
    let map = t
        .store
        .overview_map(SECRETARY, None, CoordSystem::Wgs84)
        .unwrap();
    let shown: Vec<_> = map
        .iter()
        .map(|g| (g.code.as_str(), g.open_cases))
        .collect();
    assert_eq!(shown, vec![(G1, 1), (G2, 1)]);
    assert!(map[0].boundary.contains("Polygon"), "{}", map[0].boundary);
    assert_eq!(
        t.store
            .overview_map(WORKER, None, CoordSystem::Wgs84)
            .unwrap()
            .len(),
        1
    );
    assert!(t
        .store
        .overview_map(WORKER, Some(G2), CoordSystem::Wgs84)
        .is_err());
    // On GCJ-02 tiles the same grid is drawn a few hundred metres over.
    let mars = t
        .store
        .overview_map(SECRETARY, Some(G1), CoordSystem::Gcj02)
        .unwrap();
    let first = |text: &str| -> (f64, f64) {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut c = &v["coordinates"];
        while c[0].is_array() {
            c = &c[0];
        }
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    let (wx, wy) = first(&map[0].boundary);
    let (mx, my) = first(&mars[0].boundary);
    let shift_m = ((mx - wx) * 102_000.0).hypot((my - wy) * 111_000.0);
    assert!((100.0..1_000.0).contains(&shift_m), "{shift_m} m");
}
