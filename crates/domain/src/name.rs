//! CKAN's name rule for datasets, groups, organizations and users.

use serde::Serialize;

pub const NAME_MIN_LENGTH: usize = 2;
pub const NAME_MAX_LENGTH: usize = 100;

/// A URL slug that passed CKAN's `name_validator`: 2–100 characters of `a-z 0-9 - _`,
/// and not one of the words CKAN's routes reserve.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Checks a name; the error is CKAN's message for the first rule it breaks.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        if value.chars().count() < NAME_MIN_LENGTH {
            return Err("Must be at least 2 characters long");
        }
        if value.chars().count() > NAME_MAX_LENGTH {
            return Err("Name must be a maximum of 100 characters long");
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if !value.chars().all(allowed) {
            return Err("Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_");
        }
        if matches!(value, "new" | "edit" | "search") {
            return Err("That name cannot be used");
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Latin-1 letters CKAN spells in ASCII (`substitute_ascii_equivalents`); other non-ASCII
/// characters are dropped.
pub fn ascii_equivalent(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' => "A",
        'Æ' => "Ae",
        'Ç' => "C",
        'È'..='Ë' => "E",
        'Ì'..='Ï' => "I",
        'Ð' => "Th",
        'Ñ' => "N",
        'Ò'..='Ö' | 'Ø' => "O",
        'Ù'..='Ü' => "U",
        'Ý' => "Y",
        'Þ' => "th",
        'ß' => "ss",
        'à'..='å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è'..='ë' => "e",
        'ì'..='ï' => "i",
        'ð' => "th",
        'ñ' => "n",
        'ò'..='ö' | 'ø' => "o",
        'ù'..='ü' => "u",
        'ý' | 'ÿ' => "y",
        'þ' => "th",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs() {
        assert!(Name::parse("odense-kommune_2").is_ok());
        assert!(Name::parse("ab").is_ok());
        assert!(Name::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn rejects_short_names() {
        assert_eq!(Name::parse("a"), Err("Must be at least 2 characters long"));
        assert_eq!(Name::parse(""), Err("Must be at least 2 characters long"));
    }

    #[test]
    fn rejects_long_names() {
        assert_eq!(Name::parse(&"a".repeat(101)), Err("Name must be a maximum of 100 characters long"));
    }

    #[test]
    fn rejects_other_characters() {
        for bad in ["Bad Name!", "UPPER", "æble", "a.b", "a b"] {
            assert!(Name::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_reserved_words() {
        for reserved in ["new", "edit", "search"] {
            assert_eq!(Name::parse(reserved), Err("That name cannot be used"));
        }
    }
}
