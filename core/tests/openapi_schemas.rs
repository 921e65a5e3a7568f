//! The OpenAPI schemas the server publishes describe the bytes on the wire.
//! Real protocol bodies, made by the real store code (a device's outbox with
//! every kind of operation; push and pull through the server's store,
//! including a refused push that carries the server's current case), are
//! serialised with serde and validated against the schemas utoipa generated
//! for `gridwork_core::sync::openapi::SyncSchemas` (OpenAPI 3.1, so JSON
//! Schema 2020-12), with formats checked. A few bodies that serde would
//! refuse must be refused by the schemas too, so they are not vacuous.
//!
//! Runs only with `--features openapi` (see core/Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::Duration;
use common::*;
use gridwork_core::case::{CaseAction, DeadlinePolicy, Difficulty, EscalationReason, EventKind};
use gridwork_core::checklist::{Answer, AnswerValue};
use gridwork_core::clock::{to_ms, Clock, ManualClock};
use gridwork_core::household::{PlaceKind, Tag};
use gridwork_core::import::TableFormat;
use gridwork_core::pii::PiiField;
use gridwork_core::store::{CaseScope, ImportMode, VisitInput, VisitOutcome};
use gridwork_core::sync::openapi::SyncSchemas;
use gridwork_core::sync::protocol::{
    ActivateRequest, ActivateResponse, Change, Entity, ErrorBody, OpAnswer, PullRequest,
    PullResponse, PushRequest, PushResponse,
};
use gridwork_core::sync::{sync_with, Transfer, Transport};
use gridwork_core::user::{Assignment, AssignmentKind};
use gridwork_core::visit::VisitPolicy;
use gridwork_core::Store;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::OpenApi;

// ---------------------------------------------------------------------------
// The document and its validators

struct Schemas {
    doc: Value,
    /// The same components with `additionalProperties: false` on every
    /// object: a body that passes these has no property the schema lacks.
    closed: Value,
    validators: Mutex<HashMap<(String, bool), Arc<jsonschema::Validator>>>,
}

/// Forbid undeclared properties on every object schema (the document has
/// no `allOf`, so each object schema lists all of its properties).
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.contains_key("properties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| {
        // Through text, as the server serves it.
        let text = SyncSchemas::openapi().to_pretty_json().unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(!text.contains("allOf"), "close_objects assumes no allOf");
        let mut closed = doc["components"].clone();
        close_objects(&mut closed);
        Schemas {
            doc,
            closed,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

impl Schemas {
    fn names(&self) -> BTreeSet<String> {
        self.doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn validator(&self, name: &str) -> Arc<jsonschema::Validator> {
        self.validator_of(name, false)
    }

    fn validator_of(&self, name: &str, closed: bool) -> Arc<jsonschema::Validator> {
        let key = (name.to_string(), closed);
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(&key) {
            return v.clone();
        }
        assert!(
            self.doc["components"]["schemas"].get(name).is_some(),
            "no schema named {name}"
        );
        // A JSON Schema whose root is a reference into the document's
        // components: the `#/components/schemas/…` pointers resolve as is.
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/components/schemas/{name}"),
            "components": if closed { &self.closed } else { &self.doc["components"] },
        });
        let v = Arc::new(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}")),
        );
        cache.insert(key, v.clone());
        v
    }

    /// Serialise `value` as serde does and validate it against `name`.
    fn check<T: Serialize>(&self, name: &str, value: &T) -> Value {
        let json = serde_json::to_value(value).unwrap();
        self.check_json(name, &json);
        json
    }

    /// Validate against the published schema and against its closed copy.
    fn check_json(&self, name: &str, json: &Value) {
        for closed in [false, true] {
            let v = self.validator_of(name, closed);
            let errors: Vec<String> = v
                .iter_errors(json)
                .map(|e| format!("  at {}: {e}", e.instance_path()))
                .collect();
            if !errors.is_empty() {
                let mut shown = serde_json::to_string_pretty(json).unwrap();
                shown.truncate(4000);
                let what = if closed {
                    "has properties the schema does not declare"
                } else {
                    "does not fit the schema"
                };
                panic!(
                    "{name}: serde's JSON {what}:\n{}\n{shown}",
                    errors.join("\n")
                );
            }
        }
    }

    fn refuses(&self, name: &str, json: &Value, why: &str) {
        assert!(
            !self.validator(name).is_valid(json),
            "{name} schema accepts {why}: {json}"
        );
    }
}

