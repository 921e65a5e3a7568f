//! Every operation type × every field role × a record outside the pusher's
//! jurisdiction (another grid of the same village, another village, another
//! township): the server's store refuses it, nothing in the server's
//! database changes, the answer carries no server state, and where a record
//! that does not exist would be refused, the answer is word for word the
//! same (so a refusal tells nothing about what exists out of reach).
//!
//! The outside records are made by real work on the outside workers' own
//! phones (patrol, visit with a photo, a critical case that escalates,
//! a reveal), and the attacks are those very operations, replayed under the
//! attacker's account: as sent, written in the attacker's name, and moved
//! into the attacker's own grid (ids kept: guessed or seen ids).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::NaiveDate;
use common::*;
use gridwork_core::checklist::{Answer, AnswerValue};
use gridwork_core::household::{Member, PlaceKind};
use gridwork_core::outbox::OutboxEntry;
use gridwork_core::pii::PiiField;
use gridwork_core::region::{Region, RegionLevel};
use gridwork_core::store::VisitInput;
use gridwork_core::sync::protocol::OpAnswer;
use gridwork_core::user::{Assignment, AssignmentKind, Role};
use serde_json::{json, Value};

/// The id of a record that does not exist, for answers to compare with.
const GHOST: &str = "NOPE";

/// An answer's words with the id the pusher named put back to `GHOST`: an
/// answer may echo what was sent, never more.
fn unnamed(reason: &str, op: &Value) -> String {
    let mut out = reason.to_string();
    for key in ["case_id", "member_id", "item_id"] {
        if let Some(id) = op[key].as_str() {
            out = out.replace(id, GHOST);
        }
    }
    out
}

/// One grid's worth of records, all made by its own worker.
struct Area {
    worker: &'static str,
    grid: &'static str,
    household: &'static str,
    member: &'static str,
    /// The worker's operations, captured before they were pushed.
    ops: Vec<OutboxEntry>,
}

const G3: &str = "440300-T01-V02-G3";
const G4: &str = "440300-T02-V03-G4";

fn region(code: &str, level: RegionLevel, parent: &str) -> Region {
    Region {
        code: code.into(),
        name: format!("{code}区"),
        level,
        parent_code: Some(parent.into()),
        boundary: None,
    }
}

/// Village V02 (township T01) with grid G3, township T02 with village V03
/// and grid G4; a worker, a household and a member in each, plus members
/// for grid 2's household and a supervisor for T02.
fn widen(w: &World) {
    let s = &w.server;
    s.upsert_region(&region(
        "440300-T01-V02",
        RegionLevel::Village,
        "440300-T01",
    ))
    .unwrap();
    s.upsert_region(&region("440300-T02", RegionLevel::Township, "440300"))
        .unwrap();
    s.upsert_region(&region(
        "440300-T02-V03",
        RegionLevel::Village,
        "440300-T02",
    ))
    .unwrap();
    for (grid, village, x0, worker, home) in [
        (G3, "440300-T01-V02", 113.92, "w-wu", "H301"),
        (G4, "440300-T02-V03", 113.93, "w-sun", "H401"),
    ] {
        s.upsert_grid(&gridwork_core::grid::Grid {
            code: grid.into(),
            name: format!("{grid}网格"),
            village_code: village.into(),
            boundary: rect(x0, 22.50, x0 + 0.01, 22.51),
        })
        .unwrap();
        s.upsert_user(&user(
            worker,
            &format!("{worker}网格员"),
            Role::GridWorker,
            &[],
        ))
        .unwrap();
        s.set_assignment(&Assignment {
            user_id: worker.into(),
            grid_code: grid.into(),
            kind: AssignmentKind::Primary,
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: None,
        })
        .unwrap();
        s.upsert_household(&household(home, grid, x0 + 0.005, 22.505, vec![]))
            .unwrap();
    }
    s.upsert_user(&user(
        "t-qian",
        "钱督导",
        Role::TownshipSupervisor,
        &["440300-T02"],
    ))
    .unwrap();
    for (id, household) in [("M101", "H101"), ("M301", "H301"), ("M401", "H401")] {
        s.upsert_member(&Member {
            id: id.into(),
            household_code: household.into(),
            name: format!("{id}居民"),
            relation: "户主".into(),
            phone: Some("13912345678".into()),
            id_number: Some("11010519491231002X".into()),
            pii_masked: false,
        })
        .unwrap();
    }
}

