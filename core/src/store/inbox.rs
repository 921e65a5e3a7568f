//! The inbox in the store. On the server, a case event that people must be
//! told of (`InboxItem::for_event`) becomes one item per recipient, logged
//! for that person's devices to pull, with one push job per live endpoint
//! of theirs — all in the transaction that records the event. On a phone,
//! items arrive by pull and reading one goes back up as an operation, so
//! every device of the person shows it read.

use chrono::{DateTime, Utc};

use super::{from_json, Store, StoreRole, Writer};
use crate::case::{Case, CaseEvent, EventKind};
use crate::clock::{from_ms, to_ms};
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::inbox::InboxItem;
use crate::outbox::Operation;
use crate::user::{Role, User};

/// What notifications a transaction created (the engine reports them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NotifyCount {
    pub inbox_items: u32,
    pub push_jobs: u32,
}

/// The people of one role whose jurisdiction covers a case.
fn covering(users: &[User], case: &Case) -> Vec<String> {
    users
        .iter()
        .filter(|u| u.jurisdiction.iter().any(|c| case.path.contains_code(c)))
        .map(|u| u.id.clone())
        .collect()
}

pub(crate) fn load_item<'a>(sql: impl Into<Sql<'a>>, id: &str) -> Result<Option<InboxItem>> {
    let row: Option<(String, Option<i64>)> = sql.into().query_row(
        "SELECT body, read_at FROM inbox_item WHERE id = ?1",
        &[&id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    row.map(|(body, read_at)| {
        let mut item: InboxItem = from_json("inbox_item.body", &body)?;
        item.read_at = read_at.map(from_ms);
        Ok(item)
    })
    .transpose()
}

impl Writer<'_> {
    /// Users of `role`, read once per transaction.
    fn users_with_role(&mut self, role: Role) -> Result<Vec<User>> {
        if let Some(u) = self.cache.users_by_role.get(&role) {
            return Ok(u.clone());
        }
        let ids: Vec<String> = self.sql().query_map(
            "SELECT id FROM app_user WHERE role = ?1 ORDER BY id",
            &[&role.as_str()],
            |r| r.get(0),
        )?;
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = super::users::load_user(self.sql(), &id)? {
                users.push(u);
            }
        }
        self.cache.users_by_role.insert(role, users.clone());
        Ok(users)
    }

    /// Who must hear of `event` on `case` (the case as it is after it).
    fn recipients(&mut self, case: &Case, event: &CaseEvent) -> Result<Vec<String>> {
        let mut out = match &event.kind {
            EventKind::Escalated { level, .. } => {
                let role = if *level >= 2 {
                    Role::CitySupervisor
                } else {
                    Role::TownshipSupervisor
                };
                covering(&self.users_with_role(role)?, case)
            }
            // 督办 goes to whoever holds the case; before it is dispatched
            // that is the village secretary, who must file and dispatch it.
            EventKind::Urged { .. } => match &case.handler_id {
                Some(h) => vec![h.clone()],
                None => covering(&self.users_with_role(Role::VillageSecretary)?, case),
            },
            EventKind::Dispatched { handler_id } => vec![handler_id.clone()],
            EventKind::Reassigned { to, .. } => vec![to.clone()],
            EventKind::ExtensionRequested { .. } => {
                covering(&self.users_with_role(Role::TownshipSupervisor)?, case)
            }
            _ => Vec::new(),
        };
        // Nobody is told of what they did themselves.
        out.retain(|u| *u != event.actor_id);
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Server: the inbox items (and their push jobs) for a recorded event.
    pub(crate) fn notify(&mut self, case: &Case, event: &CaseEvent) -> Result<()> {
        if self.role != StoreRole::Server {
            return Ok(());
        }
        let recipients = self.recipients(case, event)?;
        for user_id in recipients {
            let Some(item) = InboxItem::for_event(
                &user_id,
                event,
                &case.title,
                case.severity,
                case.escalation_level,
            ) else {
                return Ok(());
            };
            let inserted = self.sql().execute(
                "INSERT INTO inbox_item (id, user_id, case_id, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO NOTHING",
                &[
                    &item.id,
                    &item.user_id,
                    &item.case_id,
                    &serde_json::to_string(&item)?,
                    &to_ms(item.created_at),
                ],
            )?;
            if inserted == 0 {
                continue;
            }
            self.notified.inbox_items += 1;
            // Logged with no origin: the device whose push caused it may be
            // the recipient's own (a supervisor urging a case they handle).
            let origin = self.origin.take();
            let logged = self.record_user_change("inbox_item", &item.id, &user_id);
            self.origin = origin;
            logged?;
            self.notified.push_jobs += self.queue_push_jobs(&item)?;
        }
        Ok(())
    }

    /// Server: mark one of `user_id`'s items read at `at` (the first read
    /// counts), and tell their other devices.
    pub(crate) fn read_inbox_item(
        &mut self,
        user_id: &str,
        item_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let owner: Option<String> = self.sql().query_row(
            "SELECT user_id FROM inbox_item WHERE id = ?1",
            &[&item_id],
            |r| r.get(0),
        )?;
        if owner.as_deref() != Some(user_id) {
            return Err(CoreError::not_found("inbox_item", item_id));
        }
        let changed = self.sql().execute(
            "UPDATE inbox_item SET read_at = ?2 WHERE id = ?1 AND (read_at IS NULL OR read_at > ?2)",
            &[&item_id, &to_ms(at)],
        )?;
        if changed > 0 {
            self.record_user_change("inbox_item", item_id, user_id)?;
        }
        Ok(())
    }

    /// Device: store an item the server sent. A read mark made here and not
    /// yet pushed is kept (it is earlier or the server has none).
    pub(crate) fn store_pulled_item(&mut self, item: &InboxItem) -> Result<()> {
        self.sqlite()?
            .prepare_cached(
                "INSERT INTO inbox_item (id, user_id, case_id, body, created_at, read_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET body = excluded.body,
                   read_at = CASE WHEN inbox_item.read_at IS NULL THEN excluded.read_at
                                  WHEN excluded.read_at IS NULL THEN inbox_item.read_at
                                  ELSE MIN(inbox_item.read_at, excluded.read_at) END",
            )?
            .execute(rusqlite::params![
                item.id,
                item.user_id,
                item.case_id,
                serde_json::to_string(item)?,
                to_ms(item.created_at),
                item.read_at.map(to_ms)
            ])?;
        Ok(())
    }
}

/// An inbox screen: newest first, with the unread count.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub unread: u32,
}

