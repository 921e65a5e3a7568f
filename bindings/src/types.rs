//! The core's records and enums, crossing by value exactly as the core
//! defines them. `#[uniffi::remote(..)]` repeats each shape so UniFFI can
//! generate its converters; the compiler checks every repetition against the
//! core, so the two cannot drift apart.
//!
//! Times cross as timestamps (Kotlin `java.time.Instant`, Swift `Date`),
//! calendar days as `YYYY-MM-DD` strings.

use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, Utc};
pub use gridwork_core::case::{
    ActionFields, ActionInput, ActionKind, Case, CaseAction, CaseDraft, CaseSource, CaseState,
    ChainBreak, Difficulty, EscalationReason, ExtensionRequest,
};
pub use gridwork_core::checklist::categories::CaseCategory;
pub use gridwork_core::checklist::{
    Answer, AnswerValue, ChecklistTemplate, Choice, HazardFinding, HazardRule, HazardWhen, Item,
    ItemKind, Section,
};
pub use gridwork_core::coord::{CoordSystem, LatLon};
pub use gridwork_core::coverage::{CoverageReport, GridOverlap, VillageGap};
pub use gridwork_core::escalation::{Assessment, DueEscalation};
pub use gridwork_core::evidence::{
    CasePhotoPhase, EvidenceOwner, EvidenceRecord, PhotoInput, UploadState,
};
pub use gridwork_core::geofence::{GeofenceStatus, GeofenceVerdict, GridPosition};
pub use gridwork_core::household::{PlaceKind, Tag};
pub use gridwork_core::import::TableFormat;
pub use gridwork_core::location::LocationFix;
pub use gridwork_core::patrol::{Patrol, TrackPoint};
pub use gridwork_core::priority::{Category, Priority, Severity};
pub use gridwork_core::region::RegionPath;
pub use gridwork_core::store::{
    CaseDetail, CaseRow, CaseScope, DaySummary, GridMap, GridSummary, HouseholdDetail,
    HouseholdFilter, HouseholdPage, HouseholdRow, ImportError, ImportMode, ImportReport, MapPlace,
    MemberView, OnSpotResolution, TimelineEntry, TodayScreen, UnfinishedVisit, VerdictCount,
    VisitAnswerView, VisitDetail, VisitInput, VisitOutcome, VisitRef,
};
pub use gridwork_core::user::{Assignment, AssignmentKind, Role, User};
pub use gridwork_core::visit::{DueState, Visit};

/// UniFFI names custom types by a single identifier.
pub type UtcTime = DateTime<Utc>;

uniffi::custom_type!(UtcTime, SystemTime, {
    remote,
    lower: |t| SystemTime::from(t),
    try_lift: |t| Ok(DateTime::<Utc>::from(t)),
});

uniffi::custom_type!(NaiveDate, String, {
    remote,
    lower: |d| d.format("%Y-%m-%d").to_string(),
    try_lift: |s| Ok(NaiveDate::parse_from_str(&s, "%Y-%m-%d")?),
});

// ---- enums -----------------------------------------------------------------

#[uniffi::remote(Enum)]
pub enum Priority {
    EpidemicPrevention,
    WorkSafety,
    PetitionStability,
    Ecology,
    RiskScreening,
}

#[uniffi::remote(Enum)]
pub enum Severity {
    Normal,
    Urgent,
    Critical,
}

#[uniffi::remote(Enum)]
pub enum PlaceKind {
    Household,
    Shop,
    Workshop,
    Enterprise,
    Mine,
    School,
    CompoundManaged,
    CompoundUnmanaged,
    Other,
}

#[uniffi::remote(Enum)]
pub enum Tag {
    ElderlyAlone,
    LeftBehindChild,
    Disabled,
    KeyPerson,
    HazardousSite,
    Enterprise,
}

#[uniffi::remote(Enum)]
pub enum Role {
    GridWorker,
    VillageSecretary,
    TownshipSupervisor,
    CitySupervisor,
    Administrator,
}

#[uniffi::remote(Enum)]
pub enum AssignmentKind {
    Primary,
    Backup,
}

#[uniffi::remote(Enum)]
pub enum CaseState {
    Reported,
    Filed,
    Dispatched,
    InProgress,
    Resolved,
    Confirmed,
    Closed,
}

