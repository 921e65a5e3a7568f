//! A scripted local HTTP endpoint for the channels' tests: it records every
//! request (version, method, path, headers, body) and answers with what the
//! test's responder says. `start` serves plain HTTP/1.1 and h2c on
//! 127.0.0.1; `start_tls` serves TLS with a fresh self-signed certificate and
//! offers only "h2" in ALPN, as APNs does.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Version};
use axum::response::Response;
use chrono::{DateTime, Utc};
use gridwork_push::{Bilingual, Priority, PushData, PushMessage};

#[derive(Debug, Clone)]
pub struct Captured {
    pub version: Version,
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

type Responder = dyn Fn(&Captured, usize) -> Answer + Send + Sync;

struct Fake {
    requests: Mutex<Vec<Captured>>,
    respond: Box<Responder>,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    fake: Arc<Fake>,
    /// The self-signed certificate (PEM) when serving TLS.
    pub root_pem: Option<Vec<u8>>,
}

impl FakeServer {
    /// `respond(request, index)`: index counts requests from 0.
    pub async fn start(
        respond: impl Fn(&Captured, usize) -> Answer + Send + Sync + 'static,
    ) -> FakeServer {
        let fake = Arc::new(Fake {
            requests: Mutex::new(Vec::new()),
            respond: Box::new(respond),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeServer {
            addr,
            fake,
            root_pem: None,
        }
    }

    /// TLS on 127.0.0.1 (certificate for that IP), HTTP/2 only.
    pub async fn start_tls(
        respond: impl Fn(&Captured, usize) -> Answer + Send + Sync + 'static,
    ) -> FakeServer {
        use tokio_rustls::rustls;
        let fake = Arc::new(Fake {
            requests: Mutex::new(Vec::new()),
            respond: Box::new(respond),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let app = app.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .http2_only()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
        FakeServer {
            addr,
            fake,
            root_pem: Some(certified.cert.pem().into_bytes()),
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.root_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Captured> {
        self.fake.requests.lock().unwrap().clone()
    }
}

async fn handle(State(fake): State<Arc<Fake>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec();
    let captured = Captured {
        version: parts.version,
        method: parts.method,
        path: parts.uri.path().to_string(),
        headers: parts.headers,
        body,
    };
    let index = {
        let mut requests = fake.requests.lock().unwrap();
        requests.push(captured.clone());
        requests.len() - 1
    };
    let answer = (fake.respond)(&captured, index);
    let mut builder = Response::builder().status(StatusCode::from_u16(answer.status).unwrap());
    for (name, value) in answer.headers {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(answer.body)).unwrap()
}

pub fn message(priority: Priority) -> PushMessage {
    PushMessage {
        id: "0193b9f2-7c1e-7000-8000-000000000001".into(),
        title: Bilingual::new("案件超期升级", "Case overdue, escalated"),
        body: Bilingual::new(
            "东风村 3 号网格：路灯损坏已超期 2 天",
            "Dongfeng village grid 3: broken street light, 2 days overdue",
        ),
        priority,
        collapse_key: "case-4711".into(),
        ttl: std::time::Duration::from_secs(3600),
        data: PushData {
            case_id: "case-4711".into(),
            level: 1,
        },
    }
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn header_map(c: &Captured) -> HashMap<String, String> {
    c.headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}
