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
from harness.errors import ConfigError, ConfigErrors, Location, UnknownRegime
from harness.redaction import is_secret_key
from harness.regime import DEFAULT_REGIME, load_regime
from harness.schemas import validate
from harness.values import parse_reference
from harness.yamlsource import Document, load_document

BUILTIN = {
    name: Path(__file__).resolve().parent / "targets" / f"{name}.yaml" for name in ("reference", "reference-alt")
}


_UNSET = "/__sandbox"


@dataclass(frozen=True, slots=True)
class FamilyEndpoint:
    """How one family is wired at this bank: the target's top-level maps with the family's
    own entries over them (the family wins, entry by entry)."""

    base_path: str = ""
    operations: dict[str, dict[str, str]] = field(default_factory=dict)
    header_names: dict[str, str] = field(default_factory=dict)
    pointers: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)
    """suite schema reference -> the bank's own (absolute path#pointer)"""
    url_params: dict[str, str] = field(default_factory=dict)
    """suite name -> bank's name of a query parameter in a URL the bank hands out"""
    psu: dict[str, Any] = field(default_factory=dict)
    """fact -> pointer into the new-PSU answer, constant, or (list facts) {at, ITEM: pointer}"""
    sandbox_path: str | None = _UNSET
    flows: dict[str, Any] = field(default_factory=dict)
    """library flow name -> the target's replacement (a `harness.model.Flow`)"""
    test_psus: tuple[dict[str, Any], ...] = ()
    """Fixed test users (fact -> value) for a bank without a sandbox plane."""

    def pointer(self, pointer: str) -> str:
        """A suite's JSON Pointer as this bank spells it (exact or prefix remap)."""
        if pointer in self.pointers:
            return self.pointers[pointer]
        for prefix, replacement in self.pointers.items():
            if pointer.startswith(prefix + "/"):
                return replacement + pointer[len(prefix) :]
        return pointer


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
    sandbox_path: str | None = "/__sandbox"
    """The default of every family (each family's own is `families[f].sandbox_path`)."""
    clock: str = "per-psu"
    otp: Any = "sandbox"
    regime: str = DEFAULT_REGIME
    tls: dict[str, Any] = field(default_factory=dict)
    timeouts: dict[str, float] = field(default_factory=dict)
    description: str = ""
    max_body_bytes: int = 5 * 1024 * 1024
    """The largest answer read: beyond it the case is broken and nothing more is held."""
    allow_app: bool = False
    """Whether `app:` may be imported: a built-in target, or the user said so (--allow-app).
    Importing a module runs its code; a target file is data until its user allows that."""
    defaults: tuple[str, ...] = ()
    """Capabilities the target file does not state, as applied (`sandbox none`): said aloud by
    `validate` and `run`, since a silent `none` makes cases not testable for no visible reason."""

    # -- what the target can do ------------------------------------------------------
    @property
    def in_process(self) -> bool:
        return self.app is not None

    @property
    def display_url(self) -> str:
        return self.base_url or f"in-process:{self.app}"

    def sandbox_for(self, family: str) -> str | None:
        """Where the family's sandbox plane lives below its base, or None for no plane."""
        endpoint = self.families.get(family)
        if endpoint is None or endpoint.sandbox_path == _UNSET:
            return self.sandbox_path
        return endpoint.sandbox_path

    def capability_gap(self, needs: frozenset[str], family: str = "") -> str | None:
        """Why a case with these needs cannot be tested here, or None."""
        plane = self.sandbox_for(family) if family else self.sandbox_path
        users = self.families[family].test_psus if family in self.families else ()
        if "fresh_psu" in needs and plane is None:
            more = (
                f"; its {len(users)} fixed test user(s) serve only cases that leave a PSU unchanged (psu: any)"
                if users
                else ""
            )
            return (
                f"the case needs fresh PSUs of its own (it changes their state or moves time), and target "
                f"{self.name!r} has no sandbox plane to create them (sandbox: none){more}"
            )
        if "psu" in needs and plane is None and not users:
            return (
                f"the case needs a PSU, and target {self.name!r} has neither a sandbox plane (sandbox: none) "
                "nor fixed test users (test_psus)"
            )
        if "sandbox" in needs and plane is None:
            return (
                f"the case needs the sandbox control plane (SBX), and target {self.name!r} declares none "
                "(sandbox: none)"
            )
        if "clock" in needs and self.clock == "none":
            return f"the case moves the bank's clock, and target {self.name!r} declares no clock control (clock: none)"
        if "otp" in needs:
            if self.otp == "none":
                return f"the case reads an OTP, and target {self.name!r} declares no OTP source (otp: none)"
            if self.otp == "sandbox" and plane is None:
                return f"the case reads an OTP from the sandbox inbox, and target {self.name!r} has no sandbox plane"
        return None

    # -- wiring ----------------------------------------------------------------------
    def url_for(self, family: str, op_id: str, path_params: dict[str, Any]) -> tuple[str, str]:
        """Method and URL (relative to base_url) of an operation, with the target's remaps."""
        op = openapi.operations(family)[op_id]
        endpoint = self.families[family]
        remap = endpoint.operations.get(op_id) or {}
        method = remap.get("method", op.method).upper()
        path = remap.get("path", op.path)
        if op.document.startswith(openapi.SANDBOX) and "path" not in remap:
            path = (self.sandbox_for(family) or "/__sandbox") + path[len("/__sandbox") :]
        for name, value in path_params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return method, endpoint.base_path + path

    def family_path(self, family: str, path: str) -> str:
        return self.families[family].base_path + path

    def params_carrier(self, family: str, op_id: str) -> str | None:
        """Where this bank wants an operation's parameters (query, form or json), if it says."""
        return (self.families[family].operations.get(op_id) or {}).get("params")

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
        if not self.allow_app:
            raise ConfigError(
                f"target {self.name!r} names an in-process app ({self.app}): importing it runs that "
                "module's code, so it is not done unless you allow it; expected --allow-app (run, "
                "doctor, matrix) or the pytest option --harness-allow-app",
                Location(self.source),
            )
        module_name, _, attr = (self.app or "").partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(
                f"cannot load app {self.app!r} ({exc}); expected module:attribute of an ASGI/WSGI app",
                Location(self.source),
            ) from None
        if not callable(obj) or (not self.factory and not _is_app(obj)):
            raise ConfigError(
                f"{self.app!r} is not an ASGI or WSGI app{' factory' if self.factory else ''}; expected "
                "module:attribute of one (factory: true for a function that returns it)",
                Location(self.source),
            )
        return obj

    def load_app(self, defects: list[str] | None = None) -> Any:
        obj = self.app_object()
        if self.factory:
            kwargs = dict(self.app_args)
            if "regime" not in kwargs and "regime" in inspect.signature(obj).parameters:
                kwargs["regime"] = self.regime  # an in-process bank runs the regime the run checks
            if defects:
                kwargs["defects"] = list(kwargs.get("defects", [])) + list(defects)
            try:
                obj = obj(**kwargs)
            except TypeError as exc:
                raise ConfigError(
                    f"app factory {self.app!r} does not take app_args {sorted(kwargs)} ({exc}); "
                    "expected the keyword arguments it accepts",
                    Location(self.source),
                ) from None
            if not _is_app(obj):
                raise ConfigError(
                    f"app factory {self.app!r} returned {type(obj).__name__}, not an ASGI or WSGI app",
                    Location(self.source),
                )
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


