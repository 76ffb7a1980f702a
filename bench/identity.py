"""DynamoDB calls per request for identity (issue 8): the CAPTCHA challenge and the activation's two steps.

Same form as bench/account.py's rows. The local stack's customer to activate (infra/local/seed.py TO_ACTIVATE)
activates with its account number; the CAPTCHA is solved for real with a low cost (the count of calls does not
depend on it). Step 1: the record by the account-number index (Query), the credential (GetItem), the code (Put;
a second write only when the window already holds codes); the CAPTCHA's replay item is one more Put, before.
Step 2: the code (GetItem), the record and its lines (Query), one transaction.
"""

from __future__ import annotations

from typing import Any

from bench.world import Recorder, local_stack


def solved_captcha(gateway: Any) -> str:
    """A CAPTCHA of the auth handler, at a low cost (the count of calls does not depend on it), solved."""
    import altcha
    from selfcare.auth.captcha import CaptchaPolicy

    captcha = gateway.handlers["auth"].service.activation.captcha
    captcha.policy = CaptchaPolicy(cost=50)
    challenge = altcha.Challenge.from_dict(captcha.challenge())
    solution = altcha.solve_challenge(challenge)
    return str(altcha.Payload(challenge=challenge, solution=solution).to_base64())


def rows() -> list[tuple[str, int, int, str]]:
    import altcha
    from selfcare.auth.captcha import CaptchaPolicy

    from tests.fakes import InMemoryNotifier

    with local_stack() as (gateway, world, _):
        service = gateway.handlers["auth"].service
        service.activation.captcha.policy = CaptchaPolicy(cost=50)
        mail = InMemoryNotifier()
        service.context.notifier = mail
        recorder = Recorder(gateway)
        call = recorder.call
        challenge = altcha.Challenge.from_dict(call("GET /auth/captcha", "GET", "/auth/captcha", None, 200, "0", {}))
        solution = altcha.solve_challenge(challenge)
        payload = altcha.Payload(challenge=challenge, solution=solution).to_base64()
        account_number = world.to_activate[0]
        call("POST /auth/activation", "POST", "/auth/activation", {"identifier": account_number, "captcha": payload},
             202, "<= 3 (+1 CAPTCHA replay put): record, credential, code", {})  # fmt: skip
        code = mail.sent[-1].body.split("Your activation code: ")[1].split()[0]
        confirm = {"identifier": account_number, "code": code, "password": "Harbour-Lantern-Quarry-73"}
        call("POST /auth/activation/confirm", "POST", "/auth/activation/confirm", confirm, 200,
             "<= 3: code, record + lines, transaction", {})  # fmt: skip
        # The login CAPTCHA after repeated failures: the counters ride in the reads and writes a login already
        # makes; a solved CAPTCHA adds its replay put.
        wrong = {"identifier": "bench-nobody", "password": "not-the-password-1"}
        call("POST /auth/login (wrong password)", "POST", "/auth/login", wrong, 401,
             "3: lookup (+ counters), credential, transaction", {})  # fmt: skip
        for _ in range(2):
            call("(third failure)", "POST", "/auth/login", wrong, 401, "", {})
        recorder.rows = recorder.rows[:-2]
        jeanne = world.customers[0]
        right = {"identifier": jeanne.login_id, "password": jeanne.password}
        call("POST /auth/login (after 3 failures: 400 captcha_required)", "POST", "/auth/login", right, 400,
             "2: lookup, log entry", {})  # fmt: skip
        captcha = altcha.Challenge.from_dict(call("(challenge)", "GET", "/auth/captcha", None, 200, "", {}))
        recorder.rows.pop()
        solved = altcha.Payload(challenge=captcha, solution=altcha.solve_challenge(captcha)).to_base64()
        call("POST /auth/login (after 3 failures, CAPTCHA solved)", "POST", "/auth/login", right | {"captcha": solved},
             200, "4: lookup, CAPTCHA replay put, credential, transaction", {})  # fmt: skip
        return recorder.rows
