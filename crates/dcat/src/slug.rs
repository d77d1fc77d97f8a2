//! Dataset names from titles, as a CKAN harvester makes them: CKAN's `munge_title_to_name`,
//! then ckanext-harvest's change of `_` to `-`.

const MIN_LENGTH: usize = 2;
const MAX_LENGTH: usize = 100;

/// A dataset name (`[a-z0-9_-]`, 2 to 100 characters) from a title: Latin-1 letters spelled in
/// ASCII, other characters dropped, spaces and `.:/_` as `-`, runs of `-` squeezed, and a title
/// too long cut to 95 characters keeping a trailing year (`...-2019`). `None` when the title has
/// no letter or digit to make a name of.
pub(crate) fn name_from_title(title: &str) -> Option<String> {
    let mut ascii = String::with_capacity(title.len());
    for c in title.chars() {
        match datahavn_domain::name::ascii_equivalent(c) {
            Some(s) => ascii.push_str(s),
            None if c.is_ascii() => ascii.push(c),
            None => {}
        }
    }
    let mut name = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        let c = match c {
            ' ' | '.' | ':' | '/' | '_' => '-',
            c if c.is_ascii_alphanumeric() || c == '-' => c.to_ascii_lowercase(),
            _ => continue,
        };
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let mut name = name.trim_matches('-').to_owned();
    let max = MAX_LENGTH - 5;
    if name.len() > max {
        name = match trailing_year(&name) {
            Some(year) => format!("{}-{year}", &name[..max - year.len() - 1]),
            None => name[..max].to_owned(),
        };
        while name.contains("--") {
            name = name.replace("--", "-");
        }
    }
    if !name.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    while name.len() < MIN_LENGTH {
        name.push('-');
    }
    Some(name)
}

/// A year (`2019`, `2018-19`, `2018/2019`) after the last `-`, as CKAN keeps it when shortening.
fn trailing_year(name: &str) -> Option<&str> {
    let (_, last) = name.rsplit_once('-')?;
    let all_digits = |s: &str| (2..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if all_digits(last) {
        // `2018-2019`: the range counts as the year.
        let before = &name[..name.len() - last.len() - 1];
        if let Some((_, first)) = before.rsplit_once('-')
            && all_digits(first)
        {
            return Some(&name[name.len() - last.len() - first.len() - 1..]);
        }
        return Some(last);
    }
    None
}

/// `name`, or `name-N` when earlier datasets of the same document took it (ckanext-dcat's
/// harvester numbers repeats by how many `name-*` names are taken).
pub(crate) fn unique(name: String, taken: &mut Vec<String>) -> String {
    let name = if taken.contains(&name) {
        let prefix = format!("{name}-");
        let suffix = taken.iter().filter(|t| t.starts_with(&prefix)).count() + 1;
        format!("{name}-{suffix}")
    } else {
        name
    };
    taken.push(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_names() {
        let name = |t: &str| name_from_title(t).unwrap_or_default();
        assert_eq!(name("A test dataset on your catalogue"), "a-test-dataset-on-your-catalogue");
        assert_eq!(name("Datasæt 001"), "datasaet-001");
        assert_eq!(name("Kørselsdata: Øresund / 2019"), "korselsdata-oresund-2019");
        assert_eq!(name("Under_score  and -- dashes"), "under-score-and-dashes");
        assert_eq!(name("Ü"), "u-");
        assert_eq!(name_from_title("日本 ..."), None);
        let long = format!("{} 2019", "word ".repeat(40));
        let name = name(&long);
        assert!(name.len() <= 95 && name.ends_with("-2019"), "{name}");
    }

    #[test]
    fn repeated_names_are_numbered() {
        let mut taken = Vec::new();
        assert_eq!(unique("a".into(), &mut taken), "a");
        assert_eq!(unique("a".into(), &mut taken), "a-1");
        assert_eq!(unique("a".into(), &mut taken), "a-2");
    }
}
