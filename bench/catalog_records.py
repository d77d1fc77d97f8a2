#!/usr/bin/env python3
"""Input for bench/catalog.sh, made from the real portal records (tests/fixtures/portals).

    catalog_records.py PORTALS COUNT OUTDIR

Writes OUTDIR/records.jsonl: COUNT dataset dicts, the package dicts found in the portal files
repeated in turn, each named `<name>-<n>` and without ids (resource ids dropped too), after the
clean-up a harvester does (as tests/portal_records.rs): translated core fields split into
`<field>` and `<field>_translated`, string tags made dicts and tag characters CKAN refuses
replaced, vocabulary references and groups (which the bench site does not have) dropped, an
`extras` dict made a list, and an `organization` dict plus `owner_org` naming the publisher, so
that `datahavn load --create-orgs` makes it on first sight.

Writes OUTDIR/show.jsonl: one dataset, `bench-show-20`: Birmingham's purchase-card-transactions
record (45 resources) with its first 20 resources.

Standard library only.
"""

import json
import os
import re
import sys

CORE_TEXT = ("title", "author", "author_email", "maintainer", "maintainer_email", "notes", "url",
             "version", "license_id")
LANGUAGES = ("en", "de", "fr", "it")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def documents(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def find_packages(value, out):
    if isinstance(value, dict):
        if isinstance(value.get("resources"), list) and (
            isinstance(value.get("name"), str) or isinstance(value.get("id"), str)
        ):
            out.append(value)
            return
        for child in value.values():
            find_packages(child, out)
    elif isinstance(value, list):
        for child in value:
            find_packages(child, out)


def slug(text):
    return re.sub(r"[^a-z0-9_-]", "", text.lower()).strip("-")


def one_language(translations):
    for language in LANGUAGES:
        if str(translations.get(language) or "").strip():
            return translations[language]
    return next((v for v in translations.values() if isinstance(v, str) and v.strip()), None)


def clean(record):
    record = dict(record)
    base = slug(record.get("name") or record.get("id") or "dataset")[:88] or "dataset"
    record.pop("id", None)
    for field in CORE_TEXT:
        if isinstance(record.get(field), dict):
            record[field + "_translated"] = record[field]
            record[field] = one_language(record[field])
    tags = []
    for tag in record.get("tags") or []:
        tag = {"name": tag} if isinstance(tag, str) else dict(tag)
        tag.pop("vocabulary_id", None)
        tag["name"] = re.sub(r"[^\w .-]", "-", str(tag.get("name", "")).strip())[:100]
        if len(tag["name"]) >= 2:
            tags.append(tag)
    record["tags"] = tags
    if isinstance(record.get("extras"), dict):
        record["extras"] = [{"key": k, "value": v} for k, v in record["extras"].items()]
    record.pop("groups", None)
    record["resources"] = [{k: v for k, v in r.items() if k != "id"} for r in record["resources"]]
    organization = record.get("organization")
    owner = record.get("owner_org")
    if isinstance(organization, dict) and organization.get("name"):
        org_name, title = organization["name"], organization.get("title")
    elif isinstance(organization, str) and organization:
        org_name, title = organization, None
    elif isinstance(owner, str) and owner and not UUID.match(owner):
        org_name, title = owner, None
    else:
        org_name, title = "bench-publisher", None
    org_name = slug(org_name)[:100] or "bench-publisher"
    record["organization"] = {"name": org_name, "title": title or org_name}
    record["owner_org"] = org_name
    return base, record


def main():
    portals, count, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    records = []
    for name in sorted(os.listdir(portals)):
        if name.endswith((".json", ".jsonl", ".jl")):
            for document in documents(os.path.join(portals, name)):
                find_packages(document, records)
    cleaned = [clean(record) for record in records]
    with open(os.path.join(out_dir, "records.jsonl"), "w", encoding="utf-8") as out:
        for n in range(count):
            base, record = cleaned[n % len(cleaned)]
            out.write(json.dumps(dict(record, name="{}-{}".format(base, n)), ensure_ascii=False) + "\n")
    # Birmingham's purchase-card-transactions (45 resources), cut to 20: a plain CKAN record whose
    # size is in its resources.
    big = next(record for base, record in cleaned if base == "purchase-card-transactions")
    show = dict(big, name="bench-show-20", resources=big["resources"][:20])
    with open(os.path.join(out_dir, "show.jsonl"), "w", encoding="utf-8") as out:
        out.write(json.dumps(show, ensure_ascii=False) + "\n")
    sys.stderr.write("{} package dicts found; {} lines written\n".format(len(records), count))


if __name__ == "__main__":
    main()
