//! A simulated working day on a device store, driven only through the
//! store's public API — the same calls a phone shell makes.

use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use gridwork_core::case::{CaseAction, CaseState, Difficulty};
use gridwork_core::checklist::{
    Answer, AnswerValue, ChecklistTemplate, HazardWhen, Item, ItemKind,
};
use gridwork_core::clock::ManualClock;
use gridwork_core::evidence::PhotoInput;
use gridwork_core::location::LocationFix;
use gridwork_core::priority::Severity;
use gridwork_core::store::{CaseScope, HouseholdFilter, OnSpotResolution, VisitInput};
use gridwork_core::Store;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::photo::write_photo;
use crate::SimError;

/// The dice for one case: seeded by the run's seed and what the case is
/// (title, grid, household, when it was reported), never by where it
/// stands in a list. Case ids are random (UUIDv7), so the order of cases
/// reported or escalated in the same millisecond changes from run to run;
/// drawing from one generator down the list gave the same seed slightly
/// different days.
fn case_dice(
    seed: u64,
    title: &str,
    grid: &str,
    household: Option<&str>,
    reported_at: DateTime<Utc>,
) -> StdRng {
    // FNV-1a: stable across builds and platforms (std's hasher is not
    // promised to be).
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    let mut eat = |bytes: &[u8]| {
        for b in bytes.iter().chain(&[0xff]) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(title.as_bytes());
    eat(grid.as_bytes());
    eat(household.unwrap_or("").as_bytes());
    eat(&reported_at.timestamp_millis().to_le_bytes());
    StdRng::seed_from_u64(h)
}

/// Knobs for the day.
#[derive(Debug, Clone)]
pub struct DayPlan {
    pub seed: u64,
    pub day: NaiveDate,
    pub visits: u32,
    /// Chance that an item with hazard rules is answered with a hazard.
    pub hazard_rate: f64,
    /// Chance that a normal hazard is fixed on the spot.
    pub on_spot_rate: f64,
    /// Bytes per generated photo.
    pub photo_bytes: usize,
}

impl DayPlan {
    pub fn new(seed: u64, day: NaiveDate) -> Self {
        DayPlan {
            seed,
            day,
            visits: 14,
            hazard_rate: 0.025,
            on_spot_rate: 0.4,
            photo_bytes: 60 * 1024,
        }
    }
}

/// Beijing time on the plan's day.
pub fn local(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(h, m, 0).unwrap_or_default();
    Utc.from_utc_datetime(&naive) - Duration::hours(8)
}

fn jitter<R: Rng>(rng: &mut R, lat: f64, lon: f64, metres: f64) -> (f64, f64) {
    let dlat = rng.random_range(-metres..=metres) / 111_000.0;
    let dlon = rng.random_range(-metres..=metres) / (111_000.0 * lat.to_radians().cos());
    (lat + dlat, lon + dlon)
}

fn fix<R: Rng>(rng: &mut R, lat: f64, lon: f64, at: DateTime<Utc>) -> LocationFix {
    let roll: f64 = rng.random();
    let (accuracy_m, mock) = if roll < 0.02 {
        (10.0, true)
    } else if roll < 0.07 {
        (rng.random_range(150.0..400.0), false)
    } else {
        (rng.random_range(4.0..25.0), false)
    };
    let (lat, lon) = jitter(rng, lat, lon, 12.0);
    LocationFix {
        lat,
        lon,
        accuracy_m,
        provider: if accuracy_m > 100.0 {
            "network".into()
        } else {
            "gps".into()
        },
        mock,
        at,
    }
}

/// Answers for every item of the template: safe ones, and now and then the
/// hazard the rules describe.
pub fn answers<R: Rng>(rng: &mut R, t: &ChecklistTemplate, hazard_rate: f64) -> Vec<Answer> {
    let mut out = Vec::new();
    for (_, item) in t.items() {
        if matches!(item.kind, ItemKind::Photo { .. }) {
            continue;
        }
        let hazard = !item.hazards.is_empty() && rng.random_bool(hazard_rate);
        if let Some(value) = value_for(rng, item, hazard) {
            out.push(Answer {
                item_code: item.code.clone(),
                value,
            });
        }
    }
    out
}

fn value_for<R: Rng>(rng: &mut R, item: &Item, hazard: bool) -> Option<AnswerValue> {
    let bad: Vec<&String> = item
        .hazards
        .iter()
        .flat_map(|h| match &h.when {
            HazardWhen::AnyOf { options } => options.iter().collect(),
            _ => vec![],
        })
        .collect();
    let rule = item.hazards.choose(rng);
    Some(match &item.kind {
        ItemKind::YesNo => {
            let yes_is_bad = item.hazards.iter().any(|h| h.when == HazardWhen::Yes);
            AnswerValue::YesNo(yes_is_bad == hazard)
        }
        ItemKind::SingleChoice { options } => {
            let code = match (hazard, rule.map(|r| &r.when)) {
                (true, Some(HazardWhen::AnyOf { options: o })) => o.choose(rng)?.clone(),
                _ => options
                    .iter()
                    .find(|o| !bad.contains(&&o.code))?
                    .code
                    .clone(),
            };
            AnswerValue::Choice(code)
        }
        ItemKind::MultiChoice { options } => {
            let code = match (hazard, rule.map(|r| &r.when)) {
                (true, Some(HazardWhen::AnyOf { options: o })) => o.choose(rng)?.clone(),
                _ => options
                    .iter()
                    .rev()
                    .find(|o| !bad.contains(&&o.code))?
                    .code
                    .clone(),
            };
            AnswerValue::Choices(vec![code])
        }
        ItemKind::Number { min, max, .. } => {
            let lo = min.unwrap_or(0.0);
            let value = match (hazard, rule.map(|r| &r.when)) {
                (true, Some(HazardWhen::Above { value })) => {
                    (value + 1.0).min(max.unwrap_or(f64::MAX))
                }
                (true, Some(HazardWhen::Below { value })) => (value - 1.0).max(lo),
                _ => {
                    // The safe side of every threshold.
                    let above = item.hazards.iter().filter_map(|h| match h.when {
                        HazardWhen::Above { value } => Some(value),
                        _ => None,
                    });
                    above.fold(lo.max(0.0), f64::min).max(lo)
                }
            };
            AnswerValue::Number(value)
        }
        ItemKind::Text { .. } => {
            if rng.random_bool(0.7) {
                return None;
            }
            AnswerValue::Text("无".into())
        }
        ItemKind::Photo { .. } => return None,
    })
}

/// What one worker's patrol did on the device (the demo's summary still
/// reads its figures from the server; this is for progress and logs).
#[derive(Debug, Clone, Default)]
pub struct PatrolLog {
    pub visits: u32,
    pub photos: u32,
    pub case_ids: Vec<String>,
}

/// The day's round: `plan.visits` due households and places of the
/// worker's first grid, mixed (about one in four a place, so shops and
/// workshops are checked too, not only the households that sort first),
/// walked nearest-first, with checklists, photos, and cases for what the
/// answers reveal. Works offline: nothing here touches the network.
pub fn patrol_day(
    store: &Store,
    clock: &ManualClock,
    worker_id: &str,
    camera_dir: &Path,
    plan: &DayPlan,
) -> Result<PatrolLog, SimError> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    std::fs::create_dir_all(camera_dir)
        .map_err(|e| SimError::Io(camera_dir.display().to_string(), e))?;
    let mut log = PatrolLog::default();
    let Some(grid) = store.my_grids(worker_id)?.into_iter().next() else {
        return Ok(log);
    };
    let due = store.households(
        worker_id,
        &grid.code,
        &HouseholdFilter {
            due_only: true,
            ..Default::default()
        },
        0,
        2_000,
    )?;
    let (places, homes): (Vec<_>, Vec<_>) = due
        .rows
        .into_iter()
        .partition(|h| h.kind != gridwork_core::household::PlaceKind::Household);
    let want_places = (plan.visits / 4).max(1) as usize;
    let mut todo: Vec<_> = places
        .choose_multiple(&mut rng, want_places)
        .cloned()
        .collect();
    let want_homes = (plan.visits as usize).saturating_sub(todo.len());
    todo.extend(homes.choose_multiple(&mut rng, want_homes).cloned());
    let mut ordered = Vec::with_capacity(todo.len());
    let mut at = match todo.first() {
        Some(h) => (h.lat, h.lon),
        None => return Ok(log),
    };
    while !todo.is_empty() {
        let dist = |h: &gridwork_core::store::HouseholdRow| {
            (h.lat - at.0).powi(2) + (h.lon - at.1).powi(2)
        };
        let Some((i, _)) = todo
            .iter()
            .enumerate()
            .min_by(|a, b| dist(a.1).total_cmp(&dist(b.1)))
        else {
            break;
        };
        let next = todo.swap_remove(i);
        at = (next.lat, next.lon);
        ordered.push(next);
    }
    let Some(first) = ordered.first() else {
        return Ok(log);
    };
    let mut here = (first.lat, first.lon);
    let patrol = store.start_patrol(
        worker_id,
        &grid.code,
        Some(&fix(&mut rng, here.0, here.1, store.now())),
    )?;
    let mut photo_n = 0u32;
    let mut shoot = |rng: &mut StdRng,
                     item: Option<&str>,
                     at: DateTime<Utc>,
                     lat: f64,
                     lon: f64|
     -> Result<PhotoInput, SimError> {
        photo_n += 1;
        let path = camera_dir.join(format!("IMG_{}_{photo_n:04}.jpg", plan.seed));
        write_photo(&path, &format!("{worker_id} {photo_n}"), plan.photo_bytes)?;
        Ok(PhotoInput {
            item_code: item.map(str::to_string),
            path: path.display().to_string(),
            media_type: "image/jpeg".into(),
            taken_at: at,
            fix: Some(fix(rng, lat, lon, at)),
        })
    };
    for h in &ordered {
        let mut fixes = Vec::new();
        for step in 1..=3 {
            clock.advance(Duration::minutes(1) + Duration::seconds(rng.random_range(0..40)));
            let f = f64::from(step) / 3.0;
            let (lat, lon) = (here.0 + (h.lat - here.0) * f, here.1 + (h.lon - here.1) * f);
            fixes.push(fix(&mut rng, lat, lon, store.now()));
        }
        store.add_track_points(worker_id, &patrol.id, &fixes)?;
        here = (h.lat, h.lon);
        clock.advance(Duration::minutes(rng.random_range(8..20)));
        let template = store.checklist_for_kind(h.kind)?;
        let answers = answers(&mut rng, &template, plan.hazard_rate);
        let findings = template
            .check_answers(&answers, &Default::default())
            .unwrap_or_default();
        let mut photos = Vec::new();
        for (priority, item) in template.items() {
            if matches!(item.kind, ItemKind::Photo { .. })
                && findings.iter().any(|f| f.priority == priority)
            {
                photos.push(shoot(
                    &mut rng,
                    Some(&item.code),
                    store.now(),
                    h.lat,
                    h.lon,
                )?);
            }
        }
        log.photos += photos.len() as u32;
        let now = store.now();
        let out = store.record_visit(
            worker_id,
            &VisitInput {
                household_code: h.code.clone(),
                patrol_id: Some(patrol.id.clone()),
                template_id: template.id.clone(),
                template_version: template.version,
                answers,
                notes: String::new(),
                fix: Some(fix(&mut rng, h.lat, h.lon, now)),
                photos,
            },
        )?;
        log.visits += 1;
        for draft in &out.drafts {
            clock.advance(Duration::minutes(2));
            let now = store.now();
            let on_spot = draft.severity == Severity::Normal && rng.random_bool(plan.on_spot_rate);
            let report = if on_spot {
                let spot = OnSpotResolution {
                    note: "现场已整改".into(),
                    photos: vec![shoot(&mut rng, None, now, h.lat, h.lon)?],
                };
                store.report_case(worker_id, draft, &[], Some(&spot))?
            } else {
                let before = shoot(&mut rng, None, now, h.lat, h.lon)?;
                store.report_case(worker_id, draft, &[before], None)?
            };
            log.photos += 1;
            log.case_ids.push(report.case.id);
        }
    }
    store.end_patrol(worker_id, &patrol.id)?;
    Ok(log)
}

