//! Push endpoints, quiet hours and the push queue (ADR 0011).
//!
//! Devices register endpoints with an operation (the shell obtains the
//! token; the core sends it); the server keeps one per device and kind.
//! Each inbox item gets one job per live endpoint of its recipient, in the
//! transaction that creates the item, so an item is never announced twice
//! to one endpoint and never silently not at all. Delivery is the server's
//! (`gridwork-push`): it claims due jobs — atomically, with a lease, so two
//! server processes never both hold one — and records each attempt here.
//! A process that dies holding a job gives it up when the lease runs out
//! (that one job may then go twice; its collapse key lets the phone show it
//! once). Claims and outcomes are committed without an fsync for the same
//! reason: after a power loss a job is at worst sent again, never lost.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{from_json, Store, Writer};
use crate::clock::{from_ms, to_ms};
use crate::db::{Dialect, Sql};
use crate::error::{CoreError, Result};
use crate::inbox::{InboxItem, PushEndpoint, QuietHours};
use crate::outbox::Operation;

/// Where one job goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushAddress {
    Endpoint(PushEndpoint),
    /// The SMS hook, for critical items, to the person's registered phone.
    Sms {
        phone: String,
    },
}

impl PushAddress {
    pub fn kind(&self) -> &'static str {
        match self {
            PushAddress::Endpoint(e) => e.kind(),
            PushAddress::Sms { .. } => "sms",
        }
    }
}

/// A claimed job: everything the dispatcher needs to deliver it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushJob {
    pub id: i64,
    pub item: InboxItem,
    pub address: PushAddress,
    /// The recipient's quiet hours (China time); `None`: none.
    pub quiet: Option<QuietHours>,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// What became of a claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushJobUpdate {
    /// Not attempted: held for the recipient's quiet hours.
    Held { until: DateTime<Utc> },
    /// Delivered to the provider.
    Delivered,
    /// Failed; try again then.
    RetryAt { at: DateTime<Utc>, detail: String },
    /// The retries are used up (the item is still in the inbox).
    GaveUp { detail: String },
    /// The provider refused it for good.
    Rejected { detail: String },
    /// The endpoint is gone: prune it and drop its other waiting jobs.
    DeadEndpoint,
    /// Not attempted: another job found its endpoint dead first.
    Dropped,
}

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushDelivery {
    pub job_id: i64,
    pub item_id: String,
    pub case_id: String,
    pub user_id: String,
    /// web_push, apns, jpush or sms.
    pub kind: String,
    /// 0 for a hold (no attempt made).
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// held, delivered, retry, gave_up, rejected, dead_endpoint, dropped.
    pub outcome: String,
    pub detail: Option<String>,
}

/// The meta key listing the kinds the server has channels for.
const PUSH_KINDS_KEY: &str = "push_kinds";

