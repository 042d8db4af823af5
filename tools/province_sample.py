"""Regenerate the sample in docs/province_export.md from a real run: a fresh SQLite city with
synthetic residents, `flask province export --period 2026-11`, then the manifest, its signature and
the first lines of each batch pasted between the sample markers. Usage: .venv/bin/python tools/province_sample.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "province_export.md"
BEGIN, END = "<!-- sample: begin (tools/province_sample.py) -->", "<!-- sample: end -->"
SAMPLE_KEYS = {
    "PROVINCE_PSEUDONYM_KEY": "sample-pseudonym-key-not-for-production",
    "PROVINCE_SIGNING_KEY": "sample-signing-key-not-for-production!",
}


def flask(env: dict, *args: str) -> str:
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout  # noqa: S603


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "APP_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp}/sample.db",
            "SECRET_KEY": "sample-secret-key-0123456789",
            "LOG_LEVEL": "WARNING",
            **SAMPLE_KEYS,
        }
        flask(env, "db", "upgrade")
        flask(env, "seed", "city")
        flask(
            env, "seed", "synthetic", "--residents", "400", "--actions", "8000", "--days", "30", "--until", "2026-11-30"
        )
        out = Path(tmp) / "export"
        line = flask(env, "province", "export", "--period", "2026-11", "--out", str(out)).strip()
        directory = out / "2026-11"
        manifest = (directory / "manifest.json").read_text()
        parts = [f"Run: `flask province export --period 2026-11` -> {line.replace(str(out), 'OUT')}", ""]
        parts += ["`manifest.json`:", "", "```json", manifest.rstrip(), "```", ""]
        parts += ["`manifest.sig`:", "", "```", (directory / "manifest.sig").read_text().strip(), "```", ""]
        for batch in json.loads(manifest)["batches"]:
            head = (directory / batch["file"]).read_text().splitlines()[:3]
            parts += [f"`{batch['file']}` (first 3 of {batch['records']} lines):", "", "```json", *head, "```", ""]
    text = DOC.read_text()
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(before + BEGIN + "\n" + "\n".join(parts) + END + after)


if __name__ == "__main__":
    main()
