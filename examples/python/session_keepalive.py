#!/usr/bin/env python3
# The second article's section 2 ("二、会话超时"), runnable against four-oh-one: log in with a
# form, keep the cookie session alive with a POST /keepalive "heartbeat", log in again on 401.
#
# The article's code, as published:
#
#     import requests
#
#     session = requests.Session()
#     login_data = {"username": "my_username", "password": "my_password"}
#     session.post(url="http://example.com/login", data=login_data)
#
#     while True:
#         response = session.post(url="http://example.com/keepalive")
#
#         if response.status_code == 401:
#             print("Session expired, logging in again...")
#             session.post("http://example.com/login", data=login_data)
#
# What was changed, and why:
#   - "http://example.com/login", "http://example.com/keepalive"  ->  f"{BASE_URL}/login",
#     f"{BASE_URL}/keepalive". The host only. BASE_URL is $FOUR_OH_ONE_URL, default
#     http://127.0.0.1:3000 (`npm start`). The credentials stay the article's, my_username /
#     my_password: this server's demo user.
#   - login_data["idle_seconds"] = 3 added after the article's login_data line: this server's
#     optional login field that shortens the idle timeout (default 900 s) to 3 s, so that expiry
#     can be watched in seconds. Both logins send it, as both send login_data.
#   - timeout=TIMEOUT added to the three session.post(...) calls, so nothing can hang.
#   - while True:  ->  for heartbeat in range(HEARTBEATS):  (8 heartbeats, then stop), with a
#     pause() added at the end of the loop body: 1 s between heartbeats, which keeps a 3-second
#     session alive with 2 s to spare on a busy machine, except once, after the 3rd heartbeat,
#     4.5 s, longer than the idle timeout.
#     The 4th heartbeat is then refused with 401 session_idle_expired, the article's branch prints
#     "Session expired, logging in again..." and logs in again, and heartbeats 5-8 get 200 again.
#     About 12 s in all. (The article's loop sends heartbeats as fast as it can, forever; a real
#     client would pause for a fraction of the idle timeout, as this one does.)
#   - session.hooks["response"] gets trace() (below), which prints and records every answer:
#     each heartbeat's status, and on 401 the problem `code`, WWW-Authenticate and the cookie
#     being cleared; at login the Set-Cookie attributes (HttpOnly, SameSite=Lax, Path=/; the
#     session id itself is not printed). That is how each step is shown and checked without
#     editing the article's lines.
#   - The code sits in main(), which returns an exit status: 0 when both logins got 200 and the
#     heartbeats were 200s, then exactly one 401 session_idle_expired (right after the long
#     pause), then 200s after the new login; 1 otherwise (with a FAILED: line); 2 when the server
#     cannot be reached.
#
# Run: npm start (in another terminal), then python3 examples/python/session_keepalive.py
import os
import sys
import time

import requests

BASE_URL = os.environ.get("FOUR_OH_ONE_URL", "http://127.0.0.1:3000").rstrip("/")
TIMEOUT = 10  # seconds, for every request
IDLE_SECONDS = 3  # the idle timeout asked for at login
HEARTBEATS = 8  # instead of while True
PAUSE = 1.0  # seconds between heartbeats: well inside the idle timeout
LONG_PAUSE = 4.5  # once, after LONG_PAUSE_AFTER heartbeats: past the idle timeout
LONG_PAUSE_AFTER = 3

answers = []  # (path, status, problem code or None) for every answer, in order


def cookie_attributes(set_cookie):
    """The Set-Cookie header with the session id itself left out."""
    name_value, _, attributes = set_cookie.partition(";")
    name, _, value = name_value.partition("=")
    shown = f"{name}=<session id>" if value else f"{name}="
    return f"{shown};{attributes}" if attributes else shown


