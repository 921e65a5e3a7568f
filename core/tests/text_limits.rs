//! The one table of limits (gridwork_core::limits) holds on the phone and
//! on the server alike: an address of a megabyte pushed by a phone, notes
//! past the limit typed on a phone, a NUL in an imported name, an ID number
//! with a region code that never existed: each refused with the field and
//! the reason, and nothing saved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gridwork_core::checklist::Answer;
use gridwork_core::household::PlaceKind;
use gridwork_core::import::TableFormat;
use gridwork_core::store::{ImportMode, VisitInput};
use gridwork_core::sync::protocol::OpAnswer;
use gridwork_core::CoreError;

#[test]
fn a_megabyte_address_pushed_by_a_phone_is_refused_by_the_server() {
    let w = World::new();
    let phone = w.device("worker");
    w.sync(&phone, WORKER);
    let mut ops = vec![];
    let mut h = household("H002", G1, 113.905, 22.505, vec![]);
    h.address = "幸福路".repeat(350_000);
    let entry = serde_json::json!({
        "seq": 1, "op_id": uuid::Uuid::now_v7().to_string(),
        "hlc": format!("{:016}-00000-{}", gridwork_core::clock::to_ms(t0()), phone.device_id()),
        "created_at": t0(),
        "operation": {"op": "household_upserted", "household": h}
    });
    ops.push(serde_json::from_value(entry).unwrap());
    let answers = w
        .server
        .apply_push(WORKER, phone.device_id(), None, 0, &ops)
        .unwrap();
    assert!(
        matches!(&answers[0], OpAnswer::Rejected { code, reason, .. }
            if code == "invalid" && reason.contains("at most 200 characters (this has 1050000)")),
        "{answers:?}"
    );
    let stored = w
        .server
        .household_detail(SECRETARY, "H002")
        .unwrap()
        .household
        .address;
    assert!(stored.len() < 100, "nothing of it was stored");
}

#[test]
fn notes_past_the_limit_are_refused_on_the_phone_and_nothing_is_saved() {
    let t = township();
    let template = t.store.checklist_for_kind(PlaceKind::Household).unwrap();
    let before = t.store.outbox(1000).unwrap().len();
    let input = |notes: String, answers: Vec<Answer>| VisitInput {
        household_code: "H002".into(),
        patrol_id: None,
        template_id: template.id.clone(),
        template_version: template.version,
        answers,
        notes,
        fix: None,
        photos: vec![],
    };
    let err = t
        .store
        .record_visit(WORKER, &input("记".repeat(2_001), safe_household_answers()))
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid { field, reason } if field == "notes" && reason.contains("at most 2000 characters")),
        "{err:?}"
    );
    let err = t
        .store
        .record_visit(
            WORKER,
            &input("有\u{0}空字符".into(), safe_household_answers()),
        )
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid { field, reason } if field == "notes" && reason.contains("character 2 is a control character")),
        "{err:?}"
    );
    assert_eq!(t.store.outbox(1000).unwrap().len(), before, "nothing saved");
}

#[test]
fn imported_rows_with_control_characters_or_unreal_id_numbers_are_row_errors() {
    let t = township();
    let csv = "户编码,网格编码,类型,户主,地址,经度,纬度\n\
               H201,440300-T01-V01-G1,住户,王\u{0}五,幸福路2号,113.905,22.505\n\
               H202,440300-T01-V01-G1,住户,赵六,幸福路3号,113.906,22.506\n";
    let report = t
        .store
        .import_households(
            ADMIN,
            csv.as_bytes(),
            TableFormat::Csv,
            ImportMode::BestEffort,
        )
        .unwrap();
    assert_eq!(report.imported, 1, "{report:?}");
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert_eq!(report.errors[0].line, 2);
    assert!(
        report.errors[0].reason.contains("control character"),
        "{report:?}"
    );

    // 999999 was never a region code; the check digit is right.
    let first17 = "99999919800101123";
    let id = format!(
        "{first17}{}",
        gridwork_core::pii::id_check_char(first17).unwrap()
    );
    let csv =
        format!("户编码,姓名,与户主关系,联系电话,身份证号\nH002,孙七,户主,13700001111,{id}\n");
    let report = t
        .store
        .import_members(
            ADMIN,
            csv.as_bytes(),
            TableFormat::Csv,
            ImportMode::BestEffort,
        )
        .unwrap();
    assert_eq!(report.imported, 0, "{report:?}");
    assert!(
        report.errors[0].reason.contains("region code"),
        "{report:?}"
    );
    assert!(
        !format!("{report:?}").contains(&id[..10]),
        "the number is never repeated"
    );
}
