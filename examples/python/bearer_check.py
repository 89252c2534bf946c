#!/usr/bin/env python3
# The second article's section 1 ("一、请求头与身份认证"), runnable against four-oh-one.
#
# The article's code, as published:
#
#     import requests
#
#     response = requests.get(url="http://example.com/api/v1/data", headers={"Authorization": "Bearer eyJhbGciOi…"})
#
#     if response.status_code == 401:
#       print("Invalid or missing auth token")
#
# What was changed, and why:
#   - url="http://example.com/api/v1/data"  ->  url=f"{BASE_URL}/api/v1/data"
#     The host only. BASE_URL is $FOUR_OH_ONE_URL, default http://127.0.0.1:3000 (`npm start`).
#   - timeout=TIMEOUT added to the request, so that the example cannot hang on a dead server.
#   - The code sits in main(), which returns an exit status: 0 when the server answered 401 as
#     the article expects (and part 2 got its 200), 1 otherwise.
#   - The token is the article's, byte for byte: jwt.io's sample (HS256, "John Doe"). It is a
#     well-formed JWT signed with a key this server does not have, so the answer is 401
#     token_signature_invalid with `WWW-Authenticate: Bearer ..., error="invalid_token"`.
#
# Added after the article's lines (not in the article):
#   - the server's explanation of the 401: WWW-Authenticate and the problem+json `code`/`detail`;
#   - part 2: the same request with a token from POST /auth/token (the first article's JSON
#     {"api_key", "api_secret"} with its placeholder credentials, this server's demo ones),
#     printing the 200 data.
#
# Run: npm start (in another terminal), then python3 examples/python/bearer_check.py
import json
import os
import sys

import requests

BASE_URL = os.environ.get("FOUR_OH_ONE_URL", "http://127.0.0.1:3000").rstrip("/")
TIMEOUT = 10  # seconds, for every request


def main():
    print(f"== Part 1: the article's request to {BASE_URL}/api/v1/data with jwt.io's sample token")

    # --- the article's code (host changed, timeout added) ---
    response = requests.get(url=f"{BASE_URL}/api/v1/data", headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"}, timeout=TIMEOUT)

    if response.status_code == 401:
      print("Invalid or missing auth token")
    # --- end of the article's code ---

    print(f"status: {response.status_code}")
    print(f"WWW-Authenticate: {response.headers.get('WWW-Authenticate')}")
    saw_401 = response.status_code == 401
    if response.headers.get("Content-Type", "").startswith("application/problem+json"):
        problem = response.json()
        print(f"code: {problem.get('code')}")
        print(f"detail: {problem.get('detail')}")
        print(f"request_id: {problem.get('request_id')}")
    if not saw_401:
        print(f"FAILED: expected 401 as the article says, got {response.status_code}")
        return 1

    print()
    print("== Part 2: the same request with a token from POST /auth/token")
    token_response = requests.post(
        f"{BASE_URL}/auth/token",
        json={"api_key": "YOUR_VALID_API_KEY", "api_secret": "YOUR_VALID_API_SECRET"},
        timeout=TIMEOUT,
    )
    print(f"POST /auth/token: {token_response.status_code}")
    if token_response.status_code != 200:
        print(f"FAILED: could not get a token: {token_response.text}")
        return 1
    token = token_response.json()["access_token"]

    response = requests.get(url=f"{BASE_URL}/api/v1/data", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)

    print(f"status: {response.status_code}")
    if response.status_code != 200:
        print(f"FAILED: expected 200 with a token this server issued: {response.text}")
        return 1
    print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except requests.exceptions.ConnectionError as err:
        print(f"Cannot reach {BASE_URL} ({err.__class__.__name__}): start the server with "
              "`npm start`, or set FOUR_OH_ONE_URL.", file=sys.stderr)
        sys.exit(2)
