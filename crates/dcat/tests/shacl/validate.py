"""Validates a Turtle data graph against SHACL shapes with pyshacl.

usage: validate.py DATA.ttl --shapes SHAPES.ttl... [--vocabulary VOCAB.ttl...]

The vocabularies (descriptions of the controlled-vocabulary IRIs the data refers to) are added
to the data graph, as a validator that resolves those IRIs would see them.

Exit status 0 when the data conforms, 1 when it does not (the report is printed), 2 when the
files cannot be read. Results of severity sh:Info do not count against conformance.
"""

import argparse
import sys

import rdflib
from pyshacl import validate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--shapes", nargs="+", required=True)
    parser.add_argument("--vocabulary", nargs="*", default=[])
    args = parser.parse_args()
    try:
        data = rdflib.Graph().parse(args.data, format="turtle")
        size = len(data)
        for path in args.vocabulary:
            data.parse(path, format="turtle")
        shapes = rdflib.Graph()
        for path in args.shapes:
            shapes.parse(path, format="turtle")
    except Exception as error:  # noqa: BLE001 - any parse failure is a usage error here
        print(f"cannot read the graphs: {error}", file=sys.stderr)
        return 2
    conforms, _, report = validate(
        data,
        shacl_graph=shapes,
        inference="none",
        allow_infos=True,
    )
    print(f"{size} triples; conforms: {conforms}")
    if not conforms:
        print(report)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
