//! Cases in the store: reporting, acting, listing. The rules live in
//! `crate::case`; this file loads what they need and saves what they decide
//! (the event and the materialised case) in one transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::case_board::CaseFilter;
use super::households::load_household;
use super::regions::region_path;
use super::users::actor;
use super::{from_json, new_id, Store, Writer};
use crate::case::action::{append, decide, decide_report, DecideContext};
use crate::case::{Case, CaseAction, CaseDraft, CaseEvent, CaseState, DeadlinePolicy, EventKind};
use crate::clock::to_ms;
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::evidence::{CasePhotoPhase, EvidenceOwner, PhotoInput};
use crate::limits::{check_count, check_text, counts, text, TextKind};
use crate::outbox::Operation;
use crate::priority::{Priority, Severity};
use crate::user::Actor;

/// Which cases a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseScope {
    /// I handle it or I reported it.
    Mine,
    /// Every case in my jurisdiction (a secretary's village, a supervisor's
    /// township or city; a worker's grids).
    #[default]
    Jurisdiction,
    /// Escalated to my level: township supervisors see level ≥ 1, city
    /// supervisors level 2.
    EscalatedToMe,
}

impl CaseScope {
    /// Where a person's case list starts: a grid worker's own cases, a
    /// secretary's village, a supervisor's escalations, an administrator's
    /// whole reach.
    pub fn home(role: crate::user::Role) -> CaseScope {
        use crate::user::Role;
        match role {
            Role::GridWorker => CaseScope::Mine,
            Role::VillageSecretary | Role::Administrator => CaseScope::Jurisdiction,
            Role::TownshipSupervisor | Role::CitySupervisor => CaseScope::EscalatedToMe,
        }
    }
}

/// One line of a case list, with its countdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseRow {
    pub id: String,
    pub title: String,
    pub priority: Priority,
    pub subcategory: String,
    pub severity: Severity,
    pub state: CaseState,
    pub grid_code: String,
    pub household_code: Option<String>,
    pub handler_id: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// Seconds left (negative: overdue); `None` once the clock stopped.
    pub countdown_secs: Option<i64>,
    /// The countdown as the list shows it.
    pub countdown_label: String,
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub escalation_level: u8,
}

/// What reporting produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportOutcome {
    pub case: Case,
    pub events: Vec<CaseEvent>,
}

pub(crate) fn deadline_policy<'a>(sql: impl Into<Sql<'a>>) -> Result<DeadlinePolicy> {
    let text: Option<String> = sql.into().query_row(
        "SELECT value FROM meta WHERE key = 'deadline_policy'",
        &[],
        |r| r.get(0),
    )?;
    match text {
        Some(t) => from_json("meta.deadline_policy", &t),
        None => Ok(DeadlinePolicy::default()),
    }
}

pub(crate) fn load_case<'a>(sql: impl Into<Sql<'a>>, id: &str) -> Result<Option<Case>> {
    let data: Option<String> =
        sql.into()
            .query_row("SELECT data FROM case_file WHERE id = ?1", &[&id], |r| {
                r.get(0)
            })?;
    data.map(|d| from_json("case_file.data", &d)).transpose()
}

pub(crate) fn load_events<'a>(sql: impl Into<Sql<'a>>, case_id: &str) -> Result<Vec<CaseEvent>> {
    sql.into()
        .query_map(
            "SELECT body FROM case_event WHERE case_id = ?1 ORDER BY seq",
            &[&case_id],
            |r| r.get::<String>(0),
        )?
        .iter()
        .map(|b| from_json("case_event.body", b))
        .collect()
}

pub(crate) fn last_event<'a>(sql: impl Into<Sql<'a>>, case_id: &str) -> Result<Option<CaseEvent>> {
    let body: Option<String> = sql.into().query_row(
        "SELECT body FROM case_event WHERE case_id = ?1 ORDER BY seq DESC LIMIT 1",
        &[&case_id],
        |r| r.get(0),
    )?;
    body.map(|b| from_json("case_event.body", &b)).transpose()
}

/// A case the actor may see, or not found (so nothing leaks).
pub(crate) fn visible_case<'a>(sql: impl Into<Sql<'a>>, actor: &Actor, id: &str) -> Result<Case> {
    let case = load_case(sql, id)?.ok_or_else(|| CoreError::not_found("case", id))?;
    let own = case.reporter_id == actor.user_id
        || case.handler_id.as_deref() == Some(actor.user_id.as_str());
    if own || actor.reaches(&case.path) {
        Ok(case)
    } else {
        Err(CoreError::not_found("case", id))
    }
}

