//! Coordinates printed on a sheet: decimal (`52.2478, 21.0136`,
//! `52.2478 N 21.0136 E`, `N 52.24941° E 21.06198°`) or degrees, minutes and
//! seconds (`52°14'52.1"N 21°00'49.0"E`). Only what is printed is returned;
//! nothing is looked up.

use regex::Regex;
use std::sync::LazyLock;

static DECIMAL: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"(?x)
        (?:\b([ns])\s*)?(-?\d{1,2}\.\d{3,9})\s*°?\s*([ns])?\b
        \s*[,;/]?\s*
        (?:\b([ew])\s*)?(-?\d{1,3}\.\d{3,9})\s*°?\s*([ew])?",
    )
});

static DMS: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r#"(?x)
        (?:\b([ns])\s*)?(\d{1,2})\s*°\s*(?:(\d{1,2}(?:[.,]\d+)?)\s*['’′]\s*(?:(\d{1,2}(?:[.,]\d+)?)\s*(?:"|''|”|″)\s*)?)?([ns])?
        \s*[,;/]?\s*
        (?:\b([ew])\s*)?(\d{1,3})\s*°\s*(?:(\d{1,2}(?:[.,]\d+)?)\s*['’′]\s*(?:(\d{1,2}(?:[.,]\d+)?)\s*(?:"|''|”|″)\s*)?)?([ew])?"#,
    )
});

fn num(s: Option<regex::Match<'_>>) -> f64 {
    s.and_then(|m| m.as_str().replace(',', ".").parse().ok())
        .unwrap_or(0.0)
}

/// The first coordinate pair in (lower-case) `s`.
pub fn find(s: &str) -> Option<(f64, f64)> {
    // Both forms need what most text lacks: a degree sign, or a number with
    // three decimals. Without it neither pattern is compiled or run.
    let degrees = s.contains('°');
    let b = s.as_bytes();
    let decimals = b
        .windows(5)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2..].iter().all(u8::is_ascii_digit));
    if !degrees && !decimals {
        return None;
    }
    let s = s.to_lowercase();
    if let Some(c) = degrees.then(|| DMS.captures(&s)).flatten() {
        let hemi_ns = c.get(1).or(c.get(5)).map(|m| m.as_str());
        let hemi_ew = c.get(6).or(c.get(10)).map(|m| m.as_str());
        let has_minutes = c.get(3).is_some() || c.get(8).is_some();
        if has_minutes || hemi_ns.is_some() {
            let mut lat = num(c.get(2)) + num(c.get(3)) / 60.0 + num(c.get(4)) / 3600.0;
            let mut lon = num(c.get(7)) + num(c.get(8)) / 60.0 + num(c.get(9)) / 3600.0;
            if hemi_ns == Some("s") {
                lat = -lat;
            }
            if hemi_ew == Some("w") {
                lon = -lon;
            }
            if valid(lat, lon) {
                return Some((round(lat), round(lon)));
            }
        }
    }
    for c in decimals
        .then(|| DECIMAL.captures_iter(&s))
        .into_iter()
        .flatten()
    {
        let mut lat = num(c.get(2));
        let mut lon = num(c.get(5));
        if c.get(1).or(c.get(3)).is_some_and(|m| m.as_str() == "s") {
            lat = -lat.abs();
        }
        if c.get(4).or(c.get(6)).is_some_and(|m| m.as_str() == "w") {
            lon = -lon.abs();
        }
        if valid(lat, lon) {
            return Some((lat, lon));
        }
    }
    None
}

fn valid(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && (lat != 0.0 || lon != 0.0)
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<(f64, f64)>, lat: f64, lon: f64) -> bool {
        a.is_some_and(|(x, y)| (x - lat).abs() < 1e-4 && (y - lon).abs() < 1e-4)
    }

    #[test]
    fn formats() {
        assert!(close(find("GPS: 52.2478, 21.0136"), 52.2478, 21.0136));
        assert!(close(find("52.2478 N 21.0136 E"), 52.2478, 21.0136));
        assert!(close(find("N 52.24941° E 21.06198°"), 52.24941, 21.06198));
        assert!(close(
            find("52°14'52.1\"N 21°00'49.0\"E"),
            52.247806,
            21.013611
        ));
        assert!(close(find("52°14'33\"N 21°01'29\"E"), 52.2425, 21.024722));
        assert!(close(find("GPS: 52.25431,\n21.03513"), 52.25431, 21.03513));
        assert!(close(find("40.4168; -3.7038"), 40.4168, -3.7038));
    }

    #[test]
    fn not_coordinates() {
        assert_eq!(find("ul. Targowa 72, 03-734 Warszawa"), None);
        assert_eq!(find("15.03.2024 7.30"), None);
        assert_eq!(find("Temp 15°C / 6°C"), None);
    }
}
