//! Reading the first worksheet of an XLSX workbook, bounded before anything
//! big is allocated.
//!
//! An XLSX file is a zip of XML parts. Two things in it can ask for far more
//! memory than the file's size: compressed parts that inflate to gigabytes
//! (a zip bomb), and a sheet whose cells sit far apart (or that declares a
//! huge `<dimension>`), which a dense cell grid (calamine's `Range`) turns
//! into an allocation of rows × columns. So the zip is inflated once into a
//! counter first (every part, its real size counted while inflating, not its
//! declared one), and the sheet is read cell by cell into sparse rows with
//! the row, column and cell limits of [`crate::limits::import`].

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use super::table::{file_error, looks_like_ole, looks_like_zip, Cell, RawRow};
use crate::error::Result;
use crate::limits::{import as lim, too_large, Budget};

pub(super) fn read_xlsx_rows(bytes: &[u8], budget: &Budget) -> Result<Vec<RawRow>> {
    if looks_like_ole(bytes) {
        return Err(super::table::legacy_xls_error());
    }
    if !looks_like_zip(bytes) {
        return Err(file_error(
            "不是 XLSX 文件（XLSX 是 zip 压缩包，应以 PK 开头）/ not an XLSX file (an XLSX file is a zip archive starting with PK)",
        ));
    }
    check_unzipped_size(bytes)?;
    budget.check()?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        file_error(format!(
            "无法读取 XLSX 文件 / cannot read the XLSX file: {e}"
        ))
    })?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(file_error(
            "工作簿里没有工作表 / the workbook has no worksheet",
        ));
    };
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(|e| {
        file_error(format!(
            "无法读取第一个工作表 / cannot read the first worksheet: {e}"
        ))
    })?;
    let declared = cells.dimensions();
    let declared_rows = u64::from(declared.end.0.saturating_sub(declared.start.0)) + 1;
    let declared_cols = u64::from(declared.end.1.saturating_sub(declared.start.1)) + 1;
    if declared_rows > u64::from(lim::MAX_TABLE_ROWS) + 1
        || declared_cols > u64::from(lim::MAX_TABLE_COLUMNS)
    {
        return Err(too_large(
            "file",
            format!(
                "工作表声明了 {declared_rows} 行 × {declared_cols} 列，超过上限（{} 行、{} 列），请拆分文件 / the worksheet declares {declared_rows} rows × {declared_cols} columns, more than the limit ({} rows, {} columns): split the file",
                lim::MAX_TABLE_ROWS,
                lim::MAX_TABLE_COLUMNS,
                lim::MAX_TABLE_ROWS,
                lim::MAX_TABLE_COLUMNS
            ),
        ));
    }

    // Sparse until the end: row number → (column, cell).
    let mut rows: BTreeMap<u32, Vec<(u32, Cell)>> = BTreeMap::new();
    let mut count: u64 = 0;
    let mut first_col = u32::MAX;
    loop {
        let next = cells.next_cell().map_err(|e| {
            file_error(format!(
                "无法读取第一个工作表 / cannot read the first worksheet: {e}"
            ))
        })?;
        let Some(cell) = next else { break };
        let (row, col) = cell.get_position();
        let value = xlsx_cell(cell.get_value());
        if value == Cell::Empty {
            continue;
        }
        if row > lim::MAX_TABLE_ROWS || col >= lim::MAX_TABLE_COLUMNS {
            let at = cell_name(row, col);
            return Err(too_large(
                "file",
                format!(
                    "单元格 {at} 超出上限（{} 行、{} 列），请删除表格外的内容或拆分文件 / cell {at} is beyond the limit ({} rows, {} columns): delete what is outside the table, or split the file",
                    lim::MAX_TABLE_ROWS,
                    lim::MAX_TABLE_COLUMNS,
                    lim::MAX_TABLE_ROWS,
                    lim::MAX_TABLE_COLUMNS
                ),
            ));
        }
        count += 1;
        if count > lim::MAX_TABLE_CELLS {
            return Err(too_large(
                "file",
                format!(
                    "工作表的单元格超过 {} 个，请拆分文件 / the worksheet has more than {} cells: split the file",
                    lim::MAX_TABLE_CELLS,
                    lim::MAX_TABLE_CELLS
                ),
            ));
        }
        if count % 100_000 == 0 {
            budget.check()?;
        }
        first_col = first_col.min(col);
        rows.entry(row).or_default().push((col, value));
    }

    // Columns counted from the leftmost used one, as a range would be.
    Ok(rows
        .into_iter()
        .map(|(row, mut sparse)| {
            sparse.sort_by_key(|(col, _)| *col);
            let width = sparse.last().map_or(0, |(col, _)| col - first_col + 1);
            let mut dense = vec![Cell::Empty; width as usize];
            for (col, value) in sparse {
                dense[(col - first_col) as usize] = value;
            }
            RawRow {
                line: u64::from(row) + 1,
                cells: dense,
            }
        })
        .collect())
}

/// Inflate every part of the zip into a counter: refuse an archive with too
/// many parts or whose parts together inflate past the limit. Sizes are
/// counted as bytes come out of the decompressor, so a part that declares a
/// small size and inflates to gigabytes is stopped at the limit.
fn check_unzipped_size(bytes: &[u8]) -> Result<()> {
    let unreadable = |e: &dyn std::fmt::Display| {
        file_error(format!(
            "无法读取 XLSX 文件 / cannot read the XLSX file: {e}"
        ))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    if archive.len() > lim::MAX_XLSX_PARTS {
        return Err(too_large(
            "file",
            format!(
                "XLSX 压缩包里有 {} 个部件，超过上限 {}，不像是普通的工作簿 / the XLSX zip holds {} parts, more than {}: not an ordinary workbook",
                archive.len(),
                lim::MAX_XLSX_PARTS,
                archive.len(),
                lim::MAX_XLSX_PARTS
            ),
        ));
    }
    let mut left = lim::MAX_XLSX_UNZIPPED_BYTES;
    for i in 0..archive.len() {
        let part = archive.by_index(i).map_err(|e| unreadable(&e))?;
        // One byte past what is left tells "exactly at the limit" from "over".
        let copied =
            io::copy(&mut part.take(left + 1), &mut io::sink()).map_err(|e| unreadable(&e))?;
        if copied > left {
            let mib = lim::MAX_XLSX_UNZIPPED_BYTES / (1024 * 1024);
            return Err(too_large(
                "file",
                format!(
                    "XLSX 解压后超过 {mib} MiB（可能是压缩炸弹），请拆分文件 / the XLSX unpacks to more than {mib} MiB (possibly a zip bomb): split the file"
                ),
            ));
        }
        left -= copied;
    }
    Ok(())
}

fn xlsx_cell(data: &DataRef<'_>) -> Cell {
    match data {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Bool(b) => Cell::Other(if *b { "TRUE" } else { "FALSE" }.to_string()),
        DataRef::DateTime(d) => Cell::Other(d.to_string()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Other(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

/// A cell's name as Excel shows it: (0, 0) is `A1`.
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

#[cfg(test)]
mod tests {
    use super::cell_name;

    #[test]
    fn cells_are_named_as_excel_names_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }
}
