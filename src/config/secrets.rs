//! Secrets are only ever read from the files `*_file` keys name (or from
//! systemd's `$CREDENTIALS_DIRECTORY`), never written inline.

use super::Config;
use std::path::Path;

impl Config {
    /// Reads a secret named by a `*_file` key: a path, or a bare credential
    /// name looked up in systemd's `$CREDENTIALS_DIRECTORY` first.
    pub fn read_secret(&self, file: &Path) -> Result<String, String> {
        let mut candidates = Vec::new();
        if let Ok(dir) = std::env::var("CREDENTIALS_DIRECTORY") {
            if let Some(name) = file.file_name() {
                candidates.push(Path::new(&dir).join(name));
            }
        }
        candidates.push(if file.is_relative() {
            self.base_dir().join(file)
        } else {
            file.to_path_buf()
        });
        for c in &candidates {
            if let Ok(s) = std::fs::read_to_string(c) {
                return Ok(s.trim_end_matches(['\n', '\r']).to_string());
            }
        }
        Err(format!(
            "cannot read secret file {} (also looked in $CREDENTIALS_DIRECTORY); create it with the secret on one line",
            file.display()
        ))
    }
}
