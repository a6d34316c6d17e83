//! CalDAV (RFC 4791): one calendar collection per crew member, one resource
//! per event.
//!
//! - The collection is `calendar.url` with `{crew}` replaced. Before the
//!   first write of this process to it, a `PROPFIND` (depth 0) checks it is
//!   there; when it is not, `MKCALENDAR` makes it (and `MKCOL` its missing
//!   parent, as Radicale wants for `/CREW/mp2/`). The answer is cached.
//! - The event is `COLLECTION/UID.ics`, written with `PUT` of a VCALENDAR
//!   holding the one VEVENT: `If-None-Match: *` when we know no ETag (create
//!   only), `If-Match: ETAG` when we do (update only what we wrote). The
//!   ETag the server returns is kept in the store (`caldav:etag:HREF`).
//! - 412 means our view is stale: someone edited the event, or a crash lost
//!   our ETag after the write landed. The current ETag is fetched once and
//!   the write repeated once; since the resource name is fixed by crew and
//!   date, a repeat overwrites, it never duplicates.
//! - A cancelled day is a `DELETE`; 404/410 count as done.
//! - 401/403: the credentials; 429/5xx and network errors: retry later;
//!   other 4xx: a refusal naming the URL.

use super::{client, status_error, unreachable, CalendarError, DayEvent};
use mp2::config::Config;
use mp2::ics;
use mp2::store::Store;
use reqwest::{header, Method, StatusCode, Url};
use std::collections::HashSet;
use std::sync::Mutex;

/// A CalDAV account.
pub struct CalDav {
    /// Collection URL with `{crew}`.
    url: String,
    /// Basic auth, when a username is configured.
    auth: Option<(String, Option<String>)>,
    /// Trusts `calendar.ca_file` besides the usual roots.
    client: reqwest::Client,
}

/// What a PUT may assume about the resource.
#[derive(Debug, Clone)]
enum Precondition {
    /// It must not exist yet.
    Absent,
    /// It must still be the version with this ETag.
    Is(String),
}

/// Collections known to exist (this process made or saw them). Process-wide
/// because the provider is rebuilt for every batch.
static READY: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn ready(url: &str) -> bool {
    let g = READY.lock().unwrap_or_else(|e| e.into_inner());
    g.as_ref().is_some_and(|s| s.contains(url))
}

fn set_ready(url: &str, yes: bool) {
    let mut g = READY.lock().unwrap_or_else(|e| e.into_inner());
    let s = g.get_or_insert_with(HashSet::new);
    if yes {
        s.insert(url.to_string());
    } else {
        s.remove(url);
    }
}

const MKCALENDAR_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>MP2</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>
"#;

const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>
"#;

fn method(name: &'static str) -> Method {
    // Both names are valid tokens; the fallback is never taken.
    Method::from_bytes(name.as_bytes()).unwrap_or(Method::OPTIONS)
}

impl CalDav {
    pub fn from_config(cfg: &Config) -> Result<CalDav, CalendarError> {
        let url = cfg.calendar.url.clone().ok_or_else(|| {
            CalendarError::Config(
                "calendar.url is not set (the collection URL, with {crew})".into(),
            )
        })?;
        let auth = match &cfg.calendar.username {
            Some(user) => {
                let password = match &cfg.calendar.password_file {
                    Some(f) => Some(cfg.read_secret(f).map_err(CalendarError::Secret)?),
                    None => None,
                };
                Some((user.clone(), password))
            }
            None => None,
        };
        Ok(CalDav {
            url,
            auth,
            client: client(cfg)?,
        })
    }

    /// The crew member's collection URL, always ending in `/`.
    pub fn collection(&self, crew: &str) -> Result<Url, CalendarError> {
        let mut s = self.url.replace("{crew}", crew);
        if !s.ends_with('/') {
            s.push('/');
        }
        Url::parse(&s)
            .map_err(|e| CalendarError::Config(format!("calendar.url {s:?} is not a URL: {e}")))
    }

