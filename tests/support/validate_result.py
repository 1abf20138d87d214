#!/usr/bin/python3
"""Validate isotest result files against the result JSON Schema.

usage: validate_result.py SCHEMA RESULT...

Exits 0 when every RESULT validates, 1 when one does not (each problem is
printed with its JSON path), 2 when the schema itself is missing or invalid.
Uses python3-jsonschema from Debian; the draft comes from the schema's
"$schema" keyword.
"""

import json
import sys

import jsonschema


def load(path, what):
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except FileNotFoundError:
        print(f"validate_result: {what} {path} does not exist", file=sys.stderr)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        print(f"validate_result: {what} {path} is not valid JSON: {error}", file=sys.stderr)
    return None


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema = load(argv[1], "schema")
    if schema is None:
        return 2
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        print(f"validate_result: schema {argv[1]} is invalid: {error.message}", file=sys.stderr)
        return 2
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)

    failed = False
    for path in argv[2:]:
        result = load(path, "result")
        if result is None:
            failed = True
            continue
        for error in sorted(validator.iter_errors(result), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
            print(f"{path}: {where}: {error.message}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
