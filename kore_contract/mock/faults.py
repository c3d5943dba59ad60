"""Named one-defect switches: `running_mock(fault="S4-wrong-lname")`.

Each fault makes the mock break exactly one rule in one way, so a contract run can prove
it catches that defect. The name starts with the rule id it breaks.

A fault is ONE entry of `FAULTS`: a `Fault` that carries all of its effects as data and
small functions. The app, the campaign it answers and the token check it configures ask
the fault in effect (`NO_FAULT` for a clean mock, every effect left at its default) and
never test a fault's name. Adding a fault is adding an entry here, for example:

    Fault("S7-updated-without-zone", "answers updatedAt without a zone",
          change_created=lambda d, _: d.update(updatedAt=d["updatedAt"].rstrip("Z"))),
"""

from __future__ import annotations

import base64
import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from kore_contract.auth import TokenCheck
from kore_contract.contract.violation import Violation
from kore_contract.mock import campaign as campaigns
from kore_contract.mock.campaign import Campaign
from kore_contract.mock.store import Query


class Check(Enum):
    """The mock's own checks (beside the token's and the validator's) a fault may skip."""

    IID_HEADER = "the iid header is sent (A3)"
    ACCOUNT_QUERY = "the accountId query parameter is sent (A3)"
    JSON_CONTENT_TYPE = "a create body is sent as application/json (A3)"
    DUPLICATE_KEYS = "a create body has no duplicated key (R1)"
    TOKEN_IN_BODY = "a create body does not hold the request's token (S11)"
    TRIGGER_CASE = "a trigger is play or stop, in lower case (T6)"
    TRIGGER_CAMPAIGN_TYPE = "a start or stop names campaignType sms (T6)"
    UPDATE_BODY = "an update body is checked as a create body (U1)"
    LIST_BODY = "a list body is checked (L1)"


class Moment(Enum):
    """Where in a call a fault may answer in the mock's place (`Failure`)."""

    TOKEN_ACCEPTED = "the token passed its checks"
    UNREADABLE_BODY = "a create body is not JSON"
    VALID_CREATE = "a create body passed every check"
    UNKNOWN_CAMPAIGN = "get or delete names no stored campaign"
    UNKNOWN_CAMPAIGN_CHANGED = "update, start, stop or status names no stored campaign"
    DELETE_WITHOUT_TYPE = "a delete has no campaignType query parameter"


@dataclass(frozen=True)
class Failure:
    """At `at`, answer `status` with `violation` instead of what the mock would answer."""

    at: Moment
    status: int
    violation: Violation


#: A change to a created campaign (a copy), given the request's token.
ChangeCreated = Callable[[Campaign, "str | None"], None]
#: A change to a stored campaign as get answers it, given its name.
ChangeFetched = Callable[[Campaign, str], None]
#: A change to a call's answer (update's `data`, start's, stop's, status's and list's whole
#: answer), given the call (update, start, stop, status, list).
ChangeAnswer = Callable[[str, dict[str, Any]], None]
#: A change to a campaign as stored after a call (update, start, stop), given the call.
ChangeStored = Callable[[str, Campaign], None]


def _same(message: str, secret: str) -> str:
    return message


@dataclass(frozen=True)
class Fault:
    """One deliberate defect and all of its effects; each default is the conforming one."""

    name: str
    description: str
    # --- what the mock lets through
    skips_token_checks: frozenset[TokenCheck] = frozenset()
    skips: frozenset[Check] = frozenset()
    #: Rules whose violations of a create body the mock answers 201 anyway.
    accepts: frozenset[str] = frozenset()
    # --- where it answers something else
    failures: tuple[Failure, ...] = ()
    created_status: int = 201
    deletes: bool = True
    change_created: ChangeCreated | None = None
    change_fetched: ChangeFetched | None = None
    # --- how its answers look
    envelope_status: str = "success"
    envelope_has_data: bool = True
    success_content_type: str = "application/json"
    refusals_as_text: bool = False
    #: A token refusal's message, given the client secret.
    token_refusal_message: Callable[[str, str], str] = _same
    redacts_successes: bool = True
    redacts_refusals: bool = True
    # --- the family's calls (update, start, stop, status, list)
    change_answer: ChangeAnswer | None = None
    change_stored: ChangeStored | None = None
    #: Whether an update is stored (else answered, and forgotten).
    stores_updates: bool = True
    #: Actions (start, stop) answered as done but not carried out.
    skips_transitions: frozenset[str] = frozenset()
    #: (action, state): transitions allowed beside the state machine's own.
    extra_transitions: frozenset[tuple[str, str]] = frozenset()
    #: Calls (update, delete) not refused while the campaign is Active.
    allowed_while_active: frozenset[str] = frozenset()
    #: A change to the query a list body asks.
    change_list_query: Callable[[Query], Query] | None = None

    @property
    def rule(self) -> str:
        """The rule it breaks: the start of its name."""
        return self.name.split("-", 1)[0]

    def failure(self, at: Moment) -> Failure | None:
        """What to answer at `at` in the mock's place, if anything."""
        for failure in self.failures:
            if failure.at is at:
                return failure
        return None

    def created(self, data: Campaign, token: str | None) -> Campaign:
        """The campaign a create answers: `data`, or a changed copy."""
        if self.change_created is None:
            return data
        changed: Campaign = copy.deepcopy(data)
        self.change_created(changed, token)
        return changed