#[uniffi::remote(Enum)]
pub enum Difficulty {
    OnSpot,
    Normal,
    Hard,
}

#[uniffi::remote(Enum)]
pub enum EscalationReason {
    AcceptanceOverdue,
    ResolutionOverdue,
    Critical,
    Manual,
}

#[uniffi::remote(Enum)]
pub enum ActionKind {
    File,
    Dismiss,
    Dispatch,
    Accept,
    Resolve,
    ResolveOnSpot,
    Confirm,
    SendBack,
    Close,
    Reassign,
    RequestExtension,
    ApproveExtension,
    RejectExtension,
    Escalate,
    Urge,
    TakeOver,
}

#[uniffi::remote(Enum)]
pub enum ActionInput {
    Note,
    Reason,
    Message,
    Handler,
    Days,
    Difficulty,
    Photos,
}

#[uniffi::remote(Record)]
pub struct ActionFields {
    pub text: String,
    pub handler_id: Option<String>,
    pub days: Option<u32>,
    pub difficulty: Option<Difficulty>,
}

#[uniffi::remote(Enum)]
pub enum CaseAction {
    File {
        difficulty: Difficulty,
        note: String,
    },
    Dismiss {
        reason: String,
    },
    Dispatch {
        handler_id: String,
    },
    Accept,
    Resolve {
        note: String,
        evidence_ids: Vec<String>,
    },
    ResolveOnSpot {
        note: String,
        evidence_ids: Vec<String>,
    },
    Confirm {
        note: String,
    },
    SendBack {
        reason: String,
    },
    Close {
        note: String,
    },
    Reassign {
        handler_id: String,
        reason: String,
    },
    RequestExtension {
        days: u32,
        reason: String,
    },
    ApproveExtension {
        days: u32,
    },
    RejectExtension {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Urge {
        message: String,
    },
    TakeOver {
        reason: String,
    },
}

#[uniffi::remote(Enum)]
pub enum CaseScope {
    Mine,
    Jurisdiction,
    EscalatedToMe,
}

#[uniffi::remote(Enum)]
pub enum GeofenceStatus {
    Consistent,
    Mock,
    TooInaccurate,
    OutsideGrid,
    FarFromTarget,
}

#[uniffi::remote(Enum)]
pub enum GridPosition {
    Inside,
    Outside,
    Uncertain,
}

#[uniffi::remote(Enum)]
pub enum DueState {
    NeverVisited,
    Due { overdue_days: u32 },
    Upcoming { in_days: u32 },
}

#[uniffi::remote(Enum)]
pub enum ItemKind {
    YesNo,
    SingleChoice {
        options: Vec<Choice>,
    },
    MultiChoice {
        options: Vec<Choice>,
    },
    Number {
        unit: Option<String>,
        min: Option<f64>,
        max: Option<f64>,
    },
    Text {
        max_len: Option<u32>,
    },
    Photo {
        min_count: u32,
    },
}

#[uniffi::remote(Enum)]
pub enum HazardWhen {
    Yes,
    No,
    AnyOf { options: Vec<String> },
    Above { value: f64 },
    Below { value: f64 },
}

#[uniffi::remote(Enum)]
pub enum AnswerValue {
    YesNo(bool),
    Choice(String),
    Choices(Vec<String>),
    Number(f64),
    Text(String),
}

#[uniffi::remote(Enum)]
pub enum EvidenceOwner {
    Visit {
        visit_id: String,
    },
    Case {
        case_id: String,
        phase: CasePhotoPhase,
    },
}

#[uniffi::remote(Enum)]
pub enum CasePhotoPhase {
    Report,
    After,
}

#[uniffi::remote(Enum)]
pub enum UploadState {
    Waiting,
    Uploading,
    Stored,
    Failed,
}

#[uniffi::remote(Enum)]
pub enum ImportMode {
    BestEffort,
    AllOrNothing,
    Preview,
}

#[uniffi::remote(Enum)]
pub enum TableFormat {
    Csv,
    Xlsx,
}

#[uniffi::remote(Enum)]
pub enum CoordSystem {
    Wgs84,
    Gcj02,
    Bd09,
}

// ---- records ---------------------------------------------------------------

#[uniffi::remote(Record)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

#[uniffi::remote(Record)]
pub struct LocationFix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub provider: String,
    pub mock: bool,
    pub at: UtcTime,
}

