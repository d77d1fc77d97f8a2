//! Ranges: inclusive, exclusive, mixed and open ends.

use super::*;

#[test]
fn inclusive_range() {
    assert_eq!(
        and("num_resources:[1 TO 5]"),
        range(
            "num_resources",
            Bound::Included(RangeValue::Text("1".into())),
            Bound::Included(RangeValue::Text("5".into()))
        )
    );
}

#[test]
fn exclusive_range() {
    assert_eq!(
        and("name:{a TO m}"),
        range(
            "name",
            Bound::Excluded(RangeValue::Text("a".into())),
            Bound::Excluded(RangeValue::Text("m".into()))
        )
    );
}

#[test]
fn mixed_range() {
    assert_eq!(
        and("name:[a TO m}"),
        range(
            "name",
            Bound::Included(RangeValue::Text("a".into())),
            Bound::Excluded(RangeValue::Text("m".into()))
        )
    );
    assert_eq!(
        and("name:{a TO m]"),
        range(
            "name",
            Bound::Excluded(RangeValue::Text("a".into())),
            Bound::Included(RangeValue::Text("m".into()))
        )
    );
}

#[test]
fn star_opens_a_range_end() {
    assert_eq!(range_bounds("num_tags:[* TO *]"), (Bound::Unbounded, Bound::Unbounded));
    assert_eq!(
        range_bounds("num_tags:[-5 TO *]"),
        (Bound::Included(RangeValue::Text("-5".into())), Bound::Unbounded)
    );
}

#[test]
fn quoted_range_values() {
    assert_eq!(
        range_bounds("title_string:[\"a b\" TO \"c]\"]"),
        (Bound::Included(RangeValue::Text("a b".into())), Bound::Included(RangeValue::Text("c]".into())))
    );
}

#[test]
fn range_inside_a_field_group() {
    assert_eq!(
        and("metadata_modified:([* TO 2020-01-01] OR [2024-01-01 TO *])"),
        boolean(
            vec![],
            vec![
                range("metadata_modified", Bound::Unbounded, Bound::Included(date(2020, 1, 1, 0, 0, 0, 0))),
                range("metadata_modified", Bound::Included(date(2024, 1, 1, 0, 0, 0, 0)), Bound::Unbounded),
            ],
            vec![]
        )
    );
}

#[test]
fn harvester_incremental_range() {
    assert_eq!(
        and("metadata_modified:[2024-05-01T09:20:30.123456Z TO *]"),
        range("metadata_modified", Bound::Included(date(2024, 5, 1, 9, 20, 30, 123_456)), Bound::Unbounded)
    );
}

#[test]
fn range_errors() {
    assert!(fails("num:[1 5]").message.contains("expected TO"));
    assert!(fails("num:[1 to 5]").message.contains("expected TO"));
    assert!(fails("num:[1]").message.contains("expected TO"));
    assert!(fails("num:[1 TO 5").message.contains("never closed"));
    assert!(fails("num:[1 TO ]").message.contains("expected a value"));
    assert!(fails("num:[1 TO 5 6]").message.contains("close the range"));
    assert!(fails("[1 TO 5]").message.contains("needs a field"));
    let missing_to = fails("num:[1 5]");
    assert_eq!(missing_to.position, 7);
}
