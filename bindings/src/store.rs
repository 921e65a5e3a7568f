//! `GridworkStore`: the one entry object the shells hold. Opened on a path in
//! the app's private directory; one whole-screen call per screen or action.
//!
//! Calls are blocking (SQLite, file copies): shells call them off the main
//! thread (the Kotlin helpers use `Dispatchers.IO`). The object is `Send +
//! Sync`; no lock is held while calling back into the shell.

use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use gridwork_core::import::TableFormat;
use gridwork_core::pii::PiiField;
use gridwork_core::secrets::{SecretStore as CoreSecrets, DEVICE_CREDENTIAL};
use gridwork_core::store::{
    CaseDetail, CaseRow, CaseScope, DaySummary, GridMap, GridSummary, HouseholdDetail,
    HouseholdFilter, HouseholdPage, ImportMode, ImportReport, OnSpotResolution, TodayScreen,
    VisitDetail, VisitInput, VisitOutcome,
};
use gridwork_core::Store;

use crate::clock::{DeviceClock, ForeignClock};
use crate::secrets::{ForeignSecrets, SecretStore};
use crate::types::*;
use crate::GridworkError;
use gridwork_core::clock::SystemClock;

type R<T> = Result<T, GridworkError>;

/// The device store, for one signed-in person at a time.
#[derive(uniffi::Object)]
pub struct GridworkStore {
    store: RwLock<Option<Arc<Store>>>,
    user: RwLock<Option<String>>,
    secrets: Option<Arc<dyn CoreSecrets>>,
}

impl std::fmt::Debug for GridworkStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GridworkStore")
    }
}

impl GridworkStore {
    fn store(&self) -> R<Arc<Store>> {
        self.store
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| GridworkError::Storage {
                reason: "存储已关闭 / the store has been shut down".into(),
            })
    }

    /// The store and the signed-in user's id.
    pub(crate) fn session(&self) -> R<(Arc<Store>, String)> {
        let store = self.store()?;
        let user = self
            .user
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| GridworkError::NotPermitted {
                reason: "请先登录 / sign in first".into(),
            })?;
        Ok((store, user))
    }

    pub(crate) fn store_arc(&self) -> R<Arc<Store>> {
        self.store()
    }

    pub(crate) fn secrets_arc(&self) -> R<Arc<dyn CoreSecrets>> {
        self.secrets().cloned()
    }

    fn secrets(&self) -> R<&Arc<dyn CoreSecrets>> {
        self.secrets
            .as_ref()
            .ok_or_else(|| GridworkError::Platform {
                reason: "未提供密钥存储 / no secret store was given when the store was opened"
                    .into(),
            })
    }
}

#[uniffi::export]
impl GridworkStore {
    /// Open (creating if needed) the store at `db_path`, e.g.
    /// `<filesDir>/gridwork/device.db`. Photos are kept beside it. With a
    /// secret store (every app passes one) the database is encrypted with
    /// SQLCipher under a random 256-bit key that the secret store keeps
    /// (created on first open; a store from before encryption is encrypted
    /// in place). Without one it is plain SQLite (tools and tests only).
    #[uniffi::constructor]
    pub fn open(db_path: String, secrets: Option<Arc<dyn SecretStore>>) -> R<Arc<Self>> {
        open_at(db_path, secrets, Arc::new(SystemClock))
    }

    /// `open` with the shell's clock instead of the system's: for
    /// benchmarks and tests that record history (see `DeviceClock`).
    #[uniffi::constructor]
    pub fn open_with_clock(
        db_path: String,
        secrets: Option<Arc<dyn SecretStore>>,
        clock: Arc<dyn DeviceClock>,
    ) -> R<Arc<Self>> {
        open_at(db_path, secrets, Arc::new(ForeignClock(clock)))
    }

