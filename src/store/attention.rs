//! What a person must look at (`mp2ctl attention`), kept in the tree
//! `attention`: problem key → [`AttentionItem`].
//!
//! A problem has a stable key (`day:DATE:FIELD:MESSAGE`, `msg:KEY:unreadable`,
//! …) so that raising it again — on every retry, after a restart, on a
//! reprocess — changes nothing: an item is raised once, and the coordinators
//! are told once. The "told" mark is flushed before the e-mail goes out, so a
//! crash can lose a coordinator e-mail but never send one twice.

use super::{Result, Store};
use serde::{Deserialize, Serialize};

/// What kind of help is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttentionKind {
    /// A day's date, call time or first location is not on the sheet.
    Missing,
    /// The reader found it but is not sure of it.
    Uncertain,
    /// A schedule e-mail whose PDF could not be read.
    Unreadable,
    /// A notification to a crew member that was given up on.
    NotificationGivenUp,
    /// A message that kept failing at a stage past its retry limit.
    Stuck,
}

/// One item of `mp2ctl attention` (CONTRACT §2), plus what mp2 needs to keep
/// it once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttentionItem {
    /// The number `attention dismiss N` takes; never reused.
    pub id: u64,
    pub date: Option<String>,
    pub message_id: String,
    pub subject: String,
    /// A sentence a coordinator understands, saying what to run.
    pub reason: String,
    /// The CONTRACT §1 field names concerned.
    pub fields: Vec<String>,
    /// When the item was raised (ISO 8601).
    pub since: String,
    pub kind: AttentionKind,
    /// The problem's stable key.
    pub key: String,
    /// The coordinators have been e-mailed about it (or it was decided not
    /// to: no coordinators configured).
    #[serde(default)]
    pub told: bool,
    /// Left the list: `resolved` (corrected, reprocessed) or `dismissed`.
    #[serde(default)]
    pub closed: Option<String>,
}

/// A problem to raise; the store gives it its number and time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttention {
    pub key: String,
    pub kind: AttentionKind,
    pub date: Option<String>,
    pub message_id: String,
    pub subject: String,
    pub reason: String,
    pub fields: Vec<String>,
}

const TREE: &str = "attention";
const NEXT_ID: &[u8] = b"attention:next_id";

