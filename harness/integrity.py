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
import bisect
import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

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
    return [Path(path) for _, path in _artifacts(run_dir)]


def _artifacts(run_dir: Path) -> list[tuple[str, str]]:
    """(relative POSIX path, path) of every artifact, sorted by relative path: `os.scandir`, not
    `rglob` (a run folder holds about two thousand files). Files are regular files or links to
    them; a link to a folder is not followed (as `rglob` does not)."""
    out: list[tuple[str, str]] = []
    stack = [(os.fspath(run_dir), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file() and rel not in _NOT_ARTIFACTS:
                    out.append((rel, entry.path))
    out.sort()
    return out


def _read(path: str | Path) -> bytes:
    """A file's bytes with as few calls as there are (no buffered reader: the files are read whole)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        chunks = [os.read(fd, size + 1)]
        while chunks[-1]:  # a file that grew since fstat
            chunks.append(os.read(fd, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(fd)


def sha256(path: str | Path) -> str:
    return hashlib.sha256(_read(path)).hexdigest()


def write_sums(run_dir: Path) -> Path:
    """(Re)write SHA256SUMS over every artifact of the run folder; written last."""
    run_dir = Path(run_dir)
    lines = [f"{hashlib.sha256(_read(path)).hexdigest()}  {rel}" for rel, path in _artifacts(run_dir)]
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
    present = dict(_artifacts(run_dir))
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
_RUNS = bytes(b if b in _ALNUM else 0x20 for b in range(256))
"""`bytes.translate` table: letters and digits stay, every other byte becomes a space, so that
`split()` yields a text's runs of letters and digits at C speed."""


class _Matcher:
    """Finds any of many values in linear time: a value counts where it stands as a whole
    token (not inside a longer run of letters and digits, so a 6-digit OTP does not match
    inside a timestamp). Each value is keyed by its longest run of letters and digits: it can
    be in a text only if that key is one of the text's runs. The runs of all the texts are
    collected at once (C speed); only values whose key occurs are searched for."""

    def __init__(self, needles: Iterable[bytes]) -> None:
        self.keyed: dict[bytes, list[bytes]] = {}
        self.loose: list[bytes] = []
        for needle in needles:
            key = max(_ALNUM_RUN.findall(needle), key=len, default=b"")
            if len(key) >= 3:
                self.keyed.setdefault(key, []).append(needle)
            else:
                self.loose.append(needle)

    def __bool__(self) -> bool:
        return bool(self.keyed or self.loose)

    def found(self, data: bytes) -> bool:
        return bool(self.holding([data]))

    def holding(self, texts: Sequence[bytes]) -> set[int]:
        """The indexes of the texts that hold a value.

        The texts are searched as one, joined by newlines (a run of letters and digits never
        spans one), their runs taken from the distinct lines (indented JSON repeats most of
        its lines). A value counts in the one text its occurrence lies within."""
        if not texts or not self:
            return set()
        joined = b"\n".join(texts)
        lines = b"\n".join(set(joined.split(b"\n")))
        present = set(filter(self.keyed.__contains__, lines.translate(_RUNS).split()))
        candidates = [needle for key in sorted(present) for needle in self.keyed[key]] + self.loose
        if not candidates:
            return set()
        starts, offset = [], 0
        for text in texts:
            starts.append(offset)
            offset += len(text) + 1
        hits: set[int] = set()
        for needle in candidates:
            for at in _whole(needle, joined):
                index = bisect.bisect_right(starts, at) - 1
                if at + len(needle) <= starts[index] + len(texts[index]):  # not across a joint
                    hits.add(index)
        return hits


def _whole(needle: bytes, data: bytes) -> Iterable[int]:
    """Where `needle` occurs in `data` as a whole token: an end of it that is a letter or digit
    is not next to another (the edges of `data` count as neither)."""
    before, after = needle[0] in _ALNUM, needle[-1] in _ALNUM
    at = data.find(needle)
    while at >= 0:
        end = at + len(needle)
        if not (before and at and data[at - 1] in _ALNUM) and not (after and end < len(data) and data[end] in _ALNUM):
            yield at
        at = data.find(needle, at + 1)


BATCH_BYTES = 1 << 20
"""The canary reads the folder in batches of about this many bytes, each searched as one text:
its memory stays a few times this, whatever the size of the folder."""


def leaks(run_dir: Path, secrets: Iterable[str], files: Iterable[Path] | None = None) -> list[str]:
    """Relative paths of the files of the run folder (or of `files` in it) that contain a registered secret."""
    run_dir = Path(run_dir)
    matcher = _Matcher(_needles(secrets))
    if not matcher:
        return []
    named: list[tuple[str, str | Path]]
    if files is None:
        named = list(_artifacts(run_dir))
        if (run_dir / SUMS_FILE).is_file():
            named.append((SUMS_FILE, run_dir / SUMS_FILE))
    else:
        named = [(Path(path).relative_to(run_dir).as_posix(), path) for path in files]
    hits: list[str] = []
    batch: list[tuple[str, bytes]] = []
    size = 0
    for rel, path in named:
        try:
            data = _read(path)
        except OSError:
            continue
        batch.append((rel, data))
        size += len(data)
        if size >= BATCH_BYTES:
            hits += _batch_leaks(matcher, batch)
            batch, size = [], 0
    return hits + _batch_leaks(matcher, batch)


def _batch_leaks(matcher: _Matcher, batch: list[tuple[str, bytes]]) -> list[str]:
    """The names of the files of a batch that hold a value, as written or in a base64 literal."""
    found = matcher.holding([data for _, data in batch])
    for index, (rel, data) in enumerate(batch):
        if index in found:
            continue
        if rel.endswith((".html", ".htm", ".js")) or (b";base64," in data and _DATA_URL.search(data)):
            if matcher.holding(list(_decoded_literals(data))):
                found.add(index)
    return [rel for index, (rel, _) in enumerate(batch) if index in found]


def mask_late(run_dir: Path, hits: Iterable[str], redactor: Any) -> list[str]:
    """Of the files the canary hit, the ones that only hold values registered as secrets after
    the file was last written, masked in place; their relative paths.

    Evidence is redacted as it is written, with the secrets known then. A value that becomes a
    secret later (an OTP sent in a later case) may already stand in earlier evidence by chance:
    a 6-digit OTP equal to the tail of a client id written a minute before. That is no
    redaction fault, and the value is masked now. A file that holds a value registered before
    it was written is a redaction fault and stays a hit. Values known only to xdist workers have
    no registration time here: they stay hits."""
    masked: list[str] = []
    values = [v for v in redactor.values if len(set(v)) >= MIN_DISTINCT]
    for rel in hits:
        path = Path(run_dir) / rel
        try:
            written = path.stat().st_mtime_ns
            data = _read(path)
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        held = [v for v in values if _Matcher(_needles([v])).found(data)]
        registered = [redactor.registered_ns(v) for v in held]
        if not held or any(at is None or at <= written for at in registered):
            continue
        path.write_text(redactor.text(text), encoding="utf-8")
        if not leaks(Path(run_dir), held, files=[path]):
            masked.append(rel)
    return masked


def canary_message(hits: list[str], run_dir: Path) -> str:
    names = "\n".join(f"  {Path(run_dir) / rel}" for rel in hits)
    return (
        f"redaction canary: a registered secret value was found in {len(hits)} file(s) of the run folder "
        f"(the value is not shown):\n{names}\n"
        "Do not share this folder; the run fails with exit code 3."
    )
