"""Plan the cases of a contract run for a budget: what to send and what must come back.

Positive bodies (the docs' sample, edges, generated), bodies that break exactly one R rule,
missing headers and query parameters (A3), bad tokens (A2), and the family's cases
(lifecycles, listing, broken C2/C3/L1 bodies, unknown ids). Bodies come from the spec's
examples and the strategies; every value that must exist in the account comes from the
fixture.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from kore_contract.contract import spec
from kore_contract.contract.fixture import Fixture
from kore_contract.redaction import RunSecrets
from kore_contract.run.checks import Expectation
from kore_contract.run.client import Target


@dataclass
class PlannedCase:
    id: str
    phase: str  # positive | negative | auth | lifecycle | fuzz
    expect: Expectation
    call: str = "create"
    body: Any = None  # a create body (dict); None with `raw`
    raw: bytes | None = None  # bytes sent as they are (not JSON, duplicated keys)
    headers: dict[str, str] | None = None  # None: the standard headers
    query: dict[str, str] | None = None  # None: the standard query
    breaks: str | None = None  # the rule the request breaks
    pointer: str = ""
    tolerates: str | None = None  # an advisory rule (R14, R16) the accepted body only warns on
    follow_lifecycle: bool = False
    notes: dict[str, Any] = field(default_factory=dict)


def with_run_prefix(body: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The body with its name prefixed by the run's id, still within the spec's maxLength.

    A name no longer than the prefix is a deliberate length edge (a 1-character name) and
    is left as it is; a longer one is cut back to the limit.
    """
    name = body.get("name")
    if not isinstance(name, str) or len(name) <= len(prefix):
        return body
    named = dict(body)
    named["name"] = (prefix + name)[: spec.max_length("name")]
    return named


def fitted_to_fixture(body: dict[str, Any], fixture: Fixture) -> dict[str, Any]:
    """A valid body whose account values (lists, template, caller id) exist in the fixture."""
    import base64

    fitted: dict[str, Any] = json.loads(json.dumps(body))
    fitted["contactLists"] = [fixture.contact_lists[0]]
    template, text = next(iter(fixture.templates.items()))
    fitted["message"] = {
        **fitted.get("message", {}),
        "template_name": template,
        "message": base64.b64encode(text.encode()).decode(),
    }
    if fixture.caller_ids:
        fitted["dialingStrategy"]["callerId"]["phoneNumber"] = fixture.caller_ids[0]
    if "dncLists" in fitted and fixture.dnc_lists:
        fitted["dncLists"] = {"name": fixture.dnc_lists[0]}
    return fitted


def run_prefix() -> str:
    return f"kc{int(time.time()) % 100000:05d} "


# --- advisory rules: bodies that only warrant a warning must still be accepted --------------


def advisory_cases(body: dict[str, Any]) -> list[PlannedCase]:
    late = json.loads(json.dumps(body))
    late["name"] = late["name"][:40] + " r14"
    late["dialingStrategy"]["callingHours"]["days"][0].update(start="6:00 PM", end="9:00 AM")
    extra = json.loads(json.dumps(body))
    extra["name"] = extra["name"][:40] + " r16"
    extra["isImported"] = False  # documented in the sample response only
    return [
        PlannedCase(
            "create-r14-start-after-end-accepted",
            "positive",
            "accept",
            body=late,
            tolerates="R14",
            notes={"what": "a day block that ends before it starts"},
        ),
        PlannedCase(
            "create-r16-extra-property-accepted",
            "positive",
            "accept",
            body=extra,
            tolerates="R16",
            notes={"what": "a property the body table does not name"},
        ),
    ]


# --- A3: headers, query parameters and content type --------------------------------------


