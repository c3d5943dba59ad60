"""The rule catalogue of docs/contract.md: id -> what it says, where the docs say it, how bad.

Specs (`x-rule`), validators, checks, tests and reports all cite these ids, so a reader
can go from a failure to the sentence of documentation behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["violation", "warning"]
RuleKind = Literal["request", "response", "auth"]

CREATE_DOC = "create-sms-campaign-using-template-v2.md"
GET_DOC = "get-sms-campaign-by-id-v2.md"
DELETE_DOC = "delete-sms-campaign-v2.md"
JWT_DOC = "jwt-token.md"
PLAIN_DOC = "create-sms-campaign-without-template-v2.md"
ADVANCED_DOC = "create-sms-campaign-advanced-format-v2.md"
UPDATE_DOC = "update-sms-campaign-v2.md"
START_DOC = "start-sms-campaign-v2.md"
STOP_DOC = "stop-sms-campaign-v2.md"
STATUS_DOC = "get-campaign-status-v2.md"
LIST_DOC = "get-all-campaigns-v2.md"
LIST_SMS_ANSWER = "response-body-parameters-for-sms-campaign"  # the list page's SMS table


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: str
    kind: RuleKind
    severity: Severity = "violation"


def _r(id: str, title: str, source: str, kind: RuleKind, severity: Severity = "violation") -> Rule:
    return Rule(id, title, source, kind, severity)


#: Part 1 of docs/contract.md: create using a template, get by id, delete, auth.
PART_1: tuple[Rule, ...] = (
    _r(
        "R1",
        "the body is a JSON object in UTF-8, with no duplicated key",
        f"{CREATE_DOC}#body-parameters",
        "request",
    ),
    _r(
        "R2",
        "name: required string of 1 to 48 characters",
        f"{CREATE_DOC}#body-parameters: name",
        "request",
    ),
    _r(
        "R3",
        "description: required string of at most 256 characters",
        f"{CREATE_DOC}#body-parameters: description",
        "request",
    ),
    _r(
        "R4",
        "contactLists: at least one non-empty name of a list that exists",
        f"{CREATE_DOC}#body-parameters: contactLists",
        "request",
    ),
    _r(
        "R5",
        "dncLists: optional object with an optional string name, at the top level",
        f"{CREATE_DOC}#body-parameters: data.dncLists",
        "request",
    ),
    _r(
        "R6",
        'campaignType: "sms" in the body and in the query',
        f"{CREATE_DOC}#body-parameters: campaignType",
        "request",
    ),
    _r("R7", 'priority: a string "1" to "5"', f"{CREATE_DOC}#body-parameters: priority", "request"),
    _r(
        "R8",
        'format: "simple" (part 2: or "advanced", read by C1)',
        f"{CREATE_DOC}#body-parameters: format",
        "request",
    ),
    _r(
        "R9",
        "message: template_name and a standard base64 message of UTF-8 text",
        f"{CREATE_DOC}#body-parameters: message.message",
        "request",
    ),
    _r(
        "R10",
        "message: the template exists and the decoded message equals its body",
        f"{CREATE_DOC}#body-parameters: message.message",
        "request",
    ),
    _r(
        "R11",
        "dialingStrategy.callerId.phoneNumber: E.164 or an alphanumeric sender id",
        f"{CREATE_DOC}#body-parameters: dialingStrategy.callerId.phoneNumber",
        "request",
    ),
    _r(
        "R12",
        "callingHours: frequency, an IANA time zone, at least one day block",
        f"{CREATE_DOC}#body-parameters: dialingStrategy.callingHours.frequency",
        "request",
    ),
    _r(
        "R13",
        "days[]: day MO..SU, start and end on a 12-hour clock",
        f"{CREATE_DOC}#body-parameters: dialingStrategy.callingHours.days",
        "request",
    ),
    _r(
        "R14",
        "days[]: start before end, no overlapping blocks on a day (advisory)",
        f"{CREATE_DOC}#body-parameters: dialingStrategy.callingHours.days",
        "request",
        "warning",
    ),
    _r(
        "R15",
        "schedule: optional object with a boolean isSchedulingEnabled",
        f"{CREATE_DOC}#sample-request: schedule",
        "request",
    ),
    _r(
        "R16",
        "other properties are allowed (warnings under --strict)",
        f"{CREATE_DOC}#body-parameters",
        "request",
        "warning",
    ),
    _r(
        "S1",
        'a create answers 200 or 201, JSON, {"status": "success", "message", "data"}',
        f"{CREATE_DOC}#sample-response",
        "response",
    ),
    _r(
        "S2",
        "data._id: a non-empty string, new for every campaign",
        f"{CREATE_DOC}#response-parameters: _id",
        "response",
    ),
    _r(
        "S3",
        "data echoes what was sent, with the documented types",
        f"{CREATE_DOC}#response-parameters",
        "response",
    ),
    _r(
        "S4",
        "data.lname is name lowercased",
        f"{CREATE_DOC}#response-parameters: lname",
        "response",
    ),
    _r(
        "S5",
        "data.status: a non-empty string",
        f"{CREATE_DOC}#response-parameters: status",
        "response",
    ),
    _r(
        "S6",
        "data.message.message is base64; template_name echoes what was sent",
        f"{CREATE_DOC}#response-parameters: message.message",
        "response",
    ),
    _r(
        "S7",
        "createdAt and updatedAt are date-times with a zone; updatedAt >= createdAt",
        f"{CREATE_DOC}#response-parameters: createdAt",
        "response",
    ),
    _r(
        "S8",
        "schedule, dncLists, totalMessagesSent and direction have their types",
        f"{CREATE_DOC}#response-parameters: schedule",
        "response",
    ),
    _r(
        "S9",
        "a request that breaks a rule gets a 4xx with a JSON body; nothing gets a 5xx",
        f"{CREATE_DOC}#body-parameters",
        "response",
    ),
    _r(
        "S10",
        "get answers the created campaign; delete answers it; then get answers 404",
        f"{GET_DOC}#sample-response",
        "response",
    ),
    _r(
        "S11",
        "no response contains the auth token or the client secret",
        f"{JWT_DOC}#generating-the-jwt-token",
        "response",
    ),
    _r(
        "A1",
        "auth is an HS256 JWT signed with the client secret, appId = client id",
        f"{JWT_DOC}#generating-the-jwt-token: appId",
        "auth",
    ),
    _r(
        "A2",
        "a missing, malformed, forged, alg-none, wrong-appId or expired token: 401/403",
        f"{JWT_DOC}#generating-the-jwt-token",
        "auth",
    ),
    _r(
        "A3",
        "missing iid or accountId (header or query), or a non-JSON body, gets a 4xx",
        f"{CREATE_DOC}#headers: accountId",
        "auth",
    ),
)

#: Part 2 of docs/contract.md: the SMS campaign v2 family (it amends R8: format "simple" or
#: "advanced", read by C1).
PART_2: tuple[Rule, ...] = (
    _r(
        "C1",
        'the create variant is read from the body: "advanced", else template_name, else plain',
        f"{PLAIN_DOC}#body-parameters: format",
        "request",
    ),
    _r(
        "C2",
        "plain: format simple, a base64 message.message, optional templateId, no template_name",
        f"{PLAIN_DOC}#body-parameters: message.message",
        "request",
    ),
    _r(
        "C3",
        "advanced: format advanced, experienceFlowName names a flow; message optional",
        f"{ADVANCED_DOC}#body-parameters: experienceFlowName",
        "request",
    ),
    _r(
        "C4",
        "plain echoes its message; advanced answers format advanced, the flow's id, a priority",
        f"{ADVANCED_DOC}#response-parameters: experienceFlow",
        "response",
    ),
    _r(
        "U1",
        "the update body is a whole campaign of any variant, checked as a create body",
        f"{UPDATE_DOC}#body-parameters",
        "request",
    ),
    _r(
        "U2",
        "update answers the campaign: same _id and createdAt, later updatedAt, fields echoed",
        f"{UPDATE_DOC}#sample-response",
        "response",
    ),
    _r(
        "U3",
        "update, start, stop, status or delete of an unknown or deleted id: 404 with JSON",
        f"{UPDATE_DOC}#path-parameters: campaignId",
        "response",
    ),
    _r("T1", "a created campaign is Ready", f"{PLAIN_DOC}#response-parameters: status", "response"),
    _r(
        "T2",
        'start of a Ready or Stopped campaign: 200 {"status": "Active", message, updatedAt}',
        f"{START_DOC}#response-body-parameters: status",
        "response",
    ),
    _r(
        "T3",
        'stop of an Active campaign: 200 {"status": "Stopped", ..., campaignExecutionType}',
        f"{STOP_DOC}#response-body-parameters: campaignExecutionType",
        "response",
    ),
    _r(
        "T4",
        "a start while Active or a stop while not Active: a 4xx (409), the state unchanged",
        f"{STOP_DOC}#stop-sms-campaign-api",
        "response",
    ),
    _r(
        "T5",
        "update or delete of an Active campaign: a 4xx (409), nothing changed",
        f"{UPDATE_DOC}#update-sms-campaign-api",
        "response",
    ),
    _r(
        "T6",
        "campaignType other than sms or trigger other than play/stop: a 4xx, nothing changed",
        f"{STOP_DOC}#query-parameters: trigger",
        "response",
    ),
    _r(
        "Q1",
        'status answers {"status": "success", "data": {id, status, name}}',
        f"{STATUS_DOC}#response-parameters: data.id",
        "response",
    ),
    _r(
        "L1",
        "the list body: type, integer-or-empty paging, date-times, sortBy, filters",
        f"{LIST_DOC}#request-body-parameters",
        "request",
    ),
    _r(
        "L2",
        "list answers results (id, name, status, ...) and skip, limit, hasMore, totals",
        f"{LIST_DOC}#{LIST_SMS_ANSWER}: data.results[].id",
        "response",
    ),
    _r(
        "L3",
        "list results match type and filters, in sortBy order, paged; no deleted campaign",
        f"{LIST_DOC}#{LIST_SMS_ANSWER}: data.hasMore",
        "response",
    ),
)

RULES: dict[str, Rule] = {r.id: r for r in (*PART_1, *PART_2)}
#: The ids of part 2 (the family), in catalogue order.
FAMILY_RULES = tuple(r.id for r in PART_2)

#: The request rules a payload can break, in catalogue order (R14 and R16 only warn).
REQUEST_RULES = tuple(r.id for r in RULES.values() if r.kind == "request")
BREAKABLE_REQUEST_RULES = tuple(
    r.id for r in RULES.values() if r.kind == "request" and r.severity == "violation"
)


def rule(rule_id: str) -> Rule:
    """The rule with this id; a KeyError names the unknown id."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}; known: {', '.join(RULES)}") from None
