"""`summary.html`: the harness's own compliance summary, one static file, no Node needed.

Written by every run from `summary.json` and `manifest.json`: the target and run metadata,
the verdict per requirement with its citations (linked at the article, with a legend of the
`(unverified)` tag) and cases, every case, the list of cases that were not testable with
their reasons, and each failed or broken case's whole finding (redacted, in a `<pre>`) with
a link to the case in report.html. Self-contained: inline
CSS, no script, no image, no font, nothing fetched when it opens (links are only links).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from harness.verdicts import BROKEN, FAILED, NOT_TESTABLE, PASSED, SKIPPED

EXIT_MEANING = {
    0: "every selected case passed",
    1: "at least one case failed: the bank is non-compliant",
    2: "usage or configuration error",
    3: "broken: the target could not be tested, a harness fault, or a secret found in the report",
    4: "incomplete: a required case was not testable",
}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1200px;
color:#1d232a;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f3f5f7}
.meta th{width:14em}
.v{font-weight:600;white-space:nowrap;border-radius:3px;padding:0 .4em}
.v-passed{color:#0a6b2d;background:#dcf5e3}.v-failed{color:#a1121b;background:#fde2e3}
.v-broken{color:#8a4b00;background:#fdebd0}.v-not-testable{color:#5a3d99;background:#ebe3fb}
.v-skipped,.v-no-case{color:#57606a;background:#eef0f2}
.counts td{text-align:center}.reason{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px}
small{color:#57606a}code{font-family:ui-monospace,monospace}
pre.finding{white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,monospace;background:#f6f8fa;
border:1px solid #d0d7de;border-left:4px solid #a1121b;padding:.6em .8em;margin:.4em 0;max-height:40em;overflow:auto}
.finding-broken pre.finding{border-left-color:#8a4b00}
.legend{background:#f6f8fa;border:1px solid #d0d7de;padding:.5em .8em}
h3{margin:1.4em 0 .3em}
"""

LEGEND = (
    "Each citation links to the text it cites: EUR-Lex at the cited article (the HTML of the act, "
    "<code>#art_N</code>; an article that Delegated Regulation (EU) 2022/2360 replaced or inserted, "
    "Art. 10 and 10a of the RTS, at Art. 1 of that act, which holds the new text), an RFC at its section. "
    "A citation is <b>verified</b> when its article, paragraph and point were read in a stored copy of the "
    "text and say what the rule attributes to them (the copies read were consolidated texts outside "
    "EUR-Lex, which could not be fetched: see <code>specs/requirements.yaml</code>). "
    "<small>(unverified)</small> marks a citation that was not confirmed so: it names the clause the rule "
    "is believed to rest on, and its note (shown when the pointer rests on the tag) says what is missing, "
    "for example that the clause was read only in a text that is not EU law."
)
"""What `(unverified)` means: the `verified` field of `specs/requirements.yaml`."""


def _v(verdict: str) -> str:
    return f'<span class="v v-{escape(verdict.replace(" ", "-"))}">{escape(verdict)}</span>'


def _citations(rid: str, labels: list[str]) -> str:
    from harness.catalogue import catalogue

    try:
        req = catalogue().get(rid)
    except Exception:  # a catalogue that does not load must not cost the summary
        req = None
    if req is None:
        return "<br>".join(escape(label) for label in labels) or "<small>none</small>"
    parts = []
    for cite in req.citations:
        title = escape(cite.note or "not confirmed in a stored copy of the text")
        tag = f' <small class="unverified" title="{title}">(unverified)</small>'
        link = f'<a href="{escape(cite.article_url)}">{escape(cite.label)}</a>' if cite.url else escape(cite.label)
        parts.append(link + ("" if cite.verified else tag))
    source = getattr(req, "source_document", None)
    if source is not None:
        title = escape(f"source: {source.title}")
        parts.append(f'<a href="{escape(source.url)}">{title}</a>' if getattr(source, "url", "") else title)
    return "<br>".join(parts) or "<small>none</small>"


