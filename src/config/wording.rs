//! serde's messages (`invalid type: string "x", expected u32`) put in an
//! operator's words: what is wrong and what to write instead.

/// Rewords one deserializer message. Unknown shapes pass through unchanged.
pub(super) fn operator_message(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "is {}, but must be {}",
                found_words(found),
                expected_words(expected)
            );
        }
    }
    if let Some(rest) = raw.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "is {}, but must be {}",
                found_words(found),
                expected_words(expected)
            );
        }
    }
    if let Some(rest) = raw.strip_prefix("unknown variant ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "{} is not a choice here; write {}",
                quoted(found),
                choices(expected)
            );
        }
    }
    if let Some(rest) = raw.strip_prefix("unknown field ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "unknown field {}: this table takes {}; check the spelling or remove the line",
                quoted(found),
                choices(expected)
            );
        }
        if let Some((found, _)) = rest.split_once(", there are no fields") {
            return format!(
                "unknown field {}: this table takes no keys; remove the line",
                quoted(found)
            );
        }
    }
    if let Some(rest) = raw.strip_prefix("missing field ") {
        return format!(
            "the required key {} is missing; add it (see mp2.example.toml for its form)",
            quoted(rest)
        );
    }
    raw.to_string()
}

/// The field a `missing field` / `unknown field` message is about.
pub(super) fn field_named(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    let rest = raw
        .strip_prefix("missing field ")
        .or_else(|| raw.strip_prefix("unknown field "))?;
    let name = rest.strip_prefix('`')?;
    name.split_once('`').map(|(n, _)| n)
}

/// The first `"quoted"` value in a message, to find which key holds it.
pub(super) fn quoted_value(raw: &str) -> Option<&str> {
    let start = raw.find('"')? + 1;
    let len = raw[start..].find('"')?;
    Some(&raw[start..start + len])
}

fn quoted(backticked: &str) -> String {
    format!("\"{}\"", backticked.trim().trim_matches('`'))
}

fn choices(list: &str) -> String {
    let items: Vec<String> = list
        .replace(" or ", ",")
        .split(',')
        .map(|s| {
            s.trim()
                .trim_start_matches("one of")
                .trim()
                .trim_start_matches("or ")
                .trim()
        })
        .filter(|s| !s.is_empty())
        .map(quoted)
        .collect();
    match items.len() {
        0 => "nothing here".into(),
        1 => items[0].clone(),
        n => format!("one of {} or {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn found_words(found: &str) -> String {
    let found = found.trim();
    for (serde, words) in [
        ("string ", "the text "),
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ] {
        if let Some(v) = found.strip_prefix(serde) {
            return format!("{words}{v}");
        }
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.into(),
    }
}

fn expected_words(expected: &str) -> String {
    let e = expected.trim();
    let words = match e {
        "u8" | "u16" | "u32" | "u64" | "usize" => {
            "a whole number, 0 or more, without quotes (e.g. 15)"
        }
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number without quotes (e.g. 15)",
        "f32" | "f64" => "a number without quotes (e.g. 52.23)",
        "a boolean" => "true or false, without quotes",
        "a string" => "text in double quotes",
        "a sequence" => "a list in brackets, e.g. [\"email\", \"sms\"]",
        "a map" => "a table (a [header] or { key = value })",
        other => {
            return other
                .trim_start_matches("a ")
                .to_string()
                .replace("struct ", "a table ")
        }
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_say_what_to_write() {
        assert_eq!(
            operator_message("invalid type: string \"5\", expected u32"),
            "is the text \"5\", but must be a whole number, 0 or more, without quotes (e.g. 15)"
        );
        assert_eq!(
            operator_message("unknown variant `fax`, expected `email` or `sms`"),
            "\"fax\" is not a choice here; write one of \"email\" or \"sms\""
        );
        assert_eq!(field_named("missing field `mailbox`"), Some("mailbox"));
        assert_eq!(
            quoted_value("unknown unit \" minutes\" in duration"),
            Some(" minutes")
        );
    }
}
