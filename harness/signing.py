"""Ed25519 signatures of a run folder's `SHA256SUMS`: who sealed these exact files.

`SHA256SUMS` alone proves nothing against a forger, who can edit a file and recompute it.
With `psd2-harness run --sign-key KEY`, the exact bytes of `SHA256SUMS` (which lists every
other file of the folder) are signed once everything else is written:

- `SHA256SUMS.sig`: the detached Ed25519 signature of `SHA256SUMS`, base64, one line;
- `SIGNER`: the fingerprint of the signing public key (SHA-256 of its 32 raw bytes, hex).

Neither is listed in `SHA256SUMS` (they are made from it). `psd2-harness verify RUN_DIR
--public-key KEY.pub` checks the signature. What it proves: the holder of the private key
sealed exactly these files. What it does not: that the harness which wrote them was
unmodified, or that the key was not stolen.

All cryptography is the `cryptography` package's (OpenSSL's Ed25519). The private key stays
in memory: it is never written to the run folder, a log or the terminal (messages name the
key file and the fingerprint only), and the folder is searched for it before it is signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from harness import integrity

SIG_FILE = integrity.SIG_FILE
SIGNER_FILE = integrity.SIGNER_FILE


class SigningError(Exception):
    """A key that cannot be used, or a folder that cannot be signed; the message names no secret."""


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True, repr=False)
class Signer:
    """A loaded private key; its repr shows the fingerprint, never the key."""

    _key: Ed25519PrivateKey
    source: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self._key.public_key())

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def _secret_forms(self) -> list[str]:
        """The private key as it could appear in a file (for the search before signing)."""
        raw = self._key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
        return [raw.hex(), base64.b64encode(raw).decode("ascii"), body]

    def __repr__(self) -> str:
        return f"Signer(ed25519 {self.fingerprint}, from {self.source})"


# -- keys -----------------------------------------------------------------------------------


def _passphrase(passphrase_env: str | None) -> bytes | None:
    if not passphrase_env:
        return None
    value = os.environ.get(passphrase_env)
    if not value:
        raise SigningError(
            f"environment variable {passphrase_env} (named for the key's passphrase) is "
            + ("empty" if value is not None else "not set")
        )
    return value.encode("utf-8")


def load_signer(path: str | Path, passphrase_env: str | None = None) -> Signer:
    """The Ed25519 private key of a PEM file (PKCS#8, or OpenSSH's format); its passphrase, if
    any, from the environment variable `passphrase_env`. Raises SigningError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the signing key ({exc.strerror})") from None
    password = _passphrase(passphrase_env)
    key: PrivateKeyTypes  # any kind of key loads; only an Ed25519 one is accepted below
    try:
        if data.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
            key = serialization.load_ssh_private_key(data, password=password)
        else:
            key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise SigningError(
                f"{path}: the key is encrypted; name the environment variable that holds its "
                "passphrase with --sign-key-passphrase-env NAME"
            ) from None
        raise SigningError(f"{path}: the key is not encrypted, but a passphrase was given") from None
    except (ValueError, UnsupportedAlgorithm):
        hint = "wrong passphrase, or " if password is not None else ""
        raise SigningError(f"{path}: cannot load the signing key ({hint}not a PEM private key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 private key (make one with `psd2-harness keygen PATH`)")
    return Signer(key, str(path))


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key: PEM (SubjectPublicKeyInfo, as `keygen` writes) or one OpenSSH line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the public key ({exc.strerror})") from None
    if b"PRIVATE KEY" in data:
        raise SigningError(f"{path}: this is a private key; give verify the public key (the .pub file)")
    key: PublicKeyTypes  # any kind of key loads; only an Ed25519 one is accepted below
    try:
        if data.lstrip().startswith(b"ssh-"):
            key = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(f"{path}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path}: not an Ed25519 public key")
    return key


def keygen(path: str | Path, passphrase_env: str | None = None) -> tuple[Path, Path, str]:
    """Write a new Ed25519 private key to `path` (PKCS#8 PEM, mode 0600, encrypted when a
    passphrase is named) and its public key to `path.pub`. Never overwrites. Returns
    (private path, public path, fingerprint)."""
    path = Path(path)
    pub = path.with_name(path.name + ".pub")
    for existing in (path, pub):
        if existing.exists():
            raise SigningError(f"{existing}: exists; keygen never overwrites a key")
    password = _passphrase(passphrase_env)
    key = Ed25519PrivateKey.generate()
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SigningError(f"{path}: cannot create the key file ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(pem)
    public = key.public_key()
    pub.write_bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, pub, fingerprint(public)


# -- sealing and checking a run folder ------------------------------------------------------


def sign_run_dir(run_dir: Path, signer: Signer) -> str:
    """Sign RUN_DIR/SHA256SUMS as it is now: write SHA256SUMS.sig and SIGNER. Call it last:
    a file written afterwards is not covered. Returns the fingerprint; raises SigningError."""
    run_dir = Path(run_dir)
    sums = run_dir / integrity.SUMS_FILE
    if not sums.is_file():
        raise SigningError(f"{sums}: missing, nothing to sign (the run did not finish writing its folder)")
    hits = integrity.leaks(run_dir, signer._secret_forms())
    if hits:  # cannot happen unless something wrote the key into the folder: never seal that
        raise SigningError(
            "not signed: the signing key's own bytes were found in "
            + ", ".join(hits)
            + " of the run folder; do not share it"
        )
    signature = signer.sign(sums.read_bytes())
    (run_dir / SIG_FILE).write_text(base64.b64encode(signature).decode("ascii") + "\n", encoding="ascii")
    (run_dir / SIGNER_FILE).write_text(signer.fingerprint + "\n", encoding="ascii")
    return signer.fingerprint


def signer_named(run_dir: Path) -> str | None:
    """The fingerprint written in RUN_DIR/SIGNER (as written; not proof of anything by itself)."""
    try:
        return (Path(run_dir) / SIGNER_FILE).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def check_signature(run_dir: Path, public_key: Ed25519PublicKey) -> list[str]:
    """Problems with the folder's signature under `public_key`; [] when it holds."""
    run_dir = Path(run_dir)
    sums, sig = run_dir / integrity.SUMS_FILE, run_dir / SIG_FILE
    expected = fingerprint(public_key)
    if not sig.is_file():
        return [
            f"{SIG_FILE}: missing: the folder is not signed, so nothing shows who sealed it "
            f"(expected a signature by {expected})"
        ]
    if not sums.is_file():
        return [f"{integrity.SUMS_FILE}: missing, the signature covers nothing"]
    try:
        signature = base64.b64decode(sig.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError):
        return [f"{SIG_FILE}: not a base64 signature"]
    named = signer_named(run_dir)
    try:
        public_key.verify(signature, sums.read_bytes())
    except InvalidSignature:
        if named and named != expected:
            return [
                f"{SIG_FILE}: signed by another key ({SIGNER_FILE} names {named}; the public key given is {expected})"
            ]
        return [
            f"{SIG_FILE}: the signature does not match {integrity.SUMS_FILE}: the checksums were "
            "recomputed or edited after the folder was signed, or it was signed by another key"
        ]
    if named != expected:
        return [f"{SIGNER_FILE}: altered: names {named or 'nothing'}, but the folder is signed by {expected}"]
    return []


def signature_status(run_dir: Path) -> str:
    """For `verify` without --public-key: what the folder says about its signature, unchecked."""
    run_dir = Path(run_dir)
    if not (run_dir / SIG_FILE).is_file():
        return (
            "unsigned: no SHA256SUMS.sig, so anyone who edits the folder can recompute SHA256SUMS "
            "(sign runs with `run --sign-key KEY`)"
        )
    named = signer_named(run_dir)
    return (
        f"signed{f' by {named}' if named else ''} but the signature was NOT checked: "
        "pass --public-key with the signer's public key"
    )


def sign_and_say(run_dir: Path, signer: Signer, code: int) -> int:
    """`run --sign-key`: sign the finished run folder and say so; returns the run's exit code,
    3 (broken) when the folder could not be signed as asked (2 stays 2: nothing ran)."""
    import sys

    from harness.verdicts import EXIT_BROKEN

    try:
        fp = sign_run_dir(run_dir, signer)
    except SigningError as exc:
        print(f"not signed: {exc}", file=sys.stderr)
        return code if code and not (Path(run_dir) / integrity.SUMS_FILE).is_file() else EXIT_BROKEN
    except OSError as exc:
        print(f"not signed: cannot write {SIG_FILE} in {run_dir} ({exc.strerror})", file=sys.stderr)
        return EXIT_BROKEN
    print(f"signed: {Path(run_dir) / SIG_FILE} by {fp} (check with `psd2-harness verify RUN_DIR --public-key KEY.pub`)")
    return code
