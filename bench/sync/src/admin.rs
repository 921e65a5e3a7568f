//! The server process and the administrator's HTTP client.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gridwork_core::secrets::{MemorySecrets, SecretStore, DEVICE_CREDENTIAL};
use gridwork_core::sync::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use gridwork_core::Store;

use crate::BoxError;

/// `gridwork serve` on a free loopback port, killed on drop.
pub struct Server {
    child: Child,
    pub url: String,
    pub admin_code: String,
}

impl Server {
    /// The first server on a fresh database: it makes the administrator.
    pub fn start(bin: &Path, data: &Path) -> Result<Server, BoxError> {
        let (child, url, code) = Self::spawn(bin, data)?;
        Ok(Server {
            child,
            url,
            admin_code: code.ok_or("no administrator code (data directory not fresh?)")?,
        })
    }

    /// Another instance on the database `GRIDWORK_DATABASE` names (shared
    /// with `first`), with a data directory of its own holding `first`'s
    /// activation-code key.
    pub fn start_beside(bin: &Path, first: &Path, data: &Path) -> Result<Server, BoxError> {
        std::fs::create_dir_all(data)?;
        std::fs::copy(first.join("auth.key"), data.join("auth.key"))?;
        let (child, url, _) = Self::spawn(bin, data)?;
        Ok(Server {
            child,
            url,
            admin_code: String::new(),
        })
    }

    fn spawn(bin: &Path, data: &Path) -> Result<(Child, String, Option<String>), BoxError> {
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env(
                "RUST_LOG",
                std::env::var("GRIDWORK_BENCH_SERVER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start {}: {e} (build it: cargo build --release -p gridwork)",
                    bin.display()
                )
            })?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut url, mut code) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(30);
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
        std::thread::spawn(move || for _ in lines {});
        Ok((
            child,
            url.ok_or("the server did not report its address")?,
            code,
        ))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Enrol a phone store with a code; returns the credential.
pub async fn enrol(
    store: &Store,
    url: &str,
    code: &str,
    name: &str,
) -> Result<(MemorySecrets, String), BoxError> {
    let secrets = MemorySecrets::default();
    gridwork_core::sync::device::activate(store, &secrets, url, code, name).await?;
    let token = secrets
        .get(DEVICE_CREDENTIAL)?
        .ok_or("no credential stored")?;
    Ok((secrets, token))
}

/// The administrator over HTTP.
#[derive(Clone)]
pub struct Admin {
    pub url: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Admin {
    /// Start a server with its data under `dir` and enrol an administrator's
    /// console device on it with the server's first activation code.
    pub async fn start(bin: &Path, dir: &Path) -> Result<(Server, Admin), BoxError> {
        let server = Server::start(bin, &dir.join("server"))?;
        let console = Store::open(dir.join("console.db"))?;
        let (_, token) = enrol(&console, &server.url, &server.admin_code, "bench-console").await?;
        let admin = Admin {
            url: server.url.clone(),
            token,
            http: reqwest::Client::new(),
        };
        Ok((server, admin))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<serde_json::Value, BoxError> {
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

    pub async fn put(&self, path: &str, value: serde_json::Value) -> Result<(), BoxError> {
        self.send(reqwest::Method::PUT, path, value.to_string().into_bytes())
            .await?;
        Ok(())
    }

    pub async fn code_for(&self, user: &str) -> Result<String, BoxError> {
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
}