// ---------------------------------------------------------------------------
// A loopback transport that records every body it carries, as bytes

#[derive(Default)]
struct Wire {
    /// (schema name, body as it went over the wire)
    bodies: Vec<(&'static str, Value)>,
}

/// Sends each request and answer through JSON text, both ways, and keeps it.
struct Recording<'a> {
    server: &'a Store,
    user: String,
    device_clock: Arc<dyn Clock>,
    wire: &'a Mutex<Wire>,
}

impl Recording<'_> {
    fn carry<T: Serialize + serde::de::DeserializeOwned>(&self, name: &'static str, v: &T) -> T {
        let bytes = serde_json::to_vec(v).unwrap();
        self.wire
            .lock()
            .unwrap()
            .bodies
            .push((name, serde_json::from_slice(&bytes).unwrap()));
        serde_json::from_slice(&bytes).unwrap()
    }
}

impl Transport for Recording<'_> {
    async fn push(&self, req: &PushRequest) -> gridwork_core::Result<(PushResponse, Transfer)> {
        let req = self.carry("PushRequest", req);
        let answers = self.server.apply_push(
            &self.user,
            &req.device_id,
            Some(to_ms(self.device_clock.now())),
            req.acked_through,
            &req.ops,
        )?;
        let resp = self.carry("PushResponse", &PushResponse { answers });
        Ok((resp, Transfer::default()))
    }

    async fn pull(&self, req: &PullRequest) -> gridwork_core::Result<(PullResponse, Transfer)> {
        let req = self.carry("PullRequest", req);
        let page = self
            .server
            .pull(&self.user, None, req.cursor.as_deref(), req.limit)?;
        Ok((self.carry("PullResponse", &page), Transfer::default()))
    }
}

struct World {
    server: Store,
    clock: ManualClock,
    dir: tempfile::TempDir,
    wire: Mutex<Wire>,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(t0());
        let server =
            Store::open_server(dir.path().join("server.db"), Arc::new(clock.clone())).unwrap();
        populate(&server);
        World {
            server,
            clock,
            dir,
            wire: Mutex::new(Wire::default()),
        }
    }

    fn device(&self, name: &str) -> Store {
        Store::open_with_clock(
            self.dir.path().join(format!("{name}.db")),
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }

    fn sync(&self, device: &Store, user: &str) {
        let t = Recording {
            server: &self.server,
            user: user.into(),
            device_clock: Arc::new(self.clock.clone()),
            wire: &self.wire,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(sync_with(device, &t, &|_| {})).unwrap();
    }

    fn bodies(&self) -> Vec<(&'static str, Value)> {
        std::mem::take(&mut self.wire.lock().unwrap().bodies)
    }
}

fn visit_with_hazard(dir: &std::path::Path, device: &Store) -> VisitOutcome {
    let template = device.checklist_for_kind(PlaceKind::Household).unwrap();
    let mut answers = safe_household_answers();
    answers.push(Answer {
        item_code: "ws.gas_cylinder_hose".into(),
        value: AnswerValue::Choices(vec!["hose_aged".into()]),
    });
    device
        .record_visit(
            WORKER,
            &VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: template.id,
                template_version: template.version,
                answers,
                notes: "煤气软管老化".into(),
                fix: Some(fix_at(22.5015, 113.9015)),
                photos: vec![photo(dir, "hose.jpg", Some("ws.gas_cylinder_photo"))],
            },
        )
        .unwrap()
}

const ALL_OPERATIONS: [&str; 18] = [
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
    "track_discarded",
    "visit_recorded",
    "evidence_recorded",
    "case_reported",
    "case_acted",
    "deadline_policy_set",
    "visit_policy_set",
    "pii_revealed",
];

// ---------------------------------------------------------------------------
// Tests

