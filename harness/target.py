"""Targets: where a bank is, how to reach it, and what it can do.

A target file says the family (or families), a base URL or an in-process app, default
headers and credentials (only as `${env:NAME}`), operation/header/JSON-pointer remaps,
the sandbox plane, the clock capability, the OTP source, the regime, TLS and timeouts.
`reference` is built in: the bundled reference bank, in process.
"""

from __future__ import annotations

import importlib
import inspect
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from harness import openapi
from harness.errors import ConfigError, ConfigErrors, Location
from harness.redaction import is_secret_key
from harness.regime import DEFAULT_REGIME, UnknownRegime, load_regime
from harness.schemas import validate
from harness.values import parse_reference
from harness.yamlsource import Document, load_document

BUILTIN = {"reference": Path(__file__).resolve().parent / "targets" / "reference.yaml"}
CLOCKS = ("per-psu", "bank-wide", "freezegun", "none")


@dataclass(frozen=True, slots=True)
class FamilyEndpoint:
    base_path: str = ""
    operations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Target:
    name: str
    source: str
    families: dict[str, FamilyEndpoint]
    base_url: str | None = None
    app: str | None = None
    factory: bool = False
    app_args: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    operations: dict[str, dict[str, str]] = field(default_factory=dict)
    header_names: dict[str, str] = field(default_factory=dict)
    pointers: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)
    """suite schema reference -> the bank's own (absolute path#pointer)"""
    sandbox_path: str | None = "/__sandbox"
    clock: str = "per-psu"
    otp: Any = "sandbox"
    regime: str = DEFAULT_REGIME
    tls: dict[str, Any] = field(default_factory=dict)
    timeouts: dict[str, float] = field(default_factory=dict)
    description: str = ""

    # -- what the target can do ------------------------------------------------------
    @property
    def in_process(self) -> bool:
        return self.app is not None

    @property
    def display_url(self) -> str:
        return self.base_url or f"in-process:{self.app}"

    def capability_gap(self, needs: frozenset[str]) -> str | None:
        """Why a case with these needs cannot be tested here, or None."""
        if "sandbox" in needs and self.sandbox_path is None:
            return f"the case needs the sandbox control plane (SBX), and target {self.name!r} declares none (sandbox: none)"
        if "clock" in needs and self.clock == "none":
            return f"the case moves the bank's clock, and target {self.name!r} declares no clock control (clock: none)"
        if "otp" in needs:
            if self.otp == "none":
                return f"the case reads an OTP, and target {self.name!r} declares no OTP source (otp: none)"
            if self.otp == "sandbox" and self.sandbox_path is None:
                return f"the case reads an OTP from the sandbox inbox, and target {self.name!r} has no sandbox plane"
        return None

    # -- wiring ----------------------------------------------------------------------
    def url_for(self, family: str, op_id: str, path_params: dict[str, Any]) -> tuple[str, str]:
        """Method and URL (relative to base_url) of an operation, with the target's remaps."""
        op = openapi.operations(family)[op_id]
        endpoint = self.families[family]
        remap = endpoint.operations.get(op_id) or self.operations.get(op_id) or {}
        method = remap.get("method", op.method).upper()
        path = remap.get("path", op.path)
        if op.document.startswith(openapi.SANDBOX) and "path" not in remap:
            path = (self.sandbox_path or "/__sandbox") + path[len("/__sandbox"):]
        for name, value in path_params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return method, endpoint.base_path + path

    def family_path(self, family: str, path: str) -> str:
        return self.families[family].base_path + path

    def header_name(self, name: str) -> str:
        return self.header_names.get(name, name)

    def pointer(self, pointer: str) -> str:
        """A suite's JSON Pointer as this bank spells it (exact or prefix remap)."""
        if pointer in self.pointers:
            return self.pointers[pointer]
        for prefix, replacement in self.pointers.items():
            if pointer.startswith(prefix + "/"):
                return replacement + pointer[len(prefix):]
        return pointer

    def build_client(self, defects: list[str] | None = None) -> httpx.Client:
        """One client per target per session: building one costs about 20 ms."""
        timeout = httpx.Timeout(self.timeouts.get("read", 15.0), connect=self.timeouts.get("connect", 5.0))
        if self.app is not None:
            app = self.load_app(defects)
            if _is_asgi(app):
                from harness.transport import SyncASGITransport

                transport: httpx.BaseTransport = SyncASGITransport(app)
            else:
                transport = httpx.WSGITransport(app=app)
            return httpx.Client(transport=transport, base_url=f"http://{self.name}.in-process", timeout=timeout)
        return httpx.Client(base_url=self.base_url or "", verify=self._ssl_context(), timeout=timeout)

    def app_object(self) -> Any:
        """The object `app:` names (the app, or its factory); a ConfigError if it cannot be imported."""
        module_name, _, attr = (self.app or "").partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot load app {self.app!r} ({exc}); expected module:attribute of an ASGI/WSGI app",
                              Location(self.source)) from None
        return obj

    def load_app(self, defects: list[str] | None = None) -> Any:
        obj = self.app_object()
        if self.factory:
            kwargs = dict(self.app_args)
            if "regime" not in kwargs and "regime" in inspect.signature(obj).parameters:
                kwargs["regime"] = self.regime  # an in-process bank runs the regime the run checks
            if defects:
                kwargs["defects"] = list(kwargs.get("defects", [])) + list(defects)
            obj = obj(**kwargs)
        elif defects:
            raise ConfigError("defects can only be injected into an app factory (factory: true)", Location(self.source))
        return obj

    def _ssl_context(self) -> ssl.SSLContext | bool:
        if self.base_url and self.base_url.startswith("http://"):
            return True
        if self.tls.get("verify", True) is False:
            return False
        ctx = ssl.create_default_context(cafile=self.tls.get("ca_bundle"))
        if self.tls.get("client_cert"):
            ctx.load_cert_chain(self.tls["client_cert"], self.tls.get("client_key"))
        return ctx


