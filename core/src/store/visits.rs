//! Recording visits (answers, photos and the location verdict in one
//! transaction) and reading them back against the template version they
//! pinned.

use std::collections::HashMap;

use geo::Point;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use super::checklists::load_template;
use super::evidence::evidence_for;
use super::households::{load_household, require_grid_reach};
use super::regions::load_grid;
use super::users::actor;
use super::{from_json, new_id, Store, Writer};
use crate::case::{CaseDraft, CaseSource};
use crate::checklist::{Answer, AnswerValue, ChecklistTemplate, HazardFinding, ItemKind};
use crate::clock::{from_ms, to_ms};
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::evidence::{EvidenceOwner, EvidenceRecord, PhotoInput};
use crate::geofence::{judge, GeofencePolicy, GeofenceVerdict};
use crate::household::Household;
use crate::limits::{check_count, check_text, counts, text, TextKind};
use crate::location::LocationFix;
use crate::outbox::Operation;
use crate::priority::{Category, Priority};
use crate::user::Role;
use crate::visit::Visit;

/// What the visit screen submits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitInput {
    pub household_code: String,
    pub patrol_id: Option<String>,
    /// The template version the screen showed (from `checklist_for`).
    pub template_id: String,
    pub template_version: u32,
    pub answers: Vec<Answer>,
    pub notes: String,
    pub fix: Option<LocationFix>,
    pub photos: Vec<PhotoInput>,
}

/// What recording a visit produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitOutcome {
    pub visit: Visit,
    pub evidence: Vec<EvidenceRecord>,
    pub findings: Vec<HazardFinding>,
    /// One pre-filled case draft per hazard found: nothing typed twice.
    pub drafts: Vec<CaseDraft>,
}

/// One answer as read back, labelled from the pinned template version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitAnswerView {
    pub priority: Priority,
    pub item_code: String,
    pub label_zh: String,
    pub label_en: String,
    pub answer_text: String,
    pub hazard: bool,
}

/// The visit screen, read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitDetail {
    pub visit: Visit,
    pub household_name: String,
    pub template_title_zh: String,
    pub answers: Vec<VisitAnswerView>,
    pub evidence: Vec<EvidenceRecord>,
}

/// A pre-filled case for one finding. Photos go with it when they answer the
/// hazard's own item or a photo item of the same priority (the template's
/// photo items document their section's hazards).
fn draft_from(
    f: &HazardFinding,
    visit: &Visit,
    photos: &[EvidenceRecord],
    template: &ChecklistTemplate,
) -> CaseDraft {
    let mut description = format!("{}：{}", f.item_label_zh, f.answer_text);
    if !visit.notes.trim().is_empty() {
        description.push('。');
        description.push_str(visit.notes.trim());
    }
    CaseDraft {
        category: Category {
            priority: f.priority,
            subcategory: f.subcategory.clone(),
        },
        severity: f.severity,
        title: f.summary_zh.clone(),
        description,
        household_code: Some(visit.household_code.clone()),
        grid_code: visit.grid_code.clone(),
        source: Some(CaseSource {
            visit_id: visit.id.clone(),
            item_code: f.item_code.clone(),
        }),
        evidence_ids: photos
            .iter()
            .filter(|e| match e.item_code.as_deref() {
                Some(code) if code == f.item_code => true,
                Some(code) => template.item(code).is_some_and(|(priority, item)| {
                    priority == f.priority && matches!(item.kind, ItemKind::Photo { .. })
                }),
                None => false,
            })
            .map(|e| e.id.clone())
            .collect(),
    }
}