impl Writer<'_> {
    pub(crate) fn set_deadline_policy(&mut self, policy: &DeadlinePolicy) -> Result<()> {
        self.sql().execute(
            "INSERT INTO meta (key, value) VALUES ('deadline_policy', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            &[&serde_json::to_string(policy)?],
        )?;
        self.recompute_next_escalations()?;
        self.emit(&Operation::DeadlinePolicySet {
            policy: policy.clone(),
        })
    }

    /// Save the new state and its event, with the operation that caused it
    /// (a device pushes it; the server logs a change either way).
    pub(crate) fn save_case(
        &mut self,
        case: &Case,
        event: &CaseEvent,
        op: Option<Operation>,
    ) -> Result<()> {
        let policy = self.deadline_policy()?;
        let next_escalation = crate::escalation::next_check(case, &policy).map(to_ms);
        self.sql().execute(
            "INSERT INTO case_event (id, case_id, seq, at, actor_id, kind, body, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                &event.id,
                &event.case_id,
                &event.seq,
                &to_ms(event.at),
                &event.actor_id,
                &event.kind.name(),
                &serde_json::to_string(event)?,
                &event.hash,
            ],
        )?;
        self.sql().execute("INSERT INTO case_file (id, priority, subcategory, severity, state, title, household_code, grid_code,
                                    village_code, township_code, city_code, reporter_id, handler_id, reported_at,
                                    deadline_at, escalation_level, updated_at, data, next_escalation_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
             ON CONFLICT(id) DO UPDATE SET priority = excluded.priority, subcategory = excluded.subcategory,
               severity = excluded.severity, state = excluded.state, title = excluded.title,
               handler_id = excluded.handler_id, deadline_at = excluded.deadline_at,
               escalation_level = excluded.escalation_level, updated_at = excluded.updated_at, data = excluded.data,
               next_escalation_at = excluded.next_escalation_at",
            &[
                &case.id,
                &case.category.priority.as_str(),
                &case.category.subcategory,
                &case.severity.as_str(),
                &case.state.as_str(),
                &case.title,
                &case.household_code,
                &case.path.grid,
                &case.path.village,
                &case.path.township,
                &case.path.city,
                &case.reporter_id,
                &case.handler_id,
                &to_ms(case.reported_at),
                &to_ms(case.deadline),
                &case.escalation_level,
                &to_ms(self.now),
                &serde_json::to_string(case)?,
                &next_escalation,
            ],
        )?;
        match op {
            Some(op) => self.emit(&op)?,
            None => self.record_change(
                "case",
                &case.id,
                false,
                super::changes::Scope::of_path(&case.path),
            )?,
        }
        if self.role == super::StoreRole::Server {
            self.record_escalation_row(event)?;
            self.notify(case, event)?;
        }
        Ok(())
    }

    fn record_case_photos(
        &mut self,
        case_id: &str,
        phase: CasePhotoPhase,
        photos: &[PhotoInput],
        field: &str,
        emit: bool,
    ) -> Result<Vec<crate::evidence::EvidenceRecord>> {
        let mut out = Vec::with_capacity(photos.len());
        for (i, p) in photos.iter().enumerate() {
            let owner = EvidenceOwner::Case {
                case_id: case_id.to_string(),
                phase,
            };
            out.push(self.record_photo_with(owner, p, &format!("{field}[{i}]"), emit)?);
        }
        Ok(out)
    }

    /// Every referenced evidence id must exist and belong to this case or
    /// to the visit it came from.
    fn check_evidence_refs(
        &self,
        case_id: &str,
        source_visit: Option<&str>,
        ids: &[String],
        field: &str,
    ) -> Result<()> {
        for (i, id) in ids.iter().enumerate() {
            let owner: Option<(String, String)> = self.sql().query_row(
                "SELECT owner_kind, owner_id FROM evidence WHERE id = ?1",
                &[id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let ok = match owner {
                Some((kind, owner_id)) => {
                    (kind == "case" && owner_id == case_id)
                        || (kind == "visit" && Some(owner_id.as_str()) == source_visit)
                }
                // The server receives a report's photos after the report.
                None => self.role == super::StoreRole::Server,
            };
            if !ok {
                return Err(CoreError::invalid(
                    format!("{field}[{i}]"),
                    format!("照片{id}不存在或不属于该事件 / evidence {id} does not exist or belongs elsewhere"),
                ));
            }
        }
        Ok(())
    }

    /// Decide a report and save it. On the server `at` and `event_id` come
    /// from the device (corrected for its clock); on a device they are now
    /// and a new id.
    pub(crate) fn report(
        &mut self,
        actor: &Actor,
        case_id: &str,
        draft: &CaseDraft,
        at: DateTime<Utc>,
        event_id: String,
    ) -> Result<(Case, CaseEvent)> {
        check_text("title", &draft.title, text::TITLE, TextKind::Line)?;
        check_text(
            "description",
            &draft.description,
            text::NOTE,
            TextKind::Block,
        )?;
        check_count("evidence_ids", draft.evidence_ids.len(), counts::PHOTOS)?;
        let path = region_path(self.sql(), &draft.grid_code).map_err(|_| {
            CoreError::invalid(
                "grid_code",
                format!(
                    "网格{}不存在 / no grid {}",
                    draft.grid_code, draft.grid_code
                ),
            )
        })?;
        if let Some(code) = &draft.household_code {
            match load_household(self.sql(), code)? {
                Some(h) if h.grid_code == draft.grid_code => {}
                _ => {
                    return Err(CoreError::invalid(
                        "household_code",
                        format!(
                            "户{code}不在网格{}中 / household is not in this grid",
                            draft.grid_code
                        ),
                    ))
                }
            }
        }
        let source_visit = draft.source.as_ref().map(|s| s.visit_id.clone());
        self.check_evidence_refs(
            case_id,
            source_visit.as_deref(),
            &draft.evidence_ids,
            "evidence_ids",
        )?;
        let policy = deadline_policy(self.sql())?;
        let kind = decide_report(draft, &path, actor, at, &policy)?;
        let (case, event) = append(None, None, case_id, event_id, kind, Some(actor), at)?;
        let op = Operation::CaseReported {
            case_id: case_id.to_string(),
            draft: draft.clone(),
            at,
            event: event.clone(),
        };
        self.save_case(&case, &event, Some(op))?;
        Ok((case, event))
    }

    /// Decide and save one action by `actor` at `at`.
    pub(crate) fn act(
        &mut self,
        actor: &Actor,
        case: &Case,
        action: &CaseAction,
        at: DateTime<Utc>,
        event_id: String,
    ) -> Result<(Case, CaseEvent)> {
        let (texts, photos) = action.texts();
        for (field, value) in texts {
            let (max, kind) = if field == "handler_id" {
                (text::CODE, TextKind::Line)
            } else {
                (text::NOTE, TextKind::Block)
            };
            check_text(field, value, max, kind)?;
        }
        check_count("evidence_ids", photos.len(), counts::PHOTOS)?;
        let policy = deadline_policy(self.sql())?;
        let new_handler = match action {
            CaseAction::Dispatch { handler_id } | CaseAction::Reassign { handler_id, .. } => {
                match super::users::load_user(self.sql(), handler_id)? {
                    Some(_) => Some(super::users::actor(self.sql(), handler_id, at)?),
                    None => None,
                }
            }
            _ => None,
        };
        let ctx = DecideContext {
            now: at,
            policy: &policy,
            new_handler: new_handler.as_ref(),
        };
        let kind = decide(case, action, actor, &ctx)?;
        if let EventKind::Resolved { evidence_ids, .. } = &kind {
            let source_visit = case.source.as_ref().map(|s| s.visit_id.as_str());
            self.check_evidence_refs(&case.id, source_visit, evidence_ids, "evidence_ids")?;
        }
        let prev = last_event(self.sql(), &case.id)?;
        let (next, event) = append(
            Some(case),
            prev.as_ref(),
            &case.id,
            event_id,
            kind,
            Some(actor),
            at,
        )?;
        let op = Operation::CaseActed {
            case_id: case.id.clone(),
            action: action.clone(),
            at,
            event: event.clone(),
        };
        self.save_case(&next, &event, Some(op))?;
        Ok((next, event))
    }
}

/// An on-the-spot resolution submitted with the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnSpotResolution {
    pub note: String,
    pub photos: Vec<PhotoInput>,
}

