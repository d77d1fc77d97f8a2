"""Validate a data.json catalogue (read from stdin) against the DCAT-US 1.1 JSON schemas.

usage: validate_datajson.py SCHEMA_DIR PROFILE < catalog.json

SCHEMA_DIR holds the Project Open Data v1.1 schemas (catalog.json, dataset.json,
distribution.json, organization.json, vcard.json); the catalogue schema's references to the
others are resolved from there, never over the network. PROFILE is `federal` (the schemas as
published) or `non-federal` (the same, except that `bureauCode` and `programCode`, which only
US federal agencies have, are not required; GSA's ckanext-datajson validates non-federal
catalogues so).

Formats are checked (`uri` with rfc3986-validator or rfc3987 when installed, else with the RFC
3986 grammar below). Prints one JSON object: {"datasets": n, "uri_checker": ..., "errors":
[{"path": ..., "message": ...}]}; errors
under an `anyOf` that failed follow it, marked `"alternative": true`. Exit status 3 when jsonschema cannot be imported.
"""

import json
import os
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft4Validator
except ImportError as error:  # pragma: no cover - reported to the Rust test
    print(f"jsonschema is not installed: {error}", file=sys.stderr)
    sys.exit(3)

SCHEMAS = ["catalog.json", "dataset.json", "distribution.json", "organization.json", "vcard.json"]
FEDERAL_ONLY = ("bureauCode", "programCode")

_PCT = r"%[0-9A-Fa-f]{2}"
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_URI = re.compile(
    rf"^[A-Za-z][A-Za-z0-9+\-.]*:"
    rf"(?://(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*@)?"
    rf"(?:\[[0-9A-Fa-f:.]+\]|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*)(?::[0-9]*)?(?:/{_PCHAR}*)*"
    rf"|/?(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?$"
)


def format_checker():
    checker = Draft4Validator.FORMAT_CHECKER
    if "uri" in checker.checkers:
        name = "rfc3987" if _has("rfc3987") else "rfc3986-validator"
        return checker, name
    checker = jsonschema.FormatChecker(formats=list(checker.checkers))

    @checker.checks("uri")
    def is_uri(instance):
        return not isinstance(instance, str) or bool(_URI.match(instance))

    return checker, "builtin"


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def load_schemas(directory, profile):
    schemas = {}
    for name in SCHEMAS:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            schema = json.load(f)
        if profile == "non-federal" and name == "dataset.json":
            schema["required"] = [r for r in schema["required"] if r not in FEDERAL_ONLY]
        schemas[schema["id"].rstrip("#")] = schema
    return schemas


def validator(schemas, checker):
    catalog = next(s for uri, s in schemas.items() if uri.endswith("/catalog.json"))
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        registry = Registry().with_resources(
            (uri, Resource.from_contents(s, default_specification=DRAFT4)) for uri, s in schemas.items()
        )
        return Draft4Validator(catalog, registry=registry, format_checker=checker)
    except ImportError:  # jsonschema before 4.18
        resolver = jsonschema.RefResolver.from_schema(catalog, store=dict(schemas))
        return Draft4Validator(catalog, resolver=resolver, format_checker=checker)


def described(error):
    return {"path": "/".join(str(p) for p in error.absolute_path), "message": error.message[:300]}


def main():
    directory, profile = sys.argv[1], sys.argv[2]
    if profile not in ("federal", "non-federal"):
        sys.exit(f"unknown profile {profile!r}")
    checker, checker_name = format_checker()
    document = json.load(sys.stdin)
    errors = []
    for error in validator(load_schemas(directory, profile), checker).iter_errors(document):
        errors.append(described(error))
        # An `anyOf` failure also lists why each alternative failed, where it failed.
        errors.extend(dict(described(sub), alternative=True) for sub in error.context)
    datasets = document.get("dataset") if isinstance(document, dict) else None
    print(json.dumps({
        "datasets": len(datasets) if isinstance(datasets, list) else None,
        "uri_checker": checker_name,
        "errors": errors,
    }))


if __name__ == "__main__":
    main()
