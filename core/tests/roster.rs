//! 网格与人员: each grid of a reach with its workers today and its
//! households and places; the people of that reach; grid workers refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gridwork_core::user::AssignmentKind;
use gridwork_core::CoreError;

#[test]
fn the_roster_says_who_covers_each_grid_and_who_oversees_it() {
    let t = township();
    let roster = t.store.roster(SECRETARY, None).unwrap();
    let grids: Vec<_> = roster
        .grids
        .iter()
        .map(|g| {
            (
                g.code.as_str(),
                g.workers
                    .iter()
                    .map(|w| (w.user_id.as_str(), w.kind))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        grids,
        vec![
            (G1, vec![(WORKER, AssignmentKind::Primary)]),
            (G2, vec![(WORKER2, AssignmentKind::Primary)]),
        ]
    );
    assert!(roster.grids[0].households + roster.grids[0].places > 0);
    let people: Vec<_> = roster.people.iter().map(|p| p.user.id.as_str()).collect();
    for who in [WORKER, WORKER2, SECRETARY, TOWNSHIP, CITY] {
        assert!(people.contains(&who), "{who} in {people:?}");
    }
    assert!(
        !people.contains(&ADMIN),
        "administrators are not part of a secretary's village"
    );
    let zhang = roster.people.iter().find(|p| p.user.id == WORKER).unwrap();
    assert_eq!(zhang.grids, vec![G1.to_string()]);

    // One grid: its worker and those over it, not the other grid's worker.
    let g1 = t.store.roster(TOWNSHIP, Some(G1)).unwrap();
    assert_eq!(g1.grids.len(), 1);
    let people: Vec<_> = g1.people.iter().map(|p| p.user.id.as_str()).collect();
    assert!(
        people.contains(&WORKER) && !people.contains(&WORKER2),
        "{people:?}"
    );

    let refused = t.store.roster(WORKER, None).unwrap_err();
    assert!(matches!(refused, CoreError::NotPermitted { .. }));
    assert!(matches!(
        t.store.roster(ADMIN, Some("NO-SUCH")).unwrap_err(),
        CoreError::NotFound { .. }
    ));
}
