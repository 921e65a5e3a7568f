//! Sanity checks for WGS-84 longitude/latitude in a Chinese deployment: out
//! of range, swapped (latitude first) and projected metres are the three
//! mistakes administrators actually make when exporting from GIS tools.

/// Mainland China, Hainan and the South China Sea islands, with margin.
const CHINA_LON: std::ops::RangeInclusive<f64> = 73.0..=136.0;
const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.0..=54.0;

/// What is wrong with a set of positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CoordProblem {
    /// Every position reads as (lat, lon) of a place in China.
    Swapped,
    /// Values in the thousands or more: metres of a projected system.
    Projected,
    /// Position `index` is outside lon −180..180 / lat −90..90.
    OutOfRange { index: usize, lon: f64, lat: f64 },
}

/// Where the positions came from, to word the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    GeoJson,
    Table,
}

impl CoordProblem {
    pub(crate) fn reason(&self, source: Source) -> String {
        match (self, source) {
            (CoordProblem::Swapped, Source::GeoJson) => {
                "经纬度顺序疑似颠倒：坐标读起来是 [纬度, 经度]，GeoJSON 要求 [经度, 纬度] / coordinates look swapped: they read as [lat, lon] but GeoJSON needs [lon, lat]".to_string()
            }
            (CoordProblem::Swapped, Source::Table) => {
                "经度和纬度疑似填反了（国内经度约 73–136，纬度约 3–54）/ longitude and latitude look swapped (in China longitude is about 73–136, latitude about 3–54)".to_string()
            }
            (CoordProblem::Projected, _) => {
                "坐标值太大，像是以米为单位的投影坐标（如 CGCS2000 高斯-克吕格或 Web 墨卡托），请转换为 WGS-84 经纬度（度）/ coordinates are far too large: they look like projected metres (e.g. CGCS2000 Gauss-Krüger or Web Mercator); convert them to WGS-84 longitude/latitude in degrees".to_string()
            }
            (CoordProblem::OutOfRange { lon, lat, .. }, _) => format!(
                "经度应在 -180 到 180 之间、纬度应在 -90 到 90 之间，实际为 ({lon}, {lat}) / longitude must be within -180..180 and latitude within -90..90, got ({lon}, {lat})"
            ),
        }
    }
}

/// Check (lon, lat) positions; the first problem found, if any.
pub(crate) fn check(points: &[(f64, f64)]) -> Result<(), CoordProblem> {
    if !points.is_empty()
        && points
            .iter()
            .all(|(x, y)| CHINA_LAT.contains(x) && CHINA_LON.contains(y))
    {
        return Err(CoordProblem::Swapped);
    }
    let out_of_range =
        |(x, y): &(f64, f64)| !(-180.0..=180.0).contains(x) || !(-90.0..=90.0).contains(y);
    let Some(index) = points.iter().position(out_of_range) else {
        return Ok(());
    };
    if points
        .iter()
        .any(|(x, y)| x.abs() >= 1000.0 || y.abs() >= 1000.0)
    {
        return Err(CoordProblem::Projected);
    }
    let (lon, lat) = points[index];
    Err(CoordProblem::OutOfRange { index, lon, lat })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_coords_beijing_is_fine_and_swapped_beijing_is_not() {
        assert_eq!(check(&[(116.39, 39.91)]), Ok(()));
        assert_eq!(check(&[(39.91, 116.39)]), Err(CoordProblem::Swapped));
        // Swapped Lhasa stays inside the legal range, and is still caught.
        assert_eq!(check(&[(29.65, 91.1)]), Err(CoordProblem::Swapped));
    }

    #[test]
    fn import_coords_metres_and_range() {
        assert_eq!(
            check(&[(39_500_000.0, 4_400_000.0)]),
            Err(CoordProblem::Projected)
        );
        assert_eq!(
            check(&[(116.0, 39.0), (190.0, 39.0)]),
            Err(CoordProblem::OutOfRange {
                index: 1,
                lon: 190.0,
                lat: 39.0
            })
        );
        // Outside China but legal WGS-84: not our business to refuse.
        assert_eq!(check(&[(2.35, 48.85)]), Ok(()));
    }
}