#[test]
fn the_document_is_openapi_3_1_and_holds_every_root() {
    let s = schemas();
    assert!(
        s.doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        s.doc["openapi"]
    );
    let names = s.names();
    for root in [
        "PushRequest",
        "PushResponse",
        "OpAnswer",
        "PullRequest",
        "PullResponse",
        "Change",
        "Entity",
        "ActivateRequest",
        "ActivateResponse",
        "ErrorBody",
        "OutboxEntry",
        "Operation",
        "RegionRecord",
        "GridRecord",
        "User",
        "Assignment",
        "Role",
        "AssignmentKind",
        "ChecklistTemplate",
        "DeadlinePolicy",
        "VisitPolicy",
        "ImportReport",
        "ImportError",
        "ImportMode",
        "CoverageReport",
        "CaseRow",
        "CaseDetail",
        // Reached through the roots.
        "Hlc",
        "Case",
        "CaseEvent",
        "EventKind",
        "CaseAction",
        "Visit",
        "AnswerValue",
        "EvidenceRecord",
        "Household",
        "Tag",
    ] {
        assert!(names.contains(root), "{root} missing from {names:?}");
    }
    // Every schema compiles, and every reference points at a schema.
    for name in &names {
        s.validator(name);
    }
    let text = s.doc.to_string();
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let target = &piece[..piece.find('"').unwrap()];
        assert!(names.contains(target), "dangling reference to {target}");
    }
}

#[test]
fn every_operation_a_device_writes_fits_the_schema() {
    // A device that is also where the township was typed in: populating it
    // writes the register operations; then a day of work writes the rest.
    let t = township();
    let s = &t.store;
    let mut policy = DeadlinePolicy::default();
    policy
        .overrides
        .push(gridwork_core::case::deadline::DeadlineOverride {
            priority: gridwork_core::priority::Priority::WorkSafety,
            subcategory: Some("gas".into()),
            severity: gridwork_core::priority::Severity::Urgent,
            resolve: gridwork_core::case::deadline::ResolveDays { normal: 1, hard: 2 },
        });
    s.set_deadline_policy(&policy).unwrap();
    s.set_visit_policy(&VisitPolicy::default()).unwrap();

    let patrol = s
        .start_patrol(WORKER, G1, Some(&fix_at(22.5015, 113.9015)))
        .unwrap();
    let mut away = fix_at(22.5060, 113.9060);
    away.mock = true;
    s.add_track_points(WORKER, &patrol.id, &[fix_at(22.5020, 113.9020), away])
        .unwrap();
    t.clock.advance(Duration::minutes(30));
    s.end_patrol(WORKER, &patrol.id).unwrap();
    let second = s.start_patrol(WORKER, G1, None).unwrap();
    s.discard_track(WORKER, &second.id).unwrap();

    let visit = visit_with_hazard(t.dir.path(), s);
    let case = s
        .report_case(
            WORKER,
            &visit.drafts[0],
            &[photo(t.dir.path(), "before.jpg", None)],
            None,
        )
        .unwrap()
        .case;
    for (who, action) in [
        (
            SECRETARY,
            CaseAction::File {
                difficulty: Difficulty::Normal,
                note: "立案".into(),
            },
        ),
        (
            SECRETARY,
            CaseAction::Dispatch {
                handler_id: WORKER.into(),
            },
        ),
        (WORKER, CaseAction::Accept),
    ] {
        s.act_on_case(who, &case.id, &action, &[]).unwrap();
    }
    s.act_on_case(
        WORKER,
        &case.id,
        &CaseAction::Resolve {
            note: "已更换软管".into(),
            evidence_ids: vec![],
        },
        &[photo(t.dir.path(), "after.jpg", None)],
    )
    .unwrap();
    s.reveal_member_field(SECRETARY, "M001", PiiField::IdNumber, "核实身份")
        .unwrap();

    let ops = s.outbox(10_000).unwrap();
    let kinds: BTreeSet<&str> = ops.iter().map(|e| e.operation.kind()).collect();
    assert_eq!(
        kinds,
        ALL_OPERATIONS.into_iter().collect::<BTreeSet<_>>(),
        "the outbox should hold every kind of operation"
    );

    let sc = schemas();
    for entry in &ops {
        let json = sc.check("OutboxEntry", entry);
        sc.check_json("Operation", &json["operation"]);
    }
    let req = PushRequest {
        device_id: s.device_id().to_string(),
        acked_through: s.acked_through().unwrap(),
        ops,
    };
    let json = sc.check("PushRequest", &req);
    // The stamp travels as text and the schema says so.
    assert!(json["ops"][0]["hlc"].is_string());
}

