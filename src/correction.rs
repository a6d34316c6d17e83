//! A person's correction of a shooting day (`mp2ctl correct DATE FIELD=VALUE...`):
//! which fields CONTRACT §2 lets them set, how each is checked, and how it is
//! laid over what the sheet says.
//!
//! A correction remembers what the sheet said for that field when it was made
//! (`was`). Laid over a later reading of the day, it applies only while the
//! sheet still says that: a revised sheet that changes the field wins, one
//! that leaves it alone keeps the person's value.

use crate::model::{Field, Location, Place, SetType, ShootDay};
use serde::{Deserialize, Serialize};

/// One field a person can set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case", tag = "field", content = "name")]
pub enum Target {
    CallTime,
    WrapTime,
    Date,
    BaseAddress,
    BaseName,
    LocationAddress,
    LocationName,
    /// `department_calls.NAME`
    DepartmentCall(String),
    SetType,
    Scenes,
    ShootDay,
    Cancelled,
}

/// `FIELD=VALUE`, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub target: Target,
    /// Normalised (`7:15` → `07:15`, `ext` → `EXT`).
    pub value: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    #[error("{0:?} is not FIELD=VALUE (e.g. call_time=07:00)")]
    Shape(String),
    #[error("unknown field {0:?}; one of: call_time, wrap_time, date, base.address, base.name, location.address, location.name, department_calls.NAME, set_type, scenes, shoot_day, cancelled")]
    Field(String),
    #[error("{field}: {value:?} is not {want}")]
    Value {
        field: String,
        value: String,
        want: &'static str,
    },
}

impl Target {
    /// A field name as `correct` takes it.
    pub fn from_name(k: &str) -> Result<Target, EditError> {
        Ok(match k {
            "call_time" => Target::CallTime,
            "wrap_time" => Target::WrapTime,
            "date" => Target::Date,
            "base.address" => Target::BaseAddress,
            "base.name" => Target::BaseName,
            "location.address" => Target::LocationAddress,
            "location.name" => Target::LocationName,
            "set_type" => Target::SetType,
            "scenes" => Target::Scenes,
            "shoot_day" => Target::ShootDay,
            "cancelled" => Target::Cancelled,
            k => match k.strip_prefix("department_calls.") {
                Some(d) if !d.trim().is_empty() => Target::DepartmentCall(d.trim().to_string()),
                _ => return Err(EditError::Field(k.to_string())),
            },
        })
    }

    /// The name as `correct` takes it.
    pub fn name(&self) -> String {
        match self {
            Target::CallTime => "call_time".into(),
            Target::WrapTime => "wrap_time".into(),
            Target::Date => "date".into(),
            Target::BaseAddress => "base.address".into(),
            Target::BaseName => "base.name".into(),
            Target::LocationAddress => "location.address".into(),
            Target::LocationName => "location.name".into(),
            Target::DepartmentCall(d) => format!("department_calls.{d}"),
            Target::SetType => "set_type".into(),
            Target::Scenes => "scenes".into(),
            Target::ShootDay => "shoot_day".into(),
            Target::Cancelled => "cancelled".into(),
        }
    }

    /// The CONTRACT §1 field this sets (for `uncertain` and attention items).
    pub fn field(&self) -> Option<Field> {
        Some(match self {
            Target::CallTime => Field::CallTime,
            Target::WrapTime => Field::WrapTime,
            Target::Date => Field::Date,
            Target::BaseAddress | Target::BaseName => Field::Base,
            Target::LocationAddress | Target::LocationName => Field::Locations,
            Target::DepartmentCall(_) => Field::DepartmentCalls,
            Target::SetType => Field::SetType,
            Target::Scenes => Field::Scenes,
            Target::ShootDay => Field::ShootDay,
            Target::Cancelled => return None,
        })
    }

    /// What the day says for this field, as text (`""` when nothing).
    pub fn get(&self, d: &ShootDay) -> String {
        let first = d.locations.first();
        match self {
            Target::CallTime => d.call_time.clone().unwrap_or_default(),
            Target::WrapTime => d.wrap_time.clone().unwrap_or_default(),
            Target::Date => d.date.clone(),
            Target::BaseAddress => d
                .base
                .as_ref()
                .and_then(|b| b.address.clone())
                .unwrap_or_default(),
            Target::BaseName => d
                .base
                .as_ref()
                .and_then(|b| b.name.clone())
                .unwrap_or_default(),
            Target::LocationAddress => first.and_then(|l| l.address.clone()).unwrap_or_default(),
            Target::LocationName => first.and_then(|l| l.name.clone()).unwrap_or_default(),
            Target::DepartmentCall(n) => d.department_calls.get(n).cloned().unwrap_or_default(),
            Target::SetType => d
                .set_type
                .map(|s| set_type_name(s).to_string())
                .unwrap_or_default(),
            Target::Scenes => d.scenes.join(","),
            Target::ShootDay => d.shoot_day.map(|n| n.to_string()).unwrap_or_default(),
            Target::Cancelled => d.cancelled.to_string(),
        }
    }
}

