"""The `clepath cds` commands: try the CDS Hooks services on this machine.

`clepath cds serve` runs a uvicorn app with only the CDS router on 127.0.0.1 (nothing else is
exposed); `--dev-keys DIR` makes a development client key pair and trusts it. `clepath cds call
HOOK` plays the EHR: it signs a client JWT, builds a spec-shaped request from a case file (its
FHIR export answers the prefetch templates; `--drop`, `--null` and `--outcome` simulate partial
prefetch), adds draft orders from `--order` text, posts it and prints the response.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clepath.cli.common import DEMO_CASES, knowledge_with, load_case_arg
from clepath.errors import CaseError, ClepathError, FieldProblem

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["DEV_ISSUER", "cds_app", "parse_order", "register"]

DEV_ISSUER = "http://127.0.0.1/clepath-dev-client"
_KEY_FILE = "client-key.pem"
_JWKS_FILE = "jwks.json"
_HOOKS = ("discovery", "patient-view", "order-select", "order-sign")
_ORDER = re.compile(r"^\s*(?P<drug>.+?)\s+(?P<dose>\d+(?:\.\d+)?)\s*(?P<unit>mg|g)\b"
                    r"(?:\s+(?P<freq>.*?))?(?:\s*x\s*(?P<days>\d+)\s*(?:days?)?)?\s*$",
                    re.IGNORECASE)

cds_app = typer.Typer(help="CDS Hooks 2.0: serve the services locally, call them as an EHR "
                           "would.", no_args_is_help=True)


def _dev_keys(folder: Path) -> tuple[Path, Path]:
    """The development key pair in `folder` (made on first use): private PEM, JWKS."""
    from clepath.fhir.cds.harness import generate_key, jwks

    folder.mkdir(parents=True, exist_ok=True)
    key_path, jwks_path = folder / _KEY_FILE, folder / _JWKS_FILE
    if not key_path.exists():
        key = generate_key("ES384")
        key_path.write_bytes(key.private_pem())
        key_path.chmod(0o600)
        jwks_path.write_text(json.dumps(jwks(key), indent=2) + "\n", encoding="utf-8")
    return key_path, jwks_path


@cds_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    dev_keys: Annotated[Path | None, typer.Option(
        "--dev-keys", help="Make (first time) and trust a development client key in DIR.",
        metavar="DIR")] = None,
    trust: Annotated[list[str] | None, typer.Option(
        "--trust", help="Trust a client: ISSUER=JWKS (a file path or an https URL).",
        metavar="ISS=JWKS")] = None,
    cors_origin: Annotated[list[str] | None, typer.Option(
        "--cors-origin", help="Allow browser calls from this origin.", metavar="ORIGIN")] = None,
    allow_http_fhir: Annotated[bool, typer.Option(
        "--allow-http-fhir", help="Let the service read from http:// FHIR servers (local "
                                  "trials only).")] = False,
    workers: Annotated[int, typer.Option(
        min=1, max=32, help="Worker processes (used token ids, card rules and feedback are "
                            "shared through the database).")] = 1,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="Where token ids, card rules and feedback are kept (default: "
                               "$CLEPATH_DATABASE_URL, else sqlite:///clepath.db).",
        metavar="URL")] = None,
) -> None:
    """Run the CDS services on http://127.0.0.1:PORT (for trying them out)."""
    import gc
    import os

    if workers == 1:
        # No cyclic collection while the app is built in this process (its objects live as
        # long as the process; collecting them meanwhile costs about 0.04 s of CPU):
        # `app_from_env` turns the collector back on when the app is made.
        gc.disable()

    import uvicorn

    from clepath.cli.web import prepare_database
    from clepath.settings import Settings
    from clepath.web.cds_serve import ENV, serve_spec

    issuers: list[dict[str, str]] = []
    if dev_keys is not None:
        key_path, jwks_path = _dev_keys(dev_keys)
        issuers.append({"iss": DEV_ISSUER, "jwks_file": str(jwks_path)})
        typer.echo(f"Trusting the development client {DEV_ISSUER} (key {key_path}).\nTry: "
                   f"clepath cds call patient-view --demo scle --dev-keys {dev_keys} --url "
                   f"http://127.0.0.1:{port}", err=True)
    for item in trust or []:
        iss, sep, source = item.partition("=")
        if not sep or not iss or not source:
            raise CaseError(FieldProblem("--trust", item, "is not ISSUER=JWKS",
                                         "an issuer and a JWKS file or URL"))
        if source.startswith("https://"):
            issuers.append({"iss": iss, "jwks_url": source})
        elif Path(source).is_file():
            issuers.append({"iss": iss, "jwks_file": source})
        else:
            raise CaseError(FieldProblem("--trust", item, "names no JWKS file or https URL",
                                         "ISSUER=PATH of a JWKS file, or ISSUER=https://..."))
    if not issuers:
        raise CaseError(FieldProblem("--trust", None, "no trusted client", "--dev-keys DIR or "
                                     "--trust ISSUER=JWKS"))
    settings = Settings.from_env(database_url=database_url)
    prepare_database(settings)
    os.environ[ENV] = serve_spec(base_url=f"http://127.0.0.1:{port}", issuers=issuers,
                                 database_url=settings.database_url,
                                 cors_origins=cors_origin or (),
                                 allow_http_fhir=allow_http_fhir)
    # The asyncio event loop, not uvloop: importing uvloop costs about 0.05 s of CPU at start,
    # a tenth of the start, for no measurable gain at a CDS service's request rates.
    uvicorn.run("clepath.web.cds_serve:app_from_env", factory=True, host="127.0.0.1",
                port=port, workers=workers, log_level="info", server_header=False,
                loop="asyncio")


