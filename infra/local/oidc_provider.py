"""A small OpenID Connect provider for the local stack and the tests (in the style of the payment sandbox).

It stands in for both identity providers Selfcare relies on: the government digital identity (customers:
subject, family name, given name, birth date, an `acr` level per person) and the operator's directory
(staff: professional email and a `groups` claim). `python -m infra.local` starts one on a free loopback
port, registers the two clients (their secrets are stored in the local Secrets Manager) and prints it in
the banner; integration tests start one in-process (`OidcProvider(...).start()`).

Endpoints (the subset of OpenID Connect Core and RFC 7636 Selfcare uses):
- GET /.well-known/openid-configuration: the discovery document.
- GET /jwks: the public keys (RS256, generated at start; the previous key stays published after a rotation
  unless the rotation drops it).
- GET /authorize: checks client_id, redirect_uri (registered), response_type=code, state, nonce and a PKCE
  S256 challenge, then shows a page to pick a demo person (buttons: a form POST to /authorize). With
  `demo_person=<id>&auto_approve=true` it answers the redirect at once (tests). POST /authorize: the choice.
  Either way: 302 to redirect_uri?code=...&state=... (a code valid 60 s, once).
- POST /token: authorization_code grant, client_secret_basic (or _post), the same redirect_uri, and the
  code_verifier whose S256 matches the challenge; a code is redeemed once (a replay answers invalid_grant).
  Answers {access_token, token_type, expires_in, id_token}; the ID token holds iss, sub, aud, exp, iat,
  auth_time, nonce, acr and the person's claims.

Control (loopback, no key), for the tests and for trying refusals by hand:
- GET /_control/persons; POST /_control/persons/<id> {"acr": ..., "groups": [...], "active": bool} (a
  person removed from the directory, `active: false`, can no longer log in: /authorize answers
  access_denied to the redirect URI).
- POST /_control/rotate {"drop_previous": bool}: a new signing key (a new kid).
- POST /_control/next-token {"foreign_key": bool, "expired": bool, "nonce": str}: the next ID token issued is
  signed by a key not in the JWKS, or already expired, or carries another nonce (once).
In-process: the same as methods (`set_person`, `rotate`, `tamper_next`, `authorize_url_code`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CODE_SECONDS = 60
ID_TOKEN_SECONDS = 300
MAX_BODY_BYTES = 16 * 1024
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")  # lowest first (the deployed provider's own names may differ)


@dataclass(frozen=True)
class DemoPerson:
    person_id: str  # the `sub` claim
    label: str
    given_name: str | None = None
    family_name: str | None = None
    birth_date: str | None = None
    email: str | None = None
    groups: tuple[str, ...] = ()
    acr: str = "eidas2"
    active: bool = True  # False: removed from the directory

    def claims(self) -> dict[str, Any]:
        found: dict[str, Any] = {"sub": self.person_id, "acr": self.acr}
        for name, value in (
            ("given_name", self.given_name),
            ("family_name", self.family_name),
            ("birthdate", self.birth_date),
            ("email", self.email),
        ):
            if value:
                found[name] = value
        if self.groups:
            found["groups"] = list(self.groups)
        return found


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    person_id: str
    nonce: str
    challenge: str
    expires_at: float
    used: bool = False


@dataclass
class _Tamper:
    foreign_key: bool = False
    expired: bool = False
    nonce: str | None = None


@dataclass
class _State:
    persons: dict[str, DemoPerson]
    clients: dict[str, Client] = field(default_factory=dict)
    keys: list[RSAKey] = field(default_factory=list)  # newest last: it signs
    codes: dict[str, _Code] = field(default_factory=dict)
    tamper: _Tamper | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"})


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OidcProvider:
    def __init__(self, persons: list[DemoPerson] | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self.state = _State(persons={p.person_id: p for p in persons or []}, keys=[_new_key()])
        self._server = _ProviderServer((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="oidc-provider", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def start(self) -> OidcProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # Set-up and control ---------------------------------------------------------------------------
    def register_client(self, client_id: str, redirect_uris: list[str], client_secret: str | None = None) -> Client:
        client = Client(client_id, client_secret or secrets.token_urlsafe(32), tuple(redirect_uris))
        with self.state.lock:
            self.state.clients[client_id] = client
        return client

    def add_person(self, person: DemoPerson) -> None:
        with self.state.lock:
            self.state.persons[person.person_id] = person

    def persons(self) -> list[DemoPerson]:
        with self.state.lock:
            return list(self.state.persons.values())

    def set_person(self, person_id: str, **changes: Any) -> DemoPerson:
        with self.state.lock:
            person = self.state.persons[person_id]
            if "groups" in changes:
                changes["groups"] = tuple(changes["groups"])
            updated = replace(person, **changes)
            self.state.persons[person_id] = updated
            return updated

    def rotate(self, drop_previous: bool = False) -> str:
        key = _new_key()
        with self.state.lock:
            self.state.keys = ([] if drop_previous else self.state.keys[-1:]) + [key]
        return str(key.kid)

    def tamper_next(self, foreign_key: bool = False, expired: bool = False, nonce: str | None = None) -> None:
        with self.state.lock:
            self.state.tamper = _Tamper(foreign_key, expired, nonce)

    def jwks(self) -> dict[str, Any]:
        with self.state.lock:
            return {"keys": [k.as_dict(private=False) for k in self.state.keys]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "acr_values_supported": list(ACR_LEVELS),
            "claims_supported": ["sub", "acr", "given_name", "family_name", "birthdate", "email", "groups"],
            "scopes_supported": ["openid", "profile", "email", "groups"],
        }

    # The flow ------------------------------------------------------------------------------------
    def check_authorization(self, query: dict[str, str]) -> str | None:
        """The problem with an authorization request (None: valid). Unknown clients and redirect URIs are
        answered here, never redirected (RFC 6749 4.1.2.1)."""
        client = self.state.clients.get(query.get("client_id", ""))
        if client is None or query.get("redirect_uri") not in client.redirect_uris:
            return "unknown client or redirect_uri"
        if query.get("response_type") != "code":
            return "response_type must be code"
        if "openid" not in query.get("scope", "").split():
            return "scope must include openid"
        if not query.get("state") or not query.get("nonce"):
            return "state and nonce are required"
        if query.get("code_challenge_method") != "S256" or len(query.get("code_challenge", "")) < 43:
            return "a PKCE S256 code_challenge is required"
        return None

    def approve(self, query: dict[str, str], person_id: str) -> str:
        """The redirect after the person's approval: redirect_uri with a code (or an error) and the state."""
        person = self.state.persons.get(person_id)
        redirect = query["redirect_uri"]
        sep = "&" if urlsplit(redirect).query else "?"
        if person is None or not person.active:
            return redirect + sep + urlencode({"error": "access_denied", "state": query["state"]})
        code = secrets.token_urlsafe(32)
        with self.state.lock:
            self.state.codes[code] = _Code(
                client_id=query["client_id"],
                redirect_uri=redirect,
                person_id=person_id,
                nonce=query["nonce"],
                challenge=query["code_challenge"],
                expires_at=time.time() + CODE_SECONDS,
            )
        return redirect + sep + urlencode({"code": code, "state": query["state"]})

    def redeem(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                return 401, {"error": "invalid_client"}
            client_id, _, secret = decoded.partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        client = self.state.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self.state.lock:
            code = self.state.codes.get(form.get("code", ""))
            if code is None or code.used or code.expires_at < time.time() or code.client_id != client_id:
                return 400, {"error": "invalid_grant", "error_description": "unknown, used or expired code"}
            code.used = True  # once, whatever follows
            tamper, self.state.tamper = self.state.tamper, None
            signing = self.state.keys[-1]
            person = self.state.persons.get(code.person_id)
        if code.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if not secrets.compare_digest(s256(form.get("code_verifier", "")), code.challenge):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        if person is None or not person.active:
            return 400, {"error": "invalid_grant", "error_description": "person not active"}
        now = int(time.time())
        tamper = tamper or _Tamper()
        claims = person.claims() | {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now - (2 * ID_TOKEN_SECONDS if tamper.expired else 0),
            "exp": now + (-ID_TOKEN_SECONDS if tamper.expired else ID_TOKEN_SECONDS),
            "auth_time": now,
            "nonce": tamper.nonce if tamper.nonce is not None else code.nonce,
        }
        key = _new_key() if tamper.foreign_key else signing
        id_token = jwt.encode({"alg": "RS256", "kid": str(key.kid), "typ": "JWT"}, claims, key)
        return 200, {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": ID_TOKEN_SECONDS,
            "id_token": id_token,
        }

    def authorize_url_code(self, authorization_url: str, person_id: str) -> str:
        """In-process browser: the redirect the provider answers when `person_id` approves (tests)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        problem = self.check_authorization(query)
        if problem:
            raise ValueError(problem)
        return self.approve(query, person_id)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - local identity provider</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}}
.note{{color:#666;font-size:.9rem}}button{{display:block;width:100%;text-align:left;font-size:1rem;padding:.6rem 1rem;
margin:.4rem 0;cursor:pointer;background:#fff;border:1px solid #888;border-radius:.3rem}}</style></head>
<body><p class="note">Selfcare local stack: OpenID Connect provider simulator. No real identity.</p>
<h1>Choose who signs in</h1>{content}</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server: _ProviderServer

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: the local stack prints its own lines

    def _answer(self, status: int, content_type: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, status: int, body: Any) -> None:
        self._answer(status, "application/json", json.dumps(body).encode())

    def _redirect(self, location: str) -> None:
        self._answer(302, "text/plain", b"", {"Location": location})

    def _form(self) -> dict[str, str] | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return None
        raw = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            try:
                body = json.loads(raw or "{}")
            except ValueError:
                return None
            return body if isinstance(body, dict) else None
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:
        provider = self.server.provider
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            self._json(200, provider.discovery())
        elif url.path == "/jwks":
            self._json(200, provider.jwks())
        elif url.path == "/authorize":
            self._authorize_page(query)
        elif url.path == "/_control/persons":
            self._json(200, [asdict(p) for p in provider.persons()])
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        provider = self.server.provider
        path = urlsplit(self.path).path
        form = self._form()
        if form is None:
            self._json(400, {"error": "invalid_request"})
        elif path == "/token":
            status, body = provider.redeem({k: str(v) for k, v in form.items()}, self.headers.get("Authorization"))
            self._json(status, body)
        elif path == "/authorize":
            problem = provider.check_authorization(form)
            if problem:
                self._json(400, {"error": "invalid_request", "error_description": problem})
            else:
                self._redirect(provider.approve(form, form.get("demo_person", "")))
        elif path == "/_control/rotate":
            self._json(200, {"kid": provider.rotate(bool(form.get("drop_previous")))})
        elif path == "/_control/next-token":
            provider.tamper_next(bool(form.get("foreign_key")), bool(form.get("expired")), form.get("nonce"))
            self._json(200, {"armed": True})
        elif path.startswith("/_control/persons/"):
            person_id = path.removeprefix("/_control/persons/")
            allowed = {k: v for k, v in form.items() if k in ("acr", "groups", "active")}
            try:
                self._json(200, asdict(provider.set_person(person_id, **allowed)))
            except KeyError:
                self._json(404, {"error": "not_found"})
        else:
            self._json(404, {"error": "not_found"})

    def _authorize_page(self, query: dict[str, str]) -> None:
        provider = self.server.provider
        problem = provider.check_authorization(query)
        if problem:
            self._json(400, {"error": "invalid_request", "error_description": problem})
            return
        if query.get("auto_approve") == "true":
            self._redirect(provider.approve(query, query.get("demo_person", "")))
            return
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
            if k
            in (
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method",
                "acr_values",
            )
        )
        buttons = "".join(
            f'<button name="demo_person" value="{html.escape(p.person_id)}">{html.escape(p.label)}'
            f" <small>(acr {html.escape(p.acr)}{', left the directory' if not p.active else ''})</small></button>"
            for p in provider.persons()
        )
        content = f'<form method="post" action="/authorize">{hidden}{buttons}</form>'
        self._answer(200, "text/html; charset=utf-8", _PAGE.format(content=content).encode())


class _ProviderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], provider: OidcProvider) -> None:
        super().__init__(address, _Handler)
        self.provider = provider
