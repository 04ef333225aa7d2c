"""harness.integrity's canary: the same files as one regex per value per file would find.

The canary searches the whole folder at once, in batches, by runs of letters and digits; the
reference here is the plain definition: a value counts where it stands as a whole token (its
letter-or-digit ends not next to another letter or digit), as written or JSON-escaped, and
inside base64 literals of HTML files."""

from __future__ import annotations

import base64
import json
import random
import re
from pathlib import Path

import pytest

from harness import integrity


def _reference(folder: Path, secrets: list[str]) -> list[str]:
    patterns = [
        re.compile(
            (rb"(?<![A-Za-z0-9])" if n[0] in integrity._ALNUM else b"")
            + re.escape(n)
            + (rb"(?![A-Za-z0-9])" if n[-1] in integrity._ALNUM else b"")
        )
        for n in integrity._needles(secrets)
    ]
    hits = []
    for path in integrity.artifacts(folder):
        data = path.read_bytes()
        chunks = [data] + (list(integrity._decoded_literals(data)) if path.suffix == ".html" else [])
        if any(p.search(chunk) for p in patterns for chunk in chunks):
            hits.append(path.relative_to(folder).as_posix())
    return hits


@pytest.mark.parametrize("batch", [1 << 20, 64, 1])
def test_the_canary_finds_what_one_regex_per_value_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(integrity, "BATCH_BYTES", batch)
    rng = random.Random(5)
    secrets = ["tok-" + "".join(rng.choice("abcdef0123") for _ in range(12)) for _ in range(20)]
    secrets += ["482913", "a/b+c=d", "é-ünï-cödé", 'q"uote\\d', "xy-z", "k.e.y.1", "multi\nline-secret"]
    words = ["alpha", "482913", "4829130", "tok", "-", " ", "\n", '"', "=", "é", "xy", "z", "k.e.y", ".1", "a/b"]
    folder = tmp_path / "run"
    (folder / "allure-results").mkdir(parents=True)
    for n in range(60):
        parts = [rng.choice(words) for _ in range(rng.randint(0, 30))]
        if rng.random() < 0.3:
            secret = rng.choice(secrets)
            parts.insert(rng.randint(0, len(parts)), rng.choice([secret, json.dumps(secret)[1:-1], "x" + secret]))
        text = "".join(parts)
        name = f"allure-results/{n:03d}-attachment.json"
        if rng.random() < 0.1:
            payload = base64.b64encode(f'{{"v":"{rng.choice(secrets)}"}}'.encode()).decode()
            text, name = f'<script>d("x","{payload}")</script>' + text, f"page-{n}.html"
        (folder / name).write_text(text, encoding="utf-8")
    # a value split across two files is in neither
    (folder / "split-1.txt").write_text("end tok-", encoding="utf-8")
    (folder / "split-2.txt").write_text(secrets[0][4:] + " start", encoding="utf-8")
    # the files are searched joined by newlines: a value with a newline must not match across the joint
    (folder / "split-3.txt").write_text("x multi", encoding="utf-8")
    (folder / "split-4.txt").write_text("line-secret y", encoding="utf-8")
    expected = _reference(folder, secrets)
    assert expected and len(expected) < 60, "the data has hits and misses"
    assert not {"split-1.txt", "split-2.txt", "split-3.txt", "split-4.txt"} & set(expected)
    assert integrity.leaks(folder, secrets) == expected
