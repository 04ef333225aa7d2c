"""The engine: runs one case's steps against a target and raises its verdict.

Passed is the absence of an exception after every step ran and every expectation held.
A violated expectation raises `NonCompliance` (failed) whose text is the finding: the
rule, what was sent, what came back and every mismatch, with the suite location. A
transport error or an unparseable answer raises `TargetFault` (broken); a missing
capability raises `NotTestable`. Every value a response mints is registered with the
redactor before anything about that response is written.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from harness import jsonpointer
from harness.catalogue import Requirement, catalogue
from harness.checks import Mismatch, Observed, run_checks
from harness.clocks import ClockDriver
from harness.durations import format_duration, parse_duration
from harness.errors import MissingValue, NonCompliance, NotTestable, PreconditionNotMet, TargetFault
from harness.evidence import Exchange, attach
from harness.facts import Unresolved, family_facts, resolve_psu
from harness.model import (
    CHECK,
    SETUP,
    Advance,
    Case,
    Expectation,
    Flow,
    FlowCall,
    NewPsu,
    Poll,
    ReadOtp,
    Repeat,
    Request,
    Step,
    Suite,
)
from harness.redaction import Redactor
from harness.regime import Regime
from harness.target import Target
from harness.values import resolve

_perf = time.perf_counter  # kept before any clock freeze: elapsed times stay real
_sleep = time.sleep
BODY_SHOWN = 600


@dataclass
class RunContext:
    """What stays the same for every case of a session: one client per target."""

    target: Target
    client: httpx.Client
    clock: ClockDriver
    redactor: Redactor
    regime: Regime
    evidence: bool = False


@dataclass
class _State:
    responses: dict[str, Observed] = field(default_factory=dict)
    psu_ids: list[str] = field(default_factory=list)
    last: Observed | None = None
    step_no: int = 0
    step: Step | None = None
    """The step being run (the innermost one)."""
    role: str | None = None
    """The role of the step being run: a failing `setup` step is a precondition not met."""
    unresolved: dict[str, list[Unresolved]] = field(default_factory=dict)
    """PSU name -> the facts its new-PSU answer did not give (for the broken reason)."""
    test_users: int = 0
    """How many fixed test users this case took so far."""


class CaseRun:
    """One execution of one case; holds nothing after it ends."""

    def __init__(self, ctx: RunContext, suite: Suite, case: Case) -> None:
        self.ctx = ctx
        self.suite = suite
        self.case = case
        self.state = _State()
        self.requests = 0
        """How many requests this case sent (sandbox calls included)."""
        self.wiring = ctx.target.families[suite.family]
        """This family's wiring at the target (maps, sandbox plane, replacement flows)."""

    # -- entry ------------------------------------------------------------------------
    def run(self) -> None:
        gap = self.ctx.target.capability_gap(self.case.needs, self.suite.family)
        if gap:
            raise NotTestable(gap)
        # the session's one client keeps a cookie jar: a cookie an earlier case's answer set
        # (a bank's session, a load balancer's affinity) must not judge this case
        self.ctx.client.cookies.clear()
        scope = self._base_scope()
        self.ctx.clock.start_case(self._clock_call)
        try:
            self._steps(self.case.steps, scope)
        finally:
            self.ctx.clock.end_case()

    def _clock_call(self, op_id: str, path_params: dict[str, Any], body: Any) -> Observed:
        """How a sandbox clock driver moves time during this case: through the case, so the
        move is evidence like any request."""
        step = self.state.step
        observed = self.sandbox_call(op_id, path_params, body, step=step)
        if not 200 <= observed.status < 300:  # time that did not move must never pass a case
            raise TargetFault(
                (self._where(step) if step else f"  in case {self.case.id}")
                + f"\n  the sandbox did not move the clock (SBX-3): "
                f"{self.ctx.redactor.url(observed.request_line or op_id)} answered "
                f"{observed.status}, body {self._body_text(observed)}"
            )
        return observed

    def _base_scope(self) -> dict[str, Any]:
        return {"regime": dict(self.ctx.regime.limits), "params": dict(self.suite.parameters)}

    def _steps(self, steps: tuple[Step, ...], scope: dict[str, Any], inherited: str | None = None) -> None:
        for step in steps:
            self.state.step_no += 1
            self.state.step = step
            role = step.role_of(inherited)
            self.state.role = role
            # a step that may check, run as a precondition, says so (the other kinds are always setup)
            marked = role == SETUP and (step.default_role == CHECK or isinstance(step, FlowCall))
            with self._allure_step(self._title(step, scope) + (" (precondition)" if marked else "")):
                self._run_step(step, scope, step.passes_on(inherited))

    def _run_step(self, step: Step, scope: dict[str, Any], passes_on: str | None) -> None:
        """Each step kind's one function (`harness.model` has its class)."""
        match step:
            case Request():
                self._request(step, scope)
            case Advance():
                self._advance(step, scope)
            case FlowCall():
                self._flow_call(step, scope, passes_on)
            case NewPsu():
                self._new_psu(step, scope)
            case ReadOtp():
                self._read_otp(step, scope)
            case Repeat():
                self._repeat(step, scope, passes_on)
            case Poll():
                self._poll(step, scope, passes_on)
            case _:  # pragma: no cover - the loader builds only the kinds above
                raise TypeError(f"no engine function for step kind {type(step).__name__}")

    def _not_compliant(self, finding: str, step: Step, observed: Observed | None = None) -> Exception:
        """A check that did not hold is a finding; in a precondition it means the case never
        reached its rule: broken, with the step and what came back."""
        if self.state.role != SETUP:
            return NonCompliance(finding)
        came_back = f"{observed.status} {self._body_text(observed)}" if observed is not None else "nothing"
        detail = "\n".join(line for line in finding.splitlines()[1:] if not line.startswith("  rule "))
        return PreconditionNotMet(
            f"precondition not met: {self.ctx.redactor.text(step.label)} at {step.location}: {came_back}\n{detail}"
        )

    def _title(self, step: Step, scope: dict[str, Any]) -> str:
        """The step's label; a clock move says by how much, references resolved."""
        if isinstance(step, Advance) and self.ctx.evidence and not step.title:
            try:
                seconds = self._advance_seconds(step, scope)
            except (TargetFault, ValueError):
                return step.label
            return f"advance the clock by {format_duration(seconds)} ({step.written()})"
        return step.label

    def _advance_seconds(self, step: Advance, scope: dict[str, Any]) -> int:
        raw = self._resolve(step.by, scope, step)
        return sum(parse_duration(item) for item in (raw if isinstance(raw, list) else [raw]))

    @contextlib.contextmanager
    def _allure_step(self, title: str) -> Iterator[None]:
        if not self.ctx.evidence:
            yield
            return
        import allure

        with allure.step(self.ctx.redactor.text(title)):
            yield

    def _resolve(self, value: Any, scope: dict[str, Any], step: Step) -> Any:
        try:
            return resolve(value, scope)
        except MissingValue as exc:
            fact = self._unresolved_fact(str(exc))
            if fact:
                raise PreconditionNotMet(f"precondition not met: {step.label} at {step.location}: {fact}") from None
            raise TargetFault(
                f"{exc} (needed by {step.label} at {step.location}); an earlier answer of the target lacked it"
            ) from None

    def _unresolved_fact(self, message: str) -> str:
        for name, missing in self.state.unresolved.items():
            for item in missing:
                if f"${{{name}.{item.fact.split('.')[0]}" in message:
                    return (
                        f"fact {item.fact} of PSU {name!r} did not resolve in the new-PSU answer (pointer tried: "
                        f"{item.tried}); map it under psu: in the target file"
                    )
        return ""

    # -- request ------------------------------------------------------------------------
    def _request(self, step: Request, scope: dict[str, Any]) -> None:
        target = self.ctx.target
        wiring = self.wiring
        path_params = self._resolve(dict(step.path), scope, step)
        if step.operation is not None:
            method, url = target.url_for(self.suite.family, step.operation, path_params)
        else:
            method = step.method.upper()
            url = str(self._resolve(step.url, scope, step))
            for name, value in path_params.items():
                url = url.replace("{" + name + "}", str(value))
            if not url.startswith(("http://", "https://")):
                url = target.family_path(self.suite.family, url)
        headers = dict(target.headers)
        for name, value in (self._resolve(dict(step.headers), scope, step)).items():
            headers[wiring.header_names.get(name, name)] = str(value)
        if step.bearer is not None:
            headers["Authorization"] = f"Bearer {self._resolve(step.bearer, scope, step)}"
        query = self._resolve(step.query, scope, step)
        form = self._resolve(step.form, scope, step)
        body = self._resolve(step.json, scope, step) if step.has_json else None
        carrier = target.params_carrier(self.suite.family, step.operation) if step.operation is not None else None
        if carrier is not None:  # this bank takes the operation's parameters elsewhere
            query, form, body, has_json = _carry(carrier, query, form, body, step.has_json)
        else:
            has_json = step.has_json
        # What a case sends is not harvested by value: its secrets are either the target's
        # ${env:...} values or values an earlier answer minted, both registered already;
        # a suite's literals (a deliberately wrong OTP) are no secrets. Evidence masks
        # secret-named fields of requests by key.
        observed = self._send(
            step,
            method,
            url,
            headers=headers,
            params=_query(query),
            data=_form(form) if form is not None else None,
            json_body=body,
            has_json=has_json,
            follow=step.follow_redirects,
        )
        if step.expect is not None:
            self._expect(step, step.expect, observed, scope)
        self._capture(step, observed, scope)
        if step.save_as is not None:
            self.state.responses[step.save_as] = observed

    def _send(
        self,
        step: Step,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        params: Any,
        data: Any,
        json_body: Any,
        has_json: bool,
        follow: bool,
        secrets_of: Any = None,
    ) -> Observed:
        """One exchange, recorded as evidence. `secrets_of(body)` names the secrets of an answer
        whose field names redaction by key cannot know (a new PSU's facts), before it is written."""
        client = self.ctx.client
        kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": follow}
        if params:
            kwargs["params"] = params
        if data is not None:
            kwargs["data"] = data
        if has_json:
            kwargs["json"] = json_body
        request = client.build_request(method, url, **{k: v for k, v in kwargs.items() if k != "follow_redirects"})
        started = _perf()
        self.requests += 1
        try:
            response = self._send_within_deadline(client, request, follow, started)
        except httpx.TimeoutException as exc:
            detail = f": {exc}" if str(exc) else ""
            raise TargetFault(
                self._where(step) + f"\n  the target did not answer in time ({exc.__class__.__name__}"
                f"{self.ctx.redactor.text(detail)}): {method} {self.ctx.redactor.url(str(request.url))}"
            ) from None
        except httpx.HTTPError as exc:
            raise TargetFault(
                self._where(step) + f"\n  cannot reach the target ({exc.__class__.__name__}: "
                f"{self.ctx.redactor.text(str(exc))}): {method} {self.ctx.redactor.url(str(request.url))}"
            ) from None
        elapsed = (_perf() - started) * 1000
        body: Any = jsonpointer.MISSING
        if response.content:
            ctype = response.headers.get("content-type", "")
            if "json" in ctype or response.content[:1] in (b"{", b"["):
                try:
                    body = json.loads(response.content)
                except ValueError:
                    body = jsonpointer.MISSING
        redactor = self.ctx.redactor
        redactor.harvest(body)
        if secrets_of is not None:
            for secret in secrets_of(body):
                redactor.register(secret)
        location = response.headers.get("location")
        if location:
            redactor.harvest({k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()})
        if self.ctx.evidence:
            attach(
                Exchange(request, response, elapsed, self.ctx.clock.reading(), body),
                redactor,
                name=f"{method} {urlsplit(str(request.url)).path}",
            )
        observed = Observed(
            status=response.status_code,
            headers=response.headers,
            body=body,
            text=response.text,
            captures={},
            responses=self.state.responses,
            request_line=f"{method} {request.url}",
        )
        self.state.last = observed
        return observed

    def _send_within_deadline(
        self, client: httpx.Client, request: httpx.Request, follow: bool, started: float
    ) -> httpx.Response:
        """Send, and read the body against one total deadline (the target's `timeouts.total`,
        default connect + read): httpx's read timeout restarts with every chunk, so a bank
        that drips a byte at a time could otherwise hold a case indefinitely."""
        limit = self.ctx.target.max_body_bytes
        if self.ctx.target.in_process:
            response = client.send(request, follow_redirects=follow)
            if len(response.content) > limit:
                raise TargetFault(self._too_large(request, len(response.content), limit))
            return response
        timeouts = self.ctx.target.timeouts
        deadline = float(timeouts.get("total", timeouts.get("connect", 5.0) + timeouts.get("read", 15.0)))
        response = client.send(request, follow_redirects=follow, stream=True)
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:  # read no further: memory stays bounded whatever the bank sends
                    raise TargetFault(self._too_large(request, size, limit, partial=True))
                if _perf() - started > deadline:
                    raise httpx.ReadTimeout(
                        f"the answer was not complete within the total deadline of {deadline:g} s", request=request
                    )
        finally:
            response.close()
        response._content = b"".join(chunks)  # what Response.read() would have set: the body, read once
        return response

    def _too_large(self, request: httpx.Request, size: int, limit: int, partial: bool = False) -> str:
        step = self.state.step
        where = self._where(step) if step is not None else f"  in case {self.case.id}"
        read = f"more than {limit}" if partial else str(size)
        return (
            f"{where}\n  the answer to {request.method} {self.ctx.redactor.url(str(request.url))} is {read} bytes, "
            f"above the target's max_body_bytes ({limit}); it was not read further"
        )

    # -- expectations -----------------------------------------------------------------------
    def _mismatches(self, step: Step, exp: Expectation, observed: Observed, scope: dict[str, Any]) -> list[Mismatch]:
        wiring = self.wiring
        values = {
            "json": {wiring.pointer(p): v for p, v in self._resolve(dict(exp.json), scope, step).items()},
            "contains": {wiring.pointer(p): v for p, v in self._resolve(dict(exp.contains), scope, step).items()},
            "headers": self._resolve(dict(exp.headers), scope, step),
            "at_most": {wiring.pointer(p): v for p, v in self._resolve(dict(exp.at_most), scope, step).items()},
            "at_least": {wiring.pointer(p): v for p, v in self._resolve(dict(exp.at_least), scope, step).items()},
        }
        if wiring.pointers or wiring.schemas:
            exp = _remap_expectation(exp, wiring)
        found = run_checks(exp, replace(observed, captures=scope), values)  # checks compare with the case's values
        if exp.needs_body and observed.body is jsonpointer.MISSING:
            status_bad = any(m.check == "status" for m in found)
            if not status_bad:
                raise TargetFault(
                    self._where(step) + "\n  the answer is not JSON, so its content cannot be checked"
                    f"\n  came back: {observed.status}\n  body: {self._body_text(observed)}"
                )
            found = [m for m in found if m.check in ("status", "headers")]
            found.append(Mismatch("body", "body", "a JSON document", "a body that is not JSON"))
        return found

    def _expect(self, step: Step, exp: Expectation, observed: Observed, scope: dict[str, Any]) -> None:
        found = self._mismatches(step, exp, observed, scope)
        if found:
            raise self._not_compliant(self._finding(step, observed, found), step, observed)

    def _finding(self, step: Step, observed: Observed, found: list[Mismatch], headline: str = "") -> str:
        redactor = self.ctx.redactor
        reqs = catalogue()
        lines = [headline or f"{self.case.id}: the bank did not do what the rule says"]
        for rid in self.case.requirements:
            req: Requirement | None = reqs.get(rid)
            lines.append(f"  rule {rid}: {req.title if req else ''}")
        lines.append(self._where(step))
        lines.append(f"  sent: {redactor.url(observed.request_line or '?')}")
        lines.append(f"  came back: {observed.status}")
        for mismatch in found:
            lines.append(f"  - {redactor.text(str(mismatch))}")
        lines.append(f"  body: {self._body_text(observed)}")
        return "\n".join(lines)

    def _where(self, step: Step) -> str:
        return f"  at {step.location} (step {self.state.step_no}: {self.ctx.redactor.text(step.label)})"

    def _body_text(self, observed: Observed) -> str:
        redactor = self.ctx.redactor
        if observed.body is not jsonpointer.MISSING:
            text = json.dumps(redactor.json(observed.body), ensure_ascii=False, sort_keys=True)
        else:
            text = redactor.text(observed.text) or "(empty)"
        return text if len(text) <= BODY_SHOWN else text[:BODY_SHOWN] + f"... ({len(text)} characters)"

    # -- captures -------------------------------------------------------------------------
    def _capture(self, step: Request, observed: Observed, scope: dict[str, Any]) -> None:
        for name, capture in step.capture.items():
            value = capture.read(observed, self.wiring)
            if (
                value is jsonpointer.MISSING
                and observed.body is jsonpointer.MISSING
                and observed.text.strip()
                and capture.reads_body
            ):  # an answer that does not parse is garbage, not an absent value
                raise TargetFault(
                    self._where(step) + f"\n  the answer is not JSON, so {name!r} cannot be captured"
                    f"\n  sent: {self.ctx.redactor.url(observed.request_line or '?')}"
                    f"\n  came back: {observed.status}\n  body: {self._body_text(observed)}"
                )
            if value is jsonpointer.MISSING:
                missing = Mismatch("capture", capture.describe(), f"a value (captured as {name!r})", "nothing (absent)")
                raise self._not_compliant(self._finding(step, observed, [missing]), step, observed)
            self.ctx.redactor.harvest({name: value})
            scope[name] = value

    # -- other steps ----------------------------------------------------------------------
    def _advance(self, step: Advance, scope: dict[str, Any]) -> None:
        seconds = self._advance_seconds(step, scope)
        if self.ctx.evidence:
            import allure

            allure.attach(
                f"advance by {format_duration(seconds)} ({seconds} s); target clock before: {self.ctx.clock.reading()}",
                name="clock",
                attachment_type=allure.attachment_type.TEXT,
            )
        self.ctx.clock.advance(seconds, list(self.state.psu_ids))

    def flow(self, name: str) -> Flow:
        """The flow a step calls: the target's replacement of a library flow, else the suite's."""
        flow = self.suite.flows[name]
        return self.wiring.flows.get(name, flow) if flow.library else flow

    def _flow_call(self, step: FlowCall, scope: dict[str, Any], role: str | None) -> None:
        flow = self.flow(step.flow)
        inner = self._base_scope()
        inner["args"] = self._resolve(dict(step.args), scope, step)
        self._steps(flow.steps, inner, role)
        exports = {name: inner[name] for name in flow.exports if name in inner}
        if step.save_as is not None:
            scope[step.save_as] = exports
        else:
            scope.update(exports)

    def _new_psu(self, step: NewPsu, scope: dict[str, Any]) -> None:
        name = step.save_as
        facts = family_facts(self.suite.family)
        if self.wiring.test_psus and self.ctx.target.sandbox_for(self.suite.family) is None:
            self._take_test_user(step, scope, name)
            return
        resolved: list[tuple[dict[str, Any], list[Unresolved]]] = []

        def secrets_of(body: Any) -> list[str]:  # the facts, read once: their secrets before evidence
            resolved.append(resolve_psu(facts, body, self.wiring.psu))
            return _fact_secrets(facts, resolved[0][0])

        response = self.sandbox_call("createSandboxPsu", {}, None, step=step, secrets_of=secrets_of)
        if not 200 <= response.status < 300 or not isinstance(response.body, dict):
            raise PreconditionNotMet(
                f"precondition not met: {step.label} at {step.location}: the sandbox did not "
                f"create a PSU (SBX-1): {response.status} {self._body_text(response)}"
            )
        psu, missing = resolved[0]
        scope[name] = psu
        self.state.unresolved[name] = missing
        if facts.facts and "psu_id" not in psu:
            raise PreconditionNotMet(
                f"precondition not met: {step.label} at {step.location}: the new-PSU answer gives no psu_id "
                f"(pointer tried: {self.wiring.psu.get('psu_id', facts.facts['psu_id'].default)}), so its clock "
                f"cannot be moved; map psu_id under psu: in the target file. Answer: {self._body_text(response)}"
            )
        self.state.psu_ids.append(str(psu.get("psu_id", response.body.get("psuId", ""))))

    def _take_test_user(self, step: Step, scope: dict[str, Any], name: str) -> None:
        users = self.wiring.test_psus
        if self.state.test_users >= len(users):
            raise NotTestable(
                f"the case needs {self.state.test_users + 1} PSUs, and target {self.ctx.target.name!r} "
                f"lists {len(users)} fixed test user(s)"
            )
        user = dict(users[self.state.test_users])
        self.state.test_users += 1
        self._register_secrets(family_facts(self.suite.family), user)
        scope[name] = user
        self.state.unresolved[name] = [
            Unresolved(f, "(not listed for this test user)")
            for f in family_facts(self.suite.family).facts
            if f not in user
        ]

    def _register_secrets(self, facts: Any, psu: dict[str, Any]) -> None:
        for secret in _fact_secrets(facts, psu):
            self.ctx.redactor.register(secret)

    def sandbox_call(
        self,
        op_id: str,
        path_params: dict[str, Any],
        body: Any,
        step: Step | None = None,
        params: dict[str, Any] | None = None,
        secrets_of: Any = None,
    ) -> Observed:
        """One request to the sandbox control plane (new PSU, clock, inbox), recorded as evidence."""
        target = self.ctx.target
        if target.sandbox_for(self.suite.family) is None:
            raise NotTestable(f"the case needs the sandbox control plane, and target {target.name!r} has none")
        method, url = target.url_for(self.suite.family, op_id, path_params)
        here = step or Request(operation=op_id, location=self.case.location)
        return self._send(
            here,
            method,
            url,
            headers=dict(target.headers),
            params=params,
            data=None,
            json_body=body,
            has_json=body is not None,
            follow=False,
            secrets_of=secrets_of,
        )

    def _read_otp(self, step: ReadOtp, scope: dict[str, Any]) -> None:
        to, channel = str(self._resolve(step.to, scope, step)), step.channel
        source = self.ctx.target.otp
        sent: list[str] = []
        if isinstance(source, dict):
            code = source["fixed"]
        elif source == "prompt":
            code = self._prompt_otp(to)
        elif source == "sandbox":
            observed = self.sandbox_call("listSandboxMessages", {}, None, step=step, params={"to": to})
            messages = observed.body.get("messages") if isinstance(observed.body, dict) else None
            if observed.status != 200 or not isinstance(messages, list):
                raise TargetFault(
                    self._where(step) + f"\n  the sandbox inbox (SBX-2) did not answer a message list: "
                    f"status {observed.status}, body {self._body_text(observed)}"
                )
            matching = [m for m in messages if isinstance(m, dict) and (channel is None or m.get("channel") == channel)]
            if not matching:
                raise self._not_compliant(
                    self._finding(
                        step,
                        observed,
                        [
                            Mismatch(
                                "otp", f"inbox of {to}", f"an OTP{' by ' + channel if channel else ''}", "no message"
                            )
                        ],
                        headline=f"{self.case.id}: the bank sent no OTP where the flow needs one",
                    ),
                    step,
                    observed,
                )
            code = str(matching[-1].get("code"))
            sent = [str(m.get("code")) for m in matching]
        else:
            raise NotTestable(f"target {self.ctx.target.name!r} declares no OTP source")
        self.ctx.redactor.register(code)
        scope[step.save_as] = wrong_code(code, sent) if step.wrong else code

    def _prompt_otp(self, to: str) -> str:
        if not sys.stdin or not sys.stdin.isatty():
            raise NotTestable("the OTP source is prompt, and no person is at a terminal to type it")
        import click

        return str(click.prompt(f"OTP sent to {to}", hide_input=True))

    def _repeat(self, step: Repeat, scope: dict[str, Any], role: str | None) -> None:
        times = self._resolve(step.times, scope, step)
        if isinstance(times, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in times):
            times = sum(times)  # summed like advance: [${regime.max_failed_attempts}, -1]
        if isinstance(times, bool) or not isinstance(times, int) or times < 0:
            raise TargetFault(f"repeat times must be a whole number, got {times!r} at {step.location}")
        from harness.loader import MAX_REPEAT

        if times > MAX_REPEAT:
            raise TargetFault(f"repeat times {times} is more than {MAX_REPEAT} at {step.location}")
        for index in range(times):
            if step.index is not None:
                scope[step.index] = index
            self._steps(step.steps, scope, role)

    def _poll(self, step: Poll, scope: dict[str, Any], role: str | None) -> None:
        attempts = step.attempts
        interval = parse_duration(self._resolve(step.interval, scope, step))
        seen: list[str] = []
        for attempt in range(1, attempts + 1):
            self._steps(step.steps, scope, role)
            self.state.role = step.role_of(role)
            last = self.state.last
            if last is None:
                raise TargetFault(f"poll at {step.location} has no request step to observe")
            seen.append(f"{last.status} {self._body_text(last)[:80]}")
            if step.halt is not None and not self._mismatches(step, step.halt, last, scope):
                raise self._not_compliant(
                    self._finding(
                        step,
                        last,
                        [
                            Mismatch(
                                "poll",
                                "halt",
                                "the until condition before the halt condition",
                                f"halt at attempt {attempt}",
                            )
                        ],
                        headline=f"{self.case.id}: polling reached its halt condition",
                    ),
                    step,
                    last,
                )
            if not self._mismatches(step, step.until, last, scope):
                return
            if attempt < attempts:
                _sleep(interval)
        history = "; ".join(seen[-5:])
        last = self.state.last
        assert last is not None, "attempts >= 1 (the suite schema's minimum), and each attempt observed a response"
        raise self._not_compliant(
            self._finding(
                step,
                last,
                [
                    Mismatch(
                        "poll",
                        "until",
                        f"the until condition within {attempts} attempts",
                        f"never met (last: {history})",
                    )
                ],
            ),
            step,
            last,
        )


