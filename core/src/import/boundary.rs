//! Is a boundary valid (OGC simple features)? geo's `Validation` answers the
//! same question, but it finds a ring's self-crossings by testing every
//! segment against every other (30,000 positions took 18 s), and geo's
//! faster sweep (`geo::algorithm::sweep::Intersections`) recurses once per
//! segment it passes, which can overflow a worker thread's stack on a long
//! ring. So the per-ring checks are done here, iteratively: segments sorted
//! by their left end, each compared only with those whose x-range overlaps
//! it (and, cheaply, whose y-range does). A surveyed boundary has few such
//! pairs; a hostile one is bounded by the vertex limit and the import's time
//! budget, which is checked as the sweep goes.
//!
//! The checks between rings (holes inside their shell, rings not sharing an
//! edge, polygons not overlapping) stay with geo's `Relate`, whose edge
//! intersector is indexed (an R-tree); the number of rings is bounded.

use geo::algorithm::validation::{
    CoordIndex, GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole,
};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Coord, Line, LineString, MultiPolygon, Polygon, Relate};

use crate::error::Result;
use crate::limits::Budget;

/// The first problem with `boundary`, or `Ok(None)` when it is valid;
/// `Err` only when the import's time budget runs out.
pub(super) fn first_problem(
    boundary: &MultiPolygon<f64>,
    budget: &Budget,
) -> Result<Option<InvalidMultiPolygon>> {
    for (p, polygon) in boundary.0.iter().enumerate() {
        if let Some(problem) = polygon_problem(polygon, budget)? {
            return Ok(Some(InvalidMultiPolygon::InvalidPolygon(
                GeometryIndex(p),
                problem,
            )));
        }
    }
    for (i, a) in boundary.0.iter().enumerate() {
        for (j, b) in boundary.0.iter().enumerate().skip(i + 1) {
            budget.check()?;
            let im = a.relate(b);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Ok(Some(InvalidMultiPolygon::ElementsOverlaps(
                    GeometryIndex(i),
                    GeometryIndex(j),
                )));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Ok(Some(InvalidMultiPolygon::ElementsTouchOnALine(
                    GeometryIndex(i),
                    GeometryIndex(j),
                )));
            }
        }
    }
    Ok(None)
}

fn polygon_problem(polygon: &Polygon<f64>, budget: &Budget) -> Result<Option<InvalidPolygon>> {
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for (r, ring) in rings.enumerate() {
        let role = if r == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(r - 1)
        };
        if let Some(k) = ring
            .0
            .iter()
            .position(|c| !(c.x.is_finite() && c.y.is_finite()))
        {
            return Ok(Some(InvalidPolygon::NonFiniteCoord(role, CoordIndex(k))));
        }
        let points = distinct_in_order(ring);
        // A closed ring of fewer than 4 positions (3 distinct) has no area.
        if points.len() < 4 {
            return Ok(Some(InvalidPolygon::TooFewPointsInRing(role)));
        }
        if ring_crosses_itself(&points, budget)? {
            return Ok(Some(InvalidPolygon::SelfIntersection(role)));
        }
    }
    if polygon.interiors().is_empty() {
        return Ok(None);
    }
    let shell = Polygon::new(polygon.exterior().clone(), vec![]);
    let holes: Vec<Polygon<f64>> = polygon
        .interiors()
        .iter()
        .map(|h| Polygon::new(h.clone(), vec![]))
        .collect();
    for (i, hole) in holes.iter().enumerate() {
        budget.check()?;
        let im = shell.relate(hole);
        if !im.is_contains() {
            return Ok(Some(
                InvalidPolygon::InteriorRingNotContainedInExteriorRing(RingRole::Interior(i)),
            ));
        }
        if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Ok(Some(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                RingRole::Interior(i),
            )));
        }
        for (j, other) in holes.iter().enumerate().skip(i + 1) {
            let im = hole.relate(other);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Ok(Some(InvalidPolygon::IntersectingRingsOnAnArea(
                    RingRole::Interior(i),
                    RingRole::Interior(j),
                )));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Ok(Some(InvalidPolygon::IntersectingRingsOnALine(
                    RingRole::Interior(i),
                    RingRole::Interior(j),
                )));
            }
        }
    }
    Ok(None)
}

/// The ring's positions with consecutive repeats dropped (the closing
/// position kept, so the ring stays closed).
fn distinct_in_order(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut points: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        if points.last() != Some(c) {
            points.push(*c);
        }
    }
    points
}

