//! Forecasts from OpenWeatherMap (5 day / 3 hour) or Open-Meteo (hourly),
//! as [`Sample`]s for `mp2::weather` to summarise. A client only: the
//! weather poller calls it through the `weather` guard.

use mp2::config::{Config, WeatherProvider};
use mp2::weather::{self, Sample};
use serde_json::Value;

/// Why a forecast could not be had.
#[derive(Debug, thiserror::Error)]
pub enum WeatherError {
    /// A setting is missing or a secret unreadable: the operator's to fix.
    #[error("{0}")]
    Config(String),
    /// The service did not answer (already worded without the URL, which
    /// carries OpenWeatherMap's key).
    #[error("{0}")]
    Unreachable(String),
    #[error("{who} answered HTTP {status}")]
    Status { who: &'static str, status: u16 },
    /// An answer we cannot read.
    #[error("{0}")]
    Unreadable(String),
}

/// The HTTP client trusting `weather.ca_file` besides the usual roots.
fn client(cfg: &Config) -> Result<reqwest::Client, WeatherError> {
    crate::integrations::http::client(cfg.weather.ca_file.as_deref())
        .map_err(|e| WeatherError::Config(format!("weather.{e}")))
}

/// The forecast samples for a place, from the configured provider.
pub async fn fetch(cfg: &Config, lat: f64, lon: f64) -> Result<Vec<Sample>, WeatherError> {
    let w = &cfg.weather;
    match w.provider {
        WeatherProvider::Openweathermap => {
            let file = w
                .api_key_file
                .as_deref()
                .ok_or_else(|| WeatherError::Config("weather.api_key_file is not set".into()))?;
            let key = cfg.read_secret(file).map_err(WeatherError::Config)?;
            let base = w
                .endpoint
                .clone()
                .unwrap_or_else(|| "https://api.openweathermap.org".into());
            let url = format!("{}/data/2.5/forecast", base.trim_end_matches('/'));
            let q = [
                ("lat", format!("{lat:.4}")),
                ("lon", format!("{lon:.4}")),
                ("appid", key),
                ("units", "metric".into()),
                ("lang", "pl".into()),
            ];
            let v = get_json(client(cfg)?.get(&url).query(&q), "OpenWeatherMap").await?;
            owm_samples(&v)
        }
        WeatherProvider::OpenMeteo => {
            let base = w
                .endpoint
                .clone()
                .unwrap_or_else(|| "https://api.open-meteo.com".into());
            let url = format!("{}/v1/forecast", base.trim_end_matches('/'));
            let q = [
                ("latitude", format!("{lat:.4}")),
                ("longitude", format!("{lon:.4}")),
                (
                    "hourly",
                    "temperature_2m,precipitation,wind_speed_10m,weather_code".into(),
                ),
                ("wind_speed_unit", "ms".into()),
                ("timezone", "UTC".into()),
                ("forecast_days", "16".into()),
            ];
            let v = get_json(client(cfg)?.get(&url).query(&q), "Open-Meteo").await?;
            open_meteo_samples(&v)
        }
        WeatherProvider::None => Ok(vec![]),
    }
}

async fn get_json(req: reqwest::RequestBuilder, who: &'static str) -> Result<Value, WeatherError> {
    let r = req
        .send()
        .await
        .map_err(|e| WeatherError::Unreachable(crate::integrations::http::describe(who, e)))?;
    let status = r.status();
    if !status.is_success() {
        return Err(WeatherError::Status {
            who,
            status: status.as_u16(),
        });
    }
    r.json()
        .await
        .map_err(|e| WeatherError::Unreadable(crate::integrations::http::describe(who, e)))
}

/// OpenWeatherMap 5-day/3-hour forecast: `list[].{dt, main.temp, wind.speed,
/// rain.3h, snow.3h, weather[0].description}`.
fn owm_samples(v: &Value) -> Result<Vec<Sample>, WeatherError> {
    let list = v["list"]
        .as_array()
        .ok_or_else(|| WeatherError::Unreadable("OpenWeatherMap answer has no list".into()))?;
    Ok(list
        .iter()
        .filter_map(|e| {
            Some(Sample {
                ts: e["dt"].as_i64()?,
                temp_c: e["main"]["temp"].as_f64()?,
                precip_mm: e["rain"]["3h"].as_f64().unwrap_or(0.0)
                    + e["snow"]["3h"].as_f64().unwrap_or(0.0),
                wind_ms: e["wind"]["speed"].as_f64().unwrap_or(0.0),
                description: e["weather"][0]["description"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                // Group 2xx is "Thunderstorm", whatever the words say.
                thunder: e["weather"].as_array().is_some_and(|w| {
                    w.iter().any(|c| {
                        (200..300).contains(&c["id"].as_i64().unwrap_or(0))
                            || c["main"] == "Thunderstorm"
                    })
                }),
            })
        })
        .collect())
}

/// Open-Meteo hourly arrays, times in UTC without an offset.
fn open_meteo_samples(v: &Value) -> Result<Vec<Sample>, WeatherError> {
    let h = &v["hourly"];
    let times = h["time"]
        .as_array()
        .ok_or_else(|| WeatherError::Unreadable("Open-Meteo answer has no hourly.time".into()))?;
    let at = |k: &str, i: usize| h[k][i].as_f64();
    Ok(times
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let ts = chrono::NaiveDateTime::parse_from_str(t.as_str()?, "%Y-%m-%dT%H:%M")
                .ok()?
                .and_utc()
                .timestamp();
            Some(Sample {
                ts,
                temp_c: at("temperature_2m", i)?,
                precip_mm: at("precipitation", i).unwrap_or(0.0),
                wind_ms: at("wind_speed_10m", i).unwrap_or(0.0),
                description: weather::wmo_description(h["weather_code"][i].as_i64().unwrap_or(-1))
                    .to_string(),
                thunder: (95..=99).contains(&h["weather_code"][i].as_i64().unwrap_or(-1)),
            })
        })
        .collect())
}