impl Writer<'_> {
    /// Server: one pending job per live endpoint of the item's recipient
    /// whose kind has a channel, and the SMS hook for critical items.
    pub(crate) fn queue_push_jobs(&mut self, item: &InboxItem) -> Result<u32> {
        let kinds: Vec<String> = self
            .sql()
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                &[&PUSH_KINDS_KEY],
                |r| r.get::<String>(0),
            )?
            .map(|s| from_json("meta.push_kinds", &s))
            .transpose()?
            .unwrap_or_default();
        if kinds.is_empty() {
            return Ok(0);
        }
        if item.critical && kinds.iter().any(|k| k == "sms") {
            let phone = super::users::load_user(self.sql(), &item.user_id)?.and_then(|u| u.phone);
            if let Some(phone) = phone {
                self.sql().execute(
                    "INSERT INTO push_endpoint (user_id, device_id, kind, target, registered_at)
                     VALUES (?1, ?2, 'sms', ?3, ?4)
                     ON CONFLICT(device_id, kind) DO UPDATE SET target = excluded.target, dead_at = NULL",
                    &[
                        &item.user_id,
                        &format!("sms:{}", item.user_id),
                        &serde_json::to_string(&PushAddress::Sms { phone })?,
                        &to_ms(self.now),
                    ],
                )?;
            }
        }
        let endpoints: Vec<(i64, String)> = self.sql().query_map(
            "SELECT id, kind FROM push_endpoint WHERE user_id = ?1 AND dead_at IS NULL ORDER BY id",
            &[&item.user_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut queued = 0;
        for (endpoint_id, kind) in endpoints {
            if !kinds.contains(&kind) || (kind == "sms" && !item.critical) {
                continue;
            }
            queued += self.sql().execute(
                "INSERT INTO push_job (item_id, endpoint_id, state, due_at, created_at)
                 VALUES (?1, ?2, 'pending', ?3, ?3) ON CONFLICT(item_id, endpoint_id) DO NOTHING",
                &[&item.id, &endpoint_id, &to_ms(self.now)],
            )? as u32;
        }
        Ok(queued)
    }

    /// Server: the endpoint a device registered (one per device and kind; a
    /// new token replaces the old one and revives it if it was pruned).
    pub(crate) fn register_endpoint(
        &mut self,
        user_id: &str,
        endpoint: &PushEndpoint,
    ) -> Result<()> {
        endpoint.validate()?;
        let device = self
            .origin
            .clone()
            .ok_or_else(|| CoreError::invalid("device_id", "没有设备 / no device"))?;
        self.sql().execute(
            "INSERT INTO push_endpoint (user_id, device_id, kind, target, registered_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(device_id, kind) DO UPDATE SET user_id = excluded.user_id,
               target = excluded.target, registered_at = excluded.registered_at, dead_at = NULL",
            &[
                &user_id,
                &device,
                &endpoint.kind(),
                &serde_json::to_string(&PushAddress::Endpoint(endpoint.clone()))?,
                &to_ms(self.now),
            ],
        )?;
        Ok(())
    }

    pub(crate) fn remove_endpoint(&mut self, kind: &str) -> Result<()> {
        let device = self.origin.clone().unwrap_or_default();
        self.sql().execute(
            "DELETE FROM push_endpoint WHERE device_id = ?1 AND kind = ?2",
            &[&device, &kind],
        )?;
        Ok(())
    }

    /// Both roles: a person's quiet hours (`None`: none at all).
    pub(crate) fn store_quiet_hours(
        &mut self,
        user_id: &str,
        quiet: Option<QuietHours>,
    ) -> Result<()> {
        if let Some(q) = quiet {
            if q.start == q.end {
                return Err(CoreError::invalid(
                    "quiet.end",
                    "勿扰时段的开始和结束不能相同 / quiet hours must not start and end at the same time",
                ));
            }
        }
        let fmt = |t: NaiveTime| t.format("%H:%M:%S").to_string();
        self.sql().execute(
            "INSERT INTO notify_setting (user_id, quiet_start, quiet_end, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(user_id) DO UPDATE SET quiet_start = excluded.quiet_start,
               quiet_end = excluded.quiet_end, updated_at = excluded.updated_at",
            &[
                &user_id,
                &quiet.map(|q| fmt(q.start)),
                &quiet.map(|q| fmt(q.end)),
                &to_ms(self.now),
            ],
        )?;
        self.record_user_change("quiet_hours", user_id, user_id)
    }
}

