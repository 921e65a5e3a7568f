//! The web console's sign-ins for the demo: one person per office role,
//! chosen where the console has something to show (the secretary with the
//! most cases waiting for confirmation), each given a fresh random
//! password through `PUT /v1/admin/console-accounts`. Written to
//! `console-sign-ins.json` (only this user can read it) and printed.

use chrono::{DateTime, Utc};
use gridwork_core::case::CaseState;
use gridwork_core::store::CaseScope;
use gridwork_core::user::Role;

use super::phone::Phone;
use super::server::AdminClient;
use super::BoxError;

/// One sign-in the demo prints.
#[derive(Debug, Clone)]
pub(super) struct ConsoleSignIn {
    pub(super) role: Role,
    pub(super) user_id: String,
    pub(super) password: String,
}

/// Readable, unambiguous characters (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

fn password() -> String {
    let chars: String = (0..12)
        .map(|_| char::from(ALPHABET[rand::random::<u32>() as usize % ALPHABET.len()]))
        .collect();
    format!("gw-{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
}

/// Cases waiting for this secretary's confirmation, as her phone knows them.
fn waiting(phone: &Phone, now: DateTime<Utc>) -> usize {
    phone
        .open(now)
        .and_then(|(store, _, _)| {
            Ok(store.cases(&phone.user, CaseScope::Jurisdiction, true, 0, 500)?)
        })
        .map_or(0, |rows| {
            rows.iter()
                .filter(|r| r.state == CaseState::Resolved)
                .count()
        })
}

pub(super) async fn console_sign_ins(
    admin: &AdminClient,
    secretaries: &[Phone],
    township: &[Phone],
    city: &[Phone],
    now: DateTime<Utc>,
) -> Result<Vec<ConsoleSignIn>, BoxError> {
    let secretary = secretaries
        .iter()
        .max_by_key(|p| (waiting(p, now), std::cmp::Reverse(p.user.clone())));
    let mut people: Vec<(Role, String)> = vec![(Role::Administrator, "admin".into())];
    for (role, phone) in [
        (Role::VillageSecretary, secretary),
        (Role::TownshipSupervisor, township.first()),
        (Role::CitySupervisor, city.first()),
    ] {
        if let Some(p) = phone {
            people.push((role, p.user.clone()));
        }
    }
    let mut out = Vec::new();
    for (role, user_id) in people {
        let password = password();
        admin
            .put(
                "/admin/console-accounts",
                serde_json::json!({ "user_id": user_id, "password": password }),
            )
            .await?;
        out.push(ConsoleSignIn {
            role,
            user_id,
            password,
        });
    }
    Ok(out)
}

/// The file's contents: `[{"role", "user_id", "password"}]`.
pub(super) fn to_json(sign_ins: &[ConsoleSignIn]) -> serde_json::Value {
    sign_ins
        .iter()
        .map(
            |s| serde_json::json!({ "role": s.role, "user_id": s.user_id, "password": s.password }),
        )
        .collect()
}
