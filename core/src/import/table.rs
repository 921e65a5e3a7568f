//! Reading a table (CSV or the first worksheet of an XLSX workbook) into
//! header + rows of cells, with encoding detection for CSV and header mapping
//! by name (Chinese or English, any order).

use super::{RowError, TableFormat};
use crate::error::{CoreError, Result};
use crate::limits::{import as lim, too_large, Budget};

/// One cell as read from the file. CSV cells are always `Text`.
#[derive(Debug, Clone, PartialEq)]
// Numbers and typed cells come only from XLSX.
#[cfg_attr(not(feature = "xlsx"), allow(dead_code))]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// Something else Excel stored (a boolean, date, duration) shown as text.
    Other(String),
    /// An Excel error value such as `#N/A`.
    Error(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    fn header_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::Other(s) | Cell::Error(s) => s.clone(),
            Cell::Number(n) => format_number(*n),
        }
    }
}

#[derive(Debug)]
pub(crate) struct RawRow {
    /// 1-based CSV line or spreadsheet row.
    pub line: u64,
    pub cells: Vec<Cell>,
}

#[derive(Debug)]
pub(crate) struct RawTable {
    /// Human-readable encoding: "UTF-8", "UTF-8 (BOM)", "UTF-16LE (BOM)",
    /// "GBK" or "XLSX".
    pub encoding: String,
    pub header_line: u64,
    pub headers: Vec<String>,
    /// Data rows, blank rows already left out.
    pub rows: Vec<RawRow>,
    /// Rows that could not be split into fields at all (left out of `rows`).
    pub row_errors: Vec<RowError>,
}

/// How far down a header row is looked for, past title rows such as
/// `XX村户籍登记表` that registers often carry above the header.
const HEADER_SEARCH_ROWS: usize = 5;

/// Read a whole table. Whole-file problems are errors.
///
/// The header is the first of the first five non-blank rows that has at
/// least two headers from `specs`; failing that, the first non-blank row (and
/// the missing columns are then reported against it). Rows above the header
/// are titles and are not read.
pub(crate) fn read_table(
    bytes: &[u8],
    format: TableFormat,
    specs: &[Column],
    budget: &Budget,
) -> Result<RawTable> {
    if bytes.len() > lim::MAX_FILE_BYTES {
        let mib = lim::MAX_FILE_BYTES / (1024 * 1024);
        return Err(too_large(
            "file",
            format!("文件超过 {mib} MiB，请拆分 / the file is larger than {mib} MiB: split it"),
        ));
    }
    let (encoding, mut rows, mut row_errors) = match format {
        TableFormat::Csv => {
            if looks_like_zip(bytes) {
                return Err(file_error(
                    "文件内容是 XLSX（zip 压缩包），不是 CSV / the file is an XLSX workbook (zip), not CSV",
                ));
            }
            if looks_like_ole(bytes) {
                return Err(legacy_xls_error());
            }
            let (text, encoding) = decode_text(bytes)?;
            let (rows, errors) = read_csv_rows(&text, budget)?;
            (encoding.to_string(), rows, errors)
        }
        TableFormat::Xlsx => (
            "XLSX".to_string(),
            read_xlsx_rows(bytes, budget)?,
            Vec::new(),
        ),
    };
    rows.retain(|r| !r.cells.iter().all(Cell::is_blank));
    if rows.is_empty() {
        return Err(file_error(
            "文件是空的，没有表头 / the file is empty: no header row",
        ));
    }
    let recognised = |row: &RawRow| {
        row.cells
            .iter()
            .filter(|c| {
                let h = normalise_header(&c.header_text());
                specs.iter().any(|s| s.aliases.contains(&h.as_str()))
            })
            .count()
    };
    let header_at = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|r| recognised(r) >= 2)
        .unwrap_or(0);
    let header = rows.remove(header_at);
    rows.drain(..header_at);
    row_errors.retain(|e| e.line > header.line);
    let headers: Vec<String> = header.cells.iter().map(Cell::header_text).collect();
    if format == TableFormat::Csv {
        // More filled fields than headers almost always means an unquoted
        // comma (often in an address) shifted the columns: refuse the row
        // rather than read the wrong values into the wrong fields.
        let width = headers.len();
        rows.retain(|r| {
            let used = r.cells.iter().rposition(|c| !c.is_blank()).map_or(0, |p| p + 1);
            if used > width {
                row_errors.push(RowError::new(
                    r.line,
                    "row",
                    format!(
                        "本行有{used}个字段，但表头只有{width}列（含逗号的内容要用英文双引号括起来）/ this line has {used} fields but the header has {width} columns (put values containing commas in double quotes)"
                    ),
                ));
                false
            } else {
                true
            }
        });
    }
    Ok(RawTable {
        encoding,
        header_line: header.line,
        headers,
        rows,
        row_errors,
    })
}

