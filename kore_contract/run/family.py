"""The family lifecycle of one created campaign (docs/contract.md part 2), walked by the runner.

create -> get -> update -> get -> a broken update refused (U1) -> get -> bad triggers (T6)
-> status -> list (sorted by name, filtered by priority) -> stop refused while Ready (T4) ->
status -> start (the case's URL shape) -> status -> get (T2) -> list (paged with a small
limit, filtered, sorted: found exactly once) -> bad stops (T6), start, update and delete
refused while Active (T4, T5) -> status (unchanged) -> stop -> status -> stop again refused
(T4) -> status -> delete -> status, update, get answer 404 (U3) -> list without it (L3).

Each answer goes through the registered checks (checks.py, family_checks.py) as an
observation of its call; what the state must be afterwards is judged here. On a server that
is not loopback without --allow-sends (or a campaign whose contact lists are not sendable),
nothing is started: the rules that need a start are recorded as not exercised, with why.

`walk_listing` lists the run's campaigns together (several alive at once, so sorting,
filtering and paging show): create three, page through them two ways, filter, delete, and
find none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from kore_contract.contract import spec
from kore_contract.run import lifecycle
from kore_contract.run.checks import Expectation, Observation, campaign_of, run_checks, show
from kore_contract.run.client import Exchange
from kore_contract.run.family_checks import instant, results_beyond_shared
from kore_contract.run.results import Finding

if TYPE_CHECKING:
    from kore_contract.run.checks import RunState
    from kore_contract.run.client import KoreClient
    from kore_contract.run.outcome import CaseOutcome


class Runner(Protocol):
    """What the walk needs of runner.Runner (which calls it)."""

    client: KoreClient
    state: RunState
    not_exercised: dict[str, str]

    def start_policy(self, contact_lists: Any) -> str | None: ...


#: The rules only a start exercises; T6 too: a faulty server could take a bad trigger for one.
NEED_A_START = ("T2", "T3", "T4", "T5", "T6")
#: Campaigns per list page while paging through (small, so paging is exercised).
LIST_LIMIT = 2
#: List pages read at most while looking for the run's campaign.
LIST_PAGES = 25
#: Triggers a server must refuse (T6) on a Ready campaign: (what, URL shape, query). Any of
#: them taken for a start would start it.
BAD_TRIGGERS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("campaignType voice", "trigger", {"campaignType": "voice", "trigger": "play"}),
    ("trigger missing", "trigger", {"campaignType": spec.campaign_type()}),
    ("trigger empty", "trigger", {"campaignType": spec.campaign_type(), "trigger": ""}),
    ("trigger start", "trigger", {"campaignType": spec.campaign_type(), "trigger": "start"}),
    ("trigger pause", "trigger", {"campaignType": spec.campaign_type(), "trigger": "pause"}),
    ("trigger PLAY", "trigger", {"campaignType": spec.campaign_type(), "trigger": "PLAY"}),
    ("the start page, campaignType voice", "start", {"campaignType": "voice", "trigger": "play"}),
)
#: Triggers a server must refuse (T6) on an Active campaign: any of them taken for a stop
#: would stop it.
BAD_STOPS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("stop with campaignType voice", "trigger", {"campaignType": "voice", "trigger": "stop"}),
    ("trigger STOP", "trigger", {"campaignType": spec.campaign_type(), "trigger": "STOP"}),
    (
        "the start page, trigger stop",
        "start",
        {"campaignType": spec.campaign_type(), "trigger": "stop"},
    ),
)


class _Walk:
    def __init__(self, runner: Runner, outcome: CaseOutcome, campaign: dict[str, Any]) -> None:
        self.runner, self.outcome, self.client = runner, outcome, runner.client
        self.campaign = campaign  # as last answered (create, update, get)
        self.id: str = campaign["_id"]

    # --- recording -----------------------------------------------------------------------

    def observe(
        self,
        call: str,
        exchange: Exchange,
        expect: Expectation = "accept",
        *,
        sent: Any = None,
        breaks: str | None = None,
        request: Any = None,
        before: dict[str, Any] | None = None,
        what: str = "",
    ) -> Exchange:
        outcome = self.outcome
        outcome.exchanges.append((call, exchange))
        observation = Observation(
            outcome.case.id,
            call,
            expect,
            exchange,
            self.runner.state,
            sent=sent,
            breaks=breaks,
            request=request,
            before=before if before is not None else dict(self.campaign),
        )
        exercised, findings = run_checks(observation)
        if call == "list" and expect == "accept" and exchange.status == 200:
            findings += results_beyond_shared(observation)
        if breaks:
            exercised.add(breaks)
            status = exchange.status or 0
            if exchange.status is not None and not 400 <= status < 500:
                findings.append(
                    Finding(
                        breaks,
                        call,
                        "",
                        f"answered {status}; a request that "
                        f"breaks {breaks} must be refused with a 4xx: {what}",
                    )
                )
        outcome.exercised |= {(rule, call) for rule in exercised}
        outcome.found(findings)
        return exchange

    def fail(self, rule: str, call: str, message: str, pointer: str = "") -> None:
        """A finding about the latest exchange."""
        self.outcome.exercised.add((rule, call))
        self.outcome.found([Finding(rule, call, pointer, message)])

    def state_is(self, expected: str, rule: str, after: str) -> None:
        """Status answers `expected` (Q1 checks the answer; `rule` owns the state)."""
        before = {**self.campaign, "status": expected}
        answer = self.observe("status", self.client.status(self.id), before=before)
        data = (
            (answer.response_json or {}).get("data")
            if isinstance(answer.response_json, dict)
            else None
        )
        got = data.get("status") if isinstance(data, dict) else None
        self.outcome.exercised.add((rule, "status"))
        if answer.status == 200 and got != expected:
            self.fail(
                rule,
                "status",
                f"after {after}, status answered {show(got)}; expected {show(expected)}",
                "/data/status",
            )

    # --- the steps -----------------------------------------------------------------------

    def get_matches(self, rule: str, after: str) -> None:
        got = self.client.get(self.id)
        self.observe("get", got, before=self.campaign)
        self.outcome.exercised.add((rule, "get"))
        for finding in lifecycle.get_answers_the_campaign(self.campaign, got):
            # a difference from the campaign is `rule`'s; what the answer's own validation
            # finds (S4, ...) stays its own rule's
            owner = rule if finding.rule == lifecycle.RULE else finding.rule
            self.fail(owner, "get", f"after {after}: {finding.message}", finding.pointer)
        data = campaign_of(got)
        if got.status == 200 and data is not None:
            self.runner.state.known[self.id] = data

    def update(self) -> None:
        body = self.outcome.case.notes["update"]
        answer = self.observe("update", self.client.update(self.id, body), sent=body)
        data = campaign_of(answer)
        if answer.status == 200 and data is not None:
            self.campaign = data
            self.get_matches("U2", "the update")

    def broken_update(self) -> None:
        """An update whose body breaks a rule (U1: checked as a create body) is refused and
        changes nothing: get still answers the campaign as it was."""
        body = self.outcome.case.notes.get("broken_update")
        if body is None:
            return
        self.observe(
            "update",
            self.client.update(self.id, body),
            "refuse",
            breaks="U1",
            sent=body,
            what="an update body that breaks R7",
        )
        self.get_matches("U1", "a refused update")

    def bad_triggers(self, triggers: tuple[tuple[str, str, dict[str, str]], ...]) -> None:
        """Each trigger refused (T6); the state is checked by the caller's next status."""
        for what, shape, query in triggers:
            action = "stop" if query.get("trigger") == "stop" else "start"
            exchange = self.client.trigger(
                self.id,
                action,
                shape=shape,
                query={**query, "accountId": self.client.target.account_id},
            )
            self.observe(action, exchange, "refuse", breaks="T6", what=what)

    def may_start(self) -> bool:
        """Whether a start may be sent (item 6); when not, the rules that need one (and T6,
        whose bad triggers a faulty server could take for a start) are not exercised."""
        policy = self.runner.start_policy(self.campaign.get("contactLists"))
        if policy is not None:
            for rule in NEED_A_START:
                self.runner.not_exercised.setdefault(rule, policy)
        return policy is None

    def started(self) -> bool:
        shape = str(self.outcome.case.notes.get("start_shape", "trigger"))
        answer = self.observe("start", self.client.start(self.id, shape=shape))
        if answer.status != 200:
            return False
        self.campaign = {**self.campaign, "status": "Active"}
        if isinstance(answer.response_json, dict):  # T2: the campaign's updatedAt from now
            self.campaign["updatedAt"] = answer.response_json.get("updatedAt")
        self.runner.state.known[self.id] = self.campaign
        self.state_is("Active", "T2", "a start")
        self.get_after_start()
        return True

    def get_after_start(self) -> None:
        """T2: from a start on, get answers the campaign Active, with the start's
        updatedAt (what else a real server changes on a start is not the contract's)."""
        got = self.client.get(self.id)
        self.observe("get", got, before=self.campaign)
        self.outcome.exercised.add(("T2", "get"))
        data = campaign_of(got)
        if got.status != 200 or data is None:
            self.fail("T2", "get", f"get after a start answered {got.status}; expected 200")
            return
        for name in ("status", "updatedAt"):
            if data.get(name) != self.campaign.get(name):
                self.fail(
                    "T2",
                    "get",
                    f"after a start: data.{name}: get answered {show(data.get(name))}; "
                    f"expected {show(self.campaign.get(name))}",
                    f"/data/{name}",
                )
        self.campaign = data
        self.runner.state.known[self.id] = data

    def refused_while_active(self) -> None:
        self.bad_triggers(BAD_STOPS)
        self.observe(
            "start",
            self.client.start(self.id),
            "refuse",
            breaks="T4",
            what="start of an Active campaign",
        )
        body = self.outcome.case.notes["update"]
        self.observe(
            "update",
            self.client.update(self.id, body),
            "refuse",
            breaks="T5",
            sent=body,
            what="update of an Active campaign",
        )
        self.observe(
            "delete",
            self.client.delete(self.id),
            "refuse",
            breaks="T5",
            what="delete of an Active campaign",
        )
        self.state_is("Active", "T5", "the refused triggers, start, update and delete")

    def stop(self) -> None:
        answer = self.observe("stop", self.client.stop(self.id))
        if answer.status == 200:
            self.campaign = {**self.campaign, "status": "Stopped"}
            if isinstance(answer.response_json, dict):
                self.campaign["updatedAt"] = answer.response_json.get("updatedAt")
            self.runner.state.known[self.id] = self.campaign
        self.state_is("Stopped", "T3", "a stop")
        self.observe(
            "stop",
            self.client.stop(self.id),
            "refuse",
            breaks="T4",
            what="stop of a Stopped campaign",
        )
        self.state_is("Stopped", "T4", "a refused stop")

    def page_through(self, request: dict[str, Any], ids: list[str]) -> dict[str, int] | None:
        """Page through what `request` (without skip and limit) lists, `LIST_LIMIT` at a
        time: how often each of `ids` was found; None when the pages could not be read to
        the end (an answer that is no page, more pages than `LIST_PAGES`)."""
        seen = dict.fromkeys(ids, 0)
        for page in range(LIST_PAGES):
            asked = {**request, "limit": LIST_LIMIT, "skip": page * LIST_LIMIT}
            answer = self.observe("list", self.client.list_campaigns(asked), request=asked)
            body = answer.response_json if answer.status == 200 else None
            data = body.get("data") if isinstance(body, dict) else None
            results = data.get("results") if isinstance(data, dict) else None
            if not isinstance(results, list) or not isinstance(data, dict):
                return None
            for result in results:
                if isinstance(result, dict) and result.get("id") in seen:
                    seen[result["id"]] += 1
            if not data.get("hasMore") or not results:
                return seen
        return None

    def found_once(self, seen: dict[str, int] | None, how: str, present: bool = True) -> None:
        """L3: paging through found each campaign exactly once (or, deleted, never)."""
        for campaign_id, count in (seen or {}).items():
            if present and count != 1:
                self.fail(
                    "L3",
                    "list",
                    f"paging through {how} found {campaign_id} {count} times; "
                    "expected exactly once",
                )
            elif not present and count:
                self.fail("L3", "list", f"{campaign_id} is listed after it was deleted")

    def listed(self, present: bool, status: str) -> None:
        """Page through the campaigns of this status, newest first: the campaign is found
        exactly once (or, deleted, never)."""
        request = {
            "type": spec.campaign_type(),
            "sortBy": {"createdAt": "desc"},
            "filters": {"status": [status]},
        }
        seen = self.page_through(request, [self.id])
        self.found_once(seen, f"the {status} campaigns", present)

    def stop_while_ready(self) -> None:
        """A stop of a campaign that is not Active is refused and changes nothing (T4; a
        stop sends nothing, so this needs no --allow-sends)."""
        self.observe(
            "stop",
            self.client.stop(self.id),
            "refuse",
            breaks="T4",
            what="stop of a Ready campaign",
        )
        self.state_is(str(self.campaign.get("status", "Ready")), "T4", "a refused stop")

    def sorted_by_name(self) -> None:
        """One page sorted by name, filtered by the campaign's priority (L3 judges the order
        and the filter; D18: the filter's priorities are numbers)."""
        priority = self.campaign.get("priority")
        filters = (
            {"priority": [int(priority)]}
            if isinstance(priority, str) and priority.isdigit()
            else {}
        )
        request = {
            "type": spec.campaign_type(),
            "limit": LIST_LIMIT,
            "skip": 0,
            "sortBy": {"name": "asc"},
            "filters": filters,
        }
        self.observe("list", self.client.list_campaigns(request), request=request)

    def delete_and_gone(self) -> None:
        deleted = self.client.delete(self.id)
        self.observe("delete", deleted)
        self.outcome.exercised.add(("S10", "delete"))
        for finding in lifecycle.delete_answers_the_campaign(self.campaign, deleted):
            self.fail(finding.rule, "delete", finding.message, finding.pointer)
        if not (deleted.status is not None and 200 <= deleted.status < 300):
            return
        self.runner.state.deleted.add(self.id)
        self.runner.state.known.pop(self.id, None)
        status = str(self.campaign.get("status"))
        self.observe(
            "status",
            self.client.status(self.id),
            "refuse",
            breaks="U3",
            what="status of a deleted campaign",
        )
        body = self.outcome.case.notes["update"]
        self.observe(
            "update",
            self.client.update(self.id, body),
            "refuse",
            breaks="U3",
            sent=body,
            what="update of a deleted campaign",
        )
        gone = self.client.get(self.id)
        self.observe("get", gone, "refuse", breaks="U3", what="get of a deleted campaign")
        self.listed(False, status)