    /// Close the database now (e.g. before wiping the app's files). Every
    /// later call fails with `Storage`. Kotlin's `close()` / Swift's release
    /// free the handle itself.
    pub fn shutdown(&self) {
        self.store.write().unwrap_or_else(|p| p.into_inner()).take();
        self.user.write().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// This installation's id.
    pub fn device_id(&self) -> R<String> {
        Ok(self.store()?.device_id().to_string())
    }

    /// Act as this person from now on. Fails with `NotFound` for an unknown user.
    pub fn sign_in(&self, user_id: String) -> R<User> {
        let user = self.store()?.user(&user_id)?;
        *self.user.write().unwrap_or_else(|p| p.into_inner()) = Some(user_id);
        Ok(user)
    }

    pub fn sign_out(&self) {
        self.user.write().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Who is signed in, if anyone.
    pub fn signed_in_user(&self) -> Option<String> {
        self.user.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    // ---- registers (normally arriving by sync; used for setup and tests) ----

    /// Store a person (as sync or an administrator delivers them).
    pub fn upsert_user(&self, user: User) -> R<()> {
        Ok(self.store()?.upsert_user(&user)?)
    }

    /// Assign a worker to a grid.
    pub fn set_assignment(&self, assignment: Assignment) -> R<()> {
        Ok(self.store()?.set_assignment(&assignment)?)
    }

    /// Install the shipped five-priority checklists where none is stored.
    /// Returns how many templates were installed.
    pub fn install_default_templates(&self) -> R<u32> {
        Ok(self.store()?.install_default_templates()?)
    }

    /// Import regions and grids from a GeoJSON FeatureCollection
    /// (administrators).
    pub fn import_regions(&self, geojson: String, mode: ImportMode) -> R<ImportReport> {
        let (s, u) = self.session()?;
        Ok(s.import_regions_geojson(&u, &geojson, mode)?)
    }

    /// Import households from CSV (UTF-8 or GBK) or XLSX bytes
    /// (administrators). `format` is detected when `None`.
    pub fn import_households(
        &self,
        bytes: Vec<u8>,
        format: Option<TableFormat>,
        mode: ImportMode,
    ) -> R<ImportReport> {
        let (s, u) = self.session()?;
        let format = format.unwrap_or_else(|| TableFormat::detect(&bytes));
        Ok(s.import_households(&u, &bytes, format, mode)?)
    }

    /// Import household members from CSV or XLSX bytes (administrators).
    pub fn import_members(
        &self,
        bytes: Vec<u8>,
        format: Option<TableFormat>,
        mode: ImportMode,
    ) -> R<ImportReport> {
        let (s, u) = self.session()?;
        let format = format.unwrap_or_else(|| TableFormat::detect(&bytes));
        Ok(s.import_members(&u, &bytes, format, mode)?)
    }

    // ---- screens ----

    /// The "today" screen: my grids and what is due, my open cases by
    /// countdown, unread messages, what waits to sync, and my day so far.
    pub fn today(&self, day: NaiveDate) -> R<TodayScreen> {
        let (s, u) = self.session()?;
        Ok(s.today(&u, day)?)
    }

    /// The moment a sync last completed on this phone.
    pub fn last_synced_at(&self) -> R<Option<UtcTime>> {
        let (s, _) = self.session()?;
        Ok(s.last_synced_at()?)
    }

    /// "My grids", with households, due visits and open cases.
    pub fn my_grids(&self) -> R<Vec<GridSummary>> {
        let (s, u) = self.session()?;
        Ok(s.my_grids(&u)?)
    }

    /// A page of a grid's households, due first, filtered and searched.
    pub fn households(
        &self,
        grid_code: String,
        filter: HouseholdFilter,
        offset: u32,
        limit: u32,
    ) -> R<HouseholdPage> {
        let (s, u) = self.session()?;
        Ok(s.households(&u, &grid_code, &filter, offset, limit)?)
    }

    /// The grid's map: boundary and every household and place, converted
    /// to `system` (GCJ-02 for Amap/Tencent tiles, BD-09 for Baidu).
    pub fn grid_map(&self, grid_code: String, system: CoordSystem) -> R<GridMap> {
        let (s, u) = self.session()?;
        Ok(s.grid_map(&u, &grid_code, system)?)
    }

    /// The household screen; personal numbers masked.
    pub fn household_detail(&self, code: String) -> R<HouseholdDetail> {
        let (s, u) = self.session()?;
        Ok(s.household_detail(&u, &code)?)
    }

    /// Show one personal number whole, for a stated reason (recorded).
    pub fn reveal_member_field(
        &self,
        member_id: String,
        field: PiiField,
        reason: String,
    ) -> R<String> {
        let (s, u) = self.session()?;
        Ok(s.reveal_member_field(&u, &member_id, field, &reason)?)
    }

    /// What a case reported without a visit can be filed under, by
    /// priority, each priority ending with "other".
    pub fn case_categories(&self) -> R<Vec<CaseCategory>> {
        Ok(self.store()?.case_categories()?)
    }

    /// The checklist for a visit to this household or place.
    pub fn checklist_for(&self, household_code: String) -> R<ChecklistTemplate> {
        let (s, u) = self.session()?;
        Ok(s.checklist_for(&u, &household_code)?)
    }

    /// The signed-in person's own day (`day` is `YYYY-MM-DD`, China time).
    pub fn my_day(&self, day: NaiveDate) -> R<DaySummary> {
        let (s, u) = self.session()?;
        Ok(s.my_day(&u, day)?)
    }

    /// The four promises, checked for what the person oversees.
    pub fn coverage_report(&self) -> R<CoverageReport> {
        let (s, u) = self.session()?;
        Ok(s.coverage_report(&u)?)
    }

    // ---- patrols and visits ----

    pub fn start_patrol(&self, grid_code: String, fix: Option<LocationFix>) -> R<Patrol> {
        let (s, u) = self.session()?;
        Ok(s.start_patrol(&u, &grid_code, fix.as_ref())?)
    }

    /// Add fixes to an open patrol; each comes back with its verdict.
    pub fn add_track_points(
        &self,
        patrol_id: String,
        fixes: Vec<LocationFix>,
    ) -> R<Vec<TrackPoint>> {
        let (s, u) = self.session()?;
        Ok(s.add_track_points(&u, &patrol_id, &fixes)?)
    }

    pub fn end_patrol(&self, patrol_id: String) -> R<Patrol> {
        let (s, u) = self.session()?;
        Ok(s.end_patrol(&u, &patrol_id)?)
    }

    /// Delete the track of one's own patrol (the patrol and visits stay).
    pub fn discard_track(&self, patrol_id: String) -> R<Patrol> {
        let (s, u) = self.session()?;
        Ok(s.discard_track(&u, &patrol_id)?)
    }

    /// Record a visit with answers, photos and a location fix; hazards come
    /// back as pre-filled case drafts.
    pub fn record_visit(&self, input: VisitInput) -> R<VisitOutcome> {
        let (s, u) = self.session()?;
        Ok(s.record_visit(&u, &input)?)
    }

    /// Keep the visit screen's answers so far, so an app killed while the
    /// camera is open loses nothing (replaces the household's last draft).
    pub fn save_visit_draft(&self, draft: VisitInput) -> R<()> {
        let (s, u) = self.session()?;
        Ok(s.save_visit_draft(&u, &draft)?)
    }

    /// The unfinished visit kept for this household, if any.
    pub fn visit_draft(&self, household_code: String) -> R<Option<VisitInput>> {
        let (s, u) = self.session()?;
        Ok(s.visit_draft(&u, &household_code)?)
    }

    /// Forget the unfinished visit for this household (start over).
    pub fn discard_visit_draft(&self, household_code: String) -> R<()> {
        let (s, u) = self.session()?;
        Ok(s.discard_visit_draft(&u, &household_code)?)
    }

    /// A visit read back with its pinned template's labels.
    pub fn visit_detail(&self, visit_id: String) -> R<VisitDetail> {
        let (s, u) = self.session()?;
        Ok(s.visit_detail(&u, &visit_id)?)
    }

    // ---- cases ----

    /// Report a case (optionally resolved on the spot); returns the case screen.
    pub fn report_case(
        &self,
        draft: CaseDraft,
        photos: Vec<PhotoInput>,
        on_spot: Option<OnSpotResolution>,
    ) -> R<CaseDetail> {
        let (s, u) = self.session()?;
        let out = s.report_case(&u, &draft, &photos, on_spot.as_ref())?;
        Ok(s.case_detail(&u, &out.case.id)?)
    }

    /// Take an action; returns the refreshed case screen. After-photos go
    /// with `Resolve`/`ResolveOnSpot`.
    pub fn act_on_case(
        &self,
        case_id: String,
        action: CaseAction,
        photos: Vec<PhotoInput>,
    ) -> R<CaseDetail> {
        let (s, u) = self.session()?;
        s.act_on_case(&u, &case_id, &action, &photos)?;
        Ok(s.case_detail(&u, &case_id)?)
    }

    /// The people a case can be dispatched or reassigned to (workers of
    /// its grid first), for the picker.
    pub fn handler_choices(&self, case_id: String) -> R<Vec<User>> {
        let (s, u) = self.session()?;
        Ok(s.handler_choices(&u, &case_id)?)
    }

    /// The case screen: timeline, evidence, countdown, allowed actions.
    pub fn case_detail(&self, case_id: String) -> R<CaseDetail> {
        let (s, u) = self.session()?;
        Ok(s.case_detail(&u, &case_id)?)
    }

    /// A case list, most urgent first.
    pub fn cases(
        &self,
        scope: CaseScope,
        open_only: bool,
        offset: u32,
        limit: u32,
    ) -> R<Vec<CaseRow>> {
        let (s, u) = self.session()?;
        Ok(s.cases(&u, scope, open_only, offset, limit)?)
    }

    /// Attach one more photo to a case.
    pub fn attach_case_photo(&self, case_id: String, photo: PhotoInput) -> R<EvidenceRecord> {
        let (s, u) = self.session()?;
        Ok(s.attach_case_photo(&u, &case_id, &photo)?)
    }

    /// One evidence record (hash, size, upload state).
    pub fn evidence(&self, evidence_id: String) -> R<EvidenceRecord> {
        let (s, _) = self.session()?;
        Ok(s.evidence(&evidence_id)?)
    }

    /// Operations waiting to be synced.
    pub fn pending_operations(&self) -> R<u64> {
        Ok(self.store()?.outbox_len()?)
    }

    // ---- device credential (kept in the platform's secret store) ----

    /// Keep the device credential in the platform's secret store.
    pub fn save_device_credential(&self, token: String) -> R<()> {
        if token.trim().is_empty() {
            return Err(GridworkError::Invalid {
                field: "token".into(),
                reason: "凭证为空 / the credential is empty".into(),
            });
        }
        Ok(self.secrets()?.put(DEVICE_CREDENTIAL, &token)?)
    }

    /// Whether a device credential is stored (the value never leaves Rust).
    pub fn has_device_credential(&self) -> R<bool> {
        Ok(self.secrets()?.get(DEVICE_CREDENTIAL)?.is_some())
    }

    pub fn forget_device_credential(&self) -> R<()> {
        Ok(self.secrets()?.delete(DEVICE_CREDENTIAL)?)
    }

    /// 退出并清除本机: delete everything this phone holds (registers,
    /// visits, cases, photos, unsynced work) and its credential, and sign
    /// out. The installation can be enrolled again with a new code.
    pub fn forget_this_phone(&self) -> R<()> {
        self.store()?.wipe()?;
        self.secrets()?.delete(DEVICE_CREDENTIAL)?;
        self.sign_out();
        Ok(())
    }
}

/// Convert a WGS-84 point for display on a GCJ-02 (Amap, Tencent) or BD-09
/// (Baidu) map, or back. Store WGS-84 only.
#[uniffi::export]
pub fn convert_coordinates(point: LatLon, from: CoordSystem, to: CoordSystem) -> LatLon {
    gridwork_core::coord::convert(point, from, to)
}

/// `超期3天 / 3 days overdue`: a household's due state as it reads on screen.
#[uniffi::export]
pub fn due_label(due: DueState) -> String {
    due.label()
}

/// `紧急 / urgent`.
#[uniffi::export]
pub fn severity_label(severity: Severity) -> String {
    severity.label()
}

/// `安全生产 / Work safety`.
#[uniffi::export]
pub fn priority_label(priority: Priority) -> String {
    format!("{} / {}", priority.label_zh(), priority.label_en())
}

/// `不在网格内 / outside the grid`: the geofence verdict as it reads.
#[uniffi::export]
pub fn geofence_label(status: GeofenceStatus) -> String {
    status.label()
}

/// `退回 / Send back`: a case action's button.
#[uniffi::export]
pub fn action_label(action: ActionKind) -> String {
    action.label()
}

/// What a person fills in for an action, in form order (a screen builds
/// its form from this, never from its own list).
#[uniffi::export]
pub fn action_inputs(action: ActionKind) -> Vec<ActionInput> {
    action.inputs().to_vec()
}

/// The action a filled-in form asks for (photos go beside it to `act_on_case`).
#[uniffi::export]
pub fn case_action(action: ActionKind, fields: ActionFields) -> CaseAction {
    action.action(fields)
}

/// The report form's starting point for a case seen on patrol in
/// `grid_code`, from a category the person picked.
#[uniffi::export]
pub fn case_draft_for(category: CaseCategory, grid_code: String) -> CaseDraft {
    category.draft(&grid_code)
}

/// Where a person's case list starts (a worker's own cases, a
/// secretary's village, a supervisor's escalations).
#[uniffi::export]
pub fn home_case_scope(role: Role) -> CaseScope {
    CaseScope::home(role)
}

/// `待核查 / awaiting check`.
#[uniffi::export]
pub fn case_state_label(state: CaseState) -> String {
    state.label()
}

/// `事件处置 / case action`: an operation kind (as in a conflict) on screen.
#[uniffi::export]
pub fn operation_label(kind: String) -> String {
    gridwork_core::outbox::operation_label(&kind)
}

/// `住户 / Household`.
#[uniffi::export]
pub fn place_kind_label(kind: PlaceKind) -> String {
    kind.label()
}

/// `独居老人 / Elderly living alone`.
#[uniffi::export]
pub fn tag_label(tag: Tag) -> String {
    tag.label()
}

/// How a countdown reads (`剩余2天3小时 / 2d 3h left`).
#[uniffi::export]
pub fn countdown_label(secs: Option<i64>) -> String {
    gridwork_core::case::countdown_label(secs)
}

/// Both constructors: the store with its key (when there is a secret store) and its clock.
fn open_at(
    db_path: String,
    secrets: Option<Arc<dyn SecretStore>>,
    clock: Arc<dyn gridwork_core::clock::Clock>,
) -> R<Arc<GridworkStore>> {
    let secrets = secrets.map(|s| Arc::new(ForeignSecrets(s)) as Arc<dyn CoreSecrets>);
    let store = match &secrets {
        Some(sec) => {
            let key = gridwork_core::store::StoreKey::from_secrets(sec.as_ref())?;
            Store::open_encrypted_with_clock(&db_path, &key, clock)?
        }
        None => Store::open_with_clock(&db_path, clock)?,
    };
    Ok(Arc::new(GridworkStore {
        store: RwLock::new(Some(Arc::new(store))),
        user: RwLock::new(None),
        secrets,
    }))
}
