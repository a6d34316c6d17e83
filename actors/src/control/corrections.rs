//! The person-in-the-loop commands of the control socket: `attention`,
//! `correct`, `layouts`, `schedules --history`.
//!
//! `correct` records the correction with who made it (SO_PEERCRED uid and
//! user name), makes it the day's newest version, learns where the corrected
//! value is printed on the sheet (a rule for that sender and layout), and
//! sends the day's message through planning, calendars and notifications
//! again — the crew get the change message a revision would give them.

use crate::runtime::ctx::Ctx;
use crate::runtime::pipeline::poke;
use mp2::correction::Edit;
use mp2::store::AttentionItem;
use serde_json::{json, Value};

/// CONTRACT §2 `attention --json`, with the number `dismiss` takes.
pub fn attention_list(items: &[AttentionItem]) -> Vec<Value> {
    items
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "date": i.date,
                "message_id": i.message_id,
                "subject": i.subject,
                "reason": i.reason,
                "fields": i.fields,
                "since": i.since,
                "kind": i.kind,
            })
        })
        .collect()
}

pub fn dismiss(ctx: &Ctx, id: u64) -> Result<Value, String> {
    if ctx.store.dismiss_attention(id).map_err(|e| e.to_string())? {
        Ok(json!(format!("attention item #{id} dismissed")))
    } else {
        Err(format!(
            "no open attention item #{id}; `mp2ctl attention` lists them"
        ))
    }
}

/// The peer's uid and user name (`uid 1000` when it has no passwd entry).
fn who(cred: Option<tokio::net::unix::UCred>) -> (u32, String) {
    match cred.map(|c| c.uid()) {
        Some(uid) => (uid, crate::control::peer::user_name(uid)),
        None => (u32::MAX, "unknown".into()),
    }
}

