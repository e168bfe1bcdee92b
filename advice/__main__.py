"""`python -m advice ANSWERS.json`: triage and handout for one set of answers, as JSON.

ANSWERS.json is either the flat answers mapping (linkId -> value) or
`{"answers": {...}, "age": 61}`; `-` reads standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from advice import ContentError, HandoutContext, Library, evaluate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m advice", description=__doc__.split("\n")[0])
    parser.add_argument("answers", help="answers JSON file, or - for standard input")
    parser.add_argument("--age", type=int, help="patient age in years (overrides the file)")
    parser.add_argument("--content", type=Path, help="content directory (default advice/content)")
    defaults = HandoutContext()
    parser.add_argument("--clinic-name", default=defaults.clinic_name)
    parser.add_argument("--emergency-number", default=defaults.emergency_number)
    parser.add_argument("--crisis-line", default=defaults.crisis_line)
    parser.add_argument("--full", action="store_true", help="print the whole handout snapshot")
    args = parser.parse_args(argv)

    try:
        raw = sys.stdin.read() if args.answers == "-" else Path(args.answers).read_text("utf-8")
        data = json.loads(raw)
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read answers: {error}", file=sys.stderr)
        return 2
    if not isinstance(data, dict):
        print("answers must be a JSON object", file=sys.stderr)
        return 2
    wrapped = isinstance(data.get("answers"), dict)
    answers: dict[str, Any] = data["answers"] if wrapped else data
    age = args.age if args.age is not None else (data.get("age") if wrapped else None)

    try:
        library = Library.from_directory(args.content)
    except ContentError as error:
        print(f"content error: {error}", file=sys.stderr)
        return 2
    context = HandoutContext(
        clinic_name=args.clinic_name,
        emergency_number=args.emergency_number,
        crisis_line=args.crisis_line,
    )
    evaluation = evaluate(answers, age=age, library=library, context=context)
    handout = evaluation.handout
    output = {
        "triage": evaluation.triage.level.value,
        "reasons": [reason.to_dict() for reason in evaluation.triage.reasons],
        "handout": handout.to_dict()
        if args.full
        else {
            "topics": list(handout.topics),
            "title": handout.title,
            "markdown": handout.markdown,
            "reading_grade": handout.reading_grade,
        },
    }
    json.dump(output, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