def trace(response, *args, **kwargs):
    """A requests response hook: print and record every answer the article's loop gets."""
    path = response.url[len(BASE_URL):] if response.url.startswith(BASE_URL) else response.url
    code = None
    body = {}
    try:
        body = response.json()
    except ValueError:
        pass
    if not isinstance(body, dict):
        body = {}
    if response.status_code >= 400:
        code = body.get("code")
    answers.append((path, response.status_code, code))

    if path == "/keepalive":
        number = sum(1 for p, _, _ in answers if p == "/keepalive")
        line = f"heartbeat {number}: POST /keepalive -> {response.status_code}"
        if response.status_code == 200:
            line += f" (idle_expires_at {body.get('idle_expires_at')})"
        print(line)
    else:
        print(f"POST {path} -> {response.status_code} {body.get('message', '')}".rstrip())
    if code is not None:
        print(f"  code: {code}")
        print(f"  detail: {body.get('detail')}")
        print(f"  WWW-Authenticate: {response.headers.get('WWW-Authenticate')}")
    # The cookie as set at login, and as cleared with a 401. (Every 200 heartbeat sends it again
    # too, with the same session id and an Expires moved on; that is not printed.)
    set_cookie = response.headers.get("Set-Cookie")
    if set_cookie and (path == "/login" or response.status_code == 401):
        print(f"  Set-Cookie: {cookie_attributes(set_cookie)}")


def pause(heartbeat):
    """Added at the end of the article's loop body: how long until the next heartbeat."""
    if heartbeat == HEARTBEATS - 1:
        return
    if heartbeat == LONG_PAUSE_AFTER - 1:
        print(f"  sleeping {LONG_PAUSE} s, longer than the {IDLE_SECONDS} s idle timeout ...")
        time.sleep(LONG_PAUSE)
    else:
        time.sleep(PAUSE)


def main():
    print(f"== The article's keepalive loop against {BASE_URL}, idle timeout {IDLE_SECONDS} s, "
          f"{HEARTBEATS} heartbeats")
    began = time.monotonic()

    # --- the article's code (host changed, idle_seconds, timeouts, a bounded loop, pauses) ---
    session = requests.Session()
    session.hooks["response"].append(trace)  # added: print and record every answer
    login_data = {"username": "my_username", "password": "my_password"}
    login_data["idle_seconds"] = IDLE_SECONDS  # added: this server's shorter idle timeout
    session.post(url=f"{BASE_URL}/login", data=login_data, timeout=TIMEOUT)

    for heartbeat in range(HEARTBEATS):  # was: while True:
        response = session.post(url=f"{BASE_URL}/keepalive", timeout=TIMEOUT)

        if response.status_code == 401:
            print("Session expired, logging in again...")
            session.post(f"{BASE_URL}/login", data=login_data, timeout=TIMEOUT)

        pause(heartbeat)  # added
    # --- end of the article's code ---

    print()
    print(f"took {time.monotonic() - began:.1f} s")
    heartbeats = [(status, code) for path, status, code in answers if path == "/keepalive"]
    logins = [status for path, status, _ in answers if path == "/login"]
    print("heartbeats: " + " ".join(
        str(status) + (f" {code}" if code else "") for status, code in heartbeats))

    expected = ([(200, None)] * LONG_PAUSE_AFTER + [(401, "session_idle_expired")]
                + [(200, None)] * (HEARTBEATS - LONG_PAUSE_AFTER - 1))
    failures = []
    if logins != [200, 200]:
        failures.append(f"the logins answered {logins}, expected [200, 200] (one at the start, "
                        "one after the 401)")
    if heartbeats != expected:
        failures.append(f"the heartbeats were {heartbeats}, expected {expected}")
    if failures:
        for failure in failures:
            print(f"FAILED: {failure}")
        return 1
    print("flow: 200s -> idle too long -> 401 session_idle_expired -> login again -> 200s, "
          "as the article says")
    print("OK")
    return 0


if __name__ == "__main__":
    try:
        status = main()
    except requests.exceptions.ConnectionError as err:
        print(f"Cannot reach {BASE_URL} ({err.__class__.__name__}): start the server with "
              "`npm start`, or set FOUR_OH_ONE_URL.", file=sys.stderr)
        status = 2
    sys.exit(status)