/// Does a closed ring (first position = last, no consecutive repeats) cross
/// or touch itself anywhere but where consecutive segments meet?
///
/// Segments `k` and `k+1` (and the last and the first) share a vertex; they
/// may meet there only (a segment folding back over its neighbour is a
/// spike). Other pairs may not meet at all, except end to start at one
/// shared vertex, which geo's check also lets through (a ring passing
/// through the same vertex twice).
fn ring_crosses_itself(points: &[Coord<f64>], budget: &Budget) -> Result<bool> {
    let n = points.len() - 1;
    let segments: Vec<Line<f64>> = (0..n)
        .map(|k| Line::new(points[k], points[k + 1]))
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| min_x(&segments[a]).total_cmp(&min_x(&segments[b])));
    for (pos, &a) in order.iter().enumerate() {
        if pos % 1024 == 0 {
            budget.check()?;
        }
        let sa = &segments[a];
        let (a_max_x, (a_min_y, a_max_y)) = (max_x(sa), y_range(sa));
        for &b in &order[pos + 1..] {
            let sb = &segments[b];
            if min_x(sb) > a_max_x {
                break;
            }
            let (b_min_y, b_max_y) = y_range(sb);
            if b_min_y > a_max_y || a_min_y > b_max_y {
                continue;
            }
            let Some(meeting) = line_intersection(*sa, *sb) else {
                continue;
            };
            let (first, second) = if a < b { (a, b) } else { (b, a) };
            let consecutive = second == first + 1 || (first == 0 && second == n - 1);
            let crosses = match meeting {
                LineIntersection::Collinear { .. } => true,
                LineIntersection::SinglePoint { intersection, .. } => {
                    let (s1, s2) = (&segments[first], &segments[second]);
                    if consecutive {
                        // Where they join: the end of one is the start of the other.
                        !(intersection == s1.end && s1.end == s2.start
                            || intersection == s2.end && s2.end == s1.start)
                    } else {
                        !(s1.end == s2.start || s2.end == s1.start)
                    }
                }
            };
            if crosses {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn min_x(l: &Line<f64>) -> f64 {
    l.start.x.min(l.end.x)
}

fn max_x(l: &Line<f64>) -> f64 {
    l.start.x.max(l.end.x)
}

fn y_range(l: &Line<f64>) -> (f64, f64) {
    (l.start.y.min(l.end.y), l.start.y.max(l.end.y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Validation};
    use std::time::Duration;

    fn budget() -> Budget {
        Budget::start(Duration::from_secs(60))
    }

    fn problem(p: Polygon<f64>) -> Option<InvalidMultiPolygon> {
        first_problem(&MultiPolygon::new(vec![p]), &budget()).unwrap()
    }

    #[test]
    fn agrees_with_geo_on_simple_shapes() {
        let square = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)];
        let bow_tie = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.), (x: 0., y: 0.)];
        let with_repeat = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)];
        let flat = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 0., y: 0.), (x: 0., y: 0.)];
        for p in [square, bow_tie, with_repeat, flat] {
            assert_eq!(
                problem(p.clone()).is_some(),
                p.check_validation().is_err(),
                "{p:?}"
            );
        }
    }

    #[test]
    fn a_spike_folding_back_is_a_self_intersection() {
        let spike = polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 2.), (x: 2., y: 3.), (x: 2., y: 2.), (x: 0., y: 2.), (x: 0., y: 0.)];
        assert!(matches!(
            problem(spike),
            Some(InvalidMultiPolygon::InvalidPolygon(
                _,
                InvalidPolygon::SelfIntersection(RingRole::Exterior)
            ))
        ));
    }

    #[test]
    fn a_hole_outside_its_shell_is_found() {
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 6.), (x: 5., y: 5.)]],
        );
        assert!(matches!(
            problem(p),
            Some(InvalidMultiPolygon::InvalidPolygon(
                _,
                InvalidPolygon::InteriorRingNotContainedInExteriorRing(RingRole::Interior(0))
            ))
        ));
    }

    /// A circle of 20,000 positions (the vertex limit) is valid, and the
    /// same circle with one position pulled across it is not; the sweep
    /// compares few pairs either way.
    #[test]
    fn a_long_ring_is_checked_without_comparing_every_pair() {
        let n = 20_000;
        let mut ring: Vec<Coord<f64>> = (0..n)
            .map(|k| {
                let t = k as f64 / n as f64 * std::f64::consts::TAU;
                Coord {
                    x: t.cos(),
                    y: t.sin(),
                }
            })
            .collect();
        ring.push(ring[0]);
        let circle = Polygon::new(LineString::new(ring.clone()), vec![]);
        assert!(problem(circle).is_none());
        ring[n / 4] = Coord { x: 0.0, y: -2.0 };
        let crossed = Polygon::new(LineString::new(ring), vec![]);
        assert!(matches!(
            problem(crossed),
            Some(InvalidMultiPolygon::InvalidPolygon(
                _,
                InvalidPolygon::SelfIntersection(_)
            ))
        ));
    }
}
