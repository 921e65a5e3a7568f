//! The activation QR code's text: what an administrator shows (console,
//! `gridwork admin code`) and a phone scans instead of typing the server
//! address and the code. One format, written and read only here:
//!
//! `gridwork:activate?v=1&server=<percent-encoded URL>&code=<code>`
//!
//! Reading also accepts `gridwork://activate?…` (typed by hand or made by
//! older tools) and a bare code (a QR holding only the code).

use url::Url;

use crate::error::{CoreError, Result};

/// What a scanned activation QR code holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationLink {
    /// The server address, when the code carried one.
    pub server_url: Option<String>,
    pub code: String,
}

const FIELD: &str = "qr";
const VERSION: &str = "1";

impl ActivationLink {
    /// The QR text for `code` on `server_url` (the address phones reach).
    pub fn to_qr(server_url: &str, code: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("v", VERSION)
            .append_pair("server", server_url)
            .append_pair("code", code)
            .finish();
        format!("gridwork:activate?{query}")
    }

    /// Reads a scanned text. Errors say what was wrong, in Chinese and
    /// English, with the field `qr`.
    pub fn parse(text: &str) -> Result<ActivationLink> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CoreError::invalid(
                FIELD,
                "二维码是空的 / the QR code is empty",
            ));
        }
        if !text.contains(':') {
            // A bare activation code.
            return check_code(text).map(|code| ActivationLink {
                server_url: None,
                code,
            });
        }
        let url = Url::parse(text).map_err(|_| not_ours())?;
        let is_activate = url.scheme() == "gridwork"
            && (url.path() == "activate" || url.host_str() == Some("activate"));
        if !is_activate {
            return Err(not_ours());
        }
        let mut server = None;
        let mut code = None;
        let mut version = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "server" => server = Some(value.into_owned()),
                "code" => code = Some(value.into_owned()),
                "v" => version = Some(value.into_owned()),
                _ => {} // later versions may add fields a phone can ignore
            }
        }
        if let Some(v) = version.filter(|v| v != VERSION) {
            return Err(CoreError::invalid(
                FIELD,
                format!("二维码版本 {v} 太新，请更新应用 / QR code version {v} is newer than this app: update it"),
            ));
        }
        let code = check_code(code.as_deref().unwrap_or(""))?;
        let server_url = match server {
            Some(s) => Some(check_server(&s)?),
            None => None,
        };
        Ok(ActivationLink { server_url, code })
    }
}

fn check_code(code: &str) -> Result<String> {
    let code = code.trim();
    if code.is_empty() {
        return Err(CoreError::invalid(
            FIELD,
            "二维码里没有激活码 / the QR code holds no activation code",
        ));
    }
    if code.len() > 64 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(CoreError::invalid(
            FIELD,
            "二维码里的激活码格式不对 / the activation code in the QR code is malformed",
        ));
    }
    Ok(code.to_ascii_uppercase())
}

fn check_server(server: &str) -> Result<String> {
    match Url::parse(server) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host_str().is_some() => {
            Ok(server.trim_end_matches('/').to_string())
        }
        _ => Err(CoreError::invalid(
            FIELD,
            format!("二维码里的服务器地址不对：{server} / the server address in the QR code is not an http(s) URL: {server}"),
        )),
    }
}

fn not_ours() -> CoreError {
    CoreError::invalid(
        FIELD,
        "这不是网格通的激活二维码 / this is not a Gridwork activation QR code",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_text_reads_back_with_the_server_address_encoded() {
        let qr = ActivationLink::to_qr("http://10.0.0.2:8080/", "abcde-12345");
        assert!(
            qr.starts_with("gridwork:activate?v=1&server=http%3A%2F%2F10.0.0.2%3A8080"),
            "{qr}"
        );
        let link = ActivationLink::parse(&qr).unwrap();
        assert_eq!(link.server_url.as_deref(), Some("http://10.0.0.2:8080"));
        assert_eq!(link.code, "ABCDE-12345");
    }

    #[test]
    fn older_forms_and_a_bare_code_are_read() {
        let slashes = ActivationLink::parse(
            "gridwork://activate?server=https%3A%2F%2Fgw.example.cn&code=K7M2P-9QX4R",
        )
        .unwrap();
        assert_eq!(slashes.server_url.as_deref(), Some("https://gw.example.cn"));
        let bare = ActivationLink::parse("  k7m2p-9qx4r \n").unwrap();
        assert_eq!(
            bare,
            ActivationLink {
                server_url: None,
                code: "K7M2P-9QX4R".into()
            }
        );
        // The server's first format, before it encoded the address.
        let raw =
            ActivationLink::parse("gridwork:activate?v=1&server=http://127.0.0.1:8080&code=AB12")
                .unwrap();
        assert_eq!(raw.server_url.as_deref(), Some("http://127.0.0.1:8080"));
    }

    #[test]
    fn other_codes_get_a_reason_naming_the_qr_field() {
        for (text, says) in [
            ("", "empty"),
            ("https://weixin.qq.com/x/abc", "not a Gridwork"),
            ("gridwork:visit?id=1", "not a Gridwork"),
            (
                "gridwork:activate?v=1&server=http%3A%2F%2Fx",
                "no activation code",
            ),
            ("gridwork:activate?v=2&code=AB12", "newer than this app"),
            (
                "gridwork:activate?v=1&server=ftp%3A%2F%2Fx&code=AB12",
                "not an http(s) URL",
            ),
            ("gridwork:activate?code=%3Cscript%3E", "malformed"),
        ] {
            match ActivationLink::parse(text) {
                Err(CoreError::Invalid { field, reason }) => {
                    assert_eq!(field, "qr");
                    assert!(reason.contains(says), "{text}: {reason}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
