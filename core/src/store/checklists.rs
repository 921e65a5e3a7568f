//! Checklist templates in the store: immutable per (id, version), with the
//! current template per kind of place.

use super::{from_json, Store, Writer};
use crate::checklist::categories::{case_categories, CaseCategory};
use crate::checklist::defaults::default_templates;
use crate::checklist::ChecklistTemplate;
use crate::clock::to_ms;
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::household::PlaceKind;
use crate::outbox::Operation;

impl Writer<'_> {
    /// Store a template version and make it current for its kinds. A stored
    /// (id, version) can never change: the same body again is a no-op, a
    /// different body is refused (visits pin versions).
    pub(crate) fn store_template(&mut self, t: &ChecklistTemplate) -> Result<bool> {
        t.validate()?;
        let body = serde_json::to_string(t)?;
        let sql = self.sql();
        let existing: Option<String> = sql.query_row(
            "SELECT body FROM checklist_template WHERE id = ?1 AND version = ?2",
            &[&t.id, &t.version],
            |r| r.get(0),
        )?;
        if let Some(old) = existing {
            if old == body {
                return Ok(false);
            }
            return Err(CoreError::conflict(format!(
                "模板{} v{}已存在且内容不同，请使用新版本号 / template {} v{} exists with different content; bump the version",
                t.id, t.version, t.id, t.version
            )));
        }
        let newest = newest_version(sql, &t.id)?;
        if newest.is_some_and(|n| n > t.version) {
            return Err(CoreError::invalid(
                "version",
                format!(
                    "已有更新版本v{} / a newer version exists",
                    newest.unwrap_or_default()
                ),
            ));
        }
        sql.execute(
            "INSERT INTO checklist_template (id, version, body, stored_at) VALUES (?1, ?2, ?3, ?4)",
            &[&t.id, &t.version, &body, &to_ms(self.now)],
        )?;
        for kind in &t.applies_to {
            sql.execute(
                "INSERT INTO checklist_current (kind, template_id, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT(kind) DO UPDATE SET template_id = excluded.template_id, version = excluded.version",
                &[&kind.as_str(), &t.id, &t.version],
            )?;
        }
        self.emit(&Operation::TemplateStored {
            template_json: body,
        })?;
        Ok(true)
    }
}

/// The newest stored version of a template, if any.
fn newest_version(sql: Sql<'_>, id: &str) -> Result<Option<u32>> {
    Ok(sql
        .query_row(
            "SELECT MAX(version) FROM checklist_template WHERE id = ?1",
            &[&id],
            |r| r.get::<Option<u32>>(0),
        )?
        .flatten())
}

pub(crate) fn load_template<'a>(
    sql: impl Into<Sql<'a>>,
    id: &str,
    version: u32,
) -> Result<Option<ChecklistTemplate>> {
    let body: Option<String> = sql.into().query_row(
        "SELECT body FROM checklist_template WHERE id = ?1 AND version = ?2",
        &[&id, &version],
        |r| r.get(0),
    )?;
    body.map(|b| from_json("checklist_template.body", &b))
        .transpose()
}

pub(crate) fn current_template<'a>(
    sql: impl Into<Sql<'a>>,
    kind: PlaceKind,
) -> Result<Option<ChecklistTemplate>> {
    let sql = sql.into();
    let cur: Option<(String, u32)> = sql.query_row(
        "SELECT template_id, version FROM checklist_current WHERE kind = ?1",
        &[&kind.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    match cur {
        Some((id, v)) => load_template(sql, &id, v),
        None => Ok(None),
    }
}

impl Store {
    /// Store a template version (administrators). Returns false when that
    /// exact version was already stored.
    pub fn store_template(&self, t: &ChecklistTemplate) -> Result<bool> {
        self.write(|w| w.store_template(t))
    }

    /// Store the shipped default set where nothing newer is stored.
    pub fn install_default_templates(&self) -> Result<u32> {
        let templates = default_templates()?;
        self.write(|w| {
            let mut n = 0;
            for t in &templates {
                let newest = newest_version(w.sql(), &t.id)?;
                if newest.is_none() && w.store_template(t)? {
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// What a case reported without a visit can be filed under: the
    /// current checklists' hazard subcategories per priority, and "other".
    pub fn case_categories(&self) -> Result<Vec<CaseCategory>> {
        let templates = self.read_sql(|c| {
            let mut out = Vec::new();
            for kind in PlaceKind::ALL {
                if let Some(t) = current_template(c, kind)? {
                    if !out
                        .iter()
                        .any(|o: &ChecklistTemplate| o.id == t.id && o.version == t.version)
                    {
                        out.push(t);
                    }
                }
            }
            Ok(out)
        })?;
        Ok(case_categories(&templates))
    }

    /// The checklist a visit to this kind of place uses now.
    pub fn checklist_for_kind(&self, kind: PlaceKind) -> Result<ChecklistTemplate> {
        self.read_sql(|sql| current_template(sql, kind))?
            .ok_or_else(|| CoreError::not_found("checklist template", kind.as_str()))
    }

    /// The checklist for a visit to this household or place, if the person
    /// reaches it.
    pub fn checklist_for(&self, user_id: &str, household_code: &str) -> Result<ChecklistTemplate> {
        let now = self.now();
        self.read_sql(|c| {
            let a = super::users::actor(c, user_id, now)?;
            let h = super::households::load_household(c, household_code)?
                .ok_or_else(|| CoreError::not_found("household", household_code))?;
            super::households::require_grid_reach(c, &a, &h.grid_code)
                .map_err(|_| CoreError::not_found("household", household_code))?;
            current_template(c, h.kind)?
                .ok_or_else(|| CoreError::not_found("checklist template", h.kind.as_str()))
        })
    }

    /// A specific stored version (old visits stay readable).
    pub fn template(&self, id: &str, version: u32) -> Result<ChecklistTemplate> {
        self.read_sql(|sql| load_template(sql, id, version))?
            .ok_or_else(|| CoreError::not_found("checklist template", format!("{id} v{version}")))
    }
}
