//! What a phone does: enrol with an activation code (the credential goes to
//! the platform's secret store, never into SQLite), and sync — wiping
//! itself if the server says the device was revoked.

use rusqlite::OptionalExtension;

use super::client::{sync_with, SyncProgress, SyncReport};
use super::http::HttpTransport;
use super::protocol::ActivateRequest;
use crate::error::{CoreError, Result};
use crate::secrets::{SecretStore, DEVICE_CREDENTIAL};
use crate::user::User;
use crate::Store;

/// Enrol this installation: exchange the code for a credential, keep it in
/// the secret store, remember the server, and know its owner.
pub async fn activate(
    store: &Store,
    secrets: &dyn SecretStore,
    server_url: &str,
    code: &str,
    device_name: &str,
) -> Result<User> {
    let transport = HttpTransport::new(server_url, None)?;
    let resp = transport
        .activate(&ActivateRequest {
            code: code.trim().to_string(),
            device_id: store.device_id().to_string(),
            device_name: device_name.to_string(),
        })
        .await?;
    secrets.put(DEVICE_CREDENTIAL, &resp.token)?;
    store.set_server(server_url, &resp.user)?;
    Ok(resp.user)
}

/// Push, then pull. A revoked device wipes its data and its credential.
pub async fn sync(
    store: &Store,
    secrets: &dyn SecretStore,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncReport> {
    let transport = enrolled(store, secrets)?;
    match sync_with(store, &transport, progress).await {
        Err(CoreError::Revoked { reason }) => {
            store.wipe()?;
            secrets.delete(DEVICE_CREDENTIAL)?;
            Err(CoreError::Revoked { reason })
        }
        other => other,
    }
}

/// What the enrolled server needs for push subscriptions (the shell then
/// subscribes with the platform and calls `Store::register_push_endpoint`).
pub async fn push_config(
    store: &Store,
    secrets: &dyn SecretStore,
) -> Result<super::protocol::PushConfig> {
    enrolled(store, secrets)?.push_config().await
}

/// Show a number this device holds masked: the server checks the member
/// is in reach, records the reveal with its own clock and answers. Numbers
/// held whole are revealed offline by `Store::reveal_member_field`.
pub async fn reveal_member_field(
    store: &Store,
    secrets: &dyn SecretStore,
    member_id: &str,
    field: crate::pii::PiiField,
    reason: &str,
) -> Result<String> {
    let req = super::protocol::RevealRequest {
        field,
        reason: crate::pii::reveal_reason(reason)?.to_string(),
    };
    Ok(enrolled(store, secrets)?
        .reveal(member_id, &req)
        .await?
        .value)
}

/// The transport to the server this device is enrolled with.
fn enrolled(store: &Store, secrets: &dyn SecretStore) -> Result<HttpTransport> {
    let (url, token) = super::upload::server_and_token(store, secrets)?;
    HttpTransport::new(&url, Some(token))
}

impl Store {
    /// Remember the server and the device's owner (without an outbox row).
    pub fn set_server(&self, url: &str, owner: &User) -> Result<()> {
        self.write_silent(|w| {
            w.sqlite()?.execute(
                "INSERT INTO meta (key, value) VALUES ('server_url', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [url],
            )?;
            w.sqlite()?.execute(
                "INSERT INTO meta (key, value) VALUES ('device_owner', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [&owner.id],
            )?;
            w.upsert_user(owner)
        })
    }

    /// The person this phone was enrolled for (the app signs them in on
    /// start); `None` before enrolment and after a wipe.
    pub fn device_owner(&self) -> Result<Option<User>> {
        let id: Option<String> = self.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM meta WHERE key = 'device_owner'",
                [],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        match id {
            Some(id) => Ok(Some(self.user(&id)?)),
            None => Ok(None),
        }
    }

    pub fn server_url(&self) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = 'server_url'", [], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }
}
