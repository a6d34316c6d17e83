//! Every mutating control command, kept in the tree `audit`: a big-endian
//! sequence number → [`AuditEntry`], so `mp2ctl audit` lists them in the
//! order they came.

use super::{Result, Store};
use serde::{Deserialize, Serialize};

const TREE: &str = "audit";

/// One mutating command someone sent (CONTRACT §2 `audit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub at: String,
    /// The peer's uid (SO_PEERCRED); `None` when the kernel did not say.
    pub uid: Option<u32>,
    /// Its user name from the password database, when it has one.
    pub user: Option<String>,
    /// What was asked, as `mp2ctl` would spell it (`correct 2024-03-15 call_time=07:00`).
    pub command: String,
    /// `ok`, `refused` (not allowed) or `failed: REASON`.
    pub outcome: String,
}

impl Store {
    /// Records one command; flushed before return (an operator's action is
    /// a fact the world may rely on).
    pub fn put_audit(&self, entry: &AuditEntry) -> Result<()> {
        let t = self.db.open_tree(TREE)?;
        let id = self.db.generate_id()?;
        t.insert(id.to_be_bytes(), serde_json::to_vec(entry)?)?;
        self.flush()
    }

    /// Every recorded command, oldest first.
    pub fn audit(&self) -> Result<Vec<AuditEntry>> {
        self.db
            .open_tree(TREE)?
            .iter()
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect()
    }
}
