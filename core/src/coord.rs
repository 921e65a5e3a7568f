//! Chinese map datums: WGS-84 ↔ GCJ-02 ↔ BD-09.
//!
//! Phones report WGS-84 (≈ CGCS2000, which 天地图 uses); Amap and Tencent
//! display GCJ-02 ("Mars coordinates"), Baidu displays BD-09. Gridwork stores
//! WGS-84 and converts only for display, so every function here is a pure
//! function of one point.
//!
//! The formulas follow the two widely used public implementations,
//! eviltransform (googollee) and coordtransform (wandergis), which encode the
//! same leaked GCJ-02 and BD-09 algorithms but differ in three places:
//!
//! | | eviltransform 0.1.1 (PyPI) / 0.2.2 (npm) | coordtransform 2.1.2 (npm) | here |
//! |---|---|---|---|
//! | ellipsoid semi-major axis in the GCJ shift | 6 378 137 (WGS-84) | 6 378 245 (Krasovsky) | 6 378 245 |
//! | "out of China" box (lat; lon) | 0.8293..=55.8271; 72.004..=137.8347 | 3.86..53.55; 73.66..135.05 (open) | eviltransform's |
//! | BD-09 outside the box | unshifted | shifted | unshifted |
//!
//! Why:
//! - **Krasovsky 6 378 245 m** is the constant of the original GCJ-02
//!   algorithm (an SK-42 ellipsoid). eviltransform's ports used it too until
//!   the fix for its issue #28 (the *distance* radius) also changed the radius
//!   of the shift; upstream acknowledges that as a bug (issue #28; #44 and
//!   #48 still open). The shipped eviltransform is therefore off by
//!   ≈ 1.7e-5 × the shift, about 1e-7° (≈ 1 cm). coordtransform and
//!   eviltransform with its constant restored give bit-identical GCJ-02 for
//!   every test point inside both boxes; this module agrees with both to
//!   ≈ 1e-14° (an ulp, libm differences).
//! - **eviltransform's box**: coordtransform's box cuts off real Chinese
//!   territory — the northern tip of Mohe (53.56° N), the eastern tip of
//!   Fuyuan (135.08° E) and the western Pamirs (73.50° E) — where Amap and
//!   Baidu do shift. Both boxes are rectangles, so both also shift points in
//!   Korea, Mongolia, northern Vietnam, western Japan and so on
//!   (eviltransform's even Singapore); that is reference behaviour and is
//!   kept. Gridwork's data is in China, so it never matters in practice.
//! - BD-09 outside the box: "outside China no shift is applied", as in
//!   eviltransform. Inside it both references use Baidu's `x_pi = π·3000/180`
//!   (npm eviltransform 0.2.2 wrongly uses `π`, eviltransform issue #43; the
//!   PyPI package is fixed).
//!
//! GCJ-02 → WGS-84 has no closed form. [`gcj02_to_wgs84`] solves it by
//! fixed-point iteration to ≈ 1e-10° (0.01 mm). eviltransform's
//! `gcj2wgs_exact` bisects both axes at once with a 1e-6° stop and a ±0.01°
//! bracket: usually within 0.15 m, but a wrong turn of the coupled bisection
//! leaves it up to 1.26 m off (50 of 306,649 points on a 0.1° grid over
//! China's bounding rectangle), and in the Russian Far East, where the shift
//! exceeds its bracket, tens of metres. [`gcj02_to_wgs84_approx`] is the
//! one-step inverse of both references (error up to ≈ 5 m).
//!
//! BD-09 ↔ GCJ-02 are Baidu's closed-form pair, as in the references
//! (≈ 1e-14°); they are not exact inverses of each other, and a round trip
//! drifts by at most ≈ 0.25 m (most in the far north).
//!
//! Non-finite input is "out of China" and passes through unchanged.

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// A geodetic datum a coordinate can be expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoordSystem {
    /// GPS, CGCS2000, 天地图. What Gridwork stores.
    Wgs84,
    /// 国测局 "Mars" coordinates: Amap (高德), Tencent (腾讯).
    Gcj02,
    /// Baidu (百度).
    Bd09,
}

/// A latitude/longitude pair in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub const fn new(lat: f64, lon: f64) -> Self {
        LatLon { lat, lon }
    }
}

/// Semi-major axis of the Krasovsky 1940 ellipsoid, as in the original GCJ-02.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the same ellipsoid.
#[allow(clippy::excessive_precision)] // the literal exactly as in both references
const KRASOVSKY_EE: f64 = 0.00669342162296594323;
/// Baidu's angular constant.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Stop the GCJ-02 inverse when the forward residual is below this (degrees).
/// About 0.01 mm; well above the f64 resolution at 180° (≈ 3e-14°).
const INVERSE_TOLERANCE: f64 = 1e-10;
/// Iteration cap for the inverse. The shift's Jacobian is ≈ 1e-2, so each
/// step gains about two digits; over China no point needed more than 4.
const INVERSE_MAX_ITERATIONS: usize = 20;

