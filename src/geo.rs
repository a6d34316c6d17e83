//! Rough coordinates from a Polish postal code, for the travel-time estimate
//! when a sheet prints no GPS and no routing service answers.
//!
//! Call sheets nearly always print an address with its postal code (NN-NNN)
//! and rarely coordinates. A postal district's centre is within a few
//! kilometres of any address in it, which is what an estimate needs: better
//! than one fixed guess for every drive. The table is data, most specific
//! prefix first; it covers Warsaw and its film-location suburbs in detail and
//! the other large cities coarsely.

/// (postal-code prefix, latitude, longitude). Longest matching prefix wins.
const DISTRICTS: &[(&str, f64, f64)] = &[
    // Warsaw suburbs by exact code.
    ("05-500", 52.074, 21.026), // Piaseczno
    ("05-502", 52.074, 21.026),
    ("05-510", 52.088, 21.118), // Konstancin
    ("05-520", 52.088, 21.118), // Konstancin-Jeziorna
    ("05-800", 52.170, 20.812), // Pruszków
    ("05-820", 52.184, 20.842), // Piastów
    ("05-850", 52.207, 20.797), // Ożarów Mazowiecki
    ("05-090", 52.144, 20.925), // Raszyn
    ("05-092", 52.334, 20.887), // Łomianki
    ("05-120", 52.401, 20.926), // Legionowo
    ("05-200", 52.349, 21.242), // Wołomin
    ("05-270", 52.325, 21.104), // Marki
    ("05-400", 52.106, 21.262), // Otwock
    ("05-077", 52.247, 21.230), // Warszawa-Wesoła
    ("05-070", 52.258, 21.282), // Sulejówek
    ("05-825", 52.109, 20.626), // Grodzisk Mazowiecki
    ("05-300", 52.180, 21.560), // Mińsk Mazowiecki
    ("05-", 52.230, 21.010),
    // Warsaw postal districts.
    ("00-", 52.232, 21.012),  // Śródmieście
    ("01-0", 52.236, 20.982), // Wola
    ("01-1", 52.236, 20.968),
    ("01-2", 52.232, 20.955),
    ("01-3", 52.245, 20.912), // Bemowo
    ("01-4", 52.250, 20.915),
    ("01-5", 52.268, 20.985), // Żoliborz
    ("01-6", 52.280, 20.970), // Bielany
    ("01-7", 52.278, 20.955),
    ("01-8", 52.288, 20.940),
    ("01-9", 52.298, 20.935),
    ("02-0", 52.215, 20.985), // Ochota
    ("02-1", 52.195, 20.965), // Włochy/Okęcie
    ("02-2", 52.200, 20.955),
    ("02-3", 52.213, 20.970),
    ("02-4", 52.195, 20.885), // Ursus
    ("02-5", 52.202, 21.020), // Mokotów
    ("02-6", 52.190, 21.010),
    ("02-7", 52.175, 21.030),
    ("02-8", 52.145, 21.040), // Ursynów
    ("02-9", 52.165, 21.085), // Wilanów
    ("03-0", 52.310, 20.980), // Białołęka
    ("03-1", 52.315, 20.990),
    ("03-2", 52.300, 21.020),
    ("03-3", 52.285, 21.045), // Targówek
    ("03-4", 52.262, 21.040), // Praga-Północ
    ("03-5", 52.275, 21.055),
    ("03-6", 52.270, 21.075),
    ("03-7", 52.254, 21.040),
    ("03-8", 52.245, 21.070), // Praga-Południe
    ("03-9", 52.235, 21.055),
    ("04-0", 52.242, 21.095), // Grochów
    ("04-1", 52.240, 21.080),
    ("04-2", 52.245, 21.120),
    ("04-3", 52.235, 21.100),
    ("04-4", 52.255, 21.165), // Rembertów
    ("04-5", 52.230, 21.130),
    ("04-6", 52.200, 21.165), // Wawer
    ("04-7", 52.205, 21.150),
    ("04-8", 52.215, 21.195),
    ("04-9", 52.190, 21.180),
    // Other cities, coarsely.
    ("30-", 50.062, 19.940), // Kraków
    ("31-", 50.070, 19.960),
    ("80-", 54.352, 18.646), // Gdańsk
    ("81-", 54.518, 18.530), // Gdynia
    ("90-", 51.759, 19.457), // Łódź
    ("91-", 51.780, 19.440),
    ("92-", 51.760, 19.520),
    ("93-", 51.730, 19.470),
    ("94-", 51.760, 19.400),
    ("50-", 51.110, 17.032), // Wrocław
    ("51-", 51.130, 17.060),
    ("52-", 51.080, 17.010),
    ("53-", 51.100, 16.990),
    ("54-", 51.120, 16.960),
    ("60-", 52.406, 16.925), // Poznań
    ("61-", 52.410, 16.950),
    ("20-", 51.246, 22.568), // Lublin
    ("40-", 50.264, 19.024), // Katowice
];

/// The centre of the postal district of the first NN-NNN in `address`.
pub fn approx_coords(address: &str) -> Option<(f64, f64)> {
    let (a, b) = crate::callsheet::postcodes::pl_from(address, 0)?;
    let digits: String = address[a..b].chars().filter(char::is_ascii_digit).collect();
    let code = format!("{}-{}", &digits[..2], &digits[2..]);
    DISTRICTS
        .iter()
        .filter(|(p, _, _)| code.starts_with(p))
        .max_by_key(|(p, _, _)| p.len())
        .map(|(_, la, lo)| (*la, *lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_prefix_wins() {
        assert_eq!(
            approx_coords("ul. Warszawska 58, 05-520 Konstancin-Jeziorna"),
            Some((52.088, 21.118))
        );
        let (la, lo) = approx_coords("ul. Wyczółki 89, 02-820 Warszawa").unwrap();
        assert!((la - 52.1557).abs() < 0.03 && (lo - 20.9862).abs() < 0.06);
        assert_eq!(approx_coords("no code here"), None);
        assert_eq!(approx_coords("99-999 Nowhere"), None);
    }
}