def _is_app(obj: Any) -> bool:
    """An ASGI app (async, called with scope, receive, send) or a WSGI app (environ, start_response)."""
    if not callable(obj) or isinstance(obj, type):
        return False
    if _is_asgi(obj):
        return True
    try:
        params = [
            p
            for p in inspect.signature(obj).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # a builtin such as os.system: no app
        return False
    return len(params) == 2


def _is_asgi(app: Any) -> bool:
    call = app if inspect.isfunction(app) else getattr(app, "__call__", None)  # noqa: B004 (the method itself)
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(app)


# -- loading -------------------------------------------------------------------------------


def load_target(name_or_path: str | Path, *, regime: str | None = None, allow_app: bool = False) -> Target:
    """The target named (built-in) or read from a file; raises `ConfigErrors` with locations.
    `allow_app`: a target file's `app:` may be imported (built-in targets always may)."""
    text = str(name_or_path)
    path = BUILTIN.get(text, Path(text))
    doc = load_document(path)
    if not isinstance(doc.data, dict):
        raise ConfigErrors(
            [doc.error("a target file must be a YAML mapping; expected keys name, family, base_url ...")]
        )
    errors = validate(doc, "target.schema.json")
    if errors:
        raise ConfigErrors(errors)
    target = _build(doc, regime)
    target.allow_app = allow_app or text in BUILTIN
    return target


_MAPS = ("operations", "header_names", "pointers", "schemas", "url_params", "psu")


def _build(doc: Document, regime_override: str | None) -> Target:
    data = doc.data
    errors: list[ConfigError] = []
    if ("family" in data) == ("families" in data):
        errors.append(doc.error("a target needs exactly one of family (one API family) or families (several)"))
    if ("base_url" in data) == ("app" in data):
        errors.append(
            doc.error("a target needs exactly one of base_url (a bank over HTTP) or app (module:attr, in process)")
        )
    base_url = data.get("base_url")
    if base_url is not None:
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(
                doc.error(
                    f"base_url {base_url!r} is not an absolute http(s) URL; expected e.g. "
                    "https://sandbox.bank.example (family paths go in base_path)",
                    ("base_url",),
                )
            )
        elif parts.username or parts.password:
            errors.append(
                doc.error(
                    "base_url carries credentials (user:password@); expected them in headers as "
                    "${env:NAME} references (a URL is written to every report)",
                    ("base_url",),
                )
            )
    clock = data.get("clock", "per-psu" if "app" in data else "none")
    if clock == "freezegun" and "app" not in data:
        errors.append(
            doc.error(
                "clock freezegun only works for an in-process app; expected per-psu, bank-wide or "
                "none for a bank over HTTP",
                ("clock",),
            )
        )
    secrets: list[str] = []
    headers: dict[str, str] = {}
    for name, value in (data.get("headers") or {}).items():
        resolved = _env_value(doc, value, ("headers", name), errors, secrets)
        if resolved is not None and is_secret_key(name) and parse_reference(value) is None:
            errors.append(
                doc.error(
                    f"header {name} holds an inline credential; expected a reference such as "
                    "${env:BANK_API_KEY} (credentials never live in target files)",
                    ("headers", name),
                )
            )
        if resolved is not None:
            headers[name] = resolved
    for i, value in enumerate(data.get("secrets") or []):
        if parse_reference(value) is None:
            errors.append(doc.error("secrets lists ${env:NAME} references only", ("secrets", i)))
        else:
            _env_value(doc, value, ("secrets", i), errors, secrets)
    families = _families(doc, errors, secrets)
    tls = dict(data.get("tls") or {})
    for key in ("ca_bundle", "client_cert", "client_key"):  # relative to the target file, like schemas
        if key in tls:
            ref = parse_reference(tls[key])
            if ref is not None and ref.startswith("env:"):  # where the certificate lives differs per machine
                if ref[4:] not in os.environ:
                    errors.append(
                        doc.error(
                            f"environment variable {ref[4:]} is not set; expected it exported before the run",
                            ("tls", key),
                        )
                    )
                    continue
                tls[key] = os.environ[ref[4:]]
            file = (doc.path.parent / tls[key]).resolve()
            if not file.is_file():
                errors.append(
                    doc.error(
                        f"tls {key} {tls[key]!r} is not a readable file; expected a PEM file "
                        "(a path relative to the target file)",
                        ("tls", key),
                    )
                )
            tls[key] = str(file)
    if "client_key" in tls and "client_cert" not in tls:
        errors.append(
            doc.error(
                "tls client_key needs client_cert (the QWAC-style certificate it belongs to)", ("tls", "client_key")
            )
        )
    regime = regime_override or data.get("regime", DEFAULT_REGIME)
    try:
        load_regime(regime)
    except UnknownRegime as exc:
        errors.append(doc.error(str(exc), ("regime",)) if not regime_override else ConfigError(str(exc)))
    if errors:
        raise ConfigErrors(errors)
    sandbox = data.get("sandbox", {"path": "/__sandbox"} if "app" in data else "none")
    planes = [sandbox] + [(spec or {}).get("sandbox") for spec in (data.get("families") or {}).values()]
    otp = data.get("otp", "sandbox" if any(p not in (None, "none") for p in planes) else "none")
    defaults = tuple(
        f"{key} {value if isinstance(value, str) else value.get('path')}"
        for key, value in (("sandbox", sandbox), ("clock", clock), ("otp", otp))
        if key not in data
    )
    return Target(
        name=data["name"],
        source=doc.display,
        families=families,
        base_url=data.get("base_url", "").rstrip("/") or None,
        app=data.get("app"),
        factory=bool(data.get("factory", False)),
        app_args=data.get("app_args") or {},
        headers=headers,
        secrets=secrets,
        sandbox_path=None if sandbox == "none" else sandbox.get("path", "/__sandbox"),
        clock=clock,
        otp=otp,
        regime=regime,
        tls=tls,
        timeouts=data.get("timeouts") or {},
        description=data.get("description", ""),
        defaults=defaults,
        max_body_bytes=int(data.get("max_body_bytes", 5 * 1024 * 1024)),
    )


def _families(doc: Document, errors: list[ConfigError], secrets: list[str]) -> dict[str, FamilyEndpoint]:
    """Each family's wiring: the top-level maps, with the family's own entries over them."""
    data = doc.data
    known = openapi.known_families()
    raw_families = data.get("families") or ({data["family"]: {}} if "family" in data else {})
    out: dict[str, FamilyEndpoint] = {}
    for fam, spec in raw_families.items():
        spec = spec or {}
        key = ("families", fam) if "families" in data else ()
        if fam not in known:
            errors.append(doc.error(f"unknown family {fam!r}; expected one of: {', '.join(known)}", key or ("family",)))
            continue
        maps: dict[str, dict[str, Any]] = {}
        where: dict[str, dict[str, tuple[Any, ...]]] = {}
        for name in _MAPS:
            maps[name], where[name] = {}, {}
            for origin in ((), key) if key else ((),):
                source = (spec if origin else data).get(name) or {}
                for entry, value in source.items():
                    maps[name][entry] = value
                    where[name][entry] = origin + (name, entry)
        for op_id in maps["operations"]:
            if op_id not in openapi.operations(fam):
                if where["operations"][op_id][:1] == ("families",) or len(raw_families) == 1:
                    errors.append(
                        doc.error(
                            f"unknown operationId {op_id!r} for family {fam}; expected one of "
                            f"specs/{fam}.openapi.yaml or specs/sandbox.openapi.yaml"
                            f"{_near(op_id, openapi.operations(fam))}",
                            where["operations"][op_id],
                        )
                    )
        schemas = _schemas(doc, maps["schemas"], where["schemas"], errors)
        psu = _psu_map(doc, fam, maps["psu"], where["psu"], errors, secrets)
        sandbox: Any = spec.get("sandbox", _UNSET) if key else _UNSET  # unset, "none" or {path: ...}
        flows = _replacement_flows(doc, fam, spec, key, errors)
        users = _test_psus(
            doc,
            fam,
            spec.get("test_psus") if key and "test_psus" in spec else data.get("test_psus"),
            (key + ("test_psus",)) if key and "test_psus" in spec else ("test_psus",),
            errors,
            secrets,
        )
        out[fam] = FamilyEndpoint(
            base_path=spec.get("base_path", "").rstrip("/"),
            operations={k: v for k, v in maps["operations"].items() if k in openapi.operations(fam)},
            header_names=maps["header_names"],
            pointers=maps["pointers"],
            schemas=schemas,
            url_params=maps["url_params"],
            psu=psu,
            sandbox_path=_UNSET if sandbox == _UNSET else (None if sandbox == "none" else sandbox.get("path", _UNSET)),
            flows=flows,
            test_psus=users,
        )
    for op_id in data.get("operations") or {}:
        if not any(op_id in openapi.operations(f) for f in out):
            errors.append(
                doc.error(
                    f"unknown operationId {op_id!r}; expected an operationId of the target's families",
                    ("operations", op_id),
                )
            )
    for name in data.get("flows") or {}:
        if not any(name in out[f].flows for f in out):
            errors.append(
                doc.error(f"no flow library of the target's families has a flow {name!r} to replace", ("flows", name))
            )
    return out


def _schemas(
    doc: Document, raw: dict[str, str], where: dict[str, tuple[Any, ...]], errors: list[ConfigError]
) -> dict[str, str]:
    from harness.checks import load_schema_ref
    from harness.errors import SchemaRefError

    out: dict[str, str] = {}
    for ref, replacement in raw.items():
        file, _, pointer = replacement.partition("#")
        absolute = str((doc.path.parent / file).resolve())
        try:
            load_schema_ref(ref)
            load_schema_ref(f"{absolute}#{pointer}")
        except SchemaRefError as exc:
            errors.append(doc.error(str(exc), where[ref]))
            continue
        out[ref] = f"{absolute}#{pointer}"
    return out


def _fact_value(doc: Document, value: Any, key: tuple[Any, ...], errors: list[ConfigError], secrets: list[str]) -> Any:
    """A fact's mapping: a JSON Pointer stays one, `${env:NAME}` becomes its value (a secret)."""
    if isinstance(value, str) and parse_reference(value) is not None:
        return _env_value(doc, value, key, errors, secrets)
    if isinstance(value, str) and "${" in value:
        errors.append(doc.error(f"{value!r} mixes text and ${{...}}; expected a whole ${{env:NAME}} reference", key))
    return value


def _psu_map(
    doc: Document,
    family: str,
    raw: dict[str, Any],
    where: dict[str, tuple[Any, ...]],
    errors: list[ConfigError],
    secrets: list[str],
) -> dict[str, Any]:
    from harness.facts import family_facts

    facts = family_facts(family).facts
    out: dict[str, Any] = {}
    for name, value in raw.items():
        key = where[name]
        fact = facts.get(name)
        if fact is None:
            errors.append(
                doc.error(
                    f"{name!r} is not a fact of a {family} PSU; expected one of: {', '.join(facts)}"
                    f"{_near(name, facts)} (specs/facts/{family}.yaml)",
                    key,
                )
            )
            continue
        if isinstance(value, dict):
            if not fact.items:
                errors.append(
                    doc.error(
                        f"fact {name!r} is a {fact.type}; expected a JSON Pointer, a constant or "
                        "${env:NAME} (only a list of records maps its items)",
                        key,
                    )
                )
                continue
            for sub, pointer in value.items():
                if sub != "at" and sub not in fact.items:
                    errors.append(
                        doc.error(
                            f"{sub!r} is not a fact of an item of {name!r}; expected at (where the "
                            f"list is) or one of: {', '.join(fact.items)}",
                            key + (sub,),
                        )
                    )
                elif not (isinstance(pointer, str) and (pointer == "" or pointer.startswith("/"))):
                    errors.append(
                        doc.error(f"{name}.{sub} must be a JSON Pointer (/...); got {pointer!r}", key + (sub,))
                    )
            out[name] = value
            continue
        if fact.secret and not (isinstance(value, str) and (value.startswith("/") or parse_reference(value))):
            errors.append(
                doc.error(
                    f"fact {name!r} is a credential; expected a JSON Pointer into the new-PSU answer "
                    "or ${env:NAME} (credentials never live in target files)",
                    key,
                )
            )
            continue
        out[name] = _fact_value(doc, value, key, errors, secrets)
    return out


def _test_psus(
    doc: Document, family: str, raw: Any, key: tuple[Any, ...], errors: list[ConfigError], secrets: list[str]
) -> tuple[dict[str, Any], ...]:
    from harness.facts import family_facts

    if not raw:
        return ()
    facts = family_facts(family).facts
    users = []
    for i, entry in enumerate(raw):
        user: dict[str, Any] = {}
        for name, value in entry.items():
            here = key + (i, name)
            fact = facts.get(name)
            if fact is None:
                errors.append(
                    doc.error(
                        f"{name!r} is not a fact of a {family} PSU; expected one of: "
                        f"{', '.join(facts)}{_near(name, facts)}",
                        here,
                    )
                )
                continue
            secret_items = [s.name for s in fact.items.values() if s.secret]
            if fact.secret and not (isinstance(value, str) and parse_reference(value)):
                errors.append(
                    doc.error(
                        f"fact {name!r} of a test user is a credential; expected ${{env:NAME}} "
                        "(credentials never live in target files)",
                        here,
                    )
                )
                continue
            if fact.is_list and isinstance(value, list):
                items = []
                for j, item in enumerate(value):
                    if isinstance(item, dict):
                        for sub in secret_items:
                            if sub in item and not (isinstance(item[sub], str) and parse_reference(item[sub])):
                                errors.append(
                                    doc.error(
                                        f"{name}[{j}].{sub} is a credential; expected ${{env:NAME}}", here + (j, sub)
                                    )
                                )
                        items.append({k: _fact_value(doc, v, here + (j, k), errors, secrets) for k, v in item.items()})
                    else:
                        items.append(_fact_value(doc, item, here + (j,), errors, secrets))
                user[name] = items
            else:
                user[name] = _fact_value(doc, value, here, errors, secrets)
        users.append(user)
    return tuple(users)


def _replacement_flows(
    doc: Document, family: str, spec: dict[str, Any], key: tuple[Any, ...], errors: list[ConfigError]
) -> dict[str, Any]:
    """The target's replacements of the family's library flows: top-level `flows` (for every
    family whose library has the name) under the family's own."""
    from harness.loader import library, replacement_flow

    out: dict[str, Any] = {}
    sources = [(("flows",), doc.data.get("flows") or {}, False)]
    if key:
        sources.append((key + ("flows",), spec.get("flows") or {}, True))
    for base, raw, own in sources:
        for name, body in raw.items():
            if not own and name not in library(family):
                continue
            try:
                out[name] = replacement_flow(doc, family, name, body, base + (name,))
            except ConfigErrors as exc:
                errors.extend(exc.errors)
    return out


def _near(name: str, options: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(options), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _env_value(
    doc: Document, value: str, key: tuple[Any, ...], errors: list[ConfigError], secrets: list[str]
) -> str | None:
    ref = parse_reference(value)
    if ref is None:
        if "${" in value:
            errors.append(
                doc.error(f"{value!r} mixes text and ${{...}}; expected a whole ${{env:NAME}} reference", key)
            )
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