def header_and_query_cases(target: Target, body: dict[str, Any]) -> list[PlannedCase]:
    standard = {**target.standard_headers(), "Content-Type": "application/json"}
    query = {"accountId": target.account_id, "campaignType": spec.campaign_type()}

    def without(mapping: dict[str, str], key: str) -> dict[str, str]:
        return {k: v for k, v in mapping.items() if k != key}

    cases = [
        ("a3-no-iid-header", without(standard, "iid"), query, "header iid missing"),
        ("a3-empty-iid-header", {**standard, "iid": ""}, query, "header iid empty"),
        (
            "a3-no-accountid-header",
            without(standard, "accountId"),
            query,
            "header accountId missing",
        ),
        ("a3-no-accountid-query", standard, without(query, "accountId"), "query accountId missing"),
        ("a3-empty-accountid-query", standard, {**query, "accountId": ""}, "query accountId empty"),
        (
            "a3-text-plain-body",
            {**standard, "Content-Type": "text/plain"},
            query,
            "a JSON body sent as text/plain",
        ),
    ]
    planned = [
        PlannedCase(
            case_id,
            "negative",
            "refuse",
            body=body,
            headers=headers,
            query=params,
            breaks="A3",
            notes={"what": what},
        )
        for case_id, headers, params, what in cases
    ]
    planned.append(
        PlannedCase(
            "r6-query-campaigntype-voice",
            "negative",
            "refuse",
            body=body,
            query={**query, "campaignType": "voice"},
            breaks="R6",
            pointer="/campaignType",
            notes={"what": "query campaignType=voice"},
        )
    )
    planned.append(
        PlannedCase(
            "r6-query-campaigntype-missing",
            "negative",
            "refuse",
            body=body,
            query=without(query, "campaignType"),
            breaks="R6",
            pointer="/campaignType",
            notes={"what": "query campaignType missing"},
        )
    )
    return planned


# --- A2: tokens the server must refuse --------------------------------------------------------


def auth_cases(
    target: Target,
    body: dict[str, Any],
    client_id: str | None,
    client_secret: str | None,
    *,
    secrets: RunSecrets | None = None,
) -> list[PlannedCase]:
    """A2 cases; every token minted here joins `secrets` at once (S11: it is one)."""
    base = {**target.standard_headers(), "Content-Type": "application/json"}
    secrets = secrets if secrets is not None else RunSecrets()
    tokens: list[tuple[str, str | None, str]] = [
        ("a2-no-auth-header", None, "no auth header"),
        ("a2-not-a-jwt", "not-a-jwt", "a value that is not a JWT"),
        (
            "a2-wrong-secret",
            _hs256(
                {"sub": "kore-contract", "appId": client_id or "x"},
                "kore-contract-wrong-secret-0123456789abcdef",
            ),
            "a token signed with another secret",
        ),
        (
            "a2-alg-none",
            _unsigned({"sub": "kore-contract", "appId": client_id or "x"}),
            "a token with alg none",
        ),
    ]
    if client_id and client_secret:  # these need the real secret to be meaningful
        tokens += [
            (
                "a2-expired",
                _hs256(
                    {"sub": "kore-contract", "appId": client_id, "exp": int(time.time()) - 3600},
                    client_secret,
                ),
                "a token whose exp is an hour ago",
            ),
            (
                "a2-missing-appid",
                _hs256({"sub": "kore-contract"}, client_secret),
                "a token without appId",
            ),
            (
                "a2-wrong-appid",
                _hs256({"sub": "kore-contract", "appId": client_id + "-other"}, client_secret),
                "a token for another appId",
            ),
            (
                "a2-appid-misspelled",
                _hs256({"sub": "kore-contract", "appid": client_id}, client_secret),
                "a token with appid, not appId",
            ),
        ]
    cases = []
    for case_id, token, what in tokens:
        if token is not None and token.count(".") == 2:
            secrets.add(token)
        headers = {k: v for k, v in base.items() if k != "auth"}
        if token is not None:
            headers["auth"] = token
        cases.append(
            PlannedCase(
                case_id,
                "auth",
                "unauthorized",
                body=body,
                headers=headers,
                breaks="A2",
                notes={"what": what},
            )
        )
    return cases


