//! Where the watcher got to in one folder, kept in the store as one JSON
//! record so it is written atomically.
//!
//! Contract: every UID at or below `last_uid` that is not inside a pending
//! backfill range has been looked at; a backfill remembers its bounds and a
//! cursor, so a restart resumes it instead of starting over. A record whose
//! `uidvalidity` differs from the server's is worthless (the UIDs mean other
//! messages now) and causes a rescan.

use super::{Checkpoints, WatchError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FolderMark {
    pub uidvalidity: u32,
    /// The high-water mark of live processing.
    pub last_uid: u32,
    #[serde(default)]
    pub backfill: Option<Backfill>,
}

/// Messages that were in the folder before the watcher first saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Backfill {
    pub newest_first: bool,
    /// Lowest and highest UID to look at (inclusive).
    pub floor: u32,
    pub top: u32,
    /// Newest first: everything at or above has been looked at; oldest
    /// first: everything at or below.
    pub cursor: u64,
    pub done: u64,
    pub total: u64,
}

impl Backfill {
    /// A backfill over `uids` (what the folder held up to `top`), keeping the
    /// newest `limit` of them (0 = all).
    pub fn plan(mut uids: Vec<u32>, top: u32, limit: u32, newest_first: bool) -> Option<Backfill> {
        uids.retain(|u| *u > 0 && *u <= top);
        uids.sort_unstable();
        uids.dedup();
        if limit > 0 && uids.len() > limit as usize {
            uids.drain(..uids.len() - limit as usize);
        }
        let floor = *uids.first()?;
        let top = *uids.last()?;
        Some(Backfill {
            newest_first,
            floor,
            top,
            cursor: if newest_first {
                u64::from(top) + 1
            } else {
                u64::from(floor) - 1
            },
            done: 0,
            total: uids.len() as u64,
        })
    }

    /// The UID range still to look at, if any.
    pub fn remaining(&self) -> Option<(u32, u32)> {
        let (lo, hi) = if self.newest_first {
            (u64::from(self.floor), self.cursor.checked_sub(1)?)
        } else {
            (self.cursor + 1, u64::from(self.top))
        };
        let (lo, hi) = (u32::try_from(lo).ok()?, u32::try_from(hi).ok()?);
        (lo <= hi).then_some((lo, hi))
    }

    /// Orders the remaining UIDs the way they are to be looked at.
    pub fn order(&self, uids: &mut [u32]) {
        uids.sort_unstable();
        if self.newest_first {
            uids.reverse();
        }
    }

    /// One more message looked at.
    pub fn advance(&mut self, uid: u32) {
        self.cursor = u64::from(uid);
        self.done = (self.done + 1).min(self.total);
    }
}

impl FolderMark {
    pub fn load(store: &dyn Checkpoints, key: &str) -> Option<FolderMark> {
        // An unreadable record is treated like none: a rescan is safe, since
        // the sink drops what it already has.
        serde_json::from_slice(&store.get(key)?).ok()
    }

    pub fn save(&self, store: &dyn Checkpoints, key: &str) -> Result<(), WatchError> {
        let bytes = serde_json::to_vec(self).map_err(|e| WatchError::Checkpoint(e.to_string()))?;
        store.put(key, &bytes).map_err(WatchError::Checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_walks_down_and_honours_the_limit() {
        let mut b = Backfill::plan(vec![3, 1, 2, 9, 7, 20], 9, 3, true).unwrap();
        assert_eq!((b.floor, b.top, b.total), (3, 9, 3));
        assert_eq!(b.remaining(), Some((3, 9)));
        let mut uids = vec![3, 9, 7];
        b.order(&mut uids);
        assert_eq!(uids, [9, 7, 3]);
        b.advance(9);
        b.advance(7);
        assert_eq!(b.remaining(), Some((3, 6)));
        b.advance(3);
        assert_eq!(b.remaining(), None);
        assert_eq!(b.done, 3);
    }

    #[test]
    fn oldest_first_walks_up() {
        let mut b = Backfill::plan(vec![1, 2, 5], 5, 0, false).unwrap();
        assert_eq!(b.remaining(), Some((1, 5)));
        b.advance(2);
        assert_eq!(b.remaining(), Some((3, 5)));
        b.advance(5);
        assert_eq!(b.remaining(), None);
    }

    #[test]
    fn empty_folder_needs_no_backfill_and_extremes_do_not_overflow() {
        assert_eq!(Backfill::plan(vec![], 0, 0, true), None);
        let b = Backfill::plan(vec![u32::MAX], u32::MAX, 0, true).unwrap();
        assert_eq!(b.remaining(), Some((u32::MAX, u32::MAX)));
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        struct Mem(std::sync::Mutex<Option<Vec<u8>>>);
        impl Checkpoints for Mem {
            fn get(&self, _: &str) -> Option<Vec<u8>> {
                self.0.lock().unwrap().clone()
            }
            fn put(&self, _: &str, v: &[u8]) -> Result<(), String> {
                *self.0.lock().unwrap() = Some(v.to_vec());
                Ok(())
            }
        }
        let m = Mem(Default::default());
        let mark = FolderMark {
            uidvalidity: 7,
            last_uid: 42,
            backfill: Backfill::plan(vec![1, 2], 2, 0, true),
        };
        mark.save(&m, "k").unwrap();
        assert_eq!(FolderMark::load(&m, "k"), Some(mark));
        *m.0.lock().unwrap() = Some(b"{nonsense".to_vec());
        assert_eq!(FolderMark::load(&m, "k"), None);
    }
}