NO_FAULT = Fault("", "a conforming server")


def _fail(at: Moment, status: int, rule: str, message: str, pointer: str = "") -> tuple[Failure]:
    return (Failure(at, status, Violation(rule, pointer, message)),)


def _change_message(answer: dict[str, Any], key: str, change: Callable[[str], str]) -> None:
    """`data.message[key] = change(it)` where the answer has it (a plain campaign has no
    template_name, an advanced one may have no message): a fault never turns into a 500."""
    message = answer.get("message")
    if isinstance(message, dict) and isinstance(message.get(key), str):
        message[key] = change(message[key])


def _earlier(stamp: str, hours: int = 1) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - timedelta(hours=hours)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _on(call: str, change: Callable[[dict[str, Any]], object]) -> ChangeAnswer:
    """A change to the answers (or stored campaigns) of one call only."""

    def changed(at: str, answer: dict[str, Any]) -> None:
        if at == call:
            change(answer)

    return changed


def _if_advanced(change: Callable[[Campaign], object]) -> ChangeCreated:
    def changed(data: Campaign, _: str | None) -> None:
        if data.get("format") == "advanced":
            change(data)

    return changed


def _plain_message_changed(data: Campaign, _: str | None) -> None:
    message = data.get("message")
    if (
        data.get("format") == "simple"
        and isinstance(message, dict)
        and "template_name" not in message
    ):
        message["message"] = base64.b64encode(b"not what was sent").decode()


def _each_result(change: Callable[[dict[str, Any]], object]) -> Callable[[dict[str, Any]], None]:
    def changed(answer: dict[str, Any]) -> None:
        for result in answer["data"]["results"]:
            change(result)

    return changed


def _renamed(mapping: dict[str, Any], old: str, new: str) -> None:
    if old in mapping:
        mapping[new] = mapping.pop(old)


def _created_at_reset(data: dict[str, Any]) -> None:
    data["createdAt"] = data["updatedAt"]


def _updated_at_at_creation(data: dict[str, Any]) -> None:
    data["updatedAt"] = data["createdAt"]


def _reverse_days(data: Campaign, _: str | None) -> None:
    days: list[Any] = data["dialingStrategy"]["callingHours"]["days"]
    days.reverse()
    if len(days) == 1:  # one block: reversing changes nothing, so change its day
        days.append(dict(days[0]))