impl Store {
    /// The person's inbox, newest first.
    pub fn inbox(
        &self,
        user_id: &str,
        unread_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<InboxPage> {
        self.read_sql(|c| {
            let ids: Vec<String> = c.query_map(
                "SELECT id FROM inbox_item WHERE user_id = ?1 AND (?2 = 0 OR read_at IS NULL)
                 ORDER BY created_at DESC, id LIMIT ?3 OFFSET ?4",
                &[&user_id, &unread_only, &limit.clamp(1, 500), &offset],
                |r| r.get(0),
            )?;
            let mut items = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(item) = load_item(c, &id)? {
                    items.push(item);
                }
            }
            let unread: u32 = c
                .query_row(
                    "SELECT COUNT(*) FROM inbox_item WHERE user_id = ?1 AND read_at IS NULL",
                    &[&user_id],
                    |r| r.get(0),
                )?
                .unwrap_or_default();
            Ok(InboxPage { items, unread })
        })
    }

    /// Mark an item read here; the mark goes to the server with the next
    /// sync and from there to the person's other devices.
    pub fn mark_inbox_read(&self, user_id: &str, item_id: &str) -> Result<InboxItem> {
        self.write(|w| {
            let item = load_item(w.sql(), item_id)?
                .filter(|i| i.user_id == user_id)
                .ok_or_else(|| CoreError::not_found("inbox_item", item_id))?;
            if item.read_at.is_some() {
                return Ok(item);
            }
            let at = w.now;
            match w.role {
                StoreRole::Server => w.read_inbox_item(user_id, item_id, at)?,
                StoreRole::Device => {
                    w.sqlite()?
                        .prepare_cached("UPDATE inbox_item SET read_at = ?2 WHERE id = ?1")?
                        .execute(rusqlite::params![item_id, to_ms(at)])?;
                    w.emit(&Operation::InboxRead {
                        item_id: item_id.to_string(),
                        at,
                    })?;
                }
            }
            Ok(InboxItem {
                read_at: Some(at),
                ..item
            })
        })
    }
}