/// A person's quiet hours: what they set, or 22:00–07:00 if they never did.
pub(crate) fn quiet_hours_of<'a>(
    sql: impl Into<Sql<'a>>,
    user_id: &str,
) -> Result<Option<QuietHours>> {
    let row: Option<(Option<String>, Option<String>)> = sql.into().query_row(
        "SELECT quiet_start, quiet_end FROM notify_setting WHERE user_id = ?1",
        &[&user_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let parse = |s: &str| {
        NaiveTime::parse_from_str(s, "%H:%M:%S")
            .map_err(|_| CoreError::corrupt("notify_setting", s))
    };
    Ok(match row {
        None => Some(QuietHours::default_night()),
        Some((Some(start), Some(end))) => Some(QuietHours {
            start: parse(&start)?,
            end: parse(&end)?,
        }),
        Some(_) => None,
    })
}

impl Store {
    /// Register this device's push endpoint for the signed-in person. Sent
    /// with the next sync; calling again with the same endpoint changes
    /// nothing (shells call it at every start).
    pub fn register_push_endpoint(&self, endpoint: &PushEndpoint) -> Result<bool> {
        endpoint.validate()?;
        self.write(|w| {
            let key = format!("push_endpoint:{}", endpoint.kind());
            let text = serde_json::to_string(endpoint)?;
            let same: Option<String> =
                w.sql()
                    .query_row("SELECT value FROM meta WHERE key = ?1", &[&key], |r| {
                        r.get(0)
                    })?;
            if same.as_deref() == Some(text.as_str()) {
                return Ok(false);
            }
            w.sql().execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                &[&key, &text],
            )?;
            w.emit(&Operation::PushEndpointRegistered {
                endpoint: endpoint.clone(),
            })?;
            Ok(true)
        })
    }

    /// The endpoints this device registered.
    pub fn push_endpoints(&self) -> Result<Vec<PushEndpoint>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT value FROM meta WHERE key LIKE 'push_endpoint:%' ORDER BY key",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for text in rows {
                out.push(from_json("meta.push_endpoint", &text?)?);
            }
            Ok(out)
        })
    }

    /// Forget this device's endpoint of a kind (the person turned push off).
    pub fn unregister_push_endpoint(&self, kind: &str) -> Result<()> {
        self.write(|w| {
            let removed = w
                .sqlite()?
                .prepare_cached("DELETE FROM meta WHERE key = ?1")?
                .execute([format!("push_endpoint:{kind}")])?;
            if removed > 0 {
                w.emit(&Operation::PushEndpointRemoved {
                    kind: kind.to_string(),
                })?;
            }
            Ok(())
        })
    }

    /// Set the person's quiet hours (`None`: notify at any hour).
    pub fn set_quiet_hours(&self, user_id: &str, quiet: Option<QuietHours>) -> Result<()> {
        self.write(|w| {
            w.store_quiet_hours(user_id, quiet)?;
            w.emit(&Operation::QuietHoursSet {
                user_id: user_id.to_string(),
                quiet,
            })
        })
    }

    pub fn quiet_hours(&self, user_id: &str) -> Result<Option<QuietHours>> {
        self.read_sql(|sql| quiet_hours_of(sql, user_id))
    }

    /// Server: the kinds of endpoint this server has channels for (the
    /// others get no jobs; their items are in the inbox all the same).
    pub fn set_push_kinds(&self, kinds: &[&str]) -> Result<()> {
        self.write(|w| {
            w.sql().execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                &[&PUSH_KINDS_KEY, &serde_json::to_string(kinds)?],
            )?;
            Ok(())
        })
    }

    /// Server: take up to `limit` jobs due at the store's clock for this
    /// process: pending or held ones whose time has come, and ones another
    /// process claimed but whose lease ran out by `wall_now_ms` (real time:
    /// a lease is about a process being alive, whatever a test clock says).
    pub fn claim_push_jobs(
        &self,
        limit: u32,
        wall_now_ms: i64,
        lease_ms: i64,
    ) -> Result<Vec<PushJob>> {
        self.write_relaxed(|w| {
            let now = to_ms(w.now);
            // On PostgreSQL, instances dispatching at once claim disjoint
            // jobs: a row another instance is claiming is skipped, not
            // waited for; the lease then keeps it theirs.
            let claim = match w.sql().dialect() {
                Dialect::Postgres => " FOR UPDATE OF j SKIP LOCKED",
                Dialect::Sqlite => "",
            };
            let rows: Vec<(i64, String, String, u32, String)> = w.sql().query_map(
                &format!(
                    "SELECT j.id, i.body, e.target, j.attempts, i.user_id
                     FROM push_job j JOIN inbox_item i ON i.id = j.item_id
                     JOIN push_endpoint e ON e.id = j.endpoint_id
                     WHERE (j.state IN ('pending', 'held') AND j.due_at <= ?1)
                        OR (j.state = 'sending' AND j.lease_until <= ?2)
                     ORDER BY j.due_at, j.id LIMIT ?3{claim}"
                ),
                &[&now, &wall_now_ms, &limit],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;
            let mut jobs = Vec::with_capacity(rows.len());
            for (id, body, target, attempts, user_id) in rows {
                w.sql().execute(
                    "UPDATE push_job SET state = 'sending', lease_until = ?2 WHERE id = ?1",
                    &[&id, &wall_now_ms.saturating_add(lease_ms)],
                )?;
                let item: InboxItem = from_json("inbox_item.body", &body)?;
                jobs.push(PushJob {
                    id,
                    item,
                    address: from_json("push_endpoint.target", &target)?,
                    quiet: quiet_hours_of(w.sql(), &user_id)?,
                    attempts,
                });
            }
            Ok(jobs)
        })
    }

    /// Server: record what became of a claimed job, with its log line.
    pub fn finish_push_job(&self, job_id: i64, update: &PushJobUpdate) -> Result<()> {
        self.write_relaxed(|w| {
            let now = to_ms(w.now);
            let attempts: Option<u32> = w.sql().query_row(
                "SELECT attempts FROM push_job WHERE id = ?1 AND state = 'sending'",
                &[&job_id],
                |r| r.get(0),
            )?;
            // Not ours any more (its lease ran out and another took it).
            let Some(attempts) = attempts else {
                return Ok(());
            };
            let attempt = attempts + 1;
            let (state, due, outcome, detail, attempt) = match update {
                PushJobUpdate::Held { until } => (
                    "held",
                    Some(to_ms(*until)),
                    "held",
                    Some(until.to_rfc3339()),
                    0,
                ),
                PushJobUpdate::Delivered => ("delivered", None, "delivered", None, attempt),
                PushJobUpdate::RetryAt { at, detail } => (
                    "pending",
                    Some(to_ms(*at)),
                    "retry",
                    Some(detail.clone()),
                    attempt,
                ),
                PushJobUpdate::GaveUp { detail } => {
                    ("gave_up", None, "gave_up", Some(detail.clone()), attempt)
                }
                PushJobUpdate::Rejected { detail } => {
                    ("rejected", None, "rejected", Some(detail.clone()), attempt)
                }
                PushJobUpdate::DeadEndpoint => {
                    ("dead_endpoint", None, "dead_endpoint", None, attempt)
                }
                PushJobUpdate::Dropped => (
                    "dropped",
                    None,
                    "dropped",
                    Some("endpoint dead".to_string()),
                    0,
                ),
            };
            let done = due.is_none();
            w.sql().execute(
                "UPDATE push_job SET state = ?2, attempts = ?3, due_at = COALESCE(?4, due_at),
                   lease_until = NULL, finished_at = CASE WHEN ?5 = 1 THEN ?6 ELSE NULL END,
                   reason = ?7 WHERE id = ?1",
                &[
                    &job_id,
                    &state,
                    &attempts.max(attempt),
                    &due,
                    &done,
                    &now,
                    &detail,
                ],
            )?;
            log_delivery(w, job_id, attempt, now, outcome, detail.as_deref())?;
            if *update == PushJobUpdate::DeadEndpoint {
                let endpoint: i64 = w
                    .sql()
                    .query_row(
                        "SELECT endpoint_id FROM push_job WHERE id = ?1",
                        &[&job_id],
                        |r| r.get(0),
                    )?
                    .ok_or_else(|| CoreError::not_found("push job", job_id.to_string()))?;
                w.sql().execute(
                    "UPDATE push_endpoint SET dead_at = ?2 WHERE id = ?1",
                    &[&endpoint, &now],
                )?;
                // Its other waiting jobs would fail the same way.
                let others: Vec<(i64, u32)> = w.sql().query_map(
                    "SELECT id, attempts FROM push_job WHERE endpoint_id = ?1 AND id != ?2
                       AND state IN ('pending', 'held')",
                    &[&endpoint, &job_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                for (other, tries) in others {
                    w.sql().execute(
                        "UPDATE push_job SET state = 'dropped', finished_at = ?2 WHERE id = ?1",
                        &[&other, &now],
                    )?;
                    log_delivery(w, other, tries, now, "dropped", Some("endpoint dead"))?;
                }
            }
            Ok(())
        })
    }

    /// Server: the earliest time a waiting job is due (the dispatcher's timer).
    pub fn next_push_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.read_sql(|sql| {
            let t: Option<i64> = sql
                .query_row(
                    "SELECT MIN(due_at) FROM push_job WHERE state IN ('pending', 'held')",
                    &[],
                    |r| r.get(0),
                )?
                .flatten();
            Ok(t.map(from_ms))
        })
    }

    /// Server: the delivery log, oldest first, of one case (or everything).
    pub fn push_deliveries(&self, case_id: Option<&str>) -> Result<Vec<PushDelivery>> {
        self.read_sql(|sql| {
            sql.query_map(
                "SELECT d.job_id, i.id, i.case_id, i.user_id, e.kind, d.attempt, d.at, d.outcome, d.detail
                 FROM push_delivery d JOIN push_job j ON j.id = d.job_id
                 JOIN inbox_item i ON i.id = j.item_id JOIN push_endpoint e ON e.id = j.endpoint_id
                 WHERE CAST(?1 AS TEXT) IS NULL OR i.case_id = ?1 ORDER BY d.id",
                &[&case_id],
                |r| {
                Ok(PushDelivery {
                    job_id: r.get(0)?,
                    item_id: r.get(1)?,
                    case_id: r.get(2)?,
                    user_id: r.get(3)?,
                    kind: r.get(4)?,
                    attempt: r.get(5)?,
                    at: from_ms(r.get(6)?),
                    outcome: r.get(7)?,
                    detail: r.get(8)?,
                })
            },
            )
        })
    }
}

fn log_delivery(
    w: &mut Writer<'_>,
    job: i64,
    attempt: u32,
    at: i64,
    outcome: &str,
    detail: Option<&str>,
) -> Result<()> {
    w.sql().execute(
        "INSERT INTO push_delivery (job_id, attempt, at, outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[&job, &attempt, &at, &outcome, &detail],
    )?;
    Ok(())
}