#[uniffi::remote(Record)]
pub struct GeofenceVerdict {
    pub status: GeofenceStatus,
    pub grid_position: GridPosition,
    pub distance_to_grid_m: f64,
    pub distance_to_target_m: Option<f64>,
    pub accuracy_m: f64,
    pub mock: bool,
}

#[uniffi::remote(Record)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub jurisdiction: Vec<String>,
}

#[uniffi::remote(Record)]
pub struct Assignment {
    pub user_id: String,
    pub grid_code: String,
    pub kind: AssignmentKind,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

#[uniffi::remote(Record)]
pub struct GridSummary {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub village_name: String,
    pub assignment: Option<AssignmentKind>,
    pub households: u32,
    pub due_visits: u32,
    pub open_cases: u32,
}

#[uniffi::remote(Record)]
pub struct HouseholdFilter {
    pub query: Option<String>,
    pub tag: Option<Tag>,
    pub kind: Option<PlaceKind>,
    pub due_only: bool,
}

#[uniffi::remote(Record)]
pub struct HouseholdRow {
    pub code: String,
    pub grid_code: String,
    pub kind: PlaceKind,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub tags: Vec<Tag>,
    pub last_visit_at: Option<UtcTime>,
    pub due: DueState,
    pub open_cases: u32,
}

#[uniffi::remote(Record)]
pub struct HouseholdPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<HouseholdRow>,
}

#[uniffi::remote(Record)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub relation: String,
    pub phone_masked: Option<String>,
    pub id_number_masked: Option<String>,
    pub reveal_online: bool,
}

#[uniffi::remote(Record)]
pub struct VisitRef {
    pub visit_id: String,
    pub at: UtcTime,
    pub worker_name: String,
}

#[uniffi::remote(Record)]
pub struct HouseholdDetail {
    pub household: HouseholdRow,
    pub members: Vec<MemberView>,
    pub recent_visits: Vec<VisitRef>,
}

