//! The reading rules people's corrections taught (`mp2ctl layouts`), kept in
//! the tree `layouts`: rule id → [`Rule`]. A rule is per sender and layout
//! fingerprint and field, so learning the same field again replaces it.

use super::{Result, Store};
use crate::callsheet::learned::Rule;

const TREE: &str = "layouts";

impl Store {
    fn layouts_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree(TREE)?)
    }

    /// Keeps a rule (replacing one with the same id); flushed before return.
    pub fn put_layout_rule(&self, rule: &Rule) -> Result<()> {
        self.layouts_tree()?
            .insert(rule.id.as_bytes(), serde_json::to_vec(rule)?)?;
        self.flush()
    }

    /// Every rule, by sender, layout and field.
    pub fn layout_rules(&self) -> Result<Vec<Rule>> {
        let mut all: Vec<Rule> = self
            .layouts_tree()?
            .iter()
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect::<Result<_>>()?;
        all.sort_by(|a, b| {
            (&a.sender, &a.fingerprint, &a.field).cmp(&(&b.sender, &b.fingerprint, &b.field))
        });
        Ok(all)
    }

    /// The rules for sheets from one sender (`From:` address).
    pub fn layout_rules_for(&self, sender: &str) -> Result<Vec<Rule>> {
        let s = sender.to_lowercase();
        Ok(self
            .layout_rules()?
            .into_iter()
            .filter(|r| r.sender == s)
            .collect())
    }

    /// `layouts forget ID`: false when no rule has that id.
    pub fn forget_layout_rule(&self, id: &str) -> Result<bool> {
        let gone = self.layouts_tree()?.remove(id.as_bytes())?.is_some();
        self.flush()?;
        Ok(gone)
    }
}
