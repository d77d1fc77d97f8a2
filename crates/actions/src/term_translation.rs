//! CKAN's term translations: `term_translation_show`, `term_translation_update`,
//! `term_translation_update_many` — a term (a tag, a title) in other languages.

use std::collections::BTreeMap;

use datahavn_domain::ValidationErrors;
use datahavn_domain::params::Params;
use datahavn_domain::site_admin::TermTranslation;
use datahavn_storage::Tx;
use serde_json::Value;

use crate::args::{authenticated, not_empty, plain_error, sysadmin_only};
use crate::dto::{TermTranslationCount, TermTranslationDict};
use crate::request::{Request, request, request_doc, response_doc, scalar_text};
use crate::{Action, ActionError, ActionResult, Context, to_json};

request! {
    /// The terms and languages to look up.
    pub struct TermTranslationShowRequest {
        /// The terms to search for translations of (one term, or a list); an empty list is
        /// every term. Numbers are read as their text; other items match nothing.
        #[schema(value_type = serde_json::Value)]
        pub terms: Option<Value>,
        /// The language codes to search for translations into (one, or a list); every language
        /// when not given. Numbers are read as their text; other items match nothing.
        #[schema(value_type = Option<serde_json::Value>)]
        pub lang_codes: Option<Value>,
    }
}

/// A list as CKAN's action reads it: one text is a list of one.
fn text_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
        other => scalar_text(other).into_iter().collect(),
    }
}

pub const TERM_TRANSLATION_SHOW: Action = Action {
    name: "term_translation_show",
    side_effect_free: true,
    tag: "site",
    doc: "Return the translations for the given term(s) and language(s). Any signed-in user may \
          read them.\n\n\
          :rtype: a list of term translation dictionaries each with keys ``term`` (the term \
          searched for, in the source language), ``term_translation`` (the translation of the \
          term into the target language) and ``lang_code`` (the language code of the target \
          language)",
    request: request_doc::<TermTranslationShowRequest>,
    response: response_doc::<Vec<TermTranslationDict>>,
    errors: &[
        (403, "Anonymous: `Action term_translation_show requires an authenticated user`"),
        (409, "`{\"terms\": \"terms not in data\"}`"),
    ],
    run: |ctx, params| {
        authenticated(ctx, "term_translation_show")?;
        let request = TermTranslationShowRequest::parse(params)?;
        if !params.as_map().contains_key("terms") {
            return Err(plain_error("terms", "terms not in data"));
        }
        // `null` (read as not given) or an empty list: every term.
        let terms = request.terms.as_ref().map(text_list).filter(|terms| !terms.is_empty());
        let lang_codes = request.lang_codes.as_ref().map(text_list);
        let found = ctx.store().read(|tx| tx.term_translations(terms.as_deref(), lang_codes.as_deref()))?;
        to_json(
            &found
                .into_iter()
                .map(|t| TermTranslationDict {
                    term: t.term,
                    term_translation: t.term_translation,
                    lang_code: t.lang_code,
                })
                .collect::<Vec<_>>(),
        )
    },
};

request! {
    /// A term and its translation into one language.
    pub struct TermTranslationUpdateRequest {
        /// The term to be translated, in the original language, e.g. ``romantic novel``.
        #[schema(value_type = String)]
        pub term: Option<Value>,
        /// The translation of the term, e.g. ``Liebesroman``.
        #[schema(value_type = String)]
        pub term_translation: Option<Value>,
        /// The language code of the translation, e.g. ``de``.
        #[schema(value_type = String)]
        pub lang_code: Option<Value>,
    }
}

const UPDATE_REFUSED: &str = "`User <name> not authorized to update term_translation table`";

pub const TERM_TRANSLATION_UPDATE: Action = Action {
    name: "term_translation_update",
    side_effect_free: false,
    tag: "site",
    doc: "Create or update a term translation. You must be a sysadmin to create or update term \
          translations.\n\n\
          :returns: the newly created or updated term translation\n:rtype: dictionary",
    request: request_doc::<TermTranslationUpdateRequest>,
    response: response_doc::<TermTranslationDict>,
    errors: &[(403, UPDATE_REFUSED), (409, "`term`, `term_translation` or `lang_code` missing")],
    run: |ctx, params| {
        let request = TermTranslationUpdateRequest::parse(params)?;
        let saved = ctx.store().write(|tx| update_one(ctx, tx, &request))?;
        to_json(&saved)
    },
};

/// One `term_translation_update` in the caller's transaction: the validated dict (by key, as
/// CKAN returns it).
fn update_one(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    request: &TermTranslationUpdateRequest,
) -> ActionResult<BTreeMap<&'static str, String>> {
    let reason = format!("User {} not authorized to update term_translation table", ctx.actor.name());
    sysadmin_only(ctx, "term_translation_update", Some(reason))?;
    let mut errors = ValidationErrors::new();
    let translation = TermTranslation {
        term: not_empty(request.term.as_ref(), "term", &mut errors),
        term_translation: not_empty(request.term_translation.as_ref(), "term_translation", &mut errors),
        lang_code: not_empty(request.lang_code.as_ref(), "lang_code", &mut errors),
    };
    errors.into_result()?;
    tx.set_term_translation(&translation)?;
    Ok(BTreeMap::from([
        ("term", translation.term),
        ("term_translation", translation.term_translation),
        ("lang_code", translation.lang_code),
    ]))
}

request! {
    /// The translations to write.
    pub struct TermTranslationUpdateManyRequest {
        /// Term translation dicts, each as term_translation_update takes it.
        #[schema(value_type = Vec<TermTranslationUpdateRequest>)]
        pub data: Option<Value>,
    }
}

pub const TERM_TRANSLATION_UPDATE_MANY: Action = Action {
    name: "term_translation_update_many",
    side_effect_free: false,
    tag: "site",
    doc: "Create or update many term translations at once (all or none). Sysadmins only.\n\n\
          :returns: a dictionary with key ``success`` whose value is a string stating how many \
          term translations were updated\n:rtype: dictionary",
    request: request_doc::<TermTranslationUpdateManyRequest>,
    response: response_doc::<TermTranslationCount>,
    errors: &[
        (403, UPDATE_REFUSED),
        (409, "`{\"error\": \"Must be a list of dicts\"}`, or a translation's missing fields"),
    ],
    run: |ctx, params| {
        let request = TermTranslationUpdateManyRequest::parse(params)?;
        let rows = match &request.data {
            Some(Value::Array(rows)) if !rows.is_empty() => rows,
            _ => return Err(plain_error("error", "Must be a list of dicts")),
        };
        let count = ctx.store().write(|tx| {
            for row in rows {
                let row = match row {
                    Value::Object(map) => TermTranslationUpdateRequest::parse(&Params::new(map.clone()))?,
                    _ => return Err(plain_error("error", "Must be a list of dicts")),
                };
                update_one(ctx, tx, &row)?;
            }
            Ok::<_, ActionError>(rows.len())
        })?;
        to_json(&TermTranslationCount { success: format!("{count} rows updated") })
    },
};
