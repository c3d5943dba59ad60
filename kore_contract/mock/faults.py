"""Named one-defect switches: `running_mock(fault="S4-wrong-lname")`.

Each fault makes the mock break exactly one rule in one way, so a contract run can prove
it catches that defect. The name starts with the rule id it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    rule: str
    description: str


def _f(name: str, description: str) -> Fault:
    return Fault(name, name.split("-", 1)[0], description)


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        # A: authentication
        _f("A1-refuse-valid-token", "refuses every token, even a valid HS256 token with appId"),
        _f("A2-accept-no-auth", "accepts a request without an auth header"),
        _f("A2-accept-alg-none", "accepts an unsigned token (alg none)"),
        _f("A2-accept-wrong-secret", "accepts a token signed with another secret"),
        _f("A2-accept-expired", "accepts a token whose exp is in the past"),
        _f("A2-accept-missing-appid", "accepts a token without (or with a wrong) appId"),
        _f("A3-accept-missing-iid", "accepts a request without the iid header"),
        _f("A3-accept-missing-account-query", "accepts a request without ?accountId="),
        _f("A3-accept-form-content-type", "accepts a create body sent as text/plain"),
        # S1..S8: the created campaign
        _f("S1-envelope-status-ok", 'answers {"status": "ok"} instead of "success"'),
        _f("S1-missing-data", "answers the envelope without data"),
        _f("S1-text-content-type", "answers a create with Content-Type text/plain"),
        _f("S1-status-202", "answers a successful create with 202"),
        _f("S2-duplicate-id", "gives every campaign the same _id"),
        _f("S2-empty-id", 'answers _id ""'),
        _f("S3-priority-number", 'answers priority as a number (5, not "5")'),
        _f("S3-name-changed", "answers a name that differs from the one sent"),
        _f("S3-description-truncated", "answers the description cut to 20 characters"),
        _f("S3-days-reversed", "answers the calling-hours days in reverse order"),
        _f("S3-contact-lists-missing", "answers data without contactLists"),
        _f("S3-timezone-changed", "answers the timezone as UTC whatever was sent"),
        _f("S4-wrong-lname", "answers lname equal to name (not lowercased)"),
        _f("S4-lname-ascii-lower", "lowercases only A-Z in lname (shows with a name like 'ÉTÉ')"),
        _f("S5-empty-status", 'answers data.status ""'),
        _f("S6-message-not-base64", "answers data.message.message as plain text"),
        _f("S6-template-name-changed", "answers another template_name than the one sent"),
        _f("S7-updated-before-created", "answers updatedAt one hour before createdAt"),
        _f("S7-created-without-zone", "answers createdAt without a zone"),
        _f("S8-scheduling-as-string", 'answers schedule.isSchedulingEnabled as "false"'),
        _f("S8-dnc-not-echoed", "answers another dncLists than the one sent"),
        _f("S8-total-messages-negative", "answers totalMessagesSent -1"),
        # S9: refusals
        _f("S9-500-on-valid", "answers a valid create with 500"),
        _f("S9-accept-bad-priority", 'accepts a priority outside "1".."5" (e.g. "6") with 201'),
        _f("S9-accept-unknown-contact-list", "accepts a contact list the account lacks"),
        _f("S9-accept-unknown-template", "accepts a template the account lacks, or a message "
                                         "that differs from its body"),
        _f("S9-accept-duplicate-keys", "accepts a body with a duplicated key"),
        _f("S9-error-not-json", "answers refusals as text/plain"),
        _f("S9-500-on-malformed-json", "answers a body that is not JSON with 500"),
        # S10: get and delete
        _f("S10-delete-does-not-delete", "answers a delete but keeps the campaign"),
        _f("S10-get-returns-other", "answers get with another campaign (a new _id and name)"),
        _f("S10-get-drops-field", "answers get without the description create answered"),
        _f("S10-500-for-unknown", "answers get or delete of an unknown campaign with 500"),
        _f("S10-delete-requires-campaign-type", "refuses a delete without ?campaignType="),
        # S11: secrets
        _f("S11-token-echo", "echoes the auth token in the created campaign"),
        _f("S11-secret-in-error", "names the client secret in the error body of a bad token"),
    )
}


def fault(name: str | None) -> Fault | None:
    """The fault of this name (None for None); a KeyError lists the known names."""
    if name is None:
        return None
    try:
        return FAULTS[name]
    except KeyError:
        raise KeyError(f"unknown mock fault {name!r}; known: {', '.join(FAULTS)}") from None
