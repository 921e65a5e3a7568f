//! What the web console needs from storage: accounts for people (a
//! password hash per person, set by an administrator or claimed with a
//! one-time activation code), sessions, and the case screens read and
//! acted on as the signed-in person. Passwords are hashed before they
//! reach storage (`crate::console::password`); session tokens are stored
//! only as SHA-256 hashes.

use chrono::{DateTime, Utc};
use gridwork_core::case::{Case, CaseAction, CaseEvent};
use gridwork_core::inbox::InboxItem;
use gridwork_core::store::{
    AuditEntry, AuditFilter, CaseBoard, CaseDetail, CaseFilter, GridOnMap, InboxPage, Overview,
    Roster,
};
use gridwork_core::user::User;

use crate::error::ApiResult;

/// How long a console session lasts from sign-in (a working day).
pub const SESSION_HOURS: i64 = 12;

/// A session just opened: the cookie's token (returned once) and the
/// session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsoleSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// A live session, found by its token.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleSession {
    pub user: User,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// Console accounts, sessions and the case screens.
pub trait ConsoleStorage {
    /// Set (or replace) a person's console password, as administrator
    /// `admin`. Every open session of that person ends.
    fn console_set_password(
        &self,
        admin: &str,
        user_id: &str,
        password_hash: &str,
    ) -> ApiResult<()>;
    /// Turn an unused, unexpired activation code into its person's console
    /// password (the code is spent); every open session of theirs ends.
    fn console_claim_code(&self, code: &str, password_hash: &str) -> ApiResult<User>;
    /// The person and their stored password hash, if they have an account.
    fn console_account(&self, user_id: &str) -> ApiResult<Option<(User, String)>>;
    fn console_open_session(&self, user_id: &str) -> ApiResult<NewConsoleSession>;
    /// The session a cookie names; unauthorized when unknown or expired.
    fn console_session(&self, token: &str) -> ApiResult<ConsoleSession>;
    fn console_close_session(&self, token: &str) -> ApiResult<()>;
    /// Sign out everywhere: how many sessions ended.
    fn console_close_all_sessions(&self, user_id: &str) -> ApiResult<u64>;

    /// Keep a line of the server's own audit trail (sign-ins, accounts,
    /// devices, imports).
    fn console_record(&self, entry: &AuditEntry) -> ApiResult<()>;
    /// 审计: the server's lines and the core's (reveals, case events),
    /// newest first, for an administrator.
    fn console_audit(
        &self,
        admin: &str,
        filter: &AuditFilter,
        limit: u32,
    ) -> ApiResult<Vec<AuditEntry>>;
    /// 网格与人员: grids of a region with their workers, and its people.
    fn console_roster(&self, user_id: &str, region: Option<&str>) -> ApiResult<Roster>;
    /// 总览: the four promises for a region of the person's reach.
    fn console_overview(&self, user_id: &str, region: Option<&str>) -> ApiResult<Overview>;
    /// The region's grids with their boundaries and backlog, for the map.
    fn console_map(
        &self,
        user_id: &str,
        region: Option<&str>,
        system: gridwork_core::coord::CoordSystem,
    ) -> ApiResult<Vec<GridOnMap>>;
    /// Cases for the board, as `user_id` may see them.
    fn console_cases(
        &self,
        user_id: &str,
        filter: &CaseFilter,
        offset: u32,
        limit: u32,
    ) -> ApiResult<CaseBoard>;
    /// One case's screen (timeline, photos, allowed actions, chain verdict).
    fn console_case(&self, user_id: &str, case_id: &str) -> ApiResult<CaseDetail>;
    /// The person's inbox (escalations, urges, extension requests), newest
    /// first, with the unread count.
    fn console_inbox(&self, user_id: &str, offset: u32, limit: u32) -> ApiResult<InboxPage>;
    /// Mark one of the person's items read (their phones pull the mark).
    fn console_mark_read(&self, user_id: &str, item_id: &str) -> ApiResult<InboxItem>;
    /// Whom `user_id` may dispatch or reassign the case to.
    fn console_handler_choices(&self, user_id: &str, case_id: &str) -> ApiResult<Vec<User>>;
    /// Act on a case as `user_id`: the core decides; phones pull the event.
    fn console_act(
        &self,
        user_id: &str,
        case_id: &str,
        action: &CaseAction,
    ) -> ApiResult<(Case, CaseEvent)>;
}
