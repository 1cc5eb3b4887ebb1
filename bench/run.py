"""Runs every ``bench/bench_*.py`` and writes bench/results.json.

Each module has ``run() -> dict[name, {"value", "unit", "baseline", "ratio"}]``: its figures and the
baseline it measured in the same run. Run as ``make bench``; ``python bench/run.py NAME`` runs one module.
The load tests (``load_*.py``, minutes each) run only when named or with ``SKM_BENCH_LOAD=1``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(only: list[str]) -> None:
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    with_load = os.environ.get("SKM_BENCH_LOAD") == "1"
    for path in sorted(HERE.glob("bench_*.py")) + sorted(HERE.glob("load_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        if path.stem.startswith("load_") and not (with_load or path.stem in only):
            continue
        print(f"== {path.stem}", flush=True)
        for name, figure in load(path).run().items():
            results[name] = figure
            print(f"{name:<40} {figure['value']:>12.4g} {figure['unit']:<10} "
                  f"baseline {figure['baseline']:>10.4g}  ratio {figure['ratio']:.3f}", flush=True)
    results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"written {results_path}")


if __name__ == "__main__":
    main(sys.argv[1:])