/// What a secretary's evening did.
#[derive(Debug, Clone, Copy, Default)]
pub struct EveningLog {
    pub confirmed: u32,
    pub sent_back: u32,
    pub dispatched: u32,
}

/// The secretary's evening on the village's cases (after a sync): confirm
/// and close most resolved cases, send some back, file and dispatch the
/// new ones to whoever reported them.
pub fn secretary_evening(
    store: &Store,
    secretary_id: &str,
    seed: u64,
) -> Result<EveningLog, SimError> {
    let mut log = EveningLog::default();
    for row in store.cases(secretary_id, CaseScope::Jurisdiction, false, 0, 500)? {
        let mut rng = case_dice(
            seed,
            &row.title,
            &row.grid_code,
            row.household_code.as_deref(),
            row.reported_at,
        );
        let act = |a: CaseAction| store.act_on_case(secretary_id, &row.id, &a, &[]);
        match row.state {
            CaseState::Resolved if rng.random_bool(0.8) => {
                act(CaseAction::Confirm {
                    note: "核查属实".into(),
                })?;
                act(CaseAction::Close {
                    note: String::new(),
                })?;
                log.confirmed += 1;
            }
            CaseState::Resolved => {
                act(CaseAction::SendBack {
                    reason: "整改照片看不清，请补拍".into(),
                })?;
                log.sent_back += 1;
            }
            CaseState::Reported => {
                let case = store.case(secretary_id, &row.id)?;
                let difficulty = if rng.random_bool(0.2) {
                    Difficulty::Hard
                } else {
                    Difficulty::Normal
                };
                act(CaseAction::File {
                    difficulty,
                    note: String::new(),
                })?;
                act(CaseAction::Dispatch {
                    handler_id: case.reporter_id,
                })?;
                log.dispatched += 1;
            }
            _ => {}
        }
    }
    Ok(log)
}

