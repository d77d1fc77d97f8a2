//! Finding the header row and turning header cells into DataStore column ids.

use std::collections::HashSet;

/// Rows looked at to find the header.
pub(super) const SAMPLE_ROWS: usize = 100;

/// PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes; xloader's MAX_COLUMN_LENGTH.
const MAX_ID_BYTES: usize = 63;

/// Which of the sampled non-blank rows (given by their counts of non-empty cells) is the header:
/// the first with at least the most common count minus one (messytables' `headers_guess`, as
/// xloader uses it). The most common count is the one seen first among equally common ones.
pub(super) fn header_index(non_empty_counts: &[usize]) -> usize {
    let mut tally: Vec<(usize, usize)> = Vec::new();
    for &count in non_empty_counts {
        match tally.iter_mut().find(|(c, _)| *c == count) {
            Some((_, n)) => *n += 1,
            None => tally.push((count, 1)),
        }
    }
    let mut modal = 0;
    let mut best = 0;
    for (count, n) in tally {
        if n > best {
            best = n;
            modal = count;
        }
    }
    non_empty_counts.iter().position(|&c| c + 1 >= modal).unwrap_or(0)
}

/// How many columns a header row makes: up to its last non-empty cell.
pub(super) fn width<'a>(cells: impl Iterator<Item = &'a str>) -> usize {
    let mut width = 0;
    for (i, cell) in cells.enumerate() {
        if !cell.trim().is_empty() {
            width = i + 1;
        }
    }
    width
}

/// The column ids for trimmed header cells (see the module documentation of `ingest`).
pub(super) fn column_ids(cells: &[&str]) -> Vec<String> {
    let wanted: Vec<String> = cells
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let id = valid_id(cell);
            if id.is_empty() { format!("field_{}", i + 1) } else { id }
        })
        .collect();
    let all: HashSet<String> = wanted.iter().map(|id| id.to_lowercase()).collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut ids = Vec::with_capacity(wanted.len());
    for id in wanted {
        let chosen = if used.contains(&id.to_lowercase()) {
            (2..)
                .map(|n| {
                    let suffix = format!("_{n}");
                    let mut base = cut(&id, MAX_ID_BYTES - suffix.len()).to_owned();
                    base.push_str(&suffix);
                    base
                })
                .find(|candidate| {
                    let lower = candidate.to_lowercase();
                    !used.contains(&lower) && !all.contains(&lower)
                })
                .unwrap_or_default()
        } else {
            id
        };
        used.insert(chosen.to_lowercase());
        ids.push(chosen);
    }
    ids
}

/// A header made a valid DataStore field id: no leading `_` or white space, no `"` or control
/// characters, at most 63 bytes. Empty if nothing is left.
fn valid_id(header: &str) -> String {
    let cleaned: String = header.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    let cleaned = cleaned.trim_start_matches(|c: char| c == '_' || c.is_whitespace());
    cut(cleaned, MAX_ID_BYTES).trim().to_owned()
}

/// The longest prefix of `s` of at most `max` bytes ending at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn header_guess_skips_title_lines() {
        assert_eq!(header_index(&[3, 3, 3]), 0);
        assert_eq!(header_index(&[1, 5, 5, 5, 4]), 1);
        assert_eq!(header_index(&[1, 0, 2, 2]), 0);
        assert_eq!(header_index(&[]), 0);
    }

    #[test]
    fn ids() {
        assert_eq!(
            column_ids(&["a", "", "A", "a", "a_2", "_id", "x\"y", " ", "Længde"]),
            ["a", "field_2", "A_3", "a_4", "a_2", "id", "xy", "field_8", "Længde"]
        );
        let long = "æ".repeat(40);
        let ids = column_ids(&[&long, &long]);
        assert_eq!(ids[0], "æ".repeat(31));
        assert_eq!(ids[1], format!("{}_2", "æ".repeat(30)));
        assert!(ids.iter().all(|id| id.len() <= 63));
    }
}
