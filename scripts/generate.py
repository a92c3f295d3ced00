"""Generate the Python clients from the locked specs: ``make generate`` / ``make check-generated``.

    python scripts/generate.py --generator .tools/venv/bin/openapi-generator-cli --out generated
    python scripts/generate.py --generator ... --check     # regenerate in a temp dir and diff

For each target: check the spec against the lock, apply the transforms of
``scripts/transforms.py`` to an in-memory copy, run openapi-generator (``python`` generator,
urllib3 library, lazy imports, our template overrides from ``scripts/templates/python``) into
a temporary folder and copy the package folder into the output. Nothing in the output carries
a date or a machine path, so two runs give identical trees.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml
from specs import GENERATOR_VERSION, ROOT, TARGETS, TEMPLATES_DIR, Target, locked_spec_path
from transforms import apply_transforms

#: Templates we override, with the sha256 of the upstream template each was derived from.
#: A generator bump that changes one of them stops generation until the override is redone.
TEMPLATE_OVERRIDES = {
    # a required-but-nullable field is sent as null when unset (x-send-null-when-unset); an
    # inline enum marked x-tolerate-unknown-values gets no validator
    "python/model_generic.mustache": (
        "99fc9fb743f5cceeccad02aed5925f817118c04993f76de67faf2d8c7332a1ff"
    ),
    # datetime query parameters as RFC 3339 (isoformat), which Airflow accepts
    "python/api.mustache": "5cd7478aecfb92248178fcfd09b1dd19fee36c0987177fc49f73a16bb5207054",
    # an enum marked x-tolerate-unknown-values keeps a value it does not know (_missing_)
    "python/model_enum.mustache": (
        "6ea1f9f84c8b870571045a0326ea228f7ef105e4e80434659907271e222fdf6b"
    ),
}

GLOBAL_PROPERTIES = "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false"


def find_jar(generator: Path) -> Path:
    """Locate the jar bundled with the openapi-generator-cli package of the tool venv."""
    venv = generator.resolve().parent.parent
    jars = sorted(
        venv.glob("lib/python*/site-packages/openapi_generator_cli/openapi-generator.jar")
    )
    if not jars:
        raise SystemExit(f"no openapi-generator.jar under {venv}; run `make tools`")
    return jars[0]


def check_template_overrides(generator: Path) -> None:
    with zipfile.ZipFile(find_jar(generator)) as jar:
        for name, expected in TEMPLATE_OVERRIDES.items():
            actual = hashlib.sha256(jar.read(name)).hexdigest()
            if actual != expected:
                raise SystemExit(
                    f"openapi-generator's {name} changed (sha256 {actual}); re-derive "
                    f"scripts/templates/{name} from it and update TEMPLATE_OVERRIDES."
                )


def check_generator_version(generator: Path) -> None:
    out = subprocess.run([str(generator), "version"], capture_output=True, text=True, check=True)
    version = out.stdout.strip().splitlines()[-1]
    if version != GENERATOR_VERSION:
        raise SystemExit(
            f"openapi-generator-cli is {version}, the pipeline pins {GENERATOR_VERSION}"
        )


def generate_one(
    target: Target, generator: Path, out_dir: Path, work: Path, *, lazy_imports: bool = True
) -> float:
    spec_path, entry = locked_spec_path(target.spec_id)
    spec = yaml.safe_load(spec_path.read_text())
    transformed = apply_transforms(target.spec_id, spec)
    spec_file = work / f"{target.spec_id}.json"
    spec_file.write_text(json.dumps(transformed, indent=1, ensure_ascii=False))

    raw = work / f"{target.spec_id}-out"
    properties = ",".join(
        [
            f"packageName={target.package}",
            f"packageVersion={entry['version']}",
            "library=urllib3",
            f"lazyImports={str(lazy_imports).lower()}",
            "generateSourceCodeOnly=true",
            "hideGenerationTimestamp=true",
        ]
    )
    command = [
        str(generator),
        "generate",
        "--generator-name",
        "python",
        "--input-spec",
        str(spec_file),
        "--output",
        str(raw),
        "--template-dir",
        str(TEMPLATES_DIR / "python"),
        "--additional-properties",
        properties,
        "--global-property",
        GLOBAL_PROPERTIES,
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"openapi-generator failed for {target.spec_id} ({spec_path.name})")

    destination = out_dir / target.package
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(raw / target.package, destination)
    # PEP 561 marker: the generated code is fully annotated (the generator writes it only
    # with the packaging files that generateSourceCodeOnly turns off)
    (destination / "py.typed").touch()
    return elapsed


def diff_trees(expected: Path, actual: Path) -> list[str]:
    """Return a readable list of differences between two trees (empty when identical)."""
    problems: list[str] = []

    def walk(cmp: filecmp.dircmp[str], rel: Path) -> None:
        for name in sorted(cmp.left_only):
            problems.append(f"only in {expected.name}/: {rel / name}")
        for name in sorted(cmp.right_only):
            problems.append(f"missing from {expected.name}/: {rel / name}")
        for name in sorted(cmp.diff_files):
            left = (Path(cmp.left) / name).read_text().splitlines()
            right = (Path(cmp.right) / name).read_text().splitlines()
            lines = list(
                difflib.unified_diff(
                    left, right, f"generated/{rel / name}", f"regenerated/{rel / name}", lineterm=""
                )
            )
            problems.append("\n".join(lines[:40]))
        for name, sub in sorted(cmp.subdirs.items()):
            walk(sub, rel / name)

    walk(filecmp.dircmp(expected, actual, ignore=["__pycache__"]), Path())
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", type=Path, required=True, help="openapi-generator-cli")
    parser.add_argument("--out", type=Path, default=ROOT / "generated")
    parser.add_argument("--check", action="store_true", help="diff a fresh generation with --out")
    parser.add_argument("--only", action="append", choices=sorted(TARGETS), help="spec ids")
    parser.add_argument(
        "--eager-imports",
        action="store_true",
        help="generate without lazy imports (for the import-time benchmark only)",
    )
    args = parser.parse_args()

    check_generator_version(args.generator)
    check_template_overrides(args.generator)
    targets = [TARGETS[t] for t in (args.only or sorted(TARGETS))]
    os.environ.setdefault("JAVA_TOOL_OPTIONS", "-Dfile.encoding=UTF-8")

    with tempfile.TemporaryDirectory(prefix="airflow-client-ext-gen-") as tmp:
        work = Path(tmp)
        out = work / "generated" if args.check else args.out
        out.mkdir(parents=True, exist_ok=True)
        for target in targets:
            elapsed = generate_one(
                target, args.generator, out, work, lazy_imports=not args.eager_imports
            )
            print(f"{target.spec_id}: generated {target.package} in {elapsed:.1f} s")
        if args.check:
            problems: list[str] = []
            for target in targets:
                problems += diff_trees(args.out / target.package, out / target.package)
            if problems:
                print("\n".join(problems))
                raise SystemExit(
                    f"{len(problems)} difference(s) between {args.out} and a fresh generation: "
                    "run `make generate` and commit the result (never edit generated files)."
                )
            print(f"no drift: {args.out} matches a fresh generation")


if __name__ == "__main__":
    main()
