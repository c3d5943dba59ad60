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


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: str
    kind: RuleKind
    severity: Severity = "violation"


def _r(id: str, title: str, source: str, kind: RuleKind, severity: Severity = "violation") -> Rule:
    return Rule(id, title, source, kind, severity)


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        _r("R1", "the body is a JSON object in UTF-8, with no duplicated key",
           f"{CREATE_DOC}#body-parameters", "request"),
        _r("R2", "name: required string of 1 to 48 characters",
           f"{CREATE_DOC}#body-parameters: name", "request"),
        _r("R3", "description: required string of at most 256 characters",
           f"{CREATE_DOC}#body-parameters: description", "request"),
        _r("R4", "contactLists: at least one non-empty name of a list that exists",
           f"{CREATE_DOC}#body-parameters: contactLists", "request"),
        _r("R5", "dncLists: optional object with an optional string name, at the top level",
           f"{CREATE_DOC}#body-parameters: data.dncLists", "request"),
        _r("R6", 'campaignType: "sms" in the body and in the query',
           f"{CREATE_DOC}#body-parameters: campaignType", "request"),
        _r("R7", 'priority: a string "1" to "5"',
           f"{CREATE_DOC}#body-parameters: priority", "request"),
        _r("R8", 'format: "simple"',
           f"{CREATE_DOC}#body-parameters: format", "request"),
        _r("R9", "message: template_name and a standard base64 message of UTF-8 text",
           f"{CREATE_DOC}#body-parameters: message.message", "request"),
        _r("R10", "message: the template exists and the decoded message equals its body",
           f"{CREATE_DOC}#body-parameters: message.message", "request"),
        _r("R11", "dialingStrategy.callerId.phoneNumber: E.164 or an alphanumeric sender id",
           f"{CREATE_DOC}#body-parameters: dialingStrategy.callerId.phoneNumber", "request"),
        _r("R12", "callingHours: frequency, an IANA time zone, at least one day block",
           f"{CREATE_DOC}#body-parameters: dialingStrategy.callingHours.frequency", "request"),
        _r("R13", "days[]: day MO..SU, start and end on a 12-hour clock",
           f"{CREATE_DOC}#body-parameters: dialingStrategy.callingHours.days", "request"),
        _r("R14", "days[]: start before end, no overlapping blocks on a day (advisory)",
           f"{CREATE_DOC}#body-parameters: dialingStrategy.callingHours.days", "request",
           "warning"),
        _r("R15", "schedule: optional object with a boolean isSchedulingEnabled",
           f"{CREATE_DOC}#sample-request: schedule", "request"),
        _r("R16", "other properties are allowed (warnings under --strict)",
           f"{CREATE_DOC}#body-parameters", "request", "warning"),
        _r("S1", 'a create answers 200 or 201, JSON, {"status": "success", "message", "data"}',
           f"{CREATE_DOC}#sample-response", "response"),
        _r("S2", "data._id: a non-empty string, new for every campaign",
           f"{CREATE_DOC}#response-parameters: _id", "response"),
        _r("S3", "data echoes what was sent, with the documented types",
           f"{CREATE_DOC}#response-parameters", "response"),
        _r("S4", "data.lname is name lowercased",
           f"{CREATE_DOC}#response-parameters: lname", "response"),
        _r("S5", "data.status: a non-empty string",
           f"{CREATE_DOC}#response-parameters: status", "response"),
        _r("S6", "data.message.message is base64; template_name echoes what was sent",
           f"{CREATE_DOC}#response-parameters: message.message", "response"),
        _r("S7", "createdAt and updatedAt are date-times with a zone; updatedAt >= createdAt",
           f"{CREATE_DOC}#response-parameters: createdAt", "response"),
        _r("S8", "schedule, dncLists, totalMessagesSent and direction have their types",
           f"{CREATE_DOC}#response-parameters: schedule", "response"),
        _r("S9", "a request that breaks a rule gets a 4xx with a JSON body; nothing gets a 5xx",
           f"{CREATE_DOC}#body-parameters", "response"),
        _r("S10", "get answers the created campaign; delete answers it; then get answers 404",
           f"{GET_DOC}#sample-response", "response"),
        _r("S11", "no response contains the auth token or the client secret",
           f"{JWT_DOC}#generating-the-jwt-token", "response"),
        _r("A1", "auth is an HS256 JWT signed with the client secret, appId = client id",
           f"{JWT_DOC}#generating-the-jwt-token: appId", "auth"),
        _r("A2", "a missing, malformed, forged, alg-none, wrong-appId or expired token: 401/403",
           f"{JWT_DOC}#generating-the-jwt-token", "auth"),
        _r("A3", "missing iid or accountId (header or query), or a non-JSON body, gets a 4xx",
           f"{CREATE_DOC}#headers: accountId", "auth"),
    )
}

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
