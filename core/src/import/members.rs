//! The member register (one row per person).
//!
//! | column | accepted headers | |
//! |---|---|---|
//! | household code | 户编码, 所属户编码, household_code, household | required |
//! | name | 姓名, 名字, name | required |
//! | relation | 与户主关系, 关系, relation | optional, default empty |
//! | phone | 联系电话, 电话, 手机, 手机号, 手机号码, phone, mobile | optional, checked with [`pii::validate_phone`] |
//! | ID number | 身份证号, 身份证号码, 公民身份号码, 身份证, id_number, id_card | optional, checked with [`pii::validate_id_number`] |
//!
//! Phone and ID numbers never appear in an error reason or a log line, not
//! even masked: the line and column are enough to find them.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::table::{self, Column, Fields, TextKind};
use super::{RowError, TableFormat};
use crate::error::{CoreError, Result};
use crate::household::Member;
use crate::limits::Budget;
use crate::pii;

const HOUSEHOLD: usize = 0;
const NAME: usize = 1;
const RELATION: usize = 2;
const PHONE: usize = 3;
const ID_NUMBER: usize = 4;

const COLUMNS: [Column; 5] = [
    Column {
        key: "household_code",
        zh: "户编码",
        en: "household code",
        aliases: &["户编码", "所属户编码", "household_code", "household"],
        required: true,
    },
    Column {
        key: "name",
        zh: "姓名",
        en: "name",
        aliases: &["姓名", "名字", "name"],
        required: true,
    },
    Column {
        key: "relation",
        zh: "与户主关系",
        en: "relation to the head of household",
        aliases: &["与户主关系", "关系", "relation"],
        required: false,
    },
    Column {
        key: "phone",
        zh: "联系电话",
        en: "phone",
        aliases: &[
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "phone",
            "mobile",
        ],
        required: false,
    },
    Column {
        key: "id_number",
        zh: "身份证号",
        en: "ID number",
        aliases: &[
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "身份证",
            "id_number",
            "id_card",
        ],
        required: false,
    },
];

/// What a member register held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedMembers {
    /// How the file was read: "UTF-8", "UTF-8 (BOM)", "UTF-16LE (BOM)",
    /// "GBK" or "XLSX".
    pub encoding: String,
    /// Good rows with their line (CSV) or row (XLSX) number, in file order.
    pub rows: Vec<(u64, Member)>,
    /// Every problem found, in line order. A row with any problem is not in
    /// `rows`.
    pub errors: Vec<RowError>,
}

/// The id of an imported member, the same every time the same person is
/// imported into the same household, so a re-import updates instead of
/// duplicating:
///
/// - with an ID number: from the household code and the ID number
///   (upper-cased), so a change of name or phone updates the same member;
/// - without one: from the household code and the name.
///
/// The id is `m-` and 32 hex digits of SHA-256 over a versioned, NUL-separated
/// string, so it does not show the ID number. It is still derived from it:
/// treat member ids as personal data, not as public identifiers.
pub fn member_id(household_code: &str, id_number: Option<&str>, name: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"gridwork/member/v1\0");
    h.update(household_code.as_bytes());
    match id_number {
        Some(id) => {
            h.update(b"\0id\0");
            h.update(id.trim().to_ascii_uppercase().as_bytes());
        }
        None => {
            h.update(b"\0name\0");
            h.update(name.trim().as_bytes());
        }
    }
    let digest = hex::encode(h.finalize());
    format!("m-{}", &digest[..32])
}

/// Parse a member register. Whole-file problems are `CoreError::Invalid`; a
/// missing or doubled column gives errors at the header line and no rows;
/// anything else is a [`RowError`] for that row only.
///
/// Two rows that would get the same [`member_id`] (same household and ID
/// number, or same household and name with no ID number) are refused after
/// the first, naming its line. The household code is not checked against
/// any store here.
pub fn parse_members(bytes: &[u8], format: TableFormat) -> Result<ParsedMembers> {
    let budget = Budget::for_import();
    let raw = table::read_table(bytes, format, &COLUMNS, &budget)?;
    let mut parsed = ParsedMembers {
        encoding: raw.encoding.clone(),
        rows: Vec::new(),
        errors: raw.row_errors.clone(),
    };
    let cols = match table::map_columns(&raw, &COLUMNS) {
        Ok(cols) => cols,
        Err(errors) => {
            parsed.errors = errors;
            return Ok(parsed);
        }
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in &raw.rows {
        let mut f = Fields::new(row, &cols, &COLUMNS);
        let household_code = f.required_text(HOUSEHOLD, TextKind::Code);
        let name = f.required_text(NAME, TextKind::Plain);
        let relation = f.text(RELATION, TextKind::Plain).unwrap_or_default();
        let phone = f.text(PHONE, TextKind::Phone);
        if let Some(p) = &phone {
            if let Err(e) = pii::validate_phone(p) {
                f.error(PHONE, pii_reason(e));
            }
        }
        let id_number = f.text(ID_NUMBER, TextKind::IdNumber);
        if let Some(id) = &id_number {
            if let Err(e) = pii::validate_id_number(id) {
                f.error(ID_NUMBER, pii_reason(e));
            }
        }
        let (Some(household_code), Some(name)) = (household_code, name) else {
            parsed.errors.append(&mut f.errors);
            continue;
        };
        let id = member_id(&household_code, id_number.as_deref(), &name);
        match first_line.get(&id) {
            Some(&first) => {
                let reason = if id_number.is_some() {
                    format!(
                        "本户已有相同身份证号的成员（第{first}行）/ this household already has a member with this ID number (line {first})"
                    )
                } else {
                    format!(
                        "本户已有同名成员（第{first}行）且都没有身份证号，无法区分：请补上身份证号，或删除重复的行 / this household already has a member with this name and no ID number (line {first}); add ID numbers to tell them apart, or remove the duplicate row"
                    )
                };
                let col = if id_number.is_some() { ID_NUMBER } else { NAME };
                f.error(col, reason);
            }
            None => {
                first_line.insert(id.clone(), f.line);
            }
        }
        if !f.errors.is_empty() {
            parsed.errors.append(&mut f.errors);
            continue;
        }
        parsed.rows.push((
            row.line,
            Member {
                id,
                household_code,
                name,
                relation,
                phone,
                id_number,
                pii_masked: false,
            },
        ));
    }
    parsed.errors.sort_by_key(|e| e.line);
    tracing::debug!(
        encoding = %parsed.encoding,
        rows = parsed.rows.len(),
        errors = parsed.errors.len(),
        "parsed member register"
    );
    Ok(parsed)
}

/// The reason of a `pii` validation error. Those reasons describe the rule,
/// never the value.
fn pii_reason(e: CoreError) -> String {
    match e {
        CoreError::Invalid { reason, .. } => reason,
        other => other.to_string(),
    }
}