/// True when no GCJ-02/BD-09 shift applies: outside eviltransform's
/// rectangle around China (bounds inclusive), or a non-finite coordinate.
pub fn out_of_china(lat: f64, lon: f64) -> bool {
    !((72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat))
}

/// The GCJ-02 obfuscation polynomial, in metres-ish units, for offsets from
/// (35° N, 105° E). Term order as in eviltransform.
fn shift_terms(x: f64, y: f64) -> (f64, f64) {
    let xy = x * y;
    let abs_x = x.abs().sqrt();
    let x_pi = x * PI;
    let y_pi = y * PI;
    let d = 20.0 * (6.0 * x_pi).sin() + 20.0 * (2.0 * x_pi).sin();

    let mut lat = d;
    let mut lon = d;
    lat += 20.0 * y_pi.sin() + 40.0 * (y_pi / 3.0).sin();
    lon += 20.0 * x_pi.sin() + 40.0 * (x_pi / 3.0).sin();
    lat += 160.0 * (y_pi / 12.0).sin() + 320.0 * (y_pi / 30.0).sin();
    lon += 150.0 * (x_pi / 12.0).sin() + 300.0 * (x_pi / 30.0).sin();
    lat *= 2.0 / 3.0;
    lon *= 2.0 / 3.0;
    lat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * abs_x;
    lon += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * abs_x;
    (lat, lon)
}

/// GCJ-02 minus WGS-84 at a WGS-84 point, in degrees, ignoring the box.
fn shift(lat: f64, lon: f64) -> (f64, f64) {
    let (d_lat, d_lon) = shift_terms(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    let d_lat =
        (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (d_lat, d_lon)
}

/// WGS-84 → GCJ-02. Identity outside China.
pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    let (d_lat, d_lon) = shift(p.lat, p.lon);
    LatLon::new(p.lat + d_lat, p.lon + d_lon)
}

/// GCJ-02 → WGS-84, exact: the WGS-84 point whose GCJ-02 image is `p`, to
/// about 1e-10° (bounded iterations). Identity outside China.
///
/// Near the edges of the box (all outside China) the forward map jumps, so
/// some GCJ-02 points there have no preimage; the result is then the
/// preimage under the unboxed formula.
pub fn gcj02_to_wgs84(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    let mut w = gcj02_to_wgs84_approx(p);
    let mut best = (f64::INFINITY, w);
    for _ in 0..INVERSE_MAX_ITERATIONS {
        let (d_lat, d_lon) = shift(w.lat, w.lon);
        let r_lat = w.lat + d_lat - p.lat;
        let r_lon = w.lon + d_lon - p.lon;
        let residual = r_lat.abs().max(r_lon.abs());
        if residual < best.0 {
            best = (residual, w);
        }
        if residual < INVERSE_TOLERANCE {
            return w;
        }
        w = LatLon::new(w.lat - r_lat, w.lon - r_lon);
    }
    best.1
}

/// GCJ-02 → WGS-84 in one step (subtract the shift taken at the GCJ-02
/// point), as `gcj2wgs` / `gcj02towgs84` in the references. Off by up to
/// about 5 m; use [`gcj02_to_wgs84`] unless matching those libraries.
pub fn gcj02_to_wgs84_approx(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    let (d_lat, d_lon) = shift(p.lat, p.lon);
    LatLon::new(p.lat - d_lat, p.lon - d_lon)
}

/// GCJ-02 → BD-09 (Baidu's formula). Identity outside China.
pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    let (x, y) = (p.lon, p.lat);
    let z = x.hypot(y) + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    LatLon::new(z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// BD-09 → GCJ-02 (Baidu's formula). Identity outside China.
pub fn bd09_to_gcj02(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    let (x, y) = (p.lon - 0.0065, p.lat - 0.006);
    let z = x.hypot(y) - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    LatLon::new(z * theta.sin(), z * theta.cos())
}

/// WGS-84 → BD-09, through GCJ-02.
pub fn wgs84_to_bd09(p: LatLon) -> LatLon {
    gcj02_to_bd09(wgs84_to_gcj02(p))
}

/// BD-09 → WGS-84, through GCJ-02 with the exact inverse.
pub fn bd09_to_wgs84(p: LatLon) -> LatLon {
    gcj02_to_wgs84(bd09_to_gcj02(p))
}

/// Convert `p` from one datum to another. Same datum: unchanged.
pub fn convert(p: LatLon, from: CoordSystem, to: CoordSystem) -> LatLon {
    use CoordSystem::{Bd09, Gcj02, Wgs84};
    match (from, to) {
        (Wgs84, Wgs84) | (Gcj02, Gcj02) | (Bd09, Bd09) => p,
        (Wgs84, Gcj02) => wgs84_to_gcj02(p),
        (Wgs84, Bd09) => wgs84_to_bd09(p),
        (Gcj02, Wgs84) => gcj02_to_wgs84(p),
        (Gcj02, Bd09) => gcj02_to_bd09(p),
        (Bd09, Wgs84) => bd09_to_wgs84(p),
        (Bd09, Gcj02) => bd09_to_gcj02(p),
    }
}

#[cfg(test)]
mod tests;
