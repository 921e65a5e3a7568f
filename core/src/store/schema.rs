//! Device schema, in versioned migrations (rusqlite_migration, keyed on
//! SQLite's `user_version`). Never edit a released migration: add one.
//! Every migration is tested by upgrading a database populated at each
//! earlier version (tests/store_migrations.rs).

use rusqlite::Transaction;
use rusqlite_migration::{HookError, Migrations, M};

use crate::household::{tags_from_text, PlaceKind};
use crate::visit::VisitPolicy;

/// Version 1: the domain as first released.
const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE region (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT,
    boundary    TEXT,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX region_parent ON region(parent_code);

CREATE TABLE grid (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    village_code TEXT NOT NULL,
    boundary     TEXT NOT NULL,
    min_lon REAL NOT NULL, min_lat REAL NOT NULL,
    max_lon REAL NOT NULL, max_lat REAL NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX grid_village ON grid(village_code);

CREATE TABLE household (
    code       TEXT PRIMARY KEY,
    grid_code  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    tags       TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX household_grid ON household(grid_code, code);

CREATE TABLE member (
    id             TEXT PRIMARY KEY,
    household_code TEXT NOT NULL,
    name           TEXT NOT NULL,
    relation       TEXT NOT NULL,
    phone          TEXT,
    id_number      TEXT,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX member_household ON member(household_code);

CREATE TABLE app_user (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    phone        TEXT,
    jurisdiction TEXT NOT NULL
) STRICT;

CREATE TABLE assignment (
    user_id   TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    kind      TEXT NOT NULL,
    from_day  TEXT NOT NULL,
    to_day    TEXT,
    PRIMARY KEY (user_id, grid_code, from_day)
) STRICT;
CREATE INDEX assignment_grid ON assignment(grid_code);

CREATE TABLE checklist_template (
    id        TEXT NOT NULL,
    version   INTEGER NOT NULL,
    body      TEXT NOT NULL,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
) STRICT;

CREATE TABLE checklist_current (
    kind        TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    version     INTEGER NOT NULL
) STRICT;

CREATE TABLE patrol (
    id              TEXT PRIMARY KEY,
    grid_code       TEXT NOT NULL,
    worker_id       TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    distance_m      REAL NOT NULL DEFAULT 0,
    fix_count       INTEGER NOT NULL DEFAULT 0,
    track_discarded INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX patrol_worker ON patrol(worker_id, started_at);

CREATE TABLE patrol_fix (
    patrol_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (patrol_id, seq)
) STRICT;

CREATE TABLE visit (
    id               TEXT PRIMARY KEY,
    household_code   TEXT NOT NULL,
    grid_code        TEXT NOT NULL,
    worker_id        TEXT NOT NULL,
    patrol_id        TEXT,
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    notes            TEXT NOT NULL,
    at               INTEGER NOT NULL,
    fix              TEXT,
    verdict_status   TEXT,
    verdict          TEXT,
    -- The answers as given: deflated JSON (a visit is read and written
    -- whole; ~30 answers compress from ~2 KB to a few hundred bytes).
    answers          BLOB NOT NULL DEFAULT x'',
    -- Codes of the items whose answers meant a hazard, comma separated.
    hazard_items     TEXT NOT NULL DEFAULT '',
    hazard_count     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX visit_household ON visit(household_code, at);
CREATE INDEX visit_worker ON visit(worker_id, at);

CREATE TABLE case_file (
    id               TEXT PRIMARY KEY,
    priority         TEXT NOT NULL,
    subcategory      TEXT NOT NULL,
    severity         TEXT NOT NULL,
    state            TEXT NOT NULL,
    title            TEXT NOT NULL,
    household_code   TEXT,
    grid_code        TEXT NOT NULL,
    village_code     TEXT NOT NULL,
    township_code    TEXT NOT NULL,
    city_code        TEXT NOT NULL,
    reporter_id      TEXT NOT NULL,
    handler_id       TEXT,
    reported_at      INTEGER NOT NULL,
    deadline_at      INTEGER NOT NULL,
    escalation_level INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    data             TEXT NOT NULL
) STRICT;
CREATE INDEX case_handler ON case_file(handler_id, state);
CREATE INDEX case_reporter ON case_file(reporter_id, state);
CREATE INDEX case_village ON case_file(village_code, state);
CREATE INDEX case_township ON case_file(township_code, escalation_level);
CREATE INDEX case_grid ON case_file(grid_code, state);
CREATE INDEX case_household ON case_file(household_code, state);

CREATE TABLE case_event (
    id       TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    kind     TEXT NOT NULL,
    body     TEXT NOT NULL,
    hash     TEXT NOT NULL,
    UNIQUE (case_id, seq)
) STRICT;

CREATE TABLE evidence (
    id            TEXT PRIMARY KEY,
    owner_kind    TEXT NOT NULL,
    owner_id      TEXT NOT NULL,
    phase         TEXT,
    item_code     TEXT,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    media_type    TEXT NOT NULL,
    taken_at      INTEGER NOT NULL,
    fix           TEXT,
    local_path    TEXT,
    upload_state  TEXT NOT NULL DEFAULT 'waiting',
    upload_offset INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX evidence_owner ON evidence(owner_kind, owner_id);
CREATE INDEX evidence_upload ON evidence(upload_state, created_at);

CREATE TABLE pii_reveal (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    member_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;

CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id      TEXT NOT NULL UNIQUE,
    hlc        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
"#;

/// Version 2: the household list screen sorted by due state was scanning
/// visits per row; keep the last visit and the next due time on the
/// household instead, backfilled from the visits already stored.
const V2: &str = r#"
ALTER TABLE household ADD COLUMN last_visit_at INTEGER;
ALTER TABLE household ADD COLUMN interval_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE household ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX household_due ON household(grid_code, due_at, code);
UPDATE household SET last_visit_at =
    (SELECT MAX(at) FROM visit WHERE visit.household_code = household.code);
"#;

/// Version 3: sync. Devices keep conflicts the server answered; servers keep
/// a change log (what each device pulls, scoped by region) and the answer to
/// every operation they applied (idempotency). Registers gain the HLC of
/// their last write for last-writer-wins.
const V3: &str = r#"
ALTER TABLE household ADD COLUMN hlc TEXT NOT NULL DEFAULT '';
ALTER TABLE member ADD COLUMN hlc TEXT NOT NULL DEFAULT '';

CREATE TABLE conflict (
    id        TEXT PRIMARY KEY,
    op_id     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    code      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    summary   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    seen      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE change_log (
    rev       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,
    grid      TEXT,
    village   TEXT,
    township  TEXT,
    city      TEXT,
    global    INTEGER NOT NULL DEFAULT 0,
    -- The device whose push caused it (its own visits are not sent back).
    origin    TEXT,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX change_grid ON change_log(grid, rev);
CREATE INDEX change_village ON change_log(village, rev);
CREATE INDEX change_township ON change_log(township, rev);
CREATE INDEX change_city ON change_log(city, rev);
CREATE INDEX change_global ON change_log(global, rev);

CREATE TABLE op_log (
    op_id     TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    answer    TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX op_log_at ON op_log(at);
"#;

/// Version 4: the photo upload queue (ADR 0010). `queued_at` marks this
/// device's own photos (evidence that arrived by sync has none and is never
/// uploaded from here); the tus upload URL and whether the stored offset was
/// confirmed by the server; the backoff instant (also the lease of a job
/// handed to the shell); whether a failure may be retried; the job in flight;
/// and bounded counters for checksum retries and "server does not know the
/// evidence" answers. Priority is not stored: it follows the case's current
/// severity, read at query time.
const V4: &str = r#"
ALTER TABLE evidence ADD COLUMN queued_at INTEGER;
ALTER TABLE evidence ADD COLUMN upload_url TEXT;
ALTER TABLE evidence ADD COLUMN offset_known INTEGER NOT NULL DEFAULT 0;
ALTER TABLE evidence ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE evidence ADD COLUMN retryable INTEGER NOT NULL DEFAULT 1;
ALTER TABLE evidence ADD COLUMN job_id TEXT;
ALTER TABLE evidence ADD COLUMN job_step TEXT;
ALTER TABLE evidence ADD COLUMN checksum_retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE evidence ADD COLUMN unknown_retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE evidence ADD COLUMN stored_at INTEGER;
UPDATE evidence SET queued_at = created_at WHERE local_path IS NOT NULL;
CREATE INDEX evidence_queue ON evidence(queued_at, upload_state, next_attempt_at);
CREATE INDEX evidence_job ON evidence(job_id) WHERE job_id IS NOT NULL;
-- "Has this photo's record been answered yet?" is asked per queued photo.
CREATE INDEX outbox_entity ON outbox(entity_id, kind);
"#;

/// Version 5: escalations and notifications (ADR 0011). Cases carry the
/// next instant the escalation function must look at them, so the engine's
/// pass reads only what is due. `escalation` holds each (case, level) once:
/// two engines racing on one database cannot both record it. Inbox items
/// per person; change-log rows scoped to one person (their inbox, their
/// settings). On the server: the push endpoints devices registered, each
/// person's quiet hours, the push jobs (one per item and endpoint) with
/// their lease, and the delivery log.
const V5: &str = r#"
ALTER TABLE case_file ADD COLUMN next_escalation_at INTEGER;
CREATE INDEX case_next_escalation ON case_file(next_escalation_at)
    WHERE next_escalation_at IS NOT NULL;

CREATE TABLE escalation (
    case_id     TEXT NOT NULL,
    level       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    since       INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, level)
) STRICT;

CREATE TABLE inbox_item (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
) STRICT;
CREATE INDEX inbox_user ON inbox_item(user_id, created_at);

ALTER TABLE change_log ADD COLUMN user_id TEXT;
CREATE INDEX change_user ON change_log(user_id, rev) WHERE user_id IS NOT NULL;

CREATE TABLE push_endpoint (
    id            INTEGER PRIMARY KEY,
    user_id       TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    target        TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    dead_at       INTEGER,
    UNIQUE (device_id, kind)
) STRICT;
CREATE INDEX push_endpoint_user ON push_endpoint(user_id);

CREATE TABLE notify_setting (
    user_id     TEXT PRIMARY KEY,
    quiet_start TEXT,
    quiet_end   TEXT,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE push_job (
    id          INTEGER PRIMARY KEY,
    item_id     TEXT NOT NULL,
    endpoint_id INTEGER NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_at      INTEGER NOT NULL,
    lease_until INTEGER,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    reason      TEXT,
    UNIQUE (item_id, endpoint_id)
) STRICT;
CREATE INDEX push_job_due ON push_job(state, due_at);

CREATE TABLE push_delivery (
    id       INTEGER PRIMARY KEY,
    job_id   INTEGER NOT NULL,
    attempt  INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    outcome  TEXT NOT NULL,
    detail   TEXT
) STRICT;
CREATE INDEX push_delivery_job ON push_delivery(job_id);
"#;

/// Fill `next_escalation_at` for open cases already stored.
fn backfill_next_escalation(tx: &Transaction) -> Result<(), HookError> {
    let policy: crate::case::DeadlinePolicy = tx
        .prepare_cached("SELECT value FROM meta WHERE key = 'deadline_policy'")?
        .query_row([], |r| r.get::<_, String>(0))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let rows: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT id, data FROM case_file")?;
        let mapped = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        mapped.collect::<Result<_, _>>()?
    };
    let mut update = tx.prepare("UPDATE case_file SET next_escalation_at = ?2 WHERE id = ?1")?;
    for (id, data) in rows {
        let Ok(case) = serde_json::from_str::<crate::case::Case>(&data) else {
            continue;
        };
        let next = crate::escalation::next_check(&case, &policy).map(|t| t.timestamp_millis());
        update.execute(rusqlite::params![id, next])?;
    }
    Ok(())
}

/// Fill `interval_days` and `due_at` for existing households (tags decide
/// the interval; see `VisitPolicy`). A never-visited place is due at 0.
fn backfill_due(tx: &Transaction) -> Result<(), HookError> {
    let policy: VisitPolicy = tx
        .prepare_cached("SELECT value FROM meta WHERE key = 'visit_policy'")?
        .query_row([], |r| r.get::<_, String>(0))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let rows: Vec<(String, String, String, Option<i64>)> = {
        let mut stmt = tx.prepare("SELECT code, kind, tags, last_visit_at FROM household")?;
        let mapped = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        mapped.collect::<Result<_, _>>()?
    };
    let mut update =
        tx.prepare("UPDATE household SET interval_days = ?2, due_at = ?3 WHERE code = ?1")?;
    for (code, kind, tags, last) in rows {
        let kind = PlaceKind::parse(&kind).unwrap_or(PlaceKind::Other);
        let days = policy.interval_days(kind, &tags_from_text(&tags));
        let due = last.map_or(0, |l| l + i64::from(days) * 86_400_000);
        update.execute(rusqlite::params![code, days, due])?;
    }
    Ok(())
}

/// Version 6: partial indexes for the change rows scoped exactly at a
/// village, township or city (region rows, supervisors' and secretaries'
/// user rows). A device's pull asks for the rows of its reach's ancestors
/// ("grid IS NULL AND village IN …"); without these, that arm read every
/// row of the village, township or city (the whole log for "city IN …"),
/// and a first pull scanned the log: 150 ms per page at 170,000 rows.
const V6: &str = r#"
CREATE INDEX change_village_only ON change_log(village, rev) WHERE grid IS NULL;
CREATE INDEX change_township_only ON change_log(township, rev) WHERE village IS NULL;
CREATE INDEX change_city_only ON change_log(city, rev) WHERE township IS NULL;
"#;

/// Version 7: a device may hold a member's numbers masked (PIPL: only the
/// grid's workers and the village secretary get them whole).
const V7: &str = r#"
ALTER TABLE member ADD COLUMN pii_masked INTEGER NOT NULL DEFAULT 0;
"#;

/// Version 8: unfinished visits kept on the phone (the camera app often
/// gets the app killed; the answers must survive it). Never synced.
const V8: &str = r#"
CREATE TABLE visit_draft (
    worker_id      TEXT NOT NULL,
    household_code TEXT NOT NULL,
    body           TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (worker_id, household_code)
) STRICT;
"#;

/// The same schema for the server on PostgreSQL (ADR 0018): every
/// migration's SQL translated by [`crate::db::ddl_for_postgres`]. A
/// PostgreSQL database starts empty at the first version, so the data
/// hooks (V2's due times, V5's escalation instants, which fill columns
/// from rows already stored) have nothing to fill there.
pub fn postgres_migrations() -> Vec<String> {
    [V1, V2, V3, V4, V5, V6, V7, V8]
        .iter()
        .map(|sql| crate::db::ddl_for_postgres(sql))
        .collect()
}

/// All migrations, oldest first.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up_with_hook(V2, backfill_due),
        M::up(V3),
        M::up(V4),
        M::up_with_hook(V5, backfill_next_escalation),
        M::up(V6),
        M::up(V7),
        M::up(V8),
    ])
}

/// The schema version a fully migrated database has.
pub const LATEST_VERSION: usize = 8;