#[test]
fn push_and_pull_bodies_of_a_working_day_fit_the_schemas() {
    let w = World::new();
    // A second worker on grid 1, to make a conflict.
    w.server
        .set_assignment(&Assignment {
            user_id: WORKER2.into(),
            grid_code: G1.into(),
            kind: AssignmentKind::Backup,
            from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: None,
        })
        .unwrap();
    let worker = w.device("worker");
    let secretary = w.device("secretary");
    w.sync(&worker, WORKER);
    w.sync(&secretary, SECRETARY);

    // Offline: a patrol, a visit that finds a hazard, a case with a photo.
    let patrol = worker
        .start_patrol(WORKER, G1, Some(&fix_at(22.5015, 113.9015)))
        .unwrap();
    worker
        .add_track_points(WORKER, &patrol.id, &[fix_at(22.5020, 113.9020)])
        .unwrap();
    let visit = visit_with_hazard(w.dir.path(), &worker);
    worker.end_patrol(WORKER, &patrol.id).unwrap();
    let id = worker
        .report_case(
            WORKER,
            &visit.drafts[0],
            &[photo(w.dir.path(), "before.jpg", None)],
            None,
        )
        .unwrap()
        .case
        .id;
    w.sync(&worker, WORKER);

    // The secretary files and dispatches; the worker accepts.
    w.sync(&secretary, SECRETARY);
    for a in [
        CaseAction::File {
            difficulty: Difficulty::Hard,
            note: String::new(),
        },
        CaseAction::Dispatch {
            handler_id: WORKER.into(),
        },
    ] {
        secretary.act_on_case(SECRETARY, &id, &a, &[]).unwrap();
    }
    w.sync(&secretary, SECRETARY);
    w.sync(&worker, WORKER);
    worker
        .act_on_case(WORKER, &id, &CaseAction::Accept, &[])
        .unwrap();
    w.sync(&worker, WORKER);
    w.sync(&secretary, SECRETARY);

    // Both offline: the secretary reassigns, the worker resolves; the
    // secretary syncs first, so the worker's resolve is refused with the
    // server's current case.
    w.clock.advance(Duration::minutes(10));
    secretary
        .act_on_case(
            SECRETARY,
            &id,
            &CaseAction::Reassign {
                handler_id: WORKER2.into(),
                reason: "换人处理".into(),
            },
            &[],
        )
        .unwrap();
    w.clock.advance(Duration::minutes(5));
    worker
        .act_on_case(
            WORKER,
            &id,
            &CaseAction::Resolve {
                note: "已处理".into(),
                evidence_ids: vec![],
            },
            &[photo(w.dir.path(), "done.jpg", None)],
        )
        .unwrap();
    w.sync(&secretary, SECRETARY);
    w.sync(&worker, WORKER);

    let bodies = w.bodies();
    let sc = schemas();
    for (name, json) in &bodies {
        sc.check_json(name, json);
    }

    // What the bodies held, so the checks above covered what matters.
    let of = |name: &'static str| {
        bodies
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, j)| j)
    };
    let answers: Vec<OpAnswer> = of("PushResponse")
        .flat_map(|j| {
            serde_json::from_value::<PushResponse>(j.clone())
                .unwrap()
                .answers
        })
        .collect();
    assert!(answers
        .iter()
        .any(|a| matches!(a, OpAnswer::Applied { .. })));
    let rejected = answers
        .iter()
        .find(|a| matches!(a, OpAnswer::Rejected { .. }))
        .expect("a refused operation");
    assert!(
        matches!(
            rejected,
            OpAnswer::Rejected {
                current: Some(Entity::Case { .. }),
                ..
            }
        ),
        "{rejected:?}"
    );
    let pushed_kinds: BTreeSet<String> = of("PushRequest")
        .flat_map(|j| {
            serde_json::from_value::<PushRequest>(j.clone())
                .unwrap()
                .ops
        })
        .map(|e| e.operation.kind().to_string())
        .collect();
    for k in [
        "patrol_started",
        "track_recorded",
        "patrol_ended",
        "visit_recorded",
        "evidence_recorded",
        "case_reported",
        "case_acted",
    ] {
        assert!(pushed_kinds.contains(k), "{k} not pushed: {pushed_kinds:?}");
    }
    let pulled_kinds: BTreeSet<&'static str> = of("PullResponse")
        .flat_map(|j| {
            serde_json::from_value::<PullResponse>(j.clone())
                .unwrap()
                .changes
        })
        .filter_map(|c| match c {
            Change::Upsert { entity } => Some(entity.kind()),
            Change::Remove { .. } => None,
        })
        .collect();
    for k in [
        "region",
        "grid",
        "household",
        "member",
        "user",
        "assignment",
        "template",
        "visit",
        "case",
        "evidence",
    ] {
        assert!(pulled_kinds.contains(k), "{k} not pulled: {pulled_kinds:?}");
    }
    assert!(of("PullRequest").any(|j| j["cursor"].is_null()));
    assert!(of("PullRequest").any(|j| j["cursor"].is_string()));
}

