//! The web console's sign-in against a real `gridwork serve`: accounts made
//! from activation codes, cookies and CSRF, lockout after wrong passwords,
//! sign out everywhere, the grid worker refused, and a secretary confirming
//! a resolved case that the worker's phone then pulls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use gridwork_core::case::{CaseDraft, CaseState};
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::store::OnSpotResolution;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::Town;

/// A browser: one cookie, the CSRF token of its session.
struct Browser {
    url: String,
    http: reqwest::Client,
    cookie: Option<String>,
    csrf: Option<String>,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Browser {
    fn new(url: &str) -> Browser {
        Browser {
            url: url.to_string(),
            http: reqwest::Client::new(),
            cookie: None,
            csrf: None,
        }
    }

    async fn send(&mut self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("gw_session={c}"));
        }
        if let (Some(t), false) = (&self.csrf, method == Method::GET) {
            req = req.header("x-csrf-token", t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            if let Some(rest) = v.strip_prefix("gw_session=") {
                let token = rest.split(';').next().unwrap().to_string();
                self.cookie = (!token.is_empty()).then_some(token);
            }
        }
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if let Some(csrf) = body.get("csrf").and_then(Value::as_str) {
            self.csrf = Some(csrf.to_string());
        }
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A file the page would download or show (a photo, a workbook).
    async fn file(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .header(
                "cookie",
                format!("gw_session={}", self.cookie.clone().unwrap_or_default()),
            )
            .send()
            .await
            .unwrap()
    }

    async fn sign_in(&mut self, user: &str, password: &str) -> Answer {
        self.send(
            Method::POST,
            "/console/api/sign-in",
            Some(json!({"user_id": user, "password": password})),
        )
        .await
    }
}

/// A worksheet of an XLSX file, every cell as text.
fn sheet_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    calamine::Reader::worksheet_range(&mut book, sheet)
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

const GOOD: &str = "石岩村书记的密码2026";

async fn claim(town: &Town, user: &str, password: &str) -> (Browser, Answer) {
    let code = town.admin.code_for(user).await;
    let mut b = Browser::new(&town.server.url);
    let a = b
        .send(
            Method::POST,
            "/console/api/claim",
            Some(json!({"code": code, "password": password})),
        )
        .await;
    (b, a)
}

#[tokio::test]
async fn an_activation_code_becomes_an_account_with_a_strict_cookie_and_a_csrf_token() {
    let town = Town::new().await;
    let code = town.admin.code_for("s1").await;
    let mut b = Browser::new(&town.server.url);
    let short = b
        .send(
            Method::POST,
            "/console/api/claim",
            Some(json!({"code": code, "password": "short"})),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.body["field"], "password", "{}", short.body);
    assert!(b.cookie.is_none());

    // The code was not spent by the refusal.
    let a = b
        .send(
            Method::POST,
            "/console/api/claim",
            Some(json!({"code": code, "password": GOOD})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["user"]["id"], "s1");
    let cookie = a.headers.get("set-cookie").unwrap().to_str().unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback: {cookie}"
    );
    let csp = a.headers.get("content-security-policy").unwrap();
    assert!(csp.to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(a.headers.get("x-content-type-options").unwrap(), "nosniff");

    let again = b
        .send(
            Method::POST,
            "/console/api/claim",
            Some(json!({"code": code, "password": GOOD})),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body["reason"].as_str().unwrap().contains("已使用"));

    let me = b.send(Method::GET, "/console/api/session", None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["role"], "village_secretary");

    // A change without the CSRF token, or sent from another site, is refused.
    let token = b.csrf.take();
    let no_csrf = b.send(Method::POST, "/console/api/sign-out", None).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert_eq!(no_csrf.body["code"], "csrf");
    b.csrf = token;
    let cross = b
        .http
        .post(format!("{}/console/api/sign-out", b.url))
        .header(
            "cookie",
            format!("gw_session={}", b.cookie.clone().unwrap()),
        )
        .header("x-csrf-token", b.csrf.clone().unwrap())
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        b.send(Method::GET, "/console/api/session", None)
            .await
            .status,
        StatusCode::OK,
        "still signed in"
    );

    // Signing out ends the session on the server, not only in the browser.
    let stolen = b.cookie.clone();
    let out = b.send(Method::POST, "/console/api/sign-out", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    b.cookie = stolen;
    let after = b.send(Method::GET, "/console/api/session", None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.body["code"], "signed_out");
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_with_a_clear_message_and_sign_out_everywhere_ends_every_session(
) {
    let town = Town::new().await;
    let (mut first, a) = claim(&town, "s1", GOOD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let mut second = Browser::new(&town.server.url);
    assert_eq!(second.sign_in("s1", GOOD).await.status, StatusCode::OK);

    let mut attacker = Browser::new(&town.server.url);
    for left in (1..5).rev() {
        let w = attacker.sign_in("s1", "猜一猜这个密码对不对").await;
        assert_eq!(w.status, StatusCode::UNAUTHORIZED, "{}", w.body);
        assert_eq!(w.body["field"], "password");
        assert!(
            w.body["reason"]
                .as_str()
                .unwrap()
                .contains(&format!("还可尝试 {left} 次")),
            "{}",
            w.body
        );
    }
    let locked = attacker.sign_in("s1", "猜一猜这个密码对不对").await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert_eq!(locked.body["code"], "sign_in_locked");
    assert!(locked.headers.contains_key("retry-after"));
    // Even the right password waits out the lock; nothing was signed out.
    let right = Browser::new(&town.server.url).sign_in("s1", GOOD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        right.body["reason"]
            .as_str()
            .unwrap()
            .contains("登录已锁定，请 15 分钟后再试"),
        "{}",
        right.body
    );
    // Another account is not locked by s1's failures.
    let (_, t1) = claim(&town, "t1", "街道督导的密码2026").await;
    assert_eq!(t1.status, StatusCode::OK);

    // Sign out everywhere from the first browser ends the second one too.
    let all = first
        .send(Method::POST, "/console/api/sign-out-everywhere", None)
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.body["ended"], 2);
    for b in [&mut first, &mut second] {
        b.cookie.get_or_insert_with(String::new);
    }
    assert_eq!(
        second
            .send(Method::GET, "/console/api/session", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_grid_worker_is_refused_and_a_secretary_confirms_a_case_the_phone_then_pulls() {
    let town = Town::with(
        &[],
        &[(
            "s2",
            "陈书记",
            "village_secretary",
            &["440300-T01-V02"],
            None,
        )],
    )
    .await;
    let (_, w) = claim(&town, "w1", "网格员也想用电脑2026").await;
    assert_eq!(w.status, StatusCode::FORBIDDEN, "{}", w.body);
    assert_eq!(w.body["code"], "console_not_for_role");
    assert!(w.headers.get("set-cookie").is_none());

    // A worker reports a case and fixes it on the spot: it waits for the
    // secretary's confirmation.
    let phone = town.phone("w1").await;
    let draft = CaseDraft {
        category: Category {
            priority: Priority::WorkSafety,
            subcategory: "gas".into(),
        },
        severity: Severity::Normal,
        title: "楼道堆放杂物".into(),
        description: "<script>alert(1)</script>".into(),
        household_code: Some("H001".into()),
        grid_code: "G1".into(),
        source: None,
        evidence_ids: vec![],
    };
    let spot = OnSpotResolution {
        note: "已清理".into(),
        photos: vec![support::photo(town.dir.path(), "after.jpg")],
    };
    let case = phone
        .store
        .report_case("w1", &draft, &[], Some(&spot))
        .unwrap()
        .case;
    phone.sync().await;
    phone.upload().await;

    let (mut s1, a) = claim(&town, "s1", GOOD).await;
    assert_eq!(a.status, StatusCode::OK);
    let board = s1.send(Method::GET, "/console/api/cases", None).await;
    let rows = board.body["rows"].as_array().unwrap();
    assert_eq!(
        (rows.len(), &board.body["total"]),
        (1, &json!(1)),
        "{}",
        board.body
    );
    assert_eq!(rows[0]["state"], "resolved");
    let detail = s1
        .send(
            Method::GET,
            &format!("/console/api/cases/{}", case.id),
            None,
        )
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    let offers = detail.body["actions"].as_array().unwrap();
    let confirm = offers.iter().find(|a| a["kind"] == "confirm").unwrap();
    assert_eq!(confirm["label_zh"], "核查通过");
    assert_eq!(confirm["inputs"], json!(["note"]));
    assert!(detail.body["detail"]["chain_break"].is_null());
    // The after-photo, to her and to nobody outside the village.
    let photo_id = detail.body["detail"]["evidence"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let photo_path = format!("/console/api/evidence/{photo_id}/content");
    let photo = s1.file(&photo_path).await;
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    let sent = std::fs::read(town.dir.path().join("after.jpg")).unwrap();
    assert_eq!(
        photo.bytes().await.unwrap().to_vec(),
        sent,
        "the bytes the phone took"
    );

    // Another village's secretary sees nothing of it.
    let (mut s2, _) = claim(&town, "s2", "另一个村的书记2026").await;
    let theirs = s2.send(Method::GET, "/console/api/cases", None).await;
    assert_eq!(theirs.body, json!({"rows": [], "total": 0}));
    let peek = s2
        .send(
            Method::GET,
            &format!("/console/api/cases/{}", case.id),
            None,
        )
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND, "{}", peek.body);
    let their_photo = s2.send(Method::GET, &photo_path, None).await;
    assert_eq!(
        their_photo.status,
        StatusCode::NOT_FOUND,
        "{}",
        their_photo.body
    );
    let meddle = s2
        .send(
            Method::POST,
            &format!("/console/api/cases/{}/actions", case.id),
            Some(json!({"type": "confirm", "note": ""})),
        )
        .await;
    assert_eq!(meddle.status, StatusCode::NOT_FOUND, "{}", meddle.body);

    // Her board as a workbook: a header and the one case, in words.
    let xlsx = s1
        .file("/console/api/export/cases.xlsx?open_only=false")
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("gridwork-cases.xlsx"));
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    let rows = sheet_rows(&bytes, "事件");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][1], "标题");
    assert_eq!(rows[1][1], "楼道堆放杂物");
    assert_eq!(rows[1][5], "待核查");
    // Her village's coverage: the village and its two grids, and who covers them.
    let xlsx = s1.file("/console/api/export/coverage.xlsx").await;
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    let codes: Vec<String> = sheet_rows(&bytes, "四个到位")
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(codes, vec!["440300-T01-V01", "G1", "G2"]);
    let g1 = sheet_rows(&bytes, "网格与负责人").swap_remove(1);
    assert_eq!((g1[0].as_str(), g1[5].as_str()), ("G1", "张网格（w1）"));

    let done = s1
        .send(
            Method::POST,
            &format!("/console/api/cases/{}/actions", case.id),
            Some(json!({"type": "confirm", "note": "现场已核实"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    phone.sync().await;
    let on_phone = phone.store.case("w1", &case.id).unwrap();
    assert_eq!(on_phone.state, CaseState::Confirmed);
}