pub(super) fn file_error(reason: impl Into<String>) -> CoreError {
    CoreError::invalid("file", reason)
}

pub(super) fn legacy_xls_error() -> CoreError {
    file_error(
        "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）/ legacy Excel .xls files are not supported: save as .xlsx or CSV (UTF-8)",
    )
}

pub(crate) fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

pub(super) fn looks_like_ole(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// 1-based line number of a byte offset.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GBK
/// (GB18030, a superset). Nothing is decoded with replacement characters: a
/// file that decodes cleanly under none of them is refused, so no name or
/// address is silently turned into mojibake.
pub(crate) fn decode_text(bytes: &[u8]) -> Result<(String, &'static str)> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((s.to_string(), "UTF-8 (BOM)")),
            Err(e) => {
                let line = line_of(rest, e.valid_up_to());
                Err(file_error(format!(
                    "文件标明是 UTF-8，但第{line}行含有不是 UTF-8 的字节 / the file is marked UTF-8 but line {line} has bytes that are not UTF-8"
                )))
            }
        };
    }
    for (bom, encoding, label) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE, "UTF-16LE (BOM)"),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE, "UTF-16BE (BOM)"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return match encoding.decode_without_bom_handling_and_without_replacement(rest) {
                Some(s) => Ok((s.into_owned(), label)),
                None => Err(file_error(format!(
                    "文件标明是 {label}，但内容无法按此编码解码 / the file is marked {label} but does not decode as such"
                ))),
            };
        }
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(s) => return Ok((s.to_string(), "UTF-8")),
        Err(e) => e,
    };
    let valid = utf8_error.valid_up_to();
    let bad_line = line_of(bytes, valid);
    // A GBK file almost never has several non-ASCII characters that are also
    // valid UTF-8 before its first invalid byte; a UTF-8 file with one broken
    // byte does. Decoding that as GBK would turn every name into mojibake.
    let non_ascii_before = String::from_utf8_lossy(&bytes[..valid])
        .chars()
        .filter(|c| !c.is_ascii())
        .count();
    if non_ascii_before >= 4 {
        return Err(file_error(format!(
            "文件看起来是 UTF-8，但第{bad_line}行含有不是 UTF-8 的字节（文件可能已损坏或混用了编码）/ the file looks like UTF-8 but line {bad_line} has bytes that are not UTF-8 (damaged file or mixed encodings)"
        )));
    }
    match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok((s.into_owned(), "GBK")),
        None => Err(file_error(format!(
            "无法识别文件编码：既不是 UTF-8 也不是 GBK（第{bad_line}行起出错），请另存为“CSV UTF-8” / cannot decode the file: it is neither UTF-8 nor GBK (first bad bytes on line {bad_line}); save it as \"CSV UTF-8\""
        ))),
    }
}

/// Comma, unless the header line has more tabs than commas (TSV, or text
/// copied out of a spreadsheet, or Excel's "Unicode text").
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let commas = first.matches(',').count();
    let tabs = first.matches('\t').count();
    if tabs > commas {
        b'\t'
    } else {
        b','
    }
}

