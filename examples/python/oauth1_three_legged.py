#!/usr/bin/env python3
# OAuth 1.0a's three legs (RFC 5849 §2) with requests-oauthlib's OAuth1Session, against
# four-oh-one with only the host changed:
#
# 1. POST /oauth1/request_token, signed with the client credentials and oauth_callback="oob":
#    temporary credentials (a request token), good for 10 minutes.
# 2. The resource owner opens /oauth1/authorize?oauth_token=… and approves; with "oob" the page
#    shows the verifier. Here the script posts the page's form itself, as the demo user.
# 3. POST /oauth1/access_token, signed with the temporary credentials and the verifier: token
#    credentials (an access token), good for a day in the sandbox.
# 4. GET /oauth1/resource signed with them.
#
# Prints the resource's answer. Exits 0 when it was served, 1 otherwise, 2 when no server
# answers. Requires requests and requests-oauthlib (Debian: python3-requests-oauthlib). The host
# is $FOUR_OH_ONE_URL, default http://127.0.0.1:3000; the demo user $DEMO_USERNAME /
# $DEMO_PASSWORD, default my_username / my_password.
import json
import os
import re
import sys

import requests
from requests_oauthlib import OAuth1Session

SERVER = os.environ.get("FOUR_OH_ONE_URL", "http://127.0.0.1:3000").rstrip("/")
CONSUMER = ("four-oh-one-consumer", "four-oh-one-consumer-secret")
USER = (os.environ.get("DEMO_USERNAME", "my_username"), os.environ.get("DEMO_PASSWORD", "my_password"))
TIMEOUT = 10  # seconds, for every request


def main():
    client = OAuth1Session(CONSUMER[0], client_secret=CONSUMER[1], callback_uri="oob")
    temporary = client.fetch_request_token(SERVER + "/oauth1/request_token", timeout=TIMEOUT)

    # What the resource owner does in a browser: sign in and allow.
    page = requests.post(
        SERVER + "/oauth1/authorize",
        data={"oauth_token": temporary["oauth_token"], "username": USER[0], "password": USER[1],
              "action": "approve"},
        timeout=TIMEOUT,
    )
    verifier = re.search(r'class="oauth1-verifier">([A-Za-z0-9_-]+)<', page.text)
    if page.status_code != 200 or verifier is None:
        print(f"the approval answered {page.status_code}", file=sys.stderr)
        return 1

    client = OAuth1Session(
        CONSUMER[0],
        client_secret=CONSUMER[1],
        resource_owner_key=temporary["oauth_token"],
        resource_owner_secret=temporary["oauth_token_secret"],
        verifier=verifier.group(1),
    )
    client.fetch_access_token(SERVER + "/oauth1/access_token", timeout=TIMEOUT)
    res = client.get(SERVER + "/oauth1/resource", timeout=TIMEOUT)
    body = res.json()
    body["token"] = body["token"][:4] + "…"  # issued anew each run
    print(json.dumps(body))
    return 0 if res.status_code == 200 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except requests.ConnectionError:
        print(f"no server answers at {SERVER}; start one with npm start", file=sys.stderr)
        sys.exit(2)
