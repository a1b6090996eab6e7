"""Nothing in the repository points outside it: code, docs and tests name only their own files.

A clone must be readable on its own. Paths of the machine it was written on (`/work/...`)
or of documents beside the repository (`../shared/...`) mean nothing to a reader of the
clone, and the documents they name are not shipped. Their content belongs in `docs/`.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THIS = Path(__file__).resolve()

TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".json", ".csv", ".sh"}
TEXT_NAMES = {"Makefile", ".gitignore", "run"}
# Folders that are not the project's own text: virtualenvs, caches, build output, workspaces.
SKIP_DIRS = {
    ".git",
    "__pycache__",
    "build",
    "dist",
    "mlruns",
    "ews-home",
    ".hypothesis",
    ".import_linter_cache",
}

OUTSIDE = re.compile(r"/work/|\.\./shared\b|\bshared/[\w.-]+\.md")
# The notes kept beside the repository, named bare: `domain.md §2`, `reliability.md F01`.
# A name with a folder (`docs/contract.md`), or one that `docs/` holds, is the project's own.
NOTES = ("domain", "reliability", "style", "ecosystem", "contract")
OUTSIDE_NOTES = re.compile(
    r"(?<![\w/.-])(?:" + "|".join(n for n in NOTES if not (ROOT / "docs" / f"{n}.md").exists()) + r")\.md\b"
)
CODE_AND_DOCS = {".py", ".md", ".toml"}


def _candidates() -> list[Path]:
    """The repository's files as a clone has them: tracked and new, minus what git ignores."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        return [ROOT / name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        found: list[Path] = []
        for folder, dirs, files in os.walk(ROOT):
            dirs[:] = [
                d
                for d in dirs
                if d not in SKIP_DIRS
                and not d.startswith(".venv")
                and not d.endswith(("_cache", ".egg-info"))
            ]
            found.extend(Path(folder) / f for f in files)
        return found


def _text_files() -> list[Path]:
    files: list[Path] = []
    for path in _candidates():
        rel = path.relative_to(ROOT)
        if rel.parts[0].startswith(".venv") or path == THIS or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            files.append(path)
    return files


def _hits(pattern: re.Pattern[str], suffixes: set[str] | None = None) -> list[str]:
    hits: list[str] = []
    for path in _text_files():
        if suffixes is not None and path.suffix not in suffixes and path.name != "Makefile":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    return hits


def test_the_scan_sees_the_project_s_files() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _text_files()}
    assert {"README.md", "docs/contract.md", "data/schemas.py", "Makefile"} <= names
    assert not any(n.startswith(".venv") for n in names)


def test_no_file_names_a_path_outside_the_repository() -> None:
    hits = _hits(OUTSIDE)
    assert not hits, "paths outside the repository:\n" + "\n".join(hits)


def test_no_code_or_doc_cites_notes_kept_outside_the_repository() -> None:
    hits = _hits(OUTSIDE_NOTES, CODE_AND_DOCS)
    assert not hits, "documents that are not in the repository:\n" + "\n".join(hits)