impl Writer<'_> {
    /// Store a checked visit: its row, its answers (hazards flagged), the
    /// household's last visit and next due time, and its operation.
    pub(crate) fn insert_visit(
        &mut self,
        visit: &Visit,
        template: &ChecklistTemplate,
        h: &Household,
    ) -> Result<()> {
        // Visits are append-only: checked whole before they become permanent.
        check_text("notes", &visit.notes, text::NOTE, TextKind::Block)?;
        check_count("answers", visit.answers.len(), counts::ANSWERS)?;
        for a in &visit.answers {
            let field = format!("answers.{}", a.item_code);
            check_text(&field, &a.item_code, text::CODE, TextKind::Line)?;
            match &a.value {
                AnswerValue::Text(t) => check_text(&field, t, text::ANSWER, TextKind::Block)?,
                AnswerValue::Choice(c) => check_text(&field, c, text::CODE, TextKind::Line)?,
                AnswerValue::Choices(cs) => {
                    check_count(&field, cs.len(), counts::ANSWERS)?;
                    for c in cs {
                        check_text(&field, c, text::CODE, TextKind::Line)?;
                    }
                }
                AnswerValue::Number(n) if !n.is_finite() => {
                    return Err(CoreError::invalid(
                        field,
                        "不是有限数 / not a finite number",
                    ))
                }
                AnswerValue::Number(_) | AnswerValue::YesNo(_) => {}
            }
        }
        let findings = template.check_answers_without_photos(&visit.answers)?;
        let mut hazard_items: Vec<&str> = findings.iter().map(|f| f.item_code.as_str()).collect();
        hazard_items.dedup();
        self.sql().execute("INSERT INTO visit (id, household_code, grid_code, worker_id, patrol_id, template_id, template_version,
                                notes, at, fix, verdict_status, verdict, answers, hazard_items, hazard_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            &[
                &visit.id,
                &visit.household_code,
                &visit.grid_code,
                &visit.worker_id,
                &visit.patrol_id,
                &visit.template_id,
                &visit.template_version,
                &visit.notes,
                &to_ms(visit.at),
                &visit.fix.as_ref().map(serde_json::to_string).transpose()?,
                &visit.verdict.as_ref().map(|v| v.status.as_str()),
                &visit.verdict.as_ref().map(serde_json::to_string).transpose()?,
                &pack_answers(&visit.answers)?,
                &hazard_items.join(","),
                &(hazard_items.len() as i64),
            ],
        )?;
        let policy = self.visit_policy()?;
        let days = policy.interval_days(h.kind, &h.tags);
        self.sql().execute(
            "UPDATE household SET last_visit_at = ?2, interval_days = ?3, due_at = ?2 + ?3 * 86400000
             WHERE code = ?1 AND (last_visit_at IS NULL OR last_visit_at <= ?2)",
            &[&h.code, &to_ms(visit.at), &days],
        )?;
        self.emit(&Operation::VisitRecorded {
            visit: visit.clone(),
        })?;
        // The household's due state changed for everyone in the grid.
        let scope = super::changes::Scope::of_path(&self.path(&h.grid_code)?);
        self.record_change("household", &h.code, false, scope)
    }
}

