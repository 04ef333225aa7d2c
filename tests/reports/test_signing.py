"""Ed25519 signatures of SHA256SUMS: `keygen`, `run --sign-key`, `verify --public-key`."""

from __future__ import annotations

import base64
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from harness import integrity, signing
from harness.audit import verify_run_dir
from harness.cli import main
from harness.paths import suites_dir

from .conftest import DEFECT, Run, only_run_dir, run_suite

PASSPHRASE_ENV = "PSD2_TEST_SIGN_PASSPHRASE"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    signing.keygen(folder / "signer")
    signing.keygen(folder / "other")
    return {
        "signer": folder / "signer",
        "signer.pub": folder / "signer.pub",
        "other": folder / "other",
        "other.pub": folder / "other.pub",
    }


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Run:
    """One signed run with a failing case, and report.html when Node.js is there (it rewrites
    SHA256SUMS: the signature must come after it). Do not modify: copy with `signed_copy`."""
    tmp = tmp_path_factory.mktemp("signed-run")
    return run_suite(
        tmp, defects=(DEFECT,), signer=signing.load_signer(keys["signer"]), html=shutil.which("node") is not None
    )


@pytest.fixture
def signed_copy(signed_run: Run, tmp_path: Path) -> Path:
    dest = tmp_path / signed_run.run_dir.name
    shutil.copytree(signed_run.run_dir, dest)
    return dest


def _verify(run_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", str(run_dir), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# -- keygen ---------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_0600_and_its_public_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["keygen", str(tmp_path / "k")])
    assert result.exit_code == 0, result.output
    private, public = tmp_path / "k", tmp_path / "k.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert b"PRIVATE" not in public.read_bytes()
    signer = signing.load_signer(private)
    assert signing.fingerprint(signing.load_public_key(public)) == signer.fingerprint
    assert f"fingerprint: {signer.fingerprint}" in result.output
    body = "".join(private.read_text().splitlines()[1:-1])
    assert body not in result.output and body not in repr(signer)
    again = CliRunner().invoke(main, ["keygen", str(private)])  # never overwrites
    assert again.exit_code == 2 and "exists" in again.output
    assert signing.load_signer(private).fingerprint == signer.fingerprint


def test_an_encrypted_key_needs_its_passphrase_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passphrase = "correct horse battery staple"
    monkeypatch.setenv(PASSPHRASE_ENV, passphrase)
    signing.keygen(tmp_path / "enc", passphrase_env=PASSPHRASE_ENV)
    assert b"ENCRYPTED" in (tmp_path / "enc").read_bytes()
    assert signing.load_signer(tmp_path / "enc", PASSPHRASE_ENV).fingerprint
    with pytest.raises(signing.SigningError, match="--sign-key-passphrase-env"):
        signing.load_signer(tmp_path / "enc")
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    with pytest.raises(signing.SigningError, match="wrong passphrase") as wrong:
        signing.load_signer(tmp_path / "enc", PASSPHRASE_ENV)
    assert "wrong" not in str(wrong.value).replace("wrong passphrase", "")
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(signing.SigningError, match=f"{PASSPHRASE_ENV} .* is not set"):
        signing.load_signer(tmp_path / "enc", PASSPHRASE_ENV)
    monkeypatch.setenv(PASSPHRASE_ENV, "")
    with pytest.raises(signing.SigningError, match="is empty"):
        signing.keygen(tmp_path / "empty", passphrase_env=PASSPHRASE_ENV)  # never a key silently unencrypted


def test_unusable_keys_are_refused_with_a_message(tmp_path: Path, keys: dict[str, Path]) -> None:
    (tmp_path / "junk.pem").write_text("not a key\n")
    from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

    ec = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "ec.pem").write_bytes(ec)
    with pytest.raises(signing.SigningError, match="not a PEM private key"):
        signing.load_signer(tmp_path / "junk.pem")
    with pytest.raises(signing.SigningError, match="not an Ed25519 private key"):
        signing.load_signer(tmp_path / "ec.pem")
    with pytest.raises(signing.SigningError, match="cannot read"):
        signing.load_signer(tmp_path / "absent.pem")
    with pytest.raises(signing.SigningError, match="private key; give verify the public key"):
        signing.load_public_key(keys["signer"])


# -- signed runs ----------------------------------------------------------------------------


def test_a_signed_run_verifies_with_the_right_public_key(signed_run: Run, keys: dict[str, Path]) -> None:
    run_dir = signed_run.run_dir
    assert signed_run.code == 1  # the defect makes a case fail; the folder is signed all the same
    assert (run_dir / "SHA256SUMS.sig").is_file()
    fingerprint = signing.signer_named(run_dir)
    assert fingerprint == signing.load_signer(keys["signer"]).fingerprint
    assert "SHA256SUMS.sig" not in integrity.read_sums(run_dir) and "SIGNER" not in integrity.read_sums(run_dir)
    assert len(base64.b64decode((run_dir / "SHA256SUMS.sig").read_text().strip(), validate=True)) == 64
    if shutil.which("node"):
        assert "report.html" in integrity.read_sums(run_dir)  # signed after report.html was added
    code, out = _verify(run_dir, "--public-key", str(keys["signer.pub"]))
    assert code == 0, out
    assert f"signature: valid, by {fingerprint}" in out
    code, out = _verify(run_dir)
    assert code == 0, out
    assert f"signed by {fingerprint} but the signature was NOT checked" in out


