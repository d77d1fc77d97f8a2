//! CKAN's default licence register, as `license_list` returns it.

use serde_json::{Map, Value};

/// One licence of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub id: &'static str,
    pub title: &'static str,
    pub url: &'static str,
    pub domain_content: bool,
    pub domain_data: bool,
    pub is_generic: bool,
    /// `approved` or `not reviewed` (Open Definition conformance).
    pub od_conformance: &'static str,
}

impl License {
    /// Open Definition (or Open Source Definition) approved: CKAN's `isopen`.
    pub fn is_open(&self) -> bool {
        self.od_conformance == "approved"
    }

    /// The `license_list` entry: CKAN renders every value, booleans included, as a string,
    /// in this key order.
    pub fn to_json(&self) -> Map<String, Value> {
        let text = |b: bool| Value::String(if b { "True" } else { "False" }.to_owned());
        let mut out = Map::new();
        out.insert("domain_content".into(), text(self.domain_content));
        out.insert("id".into(), self.id.into());
        out.insert("domain_data".into(), text(self.domain_data));
        out.insert("domain_software".into(), text(false));
        out.insert("family".into(), "".into());
        out.insert("is_generic".into(), text(self.is_generic));
        out.insert("od_conformance".into(), self.od_conformance.into());
        out.insert("osd_conformance".into(), "not reviewed".into());
        out.insert("maintainer".into(), "".into());
        out.insert("status".into(), "active".into());
        out.insert("url".into(), self.url.into());
        out.insert("title".into(), self.title.into());
        out
    }
}

const fn license(
    id: &'static str,
    title: &'static str,
    url: &'static str,
    (domain_content, domain_data, is_generic): (bool, bool, bool),
    od_conformance: &'static str,
) -> License {
    License { id, title, url, domain_content, domain_data, is_generic, od_conformance }
}

const APPROVED: &str = "approved";
const NOT_REVIEWED: &str = "not reviewed";

/// The licences a CKAN site offers unless it loads its own list, in CKAN's order.
pub const DEFAULT_LICENSES: &[License] = &[
    license("notspecified", "License not specified", "", (false, false, true), NOT_REVIEWED),
    license(
        "odc-pddl",
        "Open Data Commons Public Domain Dedication and License (PDDL)",
        "http://www.opendefinition.org/licenses/odc-pddl",
        (false, true, false),
        APPROVED,
    ),
    license(
        "odc-odbl",
        "Open Data Commons Open Database License (ODbL)",
        "http://www.opendefinition.org/licenses/odc-odbl",
        (false, true, false),
        APPROVED,
    ),
    license(
        "odc-by",
        "Open Data Commons Attribution License",
        "http://www.opendefinition.org/licenses/odc-by",
        (false, true, false),
        APPROVED,
    ),
    license(
        "cc-zero",
        "Creative Commons CCZero",
        "http://www.opendefinition.org/licenses/cc-zero",
        (true, true, false),
        APPROVED,
    ),
    license(
        "cc-by",
        "Creative Commons Attribution",
        "http://www.opendefinition.org/licenses/cc-by",
        (false, false, false),
        APPROVED,
    ),
    license(
        "cc-by-sa",
        "Creative Commons Attribution Share-Alike",
        "http://www.opendefinition.org/licenses/cc-by-sa",
        (true, false, false),
        APPROVED,
    ),
    license(
        "gfdl",
        "GNU Free Documentation License",
        "http://www.opendefinition.org/licenses/gfdl",
        (true, false, false),
        APPROVED,
    ),
    license("other-open", "Other (Open)", "", (true, false, true), APPROVED),
    license("other-pd", "Other (Public Domain)", "", (true, false, true), APPROVED),
    license("other-at", "Other (Attribution)", "", (true, false, true), APPROVED),
    license(
        "uk-ogl",
        "UK Open Government Licence (OGL)",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        (true, false, false),
        APPROVED,
    ),
    license(
        "cc-nc",
        "Creative Commons Non-Commercial (Any)",
        "http://creativecommons.org/licenses/by-nc/2.0/",
        (false, false, false),
        NOT_REVIEWED,
    ),
    license("other-nc", "Other (Non-Commercial)", "", (false, false, true), NOT_REVIEWED),
    license("other-closed", "Other (Not Open)", "", (false, false, true), NOT_REVIEWED),
];

/// Looks a licence up by id.
pub fn find(id: &str) -> Option<&'static License> {
    DEFAULT_LICENSES.iter().find(|license| license.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_value_as_a_string() {
        for license in DEFAULT_LICENSES {
            assert!(license.to_json().values().all(Value::is_string), "{}", license.id);
        }
    }

    #[test]
    fn knows_which_licences_are_open() {
        assert!(find("cc-by").is_some_and(License::is_open));
        assert!(find("other-closed").is_some_and(|l| !l.is_open()));
        assert!(find("no-such-licence").is_none());
    }

    #[test]
    fn has_ckans_fifteen_ids_in_order() {
        let ids: Vec<&str> = DEFAULT_LICENSES.iter().map(|l| l.id).collect();
        assert_eq!(ids.len(), 15);
        assert_eq!(ids.first(), Some(&"notspecified"));
        assert_eq!(ids.last(), Some(&"other-closed"));
    }
}