/// The outside worker's day on their own phone: a patrol with a track, a
/// visit with a photo that finds a gas smell, the critical case it drafts
/// (which escalates at once: inbox items), a reveal; captured, then synced.
fn work(
    w: &World,
    worker: &'static str,
    grid: &'static str,
    hh: &'static str,
    member: &'static str,
) -> Area {
    let phone = w.device(worker);
    w.sync(&phone, worker);
    let patrol = phone.start_patrol(worker, grid, None).unwrap();
    let (lon, lat) = match grid {
        G2 => (113.915, 22.505),
        G3 => (113.925, 22.505),
        _ => (113.935, 22.505),
    };
    phone
        .add_track_points(worker, &patrol.id, &[fix_at(lat, lon)])
        .unwrap();
    let template = phone.checklist_for_kind(PlaceKind::Household).unwrap();
    let mut answers = safe_household_answers();
    answers[2].value = AnswerValue::YesNo(true);
    answers.push(Answer {
        item_code: "ws.gas_cylinder_hose".into(),
        value: AnswerValue::Choices(vec!["hose_aged".into()]),
    });
    let visit = phone
        .record_visit(
            worker,
            &VisitInput {
                household_code: hh.into(),
                patrol_id: Some(patrol.id.clone()),
                template_id: template.id.clone(),
                template_version: template.version,
                answers,
                notes: "厨房有异味".into(),
                fix: Some(fix_at(lat, lon)),
                photos: vec![photo(
                    w.dir.path(),
                    &format!("{worker}.jpg"),
                    Some("ws.gas_cylinder_photo"),
                )],
            },
        )
        .unwrap();
    phone
        .report_case(
            worker,
            &visit.drafts[0],
            &[photo(w.dir.path(), &format!("{worker}-case.jpg"), None)],
            None,
        )
        .unwrap();
    phone
        .reveal_member_field(worker, member, PiiField::Phone, "回访核实")
        .unwrap();
    phone.end_patrol(worker, &patrol.id).unwrap();
    let ops = phone.outbox(1000).unwrap();
    let report = w.sync(&phone, worker);
    assert_eq!(report.pushed.rejected, 0, "{worker}'s own day: {report:?}");
    Area {
        worker,
        grid,
        household: hh,
        member,
        ops,
    }
}

/// Everything in the server's database that an operation could change,
/// apart from the bookkeeping of the pushing device itself (its answers and
/// its sequence number).
fn snapshot(w: &World) -> Vec<String> {
    let rows: Vec<String> = w
        .server_db(|sql| dump_tables(sql, &["op_log"]))
        .into_iter()
        .filter(|line| !line.contains("device_seq:"))
        .collect();
    // The comparison means something only if the rows are really read.
    assert!(
        rows.iter().any(|l| l.starts_with("household: "))
            && rows.iter().any(|l| l.starts_with("member: ")),
        "{rows:?}"
    );
    rows
}

