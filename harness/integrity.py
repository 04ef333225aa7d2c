"""Integrity of a run folder: `SHA256SUMS` over every artifact, and the redaction canary.

`SHA256SUMS` has the `sha256sum` format (`<hex>  <relative path>`), so
`cd RUN_DIR && sha256sum -c SHA256SUMS` checks a folder without the harness too.

The canary searches every file of the run folder for every secret value registered with
the run's redactor: as written, JSON-escaped, and inside base64 literals (Allure's
single-file report embeds its data as base64). A hit names the file, never the value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

SUMS_FILE = "SHA256SUMS"
SIG_FILE = "SHA256SUMS.sig"
SIGNER_FILE = "SIGNER"
_NOT_ARTIFACTS = frozenset({SUMS_FILE, SIG_FILE, SIGNER_FILE})
"""SHA256SUMS, and the signature of its exact bytes with the signer's fingerprint (harness/signing.py),
are made from the checksums and so are not listed in them."""
_B64_LITERAL = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")
_DATA_URL = re.compile(rb"data:[\w.+/-]+;base64,")
_APP_DATA_URL = re.compile(
    rb"data:(?:text/javascript|text/css|application/javascript|font/|image/|application/font)"
    rb"[\w.+/-]*;base64,$"
)
MIN_DISTINCT = 4
"""A value of fewer distinct characters (`000000`, a deliberately wrong OTP) is no secret
to look for: it cannot be told apart from ordinary data (`#000000`)."""

_remembered: dict[str, frozenset[str]] = {}
"""Secrets of the runs of this process, by run folder, in memory only (for `run --html`)."""


def remember_secrets(run_dir: Path, values: Iterable[str]) -> None:
    _remembered[str(Path(run_dir).resolve())] = frozenset(values)


def remembered_secrets(run_dir: Path) -> frozenset[str]:
    return _remembered.get(str(Path(run_dir).resolve()), frozenset())


# -- checksums ------------------------------------------------------------------------------


def artifacts(run_dir: Path) -> list[Path]:
    """Every file of the run folder except SHA256SUMS and its signature files, sorted by relative path."""
    run_dir = Path(run_dir)
    files = [p for p in run_dir.rglob("*") if p.is_file() and p.relative_to(run_dir).as_posix() not in _NOT_ARTIFACTS]
    return sorted(files, key=lambda p: p.relative_to(run_dir).as_posix())


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(run_dir: Path) -> Path:
    """(Re)write SHA256SUMS over every artifact of the run folder; written last."""
    run_dir = Path(run_dir)
    lines = [f"{sha256(p)}  {p.relative_to(run_dir).as_posix()}" for p in artifacts(run_dir)]
    out = run_dir / SUMS_FILE
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def read_sums(run_dir: Path) -> dict[str, str]:
    """Relative path -> expected digest; raises ValueError on a malformed line."""
    sums: dict[str, str] = {}
    text = (Path(run_dir) / SUMS_FILE).read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not match:
            raise ValueError(f"{SUMS_FILE} line {n} is not '<sha256>  <path>'")
        sums[match.group(2)] = match.group(1)
    return sums


def add_to_sums(run_dir: Path, path: Path) -> None:
    """Add (or replace) one file's line, leaving the other lines as they are."""
    run_dir = Path(run_dir)
    if not (run_dir / SUMS_FILE).exists():
        return
    sums = read_sums(run_dir)
    sums[Path(path).resolve().relative_to(run_dir.resolve()).as_posix()] = sha256(path)
    lines = [f"{digest}  {rel}" for rel, digest in sorted(sums.items())]
    (run_dir / SUMS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def check_sums(run_dir: Path) -> list[str]:
    """Problems found, each naming a file: changed, missing, or not listed."""
    run_dir = Path(run_dir)
    if not (run_dir / SUMS_FILE).is_file():
        return [f"{SUMS_FILE}: missing, the folder cannot be verified"]
    try:
        sums = read_sums(run_dir)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    present = {p.relative_to(run_dir).as_posix(): p for p in artifacts(run_dir)}
    for rel, digest in sums.items():
        path = present.get(rel)
        if path is None:
            problems.append(f"{rel}: listed in {SUMS_FILE} but missing")
        elif sha256(path) != digest:
            problems.append(f"{rel}: content changed (SHA-256 does not match {SUMS_FILE})")
    for rel in present:
        if rel not in sums:
            problems.append(f"{rel}: not listed in {SUMS_FILE} (added after the run)")
    return problems


# -- the redaction canary -------------------------------------------------------------------


def _needles(secrets: Iterable[str]) -> list[bytes]:
    out: set[bytes] = set()
    for value in secrets:
        if len(set(value)) < MIN_DISTINCT:
            continue
        out.add(value.encode("utf-8"))
        escaped = json.dumps(value)[1:-1]
        out.add(escaped.encode("utf-8"))
        out.add(json.dumps(value, ensure_ascii=False)[1:-1].encode("utf-8"))
    return sorted(out, key=len, reverse=True)


def _decoded_literals(data: bytes) -> Iterable[bytes]:
    """The base64 payloads inside a file (Allure's `d("name","...")` data, data: URLs), decoded;
    not the report application's own code, styles, fonts and images, which hold no run data."""
    for match in _B64_LITERAL.finditer(data):
        if _APP_DATA_URL.search(data, max(0, match.start() - 80), match.start()):
            continue
        chunk = match.group()
        try:
            yield base64.b64decode(chunk + b"=" * (-len(chunk) % 4), validate=False)
        except (binascii.Error, ValueError):
            continue


_ALNUM_RUN = re.compile(rb"[A-Za-z0-9]+")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


class _Matcher:
    """Finds any of many values in linear time: a value counts where it stands as a whole
    token (not inside a longer run of letters and digits, so a 6-digit OTP does not match
    inside a timestamp). Each value is keyed by its longest run of letters and digits; a
    file's runs are collected once (C speed) and only values whose key occurs are checked."""

    def __init__(self, needles: Iterable[bytes]) -> None:
        self.keyed: dict[bytes, list[re.Pattern[bytes]]] = {}
        self.loose: list[re.Pattern[bytes]] = []
        for needle in needles:
            pattern = re.compile(
                (rb"(?<![A-Za-z0-9])" if needle[0] in _ALNUM else b"")
                + re.escape(needle)
                + (rb"(?![A-Za-z0-9])" if needle[-1] in _ALNUM else b"")
            )
            key = max(_ALNUM_RUN.findall(needle), key=len, default=b"")
            if len(key) >= 3:
                self.keyed.setdefault(key, []).append(pattern)
            else:
                self.loose.append(pattern)

    def __bool__(self) -> bool:
        return bool(self.keyed or self.loose)

    def found(self, data: bytes) -> bool:
        if any(p.search(data) for p in self.loose):
            return True
        runs = set(_ALNUM_RUN.findall(data))
        for key in self.keyed.keys() & runs if len(self.keyed) < len(runs) else runs & self.keyed.keys():
            if any(p.search(data) for p in self.keyed[key]):
                return True
        return False


def leaks(run_dir: Path, secrets: Iterable[str], files: Iterable[Path] | None = None) -> list[str]:
    """Relative paths of the files of the run folder (or of `files` in it) that contain a registered secret."""
    run_dir = Path(run_dir)
    matcher = _Matcher(_needles(secrets))
    if not matcher:
        return []
    hits = []
    if files is None:
        files = artifacts(run_dir) + ([run_dir / SUMS_FILE] if (run_dir / SUMS_FILE).is_file() else [])
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        found = matcher.found(data)
        if not found and (path.suffix in (".html", ".htm", ".js") or _DATA_URL.search(data)):
            found = any(matcher.found(chunk) for chunk in _decoded_literals(data))
        if found:
            hits.append(path.relative_to(run_dir).as_posix())
    return hits


def canary_message(hits: list[str], run_dir: Path) -> str:
    names = "\n".join(f"  {Path(run_dir) / rel}" for rel in hits)
    return (
        f"redaction canary: a registered secret value was found in {len(hits)} file(s) of the run folder "
        f"(the value is not shown):\n{names}\n"
        "Do not share this folder; the run fails with exit code 3."
    )