def parse_order(text: str, patient_id: str, index: int, kb: Any) -> dict[str, Any]:
    """A draft MedicationRequest from text: `hydroxychloroquine 400 mg daily`,
    `IVIG 32 g daily x5`, `prednisolone 20 mg once daily`."""
    from clepath.fhir.cds.harness import draft_order
    from clepath.knowledge.models.vocabulary import Frequency

    match = _ORDER.match(text)
    if not match:
        raise CaseError(FieldProblem("--order", text, "is not an order",
                                     "DRUG DOSE mg|g [FREQUENCY] [x DAYS]"))
    per_day, every = 1, None
    if match.group("freq"):
        freq = kb.vocabulary("frequency").resolve(match.group("freq"))
        if freq is None:
            raise CaseError(FieldProblem("--order", match.group("freq"), "is not a frequency",
                                         "daily, twice daily, weekly, ..."))
        rate = next(f.doses_per_week for f in kb.table("vocabulary", "frequencies", Frequency)
                    if f.id == freq)
        if rate >= 7:
            per_day = round(rate / 7)
        else:
            every = round(7 / rate)
    days = int(match.group("days")) if match.group("days") else None
    return draft_order(match.group("drug"), float(match.group("dose")),
                       match.group("unit").lower(), order_id=f"draft-{index + 1}",
                       patient_id=patient_id, per_day=per_day, every_days=every, days=days)


def _signer(key: Path | None, dev_keys: Path | None, issuer: str | None, kid: str | None) -> Any:
    from clepath.fhir.cds.harness import Signer, load_key

    if dev_keys is not None:
        key, _ = _dev_keys(dev_keys)
        issuer = issuer or DEV_ISSUER
    if key is None or issuer is None:
        raise CaseError(FieldProblem("--key", None, "a signing key and issuer are required",
                                     "--dev-keys DIR, or --key PEM --issuer ISS"))
    try:
        loaded = load_key(key.read_bytes(), kid)
    except (OSError, ValueError) as exc:
        raise CaseError(FieldProblem("--key", str(key), f"cannot be read ({exc})",
                                     "a PEM private key (EC P-384 or RSA)")) from None
    return Signer(issuer, loaded)