def _another_campaign(data: Campaign, name: str) -> None:
    data.update(_id=campaigns.new_id(), name=f"{name} (other)")


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        # A: authentication
        Fault(
            "A1-refuse-valid-token",
            "refuses every token, even a valid HS256 token with appId",
            failures=_fail(
                Moment.TOKEN_ACCEPTED, 401, "A2", "auth: token refused", "/headers/auth"
            ),
        ),
        Fault(
            "A2-accept-no-auth",
            "accepts a request without an auth header",
            skips_token_checks=frozenset({TokenCheck.PRESENT}),
        ),
        Fault(
            "A2-accept-alg-none",
            "accepts an unsigned token (alg none)",
            skips_token_checks=frozenset({TokenCheck.SIGNED}),
        ),
        Fault(
            "A2-accept-wrong-secret",
            "accepts a token signed with another secret",
            skips_token_checks=frozenset({TokenCheck.SIGNATURE}),
        ),
        Fault(
            "A2-accept-expired",
            "accepts a token whose exp is in the past",
            skips_token_checks=frozenset({TokenCheck.EXPIRY}),
        ),
        Fault(
            "A2-accept-missing-appid",
            "accepts a token without (or with a wrong) appId",
            skips_token_checks=frozenset({TokenCheck.APP_ID}),
        ),
        Fault(
            "A3-accept-missing-iid",
            "accepts a request without the iid header",
            skips=frozenset({Check.IID_HEADER}),
        ),
        Fault(
            "A3-accept-missing-account-query",
            "accepts a request without ?accountId=",
            skips=frozenset({Check.ACCOUNT_QUERY}),
        ),
        Fault(
            "A3-accept-form-content-type",
            "accepts a create body sent as text/plain",
            skips=frozenset({Check.JSON_CONTENT_TYPE}),
        ),
        # S1..S8: the created campaign
        Fault(
            "S1-envelope-status-ok",
            'answers {"status": "ok"} instead of "success"',
            envelope_status="ok",
        ),
        Fault("S1-missing-data", "answers the envelope without data", envelope_has_data=False),
        Fault(
            "S1-text-content-type",
            "answers a create with Content-Type text/plain",
            success_content_type="text/plain",
        ),
        Fault("S1-status-202", "answers a successful create with 202", created_status=202),
        Fault(
            "S2-duplicate-id",
            "gives every campaign the same _id",
            change_created=lambda d, _: d.update(_id="cd-00000000-0000-4000-8000-000000000000"),
        ),
        Fault("S2-empty-id", 'answers _id ""', change_created=lambda d, _: d.update(_id="")),
        Fault(
            "S3-priority-number",
            'answers priority as a number (5, not "5")',
            change_created=lambda d, _: d.update(
                priority=int(d["priority"]) if str(d["priority"]).isdigit() else 5
            ),
        ),
        Fault(
            "S3-name-changed",
            "answers a name that differs from the one sent",
            change_created=lambda d, _: d.update(
                name=d["name"] + " (copy)", lname=(d["name"] + " (copy)").lower()
            ),
        ),
        Fault(
            "S3-description-truncated",
            "answers the description cut to 20 characters",
            change_created=lambda d, _: d.update(description=d["description"][:20] + "~"),
        ),
        Fault(
            "S3-days-reversed",
            "answers the calling-hours days in reverse order",
            change_created=_reverse_days,
        ),
        Fault(
            "S3-contact-lists-missing",
            "answers data without contactLists",
            change_created=lambda d, _: d.pop("contactLists"),
        ),
        Fault(
            "S3-timezone-changed",
            "answers the timezone as UTC whatever was sent",
            change_created=lambda d, _: d["dialingStrategy"]["callingHours"].update(
                timezone="UTC"
                if d["dialingStrategy"]["callingHours"]["timezone"] != "UTC"
                else "GMT"
            ),
        ),
        Fault(
            "S4-wrong-lname",
            "answers lname equal to name (not lowercased)",
            change_created=lambda d, _: d.update(
                lname=d["name"] if d["name"] != d["lname"] else d["name"].upper()
            ),
        ),
        Fault(
            "S4-lname-ascii-lower",
            "lowercases only A-Z in lname (shows with a name like 'ÉTÉ')",
            change_created=lambda d, _: d.update(
                lname="".join(c.lower() if "A" <= c <= "Z" else c for c in d["name"])
            ),
        ),
        Fault(
            "S5-empty-status",
            'answers data.status ""',
            change_created=lambda d, _: d.update(status=""),
        ),
        Fault(
            "S6-message-not-base64",
            "answers data.message.message as plain text",
            change_created=lambda d, _: _change_message(
                d,
                "message",
                lambda text: base64.b64decode(text).decode("utf-8", "replace") + " ",
            ),
        ),
        Fault(
            "S6-template-name-changed",
            "answers another template_name than the one sent",
            change_created=lambda d, _: _change_message(
                d, "template_name", lambda name: name + "-v2"
            ),
        ),
        Fault(
            "S7-updated-before-created",
            "answers updatedAt one hour before createdAt",
            change_created=lambda d, _: d.update(updatedAt=_earlier(d["createdAt"])),
        ),
        Fault(
            "S7-created-without-zone",
            "answers createdAt without a zone",
            change_created=lambda d, _: d.update(createdAt=d["createdAt"].rstrip("Z")),
        ),
        Fault(
            "S8-scheduling-as-string",
            'answers schedule.isSchedulingEnabled as "false"',
            change_created=lambda d, _: d["schedule"].update(isSchedulingEnabled="false"),
        ),
        Fault(
            "S8-dnc-not-echoed",
            "answers another dncLists than the one sent",
            change_created=lambda d, _: d.update(dncLists={"name": "not-what-was-sent"}),
        ),
        Fault(
            "S8-total-messages-negative",
            "answers totalMessagesSent -1",
            change_created=lambda d, _: d.update(totalMessagesSent=-1),
        ),
        # S9: refusals
        Fault(
            "S9-500-on-valid",
            "answers a valid create with 500",
            failures=_fail(Moment.VALID_CREATE, 500, "S9", "failed on a valid body"),
        ),
        Fault(
            "S9-accept-bad-priority",
            'accepts a priority outside "1".."5" (e.g. "6") with 201',
            accepts=frozenset({"R7"}),
        ),
        Fault(
            "S9-accept-unknown-contact-list",
            "accepts a contact list the account lacks",
            accepts=frozenset({"R4"}),
        ),
        Fault(
            "S9-accept-unknown-template",
            "accepts a template the account lacks, or a message that differs from its body",
            accepts=frozenset({"R10"}),
        ),
        Fault(
            "S9-accept-duplicate-keys",
            "accepts a body with a duplicated key",
            skips=frozenset({Check.DUPLICATE_KEYS}),
        ),
        Fault("S9-error-not-json", "answers refusals as text/plain", refusals_as_text=True),
        Fault(
            "S9-500-on-malformed-json",
            "answers a body that is not JSON with 500",
            failures=_fail(Moment.UNREADABLE_BODY, 500, "R1", "cannot parse"),
        ),
        # S10: get and delete
        Fault(
            "S10-delete-does-not-delete", "answers a delete but keeps the campaign", deletes=False
        ),
        Fault(
            "S10-get-returns-other",
            "answers get with another campaign (a new _id and name)",
            change_fetched=_another_campaign,
        ),
        Fault(
            "S10-get-drops-field",
            "answers get without the description create answered",
            change_fetched=lambda d, _: d.pop("description"),
        ),
        Fault(
            "S10-500-for-unknown",
            "answers get or delete of an unknown campaign with 500",
            failures=_fail(Moment.UNKNOWN_CAMPAIGN, 500, "S10", "lookup failed"),
        ),
        Fault(
            "S10-delete-requires-campaign-type",
            "refuses a delete without ?campaignType=",
            failures=_fail(
                Moment.DELETE_WITHOUT_TYPE,
                400,
                "S10",
                "query parameter campaignType: missing; required",
                "/query/campaignType",
            ),
        ),
        # S11: secrets
        Fault(
            "S11-token-echo",
            "echoes the auth token in the created campaign",
            change_created=lambda d, token: d.update(createdBy={"auth": token}),
            skips=frozenset({Check.TOKEN_IN_BODY}),
            redacts_successes=False,
        ),
        Fault(
            "S11-secret-in-error",
            "names the client secret in the error body of a bad token",
            token_refusal_message=lambda message, secret: f"{message} (expected secret {secret})",
            redacts_refusals=False,
        ),
        # the family (docs/contract.md part 2, issue 12); C4: the variants' answers
        Fault(
            "C4-wrong-experience-flow",
            "answers an advanced campaign with another flow's id",
            change_created=_if_advanced(
                lambda d: d.update(experienceFlow="cf-00000000-0000-5000-8000-000000000000")
            ),
        ),
        Fault(
            "C4-advanced-priority-empty",
            'answers an advanced campaign\'s priority as ""',
            change_created=_if_advanced(lambda d: d.update(priority="")),
        ),
        Fault(
            "C4-plain-message-changed",
            "answers a plain campaign with another message",
            change_created=_plain_message_changed,
        ),
        Fault(
            "S9-accept-unknown-experience-flow",
            "accepts an advanced body naming a flow the account lacks",
            accepts=frozenset({"C3"}),
        ),
        # T1 to T6: the campaign's state
        Fault(
            "T1-created-as-draft",
            'answers a created campaign with status "Draft"',
            change_created=lambda d, _: d.update(status="Draft"),
        ),
        Fault(
            "T2-start-answers-started",
            'answers a start with status "Started"',
            change_answer=_on("start", lambda a: a.update(status="Started")),
        ),
        Fault(
            "T2-start-not-applied",
            "answers a start but leaves the campaign as it was",
            skips_transitions=frozenset({"start"}),
        ),
        Fault(
            "T2-start-updated-at-differs",
            "keeps an updatedAt an hour after the start's",
            change_stored=_on(
                "start", lambda d: d.update(updatedAt=_earlier(d["updatedAt"], hours=-1))
            ),
        ),
        Fault(
            "T3-stop-without-execution-type",
            "answers a stop without campaignExecutionType",
            change_answer=_on("stop", lambda a: a.pop("campaignExecutionType")),
        ),
        Fault(
            "T3-stop-not-applied",
            "answers a stop but leaves the campaign Active",
            skips_transitions=frozenset({"stop"}),
        ),
        Fault(
            "T4-start-while-active-accepted",
            "answers a start of an Active campaign 200",
            extra_transitions=frozenset({("start", "Active")}),
        ),
        Fault(
            "T4-stop-while-ready-accepted",
            "stops a Ready campaign (never started)",
            extra_transitions=frozenset({("stop", campaigns.READY)}),
        ),
        Fault(
            "T5-update-while-active-accepted",
            "updates an Active campaign",
            allowed_while_active=frozenset({"update"}),
        ),
        Fault(
            "T5-delete-while-active-accepted",
            "deletes an Active campaign",
            allowed_while_active=frozenset({"delete"}),
        ),
        Fault(
            "T6-trigger-any-case",
            "takes trigger=Play or STOP as play or stop",
            skips=frozenset({Check.TRIGGER_CASE}),
        ),
        Fault(
            "T6-any-campaign-type",
            "starts and stops whatever campaignType says (voice)",
            skips=frozenset({Check.TRIGGER_CAMPAIGN_TYPE}),
        ),
        # U1 to U3: update, unknown ids
        Fault(
            "U1-accept-bad-update-body",
            "stores an update body without checking it",
            skips=frozenset({Check.UPDATE_BODY}),
        ),
        Fault(
            "U2-update-new-id",
            "answers an update with a new _id",
            change_answer=_on("update", lambda d: d.update(_id=campaigns.new_id())),
        ),
        Fault(
            "U2-update-resets-created-at",
            "answers and keeps createdAt as the update's time",
            change_answer=_on("update", _created_at_reset),
            change_stored=_on("update", _created_at_reset),
        ),
        Fault(
            "U2-updated-at-goes-back",
            "answers an update with updatedAt = createdAt",
            change_answer=_on("update", _updated_at_at_creation),
        ),
        Fault(
            "U2-update-not-stored",
            "answers an update but keeps the campaign as it was",
            stores_updates=False,
        ),
        Fault(
            "U3-500-for-unknown",
            "answers update, start, stop or status of an unknown id with 500",
            failures=_fail(Moment.UNKNOWN_CAMPAIGN_CHANGED, 500, "U3", "lookup failed"),
        ),
        Fault(
            "U3-200-for-unknown",
            "answers update, start, stop or status of an unknown id with 200",
            failures=_fail(Moment.UNKNOWN_CAMPAIGN_CHANGED, 200, "U3", "ok"),
        ),
        # Q1: status
        Fault(
            "Q1-status-names-_id",
            "answers status with data._id instead of data.id",
            change_answer=_on("status", lambda a: _renamed(a["data"], "id", "_id")),
        ),
        Fault(
            "Q1-status-always-ready",
            'answers status "Ready" whatever the state',
            change_answer=_on("status", lambda a: a["data"].update(status=campaigns.READY)),
        ),
        # L1 to L3: list
        Fault(
            "L1-accept-bad-list-body",
            "answers a list body without checking it",
            skips=frozenset({Check.LIST_BODY}),
        ),
        Fault(
            "L2-results-name-_id",
            "lists each campaign's id as _id",
            change_answer=_on("list", _each_result(lambda r: _renamed(r, "id", "_id"))),
        ),
        Fault(
            "L2-result-differs-from-get",
            "lists another description than get answers",
            change_answer=_on(
                "list",
                _each_result(lambda r: r.update(description=f"{r.get('description')} (listed)")),
            ),
        ),
        Fault(
            "L3-status-filter-ignored",
            "lists every state whatever filters.status asks",
            change_list_query=lambda q: dataclasses.replace(q, statuses=None),
        ),
        Fault(
            "L3-sort-ignored",
            "lists the newest first whatever sortBy asks",
            change_list_query=lambda q: dataclasses.replace(q, sort=(("created", True),)),
        ),
        Fault(
            "L3-has-more-always-false",
            "answers hasMore false on every page",
            change_answer=_on("list", lambda a: a["data"].update(hasMore=False)),
        ),
        Fault(
            "L3-total-pages-rounded-down",
            "answers totalPages rounded down",
            change_answer=_on(
                "list",
                lambda a: a["data"].update(
                    totalPages=a["data"]["totalResults"] // a["data"]["limit"]
                ),
            ),
        ),
    )
}


def fault(name: str | Fault | None) -> Fault:
    """The fault of this name (NO_FAULT for None; a Fault as is); a KeyError lists the
    known names."""
    if name is None:
        return NO_FAULT
    if isinstance(name, Fault):
        return name
    found = FAULTS.get(name)
    if found is None:
        raise KeyError(f"unknown mock fault {name!r}; known: {', '.join(FAULTS)}") from None
    return found


def every_fault() -> dict[str, Fault]:
    """Every fault by name, part 1's then the family's (--list-faults): `FAULTS`, a copy."""
    return dict(FAULTS)