def walk(runner: Runner, outcome: CaseOutcome, created: Exchange) -> None:
    """The family lifecycle of the campaign `created` answered (nothing when it named none).
    The campaign is in the ledger: the runner's cleanup stops and deletes it whatever
    happens here."""
    data = campaign_of(created)
    if data is None or not isinstance(data.get("_id"), str) or not data["_id"]:
        return
    steps = _Walk(runner, outcome, data)
    steps.get_matches("S10", "the create")
    steps.update()
    steps.broken_update()
    if steps.may_start():
        steps.bad_triggers(BAD_TRIGGERS)
        steps.state_is("Ready", "T6", "the refused triggers")
    steps.sorted_by_name()
    steps.stop_while_ready()
    if steps.may_start() and steps.started():
        steps.listed(True, "Active")
        steps.refused_while_active()
        steps.stop()
    else:
        steps.listed(True, str(steps.campaign.get("status", "Ready")))
    steps.delete_and_gone()


#: A state none of the listing case's campaigns is in (they are all Ready): a list filtered
#: by it must not hold them (L3).
OTHER_STATE = "Active"


def walk_listing(runner: Runner, outcome: CaseOutcome, created: Exchange) -> None:
    """The run's campaigns listed together (L2, L3): the case's create and the creates of
    `notes["listing"]`, named out of creation order; paged through `LIST_LIMIT` at a time
    within their createdAt window, sorted by name and newest first (each found exactly
    once); filtered by a state none is in (none listed); then each deleted and the window
    listed again (none listed). Nothing is started: this needs no --allow-sends."""
    first = campaign_of(created)
    if first is None or not isinstance(first.get("_id"), str) or not first["_id"]:
        return
    steps = _Walk(runner, outcome, first)
    campaigns = [first]
    runner.state.known[first["_id"]] = first
    for body in outcome.case.notes["listing"]:
        answer = steps.observe("create", steps.client.create(body), sent=body)
        data = campaign_of(answer)
        if answer.status in (200, 201) and data is not None and isinstance(data.get("_id"), str):
            campaigns.append(data)
            runner.state.known[data["_id"]] = data
    ids = [str(c["_id"]) for c in campaigns]
    window: dict[str, Any] = {"type": spec.campaign_type()}
    dated = sorted(
        (moment, str(c["createdAt"]))
        for c in campaigns
        if (moment := instant(c.get("createdAt"))) is not None
    )
    if len(dated) == len(campaigns):  # else no window (S7 says what is wrong)
        window["startDate"], window["endDate"] = dated[0][1], dated[-1][1]
    for sort in ({"name": "asc"}, {"createdAt": "desc"}):
        seen = steps.page_through({**window, "sortBy": sort}, ids)
        steps.found_once(seen, f"the run's campaigns by {next(iter(sort))}")
    other = {**window, "limit": LIST_LIMIT, "filters": {"status": [OTHER_STATE]}}
    steps.observe("list", steps.client.list_campaigns(other), request=other)
    for campaign in campaigns:
        deleted = steps.client.delete(str(campaign["_id"]))
        steps.observe("delete", deleted, before=campaign)
        steps.outcome.exercised.add((lifecycle.RULE, "delete"))
        for finding in lifecycle.delete_answers_the_campaign(campaign, deleted):
            steps.fail(finding.rule, "delete", finding.message, finding.pointer)
        if deleted.status is not None and 200 <= deleted.status < 300:
            runner.state.deleted.add(str(campaign["_id"]))
            runner.state.known.pop(str(campaign["_id"]), None)
    gone = [i for i in ids if i in runner.state.deleted]
    steps.found_once(steps.page_through(window, gone), "the deleted campaigns", present=False)