#[test]
fn the_other_bodies_fit_their_schemas() {
    let t = township();
    let s = &t.store;
    let sc = schemas();
    let visit = visit_with_hazard(t.dir.path(), s);
    let case = s
        .report_case(WORKER, &visit.drafts[0], &[], None)
        .unwrap()
        .case;
    s.act_on_case(
        SECRETARY,
        &case.id,
        &CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
        &[],
    )
    .unwrap();

    let user = s.user(WORKER).unwrap();
    sc.check("User", &user);
    sc.check(
        "ActivateRequest",
        &ActivateRequest {
            code: "483920".into(),
            device_id: s.device_id().into(),
            device_name: "红米 Note 12".into(),
        },
    );
    sc.check(
        "ActivateResponse",
        &ActivateResponse {
            token: "gw_0123456789abcdef".into(),
            user,
        },
    );
    sc.check(
        "ErrorBody",
        &ErrorBody {
            code: "device_revoked".into(),
            reason: "设备已停用 / this device was revoked".into(),
            field: None,
            wipe: true,
        },
    );
    sc.check(
        "ErrorBody",
        &ErrorBody {
            code: "invalid".into(),
            reason: "激活码不正确 / the activation code is not valid".into(),
            field: Some("code".into()),
            wipe: false,
        },
    );
    // `wipe` may be left out (serde default).
    sc.check_json("ErrorBody", &json!({"code": "x", "reason": "y"}));
    sc.check(
        "Assignment",
        &Assignment {
            user_id: WORKER.into(),
            grid_code: G1.into(),
            kind: AssignmentKind::Backup,
            from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
        },
    );
    sc.check("DeadlinePolicy", &DeadlinePolicy::default());
    sc.check("VisitPolicy", &VisitPolicy::default());
    for kind in PlaceKind::ALL {
        sc.check("ChecklistTemplate", &s.checklist_for_kind(kind).unwrap());
    }
    let detail = s.case_detail(SECRETARY, &case.id).unwrap();
    assert!(!detail.timeline.is_empty() && !detail.allowed_actions.is_empty());
    sc.check("CaseDetail", &detail);
    let rows = s
        .cases(SECRETARY, CaseScope::Jurisdiction, false, 0, 50)
        .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        sc.check("CaseRow", row);
    }
    let coverage = s.coverage_report(ADMIN).unwrap();
    sc.check("CoverageReport", &coverage);
    let csv = "户编码,网格编码,类型,名称,地址,纬度,经度,标签\n\
               H900,440300-T01-V01-G1,住户,新户,石岩村9号,22.5016,113.9016,独居老人\n\
               H901,NO-SUCH-GRID,住户,坏行,石岩村10号,22.5,113.9,\n";
    let report = s
        .import_households(
            ADMIN,
            csv.as_bytes(),
            TableFormat::Csv,
            ImportMode::BestEffort,
        )
        .unwrap();
    assert_eq!((report.imported, report.errors.len()), (1, 1), "{report:?}");
    sc.check("ImportReport", &report);
    sc.check("ImportMode", &ImportMode::AllOrNothing);

    // A pull page with a removal and an eviction, and the rarer answers.
    let removal = PullResponse {
        changes: vec![Change::Remove {
            kind: "member".into(),
            id: "M001".into(),
        }],
        evict: vec![G2.into()],
        cursor: "42".into(),
        more: true,
        remaining: 7,
    };
    sc.check("PullResponse", &removal);
    sc.check(
        "PushResponse",
        &PushResponse {
            answers: vec![
                OpAnswer::Duplicate {
                    op_id: "0192-a".into(),
                },
                OpAnswer::Retry {
                    op_id: "0192-b".into(),
                    reason: "waiting for seq 3".into(),
                },
                OpAnswer::Rejected {
                    op_id: "0192-c".into(),
                    code: "not_found".into(),
                    reason: "no such case".into(),
                    current: None,
                },
                OpAnswer::Rejected {
                    op_id: "0192-d".into(),
                    code: "wrong_state".into(),
                    reason: "already filed".into(),
                    current: Some(Entity::DeadlinePolicy {
                        policy: DeadlinePolicy::default(),
                    }),
                },
                OpAnswer::Rejected {
                    op_id: "0192-e".into(),
                    code: "wrong_state".into(),
                    reason: "…".into(),
                    current: Some(Entity::VisitPolicy {
                        policy: VisitPolicy::default(),
                    }),
                },
            ],
        },
    );
}