impl Store {
    /// Record a visit with its answers, photos and location fix, in one
    /// transaction. The location verdict is recorded, never enforced.
    pub fn record_visit(&self, user_id: &str, input: &VisitInput) -> Result<VisitOutcome> {
        self.write(|w| {
            let a = actor(w.sql(), user_id, w.now)?;
            if a.role != Role::GridWorker {
                return Err(CoreError::not_permitted(
                    "只有网格员记录走访 / only grid workers record visits",
                ));
            }
            let h = load_household(w.sql(), &input.household_code)?
                .ok_or_else(|| CoreError::not_found("household", &input.household_code))?;
            require_grid_reach(w.sql(), &a, &h.grid_code)
                .map_err(|_| CoreError::not_found("household", &input.household_code))?;
            let template = load_template(w.sql(), &input.template_id, input.template_version)?
                .ok_or_else(|| {
                    CoreError::invalid(
                        "template_version",
                        format!(
                            "模板{} v{}不存在 / unknown template version",
                            input.template_id, input.template_version
                        ),
                    )
                })?;
            if !template.applies_to.contains(&h.kind) {
                return Err(CoreError::invalid(
                    "template_id",
                    format!(
                        "模板{}不适用于{} / template does not apply to this kind of place",
                        template.id,
                        h.kind.label_zh()
                    ),
                ));
            }
            if let Some(pid) = &input.patrol_id {
                let ok: Option<(String, String, Option<i64>)> = w.sql().query_row(
                    "SELECT worker_id, grid_code, ended_at FROM patrol WHERE id = ?1",
                    &[pid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                match ok {
                    Some((worker, grid, _)) if worker == user_id && grid == h.grid_code => {}
                    _ => {
                        return Err(CoreError::invalid(
                            "patrol_id",
                            "巡查不存在或不属于该网格 / no such patrol of yours in this grid",
                        ))
                    }
                }
            }
            if let Some(f) = &input.fix {
                f.validate("fix")?;
            }
            let mut photo_counts: HashMap<String, u32> = HashMap::new();
            for (i, p) in input.photos.iter().enumerate() {
                if let Some(code) = &p.item_code {
                    if template.item(code).is_none() {
                        return Err(CoreError::invalid(
                            format!("photos[{i}].item_code"),
                            format!("模板中没有题目{code} / no item {code} in the template"),
                        ));
                    }
                    *photo_counts.entry(code.clone()).or_default() += 1;
                }
            }
            check_text("notes", &input.notes, text::NOTE, TextKind::Block)?;
            let findings = template.check_answers(&input.answers, &photo_counts)?;
            let grid = load_grid(w.sql(), &h.grid_code)?
                .ok_or_else(|| CoreError::not_found("grid", &h.grid_code))?;
            let verdict: Option<GeofenceVerdict> = input.fix.as_ref().map(|f| {
                judge(
                    f,
                    &grid.boundary,
                    Some(Point::new(h.lon, h.lat)),
                    &GeofencePolicy::default(),
                )
            });
            let visit = Visit {
                id: new_id(),
                household_code: h.code.clone(),
                grid_code: h.grid_code.clone(),
                worker_id: user_id.to_string(),
                patrol_id: input.patrol_id.clone(),
                template_id: template.id.clone(),
                template_version: template.version,
                answers: input.answers.clone(),
                notes: input.notes.clone(),
                at: w.now,
                fix: input.fix.clone(),
                verdict: verdict.clone(),
            };
            w.insert_visit(&visit, &template, &h)?;
            // The visit is recorded: its draft goes in the same transaction.
            w.delete_visit_draft(user_id, &h.code)?;
            // After the visit, so the server meets the visit before its photos.
            let mut evidence = Vec::with_capacity(input.photos.len());
            for (i, p) in input.photos.iter().enumerate() {
                let owner = EvidenceOwner::Visit {
                    visit_id: visit.id.clone(),
                };
                evidence.push(w.record_photo(owner, p, &format!("photos[{i}]"))?);
            }
            let drafts = findings
                .iter()
                .map(|f| draft_from(f, &visit, &evidence, &template))
                .collect();
            Ok(VisitOutcome {
                visit,
                evidence,
                findings,
                drafts,
            })
        })
    }

    /// A visit read back with the labels of the template version it used.
    pub fn visit_detail(&self, user_id: &str, visit_id: &str) -> Result<VisitDetail> {
        let now = self.now();
        self.read(|c| {
            let a = actor(c, user_id, now)?;
            let visit =
                load_visit(c, visit_id)?.ok_or_else(|| CoreError::not_found("visit", visit_id))?;
            require_grid_reach(c, &a, &visit.grid_code)
                .map_err(|_| CoreError::not_found("visit", visit_id))?;
            let template = load_template(c, &visit.template_id, visit.template_version)?
                .ok_or_else(|| {
                    CoreError::corrupt(
                        "visit",
                        format!(
                            "pinned template {} v{} missing",
                            visit.template_id, visit.template_version
                        ),
                    )
                })?;
            let hazard_items: String = c
                .prepare_cached("SELECT hazard_items FROM visit WHERE id = ?1")?
                .query_row([visit_id], |r| r.get(0))?;
            let hazards: Vec<String> = hazard_items
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            // In the order the template shows them, not the order stored.
            let position = |code: &str| {
                template
                    .items()
                    .position(|(_, i)| i.code == code)
                    .unwrap_or(usize::MAX)
            };
            let mut ordered: Vec<&Answer> = visit.answers.iter().collect();
            ordered.sort_by_key(|a| position(&a.item_code));
            let answers = ordered
                .into_iter()
                .map(|ans| {
                    let (priority, item) = template.item(&ans.item_code).ok_or_else(|| {
                        CoreError::corrupt(
                            "visit.answers",
                            format!("item {} not in pinned template", ans.item_code),
                        )
                    })?;
                    Ok(VisitAnswerView {
                        priority,
                        item_code: item.code.clone(),
                        label_zh: item.label_zh.clone(),
                        label_en: item.label_en.clone(),
                        answer_text: crate::checklist::answer_text(item, &ans.value),
                        hazard: hazards.contains(&ans.item_code),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let household_name: String = c
                .prepare_cached("SELECT name FROM household WHERE code = ?1")?
                .query_row([&visit.household_code], |r| r.get(0))
                .optional()?
                .unwrap_or_default();
            Ok(VisitDetail {
                evidence: evidence_for(c, "visit", visit_id)?,
                household_name,
                template_title_zh: template.title_zh.clone(),
                answers,
                visit,
            })
        })
    }
}

pub(crate) fn load_visit<'a>(sql: impl Into<Sql<'a>>, id: &str) -> Result<Option<Visit>> {
    let row = sql.into().query_row(
        "SELECT id, household_code, grid_code, worker_id, patrol_id, template_id, template_version,
                notes, at, fix, verdict, answers
         FROM visit WHERE id = ?1",
        &[&id],
        |r| {
            Ok((
                (
                    r.get::<String>(0)?,
                    r.get::<String>(1)?,
                    r.get::<String>(2)?,
                    r.get::<String>(3)?,
                ),
                (
                    r.get::<Option<String>>(4)?,
                    r.get::<String>(5)?,
                    r.get::<u32>(6)?,
                    r.get::<String>(7)?,
                ),
                (
                    r.get::<i64>(8)?,
                    r.get::<Option<String>>(9)?,
                    r.get::<Option<String>>(10)?,
                ),
                r.get::<Vec<u8>>(11)?,
            ))
        },
    )?;
    let Some((
        (id, household_code, grid_code, worker_id),
        (patrol_id, template_id, template_version, notes),
        (at, fix, verdict),
        answers,
    )) = row
    else {
        return Ok(None);
    };
    let answers = unpack_answers(&answers)?;
    Ok(Some(Visit {
        id,
        household_code,
        grid_code,
        worker_id,
        patrol_id,
        template_id,
        template_version,
        answers,
        notes,
        at: from_ms(at),
        fix: fix.map(|f| from_json("visit.fix", &f)).transpose()?,
        verdict: verdict
            .map(|v| from_json("visit.verdict", &v))
            .transpose()?,
    }))
}

/// Answers as stored: JSON, deflated.
pub(crate) fn pack_answers(answers: &[Answer]) -> Result<Vec<u8>> {
    use std::io::Write;
    let json = serde_json::to_vec(answers)?;
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(json.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(&json)
        .map_err(|e| CoreError::corrupt("visit.answers", e))?;
    enc.finish()
        .map_err(|e| CoreError::corrupt("visit.answers", e))
}

pub(crate) fn unpack_answers(bytes: &[u8]) -> Result<Vec<Answer>> {
    use std::io::Read;
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut json = Vec::with_capacity(bytes.len() * 6);
    flate2::read::DeflateDecoder::new(bytes)
        .read_to_end(&mut json)
        .map_err(|e| CoreError::corrupt("visit.answers", e))?;
    serde_json::from_slice(&json).map_err(|e| CoreError::corrupt("visit.answers", e))
}