def _unsigned(claims: dict[str, Any]) -> str:
    """A JWT with alg none and no signature."""
    import base64

    def part(value: dict[str, Any]) -> str:
        encoded = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
        return encoded.rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _hs256(claims: dict[str, Any], secret: str) -> str:
    from kore_contract.auth import sign_claims

    return sign_claims(claims, secret)


# --- the whole plan ---------------------------------------------------------------------------


def docs_sample_case(target: Target, fixture: Fixture, prefix: str) -> PlannedCase:
    """The docs' sample request (completed, D11), sent with the sample's curl-like headers."""
    from kore_contract.contract.spec import examples

    body = with_run_prefix(
        fitted_to_fixture(examples("create", "request")["docsSample"], fixture), prefix
    )
    headers = {
        "auth": target.token,
        "accountid": target.account_id,
        "iid": target.iid,
        "Content-Type": "application/json",
    }
    return PlannedCase(
        "create-docs-sample",
        "positive",
        "accept",
        body=body,
        headers=headers,
        follow_lifecycle=True,
    )


LIFECYCLE_EVERY = 6  # every sixth accepted create also goes through get, delete, get (S10)
#: Broken bodies tried first: values just outside the allowed set, then wrong types.
_NEGATIVE_PRIORITY = (
    "duplicated-key",
    "not-in-enum",
    "not-",
    "too-long",
    "too-short",
    "too-few",
    "unknown",
    "wrong-type-number",
    "missing",
    "wrong-type",
)


def negative_budget(max_examples: int) -> int:
    return 2 * max_examples + 20


def select_broken(examples: list[Any], budget: int) -> list[Any]:
    """Up to `budget` broken bodies, round-robin over the rules, boundary cases first."""

    def rank(example: Any) -> int:
        return next(
            (i for i, word in enumerate(_NEGATIVE_PRIORITY) if word in example.case),
            len(_NEGATIVE_PRIORITY),
        )

    by_rule: dict[str, list[Any]] = {}
    for example in examples:
        by_rule.setdefault(example.rule, []).append(example)
    queues = [_interleaved(group, rank) for group in by_rule.values()]
    chosen: list[Any] = []
    while len(chosen) < budget and any(queues):
        for queue in queues:
            if queue and len(chosen) < budget:
                chosen.append(queue.pop(0))
    return chosen


def _interleaved(group: list[Any], rank: Any) -> list[Any]:
    """One of each kind (rank) in turn, so a small budget still sees every kind."""
    buckets: dict[int, list[Any]] = {}
    for example in group:
        buckets.setdefault(rank(example), []).append(example)
    ordered = [buckets[key] for key in sorted(buckets)]
    result: list[Any] = []
    while any(ordered):
        for bucket in ordered:
            if bucket:
                result.append(bucket.pop(0))
    return result


