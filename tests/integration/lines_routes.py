"""The routes of the line capabilities (mobile, fixed, internet/VoIP, TV, services), as test cases:
who owns the identifiers, a valid request, and what an allowed role may get back."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_counter = itertools.count(1)

MOBILE = "M-377612345678"
MOBILE_NO_SIM = "M-377612345679"
FIXED = "F-37797970000"
INTERNET = "I-0001"
TV = "T-0001"
OTHER = "O-0002"  # C0002's
STRONG = "Tide-Lantern-Quarry-58"


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # with the owner's identifiers
    body: Any = None
    owner: str = "C0001"
    ok: tuple[int, ...] = (200,)
    # A change that can be made once only answers 409 to the next allowed role (authorization passed).
    once: bool = False
    # Builds (path, body) for each attempt (fresh names, fresh mailboxes); default: path and body as they are.
    fresh: Callable[[Any], tuple[str, Any]] | None = None
    sub_id: str | None = None  # the child identifier in the path (box, mailbox, pack), if any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_read(self) -> bool:
        return self.method == "GET"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def _mailbox_for_delete(ctx: Any) -> tuple[str, Any]:
    mailbox_id = ctx.create_mailbox(f"del{next(_counter)}")
    return f"/internet/lines/{INTERNET}/mailboxes/{mailbox_id}", None


def _new_mailbox(ctx: Any) -> tuple[str, Any]:
    return f"/internet/lines/{INTERNET}/mailboxes", {"local_part": f"box{next(_counter)}", "password": STRONG}


_packs = itertools.cycle(["cinema", "sport", "docs", "music"])


def _pack_subscription(ctx: Any) -> tuple[str, Any]:
    return f"/tv/lines/{TV}/packs", {"pack_id": next(_packs), "start": "next_billing_day"}


CASES: tuple[Case, ...] = (
    # mobile
    Case("GET", "/mobile/lines"),
    Case("GET", f"/mobile/lines/{MOBILE}"),
    Case("GET", f"/mobile/lines/{MOBILE}/usage"),
    Case("GET", f"/mobile/lines/{MOBILE}/out-of-bundle"),
    Case("GET", f"/mobile/lines/{MOBILE}/puk"),
    Case("POST", f"/mobile/lines/{MOBILE_NO_SIM}/sim", {"iccid": "8937710310000000058"}, once=True),
    Case("GET", f"/mobile/lines/{MOBILE}/roaming"),
    # fixed
    Case("GET", "/fixed/lines"),
    Case("GET", f"/fixed/lines/{FIXED}"),
    Case("GET", f"/fixed/lines/{FIXED}/usage"),
    # internet
    Case("GET", "/internet/lines"),
    Case("GET", f"/internet/lines/{INTERNET}"),
    Case("GET", f"/internet/lines/{INTERNET}/boxes"),
    Case("PATCH", f"/internet/lines/{INTERNET}/boxes/box1", {"name": "Office"}, sub_id="box1"),
    Case("GET", f"/internet/lines/{INTERNET}/usage"),
    Case("GET", f"/internet/lines/{INTERNET}/access-settings"),
    Case("POST", f"/internet/lines/{INTERNET}/nomadic-access", {"password": STRONG}, once=True),
    Case("PUT", f"/internet/lines/{INTERNET}/nomadic-access/password", {"new_password": STRONG}, ok=(204, 409)),
    Case("GET", f"/internet/lines/{INTERNET}/drive"),
    Case("POST", f"/internet/lines/{INTERNET}/drive", once=True),
    Case("GET", f"/internet/lines/{INTERNET}/mailboxes"),
    Case("POST", f"/internet/lines/{INTERNET}/mailboxes", {"local_part": "anna", "password": STRONG}, ok=(201,),
         fresh=_new_mailbox),
    Case("PUT", f"/internet/lines/{INTERNET}/mailboxes/mbjeanne/password", {"new_password": STRONG}, ok=(204,),
         sub_id="mbjeanne"),
    Case("DELETE", f"/internet/lines/{INTERNET}/mailboxes/mbjeanne", ok=(204,), fresh=_mailbox_for_delete,
         sub_id="mbjeanne"),
    # VoIP
    Case("GET", "/voip/lines"),
    Case("GET", f"/voip/lines/{INTERNET}"),
    Case("PUT", f"/voip/lines/{INTERNET}/call-waiting", {"enabled": False}),
    Case("PUT", f"/voip/lines/{INTERNET}/caller-id-hiding", {"enabled": True}),
    Case("PUT", f"/voip/lines/{INTERNET}/forwarding", {"mode": "busy", "destination": "+33612345678"}),
    Case("DELETE", f"/voip/lines/{INTERNET}/forwarding"),
    Case("PUT", f"/voip/lines/{INTERNET}/restrictions", {"international": True, "premium_rate": True, "mobile": False}),
    Case("GET", f"/voip/lines/{INTERNET}/pin"),
    Case("PUT", f"/voip/lines/{INTERNET}/pin", {"pin": "802413"}, ok=(204,)),
    # TV
    Case("GET", "/tv/lines"),
    Case("GET", f"/tv/lines/{TV}"),
    Case("GET", f"/tv/lines/{TV}/boxes"),
    Case("PATCH", f"/tv/lines/{TV}/boxes/tvbox1", {"name": "Bedroom"}, sub_id="tvbox1"),
    Case("PUT", f"/tv/lines/{TV}/password", {"new_password": STRONG}, ok=(204,)),
    Case("GET", f"/tv/lines/{TV}/packs"),
    Case("POST", f"/tv/lines/{TV}/packs", {"pack_id": "cinema"}, ok=(201,), fresh=_pack_subscription),
    Case("DELETE", f"/tv/lines/{TV}/packs/kids", sub_id="kids"),
    Case("GET", f"/tv/lines/{TV}/vod"),
    Case("GET", f"/tv/lines/{TV}/vod/export"),
    # other services
    Case("GET", "/services", owner="C0002"),
    Case("GET", f"/services/{OTHER}", owner="C0002"),
)  # fmt: skip
