//! A generated area — one city with townships, villages tiled by grids,
//! people in every role, households and places — deterministic from a seed.
//! It is handed to Gridwork the way an administrator would: as a GeoJSON
//! file and CSV registers, through the real importers.

use chrono::NaiveDate;
use geo::{polygon, MultiPolygon};
use gridwork_core::grid::boundary_to_geojson;
use gridwork_core::household::{Household, Member, PlaceKind, Tag};
use gridwork_core::pii::id_check_char;
use gridwork_core::user::{Assignment, AssignmentKind, Role, User};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::names;

/// How big an area to make.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSpec {
    pub seed: u64,
    pub townships: u32,
    pub villages_per_township: u32,
    pub grids_per_village: u32,
    /// Grid workers per grid (primary first, the rest backups).
    pub workers_per_grid: u32,
    pub households_per_grid: u32,
    pub places_per_grid: u32,
    /// City totals, spread as evenly as they go (the reference city's 304
    /// villages, 678 grids and 1,890 workers do not divide evenly). When
    /// set they replace the per-township / per-village / per-grid counts.
    pub villages: Option<u32>,
    pub grids: Option<u32>,
    pub workers: Option<u32>,
}

/// The `i`th of `parts` shares of `total` (the first `total % parts` get one more).
fn share(total: u32, parts: u32, i: u32) -> u32 {
    let parts = parts.max(1);
    total / parts + u32::from(i < total % parts)
}

impl AreaSpec {
    /// One township, enough for a look at a worker's day.
    pub fn township(seed: u64) -> Self {
        AreaSpec {
            seed,
            townships: 1,
            villages_per_township: 4,
            grids_per_village: 3,
            workers_per_grid: 1,
            households_per_grid: 60,
            places_per_grid: 6,
            villages: None,
            grids: None,
            workers: None,
        }
    }

    /// Shaped like the reference city: 12 townships and streets, 304
    /// villages, 678 grids, 1,890 grid workers.
    pub fn city(seed: u64) -> Self {
        AreaSpec {
            seed,
            townships: 12,
            villages_per_township: 26,
            grids_per_village: 2,
            workers_per_grid: 3,
            households_per_grid: 40,
            places_per_grid: 6,
            villages: Some(304),
            grids: Some(678),
            workers: Some(1890),
        }
    }

    /// Villages in township `t`.
    pub fn villages_in(&self, t: u32) -> u32 {
        match self.villages {
            Some(v) => share(v, self.townships, t),
            None => self.villages_per_township,
        }
    }

    /// Villages in the whole area.
    pub fn village_count(&self) -> u32 {
        self.villages
            .unwrap_or(self.townships * self.villages_per_township)
    }

    /// Grids in the village with city-wide index `v`.
    pub fn grids_in(&self, v: u32) -> u32 {
        match self.grids {
            Some(g) => share(g, self.village_count(), v).max(1),
            None => self.grids_per_village,
        }
    }

    /// Workers of the grid with city-wide index `g` out of `grids`.
    pub fn workers_in(&self, g: u32, grids: u32) -> u32 {
        match self.workers {
            Some(w) => share(w, grids, g),
            None => self.workers_per_grid,
        }
    }
}

/// A named region with its boundary.
#[derive(Debug, Clone)]
pub struct AreaRegion {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub parent: Option<String>,
    pub boundary: Option<MultiPolygon<f64>>,
}

/// Everything generated.
#[derive(Debug, Clone)]
pub struct Area {
    pub name: String,
    pub regions: Vec<AreaRegion>,
    pub users: Vec<User>,
    pub assignments: Vec<Assignment>,
    pub households: Vec<Household>,
    pub members: Vec<Member>,
}

const CITY: &str = "440399";
const LON0: f64 = 114.20;
const LAT0: f64 = 22.60;
const VILLAGE_W: f64 = 0.02;
const VILLAGE_H: f64 = 0.015;

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)],
    ])
}