/// What a handler's morning did.
#[derive(Debug, Clone, Copy, Default)]
pub struct MorningLog {
    pub accepted: u32,
    pub resolved: u32,
    pub extension_requests: u32,
}

/// The next morning: the handler accepts what was dispatched, resolves
/// about half with an after-photo, asks for more time on some of the rest;
/// the others run late.
pub fn handler_morning(
    store: &Store,
    worker_id: &str,
    camera_dir: &Path,
    plan: &DayPlan,
) -> Result<MorningLog, SimError> {
    let mut log = MorningLog::default();
    std::fs::create_dir_all(camera_dir)
        .map_err(|e| SimError::Io(camera_dir.display().to_string(), e))?;
    for (n, row) in store
        .cases(worker_id, CaseScope::Mine, true, 0, 500)?
        .into_iter()
        .enumerate()
    {
        if row.handler_id.as_deref() != Some(worker_id) {
            continue;
        }
        if row.state == CaseState::Dispatched {
            store.act_on_case(worker_id, &row.id, &CaseAction::Accept, &[])?;
            log.accepted += 1;
        }
        if !matches!(row.state, CaseState::Dispatched | CaseState::InProgress) {
            continue;
        }
        let roll: f64 = case_dice(
            plan.seed ^ 0x6d6f_726e,
            &row.title,
            &row.grid_code,
            row.household_code.as_deref(),
            row.reported_at,
        )
        .random();
        if roll < 0.5 {
            let path = camera_dir.join(format!("IMG_{}_after_{n:03}.jpg", plan.seed));
            write_photo(&path, &format!("{worker_id} after {n}"), plan.photo_bytes)?;
            let now = store.now();
            store.act_on_case(
                worker_id,
                &row.id,
                &CaseAction::Resolve {
                    note: "已处置".into(),
                    evidence_ids: vec![],
                },
                &[PhotoInput {
                    item_code: None,
                    path: path.display().to_string(),
                    media_type: "image/jpeg".into(),
                    taken_at: now,
                    fix: None,
                }],
            )?;
            log.resolved += 1;
        } else if roll < 0.7 {
            store.act_on_case(
                worker_id,
                &row.id,
                &CaseAction::RequestExtension {
                    days: 3,
                    reason: "需协调相关部门".into(),
                },
                &[],
            )?;
            log.extension_requests += 1;
        }
    }
    Ok(log)
}