@cds_app.command("call")
def call(
    hook: Annotated[str, typer.Argument(help=f"One of: {', '.join(_HOOKS)}.")],
    case: Annotated[Path | None, typer.Argument(help="Case file: the patient's data.")] = None,
    demo: Annotated[str | None, typer.Option(
        "--demo", help=f"Use a bundled example case: {', '.join(DEMO_CASES)}.",
        metavar="NAME")] = None,
    url: Annotated[str, typer.Option(help="The CDS service base URL.")] = (
        "http://127.0.0.1:8765"),
    dev_keys: Annotated[Path | None, typer.Option(
        "--dev-keys", help="Sign with the development key in DIR (see `cds serve`).",
        metavar="DIR")] = None,
    key: Annotated[Path | None, typer.Option(help="PEM private key to sign the JWT.")] = None,
    issuer: Annotated[str | None, typer.Option(help="The JWT iss.")] = None,
    kid: Annotated[str | None, typer.Option(help="The JWT kid (default: key thumbprint).")] = None,
    patient_id: Annotated[str, typer.Option("--patient-id", help="context.patientId.")] = (
        "example"),
    order: Annotated[list[str] | None, typer.Option(
        "--order", help="A draft order, e.g. 'hydroxychloroquine 400 mg daily' or 'IVIG 32 g "
                        "daily x5'.", metavar="TEXT")] = None,
    drop: Annotated[list[str] | None, typer.Option(
        "--drop", help="Leave this prefetch key out.", metavar="KEY")] = None,
    null: Annotated[list[str] | None, typer.Option(
        "--null", help="Send this prefetch key as null (no data).", metavar="KEY")] = None,
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", help="Send an OperationOutcome for this key.", metavar="KEY")] = None,
    fhir_server: Annotated[str | None, typer.Option(
        "--fhir-server", help="fhirServer for the service's own reads.")] = None,
    access_token: Annotated[str | None, typer.Option(
        "--access-token", help="fhirAuthorization access token (never printed).")] = None,
    feedback: Annotated[str | None, typer.Option(
        help="Then send feedback on every card: accepted or overridden.")] = None,
) -> None:
    """Call a CDS service as an EHR would (signed JWT, spec-shaped request); print the answer."""
    import httpx

    from clepath.fhir.cds.cards import response_problems
    from clepath.fhir.cds.harness import prefetch_for, request_body
    from clepath.fhir.export import case_to_bundle
    from clepath.fhir.importer import collect_resources

    if hook not in _HOOKS:
        raise CaseError(FieldProblem("HOOK", hook, "is not supported", ", ".join(_HOOKS)))
    signer = _signer(key, dev_keys, issuer, kid)
    base = url.rstrip("/")
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    if hook == "discovery":
        response = httpx.get(f"{base}/cds-services", timeout=10,
                             headers=signer.bearer(f"{base}/cds-services"))
        _show(response, err)
        return
    kb = knowledge_with(None)
    loaded = load_case_arg(case, demo, kb)
    resources = collect_resources(case_to_bundle(loaded, kb, include_ivig=False).bundle)
    context = {"userId": "Practitioner/example", "patientId": patient_id}
    prefetch = prefetch_for(resources, context, drop=drop or (), null=null or (),
                            outcome=outcome or (), today=dt.date.today())
    orders = [parse_order(text, patient_id, i, kb) for i, text in enumerate(order or ())]
    if hook != "patient-view" and not orders:
        raise CaseError(FieldProblem("--order", None, f"{hook} needs at least one draft order",
                                     "--order 'hydroxychloroquine 400 mg daily'"))
    body = request_body(hook, patient_id=patient_id, prefetch=prefetch,
                        fhir_server=fhir_server, access_token=access_token, draft_orders=orders)
    service = "clepath-cle-summary" if hook == "patient-view" else "clepath-cle-orders"
    endpoint = f"{base}/cds-services/{service}"
    response = httpx.post(endpoint, json=body, timeout=30, headers=signer.bearer(endpoint))
    _show(response, err)
    if response.status_code == 200:
        problems = response_problems(response.json())
        err.print("card rules: " + ("all kept" if not problems else "; ".join(problems)),
                  markup=False)
        if feedback:
            _send_feedback(response.json(), feedback, endpoint, signer, err)


def _show(response: Any, err: Console) -> None:
    err.print(f"HTTP {response.status_code}", markup=False)
    if response.content:
        try:
            typer.echo(json.dumps(response.json(), indent=2, ensure_ascii=False))
        except ValueError:
            typer.echo(response.text)
    if response.status_code >= 300:
        raise ClepathError(f"the service answered HTTP {response.status_code}")


def _send_feedback(body: dict[str, Any], outcome: str, endpoint: str, signer: Any,
                   err: Console) -> None:
    import httpx

    if outcome not in ("accepted", "overridden"):
        raise CaseError(FieldProblem("--feedback", outcome, "is not an outcome",
                                     "accepted or overridden"))
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = []
    for card in body.get("cards") or ():
        item: dict[str, Any] = {"card": card["uuid"], "outcome": outcome, "outcomeTimestamp": now}
        suggestions = card.get("suggestions") or []
        if outcome == "accepted":
            if not suggestions:
                continue
            item["acceptedSuggestions"] = [{"id": suggestions[0]["uuid"]}]
        elif card.get("overrideReasons"):
            item["overrideReason"] = {"reason": card["overrideReasons"][0]}
        items.append(item)
    if not items:
        err.print("no card to give feedback on", markup=False)
        return
    url = f"{endpoint}/feedback"
    response = httpx.post(url, json={"feedback": items}, timeout=10, headers=signer.bearer(url))
    err.print(f"feedback: HTTP {response.status_code} for {len(items)} card(s)", markup=False)


def register(app: typer.Typer) -> None:
    """Add the `cds` command group to the clepath application."""
    app.add_typer(cds_app, name="cds")
