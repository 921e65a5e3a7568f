//! 督办: the signed-in person's inbox (escalations to their level, urges,
//! extension requests), each item with the words the core gives it.

use axum::extract::{Path, Query, State};
use axum::Json;
use gridwork_core::inbox::InboxItem;
use serde::{Deserialize, Serialize};

use super::session::ConsoleUser;
use crate::error::ApiResult;
use crate::routes::{blocking, AppState};

#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub offset: Option<u32>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// An item and its words, Chinese and English, as the core writes them
/// (the same words the push notification carries).
#[derive(Debug, Serialize)]
pub struct Message {
    pub item: InboxItem,
    pub title_zh: String,
    pub title_en: String,
    pub body_zh: String,
    pub body_en: String,
}

#[derive(Debug, Serialize)]
pub struct Inbox {
    pub unread: u32,
    pub items: Vec<Message>,
}

/// `GET /console/api/inbox`
pub async fn list(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<Page>,
) -> ApiResult<Json<Inbox>> {
    let id = me.session.user.id;
    let page = blocking(move || {
        state
            .storage
            .console_inbox(&id, q.offset.unwrap_or(0), q.limit.unwrap_or(100))
    })
    .await?;
    Ok(Json(Inbox {
        unread: page.unread,
        items: page
            .items
            .into_iter()
            .map(|item| {
                let (title_zh, title_en) = item.title();
                let (body_zh, body_en) = item.body();
                Message {
                    item,
                    title_zh,
                    title_en,
                    body_zh,
                    body_en,
                }
            })
            .collect(),
    }))
}

/// `POST /console/api/inbox/{item_id}/read`
pub async fn read(
    State(state): State<AppState>,
    me: ConsoleUser,
    Path(item_id): Path<String>,
) -> ApiResult<Json<InboxItem>> {
    let id = me.session.user.id;
    blocking(move || state.storage.console_mark_read(&id, &item_id))
        .await
        .map(Json)
}