def _report_link(case: dict[str, Any], report_exists: bool) -> str:
    """Where the case's evidence opens in report.html (Allure 3 routes `#/<result id>`)."""
    link = case.get("report_link")
    cid = escape(case["id"])
    if not link:
        return ""
    if report_exists:
        return (
            f'<p><a href="{escape(link)}">Open {cid} in report.html</a>: every request and response, in '
            f"order, redacted (if it opens on the overview, search there for <code>{cid}</code>).</p>"
        )
    return (
        f'<p>Evidence: <a href="{escape(link)}">{cid} in report.html</a>, once it is generated '
        "(<code>psd2-harness run --html</code>, or later <code>psd2-harness report RUN_DIR</code>; the link "
        f"holds for any report.html made from this folder's <code>allure-results/</code>); in it, search for "
        f"<code>{cid}</code>.</p>"
    )


def _findings(findings: list[dict[str, Any]], report_exists: bool) -> list[str]:
    out = []
    for case in findings:
        cid = escape(case["id"])
        text = case.get("finding") or case.get("reason", "")
        verdict = case.get("verdict", "")
        out.append(
            f'<section id="finding-{cid}" class="finding-{escape(verdict)}">'
            f'<h3><a href="#case-{cid}">{cid}</a> {_v(verdict)}</h3>'
            f"<p>{escape(case.get('title', ''))}</p>"
            f'<pre class="finding">{escape(text)}</pre>'
            f"{_report_link(case, report_exists)}</section>"
        )
    return out