    /// The event's resource: `COLLECTION/UID.ics`, percent-encoded.
    pub fn href(&self, crew: &str, date: &str) -> Result<Url, CalendarError> {
        let mut url = self.collection(crew)?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|_| CalendarError::Config(format!("calendar.url {shown} cannot hold a path")))?
            .pop_if_empty()
            .push(&format!("{}.ics", ics::uid(crew, date)));
        Ok(url)
    }

    fn request(&self, m: Method, url: &Url) -> reqwest::RequestBuilder {
        let r = self.client.request(m, url.clone());
        match &self.auth {
            Some((u, p)) => r.basic_auth(u, p.as_deref()),
            None => r,
        }
    }

    async fn send(
        &self,
        r: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<reqwest::Response, CalendarError> {
        let r = r.send().await.map_err(unreachable(url.as_str()))?;
        match r.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(CalendarError::Credentials {
                url: url.to_string(),
                status: r.status().as_u16(),
            }),
            _ => Ok(r),
        }
    }

    /// Makes sure the collection exists (once per process and URL).
    async fn ensure_collection(&self, url: &Url) -> Result<(), CalendarError> {
        if ready(url.as_str()) {
            return Ok(());
        }
        let r = self
            .send(
                self.request(method("PROPFIND"), url)
                    .header("Depth", "0")
                    .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
                    .body(PROPFIND_BODY),
                url,
            )
            .await?;
        match r.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => self.make_calendar(url).await?,
            _ => return Err(status_error(url.as_str(), r).await),
        }
        set_ready(url.as_str(), true);
        Ok(())
    }

    async fn make_calendar(&self, url: &Url) -> Result<(), CalendarError> {
        let mkcalendar = || {
            self.request(method("MKCALENDAR"), url)
                .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(MKCALENDAR_BODY)
        };
        let r = self.send(mkcalendar(), url).await?;
        match r.status() {
            s if s.is_success() => Ok(()),
            // RFC 4791 §5.3.1: the parent is missing. Make it, then retry.
            StatusCode::CONFLICT => {
                self.make_parents(url).await?;
                let r = self.send(mkcalendar(), url).await?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(status_error(url.as_str(), r).await)
                }
            }
            _ => Err(status_error(url.as_str(), r).await),
        }
    }

    /// `MKCOL` every ancestor below the host, top down; those that exist
    /// answer 405, which is fine.
    async fn make_parents(&self, url: &Url) -> Result<(), CalendarError> {
        let segments: Vec<String> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        let mut parent = url.clone();
        for depth in 1..segments.len() {
            parent.set_path(&format!("/{}/", segments[..depth].join("/")));
            let r = self
                .send(self.request(method("MKCOL"), &parent), &parent)
                .await?;
            let s = r.status();
            if !(s.is_success() || s == StatusCode::METHOD_NOT_ALLOWED || s == StatusCode::CONFLICT)
            {
                return Err(status_error(parent.as_str(), r).await);
            }
        }
        Ok(())
    }

    /// Creates or updates the event (see the module doc for 412).
    pub async fn put(&self, store: &Store, e: &DayEvent) -> Result<(), CalendarError> {
        let collection = self.collection(&e.crew)?;
        self.ensure_collection(&collection).await?;
        let href = self.href(&e.crew, &e.date)?;
        let key = etag_key(&href);
        let body = ics::calendar(std::slice::from_ref(&e.vevent));
        let mut pre = match store.meta(&key)? {
            Some(tag) => Precondition::Is(tag),
            None => Precondition::Absent,
        };
        let (mut refetched, mut remade) = (false, false);
        loop {
            let r = self
                .request(Method::PUT, &href)
                .header(header::CONTENT_TYPE, "text/calendar; charset=utf-8")
                .body(body.clone());
            let r = match &pre {
                Precondition::Absent => r.header(header::IF_NONE_MATCH, "*"),
                Precondition::Is(tag) => r.header(header::IF_MATCH, tag.as_str()),
            };
            let r = self.send(r, &href).await?;
            match r.status() {
                s if s.is_success() => {
                    match etag_of(&r) {
                        Some(tag) => store.set_meta(&key, &tag)?,
                        // The server changed what we sent (RFC 4791 §5.3.4
                        // lets it); the next write finds the ETag via 412.
                        None => store.remove_meta(&key)?,
                    }
                    return Ok(());
                }
                StatusCode::PRECONDITION_FAILED if !refetched => {
                    refetched = true;
                    pre = match self.current_etag(&href).await? {
                        Some(tag) => Precondition::Is(tag),
                        None => Precondition::Absent,
                    };
                    tracing::info!(url = %href, "Calendar event changed on the server; writing over it once more");
                }
                StatusCode::PRECONDITION_FAILED => {
                    return Err(CalendarError::Conflict {
                        url: href.to_string(),
                    })
                }
                // The collection went away under us (deleted by a user).
                StatusCode::NOT_FOUND | StatusCode::CONFLICT if !remade => {
                    remade = true;
                    set_ready(collection.as_str(), false);
                    self.ensure_collection(&collection).await?;
                }
                _ => return Err(status_error(href.as_str(), r).await),
            }
        }
    }

    /// The resource's ETag now, or `None` when it does not exist.
    async fn current_etag(&self, href: &Url) -> Result<Option<String>, CalendarError> {
        let r = self.send(self.request(Method::GET, href), href).await?;
        match r.status() {
            s if s.is_success() => Ok(etag_of(&r)),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
            _ => Err(status_error(href.as_str(), r).await),
        }
    }

    /// Deletes the event of a cancelled day; gone already is fine.
    pub async fn remove(&self, store: &Store, crew: &str, date: &str) -> Result<(), CalendarError> {
        let href = self.href(crew, date)?;
        let r = self
            .send(self.request(Method::DELETE, &href), &href)
            .await?;
        match r.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND || s == StatusCode::GONE => {
                store.remove_meta(&etag_key(&href))?;
                Ok(())
            }
            _ => Err(status_error(href.as_str(), r).await),
        }
    }
}

fn etag_key(href: &Url) -> String {
    format!("caldav:etag:{href}")
}

fn etag_of(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dav(url: &str) -> CalDav {
        CalDav {
            url: url.into(),
            auth: None,
            client: reqwest::Client::new(),
        }
    }

    #[test]
    fn href_is_per_crew_and_date_and_encoded() {
        let d = dav("http://127.0.0.1:5232/{crew}/mp2");
        assert_eq!(
            d.href("anna", "2024-03-11").unwrap().as_str(),
            "http://127.0.0.1:5232/anna/mp2/mp2-anna-2024-03-11@mp2.ics"
        );
        let d = dav("http://h/cal/{crew}/");
        assert!(d
            .href("a b", "2024-03-11")
            .unwrap()
            .as_str()
            .starts_with("http://h/cal/a%20b/mp2-a%20b-"));
    }

    #[test]
    fn bad_url_is_a_config_error() {
        let e = dav("not a url/{crew}").collection("anna").unwrap_err();
        assert!(matches!(e, CalendarError::Config(_)), "{e}");
    }
}