fn set_type_name(s: SetType) -> &'static str {
    match s {
        SetType::Int => "INT",
        SetType::Ext => "EXT",
        SetType::IntExt => "INT/EXT",
    }
}

/// `7:15`, `07.15`, `7h15` → `07:15`.
pub fn normalise_time(s: &str) -> Option<String> {
    let t = s.trim();
    let (h, m) = t.split_once([':', '.', 'h'])?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (h < 24 && m < 60 && m.to_string().len() <= 2).then(|| format!("{h:02}:{m:02}"))
}

impl Edit {
    /// Reads one `FIELD=VALUE` argument.
    pub fn parse(arg: &str) -> Result<Edit, EditError> {
        let (k, v) = arg
            .split_once('=')
            .ok_or_else(|| EditError::Shape(arg.to_string()))?;
        let (k, v) = (k.trim(), v.trim());
        let target = Target::from_name(k)?;
        let bad = |want| EditError::Value {
            field: k.to_string(),
            value: v.to_string(),
            want,
        };
        let value = match &target {
            Target::CallTime | Target::WrapTime | Target::DepartmentCall(_) => {
                normalise_time(v).ok_or(bad("a time HH:MM"))?
            }
            Target::Date => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| bad("a date YYYY-MM-DD"))?
                .format("%Y-%m-%d")
                .to_string(),
            Target::SetType => match v.to_ascii_uppercase().as_str() {
                s @ ("INT" | "EXT" | "INT/EXT") => s.to_string(),
                _ => return Err(bad("INT, EXT or INT/EXT")),
            },
            Target::ShootDay => v
                .parse::<u32>()
                .map_err(|_| bad("a day number"))?
                .to_string(),
            Target::Cancelled => match v {
                "true" | "yes" | "tak" => "true".into(),
                "false" | "no" | "nie" => "false".into(),
                _ => return Err(bad("true or false")),
            },
            Target::Scenes => {
                let s: Vec<&str> = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                s.join(",")
            }
            _ if v.is_empty() => return Err(bad("a non-empty text")),
            _ => v.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        Ok(Edit { target, value })
    }

    /// Sets the field on the day and takes it off `uncertain`: a person
    /// stated it.
    pub fn apply(&self, d: &mut ShootDay) {
        let v = self.value.clone();
        fn first_location(d: &mut ShootDay) -> &mut Location {
            if d.locations.is_empty() {
                d.locations.push(Location::default());
            }
            &mut d.locations[0]
        }
        match &self.target {
            Target::CallTime => d.call_time = Some(v),
            Target::WrapTime => d.wrap_time = Some(v),
            Target::Date => d.date = v,
            Target::BaseAddress => d.base.get_or_insert_with(Place::default).address = Some(v),
            Target::BaseName => d.base.get_or_insert_with(Place::default).name = Some(v),
            Target::LocationAddress => {
                let l = first_location(d);
                l.address = Some(v);
                // Stated coordinates belonged to the address that was wrong.
                l.lat = None;
                l.lon = None;
            }
            Target::LocationName => first_location(d).name = Some(v),
            Target::DepartmentCall(n) => {
                d.department_calls.insert(n.clone(), v);
            }
            Target::SetType => {
                d.set_type = match v.as_str() {
                    "INT" => Some(SetType::Int),
                    "EXT" => Some(SetType::Ext),
                    _ => Some(SetType::IntExt),
                }
            }
            Target::Scenes => d.scenes = v.split(',').map(str::to_string).collect(),
            Target::ShootDay => d.shoot_day = v.parse().ok(),
            Target::Cancelled => d.cancelled = v == "true",
        }
        if let Some(f) = self.target.field() {
            d.uncertain.remove(&f);
        }
    }
}

