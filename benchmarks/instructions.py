"""Client instructions per call (valgrind's callgrind), against raw HTTP, as ratios.

    python benchmarks/instructions.py [--calls 1000] [--json]

The CPU-time figures of ``typed.py`` move by 10-20 % from one round to the next on a
2-core machine (socket wake-ups, caches, the other core's load). The number of instructions
a call executes does not: this script counts them with ``valgrind --tool=callgrind`` for
the same ways and answers as ``typed.py`` (the canned 3.3.2 answers on a loopback server in
another, uninstrumented process). Each way runs in its own instrumented process twice,
with 0 and with ``--calls`` calls after the same warm-up; the difference divided by the
calls is one call's instructions, start-up and imports excluded. The same binary, inputs
and environment give the same counts, whatever else the machine does.

Needs valgrind (Debian's ``valgrind``); prints one table and a ``bench-json`` line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from typed import (  # noqa: E402
    KINDS,
    answers,
    canned_server,
    generated_calls,
    official_calls,
    raw_calls,
    typed_calls,
)

WAYS = ("raw", "official", "generated", "typed")
WARM_UP = 20


def _child(url: str, way: str, kind: int, calls: int) -> None:
    """In the instrumented process: warm up, then make ``calls`` calls."""
    makers = {
        "raw": lambda: raw_calls(url),
        "official": lambda: official_calls(url),
        "generated": lambda: generated_calls(url),
        "typed": lambda: typed_calls(url, 100),
    }
    call = makers[way]()[kind]
    for _ in range(WARM_UP + calls):
        call()


def _instructions(url: str, way: str, kind: int, calls: int, scratch: Path) -> int:
    out = scratch / f"{way}-{kind}-{calls}.out"
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
         __file__, "--child", url, way, str(kind), str(calls)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls of the small GET")
    parser.add_argument("--json", action="store_true", help="end with a bench-json line")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    counts: dict[str, dict[str, int]] = {}
    with canned_server(answers(100)) as url, tempfile.TemporaryDirectory() as tmp:
        for kind, label in enumerate(KINDS):
            calls = args.calls if kind == 0 else max(1, args.calls // 10)
            for way in WAYS:
                base = _instructions(url, way, kind, 0, Path(tmp))
                total = _instructions(url, way, kind, calls, Path(tmp))
                counts.setdefault(label, {})[way] = (total - base) // calls
    print("client instructions per call (callgrind), ratio to raw urllib3 + json")
    for label, ways in counts.items():
        cells = "".join(
            f"{way:>10s} {ways[way] / 1000:8.0f}k {ways[way] / ways['raw']:5.2f}x" for way in WAYS
        )
        print(f"{label:26s}{cells}")
    if args.json:
        doc = {"bench": "instructions", "unit": "instructions per call", "results": counts}
        print("bench-json " + json.dumps(doc, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
