//! An optional base map under the console's grids: a tile server's URL
//! template (天地图 in WGS-84/CGCS2000, Amap or Tencent in GCJ-02, …) and
//! the datum its tiles are drawn in. The console asks the core for the
//! grids' boundaries in that datum, so they lie right on the tiles; the
//! Content-Security-Policy allows images from that one origin.

use gridwork_core::coord::CoordSystem;
use serde::Serialize;

/// A configured tile source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapTiles {
    /// `https://host/path/{z}/{x}/{y}.png` (Leaflet's template; `{s}` for
    /// subdomains works too).
    pub url: String,
    /// What the tiles are drawn in.
    pub system: CoordSystem,
    /// Words the map shows for the tiles' owner (审图号 where required).
    pub attribution: String,
    /// `scheme://host[:port]`, for the Content-Security-Policy.
    #[serde(skip)]
    pub origin: String,
}

impl MapTiles {
    /// Check a template; the error says what is wrong with it.
    pub fn new(url: &str, system: CoordSystem, attribution: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(&url.replace(['{', '}'], ""))
            .map_err(|e| format!("--map-tiles is not a URL ({e}): {url}"))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(format!("--map-tiles must be http(s): {url}"));
        }
        if !(url.contains("{z}") && url.contains("{x}") && url.contains("{y}")) {
            return Err(format!(
                "--map-tiles must name {{z}}, {{x}} and {{y}}: {url}"
            ));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("--map-tiles has no host: {url}"))?;
        // A `{s}` subdomain template (webrd0{s}.example.com) stands for
        // the sibling hosts: allow the parent domain's subdomains.
        let host = match (url.contains("{s}"), host.split_once('.')) {
            (true, Some((_, parent))) => format!("*.{parent}"),
            _ => host.to_string(),
        };
        let origin = match parsed.port() {
            Some(p) => format!("{}://{host}:{p}", parsed.scheme()),
            None => format!("{}://{host}", parsed.scheme()),
        };
        Ok(MapTiles {
            url: url.to_string(),
            system,
            attribution: attribution.to_string(),
            origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_gives_its_origin_and_a_bad_one_says_why() {
        let t = MapTiles::new(
            "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8",
            CoordSystem::Gcj02,
            "高德地图",
        );
        assert_eq!(t.unwrap().origin, "https://*.is.autonavi.com");
        let local = MapTiles::new(
            "http://127.0.0.1:9999/{z}/{x}/{y}.png",
            CoordSystem::Wgs84,
            "",
        )
        .unwrap();
        assert_eq!(local.origin, "http://127.0.0.1:9999");
        assert!(MapTiles::new("ftp://x/{z}/{x}/{y}", CoordSystem::Wgs84, "")
            .unwrap_err()
            .contains("http"));
        assert!(MapTiles::new("https://x/tiles.png", CoordSystem::Wgs84, "")
            .unwrap_err()
            .contains("{z}"));
    }
}
