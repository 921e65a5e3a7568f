//! The demo's phases against the server: import, enrolment, the
//! secretaries' evening, the next morning, the supervisors' round.

use super::*;

pub(super) async fn import(
    admin: &AdminClient,
    area: &Area,
    n: usize,
    b: &ProgressBar,
) -> Result<(), BoxError> {
    let people: Vec<_> = area
        .users
        .iter()
        .filter(|u| u.role != Role::Administrator)
        .cloned()
        .collect();
    b.set_length(3 + people.len() as u64 + area.assignments.len() as u64);
    let r = admin
        .send(
            reqwest::Method::POST,
            "/admin/import/regions?mode=all_or_nothing",
            area.geojson().into_bytes(),
        )
        .await?;
    check_import("regions", &r)?;
    b.inc(1);
    let mut users = stream::iter(people.into_iter().map(|u| {
        let admin = admin.clone();
        async move { admin.put("/admin/users", serde_json::to_value(&u)?).await }
    }))
    .buffer_unordered(n);
    while let Some(r) = users.next().await {
        r?;
        b.inc(1);
    }
    let mut assignments = stream::iter(area.assignments.iter().cloned().map(|a| {
        let admin = admin.clone();
        async move {
            admin
                .put("/admin/assignments", serde_json::to_value(&a)?)
                .await
        }
    }))
    .buffer_unordered(n);
    while let Some(r) = assignments.next().await {
        r?;
        b.inc(1);
    }
    // Registers after the people: the households' change rows are the
    // bulk of a phone's first pull, and land in its grid only.
    for (path, body) in [
        (
            "/admin/import/households?mode=all_or_nothing&format=csv",
            area.households_csv(),
        ),
        (
            "/admin/import/members?mode=all_or_nothing&format=csv",
            area.members_csv(),
        ),
    ] {
        let r = admin
            .send(reqwest::Method::POST, path, body.into_bytes())
            .await?;
        check_import(path, &r)?;
        b.inc(1);
    }
    b.finish();
    Ok(())
}