def _is_asgi(app: Any) -> bool:
    call = app if inspect.isfunction(app) else getattr(app, "__call__", None)  # noqa: B004 (the method itself)
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(app)


# -- loading -------------------------------------------------------------------------------

def load_target(name_or_path: str | Path, *, regime: str | None = None) -> Target:
    """The target named (built-in) or read from a file; raises `ConfigErrors` with locations."""
    text = str(name_or_path)
    path = BUILTIN.get(text, Path(text))
    doc = load_document(path)
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error("a target file must be a YAML mapping; expected keys name, family, base_url ...")])
    errors = validate(doc, "target.schema.json")
    if errors:
        raise ConfigErrors(errors)
    return _build(doc, regime)


def _build(doc: Document, regime_override: str | None) -> Target:
    data = doc.data
    errors: list[ConfigError] = []
    families: dict[str, FamilyEndpoint] = {}
    if ("family" in data) == ("families" in data):
        errors.append(doc.error("a target needs exactly one of family (one API family) or families (several)"))
    known = openapi.known_families()
    raw_families = data.get("families") or ({data["family"]: {}} if "family" in data else {})
    for fam, spec in raw_families.items():
        key = ("families", fam) if "families" in data else ("family",)
        if fam not in known:
            errors.append(doc.error(f"unknown family {fam!r}; expected one of: {', '.join(known)}", key))
            continue
        ops = (spec or {}).get("operations") or {}
        for op_id in ops:
            if op_id not in openapi.operations(fam):
                errors.append(doc.error(f"unknown operationId {op_id!r} for family {fam}; expected one of "
                                        f"specs/{fam}.openapi.yaml", key + ("operations", op_id)))
        families[fam] = FamilyEndpoint(base_path=(spec or {}).get("base_path", "").rstrip("/"), operations=ops)
    for op_id in data.get("operations") or {}:
        if not any(op_id in openapi.operations(f) for f in families):
            errors.append(doc.error(f"unknown operationId {op_id!r}; expected an operationId of the target's "
                                    "families", ("operations", op_id)))
    if ("base_url" in data) == ("app" in data):
        errors.append(doc.error("a target needs exactly one of base_url (a bank over HTTP) or app (module:attr, "
                                "in process)"))
    clock = data.get("clock", "per-psu" if "app" in data else "none")
    if clock == "freezegun" and "app" not in data:
        errors.append(doc.error("clock freezegun only works for an in-process app; expected per-psu, bank-wide or "
                                "none for a bank over HTTP", ("clock",)))
    secrets: list[str] = []
    headers: dict[str, str] = {}
    for name, value in (data.get("headers") or {}).items():
        resolved = _env_value(doc, value, ("headers", name), errors, secrets)
        if resolved is not None and is_secret_key(name) and parse_reference(value) is None:
            errors.append(doc.error(f"header {name} holds an inline credential; expected a reference such as "
                                    "${env:BANK_API_KEY} (credentials never live in target files)", ("headers", name)))
        if resolved is not None:
            headers[name] = resolved
    for i, value in enumerate(data.get("secrets") or []):
        if parse_reference(value) is None:
            errors.append(doc.error("secrets lists ${env:NAME} references only", ("secrets", i)))
        else:
            _env_value(doc, value, ("secrets", i), errors, secrets)
    tls = dict(data.get("tls") or {})
    for key in ("ca_bundle", "client_cert", "client_key"):  # relative to the target file, like schemas
        if key in tls:
            ref = parse_reference(tls[key])
            if ref is not None and ref.startswith("env:"):  # where the certificate lives differs per machine
                if ref[4:] not in os.environ:
                    errors.append(doc.error(f"environment variable {ref[4:]} is not set; expected it exported "
                                            "before the run", ("tls", key)))
                    continue
                tls[key] = os.environ[ref[4:]]
            file = (doc.path.parent / tls[key]).resolve()
            if not file.is_file():
                errors.append(doc.error(f"tls {key} {tls[key]!r} is not a readable file; expected a PEM file "
                                        "(a path relative to the target file)", ("tls", key)))
            tls[key] = str(file)
    if "client_key" in tls and "client_cert" not in tls:
        errors.append(doc.error("tls client_key needs client_cert (the QWAC-style certificate it belongs to)",
                                ("tls", "client_key")))
    schemas: dict[str, str] = {}
    for ref, replacement in (data.get("schemas") or {}).items():
        from harness.checks import SchemaRefError, load_schema_ref

        file, _, pointer = replacement.partition("#")
        absolute = str((doc.path.parent / file).resolve())
        try:
            load_schema_ref(ref)
            load_schema_ref(f"{absolute}#{pointer}")
        except SchemaRefError as exc:
            errors.append(doc.error(str(exc), ("schemas", ref)))
            continue
        schemas[ref] = f"{absolute}#{pointer}"
    regime = regime_override or data.get("regime", DEFAULT_REGIME)
    try:
        load_regime(regime)
    except UnknownRegime as exc:
        errors.append(doc.error(str(exc), ("regime",)) if not regime_override else ConfigError(str(exc)))
    if errors:
        raise ConfigErrors(errors)
    sandbox = data.get("sandbox", {"path": "/__sandbox"} if "app" in data else "none")
    otp = data.get("otp", "sandbox" if sandbox != "none" else "none")
    return Target(
        name=data["name"], source=doc.display, families=families, base_url=data.get("base_url", "").rstrip("/") or None,
        app=data.get("app"), factory=bool(data.get("factory", False)), app_args=data.get("app_args") or {},
        headers=headers, secrets=secrets, operations=data.get("operations") or {},
        header_names=data.get("header_names") or {}, pointers=data.get("pointers") or {}, schemas=schemas,
        sandbox_path=None if sandbox == "none" else sandbox.get("path", "/__sandbox"), clock=clock, otp=otp,
        regime=regime, tls=tls, timeouts=data.get("timeouts") or {},
        description=data.get("description", ""),
    )


def _env_value(doc: Document, value: str, key: tuple, errors: list[ConfigError], secrets: list[str]) -> str | None:
    ref = parse_reference(value)
    if ref is None:
        if "${" in value:
            errors.append(doc.error(f"{value!r} mixes text and ${{...}}; expected a whole ${{env:NAME}} reference", key))
            return None
        return value
    if not ref.startswith("env:"):
        errors.append(doc.error(f"target files only take ${{env:NAME}} references, not ${{{ref}}}", key))
        return None
    name = ref[4:]
    if name not in os.environ:
        errors.append(doc.error(f"environment variable {name} is not set; expected it exported before the run", key))
        return None
    secrets.append(os.environ[name])
    return os.environ[name]
