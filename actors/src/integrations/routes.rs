//! Travel times from a routing provider: Google Routes (`computeRoutes`,
//! traffic-aware), OSRM (`/route/v1/driving`), or the local estimate.
//!
//! Every call goes through the `routes` guard. A provider that fails (down,
//! 429/500, a timeout, an answer we cannot read, an open breaker) never
//! stops a plan: the leg falls back to the estimate and the plan carries a
//! warning saying so, because a slightly rough departure time is far better
//! than none at 4 am.

use crate::runtime::ctx::Ctx;
use crate::runtime::guard::Guard;
use chrono::{DateTime, Utc};
use mp2::config::{Language, RouteProvider};
use mp2::crew_text::{say, Say};
use mp2::plan::{estimate_leg, Leg, LegSource, Stop};
use serde_json::{json, Value};

/// One end of a leg, as the sheet and the config give it.
#[derive(Debug, Clone)]
pub struct End {
    pub address: Option<String>,
    pub point: Option<(f64, f64)>,
}

/// The HTTP client trusting `routes.ca_file` besides the usual roots.
fn client(ctx: &Ctx) -> Result<reqwest::Client, String> {
    crate::integrations::http::client(ctx.cfg.routes.ca_file.as_deref())
        .map_err(|e| format!("routes.{e}"))
}

/// The leg between two ends; `departure` is when the drive roughly starts
/// (for traffic-aware providers; only sent when in the future). The flag
/// says the leg is the estimate because the provider failed, so asking
/// again later may give the real one (not when there is nothing to ask
/// about, or the estimate is the provider).
pub async fn leg(
    ctx: &Ctx,
    guard: &Guard,
    from: Stop,
    to: Stop,
    a: &End,
    b: &End,
    departure: DateTime<Utc>,
    lang: Language,
) -> (Leg, Vec<String>, bool) {
    let (estimate, est_warning) = estimate_leg(from, to, a.point, b.point);
    let mut warnings: Vec<String> = est_warning.iter().map(|w| say(lang, w)).collect();
    let provider = ctx.cfg.routes.provider;
    let asked = match provider {
        // Computed here: no call, so nothing to count, limit or break.
        RouteProvider::Estimate => return (estimate, warnings, false),
        RouteProvider::Osrm => match (a.point, b.point) {
            (Some(p), Some(q)) => guard.call(osrm(ctx, p, q)).await.map_err(|e| e.to_string()),
            _ => {
                return unaskable(
                    estimate,
                    warnings,
                    lang,
                    "OSRM needs coordinates and the sheet gives none",
                )
            }
        },
        // Nothing to route to says nothing about the provider's health:
        // no call, so the breaker does not count it.
        RouteProvider::Google => match waypoint(a).and(waypoint(b)) {
            Err(e) => return unaskable(estimate, warnings, lang, &e),
            Ok(_) => guard
                .call(google(ctx, a, b, departure))
                .await
                .map_err(|e| e.to_string()),
        },
    };
    match asked {
        Ok((minutes, km)) => {
            let source = if provider == RouteProvider::Google {
                LegSource::Google
            } else {
                LegSource::Osrm
            };
            (
                Leg {
                    from,
                    to,
                    minutes,
                    km,
                    source,
                },
                Vec::new(),
                false,
            )
        }
        Err(e) => {
            // The crew read what it means; the log keeps what went wrong.
            tracing::warn!(error = %e, "Route service failed; the plan uses the estimate");
            warnings.push(say(
                lang,
                &Say::RouteEstimated {
                    minutes: estimate.minutes,
                },
            ));
            (estimate, warnings, true)
        }
    }
}

/// The estimate for a leg the provider cannot be asked about.
fn unaskable(
    estimate: Leg,
    mut warnings: Vec<String>,
    lang: Language,
    why: &str,
) -> (Leg, Vec<String>, bool) {
    tracing::warn!(error = %why, "Route not asked for; the plan uses the estimate");
    warnings.push(say(
        lang,
        &Say::RouteEstimated {
            minutes: estimate.minutes,
        },
    ));
    (estimate, warnings, false)
}