impl Store {
    fn attention_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree(TREE)?)
    }

    /// Raises a problem. Returns the new item, or `None` when an item with
    /// the same key exists (open, dismissed or resolved: the same problem is
    /// never raised twice). Flushed before return.
    pub fn raise_attention(&self, new: NewAttention) -> Result<Option<AttentionItem>> {
        let tree = self.attention_tree()?;
        if tree.get(new.key.as_bytes())?.is_some() {
            return Ok(None);
        }
        let id = self
            .meta
            .update_and_fetch(NEXT_ID, |old| {
                let n = old
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0);
                Some((n + 1).to_be_bytes().to_vec())
            })?
            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(1);
        let item = AttentionItem {
            id,
            date: new.date,
            message_id: new.message_id,
            subject: new.subject,
            reason: new.reason,
            fields: new.fields,
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            kind: new.kind,
            key: new.key,
            told: false,
            closed: None,
        };
        let fresh = tree
            .compare_and_swap(
                item.key.as_bytes(),
                None as Option<&[u8]>,
                Some(serde_json::to_vec(&item)?),
            )?
            .is_ok();
        self.flush()?;
        Ok(fresh.then_some(item))
    }

    /// Every item ever raised, by number.
    pub fn attention_all(&self) -> Result<Vec<AttentionItem>> {
        let mut all: Vec<AttentionItem> = self
            .attention_tree()?
            .iter()
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect::<Result<_>>()?;
        all.sort_by_key(|i| i.id);
        Ok(all)
    }

    /// The open items: what `mp2ctl attention` lists.
    pub fn attention(&self) -> Result<Vec<AttentionItem>> {
        Ok(self
            .attention_all()?
            .into_iter()
            .filter(|i| i.closed.is_none())
            .collect())
    }

    fn close_where(&self, why: &str, pick: impl Fn(&AttentionItem) -> bool) -> Result<usize> {
        let tree = self.attention_tree()?;
        let mut n = 0;
        for mut item in self.attention()? {
            if pick(&item) {
                item.closed = Some(why.to_string());
                tree.insert(item.key.as_bytes(), serde_json::to_vec(&item)?)?;
                n += 1;
            }
        }
        if n > 0 {
            self.flush()?;
        }
        Ok(n)
    }

    /// `attention dismiss N`: false when no open item has that number.
    pub fn dismiss_attention(&self, id: u64) -> Result<bool> {
        Ok(self.close_where("dismissed", |i| i.id == id)? > 0)
    }

    /// Closes the open items of one day whose key is not in `still`: the
    /// day was read again or corrected and those problems are gone.
    pub fn resolve_day_attention(&self, date: &str, still: &[String]) -> Result<usize> {
        self.close_where("resolved", |i| {
            i.date.as_deref() == Some(date)
                && matches!(i.kind, AttentionKind::Missing | AttentionKind::Uncertain)
                && !still.contains(&i.key)
        })
    }

    /// Closes the open items about one message (it was read after all).
    pub fn resolve_message_attention(&self, message_id: &str) -> Result<usize> {
        self.close_where("resolved", |i| {
            i.message_id == message_id
                && matches!(i.kind, AttentionKind::Unreadable | AttentionKind::Stuck)
        })
    }

    /// Closes the open item with this problem key (the problem went away).
    pub fn resolve_attention(&self, key: &str) -> Result<bool> {
        let tree = self.attention_tree()?;
        let Some(v) = tree.get(key.as_bytes())? else {
            return Ok(false);
        };
        let mut item: AttentionItem = serde_json::from_slice(&v)?;
        if item.closed.is_some() {
            return Ok(false);
        }
        item.closed = Some("resolved".into());
        tree.insert(key.as_bytes(), serde_json::to_vec(&item)?)?;
        self.flush()?;
        Ok(true)
    }

    /// Open items the coordinators have not been told about, by number.
    pub fn attention_untold(&self) -> Result<Vec<AttentionItem>> {
        Ok(self.attention()?.into_iter().filter(|i| !i.told).collect())
    }

    /// Forgets a side effect's intent: the effect was refused, so it did not
    /// happen and may be tried again.
    pub fn clear_effect(&self, key: &str) -> Result<()> {
        self.effects.remove(key.as_bytes())?;
        self.flush()
    }

    /// Marks an item told; flushed before return, so the e-mail that follows
    /// is never sent again after a crash or a restart.
    pub fn mark_attention_told(&self, key: &str) -> Result<()> {
        let tree = self.attention_tree()?;
        if let Some(v) = tree.get(key.as_bytes())? {
            let mut item: AttentionItem = serde_json::from_slice(&v)?;
            item.told = true;
            tree.insert(key.as_bytes(), serde_json::to_vec(&item)?)?;
        }
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(key: &str, date: Option<&str>, kind: AttentionKind) -> NewAttention {
        NewAttention {
            key: key.into(),
            kind,
            date: date.map(Into::into),
            message_id: "<m@x>".into(),
            subject: "Plan".into(),
            reason: "why".into(),
            fields: vec!["call_time".into()],
        }
    }

    #[test]
    fn a_problem_is_raised_once_and_told_once_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            let i = s
                .raise_attention(new("msg:k:unreadable", None, AttentionKind::Unreadable))
                .unwrap()
                .unwrap();
            assert_eq!(i.id, 1);
            assert!(s
                .raise_attention(new("msg:k:unreadable", None, AttentionKind::Unreadable))
                .unwrap()
                .is_none());
            assert_eq!(s.attention_untold().unwrap().len(), 1);
            s.mark_attention_told("msg:k:unreadable").unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert!(s.attention_untold().unwrap().is_empty());
        assert_eq!(s.attention().unwrap().len(), 1);
        let i = s
            .raise_attention(new(
                "day:2024-03-15:call_time:k",
                Some("2024-03-15"),
                AttentionKind::Missing,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(i.id, 2, "numbers are never reused");
    }

    #[test]
    fn items_leave_the_list_when_dismissed_or_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let d = "2024-03-15";
        s.raise_attention(new("day:a", Some(d), AttentionKind::Missing))
            .unwrap();
        s.raise_attention(new("day:b", Some(d), AttentionKind::Uncertain))
            .unwrap();
        s.raise_attention(new("msg:c", None, AttentionKind::Unreadable))
            .unwrap();
        assert_eq!(s.resolve_day_attention(d, &["day:b".into()]).unwrap(), 1);
        assert!(s.dismiss_attention(2).unwrap());
        assert!(!s.dismiss_attention(2).unwrap(), "already gone");
        assert_eq!(s.resolve_message_attention("<m@x>").unwrap(), 1);
        assert!(s.attention().unwrap().is_empty());
        assert!(
            s.raise_attention(new("day:a", Some(d), AttentionKind::Missing))
                .unwrap()
                .is_none(),
            "a resolved problem is not raised again by a replay"
        );
    }
}
