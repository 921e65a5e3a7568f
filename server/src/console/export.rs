//! 导出: the case board (with its filters) and the coverage of a region as
//! XLSX workbooks (rust_xlsxwriter), Chinese headers, one row per case or
//! region/grid. Cells are written as text or numbers, never as formulas.

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gridwork_core::store::{CaseFilter, RegionFigures};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::cases::{board_filter, BoardQuery};
use super::overview::RegionQuery;
use super::session::ConsoleUser;
use crate::error::{ApiResult, ServerError};
use crate::routes::{blocking, AppState};

/// Most rows one export holds (the reference city has 2,778 cases).
pub const MAX_ROWS: u32 = 100_000;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx_error(e: XlsxError) -> ServerError {
    ServerError::Internal(format!("XLSX: {e}"))
}

/// China Standard Time, as people read it.
fn local(t: DateTime<Utc>) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn header(sheet: &mut Worksheet, names: &[&str]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (i, name) in names.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *name, &bold)?;
        sheet.set_column_width(i as u16, 14)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn attachment(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, XLSX.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /console/api/export/cases.xlsx` with the board's filters.
pub async fn cases(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<BoardQuery>,
) -> ApiResult<Response> {
    let filter: CaseFilter = board_filter(&q)?;
    let id = me.session.user.id;
    let bytes = blocking(move || {
        let mut rows = Vec::new();
        loop {
            let page = state
                .storage
                .console_cases(&id, &filter, rows.len() as u32, 500)?;
            let done =
                page.rows.is_empty() || rows.len() as u32 + page.rows.len() as u32 >= page.total;
            rows.extend(page.rows);
            if done || rows.len() as u32 >= MAX_ROWS {
                break;
            }
        }
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        (|| -> Result<(), XlsxError> {
            sheet.set_name("事件")?;
            header(
                sheet,
                &[
                    "编号",
                    "标题",
                    "重点",
                    "子类",
                    "紧急程度",
                    "状态",
                    "网格",
                    "户",
                    "处置人",
                    "上报时间",
                    "时限",
                    "计时",
                    "升级层级",
                ],
            )?;
            for (i, r) in rows.iter().enumerate() {
                let row = i as u32 + 1;
                sheet.write_string(row, 0, &r.id)?;
                sheet.write_string(row, 1, &r.title)?;
                sheet.write_string(row, 2, r.priority.label_zh())?;
                sheet.write_string(row, 3, &r.subcategory)?;
                sheet.write_string(row, 4, r.severity.label_zh())?;
                sheet.write_string(row, 5, r.state.label_zh())?;
                sheet.write_string(row, 6, &r.grid_code)?;
                sheet.write_string(row, 7, r.household_code.as_deref().unwrap_or(""))?;
                sheet.write_string(row, 8, r.handler_id.as_deref().unwrap_or(""))?;
                sheet.write_string(row, 9, local(r.reported_at))?;
                sheet.write_string(row, 10, local(r.deadline))?;
                sheet.write_string(row, 11, &r.countdown_label)?;
                sheet.write_number(row, 12, f64::from(r.escalation_level))?;
            }
            Ok(())
        })()
        .map_err(xlsx_error)?;
        book.save_to_buffer().map_err(xlsx_error)
    })
    .await?;
    Ok(attachment("gridwork-cases.xlsx", bytes))
}

fn figures_row(sheet: &mut Worksheet, row: u32, f: &RegionFigures) -> Result<(), XlsxError> {
    sheet.write_string(row, 0, &f.code)?;
    sheet.write_string(row, 1, &f.name)?;
    let numbers = [
        f.grids,
        f.grids_with_worker,
        f.households,
        f.places,
        f.with_worker,
        f.visits_due,
        f.up_to_date,
        f.open_cases,
        f.open_with_owner,
        f.overdue,
        f.escalated,
    ];
    for (i, n) in numbers.iter().enumerate() {
        sheet.write_number(row, i as u16 + 2, f64::from(*n))?;
    }
    Ok(())
}

/// `GET /console/api/export/coverage.xlsx?region=`: the four promises for
/// the region and each of its parts, and its grids with who covers them.
pub async fn coverage(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<RegionQuery>,
) -> ApiResult<Response> {
    let id = me.session.user.id;
    let bytes = blocking(move || {
        let overview = state.storage.console_overview(&id, q.region.as_deref())?;
        let roster = state.storage.console_roster(&id, q.region.as_deref())?;
        let mut book = Workbook::new();
        (|| -> Result<(), XlsxError> {
            let sheet = book.add_worksheet();
            sheet.set_name("四个到位")?;
            header(
                sheet,
                &[
                    "编码",
                    "名称",
                    "网格",
                    "有网格员的网格",
                    "户",
                    "场所",
                    "有人负责",
                    "待走访",
                    "按时走访",
                    "未办结事件",
                    "有处置人",
                    "超期",
                    "已升级",
                ],
            )?;
            figures_row(sheet, 1, &overview.region)?;
            for (i, c) in overview.children.iter().enumerate() {
                figures_row(sheet, i as u32 + 2, c)?;
            }
            let grids = book.add_worksheet();
            grids.set_name("网格与负责人")?;
            header(
                grids,
                &[
                    "网格编码",
                    "网格",
                    "村（社区）",
                    "户",
                    "场所",
                    "主责网格员",
                    "备岗网格员",
                ],
            )?;
            for (i, g) in roster.grids.iter().enumerate() {
                let row = i as u32 + 1;
                let names = |primary: bool| -> String {
                    g.workers
                        .iter()
                        .filter(|w| {
                            (w.kind == gridwork_core::user::AssignmentKind::Primary) == primary
                        })
                        .map(|w| format!("{}（{}）", w.name, w.user_id))
                        .collect::<Vec<_>>()
                        .join("、")
                };
                grids.write_string(row, 0, &g.code)?;
                grids.write_string(row, 1, &g.name)?;
                grids.write_string(row, 2, &g.village_name)?;
                grids.write_number(row, 3, f64::from(g.households))?;
                grids.write_number(row, 4, f64::from(g.places))?;
                grids.write_string(row, 5, names(true))?;
                grids.write_string(row, 6, names(false))?;
            }
            Ok(())
        })()
        .map_err(xlsx_error)?;
        book.save_to_buffer().map_err(xlsx_error)
    })
    .await?;
    Ok(attachment("gridwork-coverage.xlsx", bytes))
}