def test_recomputed_sums_after_an_edit_fail_with_the_key(signed_copy: Path, keys: dict[str, Path]) -> None:
    manifest = signed_copy / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"started"', '"started" ', 1))  # verdicts untouched
    integrity.write_sums(signed_copy)  # a forger without the key recomputes the checksums
    assert verify_run_dir(signed_copy) == 0  # without the key, only the checksums and the recount: they agree
    code, out = _verify(signed_copy, "--public-key", str(keys["signer.pub"]))
    assert code == 1
    assert "SHA256SUMS.sig: the signature does not match SHA256SUMS" in out


def test_a_signature_by_another_key_fails(signed_copy: Path, keys: dict[str, Path]) -> None:
    code, out = _verify(signed_copy, "--public-key", str(keys["other.pub"]))
    assert code == 1
    assert "signed by another key" in out
    # a forger who re-signs with their own key and writes the real signer's fingerprint in SIGNER
    named = (signed_copy / "SIGNER").read_text()
    signing.sign_run_dir(signed_copy, signing.load_signer(keys["other"]))
    (signed_copy / "SIGNER").write_text(named)
    code, out = _verify(signed_copy, "--public-key", str(keys["signer.pub"]))
    assert code == 1
    assert "the signature does not match SHA256SUMS" in out


def test_an_altered_signer_file_is_named(signed_copy: Path, keys: dict[str, Path]) -> None:
    (signed_copy / "SIGNER").write_text("0" * 64 + "\n")
    code, out = _verify(signed_copy, "--public-key", str(keys["signer.pub"]))
    assert code == 1
    assert "SIGNER: altered" in out


def test_an_unsigned_folder_fails_with_a_public_key(copy_run: Path, keys: dict[str, Path]) -> None:
    code, out = _verify(copy_run)
    assert code == 0 and "signature: unsigned" in out
    code, out = _verify(copy_run, "--public-key", str(keys["signer.pub"]))
    assert code == 1
    assert "SHA256SUMS.sig: missing: the folder is not signed" in out


def test_a_removed_signature_fails_with_a_public_key(signed_copy: Path, keys: dict[str, Path]) -> None:
    (signed_copy / "SHA256SUMS.sig").unlink()
    code, out = _verify(signed_copy, "--public-key", str(keys["signer.pub"]))
    assert code == 1 and "not signed" in out


def test_the_private_key_appears_nowhere_in_the_run_folder(signed_run: Run, keys: dict[str, Path]) -> None:
    pem = keys["signer"].read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    body_lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    forms = [pem, b"".join(body_lines), *body_lines, raw, raw.hex().encode(), base64.b64encode(raw)]
    files = [p for p in signed_run.run_dir.rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        data = path.read_bytes()
        for form in forms:
            assert form not in data, f"{path.name} holds the private key"


def test_cli_run_signs_and_verify_checks_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    passphrase = "s3cret-" + "passphrase-for-the-test"
    monkeypatch.setenv(PASSPHRASE_ENV, passphrase)
    signing.keygen(tmp_path / "k", passphrase_env=PASSPHRASE_ENV)
    suite = tmp_path / "session.yaml"
    shutil.copyfile(suites_dir() / "stepup" / "session.yaml", suite)
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "run",
            str(suite),
            "--report-dir",
            str(tmp_path / "reports"),
            "--sign-key",
            str(tmp_path / "k"),
            "--sign-key-passphrase-env",
            PASSPHRASE_ENV,
        ],
    )
    assert result.exit_code == 0, result.output
    run_dir = only_run_dir(tmp_path / "reports")
    assert "signed: " in result.output and passphrase not in result.output
    for path in run_dir.rglob("*"):
        assert not path.is_file() or passphrase.encode() not in path.read_bytes()
    code, out = _verify(run_dir, "--public-key", str(tmp_path / "k.pub"))
    assert code == 0, out


def test_cli_run_refuses_a_bad_key_before_running(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    suite = tmp_path / "session.yaml"
    shutil.copyfile(suites_dir() / "stepup" / "session.yaml", suite)
    result = CliRunner().invoke(
        main, ["run", str(suite), "--report-dir", str(tmp_path / "reports"), "--sign-key", str(tmp_path / "bad.pem")]
    )
    assert result.exit_code == 2, result.output
    assert "cannot load the signing key" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_verify_refuses_an_unreadable_public_key(signed_run: Run, tmp_path: Path) -> None:
    (tmp_path / "junk.pub").write_text("junk\n")
    code, out = _verify(signed_run.run_dir, "--public-key", str(tmp_path / "junk.pub"))
    assert code == 2 and "not a PEM public key" in out


@pytest.mark.skipif(shutil.which("node") is None, reason="report.html needs Node.js")
def test_report_after_signing_says_the_signature_no_longer_matches(
    signed_copy: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.audit import write_allure_html

    (signed_copy / "report.html").unlink()
    integrity.write_sums(signed_copy)
    signing.sign_run_dir(signed_copy, signing.load_signer(keys["signer"]))
    assert write_allure_html(signed_copy, secrets=frozenset()) == 0
    assert "no longer matches" in capsys.readouterr().err
    code, out = _verify(signed_copy, "--public-key", str(keys["signer.pub"]))
    assert code == 1 and "the signature does not match SHA256SUMS" in out