/// Replace every occurrence of each `from` string value in a JSON tree.
fn swap(v: &mut Value, pairs: &[(&str, &str)]) {
    match v {
        Value::String(s) => {
            if let Some((_, to)) = pairs.iter().find(|(from, _)| s == from) {
                *s = (*to).to_string();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| swap(x, pairs)),
        Value::Object(o) => o.values_mut().for_each(|x| swap(x, pairs)),
        _ => {}
    }
}

struct Attacker {
    user: &'static str,
    device: String,
    seq: i64,
    /// The attacker's own grid, household and member.
    grid: &'static str,
    household: &'static str,
    member: &'static str,
}

impl Attacker {
    fn push(&mut self, w: &World, operation: Value) -> OpAnswer {
        self.seq += 1;
        let entry: OutboxEntry = serde_json::from_value(json!({
            "seq": self.seq,
            "op_id": uuid::Uuid::now_v7().to_string(),
            "hlc": format!("{:016}-00000-{}", 1_900_000_000_000i64 + self.seq, self.device),
            "created_at": "2026-03-02T01:00:00Z",
            "operation": operation,
        }))
        .unwrap();
        let mut answers = w
            .server
            .apply_push(self.user, &self.device, None, self.seq - 1, &[entry])
            .unwrap();
        answers.pop().unwrap()
    }
}

/// The operations an attacker sends at an outside area, each with a name,
/// and (where it makes sense) the same operation aimed at a record that
/// does not exist.
fn attacks(
    area: &Area,
    me: &Attacker,
    inbox_items: &[String],
) -> Vec<(String, Value, Option<Value>)> {
    let mut out = Vec::new();
    for entry in &area.ops {
        let op = serde_json::to_value(&entry.operation).unwrap();
        let kind = entry.operation.kind();
        out.push((format!("{kind} as sent"), op.clone(), None));
        let mut as_me = op.clone();
        swap(&mut as_me, &[(area.worker, me.user)]);
        out.push((format!("{kind} in my name"), as_me, None));
        let mut moved = op.clone();
        swap(
            &mut moved,
            &[
                (area.worker, me.user),
                (area.grid, me.grid),
                (area.household, me.household),
            ],
        );
        out.push((format!("{kind} moved into my grid, ids kept"), moved, None));
        if kind == "case_reported" {
            let case_id = op["case_id"].clone();
            let event = op["event"].clone();
            for action in [
                json!({"type": "file", "difficulty": "normal", "note": ""}),
                json!({"type": "dismiss", "reason": "误报"}),
                json!({"type": "urge", "message": "请尽快"}),
            ] {
                let mut event = event.clone();
                event["id"] = json!(uuid::Uuid::now_v7().to_string());
                let acted = json!({"op": "case_acted", "case_id": case_id, "action": action, "at": "2026-03-02T01:00:00Z", "event": event});
                let mut ghost = acted.clone();
                ghost["case_id"] = json!(GHOST);
                out.push((format!("case_acted {}", action["type"]), acted, Some(ghost)));
            }
        }
    }
    let hh = |code: &str, grid: &str, name: &str| {
        json!({"op": "household_upserted", "household": {
            "code": code, "grid_code": grid, "kind": "household", "name": name,
            "address": "改", "lat": 22.505, "lon": 113.905, "tags": []}})
    };
    out.push((
        "household edited".into(),
        hh(area.household, area.grid, "篡改"),
        Some(hh(GHOST, area.grid, "篡改")),
    ));
    out.push((
        "household moved into my grid".into(),
        hh(area.household, me.grid, "篡改"),
        Some(hh(GHOST, area.grid, "篡改")),
    ));
    out.push((
        "my household pushed into theirs".into(),
        hh(me.household, area.grid, "篡改"),
        Some(hh(GHOST, area.grid, "篡改")),
    ));
    let member = |id: &str, household: &str| {
        json!({"op": "member_upserted", "member": {
            "id": id, "household_code": household, "name": "篡改", "relation": "户主",
            "phone": "13900000000", "id_number": null}})
    };
    let ghost = Some(member(GHOST, GHOST));
    out.push((
        "member edited".into(),
        member(area.member, area.household),
        ghost.clone(),
    ));
    out.push((
        "member taken into my household".into(),
        member(area.member, me.household),
        ghost.clone(),
    ));
    out.push((
        "my member pushed into theirs".into(),
        member(me.member, area.household),
        ghost,
    ));
    let reveal = |m: &str| {
        json!({"op": "pii_revealed", "member_id": m, "field": "id_number", "reason": "查看",
               "user_id": me.user, "at": "2026-03-02T01:00:00Z"})
    };
    out.push((
        "reveal of their member".into(),
        reveal(area.member),
        Some(reveal(GHOST)),
    ));
    for item in inbox_items {
        let read =
            |id: &str| json!({"op": "inbox_read", "item_id": id, "at": "2026-03-02T01:00:00Z"});
        out.push((
            "inbox item of someone else read".into(),
            read(item),
            Some(read(GHOST)),
        ));
    }
    out.push((
        "their quiet hours".into(),
        json!({"op": "quiet_hours_set", "user_id": area.worker, "quiet": {"start": "22:00:00", "end": "07:00:00"}}),
        None,
    ));
    // Administrators' operations, aimed at the outside area.
    out.push((
        "user made administrator".into(),
        json!({"op": "user_upserted", "user": {"id": me.user, "name": "x", "role": "administrator", "phone": null, "jurisdiction": []}}),
        None,
    ));
    out.push((
        "assignment to their grid".into(),
        json!({"op": "assignment_set", "assignment": {"user_id": me.user, "grid_code": area.grid, "kind": "primary", "from": "2026-01-01", "to": null}}),
        None,
    ));
    out.push((
        "their grid redrawn".into(),
        json!({"op": "grid_upserted", "grid": {"code": area.grid, "name": "x", "village_code": "440300-T01-V01",
            "boundary_geojson": "{\"type\":\"Polygon\",\"coordinates\":[[[113.9,22.5],[113.91,22.5],[113.91,22.51],[113.9,22.5]]]}"}}),
        None,
    ));
    out.push((
        "a region renamed".into(),
        json!({"op": "region_upserted", "region": {"code": "440300-T02", "name": "x", "level": "township", "parent_code": "440300", "boundary_geojson": null}}),
        None,
    ));
    out.push((
        "deadline policy".into(),
        json!({"op": "deadline_policy_set", "policy": gridwork_core::case::DeadlinePolicy::default()}),
        None,
    ));
    out.push((
        "visit policy".into(),
        json!({"op": "visit_policy_set", "policy": gridwork_core::visit::VisitPolicy::default()}),
        None,
    ));
    out.push((
        "template".into(),
        json!({"op": "template_stored", "template_json": "{}"}),
        None,
    ));
    out
}

#[test]
fn nothing_outside_a_jurisdiction_changes_or_leaks_whatever_is_pushed() {
    let w = World::new();
    widen(&w);
    let areas = [
        work(&w, WORKER2, G2, "H101", "M101"),
        work(&w, "w-wu", G3, "H301", "M301"),
        work(&w, "w-sun", G4, "H401", "M401"),
    ];
    let items: Vec<(String, String)> = w.server_db(|sql| {
        sql.query_map("SELECT id, user_id FROM inbox_item", &[], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    });
    assert!(
        !items.is_empty(),
        "the critical cases escalated: inbox items exist"
    );

    // (attacker, the areas outside their jurisdiction)
    let matrix: [(&'static str, &[usize]); 3] =
        [(WORKER, &[0, 1, 2]), (SECRETARY, &[1, 2]), (TOWNSHIP, &[2])];
    let mut tried = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for (user, outside) in matrix {
        let mut me = Attacker {
            user,
            device: format!("attacker-{user}"),
            seq: 0,
            grid: G1,
            household: "H001",
            member: "M001",
        };
        let not_mine: Vec<String> = items
            .iter()
            .filter(|(_, owner)| owner != user)
            .map(|(id, _)| id.clone())
            .collect();
        for &i in outside {
            let area = &areas[i];
            for (name, op, ghost) in attacks(area, &me, &not_mine) {
                kinds.insert(op["op"].as_str().unwrap().to_string());
                let before = snapshot(&w);
                let answer = me.push(&w, op.clone());
                let after = snapshot(&w);
                let what = format!("{user} → {} ({}): {name}", area.grid, area.worker);
                let OpAnswer::Rejected {
                    code,
                    reason,
                    current,
                    ..
                } = &answer
                else {
                    panic!("{what}: not refused: {answer:?}");
                };
                assert!(
                    current.is_none(),
                    "{what}: server state sent back: {current:?}"
                );
                if before != after {
                    let gone: Vec<_> = before.iter().filter(|r| !after.contains(r)).collect();
                    let new: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
                    panic!("{what}: the server's data changed\n- {gone:#?}\n+ {new:#?}");
                }
                for secret in [
                    area.worker,
                    "网格员",
                    "居民",
                    "13912345678",
                    "11010519491231002X",
                ] {
                    if secret != area.worker || !name.contains("quiet") {
                        assert!(
                            !reason.contains(secret),
                            "{what}: the answer names {secret}: {reason}"
                        );
                    }
                }
                if let Some(ghost) = ghost {
                    let OpAnswer::Rejected {
                        code: g_code,
                        reason: g_reason,
                        ..
                    } = me.push(&w, ghost)
                    else {
                        panic!("{what}: the ghost was not refused");
                    };
                    assert_eq!(
                        (code.as_str(), unnamed(reason, &op)),
                        (g_code.as_str(), g_reason),
                        "{what}: answered differently from a record that does not exist"
                    );
                }
                tried += 1;
            }
        }
    }
    // Every operation type the protocol has, except the push endpoints
    // (keyed by the pushing device itself, tested with the inbox).
    for kind in [
        "region_upserted",
        "grid_upserted",
        "household_upserted",
        "member_upserted",
        "user_upserted",
        "assignment_set",
        "template_stored",
        "patrol_started",
        "track_recorded",
        "patrol_ended",
        "visit_recorded",
        "evidence_recorded",
        "case_reported",
        "case_acted",
        "deadline_policy_set",
        "visit_policy_set",
        "pii_revealed",
        "inbox_read",
        "quiet_hours_set",
    ] {
        assert!(kinds.contains(kind), "no attack used {kind}");
    }
    assert!(tried > 150, "{tried} attacks");
}

/// An operation id is the sending device's: the same id from another
/// device is refused without the first answer, and the first device still
/// gets its duplicate answer.
#[test]
fn stored_answers_belong_to_the_device_that_sent_them() {
    let w = World::new();
    widen(&w);
    let area = work(&w, "w-wu", G3, "H301", "M301");
    let first = area.ops[0].clone();
    let stolen = w
        .server
        .apply_push(
            WORKER,
            "attacker",
            None,
            first.seq - 1,
            std::slice::from_ref(&first),
        )
        .unwrap();
    assert!(
        matches!(&stolen[0], OpAnswer::Rejected { code, reason, current: None, .. }
            if code == "invalid" && reason.contains("operation id is already in use")),
        "{stolen:?}"
    );
    let phone = w.device("w-wu");
    let again = w
        .server
        .apply_push(
            "w-wu",
            phone.device_id(),
            None,
            first.seq - 1,
            std::slice::from_ref(&first),
        )
        .unwrap();
    assert!(matches!(&again[0], OpAnswer::Duplicate { .. }), "{again:?}");
}
