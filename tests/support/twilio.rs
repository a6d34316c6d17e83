//! An in-test server speaking Twilio's Messages API as documented:
//! `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form `To`, `From`,
//! `Body`) answers 201 with the Message resource; `GET` on the same path
//! lists messages newest first, filtered by `To` and `From`, as
//! `{"messages": [...], "next_page_uri": null, ...}` with RFC 2822 dates.
//! A test's `fault` closure may answer a POST itself (a 400, a 429) instead.
#![allow(dead_code)]

use super::http::{Reply, Request, Server};
use std::sync::{Arc, Mutex};

pub const ACCOUNT: &str = "AC00000000000000000000000000000000";

/// One message Twilio took.
#[derive(Debug, Clone)]
pub struct Taken {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
    pub created: chrono::DateTime<chrono::Utc>,
}

pub struct Twilio {
    pub server: Server,
    /// Every message taken, in order.
    pub taken: Arc<Mutex<Vec<Taken>>>,
}

/// What the fault closure decides for a POST (numbered from 1).
pub enum Post {
    /// Take the message and answer 201.
    Take,
    /// Answer this instead, taking nothing.
    Answer(Reply),
}

impl Twilio {
    pub fn start(fault: impl Fn(&Request, usize) -> Post + Send + 'static) -> Twilio {
        Self::start_on(0, fault)
    }

    /// On a given port (0: any), so a test can point mp2d at a closed port
    /// and bring the server up later.
    pub fn start_on(port: u16, fault: impl Fn(&Request, usize) -> Post + Send + 'static) -> Twilio {
        let taken: Arc<Mutex<Vec<Taken>>> = Arc::default();
        let t = taken.clone();
        let posts = Mutex::new(0usize);
        let server = Server::start_on(port, move |req, _| {
            let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
            let want = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
            if path != want {
                return (
                    404,
                    vec![],
                    twilio_error(20404, "The requested resource was not found"),
                );
            }
            if !req
                .header("authorization")
                .is_some_and(|a| a.starts_with("Basic "))
            {
                return (401, vec![], twilio_error(20003, "Authenticate"));
            }
            match req.method.as_str() {
                "POST" => {
                    let n = {
                        let mut p = posts.lock().unwrap();
                        *p += 1;
                        *p
                    };
                    if let Post::Answer(r) = fault(req, n) {
                        return r;
                    }
                    let form = decode(&String::from_utf8_lossy(&req.body));
                    let get = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
                    let m = Taken {
                        sid: format!("SM{:032x}", n),
                        to: get("To").unwrap_or_default(),
                        from: get("From").unwrap_or_default(),
                        body: get("Body").unwrap_or_default(),
                        created: chrono::Utc::now(),
                    };
                    t.lock().unwrap().push(m.clone());
                    (201, json(), resource(&m).to_string())
                }
                "GET" => {
                    let q = decode(query);
                    let get = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
                    let (to, from) = (get("To"), get("From"));
                    let list: Vec<serde_json::Value> = t
                        .lock()
                        .unwrap()
                        .iter()
                        .rev()
                        .filter(|m| to.as_ref().is_none_or(|x| *x == m.to))
                        .filter(|m| from.as_ref().is_none_or(|x| *x == m.from))
                        .map(resource)
                        .collect();
                    let body = serde_json::json!({
                        "messages": list,
                        "end": list.len().saturating_sub(1),
                        "first_page_uri": want,
                        "next_page_uri": null,
                        "page": 0,
                        "page_size": 50,
                        "previous_page_uri": null,
                        "start": 0,
                        "uri": req.path,
                    });
                    (200, json(), body.to_string())
                }
                _ => (405, vec![], twilio_error(20004, "Method not allowed")),
            }
        });
        Twilio { server, taken }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `[notify.sms]` pointing at this server (`token` is the secret file).
    pub fn config(&self, token: &std::path::Path) -> String {
        sms_config(&self.url(), token)
    }

    pub fn posts(&self) -> Vec<Request> {
        self.server
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == "POST")
            .cloned()
            .collect()
    }

    pub fn gets(&self) -> Vec<Request> {
        self.server
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == "GET")
            .cloned()
            .collect()
    }

    pub fn taken(&self) -> Vec<Taken> {
        self.taken.lock().unwrap().clone()
    }
}

/// `[notify.sms]` for a Twilio at `url`.
pub fn sms_config(url: &str, token: &std::path::Path) -> String {
    super::write_secret(token, "tok");
    format!(
        "[notify.sms]\nprovider = \"twilio\"\nendpoint = \"{url}\"\naccount_sid = \"{ACCOUNT}\"\nauth_token_file = \"{}\"\nfrom = \"+48500000000\"",
        token.display()
    )
}

/// Twilio's error body.
pub fn twilio_error(code: i64, message: &str) -> String {
    serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": code / 100 % 1000,
    })
    .to_string()
}

fn json() -> Vec<(&'static str, String)> {
    vec![("Content-Type", "application/json".into())]
}

fn resource(m: &Taken) -> serde_json::Value {
    let date = m.created.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
    serde_json::json!({
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "body": m.body,
        "date_created": date,
        "date_sent": null,
        "date_updated": date,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": m.from,
        "num_media": "0",
        "num_segments": "1",
        "price": null,
        "price_unit": "USD",
        "sid": m.sid,
        "status": "queued",
        "to": m.to,
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{}.json", m.sid),
    })
}

/// `application/x-www-form-urlencoded` (also a query string) → pairs.
pub fn decode(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
