//! Hostile import files, built in memory: shared by the core's parser tests
//! (core/tests/import_limits.rs) and the server-process test
//! (cli/tests/hostile_files.rs), which include this file by path.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A minimal XLSX workbook whose one sheet declares `dimension` (when
/// given) and holds `cells` as inline strings, e.g. `("A1", "户编码")`.
pub fn xlsx(dimension: Option<&str>, cells: &[(&str, &str)]) -> Vec<u8> {
    xlsx_with(dimension, cells, 0)
}

/// The same workbook with one extra part of `padding` zero bytes, which
/// deflate packs into a tiny fraction of that: a zip bomb.
pub fn xlsx_with(dimension: Option<&str>, cells: &[(&str, &str)], padding: u64) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut part = |name: &str, body: &str| {
        zip.start_file(name, opts).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    part(
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    );
    part(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    part(
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    part(
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    );
    let dimension = dimension.map_or(String::new(), |d| format!(r#"<dimension ref="{d}"/>"#));
    let mut rows = String::new();
    for (at, text) in cells {
        let row: String = at.chars().filter(char::is_ascii_digit).collect();
        rows.push_str(&format!(
            r#"<row r="{row}"><c r="{at}" t="inlineStr"><is><t>{text}</t></is></c></row>"#
        ));
    }
    part(
        "xl/worksheets/sheet1.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{rows}</sheetData></worksheet>"#
        ),
    );
    if padding > 0 {
        zip.start_file("xl/media/padding.bin", opts).unwrap();
        let block = vec![0u8; 1 << 20];
        let mut left = padding;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            zip.write_all(&block[..n]).unwrap();
            left -= n as u64;
        }
    }
    zip.finish().unwrap().into_inner()
}

/// A FeatureCollection with one village `V1` (no geometry) and one grid
/// `G1` whose boundary is a circle of `positions` positions (plus the
/// closing one) around 113.9°E 22.5°N.
pub fn geojson_grid_ring(positions: usize) -> String {
    let ring: Vec<[f64; 2]> = (0..=positions)
        .map(|k| {
            let t = (k % positions) as f64 / positions as f64 * std::f64::consts::TAU;
            [113.9 + 0.01 * t.cos(), 22.5 + 0.01 * t.sin()]
        })
        .collect();
    serde_json::json!({
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "C1", "name": "市", "level": "city"}, "geometry": null},
            {"type": "Feature", "properties": {"code": "T1", "name": "镇", "level": "township", "parent": "C1"}, "geometry": null},
            {"type": "Feature", "properties": {"code": "V1", "name": "村", "level": "village", "parent": "T1"}, "geometry": null},
            {"type": "Feature", "properties": {"code": "G1", "name": "网格", "level": "grid", "parent": "V1"},
             "geometry": {"type": "Polygon", "coordinates": [ring]}}
        ]
    })
    .to_string()
}