#[uniffi::remote(Record)]
pub struct Choice {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

/// A category to file a case under when it did not come from a visit.
#[uniffi::remote(Record)]
pub struct CaseCategory {
    pub priority: Priority,
    pub subcategory: String,
    pub label_zh: String,
    pub label_en: String,
    pub suggested_severity: Severity,
}

#[uniffi::remote(Record)]
pub struct HazardRule {
    pub when: HazardWhen,
    pub subcategory: String,
    pub severity: Severity,
    pub summary_zh: String,
    pub summary_en: String,
}

#[uniffi::remote(Record)]
pub struct Item {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub kind: ItemKind,
    pub required: bool,
    pub hazards: Vec<HazardRule>,
}

#[uniffi::remote(Record)]
pub struct Section {
    pub priority: Priority,
    pub items: Vec<Item>,
}

#[uniffi::remote(Record)]
pub struct ChecklistTemplate {
    pub id: String,
    pub version: u32,
    pub title_zh: String,
    pub title_en: String,
    pub applies_to: Vec<PlaceKind>,
    pub sections: Vec<Section>,
}

#[uniffi::remote(Record)]
pub struct Answer {
    pub item_code: String,
    pub value: AnswerValue,
}

#[uniffi::remote(Record)]
pub struct HazardFinding {
    pub item_code: String,
    pub item_label_zh: String,
    pub priority: Priority,
    pub subcategory: String,
    pub severity: Severity,
    pub summary_zh: String,
    pub summary_en: String,
    pub answer_text: String,
}

#[uniffi::remote(Record)]
pub struct PhotoInput {
    pub item_code: Option<String>,
    pub path: String,
    pub media_type: String,
    pub taken_at: UtcTime,
    pub fix: Option<LocationFix>,
}

#[uniffi::remote(Record)]
pub struct EvidenceRecord {
    pub id: String,
    pub owner: EvidenceOwner,
    pub item_code: Option<String>,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub taken_at: UtcTime,
    pub fix: Option<LocationFix>,
    pub local_path: Option<String>,
    pub upload_state: UploadState,
    pub upload_offset: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[uniffi::remote(Record)]
pub struct Visit {
    pub id: String,
    pub household_code: String,
    pub grid_code: String,
    pub worker_id: String,
    pub patrol_id: Option<String>,
    pub template_id: String,
    pub template_version: u32,
    pub answers: Vec<Answer>,
    pub notes: String,
    pub at: UtcTime,
    pub fix: Option<LocationFix>,
    pub verdict: Option<GeofenceVerdict>,
}

#[uniffi::remote(Record)]
pub struct VisitInput {
    pub household_code: String,
    pub patrol_id: Option<String>,
    pub template_id: String,
    pub template_version: u32,
    pub answers: Vec<Answer>,
    pub notes: String,
    pub fix: Option<LocationFix>,
    pub photos: Vec<PhotoInput>,
}

#[uniffi::remote(Record)]
pub struct Category {
    pub priority: Priority,
    pub subcategory: String,
}

#[uniffi::remote(Record)]
pub struct CaseSource {
    pub visit_id: String,
    pub item_code: String,
}

#[uniffi::remote(Record)]
pub struct CaseDraft {
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub household_code: Option<String>,
    pub grid_code: String,
    pub source: Option<CaseSource>,
    pub evidence_ids: Vec<String>,
}

#[uniffi::remote(Record)]
pub struct VisitOutcome {
    pub visit: Visit,
    pub evidence: Vec<EvidenceRecord>,
    pub findings: Vec<HazardFinding>,
    pub drafts: Vec<CaseDraft>,
}

#[uniffi::remote(Record)]
pub struct VisitAnswerView {
    pub priority: Priority,
    pub item_code: String,
    pub label_zh: String,
    pub label_en: String,
    pub answer_text: String,
    pub hazard: bool,
}

#[uniffi::remote(Record)]
pub struct VisitDetail {
    pub visit: Visit,
    pub household_name: String,
    pub template_title_zh: String,
    pub answers: Vec<VisitAnswerView>,
    pub evidence: Vec<EvidenceRecord>,
}

#[uniffi::remote(Record)]
pub struct OnSpotResolution {
    pub note: String,
    pub photos: Vec<PhotoInput>,
}

#[uniffi::remote(Record)]
pub struct RegionPath {
    pub city: String,
    pub township: String,
    pub village: String,
    pub grid: String,
}

#[uniffi::remote(Record)]
pub struct ExtensionRequest {
    pub days: u32,
    pub reason: String,
    pub requested_by: String,
}

#[uniffi::remote(Record)]
pub struct Case {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub difficulty: Difficulty,
    pub state: CaseState,
    pub title: String,
    pub description: String,
    pub household_code: Option<String>,
    pub path: RegionPath,
    pub reporter_id: String,
    pub handler_id: Option<String>,
    pub reported_at: UtcTime,
    pub filed_at: Option<UtcTime>,
    pub accept_deadline: UtcTime,
    pub deadline: UtcTime,
    pub extension_days: u32,
    pub pending_extension: Option<ExtensionRequest>,
    pub escalation_level: u8,
    pub resolved_at: Option<UtcTime>,
    pub confirmed_at: Option<UtcTime>,
    pub closed_at: Option<UtcTime>,
    pub dismissed: Option<String>,
    pub on_spot: bool,
    pub send_backs: u32,
    pub last_send_back_reason: Option<String>,
    pub source: Option<CaseSource>,
    pub evidence_ids: Vec<String>,
}

#[uniffi::remote(Record)]
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
    pub reported_at: UtcTime,
    pub deadline: UtcTime,
    pub countdown_secs: Option<i64>,
    pub countdown_label: String,
    pub escalation_level: u8,
}

#[uniffi::remote(Record)]
pub struct TimelineEntry {
    pub seq: u32,
    pub at: UtcTime,
    pub actor_name: String,
    pub actor_role: Option<Role>,
    pub kind: String,
    pub summary_zh: String,
    pub state_after: CaseState,
}

#[uniffi::remote(Record)]
pub struct ChainBreak {
    pub seq: u32,
    pub reason: String,
}

#[uniffi::remote(Record)]
pub struct DueEscalation {
    pub level: u8,
    pub reason: EscalationReason,
    pub since: UtcTime,
}

#[uniffi::remote(Record)]
pub struct Assessment {
    pub level: u8,
    pub due: Vec<DueEscalation>,
    pub next_threshold: Option<UtcTime>,
}

#[uniffi::remote(Record)]
pub struct CaseDetail {
    pub case: Case,
    pub household_name: Option<String>,
    pub handler_name: Option<String>,
    pub reporter_name: String,
    pub timeline: Vec<TimelineEntry>,
    pub allowed_actions: Vec<ActionKind>,
    pub evidence: Vec<EvidenceRecord>,
    pub chain_break: Option<ChainBreak>,
    pub countdown_secs: Option<i64>,
    pub countdown_label: String,
    pub escalation: Assessment,
}

#[uniffi::remote(Record)]
pub struct Patrol {
    pub id: String,
    pub grid_code: String,
    pub worker_id: String,
    pub started_at: UtcTime,
    pub ended_at: Option<UtcTime>,
    pub distance_m: f64,
    pub fix_count: u32,
    pub track_discarded: bool,
}

#[uniffi::remote(Record)]
pub struct TrackPoint {
    pub seq: u32,
    pub fix: LocationFix,
    pub verdict: GeofenceVerdict,
}

#[uniffi::remote(Record)]
pub struct VillageGap {
    pub village_code: String,
    pub area_m2: f64,
    pub geojson: String,
}

#[uniffi::remote(Record)]
pub struct GridOverlap {
    pub grid_a: String,
    pub grid_b: String,
    pub area_m2: f64,
}

#[uniffi::remote(Record)]
pub struct CoverageReport {
    pub land_checked: bool,
    pub grids_checked: u32,
    pub villages_checked: u32,
    pub villages_without_boundary: Vec<String>,
    pub gaps: Vec<VillageGap>,
    pub overlaps: Vec<GridOverlap>,
    pub grids_without_worker: Vec<String>,
    pub households_outside_every_grid: Vec<String>,
    pub households_outside_own_grid: Vec<String>,
    pub open_cases_without_owner: Vec<String>,
}

#[uniffi::remote(Record)]
pub struct ImportError {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[uniffi::remote(Record)]
pub struct ImportReport {
    pub encoding: String,
    pub rows_read: u32,
    pub imported: u32,
    pub errors: Vec<ImportError>,
}

#[uniffi::remote(Record)]
pub struct VerdictCount {
    pub status: String,
    pub count: u32,
}

#[uniffi::remote(Record)]
pub struct MapPlace {
    pub point: LatLon,
    pub row: HouseholdRow,
}

#[uniffi::remote(Record)]
pub struct GridMap {
    pub grid_code: String,
    pub system: CoordSystem,
    pub rings: Vec<Vec<LatLon>>,
    pub places: Vec<MapPlace>,
    pub south_west: LatLon,
    pub north_east: LatLon,
}

#[uniffi::remote(Record)]
pub struct TodayScreen {
    pub grids: Vec<GridSummary>,
    pub due_visits: u32,
    pub open_cases: Vec<CaseRow>,
    pub unread_messages: u32,
    pub pending_operations: u64,
    pub photos_waiting: u32,
    pub photo_bytes_waiting: u64,
    pub last_synced_at: Option<UtcTime>,
    pub day: DaySummary,
    pub open_patrol: Option<Patrol>,
    pub unfinished_visits: Vec<UnfinishedVisit>,
    pub patrols: bool,
}

#[uniffi::remote(Record)]
pub struct UnfinishedVisit {
    pub household_code: String,
    pub household_name: String,
    pub grid_code: String,
    pub answered: u32,
    pub photos: u32,
    pub updated_at: UtcTime,
}

#[uniffi::remote(Record)]
pub struct DaySummary {
    pub day: NaiveDate,
    pub patrols: u32,
    pub distance_m: f64,
    pub visits: u32,
    pub households_visited: u32,
    pub verdicts: Vec<VerdictCount>,
    pub hazards_found: u32,
    pub cases_reported: u32,
    pub resolved_on_spot: u32,
    pub photos: u32,
}
