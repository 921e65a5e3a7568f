//! Reading the outbox (the sync client drains it; tests inspect it).

use super::{from_json, Store};
use crate::clock::from_ms;
use crate::error::{CoreError, Result};
use crate::outbox::OutboxEntry;

impl Store {
    /// Pending operations, oldest first.
    pub fn outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT op_id, hlc, created_at, payload FROM outbox ORDER BY seq LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            rows.map(|row| {
                let (op_id, hlc, created_at, payload) = row?;
                Ok(OutboxEntry {
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

    /// How many operations wait to be synced.
    pub fn outbox_len(&self) -> Result<u64> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
        })
    }
}
