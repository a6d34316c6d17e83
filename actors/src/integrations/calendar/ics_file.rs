//! The ICS provider: one `CREW.ics` per crew member in `calendar.dir`.
//!
//! The file is regenerated whole from the store (every current, not
//! cancelled day the crew member has a plan for) and swapped in by rename,
//! so a reader never sees half a file, a repeat writes the same bytes, and a
//! cancelled day simply drops out.

use super::{CalendarError, DayEvent};
use crate::runtime::ctx::Ctx;
use mp2::config::{Config, CrewMember};
use mp2::ics;
use std::path::{Path, PathBuf};

/// Where the files go.
pub struct IcsFiles {
    dir: PathBuf,
}

impl IcsFiles {
    pub fn from_config(cfg: &Config) -> Result<IcsFiles, CalendarError> {
        let dir = cfg
            .calendar
            .dir
            .clone()
            .ok_or_else(|| CalendarError::Config("calendar.dir is not set".into()))?;
        Ok(IcsFiles { dir })
    }

    /// Rewrites the crew member's whole calendar file.
    pub async fn write_crew(&self, ctx: &Ctx, crew: &CrewMember) -> Result<(), CalendarError> {
        let text = crew_calendar(ctx, crew).map_err(CalendarError::File)?;
        let path = self.dir.join(format!("{}.ics", crew.id));
        tokio::task::spawn_blocking(move || write_atomic(&path, text.as_bytes()))
            .await
            .map_err(|e| CalendarError::File(e.to_string()))?
            .map_err(CalendarError::File)
    }
}

/// Every current event of one crew member, as an iCalendar text.
pub fn crew_calendar(ctx: &Ctx, crew: &CrewMember) -> Result<String, String> {
    let mut events = Vec::new();
    for day in ctx.store.days().map_err(|e| e.to_string())? {
        if day.cancelled {
            continue;
        }
        let Some(plan) = ctx
            .store
            .plan(&day.date, &crew.id)
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        events.push(DayEvent::build(ctx, crew, &day, &plan)?.vevent);
    }
    Ok(ics::calendar(&events))
}

/// Write to a temp file in the same folder, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().ok_or("path has no folder")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut f =
        std::fs::File::create(&tmp).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}