#[test]
fn every_case_action_and_event_kind_fits() {
    let sc = schemas();
    let ids = vec!["e1".to_string()];
    let actions = [
        CaseAction::File {
            difficulty: Difficulty::OnSpot,
            note: "n".into(),
        },
        CaseAction::Dismiss { reason: "r".into() },
        CaseAction::Dispatch {
            handler_id: "u".into(),
        },
        CaseAction::Accept,
        CaseAction::Resolve {
            note: "n".into(),
            evidence_ids: ids.clone(),
        },
        CaseAction::ResolveOnSpot {
            note: "n".into(),
            evidence_ids: vec![],
        },
        CaseAction::Confirm { note: "n".into() },
        CaseAction::SendBack { reason: "r".into() },
        CaseAction::Close { note: "n".into() },
        CaseAction::Reassign {
            handler_id: "u".into(),
            reason: "r".into(),
        },
        CaseAction::RequestExtension {
            days: 3,
            reason: "r".into(),
        },
        CaseAction::ApproveExtension { days: 3 },
        CaseAction::RejectExtension { reason: "r".into() },
        CaseAction::Escalate { reason: "r".into() },
        CaseAction::Urge {
            message: "m".into(),
        },
        CaseAction::TakeOver { reason: "r".into() },
    ];
    assert_eq!(
        actions
            .iter()
            .map(|a| a.kind())
            .collect::<BTreeSet<_>>()
            .len(),
        gridwork_core::case::ActionKind::ALL.len()
    );
    for a in &actions {
        sc.check("CaseAction", a);
    }
    let at = t0();
    let kinds = [
        EventKind::Filed {
            difficulty: Difficulty::Hard,
            deadline: at,
            note: "n".into(),
        },
        EventKind::Dismissed { reason: "r".into() },
        EventKind::Dispatched {
            handler_id: "u".into(),
        },
        EventKind::Accepted,
        EventKind::Resolved {
            note: "n".into(),
            evidence_ids: ids,
            on_spot: true,
            deadline: None,
        },
        EventKind::Confirmed { note: "n".into() },
        EventKind::SentBack { reason: "r".into() },
        EventKind::Closed { note: "n".into() },
        EventKind::Reassigned {
            from: None,
            to: "u".into(),
            reason: "r".into(),
        },
        EventKind::ExtensionRequested {
            days: 2,
            reason: "r".into(),
        },
        EventKind::ExtensionApproved {
            days: 2,
            deadline: at,
        },
        EventKind::ExtensionRejected { reason: "r".into() },
        EventKind::Escalated {
            level: 2,
            reason: EscalationReason::ResolutionOverdue,
            note: "n".into(),
        },
        EventKind::Urged {
            message: "m".into(),
        },
        EventKind::TakenOver { reason: "r".into() },
    ];
    for k in &kinds {
        sc.check("EventKind", k);
    }
    // Every answer value shape (adjacently tagged).
    for v in [
        AnswerValue::YesNo(true),
        AnswerValue::Choice("a".into()),
        AnswerValue::Choices(vec!["a".into(), "b".into()]),
        AnswerValue::Number(2.5),
        AnswerValue::Text("t".into()),
    ] {
        sc.check("AnswerValue", &v);
    }
}

