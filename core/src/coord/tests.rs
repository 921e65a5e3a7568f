//! Tests for `coord`: agreement with the public reference implementations,
//! and round-trip bounds across China.
//!
//! `reference.rs` holds values computed by the reference packages themselves,
//! never by this crate: produced by `core/tests/data/gen_coord_ref.py` with
//! Python 3.11.7 + eviltransform 0.1.1 (PyPI) and Node 20.20.2 +
//! coordtransform 2.1.2 (npm):
//!
//! ```text
//! cd /tmp/coordref                       # scratch dir
//! python3 -m venv venv && ./venv/bin/pip install eviltransform==0.1.1
//! npm install coordtransform@2.1.2
//! ./venv/bin/python $REPO/core/tests/data/gen_coord_ref.py > $REPO/core/src/coord/tests/reference.rs
//! cargo fmt --all
//! ```
//!
//! Columns (each (lat, lon)):
//! - `et_*`: eviltransform 0.1.1 with its module constant `earthR` set to
//!   6378245.0 (its pre-issue-#28 value; see `coord.rs`): `wgs2gcj(wgs)`,
//!   `wgs2bd(wgs)`, `gcj2wgs(et_gcj)`, `gcj2wgs_exact(et_gcj)`,
//!   `bd2gcj(et_bd)`.
//! - `et_shipped_gcj`: `wgs2gcj(wgs)` from eviltransform 0.1.1 as shipped
//!   (earthR 6378137.0).
//! - `ct_*`: coordtransform 2.1.2 as shipped: `wgs84togcj02(wgs)`,
//!   `gcj02tobd09(ct_gcj)`, `gcj02towgs84(ct_gcj)`, `bd09togcj02(ct_bd)`.
//!
//! Tolerance: 1e-9° (≈ 0.1 mm). The references print shortest round-trip
//! decimals, so they carry full f64 precision; what is left is libm `sin`/
//! `atan2`/`hypot` differing by an ulp between Rust, CPython and V8 and the
//! references' own term order, all around 1e-14°. 1e-9° leaves five orders
//! of margin for other platforms' libm while still catching any change of
//! constant or formula (the ellipsoid mix-up is ~1e-7°, the BD `π` bug
//! ~1e-4°).

use super::*;
use geo::{Distance, Haversine, Point};
use proptest::prelude::*;

mod reference;
use reference::ROWS;

/// One reference point and what each reference package made of it.
#[derive(Debug)]
pub(super) struct Row {
    name: &'static str,
    wgs: LatLon,
    et_gcj: LatLon,
    et_bd: LatLon,
    et_gcj_to_wgs: LatLon,
    et_gcj_to_wgs_exact: LatLon,
    et_bd_to_gcj: LatLon,
    et_shipped_gcj: LatLon,
    ct_gcj: LatLon,
    ct_bd: LatLon,
    ct_gcj_to_wgs: LatLon,
    ct_bd_to_gcj: LatLon,
}

pub(super) const fn ll(lat: f64, lon: f64) -> LatLon {
    LatLon::new(lat, lon)
}

const REF_TOL_DEG: f64 = 1e-9;
/// The round-trip contract for every conversion pair.
const ROUND_TRIP_M: f64 = 0.5;

/// Rows that are Chinese territory (the rest are foreign cities).
const CHINA: &[&str] = &[
    "Beijing Tiananmen",
    "Shanghai People's Square",
    "Shenzhen Civic Center",
    "Chengdu Tianfu Square",
    "Chongqing Jiefangbei",
    "Xi'an Bell Tower",
    "Wuhan",
    "Urumqi",
    "Kashgar",
    "Harbin",
    "Lhasa Potala",
    "Sanya",
    "Kunming",
    "Hong Kong Central",
    "Yongxing Island",
    "Ruili (Myanmar border)",
    "Erenhot (Mongolia border)",
    "Mohe northern tip",
    "Fuyuan eastern tip",
    "Pamir western tip",
];
/// Chinese territory that coordtransform's smaller box leaves unshifted.
const CHINA_OUTSIDE_COORDTRANSFORM_BOX: &[&str] = &[
    "Mohe northern tip",
    "Fuyuan eastern tip",
    "Pamir western tip",
];
/// Foreign cities inside eviltransform's box, shifted by both references.
const FOREIGN_INSIDE_BOX: &[&str] = &["Seoul", "Ulaanbaatar", "Hanoi", "Singapore"];
const FOREIGN_OUTSIDE_BOX: &[&str] = &["Tokyo", "Moscow", "New York", "Sydney"];

