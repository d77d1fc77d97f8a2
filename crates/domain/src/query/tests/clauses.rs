//! Clauses: everything, single values, wildcards, escapes, modifiers, operators, parentheses.

use super::*;

// --- everything ---

#[test]
fn empty_and_quoted_empty_inputs_match_everything() {
    for input in ["", "   ", "\"\"", "''", " '' "] {
        assert_eq!(and(input), Query::All, "{input:?}");
        assert_eq!(or(input), Query::All, "{input:?}");
    }
}

#[test]
fn star_colon_star_matches_everything() {
    assert_eq!(and("*:*"), Query::All);
    assert_eq!(and(" *:* "), Query::All);
}

#[test]
fn a_bare_star_matches_everything() {
    assert_eq!(or("*"), Query::All);
}

// --- single clauses ---

#[test]
fn field_value() {
    assert_eq!(and("res_format:CSV"), term("res_format", "CSV"));
}

#[test]
fn field_names_are_kept_as_written() {
    assert_eq!(and("extras_foo:bar"), term("extras_foo", "bar"));
    assert_eq!(and("Title_String:x"), term("Title_String", "x"));
    assert_eq!(and("res_extras_my.key:x"), term("res_extras_my.key", "x"));
}

#[test]
fn a_bare_term_has_no_field() {
    assert_eq!(or("water"), text("water"));
}

#[test]
fn lowercase_operators_are_plain_words() {
    assert_eq!(or("a and b"), boolean(vec![], vec![text("a"), text("and"), text("b")], vec![]));
    assert_eq!(or("ANDROID"), text("ANDROID"));
}

#[test]
fn quoted_phrase() {
    assert_eq!(or("\"water quality\""), phrase(None, "water quality"));
}

#[test]
fn field_quoted_phrase() {
    assert_eq!(and("tags:\"water quality\""), phrase(Some("tags"), "water quality"));
}

