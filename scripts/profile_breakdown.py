"""Where a request's time goes: a py-spy profile (speedscope format) split into the parts of a
request that docs/performance.md tabulates.

Each sample is counted once, in the first part (in table order) that any frame of its stack
belongs to, so the shares add up to 100%; whatever matches no part is the HTTP server's. Record
a profile of the served sandbox under load and read it::

    .venv/bin/py-spy record -p <server pid> -r 500 -d 8 -f speedscope -o create.json
    .venv/bin/python -m scripts.profile_breakdown create.json [other.json ...]

With several files, each gets a column.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

Frame = tuple[str, str]  # (file, function name without its class)


def _in(*suffixes: str) -> Callable[[Frame], bool]:
    return lambda frame: frame[0].endswith(suffixes)


#: The parts of a request, in table order; a sample goes to the first whose test a frame passes.
PARTS: list[tuple[str, Callable[[Frame], bool]]] = [
    ("store transaction + write-ahead log", lambda frame: "sandbox/store/" in frame[0]),
    ("ids", lambda frame: frame[0].endswith("sandbox/ids.py") or "/ulid/" in frame[0]),
    ("body parse + marshmallow load",
     lambda frame: frame[1] in ("load_body", "parse_json_object") or "/marshmallow/" in frame[0]),
    ("per-request log line",
     lambda frame: frame[0].endswith("sandbox/requestlog.py") or "/logging/" in frame[0]),
    ("request journal", lambda frame: frame[1] in ("_journal", "_journal_unrouted")
     or frame[0].endswith("sandbox/requestjournal.py")),
    ("fault decision", _in("sandbox/api/faulting.py", "sandbox/faults.py")),
    ("auth, seeding, rate limit",
     _in("sandbox/auth.py", "sandbox/seeding.py", "sandbox/ratelimit.py")),
    ("presenting the response", _in("sandbox/api/present.py", "sandbox/jsonencode.py")),
    ("service logic (rest)", lambda frame: "sandbox/services/" in frame[0]),
    ("Flask dispatch and API glue (rest)",
     lambda frame: frame[1] == "__call__" and frame[0].endswith("flask/app.py")),
]
SERVER = "HTTP server (gevent pywsgi, socket)"


def breakdown(profile: dict) -> tuple[dict[str, float], int]:
    """Each part's share of the samples (0-1), and how many samples there were."""
    frames = [(frame.get("file", ""), frame["name"].rsplit(".", 1)[-1])
              for frame in profile["shared"]["frames"]]
    samples = profile["profiles"][0]["samples"]
    counted: Counter[str] = Counter()
    for stack in samples:
        stack_frames = [frames[index] for index in stack]
        part = next((name for name, test in PARTS if any(map(test, stack_frames))), SERVER)
        counted[part] += 1
    total = len(samples) or 1
    return {name: counted[name] / total for name, _ in [*PARTS, (SERVER, None)]}, len(samples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profiles", nargs="+", type=Path, help="py-spy speedscope files")
    arguments = parser.parse_args(argv)
    columns = [breakdown(json.loads(path.read_text())) for path in arguments.profiles]
    width = max(len(name) for name, _ in PARTS)
    print(f"| {'part of the request':<{width}} | "
          + " | ".join(path.stem for path in arguments.profiles) + " |")
    print(f"| {'-' * width} |" + " ---: |" * len(columns))
    for name in [name for name, _ in PARTS] + [SERVER]:
        print(f"| {name:<{width}} | "
              + " | ".join(f"{shares[name]:.1%}" for shares, _ in columns) + " |")
    print(f"| {'samples':<{width}} | " + " | ".join(str(n) for _, n in columns) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
