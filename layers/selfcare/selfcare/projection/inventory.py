"""The product inventory's events -> the lines' read model (selfcare.projection.inventory_events).

Called by the projection (ProjectionService.project) for events whose source is "operator.inventory"; the
refusals go through the projection's one dead-letter path, with these decisions, in order:
1. A detail-type that is not an inventory event -> `unknown_event_type`; a detail that fails its schema ->
   `malformed_detail` (fields and rules named, never values).
2. The customer must be in the read model (`unknown_customer`); every event but LineCreated needs its line
   (`unknown_line`).
3. Writes are conditional on the entity's version (the line's for the line events and the SIM, the VoIP
   settings' own, each box's, mailbox's and pack's) with the event's receipt in the same transaction: a
   replay is a duplicate (nothing written, no dead letter); an older version than the stored one is
   `out_of_order` (the newer state stays). A SIM whose ICCID another line holds is `iccid_in_use`.
4. The line's status has one writer at a time. While a suspension or reactivation workflow owns the line
   (a pending status), a network status change or the line's end is not applied: `LineBusy` is raised, the
   invocation fails and is retried (Lambda's asynchronous retries; the local delivery retries after 5 s), so
   the network's word comes after the workflow's and is the last one. On an idle line the network's status
   applies and bumps `status_version`, so a workflow begun on the former status fails its conditional start
   instead of overwriting the network's state. docs/decisions.md (2026-11-25) has the why.
5. Login keys (issue 8): a line's number is a login key of an activated customer. A line created, renumbered
   (LineChanged's `number`) or ended moves the key in the line's transaction (selfcare.dal.login_keys.line_move):
   the old number's key goes, the new one comes. A new number whose key another customer holds is not taken:
   the event is projected (applied), the key is withheld, and the log line and the `LineLoginKeyWithheld`
   metric say so with the reason `login_key_held_by_another` (never the number). An ended line's number no
   longer logs in.
6. VOD views: the catalogue's title reference is replaced by its keyed hash (selfcare.tv.vod) before the
   write; the reference in clear is never stored, logged or sent to the dead letters' log line.
Nothing here logs personal data: event ids, types, customer and line ids, reason codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from pydantic import ValidationError

from selfcare.clock import iso
from selfcare.dal.dynamo import RawItem
from selfcare.dal.inventory_projection import IccidHeldElsewhere, LineSnapshot, LoginKeysMoved, StatusMoved
from selfcare.dal.line_items import child_sk
from selfcare.dal.login_keys import LineKeyMove
from selfcare.lines.models import LINE_ENDED, ChildKind
from selfcare.observability import count, logger
from selfcare.ports.hash_key import HashKeySource
from selfcare.projection import inventory_events as ev
from selfcare.projection.models import Outcome, RejectReason, WriteResult
from selfcare.tv.vod import anonymise
from selfcare.workflows.models import PENDING_STATUSES

ENDED = LINE_ENDED
STATUS_ATTEMPTS = 3  # a status event meeting a concurrent status change is re-read this many times


class LineBusy(Exception):
    """A workflow owns the line's status: the event must be delivered again later (retried, not refused)."""