/// A stored correction: the edit, what the sheet said then, who and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// The shooting day as the sheet dates it (the store's key).
    pub date: String,
    /// The field as `correct` names it (`department_calls.Kamera`), for people.
    #[serde(default)]
    pub field: String,
    pub edit: Edit,
    /// What the sheet said for this field when the correction was made.
    pub was: String,
    /// The message whose version was corrected.
    pub message_id: String,
    /// `uid 0 (root)`: from the control socket's SO_PEERCRED.
    pub uid: u32,
    pub user: String,
    /// ISO 8601.
    pub at: String,
}

/// Lays the corrections (oldest first) over a reading of the day. Returns
/// the corrected day and the corrections the sheet overrode (it now says
/// something else for their field).
pub fn overlay<'a>(
    read: &ShootDay,
    corrections: &'a [Correction],
) -> (ShootDay, Vec<&'a Correction>) {
    let mut out = read.clone();
    let mut overridden = Vec::new();
    for c in corrections {
        if c.edit.target.get(read) == c.was {
            c.edit.apply(&mut out);
        } else {
            overridden.push(c);
        }
    }
    (out, overridden)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(arg: &str, was: &str) -> Correction {
        Correction {
            date: "2024-03-15".into(),
            field: Edit::parse(arg).unwrap().target.name(),
            edit: Edit::parse(arg).unwrap(),
            was: was.into(),
            message_id: "<m>".into(),
            uid: 0,
            user: "root".into(),
            at: "2024-03-14T10:00:00Z".into(),
        }
    }

    #[test]
    fn every_contract_field_parses_and_applies() {
        let mut d = ShootDay {
            date: "2024-03-15".into(),
            ..Default::default()
        };
        d.doubt(Field::CallTime);
        for a in [
            "call_time=7:15",
            "wrap_time=19.00",
            "base.address=ul. Wyczółki 89, 02-820 Warszawa",
            "base.name=Panavision",
            "location.address=Plac Zamkowy 4, 00-277 Warszawa",
            "location.name=Plac Zamkowy",
            "department_calls.Kamera=06:30",
            "set_type=ext",
            "scenes=45, 46,47A",
            "shoot_day=23",
            "cancelled=true",
            "date=2024-03-16",
        ] {
            Edit::parse(a).unwrap().apply(&mut d);
        }
        assert_eq!(d.call_time.as_deref(), Some("07:15"));
        assert_eq!(d.wrap_time.as_deref(), Some("19:00"));
        assert_eq!(d.base.as_ref().unwrap().name.as_deref(), Some("Panavision"));
        assert_eq!(d.locations[0].name.as_deref(), Some("Plac Zamkowy"));
        assert_eq!(d.department_calls["Kamera"], "06:30");
        assert_eq!(d.set_type, Some(SetType::Ext));
        assert_eq!(d.scenes, ["45", "46", "47A"]);
        assert_eq!(d.shoot_day, Some(23));
        assert!(d.cancelled);
        assert_eq!(d.date, "2024-03-16");
        assert!(d.uncertain.is_empty(), "a person stated it");
    }

    #[test]
    fn bad_edits_say_what_is_wanted() {
        assert!(matches!(
            Edit::parse("call_time=25:00"),
            Err(EditError::Value { .. })
        ));
        assert!(matches!(
            Edit::parse("calltime=07:00"),
            Err(EditError::Field(_))
        ));
        assert!(matches!(Edit::parse("07:00"), Err(EditError::Shape(_))));
        assert!(Edit::parse("date=2024-02-30").is_err());
        assert!(Edit::parse("set_type=outside").is_err());
    }

    #[test]
    fn a_revision_wins_only_for_the_fields_it_changes() {
        let sheet = ShootDay {
            date: "2024-03-15".into(),
            call_time: None,
            wrap_time: Some("18:00".into()),
            ..Default::default()
        };
        let cs = [c("call_time=07:15", ""), c("wrap_time=19:00", "18:00")];
        let (d, over) = overlay(&sheet, &cs);
        assert_eq!(d.call_time.as_deref(), Some("07:15"));
        assert_eq!(d.wrap_time.as_deref(), Some("19:00"));
        assert!(over.is_empty());
        // The revision moves the wrap but still prints no call.
        let revised = ShootDay {
            wrap_time: Some("20:00".into()),
            revision: Some(2),
            ..sheet
        };
        let (d, over) = overlay(&revised, &cs);
        assert_eq!(d.call_time.as_deref(), Some("07:15"), "kept");
        assert_eq!(
            d.wrap_time.as_deref(),
            Some("20:00"),
            "the sheet's change wins"
        );
        assert_eq!(over.len(), 1);
    }
}