def plan_cases(
    target: Target,
    fixture: Fixture,
    *,
    max_examples: int,
    seed: int,
    client_id: str | None,
    client_secret: str | None,
    secrets: RunSecrets | None = None,
) -> list[PlannedCase]:
    """Every case of a run, positive first, for a budget of `max_examples` generated bodies.

    Positive: the docs' sample, the edge bodies, `max_examples` generated ones. Negative:
    broken bodies (2 x max_examples + 20, every rule), headers and query (A3), tokens (A2).
    Then the family (docs/contract.md part 2, `family_cases`): each create variant's
    lifecycle, the run's campaigns listed together, broken bodies of C2, C3 and L1, each
    call on an unknown id. The tokens minted for A2 join `secrets`, the run's redaction list.
    """
    from kore_contract import strategies
    from kore_contract.strategies._broken import broken_examples

    prefix = run_prefix()
    sample = docs_sample_case(target, fixture, prefix)
    positive = [
        ("edge-" + name.removeprefix("edge-"), body)
        for name, body in strategies.edge_campaigns(fixture)
    ]
    generated = strategies.generate(strategies.campaigns(fixture), max_examples, seed=seed)
    positive += [(f"generated-{index + 1}", body) for index, body in enumerate(generated)]
    planned = [sample]
    for index, (name, body) in enumerate(positive, start=1):
        planned.append(
            PlannedCase(
                f"create-{name}",
                "positive",
                "accept",
                body=with_run_prefix(body, prefix),
                follow_lifecycle=index % LIFECYCLE_EVERY == 0,
            )
        )
    planned += advisory_cases(sample.body)
    seen: set[str] = set()
    for broken in select_broken(broken_examples(fixture), negative_budget(max_examples)):
        case_id = f"create-breaks-{broken.rule.lower()}-{broken.case}"
        if case_id in seen:
            continue
        seen.add(case_id)
        planned.append(
            PlannedCase(
                case_id,
                "negative",
                "refuse",
                body=None if broken.raw else broken.payload,
                raw=broken.payload if broken.raw else None,
                breaks=broken.rule,
                pointer=broken.pointer,
                notes={"what": broken.case},
            )
        )
    planned += header_and_query_cases(target, sample.body)
    planned += auth_cases(target, sample.body, client_id, client_secret, secrets=secrets)
    planned.append(
        PlannedCase(
            "get-unknown-campaign",
            "negative",
            "refuse",
            call="get",
            breaks="S10",
            notes={
                "campaign_id": "cd-kore-contract-unknown",
                "what": "get of an id that does not exist",
            },
        )
    )
    planned += family_cases(fixture, prefix, seed=seed)
    return planned


# --- the family (docs/contract.md part 2): each variant's whole lifecycle, unknown ids ---------

#: Calls on a campaign id; each of an unknown id answers 404 (U3).
U3_CALLS = ("update", "start", "stop", "status", "delete")
UNKNOWN_ID = "cd-kore-contract-unknown"


#: Broken bodies per new clause (C2, C3 on create; L1 on list), boundary cases first.
CLAUSE_BUDGET = 4


def clause_cases(fixture: Fixture) -> list[PlannedCase]:
    """A few broken bodies for each clause of part 2: creates of each variant the fixture can
    make breaking C2 or C3, and list bodies breaking L1; each must be refused."""
    from kore_contract import strategies
    from kore_contract.contract.fixture import FixtureError

    broken: list[Any] = []
    for variant in spec.variant_names():
        try:
            examples = strategies.broken_examples(fixture, variant=variant)
        except FixtureError:
            continue
        # C1's broken bodies are another variant's valid ones (broken only where the tool
        # insists on a variant): a server must accept them, so they are not sent as refusals
        clauses = [example for example in examples if example.rule in ("C2", "C3")]
        rules = {example.rule for example in clauses}
        broken += [
            (variant, example) for example in select_broken(clauses, CLAUSE_BUDGET * len(rules))
        ]
    cases = [
        PlannedCase(
            f"create-breaks-{example.rule.lower()}-{variant}-{example.case}",
            "negative",
            "refuse",
            body=None if example.raw else example.payload,
            raw=example.payload if example.raw else None,
            breaks=example.rule,
            pointer=example.pointer,
            notes={"what": example.case},
        )
        for variant, example in broken
    ]
    for example in select_broken(strategies.broken_list_examples(), 2 * CLAUSE_BUDGET):
        cases.append(
            PlannedCase(
                f"list-breaks-l1-{example.case}",
                "negative",
                "refuse",
                call="list",
                body=example.payload,
                breaks="L1",
                pointer=example.pointer,
                notes={"what": example.case},
            )
        )
    return list({case.id: case for case in reversed(cases)}.values())[::-1]  # ids once


