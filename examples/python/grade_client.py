#!/usr/bin/env python3
# Grade a python-requests client with a run: the pattern for a client's own test suite.
#
# 1. POST /runs {"script": "rate-limited"} opens a run: its first request to a protected
#    resource answers 429 rate_limited with Retry-After: 2.
# 2. The client under test uses the run's base URL (http://.../runs/<id>) instead of the
#    server's, with only the host changed; every request is recorded.
# 3. GET <report_url> judges the client; a test asserts report["findings"] == [].
#
# Two clients meet the same script:
#   - correct: on 429 or 503, waits the Retry-After seconds, then retries (at most twice);
#   - buggy: on 429, retries at once, three times.
# The correct one's report must pass; the buggy one's must name retry_after_ignored.
#
# Exits 0 when both reports say what they should, 1 otherwise, 2 when no server answers.
# Requires requests (Debian: python3-requests). The host is $FOUR_OH_ONE_URL, default
# http://127.0.0.1:3000. Run: npm start (in another terminal), then
# python3 examples/python/grade_client.py
import os
import sys
import time

import requests

SERVER = os.environ.get("FOUR_OH_ONE_URL", "http://127.0.0.1:3000").rstrip("/")
TIMEOUT = 10  # seconds, for every request
CREDENTIALS = {"api_key": "YOUR_VALID_API_KEY", "api_secret": "YOUR_VALID_API_SECRET"}


def get_token(base_url):
    response = requests.post(f"{base_url}/auth/token", json=CREDENTIALS, timeout=TIMEOUT)
    print(f"  POST /auth/token -> {response.status_code}")
    response.raise_for_status()
    return response.json()["access_token"]


def get_data(base_url, token):
    response = requests.get(
        f"{base_url}/api/v1/data", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    code = response.json().get("code", "") if response.status_code >= 400 else ""
    print(f"  GET /api/v1/data -> {response.status_code} {code}".rstrip())
    return response


def correct_client(base_url):
    """Honours Retry-After on 429 and 503 (RFC 9110 §10.2.3), at most two retries."""
    token = get_token(base_url)
    response = get_data(base_url, token)
    for _ in range(2):
        if response.status_code not in (429, 503):
            break
        wait = int(response.headers.get("Retry-After", "1"))
        print(f"  waiting {wait} s, as Retry-After says")
        time.sleep(wait)
        response = get_data(base_url, token)
    return response.status_code


def buggy_client(base_url):
    """Retries a 429 at once: the server asked for two seconds of quiet."""
    token = get_token(base_url)
    response = get_data(base_url, token)
    for _ in range(3):
        if response.status_code != 429:
            break
        response = get_data(base_url, token)
    return response.status_code


def grade(name, client):
    opened = requests.post(f"{SERVER}/runs", json={"script": "rate-limited"}, timeout=TIMEOUT)
    if opened.status_code != 201:
        raise RuntimeError(f"POST /runs answered {opened.status_code} {opened.text[:200]}")
    run = opened.json()
    print(f"{name} client, run {run['id']} (script rate-limited):")
    status = client(run["base_url"])
    report = requests.get(
        run["report_url"], headers={"Accept": "application/json"}, timeout=TIMEOUT
    ).json()
    rules = [finding["rule"] for finding in report["findings"]]
    print(f"  last answer {status}; findings: {', '.join(rules) or 'none'}")
    for finding in report["findings"]:
        evidence = ", ".join(str(n) for n in finding["evidence"])
        print(f"    {finding['severity']} {finding['rule']} (requests {evidence}): {finding['fix']}")
    for note in report["observations"]:
        print(f"    noted: {note['summary']}")
    return rules, status


def main():
    correct_rules, correct_status = grade("correct", correct_client)
    buggy_rules, _ = grade("buggy", buggy_client)
    ok = correct_rules == [] and correct_status == 200 and "retry_after_ignored" in buggy_rules
    if ok:
        print("OK: the correct client passed; the buggy one was caught ignoring Retry-After")
        return 0
    print("FAILED: the reports did not say what they should")
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (requests.ConnectionError, requests.Timeout) as err:
        print(f"FAILED: {err} (is the server up at {SERVER}?)")
        sys.exit(2)