def _fact_secrets(facts: Any, psu: dict[str, Any]) -> list[str]:
    """The credentials among a PSU's facts (`secret: true` in specs/facts)."""
    out = []
    for fact, sub in facts.secret_paths():
        value = psu.get(fact)
        for item in value if isinstance(value, list) else [value]:
            secret = item.get(sub) if sub and isinstance(item, dict) else (None if sub else item)
            if isinstance(secret, (str, int)) and not isinstance(secret, bool) and str(secret):
                out.append(str(secret))
    return out


def wrong_code(latest: str, sent: list[str]) -> str:
    """A code of the latest OTP's form that is none of the codes sent: a wrong OTP that can
    never be right by chance (as a fixed "000000" would be once in a million). Random, so
    that it reveals nothing of the real code."""
    import secrets

    taken = set(sent) | {latest}
    width = len(latest) if latest.isdigit() and latest else 6
    if len(taken) >= 10**width:
        raise TargetFault("every code of the OTP's form was sent: no wrong code exists")
    while True:
        candidate = f"{secrets.randbelow(10**width):0{width}d}"
        if candidate not in taken:
            return candidate


def _query(query: Any) -> Any:
    if not query:
        return None
    # a list is a repeated parameter (k=a&k=b), an object travels as JSON text
    return {
        k: ([_scalar(i) for i in v] if isinstance(v, list) else json.dumps(v) if isinstance(v, dict) else _scalar(v))
        for k, v in query.items()
    }


def _form(form: Any) -> Any:
    return {k: _scalar(v) for k, v in form.items()}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


def _carry(carrier: str, query: Any, form: Any, body: Any, has_json: bool) -> tuple[Any, Any, Any, bool]:
    """The step's parameters, wherever written, moved to where this bank takes them."""
    merged: dict[str, Any] = {}
    for part in (query, form, body if isinstance(body, dict) else None):
        merged.update(part or {})
    if not merged and not (has_json and body is not None):
        return query, form, body, has_json
    if carrier == "query":
        return merged, None, None, False
    if carrier == "form":
        return None, merged, None, False
    return None, None, merged, True


def _remap_expectation(exp: Expectation, target: Any) -> Expectation:
    return replace(
        exp,
        present=tuple(target.pointer(p) for p in exp.present),
        absent=tuple(target.pointer(p) for p in exp.absent),
        unique={target.pointer(p): n for p, n in exp.unique.items()},
        schema=target.schemas.get(exp.schema, exp.schema) if exp.schema else None,
    )