def family_cases(fixture: Fixture, prefix: str, *, seed: int) -> list[PlannedCase]:
    """One lifecycle case per create variant the fixture can make (create, get, update, get,
    start, status, list, refused transitions, stop, status, stop again, delete, 404s, list:
    runner.Runner walks it), starts alternating between the two URL shapes; then each call
    on an unknown id (U3). A variant the fixture cannot make (advanced without
    experienceFlows) is left out."""
    from kore_contract import strategies
    from kore_contract.contract.fixture import FixtureError

    cases: list[PlannedCase] = []
    broken_update = strategies.broken_examples(fixture, rule="R7")[0].payload  # U1
    for index, variant in enumerate(spec.variant_names()):
        try:
            body = strategies.base_campaign(fixture, variant=variant)
            update = strategies.generate(
                strategies.updates(fixture, variant=variant), 1, seed=seed + index
            )[0]
        except FixtureError:
            continue
        body = with_run_prefix({**body, "name": f"{body['name'][:30]} {variant}"}, prefix)
        update = {**update, "name": f"{body['name'][: spec.max_length('name') - 4]} upd"}
        cases.append(
            PlannedCase(
                f"family-{variant}-lifecycle",
                "lifecycle",
                "accept",
                body=body,
                notes={
                    "family": variant,
                    "update": update,
                    "broken_update": broken_update,
                    "start_shape": ("trigger", "start")[index % 2],
                    "what": f"the {variant} variant's lifecycle",
                },
            )
        )
    cases.append(listing_case(fixture, prefix))
    cases += clause_cases(fixture)
    for call in U3_CALLS:
        cases.append(
            PlannedCase(
                f"{call}-unknown-campaign",
                "negative",
                "refuse",
                call=call,
                breaks="U3",
                body=with_run_prefix(strategies.base_campaign(fixture), prefix)
                if call == "update"
                else None,
                notes={"campaign_id": UNKNOWN_ID, "what": f"{call} of an id that does not exist"},
            )
        )
    return cases


#: The listing case's campaigns, in creation order: a sort by name (a, b, c) differs from
#: newest first (b, a, c), so a server that ignores sortBy shows (L3).
LISTING_NAMES = ("c", "a", "b")


def listing_case(fixture: Fixture, prefix: str) -> PlannedCase:
    """The run's campaigns listed together (run/family.walk_listing): one create per name
    of `LISTING_NAMES`, a variant each as far as the fixture can make them, paged through
    with a small limit, sorted two ways, filtered, within their createdAt window; then
    deleted and not listed."""
    from kore_contract import strategies
    from kore_contract.contract.fixture import FixtureError

    bodies: list[dict[str, Any]] = []
    variants = spec.variant_names()
    for index, letter in enumerate(LISTING_NAMES):
        for variant in (variants[index % len(variants)], variants[0]):
            try:
                body = strategies.base_campaign(fixture, variant=variant)
            except FixtureError:
                continue
            bodies.append({**body, "name": f"{prefix}listing {letter} {variant}"})
            break
    return PlannedCase(
        "family-list-paging",
        "lifecycle",
        "accept",
        body=bodies[0],
        notes={
            "listing": bodies[1:],
            "what": "the run's campaigns paged through, sorted, filtered, then deleted",
        },
    )


def plan_gaps(fixture: Fixture) -> dict[str, str]:
    """The rules the plan leaves out because the fixture cannot make a create variant (the
    advanced one without experienceFlows), each with why: a rule only that variant's broken
    bodies break (C3)."""
    from kore_contract import strategies
    from kore_contract.contract.fixture import FixtureError

    missing: dict[spec.Variant, str] = {}
    for variant in spec.variant_names():
        try:
            strategies.base_campaign(fixture, variant=variant)
        except FixtureError as error:
            missing[variant] = str(error)
    if not missing:
        return {}

    def broken_by(variant: spec.Variant) -> set[str]:
        return {example.rule for example in strategies.broken_examples(None, variant=variant)}

    made = set().union(*(broken_by(v) for v in spec.variant_names() if v not in missing))
    gaps: dict[str, str] = {}
    for variant, why in missing.items():
        for rule in sorted(broken_by(variant) - made):
            gaps.setdefault(rule, f"no {variant} campaign can be created: {why}")
    return gaps
