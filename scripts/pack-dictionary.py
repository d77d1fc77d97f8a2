#!/usr/bin/env python3
"""Writes crates/storage/src/pack/ckan-1.dict: the zstd raw-content dictionary that stored
dataset dicts and activity payloads are compressed with (tag 0x01 in crates/storage/src/pack.rs).

Its content is CKAN 2.12's own answers recorded in tests/fixtures/ckan-reference: the dataset,
resource and organization dicts, compact as datahavn stores them, the activity wrapper last (the
end of a dictionary is the cheapest to refer to). It is data: once a database holds values
packed with it, it never changes (a test pins its digest); a better one gets a new tag.
"""
import glob
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def dicts(value, found):
    if isinstance(value, dict):
        if "resources" in value and "name" in value or "package_count" in value or "url" in value and "package_id" in value:
            found.append(value)
        for inner in value.values():
            dicts(inner, found)
    elif isinstance(value, list):
        for inner in value:
            dicts(inner, found)


def main():
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/ckan-reference/*.json"))):
        with open(path, encoding="utf-8") as f:
            dicts(json.load(f)["response"], found)
    seen, parts = set(), []
    for value in found:
        text = compact(value)
        if text not in seen:
            seen.add(text)
            parts.append(text)
    datasets = [p for p in parts if p.startswith(b'{"author"') or b'"resources":[' in p]
    others = [p for p in parts if p not in datasets]
    body = b"".join(others) + b"".join(datasets)
    body += b'{"package":' + datasets[-1] + b',"actor":"admin"}'
    out = os.path.join(ROOT, "crates/storage/src/pack/ckan-1.dict")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(body)
    print(out, len(body), "bytes")


if __name__ == "__main__":
    main()
