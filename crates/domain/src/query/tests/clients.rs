//! What CKAN's clients send.

use super::*;

#[test]
fn harvester_organization_include() {
    assert_eq!(
        and("organization:a OR organization:b"),
        boolean(vec![], vec![term("organization", "a"), term("organization", "b")], vec![])
    );
}

#[test]
fn harvester_organization_exclude() {
    assert_eq!(
        and("-organization:a -organization:b"),
        boolean(vec![], vec![], vec![term("organization", "a"), term("organization", "b")])
    );
}

#[test]
fn harvester_full_incremental_fq() {
    // What ckanext-harvest joins with spaces. Lucene (and so CKAN's Solr) makes the
    // organization clauses optional next to the required date range.
    let since = Bound::Included(date(2024, 5, 1, 9, 20, 30, 123_456));
    assert_eq!(
        and("organization:a OR organization:b metadata_modified:[2024-05-01T09:20:30.123456Z TO *]"),
        boolean(
            vec![range("metadata_modified", since.clone(), Bound::Unbounded)],
            vec![term("organization", "a"), term("organization", "b")],
            vec![]
        )
    );
    assert_eq!(
        and("-organization:a -organization:b -groups:c metadata_modified:[2024-05-01T09:20:30.123456Z TO *]"),
        boolean(
            vec![range("metadata_modified", since, Bound::Unbounded)],
            vec![],
            vec![term("organization", "a"), term("organization", "b"), term("groups", "c")]
        )
    );
}

#[test]
fn boosts_are_dropped() {
    assert_eq!(
        or("title:water^4 notes:water^0.5"),
        boolean(vec![], vec![term("title", "water"), term("notes", "water")], vec![])
    );
    assert_eq!(or("(a b)^2"), boolean(vec![], vec![text("a"), text("b")], vec![]));
    assert!(fails("title:water^").message.contains("number"));
}