class InventoryStore(Protocol):
    """selfcare.dal.inventory_projection.InventoryProjection."""

    def line(self, customer_id: str, line_id: str) -> LineSnapshot | None: ...

    def write_line(
        self,
        customer_id: str,
        line_id: str,
        sets: Mapping[str, Any],
        removals: tuple[str, ...],
        version: int,
        event_id: str,
        *,
        must_exist: bool,
        keys: list[RawItem] | None = None,
    ) -> WriteResult: ...

    def change_sim(
        self, customer_id: str, line_id: str, seen: LineSnapshot, iccid: str, puk: str, version: int, event_id: str
    ) -> WriteResult: ...

    def change_status(
        self,
        customer_id: str,
        line_id: str,
        seen: LineSnapshot,
        sets: Mapping[str, Any],
        version: int,
        event_id: str,
        *,
        release_iccid: str | None = None,
        keys: list[RawItem] | None = None,
    ) -> WriteResult: ...

    def write_voip(
        self, customer_id: str, line_id: str, voip: Mapping[str, Any], version: int, event_id: str
    ) -> WriteResult: ...

    def write_child(
        self,
        customer_id: str,
        line_id: str,
        kind: ChildKind,
        child_id: str,
        sets: Mapping[str, Any],
        removals: tuple[str, ...],
        version: int,
        event_id: str,
    ) -> WriteResult: ...

    def put_records(
        self, customer_id: str, line_id: str, items: list[dict[str, Any]], event_id: str
    ) -> WriteResult: ...


class ProfileReader(Protocol):
    def get_profile(self, customer_id: str) -> Any: ...


class LineKeys(Protocol):
    """selfcare.dal.login_keys.CustomerLoginKeys: the moves of a line number's login key."""

    def line_move(
        self,
        customer_id: str,
        account_number: str,
        contact_mobile: str | None,
        line_id: str,
        old: str | None,
        new: str | None,
    ) -> LineKeyMove: ...


class Reject(Protocol):
    def __call__(
        self,
        reason: RejectReason,
        explanation: str,
        raw: Any,
        *,
        event_id: str | None = None,
        detail_type: str | None = None,
    ) -> Outcome: ...


