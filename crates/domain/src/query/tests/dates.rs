//! Dates and date math in range values.

use super::*;

#[test]
fn dates_with_and_without_z_and_fractions() {
    assert_eq!(
        lower_date("d:[2024-05-01T10:20:30.123456Z TO *]"),
        at(2024, 5, 1, 10, 20, 30) + TimeDelta::microseconds(123_456)
    );
    assert_eq!(
        lower_date("d:[2024-05-01T10:20:30.123456 TO *]"),
        at(2024, 5, 1, 10, 20, 30) + TimeDelta::microseconds(123_456)
    );
    assert_eq!(lower_date("d:[2024-05-01T10:20:30Z TO *]"), at(2024, 5, 1, 10, 20, 30));
    assert_eq!(lower_date("d:[2024-05-01T10:20:30 TO *]"), at(2024, 5, 1, 10, 20, 30));
    assert_eq!(lower_date("d:[2024-05-01 TO *]"), at(2024, 5, 1, 0, 0, 0));
    assert_eq!(
        lower_date("d:[2024-05-01T10:20:30.5Z TO *]"),
        at(2024, 5, 1, 10, 20, 30) + TimeDelta::milliseconds(500)
    );
    assert_eq!(lower_date("d:[\"2024-05-01T10:20:30Z\" TO *]"), at(2024, 5, 1, 10, 20, 30));
}

#[test]
fn now_is_the_given_instant() {
    assert_eq!(lower_date("d:[NOW TO *]"), now());
}

#[test]
fn ckan_last_week_filter() {
    assert_eq!(
        and("metadata_modified:[NOW-7DAYS TO NOW]"),
        range(
            "metadata_modified",
            Bound::Included(RangeValue::Date(now() - TimeDelta::days(7))),
            Bound::Included(RangeValue::Date(now()))
        )
    );
}

#[test]
fn date_math_adds_and_subtracts_each_unit() {
    let n = now();
    assert_eq!(parse_date("NOW+2HOURS", n).unwrap(), n + TimeDelta::hours(2));
    assert_eq!(parse_date("NOW-1HOUR", n).unwrap(), n - TimeDelta::hours(1));
    assert_eq!(parse_date("NOW+30MINUTES", n).unwrap(), n + TimeDelta::minutes(30));
    assert_eq!(parse_date("NOW-10SECONDS", n).unwrap(), n - TimeDelta::seconds(10));
    assert_eq!(parse_date("NOW+1DAY", n).unwrap(), n + TimeDelta::days(1));
    assert_eq!(parse_date("NOW+5MILLIS", n).unwrap(), n + TimeDelta::milliseconds(5));
    assert_eq!(
        parse_date("NOW-1MONTH", n).unwrap(),
        at(2024, 4, 15, 13, 45, 30) + TimeDelta::milliseconds(250)
    );
    assert_eq!(
        parse_date("NOW+2YEARS", n).unwrap(),
        at(2026, 5, 15, 13, 45, 30) + TimeDelta::milliseconds(250)
    );
    assert_eq!(parse_date("2024-01-31T00:00:00Z+1MONTH", n).unwrap(), at(2024, 2, 29, 0, 0, 0));
}

#[test]
fn date_math_rounds_down() {
    let n = now();
    assert_eq!(parse_date("NOW/DAY", n).unwrap(), at(2024, 5, 15, 0, 0, 0));
    assert_eq!(parse_date("NOW/YEAR", n).unwrap(), at(2024, 1, 1, 0, 0, 0));
    assert_eq!(parse_date("NOW/MONTH", n).unwrap(), at(2024, 5, 1, 0, 0, 0));
    assert_eq!(parse_date("NOW/HOUR", n).unwrap(), at(2024, 5, 15, 13, 0, 0));
    assert_eq!(parse_date("NOW/MINUTE", n).unwrap(), at(2024, 5, 15, 13, 45, 0));
    assert_eq!(parse_date("NOW/SECOND", n).unwrap(), at(2024, 5, 15, 13, 45, 30));
    assert_eq!(
        parse_date("2024-05-01T10:20:30.123456Z/MILLI", n).unwrap(),
        at(2024, 5, 1, 10, 20, 30) + TimeDelta::milliseconds(123)
    );
}

#[test]
fn date_math_chains_left_to_right() {
    let n = now();
    assert_eq!(parse_date("NOW-1YEAR/DAY", n).unwrap(), at(2023, 5, 15, 0, 0, 0));
    assert_eq!(parse_date("NOW/DAY+1DAY", n).unwrap(), at(2024, 5, 16, 0, 0, 0));
    assert_eq!(lower_date("metadata_created:[NOW-1YEAR/DAY TO NOW/DAY+1DAY}"), at(2023, 5, 15, 0, 0, 0));
}

#[test]
fn bad_dates_are_errors() {
    for input in [
        "d:[NOW-7FOO TO *]",
        "d:[NOW-DAYS TO *]",
        "d:[NOW/ TO *]",
        "d:[NOW-7days TO *]",
        "d:[2024-13-01 TO *]",
        "d:[2024-02-30 TO *]",
        "d:[2024-05-01T25:00:00Z TO *]",
        "d:[2024-05-01T10:20 TO *]",
        "d:[2024-05-01T10:20:30. TO *]",
        "d:[2024-05-01T10:20:30+01:00 TO *]",
        "d:[NOW+99999999999DAYS TO *]",
        "d:[NOW+4000000000YEARS TO *]",
    ] {
        let error = fails(input);
        assert!(error.message.starts_with("bad date"), "{input:?}: {error}");
    }
    let error = fails("metadata_modified:[NOW-7FOO TO *]");
    assert_eq!(error.position, 24);
    assert!(error.message.contains("unknown unit"));
}

#[test]
fn nowish_words_outside_ranges_and_non_dates_stay_text() {
    assert_eq!(and("title:NOW"), term("title", "NOW"));
    assert_eq!(range_bounds("version:[2024 TO 2025]").0, Bound::Included(RangeValue::Text("2024".into())));
    assert_eq!(range_bounds("name:[now TO z]").0, Bound::Included(RangeValue::Text("now".into())));
    assert_eq!(range_bounds("name:[NOWISH TO z]").0, Bound::Included(RangeValue::Text("NOWISH".into())));
}

#[test]
fn looks_like_date_rule() {
    assert!(looks_like_date("NOW"));
    assert!(looks_like_date("NOW/DAY"));
    assert!(looks_like_date("2024-05-01"));
    assert!(looks_like_date("2024-05-01T10:20:30Z"));
    assert!(!looks_like_date("NOWHERE"));
    assert!(!looks_like_date("2024"));
    assert!(!looks_like_date("2024-05-01x"));
    assert!(!looks_like_date("é"));
}