fn read_csv_rows(text: &str, budget: &Budget) -> Result<(Vec<RawRow>, Vec<RowError>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    // The csv crate's own line count does not count skipped blank lines, so
    // lines are worked out from byte offsets.
    let bytes = text.as_bytes();
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
        .collect();
    let line_at = |position: Option<&csv::Position>| -> u64 {
        let mut at = position.map_or(0, |p| p.byte() as usize);
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        newlines.partition_point(|&n| n < at) as u64 + 1
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = line_at(record.position());
                if record.len() > lim::MAX_TABLE_COLUMNS as usize {
                    return Err(too_large(
                        "file",
                        format!(
                            "第{line}行有 {} 个字段，超过上限 {} / line {line} has {} fields, more than the limit of {}",
                            record.len(),
                            lim::MAX_TABLE_COLUMNS,
                            record.len(),
                            lim::MAX_TABLE_COLUMNS
                        ),
                    ));
                }
                // Title rows above the header may come first.
                if rows.len() > lim::MAX_TABLE_ROWS as usize + HEADER_SEARCH_ROWS {
                    return Err(too_large(
                        "file",
                        format!(
                            "文件超过 {} 行，请拆分 / the file has more than {} rows: split it",
                            lim::MAX_TABLE_ROWS,
                            lim::MAX_TABLE_ROWS
                        ),
                    ));
                }
                if rows.len() % 100_000 == 0 {
                    budget.check()?;
                }
                rows.push(RawRow {
                    line,
                    cells: record.iter().map(|f| Cell::Text(f.to_string())).collect(),
                });
            }
            Err(e) => {
                // With `flexible` and a &str source this does not happen in
                // practice; if it does, the row is reported, never dropped.
                let line = line_at(e.position());
                errors.push(RowError::new(
                    line,
                    "row",
                    "这一行无法按 CSV 读取 / this line cannot be read as CSV",
                ));
                if e.is_io_error() {
                    break;
                }
            }
        }
    }
    Ok((rows, errors))
}

#[cfg(not(feature = "xlsx"))]
fn read_xlsx_rows(_bytes: &[u8], _budget: &Budget) -> Result<Vec<RawRow>> {
    Err(file_error(
        "此版本不读取 XLSX，请另存为 CSV，或在服务器导入 / this build does not read XLSX: save it as CSV, or import it on the server",
    ))
}

#[cfg(feature = "xlsx")]
use super::xlsx::read_xlsx_rows;

// ---------------------------------------------------------------------------
// Header mapping