def render(summary: dict[str, Any], manifest: dict[str, Any], run_id: str, report_exists: bool = False) -> str:
    """The page. `report_exists`: report.html is in the folder (the case links then say so)."""
    target = summary.get("target", {})
    code = summary.get("exit_code")
    title = f"PSD2 SCA conformance: {target.get('name', '')}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # no request may leave the machine when the page opens
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Run <code>{escape(run_id)}</code>: exit code <b>{escape(str(code))}</b> "
        f"({escape(EXIT_MEANING.get(code, 'unknown') if code is not None else 'unknown')}).</p>",
    ]
    if summary.get("interrupted"):
        out.append(
            "<p><b>Interrupted</b>: the run was stopped (Ctrl-C) before every case had a verdict; "
            "what is listed is what ran.</p>"
        )
    counts = summary.get("counts", {})
    out += ["<h2>Verdicts</h2>", '<table class="counts"><tr>']
    out += [f"<th>{_v(v)}</th>" for v in counts]
    out += ["</tr><tr>"] + [f"<td>{int(n)}</td>" for n in counts.values()] + ["</tr></table>"]
    out += ["<h2>Target and run</h2>", '<table class="meta">']
    rows = [
        ("target", target.get("name", "")),
        ("base URL", target.get("base_url", "")),
        ("clock", target.get("clock", "")),
        ("regime", summary.get("regime", "")),
        ("harness version", summary.get("harness_version", "")),
        ("started (UTC)", manifest.get("started", "")),
        ("ended (UTC)", manifest.get("ended", "")),
        ("target file", (manifest.get("target") or {}).get("source", "")),
    ]
    out += [f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows]
    out.append(
        f"<tr><th>suites</th><td>{len(manifest.get('suites', []))} file(s), "
        f'<a href="#suites">listed with their SHA-256 below</a></td></tr>'
    )
    out.append("</table>")

    shown = [
        r
        for r in summary.get("requirements", [])
        if r.get("cases") or r.get("id") in summary.get("requirements_without_cases", [])
    ]
    out += [
        "<h2>Requirements</h2>",
        f'<p class="legend" id="legend">{LEGEND}</p>',
        "<table><tr><th>requirement</th><th>citations</th><th>verdict</th><th>cases</th></tr>",
    ]
    for row in shown:
        cases = (
            "<br>".join(
                f'<a href="#case-{escape(c["id"])}">{escape(c["id"])}</a> {_v(c["verdict"])}'
                for c in row.get("cases", [])
            )
            or "<small>no case</small>"
        )
        out.append(
            f'<tr id="req-{escape(row["id"])}"><td><b>{escape(row["id"])}</b> {escape(row.get("title", ""))}'
            f"<br><small>{escape(row.get('family', ''))}, {escape(row.get('severity', ''))}</small></td>"
            f"<td>{_citations(row['id'], row.get('citations', []))}</td>"
            f"<td>{_v(row.get('verdict', ''))}</td><td>{cases}</td></tr>"
        )
    out.append("</table>")

    out += [
        "<h2>Cases</h2>",
        "<table><tr><th>case</th><th>requirements</th><th>severity</th><th>verdict</th><th>reason</th></tr>",
    ]
    for case in summary.get("cases", []):
        reqs = " ".join(f'<a href="#req-{escape(r)}">{escape(r)}</a>' for r in case.get("requirements", []))
        reason = escape(case.get("reason", ""))
        if case.get("verdict") in (FAILED, BROKEN):
            reason += f'<br><a href="#finding-{escape(case["id"])}">the finding</a>'
        out.append(
            f'<tr id="case-{escape(case["id"])}"><td><b>{escape(case["id"])}</b>: '
            f"{escape(case.get('title', ''))}<br><small>{escape(case.get('family', ''))}, "
            f"{escape(str(case.get('duration_s', '')))} s</small></td><td>{reqs}</td>"
            f"<td>{escape(case.get('severity', ''))}</td><td>{_v(case.get('verdict', ''))}</td>"
            f'<td class="reason">{reason}</td></tr>'
        )
    out.append("</table>")

    out.append("<h2>Not testable</h2>")
    if summary.get("not_testable"):
        out.append(
            "<ul>"
            + "".join(
                f'<li><a href="#case-{escape(n["id"])}">{escape(n["id"])}</a>: {escape(n.get("reason", ""))}</li>'
                for n in summary["not_testable"]
            )
            + "</ul>"
        )
    else:
        out.append("<p>None: every selected case could be run.</p>")
    if summary.get("requirements_without_cases"):
        out += [
            "<h2>Requirements without a case</h2>",
            "<p><small>Requirements of the API families this run tested that no case checks.</small></p>",
            "<ul>"
            + "".join(
                f'<li><a href="#req-{escape(r)}">{escape(r)}</a></li>' for r in summary["requirements_without_cases"]
            )
            + "</ul>",
        ]
    findings = [c for c in summary.get("cases", []) if c.get("verdict") in (FAILED, BROKEN)]
    out.append('<h2 id="findings">Findings</h2>')
    if findings:
        out.append(
            "<p><small>Every failed or broken case: the rule, where in the suite (file:line:column and "
            "step), what was sent, what came back, every mismatch, redacted.</small></p>"
        )
        out += _findings(findings, report_exists)
    else:
        out.append("<p>None.</p>")
    out += ['<h2 id="suites">Suites run</h2>', "<table>"]
    for suite in manifest.get("suites", []):
        out.append(
            f"<tr><td><code>{escape(suite.get('file', ''))}</code></td>"
            f"<td><small>SHA-256 {escape(suite.get('sha256', ''))}</small></td></tr>"
        )
    out.append("</table>")
    out.append(
        "<p><small>Evidence of every exchange: <code>report.html</code> (if generated) or the raw "
        "<code>allure-results/</code>. Check this folder with <code>psd2-harness verify RUN_DIR</code> "
        "or <code>sha256sum -c SHA256SUMS</code>. Verdicts: "
        + ", ".join(_v(v) for v in (PASSED, FAILED, BROKEN, NOT_TESTABLE, SKIPPED))
        + ".</small></p></body></html>"
    )
    return "\n".join(out) + "\n"


def write_summary_html(run_dir: Path, summary: dict[str, Any], manifest: dict[str, Any]) -> Path:
    """Write (or rewrite, once report.html is there) RUN_DIR/summary.html."""
    path = Path(run_dir) / "summary.html"
    path.write_text(
        render(summary, manifest, Path(run_dir).name, report_exists=(Path(run_dir) / "report.html").is_file()),
        encoding="utf-8",
    )
    return path