fn endpoint(ctx: &Ctx, default: &str) -> String {
    ctx.cfg
        .routes
        .endpoint
        .clone()
        .unwrap_or_else(|| default.to_string())
        .trim_end_matches('/')
        .to_string()
}

async fn read_json(r: reqwest::Response, who: &str) -> Result<Value, String> {
    let status = r.status();
    if !status.is_success() {
        let retry = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(|v| format!(", retry after {v}s"))
            .unwrap_or_default();
        return Err(format!("{who} answered {status}{retry}"));
    }
    r.json::<Value>()
        .await
        .map_err(|e| crate::integrations::http::describe(who, e))
}

/// OSRM: `GET /route/v1/driving/LON,LAT;LON,LAT?overview=false`.
async fn osrm(ctx: &Ctx, a: (f64, f64), b: (f64, f64)) -> Result<(u32, Option<f64>), String> {
    let url = format!(
        "{}/route/v1/driving/{:.6},{:.6};{:.6},{:.6}?overview=false",
        endpoint(ctx, "https://router.project-osrm.org"),
        a.1,
        a.0,
        b.1,
        b.0
    );
    let v = read_json(
        client(ctx)?
            .get(&url)
            .send()
            .await
            .map_err(|e| crate::integrations::http::describe("OSRM", e))?,
        "OSRM",
    )
    .await?;
    if v["code"] != "Ok" {
        return Err(format!("OSRM said {}: {}", v["code"], v["message"]));
    }
    let r = &v["routes"][0];
    let secs = r["duration"]
        .as_f64()
        .ok_or("OSRM answer has no routes[0].duration")?;
    let km = r["distance"].as_f64().map(|m| (m / 100.0).round() / 10.0);
    Ok(((secs / 60.0).ceil().max(1.0) as u32, km))
}

fn waypoint(e: &End) -> Result<Value, String> {
    match (&e.address, e.point) {
        (_, Some((lat, lon))) => {
            Ok(json!({"location": {"latLng": {"latitude": lat, "longitude": lon}}}))
        }
        (Some(a), None) => Ok(json!({"address": a})),
        (None, None) => Err("no address or coordinates to route to".into()),
    }
}

/// Google Routes API v2 `computeRoutes`, traffic-aware.
async fn google(
    ctx: &Ctx,
    a: &End,
    b: &End,
    departure: DateTime<Utc>,
) -> Result<(u32, Option<f64>), String> {
    let key_file = ctx
        .cfg
        .routes
        .api_key_file
        .as_deref()
        .ok_or("routes.api_key_file is not set")?;
    let key = ctx.cfg.read_secret(key_file)?;
    let mut body = json!({
        "origin": waypoint(a)?,
        "destination": waypoint(b)?,
        "travelMode": "DRIVE",
        "routingPreference": "TRAFFIC_AWARE",
    });
    // Google refuses departure times in the past.
    if departure > Utc::now() {
        body["departureTime"] = json!(departure.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    let url = format!(
        "{}/directions/v2:computeRoutes",
        endpoint(ctx, "https://routes.googleapis.com")
    );
    let r = client(ctx)?
        .post(&url)
        .header("X-Goog-Api-Key", key)
        .header("X-Goog-FieldMask", "routes.duration,routes.distanceMeters")
        .json(&body)
        .send()
        .await
        .map_err(|e| crate::integrations::http::describe("Google Routes", e))?;
    let v = read_json(r, "Google Routes").await?;
    let route = &v["routes"][0];
    let secs: f64 = route["duration"]
        .as_str()
        .and_then(|d| d.strip_suffix('s'))
        .and_then(|d| d.parse().ok())
        .ok_or("Google Routes answer has no routes[0].duration")?;
    let km = route["distanceMeters"]
        .as_f64()
        .map(|m| (m / 100.0).round() / 10.0);
    Ok(((secs / 60.0).ceil().max(1.0) as u32, km))
}
