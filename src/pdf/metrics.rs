//! Approximate glyph widths for fonts that carry no `/Widths`: the
//! standard-14 fonts (Helvetica, Times, Courier …), which producers such as
//! reportlab reference without metrics, and broken fonts.
//!
//! Contract: widths are in 1/1000 em, from the Adobe AFM files for printable
//! ASCII; any other character takes the width of its base letter (ą → a), or
//! the family's average. Close enough to place word and column gaps.

use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Helvetica,
    HelveticaBold,
    Times,
    Courier,
}

/// Helvetica, characters 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// Helvetica-Bold, characters 32..=126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, //
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, //
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, //
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// Times-Roman, characters 32..=126.
const TIMES: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, //
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, //
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, //
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, //
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, //
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
];

impl Family {
    /// The family a font's base name belongs to (subset prefix and style
    /// suffixes ignored); `None` when it is not a standard font.
    pub(crate) fn of_standard(base_font: &str) -> Option<Family> {
        let name = base_font
            .split_once('+')
            .map_or(base_font, |(_, n)| n)
            .to_ascii_lowercase();
        let bold = name.contains("bold") || name.contains("black") || name.contains("heavy");
        if name.starts_with("courier") {
            Some(Family::Courier)
        } else if name.starts_with("times") {
            Some(Family::Times)
        } else if name.starts_with("helvetica") || name.starts_with("arial") {
            Some(if bold {
                Family::HelveticaBold
            } else {
                Family::Helvetica
            })
        } else if name.starts_with("symbol") || name.starts_with("zapfdingbats") {
            Some(Family::Courier)
        } else {
            None
        }
    }

    /// A best guess for any font name (used when a font has no widths).
    pub(crate) fn guess(base_font: &str, bold: bool) -> Family {
        Self::of_standard(base_font).unwrap_or(if bold {
            Family::HelveticaBold
        } else {
            Family::Helvetica
        })
    }

    /// Width of the text one glyph shows, in 1/1000 em.
    pub(crate) fn width(self, text: &str) -> f32 {
        let table = match self {
            Family::Courier => return 600.0,
            Family::Helvetica => &HELVETICA,
            Family::HelveticaBold => &HELVETICA_BOLD,
            Family::Times => &TIMES,
        };
        let avg = if self == Family::Times { 500.0 } else { 556.0 };
        let Some(first) = text.chars().next() else {
            return 0.0;
        };
        let base = first.to_string().nfd().next().unwrap_or(first);
        let w = match base {
            ' '..='~' => f32::from(table[base as usize - 32]),
            'ł' => f32::from(table['l' as usize - 32]),
            'Ł' => f32::from(table['L' as usize - 32]),
            '\u{a0}' => f32::from(table[0]),
            '–' => avg,
            '—' => 1000.0,
            _ => avg,
        };
        // A ligature or other multi-letter glyph is about as wide as its letters.
        let extra: f32 = text
            .chars()
            .skip(1)
            .map(|c| Family::width(self, &c.to_string()))
            .sum();
        w + extra
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_widths() {
        assert_eq!(
            Family::of_standard("Helvetica-Bold"),
            Some(Family::HelveticaBold)
        );
        assert_eq!(Family::of_standard("ABCDEF+Arial"), Some(Family::Helvetica));
        assert_eq!(Family::of_standard("DejaVuSans"), None);
        assert_eq!(Family::Helvetica.width("ą"), 556.0);
        assert_eq!(Family::Helvetica.width("ł"), 222.0);
        assert_eq!(Family::Helvetica.width(" "), 278.0);
        assert_eq!(Family::Courier.width("W"), 600.0);
    }
}