pub async fn correct(
    ctx: &Ctx,
    date: &str,
    fields: &[String],
    cred: Option<tokio::net::unix::UCred>,
) -> Result<Value, String> {
    if fields.is_empty() {
        return Err(
            "say what to correct as FIELD=VALUE, e.g. mp2ctl correct 2024-03-15 call_time=07:00"
                .into(),
        );
    }
    let edits = fields
        .iter()
        .map(|f| Edit::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let (uid, user) = who(cred);
    let (rec, left) = ctx
        .store
        .correct_day(date, &edits, uid, &user)
        .map_err(|e| e.to_string())?;
    tracing::info!(%date, %user, uid, fields = ?fields, version = rec.version, "Shooting day corrected");
    let learned = learn(ctx, &rec.message_id, &edits).await;
    let mut dates = vec![rec.date.clone()];
    dates.extend(left.iter().map(|l| l.date.clone()));
    let replanned = ctx
        .store
        .replan_message(&rec.message_id, &dates)
        .map_err(|e| e.to_string())?;
    if let Ok(Some(m)) = ctx.store.find_message(&rec.message_id) {
        let src = crate::control::attention::source(&m, &[]);
        for d in &dates {
            crate::control::attention::check_day(ctx, &src, d);
        }
    }
    if replanned {
        poke("route_planner");
    }
    Ok(json!({
        "date": rec.date,
        "version": rec.version,
        "corrected": edits.iter().map(|e| format!("{}={}", e.target.name(), e.value)).collect::<Vec<_>>(),
        "by": user,
        "learned": learned,
        "moved_from": left.map(|l| l.date),
    }))
}

/// Learns a rule for each corrected field printed on the day's sheet.
/// Returns the ids of the rules kept.
async fn learn(ctx: &Ctx, message_id: &str, edits: &[Edit]) -> Vec<String> {
    let Ok(Some(m)) = ctx.store.find_message(message_id) else {
        return vec![];
    };
    let Ok(Some(raw)) = ctx.store.raw(&m.key) else {
        return vec![];
    };
    let opts = mp2::parse::ParseOptions {
        filter: ctx.cfg.filter.clone(),
        pdf: mp2::pdf::Options {
            ocr: ctx.cfg.parser.ocr,
            ..Default::default()
        },
        ..Default::default()
    };
    let edits = edits.to_vec();
    let (from, mid) = (m.from.clone(), m.message_id.clone());
    let rules =
        tokio::task::spawn_blocking(move || mp2::parse::teach(&raw, &opts, &from, &mid, &edits))
            .await
            .unwrap_or_default();
    let mut ids = Vec::new();
    for r in rules {
        if ctx.store.put_layout_rule(&r).is_ok() {
            tracing::info!(id = %r.id, field = %r.field, label = %r.label, layout = %r.fingerprint, sender = %r.sender, "Learned where a field sits");
            ids.push(r.id);
        }
    }
    ids
}

pub fn day_history(ctx: &Ctx, date: &str) -> Result<Value, String> {
    let versions = ctx.store.versions_of(date).map_err(|e| e.to_string())?;
    if versions.is_empty() {
        return Err(format!(
            "no shooting day {date} is known; `mp2ctl schedules` lists them"
        ));
    }
    let mut out = Vec::new();
    for v in versions {
        let m = ctx.store.find_message(&v.message_id).ok().flatten();
        out.push(json!({
            "version": v.version,
            "revision": v.revision,
            "at": v.at,
            "message_id": v.message_id,
            "subject": m.as_ref().map(|m| m.subject.clone()),
            "from": m.as_ref().map(|m| m.from.clone()),
            "received": m.as_ref().map(|m| m.received.clone()),
            "changes": v.changes,
            "note": v.note,
            "cancelled": v.cancelled,
        }));
    }
    let corrections = ctx.store.corrections_for(date).map_err(|e| e.to_string())?;
    Ok(json!({"date": date, "versions": out, "corrections": corrections}))
}

pub fn layouts(ctx: &Ctx) -> Result<Value, String> {
    let rules = ctx.store.layout_rules().map_err(|e| e.to_string())?;
    serde_json::to_value(rules).map_err(|e| e.to_string())
}

pub fn forget_layout(ctx: &Ctx, id: &str) -> Result<Value, String> {
    if ctx
        .store
        .forget_layout_rule(id)
        .map_err(|e| e.to_string())?
    {
        Ok(json!(format!(
            "rule {id} forgotten; later sheets are read without it"
        )))
    } else {
        Err(format!("no rule {id:?}; `mp2ctl layouts` lists them"))
    }
}

/// A revised weekly schedule that no longer lists a day the earlier one
/// did, within the weeks it covers, cancels that day: its events are removed
/// and the crew told, as for a day the sheet marks cancelled. The dropped
/// dates join `rec.days` so the later stages handle them with this message.
pub fn cancel_dropped_days(
    ctx: &Ctx,
    rec: &mut mp2::store::MessageRecord,
    read: &[mp2::model::ShootDay],
) {
    if read.len() < 2 || read.iter().all(|d| d.revision.is_none()) {
        return;
    }
    let (Some(first), Some(last)) = (
        read.iter().map(|d| &d.date).min(),
        read.iter().map(|d| &d.date).max(),
    ) else {
        return;
    };
    let Ok(known) = ctx.store.days() else { return };
    for day in known {
        if day.cancelled || &day.date < first || &day.date > last || rec.days.contains(&day.date) {
            continue;
        }
        // Only a day an earlier weekly schedule stated: a single sheet for a
        // day inside the week is not withdrawn by the week's revision.
        let weekly = ctx
            .store
            .find_message(&day.message_id)
            .ok()
            .flatten()
            .is_some_and(|m| m.days.len() > 1);
        if !weekly || day.message_id == rec.message_id {
            continue;
        }
        let note = format!("dropped by the revised schedule {}", rec.message_id);
        match ctx.store.cancel_day(&day.date, &note) {
            Ok(Some(_)) => {
                tracing::info!(date = %day.date, message_id = %rec.message_id, "A revised schedule dropped this day; cancelling it");
                rec.days.push(day.date.clone());
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, date = %day.date, "Could not cancel a dropped day")
            }
        }
    }
}