/// A column a parser understands.
#[derive(Debug)]
pub(crate) struct Column {
    /// Canonical English name, also used as `RowError::field` when the
    /// column is missing.
    pub key: &'static str,
    /// What the column holds, in Chinese and in English, for messages.
    pub zh: &'static str,
    pub en: &'static str,
    /// Accepted headers, already normalised (see [`normalise_header`]).
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// Where each known column sits in the file, and its header as written.
#[derive(Debug)]
pub(crate) struct Columns {
    index: Vec<Option<usize>>,
    names: Vec<String>,
}

/// Normalise a header for matching: full-width ASCII folded, whitespace,
/// `*` (a "required" marker) and a trailing `(…)`/`（…）` note dropped,
/// ASCII lower-cased, `-` and spaces as `_`.
pub(crate) fn normalise_header(header: &str) -> String {
    let mut h: String = fold_full_width(header)
        .trim()
        .trim_matches(|c: char| c == '*' || c == '\u{feff}')
        .trim()
        .to_string();
    if h.ends_with(')') {
        if let Some(open) = h.rfind('(') {
            if open > 0 {
                h.truncate(open);
            }
        }
    }
    h.trim()
        .trim_matches('*')
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Map headers to columns. On failure (a required column missing, or two
/// headers naming the same column) the errors are returned instead, all at
/// the header's line, and the caller imports no rows.
pub(crate) fn map_columns(table: &RawTable, specs: &[Column]) -> Result<Columns, Vec<RowError>> {
    let mut index = vec![None; specs.len()];
    let mut names: Vec<String> = specs.iter().map(|s| s.key.to_string()).collect();
    let mut errors = Vec::new();
    for (col, header) in table.headers.iter().enumerate() {
        let norm = normalise_header(header);
        if norm.is_empty() {
            continue;
        }
        let Some(spec_i) = specs
            .iter()
            .position(|s| s.aliases.contains(&norm.as_str()))
        else {
            continue;
        };
        match index[spec_i] {
            Some(first) => errors.push(RowError::new(
                table.header_line,
                header.trim(),
                format!(
                    "第{}列和第{}列都是「{}」列，只能有一列 / columns {} and {} both give {} ({}); keep only one",
                    first + 1,
                    col + 1,
                    specs[spec_i].zh,
                    first + 1,
                    col + 1,
                    specs[spec_i].en,
                    specs[spec_i].key
                ),
            )),
            None => {
                index[spec_i] = Some(col);
                names[spec_i] = header.trim().to_string();
            }
        }
    }
    for (spec, found) in specs.iter().zip(&index) {
        if spec.required && found.is_none() {
            errors.push(RowError::new(
                table.header_line,
                spec.key,
                format!(
                    "缺少必填列「{}」（可用列名：{}）/ required column for {} is missing (accepted headers: {})",
                    spec.zh,
                    spec.aliases.join("、"),
                    spec.en,
                    spec.aliases.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Columns { index, names })
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------
// Reading fields of one row

/// How a cell's content is to be read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// Names, addresses, free text: taken as written (trimmed).
    Plain,
    /// Codes: full-width ASCII folded; numbers must be whole and short
    /// enough that Excel kept every digit.
    Code,
    /// Phone numbers: as `Code`, spaces removed. Never echoed in messages.
    Phone,
    /// Resident ID numbers: never valid as an Excel number (18 digits do not
    /// fit in 15 significant digits). Never echoed in messages.
    IdNumber,
}

const LOST_DIGITS_ZH: &str =
    "Excel 只保留 15 位有效数字，后几位已经丢失；请把该列设为“文本”格式后重新填写";
const LOST_DIGITS_EN: &str = "Excel keeps only 15 significant digits, so the last digits are lost; format the column as Text and re-enter the values";

/// The fields of one data row, collecting every problem found in it.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    pub line: u64,
    row: &'a RawRow,
    cols: &'a Columns,
    specs: &'a [Column],
    pub errors: Vec<RowError>,
}

impl<'a> Fields<'a> {
    pub fn new(row: &'a RawRow, cols: &'a Columns, specs: &'a [Column]) -> Self {
        Fields {
            line: row.line,
            row,
            cols,
            specs,
            errors: Vec::new(),
        }
    }

    /// The column's header as written in the file.
    pub fn name(&self, col: usize) -> &str {
        self.cols.names.get(col).map_or("?", String::as_str)
    }

    pub fn error(&mut self, col: usize, reason: impl Into<String>) {
        let field = self.name(col).to_string();
        self.errors.push(RowError::new(self.line, field, reason));
    }

    fn cell(&self, col: usize) -> &Cell {
        self.cols
            .index
            .get(col)
            .copied()
            .flatten()
            .and_then(|i| self.row.cells.get(i))
            .unwrap_or(&Cell::Empty)
    }

    fn missing(&mut self, col: usize) {
        let (zh, en) = self.specs.get(col).map_or(("", ""), |s| (s.zh, s.en));
        self.error(col, format!("缺少{zh} / {en} is missing"));
    }

    /// An optional text field: `None` when empty or unreadable (the problem
    /// is recorded).
    pub fn text(&mut self, col: usize, kind: TextKind) -> Option<String> {
        match read_text(self.cell(col), kind) {
            Ok(v) => v,
            Err(reason) => {
                self.error(col, reason);
                None
            }
        }
    }

    /// A required text field.
    pub fn required_text(&mut self, col: usize, kind: TextKind) -> Option<String> {
        match read_text(self.cell(col), kind) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                self.missing(col);
                None
            }
            Err(reason) => {
                self.error(col, reason);
                None
            }
        }
    }

    /// A required decimal number.
    pub fn required_number(&mut self, col: usize) -> Option<f64> {
        let result = match self.cell(col) {
            Cell::Number(n) => Ok(Some(*n)),
            Cell::Empty => Ok(None),
            Cell::Text(s) | Cell::Other(s) => {
                let folded = fold_full_width(s);
                let t = folded.trim();
                if t.is_empty() {
                    Ok(None)
                } else {
                    match t.parse::<f64>() {
                        Ok(n) if n.is_finite() => Ok(Some(n)),
                        _ => Err(format!(
                            "「{}」不是十进制数字 / '{}' is not a decimal number",
                            shorten(t),
                            shorten(t)
                        )),
                    }
                }
            }
            Cell::Error(e) => Err(cell_error_reason(e)),
        };
        match result {
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                self.missing(col);
                None
            }
            Err(reason) => {
                self.error(col, reason);
                None
            }
        }
    }
}

fn cell_error_reason(e: &str) -> String {
    format!("单元格是 Excel 错误值 {e} / the cell holds the Excel error {e}")
}

fn read_text(cell: &Cell, kind: TextKind) -> Result<Option<String>, String> {
    let pii = matches!(kind, TextKind::Phone | TextKind::IdNumber);
    match cell {
        Cell::Empty => Ok(None),
        Cell::Error(e) => Err(cell_error_reason(e)),
        Cell::Number(n) => match kind {
            TextKind::Plain => Ok(Some(format_number(*n))),
            TextKind::IdNumber => Err(format!(
                "身份证号被存成了数字，{LOST_DIGITS_ZH} / the ID number was stored as a number: {LOST_DIGITS_EN}"
            )),
            TextKind::Code | TextKind::Phone => {
                if n.fract() != 0.0 || !n.is_finite() || *n < 0.0 {
                    if pii {
                        Err("不是有效的号码 / not a valid number".to_string())
                    } else {
                        Err(format!(
                            "编码不能是小数或负数：{} / a code cannot be a fraction or negative: {}",
                            format_number(*n),
                            format_number(*n)
                        ))
                    }
                } else if *n >= 1e15 {
                    Err(format!(
                        "数字太长，被存成了数字格式，{LOST_DIGITS_ZH} / the value was stored as a number: {LOST_DIGITS_EN}"
                    ))
                } else {
                    Ok(Some(format_number(*n)))
                }
            }
        },
        Cell::Text(s) | Cell::Other(s) => {
            let value = match kind {
                TextKind::Plain => s.trim().to_string(),
                TextKind::Code => fold_full_width(s).trim().to_string(),
                TextKind::Phone => fold_full_width(s)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect(),
                TextKind::IdNumber => fold_full_width(s).trim().to_ascii_uppercase(),
            };
            if value.is_empty() {
                return Ok(None);
            }
            if kind != TextKind::Plain && looks_scientific(&value) {
                return Err(format!(
                    "值是科学计数法（如 4.4E+17），说明它曾被 Excel 当作数字，{LOST_DIGITS_ZH} / the value is in scientific notation (e.g. 4.4E+17), so Excel treated it as a number: {LOST_DIGITS_EN}"
                ));
            }
            Ok(Some(value))
        }
    }
}

/// `4.40308E+17`, `1.38123E+10`: what Excel writes for long numbers.
fn looks_scientific(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().filter(|&c| c == '.').count() <= 1
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

/// Whole numbers without `.0`; others as Rust prints them.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Fold full-width ASCII (`１２３`, `ＡＢＣ`, `．`) to ASCII and the
/// ideographic space to a space.
pub(crate) fn fold_full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// At most 40 characters of a value, for messages.
pub(crate) fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}