#[test]
fn the_schemas_refuse_what_serde_refuses() {
    let sc = schemas();
    let t = township();
    let visit = visit_with_hazard(t.dir.path(), &t.store);
    let entry = t
        .store
        .outbox(10_000)
        .unwrap()
        .into_iter()
        .find(|e| e.operation.kind() == "visit_recorded")
        .unwrap();
    let good = sc.check("OutboxEntry", &entry);
    assert_eq!(good["operation"]["visit"]["id"], visit.visit.id.as_str());
    // serde ignores a property it does not know, and so does the published
    // schema; the closed copy used by `check` notices it.
    let mut extra = good.clone();
    extra["operation"]["visit"]["mood"] = json!("sunny");
    assert!(serde_json::from_value::<gridwork_core::outbox::OutboxEntry>(extra.clone()).is_ok());
    assert!(sc.validator("OutboxEntry").is_valid(&extra));
    assert!(!sc.validator_of("OutboxEntry", true).is_valid(&extra));

    // Each of these is refused by serde as well (checked first).
    let refused_by_serde = |v: &Value| {
        serde_json::from_value::<gridwork_core::outbox::OutboxEntry>(v.clone()).is_err()
    };
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut bad = good.clone();
    bad["hlc"] = json!({"wall_ms": 1, "counter": 0, "node": "n"});
    cases.push((bad, "an HLC as an object"));
    let mut bad = good.clone();
    bad["hlc"] = json!("yesterday");
    cases.push((bad, "an HLC that is not a stamp"));
    let mut bad = good.clone();
    bad["operation"]["op"] = json!("visit_deleted");
    cases.push((bad, "an unknown operation"));
    let mut bad = good.clone();
    bad["operation"].as_object_mut().unwrap().remove("op");
    cases.push((bad, "an operation without its tag"));
    let mut bad = good.clone();
    bad["operation"]["visit"]
        .as_object_mut()
        .unwrap()
        .remove("worker_id");
    cases.push((bad, "a visit without its worker"));
    let mut bad = good.clone();
    bad["created_at"] = json!("11 May 2026");
    cases.push((bad, "a time that is not RFC 3339"));
    let mut bad = good.clone();
    bad["operation"]["visit"]["answers"][0]["value"] = json!({"type": "yes_no", "value": "yes"});
    cases.push((bad, "a yes/no answer that is text"));
    for (bad, why) in &cases {
        assert!(refused_by_serde(bad), "serde accepts {why}");
        sc.refuses("OutboxEntry", bad, why);
    }

    let policy = serde_json::to_value(VisitPolicy::default()).unwrap();
    for (bad, why) in [
        (
            json!([["elderly_alone"]]),
            "a per-tag pair without its days",
        ),
        (json!([["elderly_alone", 7, 1]]), "a per-tag triple"),
        (json!([["lonely", 7]]), "an unknown tag"),
        (json!([[7, "elderly_alone"]]), "a pair the wrong way round"),
        (json!([["elderly_alone", -1]]), "negative days"),
    ] {
        let mut p = policy.clone();
        p["per_tag"] = bad;
        assert!(
            serde_json::from_value::<VisitPolicy>(p.clone()).is_err(),
            "serde accepts {why}"
        );
        sc.refuses("VisitPolicy", &p, why);
    }
    let mut p = policy.clone();
    p["per_tag"] = json!([]);
    sc.check_json("VisitPolicy", &p);
    assert_eq!(
        policy["per_tag"][0],
        json!([serde_json::to_value(Tag::ElderlyAlone).unwrap(), 7])
    );

    let escalated = json!({"type": "escalated", "level": 256, "reason": "manual", "note": ""});
    assert!(serde_json::from_value::<EventKind>(escalated.clone()).is_err());
    sc.refuses("EventKind", &escalated, "an escalation level beyond u8");
    let mut ok = escalated.clone();
    ok["level"] = json!(255);
    sc.check_json("EventKind", &ok);

    let assignment = json!({"user_id": "u", "grid_code": "g", "kind": "primary",
                            "from": "2026-01-01T00:00:00Z", "to": null});
    assert!(serde_json::from_value::<Assignment>(assignment.clone()).is_err());
    sc.refuses("Assignment", &assignment, "a date-time where a date goes");
}

#[test]
fn an_hlc_stamp_of_this_build_matches_the_pattern() {
    let sc = schemas();
    let mut clock = gridwork_core::hlc::HlcClock::new("0192d6a1-7c3e-7000-8000-000000000001");
    for now in [0, 1, 1_764_000_000_123, 9_999_999_999_999_999] {
        let stamp = clock.tick(now);
        sc.check("Hlc", &stamp);
    }
    // The node is free text (it may hold '-').
    let odd: gridwork_core::hlc::Hlc = "0001764000000123-00007-a-b\nc".parse().unwrap();
    sc.check("Hlc", &odd);
    for bad in [
        "1764000000123-7-n",
        "0001764000000123-7-n",
        "0001764000000123-00007",
    ] {
        sc.refuses("Hlc", &json!(bad), "a stamp this build does not write");
    }
}