impl Store {
    /// Report a case (from a hazard draft or typed), with photos, and
    /// optionally resolve it on the spot, all in one transaction.
    pub fn report_case(
        &self,
        user_id: &str,
        draft: &CaseDraft,
        photos: &[PhotoInput],
        on_spot: Option<&OnSpotResolution>,
    ) -> Result<ReportOutcome> {
        self.write(|w| {
            let a = actor(w.sql(), user_id, w.now)?;
            let case_id = new_id();
            let mut draft = draft.clone();
            let before =
                w.record_case_photos(&case_id, CasePhotoPhase::Report, photos, "photos", false)?;
            draft
                .evidence_ids
                .extend(before.iter().map(|e| e.id.clone()));
            let now = w.now;
            let (case, event) = w.report(&a, &case_id, &draft, now, new_id())?;
            for e in &before {
                w.emit_evidence(e)?;
            }
            let mut events = vec![event];
            let mut case = case;
            if let Some(spot) = on_spot {
                let after = w.record_case_photos(
                    &case_id,
                    CasePhotoPhase::After,
                    &spot.photos,
                    "on_spot.photos",
                    true,
                )?;
                let action = CaseAction::ResolveOnSpot {
                    note: spot.note.clone(),
                    evidence_ids: after.into_iter().map(|e| e.id).collect(),
                };
                let (next, event) = w.act(&a, &case, &action, now, new_id())?;
                case = next;
                events.push(event);
            }
            Ok(ReportOutcome { case, events })
        })
    }