pub(super) fn check_import(what: &str, r: &Value) -> Result<(), BoxError> {
    let errors = r["errors"].as_array().map_or(0, Vec::len);
    if errors > 0 {
        return Err(format!("导入{what}有错误 / importing {what} reported errors: {r}").into());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn enroll(
    admin: &AdminClient,
    area: &Area,
    dir: &Path,
    url: &str,
    push: &LocalPushService,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<Vec<Phone>, BoxError> {
    let mut regions: HashMap<&str, String> = HashMap::new();
    for a in &area.assignments {
        regions
            .entry(&a.user_id)
            .or_insert_with(|| a.grid_code.clone());
    }
    let people: Vec<(String, Role, String)> = area
        .users
        .iter()
        .filter(|u| u.role != Role::Administrator)
        .map(|u| {
            let region = regions
                .get(u.id.as_str())
                .cloned()
                .or_else(|| u.jurisdiction.first().cloned())
                .unwrap_or_default();
            (u.id.clone(), u.role, region)
        })
        .collect();
    let out = Arc::new(std::sync::Mutex::new(Vec::with_capacity(people.len())));
    each(people, n, b, |(user, role, region)| {
        let (admin, out, traffic) = (admin.clone(), out.clone(), traffic.clone());
        let db = dir.join(format!("{user}.db"));
        let url = url.to_string();
        let endpoint = matches!(role, Role::TownshipSupervisor | Role::CitySupervisor)
            .then(|| push.subscribe(&user));
        async move {
            let code = admin.code_for(&user).await?;
            let clock = ManualClock::new(at(0, 7, 0));
            let store = Store::open_with_clock(&db, Arc::new(clock))?;
            let secrets = MemorySecrets::default();
            device::activate(&store, &secrets, &url, &code, &format!("{user}-phone")).await?;
            if let Some(s) = endpoint {
                let s = s?;
                store.register_push_endpoint(&PushEndpoint::WebPush {
                    endpoint: s.endpoint,
                    p256dh: s.p256dh,
                    auth: s.auth,
                })?;
            }
            sync_phone(&store, &secrets, &traffic).await?;
            let token = secrets
                .get(DEVICE_CREDENTIAL)?
                .ok_or("no credential after activation")?;
            if let Ok(mut o) = out.lock() {
                o.push(Phone {
                    user,
                    role,
                    db,
                    token,
                    region,
                });
            }
            Ok(())
        }
    })
    .await?;
    let mut phones = out.lock().map(|o| o.clone()).unwrap_or_default();
    phones.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(phones)
}

pub(super) async fn evening(
    secretaries: &[Phone],
    now: DateTime<Utc>,
    seed: u64,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<(), BoxError> {
    each(secretaries.to_vec(), n, b, |p| {
        let traffic = traffic.clone();
        async move {
            let (store, _clock, secrets) = p.open(now)?;
            sync_phone(&store, &secrets, &traffic).await?;
            let user = p.user.clone();
            let store = tokio::task::spawn_blocking(move || {
                secretary_evening(&store, &user, seed ^ hash(&user)).map(|_| store)
            })
            .await??;
            sync_phone(&store, &secrets, &traffic).await
        }
    })
    .await
}

pub(super) async fn morning(
    handlers: &[Phone],
    now: DateTime<Utc>,
    plan: &DayPlan,
    dir: &Path,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<(), BoxError> {
    each(handlers.to_vec(), n, b, |p| {
        let (traffic, plan) = (traffic.clone(), plan.clone());
        let camera = dir.join("camera").join(&p.user);
        async move {
            let (store, _clock, secrets) = p.open(now)?;
            sync_phone(&store, &secrets, &traffic).await?;
            let user = p.user.clone();
            let plan = DayPlan {
                seed: plan.seed ^ hash(&user),
                ..plan
            };
            let store = tokio::task::spawn_blocking(move || {
                handler_morning(&store, &user, &camera, &plan).map(|_| store)
            })
            .await??;
            sync_phone(&store, &secrets, &traffic).await?;
            upload_phone(&store, &secrets, &traffic).await
        }
    })
    .await
}

pub(super) async fn supervisors(
    people: &[Phone],
    now: DateTime<Utc>,
    seed: u64,
    grid_workers: &Arc<HashMap<String, Vec<String>>>,
    n: usize,
    b: &ProgressBar,
    traffic: &Arc<Traffic>,
) -> Result<(), BoxError> {
    each(people.to_vec(), n, b, |p| {
        let (traffic, grid_workers) = (traffic.clone(), grid_workers.clone());
        async move {
            let (store, _clock, secrets) = p.open(now)?;
            sync_phone(&store, &secrets, &traffic).await?;
            let user = p.user.clone();
            let _ = &p.region;
            let store = tokio::task::spawn_blocking(move || {
                let workers_of = |g: &str| grid_workers.get(g).cloned().unwrap_or_default();
                supervisor_round(&store, &user, seed ^ hash(&user), &workers_of).map(|_| store)
            })
            .await??;
            sync_phone(&store, &secrets, &traffic).await
        }
    })
    .await
}

/// The evening's last word: one handler of an escalated case asks for more
/// time, and no supervisor has answered yet, so the console opens on an
/// extension waiting for approval. The first worker (in order) with an
/// open, escalated case of their own asks; `None` when no one has one.
pub(super) async fn extension_request(
    workers: &[Phone],
    now: DateTime<Utc>,
    traffic: &Arc<Traffic>,
) -> Result<Option<String>, BoxError> {
    use gridwork_core::case::{CaseAction, CaseState};
    use gridwork_core::store::CaseScope;
    for p in workers {
        let (store, _clock, secrets) = p.open(now)?;
        let rows = store.cases(&p.user, CaseScope::Mine, true, 0, 500)?;
        let Some(row) = rows.iter().find(|r| {
            r.escalation_level >= 1
                && r.state == CaseState::InProgress
                && r.handler_id.as_deref() == Some(p.user.as_str())
        }) else {
            continue;
        };
        let asked = store.act_on_case(
            &p.user,
            &row.id,
            &CaseAction::RequestExtension {
                days: 3,
                reason: "需协调供电部门停电施工，预计三天内完成 / the power company must cut power for the work: about three days".into(),
            },
            &[],
        );
        if asked.is_ok() {
            sync_phone(&store, &secrets, traffic).await?;
            return Ok(Some(row.id.clone()));
        }
    }
    Ok(None)
}
