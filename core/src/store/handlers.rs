//! Whom a case can go to: the people this device knows whose work reaches
//! the case's grid, for the dispatch and reassign pickers. The rule that
//! decides is still `decide` when the action is taken; this only offers
//! names that can pass it.

use super::cases::visible_case;
use super::users::{actor, load_user};
use super::Store;
use crate::error::Result;
use crate::user::{Role, User};

impl Store {
    /// People who could handle `case_id` (workers of its grid, the village
    /// secretary, supervisors over it), the current handler left out;
    /// grid workers first, then by name.
    pub fn handler_choices(&self, user_id: &str, case_id: &str) -> Result<Vec<User>> {
        let now = self.now();
        self.read_sql(|c| {
            let me = actor(c, user_id, now)?;
            let case = visible_case(c, &me, case_id)?;
            let ids: Vec<String> =
                c.query_map("SELECT id FROM app_user ORDER BY id", &[], |r| r.get(0))?;
            let mut out = Vec::new();
            for id in ids {
                if case.handler_id.as_deref() == Some(id.as_str()) {
                    continue;
                }
                let who = actor(c, &id, now)?;
                if who.role != Role::Administrator && who.reaches(&case.path) {
                    if let Some(user) = load_user(c, &id)? {
                        out.push(user);
                    }
                }
            }
            out.sort_by(|a, b| {
                (a.role != Role::GridWorker, &a.name).cmp(&(b.role != Role::GridWorker, &b.name))
            });
            Ok(out)
        })
    }
}