    /// Take an action on a case. After-photos (for resolve) are recorded in
    /// the same transaction and added to the action's evidence.
    pub fn act_on_case(
        &self,
        user_id: &str,
        case_id: &str,
        action: &CaseAction,
        photos: &[PhotoInput],
    ) -> Result<(Case, CaseEvent)> {
        self.write(|w| {
            let a = actor(w.sql(), user_id, w.now)?;
            let case = visible_case(w.sql(), &a, case_id)?;
            let mut action = action.clone();
            match &mut action {
                CaseAction::Resolve { evidence_ids, .. }
                | CaseAction::ResolveOnSpot { evidence_ids, .. } => {
                    let after = w.record_case_photos(
                        case_id,
                        CasePhotoPhase::After,
                        photos,
                        "photos",
                        true,
                    )?;
                    evidence_ids.extend(after.into_iter().map(|e| e.id));
                }
                _ if !photos.is_empty() => {
                    return Err(CoreError::invalid(
                        "photos",
                        "只有处置完毕时可附照片 / photos go with a resolution only",
                    ))
                }
                _ => {}
            }
            let now = w.now;
            w.act(&a, &case, &action, now, new_id())
        })
    }

    /// Attach a photo to a case outside an action (e.g. more report photos).
    pub fn attach_case_photo(
        &self,
        user_id: &str,
        case_id: &str,
        photo: &PhotoInput,
    ) -> Result<crate::evidence::EvidenceRecord> {
        self.write(|w| {
            let a = actor(w.sql(), user_id, w.now)?;
            let case = visible_case(w.sql(), &a, case_id)?;
            if !case.state.is_open() && case.state != CaseState::Resolved {
                return Err(CoreError::conflict(
                    "事件已核查或结案 / the case is already confirmed or closed",
                ));
            }
            let owner = EvidenceOwner::Case {
                case_id: case_id.to_string(),
                phase: if matches!(case.state, CaseState::InProgress | CaseState::Resolved) {
                    CasePhotoPhase::After
                } else {
                    CasePhotoPhase::Report
                },
            };
            w.record_photo(owner, photo, "photo")
        })
    }

    /// Set the deadline policy (administrators). Cases keep their deadlines.
    pub fn set_deadline_policy(&self, policy: &DeadlinePolicy) -> Result<()> {
        policy.validate()?;
        self.write(|w| w.set_deadline_policy(policy))
    }

    pub fn deadline_policy(&self) -> Result<DeadlinePolicy> {
        self.read_sql(|sql| deadline_policy(sql))
    }

    /// Cases for a list screen, most urgent first.
    pub fn cases(
        &self,
        user_id: &str,
        scope: CaseScope,
        open_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<CaseRow>> {
        let filter = CaseFilter {
            scope,
            open_only,
            ..CaseFilter::default()
        };
        Ok(self.case_board(user_id, &filter, offset, limit)?.rows)
    }

    /// The case as materialised, if visible to the user.
    pub fn case(&self, user_id: &str, case_id: &str) -> Result<Case> {
        let now = self.now();
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            visible_case(c, &a, case_id)
        })
    }

    /// All events of a case, oldest first (for audit and sync).
    pub fn case_events(&self, case_id: &str) -> Result<Vec<CaseEvent>> {
        self.read_sql(|sql| load_events(sql, case_id))
    }
}

pub(crate) fn case_row(case: &Case, now: DateTime<Utc>) -> CaseRow {
    CaseRow {
        id: case.id.clone(),
        title: case.title.clone(),
        priority: case.category.priority,
        subcategory: case.category.subcategory.clone(),
        severity: case.severity,
        state: case.state,
        grid_code: case.path.grid.clone(),
        household_code: case.household_code.clone(),
        handler_id: case.handler_id.clone(),
        reported_at: case.reported_at,
        deadline: case.deadline,
        countdown_secs: case.countdown_secs(now),
        countdown_label: crate::case::countdown_label(case.countdown_secs(now)),
        escalation_level: case.escalation_level,
    }
}

#[cfg(test)]
mod scope_tests {
    use super::CaseScope;
    use crate::user::Role;

    #[test]
    fn each_role_starts_where_its_work_is() {
        assert_eq!(CaseScope::home(Role::GridWorker), CaseScope::Mine);
        assert_eq!(
            CaseScope::home(Role::VillageSecretary),
            CaseScope::Jurisdiction
        );
        assert_eq!(
            CaseScope::home(Role::TownshipSupervisor),
            CaseScope::EscalatedToMe
        );
        assert_eq!(
            CaseScope::home(Role::CitySupervisor),
            CaseScope::EscalatedToMe
        );
        assert_eq!(
            CaseScope::home(Role::Administrator),
            CaseScope::Jurisdiction
        );
    }
}
