//! The demo's `gridwork serve` child process and the administrator's HTTP client.

use super::*;
/// `gridwork serve` as a child process.
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) url: String,
    pub(super) admin_code: String,
}

impl Server {
    pub(super) fn start(data: &Path, port: u16, start: DateTime<Utc>) -> Result<Server, BoxError> {
        let exe = std::env::current_exe()?;
        let args = vec![
            "serve".to_string(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--data".into(),
            data.display().to_string(),
            "--test-clock".into(),
            start.to_rfc3339(),
            // The local push service listens on http://127.0.0.1.
            "--push-allow-http".into(),
            // Ticks come from the clock moves (and pushes with case work).
            "--escalation-interval-secs".into(),
            "3600".into(),
        ];
        let mut child = Command::new(exe)
            .args(&args)
            .env(
                "RUST_LOG",
                std::env::var("GRIDWORK_DEMO_SERVER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut url, mut code) = (None, None);
        let deadline = Instant::now() + StdDuration::from_secs(30);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("gridwork server listening on ") {
                url = rest.split_whitespace().next().map(str::to_string);
            }
            if let Some((_, c)) = line.split_once("activation code: ") {
                code = Some(c.trim().to_string());
            }
            if line.starts_with("OpenAPI:") {
                break;
            }
        }
        // Keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = url.ok_or("服务器未报告地址 / the server did not report its address")?;
        let admin_code = code.ok_or(
            "没有管理员激活码(数据目录不是新的?) / no administrator code (is the data directory fresh?)",
        )?;
        Ok(Server {
            child,
            url,
            admin_code,
        })
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(super) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The administrator's HTTP client.
#[derive(Clone)]
pub(super) struct AdminClient {
    pub(super) url: String,
    pub(super) token: String,
    pub(super) http: reqwest::Client,
}

impl AdminClient {
    pub(super) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Value, BoxError> {
        let resp = self
            .http
            .request(method, format!("{}/v1{path}", self.url))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .body(body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {}", String::from_utf8_lossy(&bytes)).into());
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    pub(super) async fn put(&self, path: &str, value: Value) -> Result<(), BoxError> {
        self.send(reqwest::Method::PUT, path, value.to_string().into_bytes())
            .await
            .map(|_| ())
    }

    pub(super) async fn code_for(&self, user: &str) -> Result<String, BoxError> {
        let v = self
            .send(
                reqwest::Method::POST,
                "/admin/activation-codes",
                serde_json::json!({ "user_id": user })
                    .to_string()
                    .into_bytes(),
            )
            .await?;
        Ok(v["code"].as_str().ok_or("no code")?.to_string())
    }

    pub(super) async fn clock_to(&self, t: DateTime<Utc>) -> Result<Value, BoxError> {
        self.send(
            reqwest::Method::POST,
            "/admin/clock",
            serde_json::json!({ "now": t }).to_string().into_bytes(),
        )
        .await
    }
}