#[test]
fn escaped_quote_inside_a_phrase() {
    assert_eq!(and(r#"title:"say \"hi\"""#), phrase(Some("title"), "say \"hi\""));
}

#[test]
fn values_with_dashes_dots_slashes_at_signs_and_colons() {
    assert_eq!(
        and("id:0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"),
        term("id", "0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7")
    );
    assert_eq!(and("url:http://x.org/a"), term("url", "http://x.org/a"));
    assert_eq!(and("maintainer_email:ole@example.dk"), term("maintainer_email", "ole@example.dk"));
    assert_eq!(and("version:1.2.3"), term("version", "1.2.3"));
    assert_eq!(and("name:a-b_c"), term("name", "a-b_c"));
}

#[test]
fn whitespace_after_the_colon_is_allowed() {
    assert_eq!(and("name: abc"), term("name", "abc"));
}

// --- wildcards ---

#[test]
fn trailing_wildcard_is_a_prefix() {
    assert_eq!(and("name:abc*"), Query::Prefix { field: Some("name".into()), prefix: "abc".into() });
    assert_eq!(or("wat*"), Query::Prefix { field: None, prefix: "wat".into() });
}

#[test]
fn star_value_means_the_field_exists() {
    assert_eq!(and("extras_theme:*"), Query::Exists { field: "extras_theme".into() });
}

#[test]
fn other_wildcards_are_refused() {
    assert!(fails("name:*abc").message.contains("end of a value"));
    assert!(fails("name:a*c").message.contains("end of a value"));
    assert!(fails("name:ab?").message.contains('?'));
    assert!(fails("na*e:x").message.contains("field name"));
    assert!(fails("*:abc").message.contains("*:*"));
}

#[test]
fn escaped_wildcards_are_literal() {
    assert_eq!(and(r"title:a\*b\?"), term("title", "a*b?"));
    assert_eq!(and(r"title:\*"), term("title", "*"));
}

// --- escapes ---

#[test]
fn escapes_remove_special_meaning() {
    assert_eq!(or(r"a\:b"), text("a:b"));
    assert_eq!(or(r"\-a"), text("-a"));
    assert_eq!(and(r"title:my\ dataset"), term("title", "my dataset"));
    assert_eq!(and(r"title:\(x\)"), term("title", "(x)"));
    assert_eq!(and(r"my\ field:x"), term("my field", "x"));
    assert_eq!(and(r"title:caf\u00e9"), term("title", "café"));
    assert_eq!(and(r"title:a\\b"), term("title", r"a\b"));
}

#[test]
fn a_trailing_backslash_is_an_error() {
    assert!(fails(r"title:abc\").message.contains("backslash"));
}

// --- modifiers and operators ---

#[test]
fn plus_makes_a_clause_required_and_minus_prohibited() {
    assert_eq!(
        or("+a:1 -b:2 c:3"),
        boolean(vec![term("a", "1")], vec![term("c", "3")], vec![term("b", "2")])
    );
}

#[test]
fn a_lone_required_clause_is_the_clause() {
    assert_eq!(and("+capacity:public"), term("capacity", "public"));
}

#[test]
fn not_and_bang_prohibit() {
    let expected = boolean(vec![term("a", "1")], vec![], vec![term("b", "2")]);
    assert_eq!(and("a:1 NOT b:2"), expected);
    assert_eq!(and("a:1 !b:2"), expected);
    assert_eq!(and("a:1 AND NOT b:2"), expected);
    assert_eq!(and("a:1 && !b:2"), expected);
}

#[test]
fn pure_negative_means_everything_except() {
    assert_eq!(and("-a:b"), boolean(vec![], vec![], vec![term("a", "b")]));
    assert_eq!(and("NOT a:b"), boolean(vec![], vec![], vec![term("a", "b")]));
}

#[test]
fn and_requires_both_sides() {
    let expected = boolean(vec![term("a", "1"), term("b", "2")], vec![], vec![]);
    assert_eq!(or("a:1 AND b:2"), expected);
    assert_eq!(or("a:1 && b:2"), expected);
}

#[test]
fn or_makes_both_sides_optional() {
    let expected = boolean(vec![], vec![term("a", "1"), term("b", "2")], vec![]);
    assert_eq!(and("a:1 OR b:2"), expected);
    assert_eq!(and("a:1 || b:2"), expected);
}

#[test]
fn default_operator_and_for_field_syntax() {
    assert_eq!(
        and("tags:\"economy\" res_format:\"CSV\""),
        boolean(vec![phrase(Some("tags"), "economy"), phrase(Some("res_format"), "CSV")], vec![], vec![])
    );
}

#[test]
fn default_operator_or_for_free_text() {
    assert_eq!(or("water quality"), boolean(vec![], vec![text("water"), text("quality")], vec![]));
}

#[test]
fn operators_combine_the_lucene_way() {
    // Lucene's addClause: AND makes the clause before it required; with default AND, OR
    // makes the clause before it optional. No precedence: `a OR b c` is `a b +c`.
    assert_eq!(and("a OR b c"), boolean(vec![text("c")], vec![text("a"), text("b")], vec![]));
    assert_eq!(or("a AND b OR c"), boolean(vec![text("a"), text("b")], vec![text("c")], vec![]));
    assert_eq!(and("a AND b OR c"), boolean(vec![text("a")], vec![text("b"), text("c")], vec![]));
    // A prohibited clause stays prohibited whatever follows it.
    assert_eq!(and("-a OR b"), boolean(vec![], vec![text("b")], vec![text("a")]));
}

#[test]
fn operator_for_q_follows_ckan() {
    assert_eq!(Operator::for_q("name:abc"), Operator::And);
    assert_eq!(Operator::for_q("water quality"), Operator::Or);
}

// --- parentheses ---

#[test]
fn parentheses_group_and_nest() {
    assert_eq!(
        and("(a:1 OR b:2) AND (c:3 OR (d:4 AND -e:5))"),
        boolean(
            vec![
                boolean(vec![], vec![term("a", "1"), term("b", "2")], vec![]),
                boolean(
                    vec![],
                    vec![term("c", "3"), boolean(vec![term("d", "4")], vec![], vec![term("e", "5")])],
                    vec![]
                ),
            ],
            vec![],
            vec![]
        )
    );
}

#[test]
fn redundant_parentheses_disappear() {
    assert_eq!(and("((name:x))"), term("name", "x"));
}

#[test]
fn field_group_with_or() {
    assert_eq!(
        and("groups:(x OR y)"),
        boolean(vec![], vec![term("groups", "x"), term("groups", "y")], vec![])
    );
}

#[test]
fn field_group_uses_the_default_operator() {
    assert_eq!(and("tags:(a b)"), boolean(vec![term("tags", "a"), term("tags", "b")], vec![], vec![]));
    assert_eq!(or("tags:(a b)"), boolean(vec![], vec![term("tags", "a"), term("tags", "b")], vec![]));
}

#[test]
fn field_group_holds_phrases_prefixes_and_other_fields() {
    assert_eq!(
        or("tags:(\"water quality\" wat* other:x)"),
        boolean(
            vec![],
            vec![
                phrase(Some("tags"), "water quality"),
                Query::Prefix { field: Some("tags".into()), prefix: "wat".into() },
                term("other", "x"),
            ],
            vec![]
        )
    );
}

#[test]
fn ckan_state_and_capacity_filters() {
    assert_eq!(
        and("+state:(active OR draft) +capacity:public"),
        boolean(
            vec![
                boolean(vec![], vec![term("state", "active"), term("state", "draft")], vec![]),
                term("capacity", "public"),
            ],
            vec![],
            vec![]
        )
    );
    assert_eq!(and("+site_id:\"default\""), phrase(Some("site_id"), "default"));
}

#[test]
fn unbalanced_parentheses_are_errors() {
    let open = fails("(a:1 OR b:2");
    assert_eq!(open.position, 0);
    assert!(open.message.contains("never closed"));
    let close = fails("a:1)");
    assert_eq!(close.position, 3);
    assert!(close.message.contains("no matching"));
    assert!(fails("groups:(x OR y").message.contains("never closed"));
    assert!(fails("()").message.contains("empty"));
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(fails(&deep).message.contains("nest"));
    let fine = format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_eq!(or(&fine), text("a"));
}