fn metres(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

fn deg_err(a: LatLon, b: LatLon) -> f64 {
    (a.lat - b.lat).abs().max((a.lon - b.lon).abs())
}

/// Assert `got` is within `tol` degrees of `want`; return the error.
fn check(what: &str, row: &Row, got: LatLon, want: LatLon, tol: f64) -> f64 {
    let err = deg_err(got, want);
    assert!(
        err <= tol,
        "{what} at {}: got {got:?}, reference {want:?}, error {err:e}° > {tol:e}°",
        row.name
    );
    err
}

fn in_box(p: LatLon) -> bool {
    !out_of_china(p.lat, p.lon)
}

#[test]
fn coord_reference_table_covers_what_it_claims() {
    assert_eq!(
        ROWS.len(),
        CHINA.len() + FOREIGN_INSIDE_BOX.len() + FOREIGN_OUTSIDE_BOX.len()
    );
    for row in ROWS {
        let china = CHINA.contains(&row.name);
        let foreign_in = FOREIGN_INSIDE_BOX.contains(&row.name);
        let foreign_out = FOREIGN_OUTSIDE_BOX.contains(&row.name);
        assert!(
            china || foreign_in || foreign_out,
            "unlisted row {}",
            row.name
        );
        // Every Chinese point and the listed neighbours are shifted, as in
        // the references; the far-away cities are not.
        assert_eq!(in_box(row.wgs), !foreign_out, "{}", row.name);
        // eviltransform agrees on which points are shifted.
        assert_eq!(row.et_gcj != row.wgs, !foreign_out, "{}", row.name);
    }
}

#[test]
fn coord_matches_eviltransform_everywhere() {
    let mut max = 0.0_f64;
    for row in ROWS {
        max = max.max(check(
            "wgs84_to_gcj02",
            row,
            wgs84_to_gcj02(row.wgs),
            row.et_gcj,
            REF_TOL_DEG,
        ));
        max = max.max(check(
            "wgs84_to_bd09",
            row,
            wgs84_to_bd09(row.wgs),
            row.et_bd,
            REF_TOL_DEG,
        ));
        max = max.max(check(
            "gcj02_to_bd09",
            row,
            gcj02_to_bd09(row.et_gcj),
            row.et_bd,
            REF_TOL_DEG,
        ));
        max = max.max(check(
            "bd09_to_gcj02",
            row,
            bd09_to_gcj02(row.et_bd),
            row.et_bd_to_gcj,
            REF_TOL_DEG,
        ));
        max = max.max(check(
            "gcj02_to_wgs84_approx",
            row,
            gcj02_to_wgs84_approx(row.et_gcj),
            row.et_gcj_to_wgs,
            REF_TOL_DEG,
        ));
    }
    println!("max deviation from eviltransform: {max:e}°");
}

#[test]
fn coord_matches_coordtransform_inside_its_box() {
    let mut max = 0.0_f64;
    let mut compared = 0;
    for row in ROWS {
        let ct_shifted = row.ct_gcj != row.wgs;
        if !ct_shifted {
            // coordtransform leaves these alone: the far-away cities (as we
            // do), Singapore (south of its 3.86° N), and three corners of
            // China that Amap and Baidu do shift (so we differ on purpose).
            if CHINA_OUTSIDE_COORDTRANSFORM_BOX.contains(&row.name) {
                assert!(
                    metres(wgs84_to_gcj02(row.wgs), row.wgs) > 100.0,
                    "{}",
                    row.name
                );
            } else {
                assert!(
                    FOREIGN_OUTSIDE_BOX.contains(&row.name) || row.name == "Singapore",
                    "coordtransform left {} unshifted",
                    row.name
                );
            }
            continue;
        }
        compared += 1;
        max = max.max(check(
            "wgs84_to_gcj02",
            row,
            wgs84_to_gcj02(row.wgs),
            row.ct_gcj,
            REF_TOL_DEG,
        ));
        max = max.max(check(
            "gcj02_to_bd09",
            row,
            gcj02_to_bd09(row.ct_gcj),
            row.ct_bd,
            REF_TOL_DEG,
        ));
        max = max.max(check(
            "bd09_to_gcj02",
            row,
            bd09_to_gcj02(row.ct_bd),
            row.ct_bd_to_gcj,
            REF_TOL_DEG,
        ));
        max = max.max(check(
            "gcj02_to_wgs84_approx",
            row,
            gcj02_to_wgs84_approx(row.ct_gcj),
            row.ct_gcj_to_wgs,
            REF_TOL_DEG,
        ));
    }
    assert_eq!(
        compared,
        CHINA.len() - CHINA_OUTSIDE_COORDTRANSFORM_BOX.len() + FOREIGN_INSIDE_BOX.len() - 1
    );
    println!("max deviation from coordtransform: {max:e}°");
}

/// coordtransform shifts BD-09 everywhere; eviltransform and we do not shift
/// outside the box.
#[test]
fn coord_bd09_is_identity_outside_the_box() {
    for row in ROWS
        .iter()
        .filter(|r| FOREIGN_OUTSIDE_BOX.contains(&r.name))
    {
        assert_eq!(gcj02_to_bd09(row.wgs), row.wgs);
        assert_eq!(bd09_to_gcj02(row.wgs), row.wgs);
        assert_eq!(row.et_bd, row.wgs, "{}", row.name);
        assert!(metres(row.ct_bd, row.wgs) > 100.0, "{}", row.name);
    }
}

/// The shipped eviltransform divides by the WGS-84 radius instead of
/// Krasovsky's: ≈ 1.7e-5 of the shift, about a centimetre.
#[test]
fn coord_shipped_eviltransform_radius_costs_about_a_centimetre() {
    let mut max_m = 0.0_f64;
    for row in ROWS.iter().filter(|r| in_box(r.wgs)) {
        let ours = wgs84_to_gcj02(row.wgs);
        let shift_m = metres(ours, row.wgs);
        let off_m = metres(ours, row.et_shipped_gcj);
        let ratio = off_m / shift_m;
        assert!(
            (1.5e-5..1.9e-5).contains(&ratio),
            "{}: off {off_m} m of a {shift_m} m shift",
            row.name
        );
        max_m = max_m.max(off_m);
    }
    assert!(max_m < 0.02, "{max_m} m");
    println!("max distance from shipped eviltransform: {max_m} m");
}

/// Our inverse is the fixed point to 1e-10°; eviltransform's bisection stops
/// at a 1e-6° residual, so it may be up to ≈ 1e-6° (0.1 m) off. Compare to
/// that tolerance, and check that ours is at least as close to the truth.
#[test]
fn coord_exact_inverse_agrees_with_eviltransform_exact() {
    const REF_EXACT_TOL_DEG: f64 = 1.1e-6;
    let mut max_ref_m = 0.0_f64;
    let mut max_ours_m = 0.0_f64;
    for row in ROWS {
        let ours = gcj02_to_wgs84(row.et_gcj);
        check(
            "gcj02_to_wgs84",
            row,
            ours,
            row.et_gcj_to_wgs_exact,
            REF_EXACT_TOL_DEG,
        );
        let ours_m = metres(ours, row.wgs);
        let ref_m = metres(row.et_gcj_to_wgs_exact, row.wgs);
        assert!(
            ours_m <= ref_m + 1e-6,
            "{}: ours {ours_m} m, eviltransform {ref_m} m",
            row.name
        );
        assert!(ours_m < 1e-3, "{}: {ours_m} m", row.name);
        max_ours_m = max_ours_m.max(ours_m);
        max_ref_m = max_ref_m.max(ref_m);
    }
    println!("exact inverse error on the table: ours {max_ours_m} m, eviltransform {max_ref_m} m");
}

#[test]
fn coord_convert_dispatches_to_each_pair() {
    use CoordSystem::{Bd09, Gcj02, Wgs84};
    let p = ll(30.572815, 104.066801);
    assert_eq!(convert(p, Wgs84, Wgs84), p);
    assert_eq!(convert(p, Gcj02, Gcj02), p);
    assert_eq!(convert(p, Bd09, Bd09), p);
    assert_eq!(convert(p, Wgs84, Gcj02), wgs84_to_gcj02(p));
    assert_eq!(convert(p, Wgs84, Bd09), wgs84_to_bd09(p));
    assert_eq!(convert(p, Gcj02, Wgs84), gcj02_to_wgs84(p));
    assert_eq!(convert(p, Gcj02, Bd09), gcj02_to_bd09(p));
    assert_eq!(convert(p, Bd09, Wgs84), bd09_to_wgs84(p));
    assert_eq!(convert(p, Bd09, Gcj02), bd09_to_gcj02(p));
    assert_eq!(bd09_to_wgs84(p), gcj02_to_wgs84(bd09_to_gcj02(p)));
    // Every pair actually moves a point in China.
    for (from, to) in [(Wgs84, Gcj02), (Wgs84, Bd09), (Gcj02, Bd09)] {
        assert!(metres(convert(p, from, to), p) > 100.0);
        assert!(metres(convert(p, to, from), p) > 100.0);
    }
}

#[test]
fn coord_out_of_china_box_edges_and_bad_input() {
    assert!(!out_of_china(0.8293, 72.004));
    assert!(!out_of_china(55.8271, 137.8347));
    assert!(out_of_china(0.8292, 100.0));
    assert!(out_of_china(55.8272, 100.0));
    assert!(out_of_china(30.0, 72.003));
    assert!(out_of_china(30.0, 137.8348));
    assert!(out_of_china(f64::NAN, 100.0));
    assert!(out_of_china(30.0, f64::INFINITY));
    for system_pair in [
        (CoordSystem::Wgs84, CoordSystem::Gcj02),
        (CoordSystem::Gcj02, CoordSystem::Wgs84),
        (CoordSystem::Wgs84, CoordSystem::Bd09),
        (CoordSystem::Bd09, CoordSystem::Wgs84),
    ] {
        let p = convert(ll(f64::NAN, 100.0), system_pair.0, system_pair.1);
        assert!(p.lat.is_nan() && p.lon == 100.0);
    }
}

#[test]
fn coord_system_serializes_snake_case() {
    let json = serde_json::to_string(&[CoordSystem::Wgs84, CoordSystem::Gcj02, CoordSystem::Bd09]);
    assert_eq!(json.ok().as_deref(), Some(r#"["wgs84","gcj02","bd09"]"#));
}

/// Maximum round-trip errors in metres over a set of points.
#[derive(Debug, Default)]
struct RoundTrips {
    gcj_wgs_gcj: f64,
    wgs_gcj_wgs: f64,
    wgs_gcj_wgs_approx: f64,
    bd_gcj_bd: f64,
    gcj_bd_gcj: f64,
    wgs_bd_wgs: f64,
    bd_wgs_bd: f64,
}

impl RoundTrips {
    fn add(&mut self, p: LatLon) {
        let up = |a: &mut f64, b: f64| *a = a.max(b);
        up(
            &mut self.gcj_wgs_gcj,
            metres(wgs84_to_gcj02(gcj02_to_wgs84(p)), p),
        );
        up(
            &mut self.wgs_gcj_wgs,
            metres(gcj02_to_wgs84(wgs84_to_gcj02(p)), p),
        );
        up(
            &mut self.wgs_gcj_wgs_approx,
            metres(gcj02_to_wgs84_approx(wgs84_to_gcj02(p)), p),
        );
        up(
            &mut self.bd_gcj_bd,
            metres(gcj02_to_bd09(bd09_to_gcj02(p)), p),
        );
        up(
            &mut self.gcj_bd_gcj,
            metres(bd09_to_gcj02(gcj02_to_bd09(p)), p),
        );
        up(
            &mut self.wgs_bd_wgs,
            metres(bd09_to_wgs84(wgs84_to_bd09(p)), p),
        );
        up(
            &mut self.bd_wgs_bd,
            metres(wgs84_to_bd09(bd09_to_wgs84(p)), p),
        );
    }

    fn assert_within_contract(&self) {
        let all = [
            self.gcj_wgs_gcj,
            self.wgs_gcj_wgs,
            self.bd_gcj_bd,
            self.gcj_bd_gcj,
            self.wgs_bd_wgs,
            self.bd_wgs_bd,
        ];
        assert!(all.iter().all(|m| *m <= ROUND_TRIP_M), "{self:?}");
        // The GCJ-02 inverse is exact, not merely within the contract.
        assert!(
            self.gcj_wgs_gcj < 1e-3 && self.wgs_gcj_wgs < 1e-3,
            "{self:?}"
        );
    }
}

/// China's bounding rectangle (Zengmu Ansha 3.9° N to Mohe 53.56° N, the
/// Pamirs 73.5° E to Fuyuan 135.08° E). It includes neighbours too, which
/// only makes the check wider.
const CHINA_LAT: (f64, f64) = (3.9, 53.6);
const CHINA_LON: (f64, f64) = (73.45, 135.1);

#[test]
fn coord_round_trips_on_a_grid_across_china() {
    let step = 0.2;
    let mut trips = RoundTrips::default();
    let mut n = 0;
    let mut lat = CHINA_LAT.0;
    while lat <= CHINA_LAT.1 {
        let mut lon = CHINA_LON.0;
        while lon <= CHINA_LON.1 {
            trips.add(ll(lat, lon));
            n += 1;
            lon += step;
        }
        lat += step;
    }
    // x = lon - 105 sits under a square root in the shift: a cusp.
    for p in [
        ll(35.0, 105.0),
        ll(30.0, 105.0 + 1e-12),
        ll(40.0, 105.0 - 1e-9),
    ] {
        trips.add(p);
    }
    assert!(n > 75_000, "{n}");
    trips.assert_within_contract();
    // The one-step inverse that both references call gcj2wgs: metres.
    assert!((1.0..6.0).contains(&trips.wgs_gcj_wgs_approx), "{trips:?}");
    println!("{n} points: {trips:#?}");
}

proptest! {
    #[test]
    fn coord_round_trips_for_random_points_in_china(
        lat in CHINA_LAT.0..CHINA_LAT.1,
        lon in CHINA_LON.0..CHINA_LON.1,
    ) {
        let p = ll(lat, lon);
        let gcj_wgs_gcj = metres(wgs84_to_gcj02(gcj02_to_wgs84(p)), p);
        let wgs_gcj_wgs = metres(gcj02_to_wgs84(wgs84_to_gcj02(p)), p);
        let bd_gcj_bd = metres(gcj02_to_bd09(bd09_to_gcj02(p)), p);
        let bd_wgs_bd = metres(wgs84_to_bd09(bd09_to_wgs84(p)), p);
        let wgs_bd_wgs = metres(bd09_to_wgs84(wgs84_to_bd09(p)), p);
        prop_assert!(gcj_wgs_gcj <= ROUND_TRIP_M, "GCJ→WGS→GCJ {gcj_wgs_gcj} m");
        prop_assert!(wgs_gcj_wgs <= ROUND_TRIP_M, "WGS→GCJ→WGS {wgs_gcj_wgs} m");
        prop_assert!(bd_gcj_bd <= ROUND_TRIP_M, "BD→GCJ→BD {bd_gcj_bd} m");
        prop_assert!(bd_wgs_bd <= ROUND_TRIP_M, "BD→WGS→BD {bd_wgs_bd} m");
        prop_assert!(wgs_bd_wgs <= ROUND_TRIP_M, "WGS→BD→WGS {wgs_bd_wgs} m");
        // The GCJ-02 inverse is exact, not merely within the contract.
        prop_assert!(gcj_wgs_gcj < 1e-3 && wgs_gcj_wgs < 1e-3);
    }
}
