//! Reading the outbox (the sync client drains it; tests inspect it).

use rusqlite::OptionalExtension;

use super::{from_json, Store};
use crate::clock::from_ms;
use crate::error::{CoreError, Result};
use crate::outbox::OutboxEntry;

impl Store {
    /// Pending operations, oldest first.
    pub fn outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.outbox_after(None, limit)
    }

    /// The oldest waiting operations after sequence number `after` (all
    /// of them when `None`): the next batch while earlier ones are still on
    /// their way to the server.
    pub fn outbox_after(&self, after: Option<i64>, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT op_id, hlc, created_at, payload, seq FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(rusqlite::params![after.unwrap_or(i64::MIN), limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            rows.map(|row| {
                let (op_id, hlc, created_at, payload, seq) = row?;
                Ok(OutboxEntry {
                    seq,
                    op_id,
                    hlc: hlc
                        .parse()
                        .map_err(|e: String| CoreError::corrupt("outbox.hlc", e))?,
                    created_at: from_ms(created_at),
                    operation: from_json("outbox.payload", &payload)?,
                })
            })
            .collect()
        })
    }

    /// The highest outbox sequence number the server has answered (or just
    /// before the oldest pending one, if nothing was answered yet).
    pub fn acked_through(&self) -> Result<i64> {
        self.read(|c| {
            let acked: Option<String> = c
                .prepare_cached("SELECT value FROM meta WHERE key = 'acked_seq'")?
                .query_row([], |r| r.get(0))
                .optional()?;
            match acked.and_then(|a| a.parse::<i64>().ok()) {
                Some(a) => Ok(a),
                None => Ok(c
                    .prepare_cached("SELECT COALESCE(MIN(seq), 1) - 1 FROM outbox")?
                    .query_row([], |r| r.get(0))?),
            }
        })
    }

    /// How many operations wait to be synced.
    pub fn outbox_len(&self) -> Result<u64> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT COUNT(*) FROM outbox")?
                .query_row([], |r| r.get::<_, i64>(0))? as u64)
        })
    }
}
