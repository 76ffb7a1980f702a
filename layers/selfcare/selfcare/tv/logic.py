"""TV: offer, boxes (rename), TV login, TV password, packs (subscribe: idempotent; cancel: at the end
of the month), VOD consumption (anonymised references) and its PDF export."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from selfcare.api.context import RequestInfo
from selfcare.auth.passwords import check_policy
from selfcare.auth.policy import Caller
from selfcare.clock import Clock, iso
from selfcare.dal.idempotency import IdempotencyStore
from selfcare.dal.line_items import LineItemsRepository, child_sk
from selfcare.dal.logs import LogsRepository
from selfcare.errors import Conflict, FieldProblem, InvalidInput, NotFound
from selfcare.lines.models import Box, ChildKind, LineDetail, LineType, boxes
from selfcare.lines.service import LineServiceBase
from selfcare.ports.hash_key import HashKeySource
from selfcare.ports.provisioning import Provisioning, ServiceChange
from selfcare.tv.models import (
    CATALOGUE,
    CataloguePack,
    PackState,
    PackStatus,
    StartRule,
    TvLine,
    TvPack,
    VodView,
    effective_from,
    packs,
    start_of_next_month,
    vod_views,
)
from selfcare.tv.vod import anonymise

TV = (LineType.TV,)


class PackAlreadySubscribed(Conflict):
    code = "pack_already_subscribed"
    message = "This pack is already subscribed on the line (cancelled packs can be subscribed again once ended)."


@dataclass(frozen=True)
class SubscribePack:
    """The request model the subscription's idempotency key is computed from. `basis` is the end of
    the subscription this one follows (None for a first one): a repeated request finds the same
    basis, a subscription after a cancellation has ended finds a new one."""

    customer_id: str
    line_id: str
    pack_id: str
    start: str
    basis: str | None
    client_key: str | None


@dataclass(frozen=True)
class WatchedTitle:
    """A view as the VOD platform reports it: with the raw title reference (never stored)."""

    view_id: str
    watched_at: str
    title_ref: str
    category: str
    price_cents: int


class TvService(LineServiceBase):
    capability = "tv"

    def __init__(
        self,
        lines: LineItemsRepository,
        logs: LogsRepository,
        provisioning: Provisioning,
        clock: Clock,
        idempotency: IdempotencyStore,
    ) -> None:
        super().__init__(lines, logs, provisioning, clock)
        self.idempotency = idempotency

    # Line, boxes, login ----------------------------------------------------------------------
    def lines_of(self, caller: Caller, request: RequestInfo) -> list[TvLine]:
        return [TvLine.of(line) for line in self._list(caller, request, LineType.TV)]

    def line(self, caller: Caller, request: RequestInfo, line_id: str) -> TvLine:
        return TvLine.of(self._line(caller, request, line_id, TV))

    def boxes(self, caller: Caller, request: RequestInfo, line_id: str) -> list[Box]:
        return boxes(self._line(caller, request, line_id, TV, viewed="boxes.viewed"))

    def rename_box(self, caller: Caller, request: RequestInfo, line_id: str, box_id: str, name: str) -> Box:
        return self._rename_box(caller, request, self._for_change(caller, request, line_id, TV), box_id, name)

    def change_password(self, caller: Caller, request: RequestInfo, line_id: str, password: str) -> None:
        line = self._for_change(caller, request, line_id, TV)
        login = TvLine.of(line).login
        if not login:
            raise NotFound("This TV line has no TV service login.")
        check_policy(password, field="new_password", personal=(login,))
        change = ServiceChange(
            line_id=line.line_id,
            service="tv",
            action="set_password",
            params={"login": login, "password": password},
            idempotency_key=f"{request.request_id}:tv:set_password",
        )
        ops = [
            self.lines.set_line_op(line.customer_id, line.line_id, {"tv_password_changed_at": iso(self.clock.now())})
        ]
        self._change(caller, request, line, change, ops, "password_changed", f"line#{line.line_id}")

    # Packs -----------------------------------------------------------------------------------
    def packs(self, caller: Caller, request: RequestInfo, line_id: str) -> list[PackState]:
        now = self.clock.now()
        return [
            PackState(p, p.status(now)) for p in packs(self._line(caller, request, line_id, TV, viewed="packs.viewed"))
        ]

    def subscribe(
        self,
        caller: Caller,
        request: RequestInfo,
        line_id: str,
        pack_id: str,
        start: StartRule,
        client_key: str | None = None,
    ) -> PackState:
        """Subscribe to a pack, once: the same request repeated (same line, pack, start rule and
        Idempotency-Key if any) answers the first answer and applies nothing again."""
        pack = CATALOGUE.get(pack_id)
        if pack is None:
            raise InvalidInput([FieldProblem(("body", "pack_id"), "No such pack in the catalogue.", "unknown_pack")])
        line = self._for_change(caller, request, line_id, TV)
        self._require_active(line)
        existing = next((p for p in packs(line) if p.pack_id == pack_id), None)
        basis = None
        if existing is not None:
            basis = (
                existing.effective_until
                if existing.status(self.clock.now()) is PackStatus.ENDED
                else existing.replaces_end
            )
        command = SubscribePack(line.customer_id, line.line_id, pack_id, start.value, basis, client_key)
        answer = self.idempotency.once(
            "tv.subscribe_pack",
            self._subscribe_once,
            command=command,
            caller=caller,
            request=request,
            line=line,
            pack=pack,
            existing=existing,
        )
        subscribed = TvPack.of(answer)
        return PackState(subscribed, subscribed.status(self.clock.now()))

    def _subscribe_once(
        self,
        command: SubscribePack,
        caller: Caller,
        request: RequestInfo,
        line: LineDetail,
        pack: CataloguePack,
        existing: TvPack | None,
    ) -> dict[str, Any]:
        now = self.clock.now()
        if existing is not None and existing.status(now) is not PackStatus.ENDED:
            raise PackAlreadySubscribed()
        starts = effective_from(StartRule(command.start), now, TvLine.of(line).billing_day)
        subscribed = TvPack(
            pack_id=pack.pack_id,
            name=pack.name,
            monthly_price_cents=pack.monthly_price_cents,
            subscribed_at=iso(now),
            effective_from=iso(starts),
            effective_until=None,
            cancelled_at=None,
            replaces_end=command.basis,
        )
        change = ServiceChange(
            line_id=line.line_id,
            service="tv",
            action="subscribe_pack",
            params={"pack_id": pack.pack_id, "effective_from": subscribed.effective_from},
            idempotency_key=f"tv-pack-{line.line_id}-{pack.pack_id}-{command.basis or 'first'}",
        )
        if existing is None:
            op = self.lines.put_child_op(
                line.customer_id, line.line_id, ChildKind.PACK, pack.pack_id, subscribed.item()
            )
        else:
            op = self.lines.set_child_op(
                line.customer_id, line.line_id, ChildKind.PACK, pack.pack_id, subscribed.item()
            )
        target = f"line#{line.line_id}/pack#{pack.pack_id}"
        self._change(caller, request, line, change, [op], "pack.subscribed", target, conflict=PackAlreadySubscribed())
        return {"id": pack.pack_id, **subscribed.item()}

    def cancel(self, caller: Caller, request: RequestInfo, line_id: str, pack_id: str) -> PackState:
        """Cancel a pack at the end of the current month. Cancelling again answers the same
        (nothing is applied twice); an ended or unknown pack answers 404."""
        line = self._for_change(caller, request, line_id, TV)
        now = self.clock.now()
        pack = next((p for p in packs(line) if p.pack_id == pack_id), None)
        if pack is None or pack.status(now) is PackStatus.ENDED:
            raise NotFound("No such pack on this line.")
        if pack.status(now) is PackStatus.CANCELLING:
            return PackState(pack, PackStatus.CANCELLING)
        ends = iso(start_of_next_month(now))
        cancelled = replace(pack, effective_until=ends, cancelled_at=iso(now))
        change = ServiceChange(
            line_id=line.line_id,
            service="tv",
            action="cancel_pack",
            params={"pack_id": pack_id, "effective_until": ends},
            idempotency_key=f"tv-pack-cancel-{line.line_id}-{pack_id}-{pack.subscribed_at}",
        )
        op = self.lines.set_child_op(
            line.customer_id, line.line_id, ChildKind.PACK, pack_id, {"effective_until": ends, "cancelled_at": iso(now)}
        )
        self._change(caller, request, line, change, [op], "pack.cancelled", f"line#{line.line_id}/pack#{pack_id}")
        return PackState(cancelled, cancelled.status(now))

    # VOD -------------------------------------------------------------------------------------
    def vod(self, caller: Caller, request: RequestInfo, line_id: str) -> list[VodView]:
        return vod_views(self._line(caller, request, line_id, TV, viewed="vod.viewed"))

    def vod_pdf(self, caller: Caller, request: RequestInfo, line_id: str) -> bytes:
        from selfcare.tv.export import vod_pdf

        views = vod_views(self._line(caller, request, line_id, TV, viewed="vod.exported"))
        return vod_pdf(line_id, views, iso(self.clock.now()))


class VodRecorder:
    """Ingestion of VOD views into the read model (the projection of the VOD platform's consumption;
    the local demo seed): each title reference is anonymised (selfcare.tv.vod) before it is stored,
    so the raw reference never enters the Customers table and the API can only serve the hash."""

    def __init__(self, lines: LineItemsRepository, hash_key: HashKeySource) -> None:
        self.lines = lines
        self.hash_key = hash_key

    def record_vod_views(self, customer_id: str, line_id: str, views: list[WatchedTitle]) -> list[VodView]:
        key = self.hash_key.key()
        stored = [
            VodView(v.view_id, v.watched_at, anonymise(v.title_ref, customer_id, key), v.category, v.price_cents)
            for v in views
        ]
        self.lines.put_items(
            customer_id,
            [
                {
                    "sk": child_sk(line_id, ChildKind.VOD, v.view_id),
                    "id": v.view_id,
                    "watched_at": v.watched_at,
                    "title_ref": v.title_ref,
                    "category": v.category,
                    "price_cents": v.price_cents,
                }
                for v in stored
            ],
        )
        return stored