# Mapping: inventory records -> the read model's attributes (the layout of selfcare.dal.line_items) -----------
def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _split(fields: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(attributes to set, attributes to remove: those without a value)."""
    return {k: v for k, v in fields.items() if v is not None}, tuple(k for k, v in fields.items() if v is None)


def line_attributes(line: ev.LineRecord) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The line item's attributes that the inventory owns (a new line's status only if it has none)."""
    details = {k: v for k, v in {"user": line.user, "voip_number": line.voip_number}.items() if v is not None}
    service = line.service
    fields: dict[str, Any] = {
        "line_id": line.line_id,
        "line_type": line.line_type.value,
        "offer": line.offer,
        "number": line.number,
        "details": details,
        "options": [o.model_dump() for o in line.options],
        "renewal_eligible_on": _day(line.renewal_eligible_on),
        "commitment_ends_on": _day(line.commitment_ends_on),
        "billing_day": line.billing_day,
        "roaming": [z.model_dump() for z in line.roaming] or None,
        "access_settings": line.access_settings.model_dump() if line.access_settings else None,
        "nomadic": line.nomadic.model_dump() if line.nomadic else None,
        "drive": line.drive.model_dump() if line.drive else None,
        "mail_domain": line.mail_domain,
        "tv_login": line.tv_login,
        "service_kind": service.kind if service else None,
        "monthly_price_cents": service.monthly_price_cents if service else None,
        "subscribed_on": _day(service.subscribed_on) if service else None,
    }
    sets, removals = _split(fields)
    return {**sets, "?status": line.state.value}, removals


def change_attributes(changes: ev.LineChanges) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Only the fields the event names: null removes, absent keeps."""
    mapped = {
        "offer": changes.offer,
        "options": [o.model_dump() for o in changes.options] if changes.options is not None else None,
        "details.user": changes.user,
        "renewal_eligible_on": _day(changes.renewal_eligible_on),
        "commitment_ends_on": _day(changes.commitment_ends_on),
        "number": changes.number,
    }
    named = {("details.user" if f == "user" else f) for f in changes.model_fields_set}
    sets, removals = _split({k: v for k, v in mapped.items() if k in named})
    return sets, tuple(r for r in removals if r != "offer")  # a line always has an offer


def voip_attributes(voip: ev.VoipSettings) -> dict[str, Any]:
    stored = voip.model_dump(mode="json")
    return {k: v for k, v in stored.items() if not (k == "pin" and v is None)}


def pack_attributes(pack: ev.TvPack) -> tuple[dict[str, Any], tuple[str, ...]]:
    return _split(
        {
            "name": pack.name,
            "monthly_price_cents": pack.monthly_price_cents,
            "subscribed_at": iso(pack.subscribed_at),
            "effective_from": iso(pack.effective_from),
            "effective_until": iso(pack.effective_until) if pack.effective_until else None,
            "cancelled_at": iso(pack.cancelled_at) if pack.cancelled_at else None,
        }
    )


def usage_item(line_id: str, record: ev.LineUsage) -> dict[str, Any]:
    """A usage record under the line; its id starts with its time, so the items sort by time."""
    started = iso(record.started_at)
    child_id = f"{started}#{record.record_id}"
    item = {
        "sk": child_sk(line_id, ChildKind.USAGE, child_id),
        "id": child_id,
        "line_number": record.line_number,
        "started_at": started,
        "kind": record.type.value.lower(),
        "origin_country": record.origin_country,
        "destination_country": record.destination_country,
        "called_number": record.called_number,
        "duration_seconds": record.duration_seconds,
        "quantity": record.quantity,
        "volume_kb": record.volume_bytes // 1024 if record.volume_bytes is not None else None,
        "amount_excl_tax_cents": record.amount_excl_tax_cents,
    }
    return {k: v for k, v in item.items() if v is not None}


def charge_item(line_id: str, charge: ev.OutOfBundleCharge) -> dict[str, Any]:
    return {
        "sk": child_sk(line_id, ChildKind.CHARGE, charge.charge_id),
        "id": charge.charge_id,
        "at": iso(charge.at),
        "label": charge.label,
        "amount_excl_tax_cents": charge.amount_excl_tax_cents,
    }


def vod_item(customer_id: str, line_id: str, view: ev.VodView, key: bytes) -> dict[str, Any]:
    """A VOD view as the tv capability reads it (selfcare.tv.models.VodView), its title reference hashed."""
    return {
        "sk": child_sk(line_id, ChildKind.VOD, view.view_id),
        "id": view.view_id,
        "watched_at": iso(view.watched_at),
        "title_ref": anonymise(view.title_ref, customer_id, key),
        "category": view.category,
        "price_cents": view.price_cents,
    }


class InventoryProjector:
    def __init__(
        self,
        *,
        store: InventoryStore,
        customers: ProfileReader,
        hash_key: HashKeySource,
        login_keys: LineKeys | None = None,
    ) -> None:
        self.store = store
        self.customers = customers
        self.hash_key = hash_key
        self.login_keys = login_keys

    def project(self, raw: Any, reject: Reject) -> Outcome:
        from selfcare.projection.service import _explain  # the projection's one explanation of a refusal

        try:
            envelope = ev.InventoryEnvelope.model_validate(raw)
        except ValidationError as error:
            return reject(RejectReason.MALFORMED_ENVELOPE, _explain(error), raw)
        model = ev.INVENTORY_DETAIL_MODELS.get(envelope.detail_type)
        if model is None:
            return reject(
                RejectReason.UNKNOWN_EVENT_TYPE, f"detail-type {envelope.detail_type!r} is not an inventory event", raw
            )
        try:
            detail = model.model_validate(envelope.detail)
        except ValidationError as error:
            event_id = envelope.detail.get("event_id")
            return reject(
                RejectReason.MALFORMED_DETAIL,
                _explain(error),
                raw,
                event_id=event_id if isinstance(event_id, str) else None,
                detail_type=envelope.detail_type,
            )
        line_id = str(getattr(detail, "line_id"))  # noqa: B009 - every inventory event names its line

        def refuse(reason: RejectReason, explanation: str) -> Outcome:
            return reject(reason, explanation, raw, event_id=detail.event_id, detail_type=envelope.detail_type)

        profile = self.customers.get_profile(detail.customer_id)
        if profile is None:
            return refuse(RejectReason.UNKNOWN_CUSTOMER, f"customer {detail.customer_id} is not in the read model")
        try:
            result = self._apply(detail, profile)
        except IccidHeldElsewhere:
            return refuse(RejectReason.ICCID_IN_USE, f"another line holds the SIM card of line {line_id}")
        if result is WriteResult.STALE:
            return refuse(
                RejectReason.OUT_OF_ORDER,
                f"the read model holds version {detail.entity_version} or a newer one of this entity",
            )
        if result is WriteResult.MISSING:
            return refuse(
                RejectReason.UNKNOWN_LINE, f"line {line_id} of customer {detail.customer_id} is not in the read model"
            )
        outcome = Outcome.APPLIED if result is WriteResult.APPLIED else Outcome.DUPLICATE
        logger.info(
            "inventory event projected",
            extra={"outcome": outcome.value, "event_id": detail.event_id, "detail_type": envelope.detail_type},
        )
        return outcome

    # Writes ------------------------------------------------------------------------------------------------
    def _apply(self, detail: ev.LineEvent, profile: Any) -> WriteResult:
        c, v, e = detail.customer_id, detail.entity_version, detail.event_id
        store = self.store
        if isinstance(detail, ev.LineCreated):
            sets, removals = line_attributes(detail.line)
            return self._write_line(detail, profile, detail.line.line_id, sets, removals, detail.line.number, True)
        if isinstance(detail, ev.LineChanged):
            sets, removals = change_attributes(detail.changes)
            renumbered = "number" in detail.changes.model_fields_set
            return self._write_line(detail, profile, detail.line_id, sets, removals, detail.changes.number, renumbered)
        if isinstance(detail, ev.LineSimChanged):
            return self._sim(detail)
        if isinstance(detail, ev.LineStatusChanged | ev.LineEnded):
            return self._status(detail, profile)
        if isinstance(detail, ev.VoipSettingsChanged):
            return store.write_voip(c, detail.line_id, voip_attributes(detail.voip), v, e)
        if isinstance(detail, ev.BoxChanged):
            box = detail.box
            fields = {"model": box.model, "name": box.name}
            return store.write_child(c, detail.line_id, ChildKind.BOX, box.box_id, fields, (), v, e)
        if isinstance(detail, ev.MailboxChanged):
            mailbox = detail.mailbox
            fields = {"address": mailbox.address, "created_at": iso(mailbox.created_at)}
            return store.write_child(c, detail.line_id, ChildKind.MAILBOX, mailbox.mailbox_id, fields, (), v, e)
        if isinstance(detail, ev.TvPackChanged):
            sets, removals = pack_attributes(detail.pack)
            return store.write_child(c, detail.line_id, ChildKind.PACK, detail.pack.pack_id, sets, removals, v, e)
        if isinstance(detail, ev.VodViewsRecorded):
            key = self.hash_key.key()
            items = [vod_item(c, detail.line_id, view, key) for view in detail.views]
            return store.put_records(c, detail.line_id, items, e)
        if isinstance(detail, ev.LineUsageRecorded):
            items = [usage_item(detail.line_id, r) for r in detail.records]
            items += [charge_item(detail.line_id, charge) for charge in detail.charges]
            return store.put_records(c, detail.line_id, items, e)
        raise TypeError(f"no projection for {type(detail).__name__}")

    def _write_line(
        self,
        detail: ev.LineCreated | ev.LineChanged,
        profile: Any,
        line_id: str,
        sets: dict[str, Any],
        removals: tuple[str, ...],
        number: str | None,
        names_number: bool,
    ) -> WriteResult:
        """A line created or changed; when the event names its number, the number's login key moves with it."""
        c, v, e = detail.customer_id, detail.entity_version, detail.event_id
        if not names_number or self.login_keys is None:
            return self.store.write_line(
                c, line_id, sets, removals, v, e, must_exist=isinstance(detail, ev.LineChanged)
            )
        for _ in range(STATUS_ATTEMPTS):
            seen = self.store.line(c, line_id)
            live = seen is None or seen.status != ENDED  # an ended line's number gives no key, on any event
            old = seen.number if seen is not None and live else None
            move = self._key_move(profile, line_id, old, number if live else None)
            try:
                result = self.store.write_line(
                    c,
                    line_id,
                    sets,
                    removals,
                    v,
                    e,
                    must_exist=isinstance(detail, ev.LineChanged),
                    keys=move.operations,
                )
            except LoginKeysMoved:
                continue
            return self._reported(result, move, detail)
        raise LineBusy("the line number's login key kept changing during the event")

    def _key_move(self, profile: Any, line_id: str, old: str | None, new: str | None) -> LineKeyMove:
        if self.login_keys is None or old == new:
            return LineKeyMove([])
        return self.login_keys.line_move(
            profile.customer_id, profile.account_number, profile.contact_mobile, line_id, old, new
        )

    @staticmethod
    def _reported(result: WriteResult, move: LineKeyMove, detail: ev.LineEvent) -> WriteResult:
        """A line projected while its new number's key was withheld: said in the log and a metric (no number)."""
        if result is WriteResult.APPLIED and move.reason:
            logger.warning(
                "line number not given as a login key",
                extra={"event_id": detail.event_id, "customer_id": detail.customer_id, "reason": move.reason},
            )
            count("LineLoginKeyWithheld")
        return result

    def _sim(self, detail: ev.LineSimChanged) -> WriteResult:
        for _ in range(STATUS_ATTEMPTS):
            seen = self.store.line(detail.customer_id, detail.line_id)
            if seen is None:
                return WriteResult.MISSING
            try:
                return self.store.change_sim(
                    detail.customer_id,
                    detail.line_id,
                    seen,
                    detail.sim.iccid,
                    detail.sim.puk,
                    detail.entity_version,
                    detail.event_id,
                )
            except StatusMoved:
                continue
        raise LineBusy("the line's SIM kept changing during the event")

    def _status(self, detail: ev.LineStatusChanged | ev.LineEnded, profile: Any) -> WriteResult:
        at = iso(detail.ended_at if isinstance(detail, ev.LineEnded) else detail.occurred_at)
        for _ in range(STATUS_ATTEMPTS):
            seen = self.store.line(detail.customer_id, detail.line_id)
            if seen is None:
                return WriteResult.MISSING
            if seen.status in PENDING_STATUSES:
                logger.info(
                    "inventory status event deferred: a workflow owns the line",
                    extra={"event_id": detail.event_id, "status": seen.status},  # no line id: it holds a number
                )
                raise LineBusy("a workflow owns the line's status")
            sets: dict[str, Any]
            release = None
            if isinstance(detail, ev.LineEnded):
                sets = {"status": ENDED, "ended_at": at}
                release = seen.iccid  # the SIM may serve another line now
            else:
                sets = {"network_status": detail.state.value, "network_status_at": at}
                if seen.status != ENDED:
                    sets["status"] = detail.state.value
            if sets.get("status", seen.status) != seen.status:
                sets |= {"status_version": seen.status_version + 1, "status_changed_at": at}
            # The line's end takes its number's login key (it no longer logs in); a suspension keeps it.
            ended = isinstance(detail, ev.LineEnded) and seen.status != ENDED
            move = self._key_move(profile, detail.line_id, seen.number, None) if ended else LineKeyMove([])
            try:
                return self.store.change_status(
                    detail.customer_id,
                    detail.line_id,
                    seen,
                    sets,
                    detail.entity_version,
                    detail.event_id,
                    release_iccid=release,
                    keys=move.operations,
                )
            except (StatusMoved, LoginKeysMoved):
                continue
        raise LineBusy("the line's status kept changing during the event")
