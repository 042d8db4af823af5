"""Translation upkeep: extract messages, update both catalogs, fill English, compile.

Usage: python tools/i18n.py [--zh FILE.json]
New Chinese texts come from FILE and from webapp/translations/pending/*.json (English msgid -> 中文).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
POT = ROOT / "build" / "messages.pot"
# Babel spells the zh_CN locale zh_Hans_CN, and looks for its catalog under that name.
CHINESE = "zh_Hans_CN"


def extract() -> None:
    POT.parent.mkdir(exist_ok=True)
    subprocess.run(  # noqa: S603 (our own interpreter and fixed arguments)
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "_l",
            "--no-location",
            "--sort-output",
            "-o",
            str(POT),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    for lang in (CHINESE, "en"):
        subprocess.run(  # noqa: S603 (our own interpreter and fixed arguments)
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "update",
                "-i",
                str(POT),
                "-d",
                str(TRANSLATIONS),
                "-l",
                lang,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            ],
            check=True,
            capture_output=True,
        )


def fill(lang: str, mapping: dict[str, str] | None) -> list[str]:
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if lang == "en" and not message.string:
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
        elif mapping and key in mapping:
            value = mapping[key]
            message.string = (value,) if message.pluralizable and isinstance(value, str) else value
        message.flags.discard("fuzzy")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(key)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, no_location=True)
    with (path.with_suffix(".mo")).open("wb") as fh:
        write_mo(fh, catalog)
    return missing


def main() -> int:
    mapping: dict[str, str] = {}
    sources = sorted((TRANSLATIONS / "pending").glob("*.json"))
    if "--zh" in sys.argv:
        sources.append(Path(sys.argv[sys.argv.index("--zh") + 1]))
    for source in sources:
        mapping.update(json.loads(source.read_text(encoding="utf-8")))
    extract()
    fill("en", None)
    missing = fill(CHINESE, mapping)
    for key in missing:
        print(f"untranslated ({CHINESE}): {key}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