/// What a supervisor did with the inbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct SupervisorLog {
    pub inbox_items: u32,
    pub urged: u32,
    pub extended: u32,
    pub reassigned: u32,
}

/// A supervisor reads the unread inbox (after a sync) and acts on each
/// escalated case: approves a pending extension, reassigns some to another
/// worker of the same grid, urges the rest.
pub fn supervisor_round(
    store: &Store,
    supervisor_id: &str,
    seed: u64,
    workers_of_grid: &dyn Fn(&str) -> Vec<String>,
) -> Result<SupervisorLog, SimError> {
    let mut log = SupervisorLog::default();
    let page = store.inbox(supervisor_id, true, 0, 500)?;
    let mut done = std::collections::HashSet::new();
    for item in page.items {
        log.inbox_items += 1;
        let wanted = matches!(
            item.kind,
            gridwork_core::inbox::InboxKind::Escalated
                | gridwork_core::inbox::InboxKind::ExtensionRequested
        );
        if !wanted || !done.insert(item.case_id.clone()) {
            continue;
        }
        let Ok(case) = store.case(supervisor_id, &item.case_id) else {
            continue;
        };
        if !case.state.is_open() {
            continue;
        }
        let act = |a: CaseAction| store.act_on_case(supervisor_id, &case.id, &a, &[]);
        if case.pending_extension.is_some() {
            if act(CaseAction::ApproveExtension { days: 3 }).is_ok() {
                log.extended += 1;
            }
            continue;
        }
        let mut rng = case_dice(
            seed,
            &case.title,
            &case.path.grid,
            case.household_code.as_deref(),
            case.reported_at,
        );
        let other = if rng.random_bool(0.25) {
            workers_of_grid(&case.path.grid)
                .into_iter()
                .find(|w| Some(w) != case.handler_id.as_ref())
        } else {
            None
        };
        match other {
            Some(w)
                if act(CaseAction::Reassign {
                    handler_id: w.clone(),
                    reason: "原处置人任务过多，改派".into(),
                })
                .is_ok() =>
            {
                log.reassigned += 1;
            }
            _ => {
                if act(CaseAction::Urge {
                    message: "已超期，请于今日办结".into(),
                })
                .is_ok()
                {
                    log.urged += 1;
                }
            }
        }
    }
    Ok(log)
}
