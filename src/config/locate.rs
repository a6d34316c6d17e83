//! Where each key sits in the configuration file, taken from the TOML
//! parser's own spans (so dotted keys, inline tables and `[[crew]]` arrays
//! are located the way the parser read them, not by re-scanning lines).

use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One key of the document: its dotted path (`crew[1].home`), the span of
/// the key itself and the span of its value.
struct Entry {
    path: String,
    key: Range<usize>,
    value: Range<usize>,
    table: bool,
}

/// Every key of one document, in the order the parser met them.
pub(super) struct Locations {
    line_starts: Vec<usize>,
    entries: Vec<Entry>,
}

impl Locations {
    /// Indexes `text`. A document with syntax errors is indexed as far as the
    /// parser could recover, so the error still gets a key.
    pub(super) fn parse(text: &str) -> Locations {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let (root, _errors) = DeTable::parse_recoverable(text);
        let mut entries = Vec::new();
        walk_table(root.get_ref(), "", &mut entries);
        Locations {
            line_starts,
            entries,
        }
    }

    /// The 1-based line a byte offset is on.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The line of the key at `path`, if the file writes it.
    pub(super) fn line(&self, path: &str) -> Option<usize> {
        self.entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| self.line_of(e.key.start))
    }

    /// Whether the file writes `path` (a key or a table).
    pub(super) fn has(&self, path: &str) -> bool {
        self.entries.iter().any(|e| e.path == path)
    }

    /// Whether `path` is a table (as opposed to a plain value).
    pub(super) fn is_table(&self, path: &str) -> bool {
        self.entries.iter().any(|e| e.path == path && e.table)
    }

    /// The key directly under `table` whose written value contains `needle`
    /// (to place a message that quotes a value but names no key).
    pub(super) fn child_holding(&self, table: &str, needle: &str, text: &str) -> Option<String> {
        let prefix = if table.is_empty() {
            String::new()
        } else {
            format!("{table}.")
        };
        self.entries
            .iter()
            .filter(|e| !e.table)
            .filter(|e| {
                e.path
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.contains('.'))
            })
            .find(|e| {
                text.get(e.value.clone())
                    .is_some_and(|v| v.contains(needle))
            })
            .map(|e| e.path.clone())
    }

    /// The paths written directly under `table` (`""` for the top level).
    pub(super) fn children<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries.iter().filter_map(move |e| {
            let rest = if table.is_empty() {
                Some(e.path.as_str())
            } else {
                e.path.strip_prefix(table)?.strip_prefix('.')
            }?;
            (!rest.contains('.') && !rest.contains('[')).then_some(rest)
        })
    }

    /// The most specific key whose key or value covers `offset`; failing
    /// that (a syntax error the parser could not attach to a value), the
    /// last key written on the same line, else the table the line is in.
    pub(super) fn key_at(&self, offset: usize) -> Option<&str> {
        let covers = |r: &Range<usize>| r.start <= offset && offset < r.end.max(r.start + 1);
        let deepest = self
            .entries
            .iter()
            .filter(|e| covers(&e.key) || covers(&e.value))
            .max_by_key(|e| (e.path.len(), std::cmp::Reverse(e.value.len())));
        if let Some(e) = deepest {
            return Some(&e.path);
        }
        let line = self.line_of(offset);
        self.entries
            .iter()
            .filter(|e| self.line_of(e.key.start) == line)
            .next_back()
            .or_else(|| {
                self.entries
                    .iter()
                    .filter(|e| e.key.start <= offset)
                    .filter(|e| e.path.matches('.').count() == 0)
                    .next_back()
            })
            .map(|e| e.path.as_str())
    }
}

fn walk_table(table: &DeTable<'_>, prefix: &str, out: &mut Vec<Entry>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        walk_value(&path, key.span(), value, out);
    }
}

fn walk_value(path: &str, key: Range<usize>, value: &Spanned<DeValue<'_>>, out: &mut Vec<Entry>) {
    out.push(Entry {
        path: path.to_string(),
        key: key.clone(),
        value: value.span(),
        table: matches!(value.get_ref(), DeValue::Table(_)),
    });
    match value.get_ref() {
        DeValue::Table(t) => walk_table(t, path, out),
        // Only arrays of tables get indexed paths (`crew[1].id`): an error in
        // `channels = ["email", "fax"]` is reported on `channels` itself.
        DeValue::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                if let DeValue::Table(t) = item.get_ref() {
                    let element = format!("{path}[{n}]");
                    out.push(Entry {
                        path: element.clone(),
                        key: item.span(),
                        value: item.span(),
                        table: true,
                    });
                    walk_table(t, &element, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[daemon]\ntimezone = \"x\"\n\n[[crew]]\nid = \"a\"\nhome = { address = \"x\" }\n\n[[crew]]\nid = \"b\"\nchannels = [\"sms\"]\n[notify.email]\nfrom = \"a\"\n";

    #[test]
    fn keys_are_located_from_spans() {
        let l = Locations::parse(DOC);
        assert_eq!(l.line("daemon.timezone"), Some(2));
        assert_eq!(l.line("crew[0].home.address"), Some(6));
        assert_eq!(l.line("crew[1].id"), Some(9));
        assert_eq!(l.line("crew[1]"), Some(8));
        assert_eq!(l.line("notify.email.from"), Some(12));
        assert!(l.has("notify.email"));
        let mut children: Vec<_> = l.children("crew[1]").collect();
        children.sort();
        assert_eq!(children, ["channels", "id"]);
    }

    #[test]
    fn offset_maps_to_the_innermost_key() {
        let l = Locations::parse(DOC);
        let at = DOC.find("\"sms\"").unwrap();
        assert_eq!(l.key_at(at), Some("crew[1].channels"));
        let at = DOC.find("address").unwrap();
        assert_eq!(l.key_at(at), Some("crew[0].home.address"));
    }
}