fn id_number<R: Rng>(rng: &mut R) -> String {
    let year = rng.random_range(1938..2016);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let seq = rng.random_range(0..1000);
    let first17 = format!("440307{year:04}{month:02}{day:02}{seq:03}");
    let check = id_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

fn phone<R: Rng>(rng: &mut R) -> String {
    let second = ["3", "5", "7", "8", "9"][rng.random_range(0..5)];
    format!("1{second}{:09}", rng.random_range(0..1_000_000_000u64))
}

fn user(id: String, name: String, role: Role, jurisdiction: Vec<String>, phone: String) -> User {
    User {
        id,
        name,
        role,
        phone: Some(phone),
        jurisdiction,
    }
}

/// Generate an area. The same spec always gives the same area.
pub fn generate(spec: &AreaSpec) -> Area {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut a = Area {
        name: "示范市".into(),
        regions: vec![],
        users: vec![],
        assignments: vec![],
        households: vec![],
        members: vec![],
    };
    let most_villages = (0..spec.townships)
        .map(|t| spec.villages_in(t))
        .max()
        .unwrap_or(1)
        .max(1);
    let per_row = (f64::from(most_villages).sqrt().ceil() as u32).max(1);
    let grid_total: u32 = (0..spec.village_count()).map(|v| spec.grids_in(v)).sum();
    let (mut village_index, mut grid_index) = (0u32, 0u32);
    let township_w = f64::from(per_row) * VILLAGE_W;
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let city_rect = rect(
        LON0,
        LAT0,
        LON0 + township_w * f64::from(spec.townships),
        LAT0 + VILLAGE_H * f64::from(most_villages.div_ceil(per_row)),
    );
    a.regions.push(AreaRegion {
        code: CITY.into(),
        name: a.name.clone(),
        level: "city",
        parent: None,
        boundary: Some(city_rect),
    });
    a.users.push(user(
        "admin".into(),
        "系统管理员".into(),
        Role::Administrator,
        vec![],
        phone(&mut rng),
    ));
    for c in 1..=2 {
        a.users.push(user(
            format!("c-{c}"),
            names::person(&mut rng),
            Role::CitySupervisor,
            vec![CITY.into()],
            phone(&mut rng),
        ));
    }
    for t in 0..spec.townships {
        let tcode = format!("{CITY}-{:03}", t + 1);
        let tname = format!(
            "{}{}",
            names::place(&mut rng),
            if t % 3 == 0 { "街道" } else { "镇" }
        );
        let tx0 = LON0 + township_w * f64::from(t);
        a.regions.push(AreaRegion {
            code: tcode.clone(),
            name: tname,
            level: "township",
            parent: Some(CITY.into()),
            boundary: None,
        });
        a.users.push(user(
            format!("t-{tcode}"),
            names::person(&mut rng),
            Role::TownshipSupervisor,
            vec![tcode.clone()],
            phone(&mut rng),
        ));
        for v in 0..spec.villages_in(t) {
            let grids_here = spec.grids_in(village_index);
            village_index += 1;
            let vcode = format!("{tcode}-{:03}", v + 1);
            let vname = format!(
                "{}{}",
                names::place(&mut rng),
                if v % 4 == 3 { "社区" } else { "村" }
            );
            let vx0 = tx0 + VILLAGE_W * f64::from(v % per_row);
            let vy0 = LAT0 + VILLAGE_H * f64::from(v / per_row);
            a.regions.push(AreaRegion {
                code: vcode.clone(),
                name: vname.clone(),
                level: "village",
                parent: Some(tcode.clone()),
                boundary: Some(rect(vx0, vy0, vx0 + VILLAGE_W, vy0 + VILLAGE_H)),
            });
            a.users.push(user(
                format!("s-{vcode}"),
                names::person(&mut rng),
                Role::VillageSecretary,
                vec![vcode.clone()],
                phone(&mut rng),
            ));
            // Grids are vertical strips that tile the village exactly.
            let gw = VILLAGE_W / f64::from(grids_here.max(1));
            for g in 0..grids_here {
                let workers_here = spec.workers_in(grid_index, grid_total);
                grid_index += 1;
                let gcode = format!("{vcode}-{:02}", g + 1);
                let gx0 = vx0 + gw * f64::from(g);
                let gx1 = if g + 1 == grids_here {
                    vx0 + VILLAGE_W
                } else {
                    gx0 + gw
                };
                a.regions.push(AreaRegion {
                    code: gcode.clone(),
                    name: format!("{vname}第{}网格", g + 1),
                    level: "grid",
                    parent: Some(vcode.clone()),
                    boundary: Some(rect(gx0, vy0, gx1, vy0 + VILLAGE_H)),
                });
                for w in 0..workers_here {
                    let uid = format!("w-{gcode}-{}", w + 1);
                    a.users.push(user(
                        uid.clone(),
                        names::person(&mut rng),
                        Role::GridWorker,
                        vec![],
                        phone(&mut rng),
                    ));
                    a.assignments.push(Assignment {
                        user_id: uid,
                        grid_code: gcode.clone(),
                        kind: if w == 0 {
                            AssignmentKind::Primary
                        } else {
                            AssignmentKind::Backup
                        },
                        from,
                        to: None,
                    });
                }
                let road = names::road(&mut rng);
                let point = |rng: &mut StdRng| {
                    // Keep 5% of the strip's width/height away from edges.
                    let x = gx0 + (gx1 - gx0) * rng.random_range(0.05..0.95);
                    let y = vy0 + VILLAGE_H * rng.random_range(0.05..0.95);
                    (x, y)
                };
                for h in 0..spec.households_per_grid {
                    let code = format!("{gcode}-H{:04}", h + 1);
                    let head = format!("{}{}", names::surname(&mut rng), names::given(&mut rng));
                    let mut tags = Vec::new();
                    let roll: f64 = rng.random();
                    if roll < 0.08 {
                        tags.push(Tag::ElderlyAlone);
                    } else if roll < 0.13 {
                        tags.push(Tag::LeftBehindChild);
                    }
                    if rng.random_bool(0.03) {
                        tags.push(Tag::Disabled);
                    }
                    if rng.random_bool(0.01) {
                        tags.push(Tag::KeyPerson);
                    }
                    let (lon, lat) = point(&mut rng);
                    a.households.push(Household {
                        code: code.clone(),
                        grid_code: gcode.clone(),
                        kind: PlaceKind::Household,
                        name: head.clone(),
                        address: format!("{vname}{road}{}号", h + 1),
                        lat,
                        lon,
                        tags: tags.clone(),
                    });
                    let size = if tags.contains(&Tag::ElderlyAlone) {
                        1
                    } else {
                        rng.random_range(1..=5)
                    };
                    for m in 0..size {
                        let (name, relation) = match m {
                            0 => (head.clone(), "户主"),
                            1 => (names::person(&mut rng), "配偶"),
                            _ => (
                                format!(
                                    "{}{}",
                                    &head.chars().next().map(String::from).unwrap_or_default(),
                                    names::given(&mut rng)
                                ),
                                "子女",
                            ),
                        };
                        let idn = id_number(&mut rng);
                        a.members.push(Member {
                            id: gridwork_core::import::member_id(&code, Some(&idn), &name),
                            household_code: code.clone(),
                            name,
                            relation: relation.into(),
                            phone: (m < 2).then(|| phone(&mut rng)),
                            id_number: Some(idn),
                            pii_masked: false,
                        });
                    }
                }
                for p in 0..spec.places_per_grid {
                    let code = format!("{gcode}-P{:02}", p + 1);
                    let (kind, name, tags) = match (p, g, v % 3) {
                        (0, 0, 0) => (PlaceKind::School, format!("{vname}小学"), vec![]),
                        (0, 1, _) => (
                            PlaceKind::CompoundUnmanaged,
                            format!("{}小区", names::place(&mut rng)),
                            vec![],
                        ),
                        (1, _, 1) => (
                            PlaceKind::Workshop,
                            names::workshop(&mut rng),
                            vec![Tag::HazardousSite],
                        ),
                        (2, _, 2) => (
                            PlaceKind::Enterprise,
                            names::enterprise(&mut rng),
                            vec![Tag::Enterprise],
                        ),
                        _ => (PlaceKind::Shop, names::shop(&mut rng), vec![]),
                    };
                    let (lon, lat) = point(&mut rng);
                    a.households.push(Household {
                        code,
                        grid_code: gcode.clone(),
                        kind,
                        name,
                        address: format!("{vname}{road}{}号", 200 + p),
                        lat,
                        lon,
                        tags,
                    });
                }
            }
        }
    }
    a
}

impl Area {
    pub fn grids(&self) -> impl Iterator<Item = &AreaRegion> {
        self.regions.iter().filter(|r| r.level == "grid")
    }

    /// The regions and grids as a GeoJSON FeatureCollection, as an
    /// administrator's GIS export would give them.
    pub fn geojson(&self) -> String {
        let features: Vec<serde_json::Value> = self
            .regions
            .iter()
            .map(|r| {
                let geometry = r
                    .boundary
                    .as_ref()
                    .and_then(|b| serde_json::from_str::<serde_json::Value>(&boundary_to_geojson(b)).ok())
                    .unwrap_or(serde_json::Value::Null);
                serde_json::json!({
                    "type": "Feature",
                    "properties": {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent},
                    "geometry": geometry,
                })
            })
            .collect();
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
    }

    /// The household register as CSV with Chinese headers.
    pub fn households_csv(&self) -> String {
        let mut out = String::from("户编码,网格编码,类型,名称,地址,经度,纬度,标签\n");
        for h in &self.households {
            let tags: Vec<&str> = h.tags.iter().map(|t| t.label_zh()).collect();
            out.push_str(&format!(
                "{},{},{},{},{},{:.6},{:.6},{}\n",
                h.code,
                h.grid_code,
                h.kind.label_zh(),
                h.name,
                h.address,
                h.lon,
                h.lat,
                tags.join("、")
            ));
        }
        out
    }

    /// The member register as CSV with Chinese headers.
    pub fn members_csv(&self) -> String {
        let mut out = String::from("户编码,姓名,与户主关系,联系电话,身份证号\n");
        for m in &self.members {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                m.household_code,
                m.name,
                m.relation,
                m.phone.as_deref().unwrap_or(""),
                m.id_number.as_deref().unwrap_or("")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_area() {
        let a = generate(&AreaSpec::township(7));
        let b = generate(&AreaSpec::township(7));
        assert_eq!(a.households_csv(), b.households_csv());
        assert_eq!(a.geojson(), b.geojson());
        let c = generate(&AreaSpec::township(8));
        assert_ne!(a.households_csv(), c.households_csv());
    }

    #[test]
    fn sizes_follow_the_spec() {
        let spec = AreaSpec::township(1);
        let a = generate(&spec);
        assert_eq!(a.grids().count(), 12);
        assert_eq!(a.households.len(), 12 * 66);
        assert_eq!(
            a.users
                .iter()
                .filter(|u| u.role == Role::GridWorker)
                .count(),
            12
        );
        assert!(a
            .members
            .iter()
            .all(
                |m| gridwork_core::pii::validate_id_number(m.id_number.as_deref().unwrap_or(""))
                    .is_ok()
            ));
    }

    #[test]
    fn the_city_is_shaped_like_the_reference_city() {
        let spec = AreaSpec {
            households_per_grid: 1,
            places_per_grid: 0,
            ..AreaSpec::city(3)
        };
        let a = generate(&spec);
        let count = |level: &str| a.regions.iter().filter(|r| r.level == level).count();
        assert_eq!(
            (count("township"), count("village"), count("grid")),
            (12, 304, 678)
        );
        let workers = a
            .users
            .iter()
            .filter(|u| u.role == Role::GridWorker)
            .count();
        assert_eq!(workers, 1890);
        assert_eq!(a.assignments.len(), 1890);
        // Every grid has a worker; each village's grids tile it exactly
        // (strips: their areas add up to the village's).
        for v in a.regions.iter().filter(|r| r.level == "village") {
            use geo::Area as _;
            let total: f64 = a
                .grids()
                .filter(|g| g.parent.as_deref() == Some(v.code.as_str()))
                .filter_map(|g| g.boundary.as_ref().map(|b| b.unsigned_area()))
                .sum();
            let own = v.boundary.as_ref().map_or(0.0, |b| b.unsigned_area());
            assert!((total - own).abs() < 1e-12, "{}: {total} vs {own}", v.code);
        }
        for g in a.grids() {
            assert!(
                a.assignments.iter().any(|x| x.grid_code == g.code),
                "{}",
                g.code
            );
        }
    }
}
