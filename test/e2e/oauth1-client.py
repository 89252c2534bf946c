"""requests-oauthlib (Debian's python3-requests-oauthlib) against /oauth1/resource.

Signs with the published demo credentials: HMAC-SHA1 in the header, in the body and in the query,
HMAC-SHA256, RSA-SHA1 with examples/oauth1/rsa-demo-private-key.pem, a request sent twice, and a
wrong secret; then the three legs (RFC 5849 §2) with OAuth1Session: temporary credentials, the
resource owner's approval on the page (oob and a loopback callback), the token request, and the
resource with the issued token. Prints what each request answered, as JSON, for test/e2e/oauth1-client.test.ts.
"""
import json
import os
import re
import sys

import requests
from oauthlib.oauth1 import SIGNATURE_TYPE_BODY, SIGNATURE_TYPE_QUERY
from requests_oauthlib import OAuth1, OAuth1Session

BASE = os.environ["FOUR_OH_ONE_URL"]
URL = BASE + "/oauth1/resource"
KEY, SECRET = "four-oh-one-consumer", "four-oh-one-consumer-secret"
TOKEN, TOKEN_SECRET = "four-oh-one-token", "four-oh-one-token-secret"
RSA_KEY = open(sys.argv[1]).read()


def answer(res):
    body = res.json()
    return {
        "status": res.status_code,
        "code": body.get("code"),
        "www_authenticate": res.headers.get("WWW-Authenticate"),
        "transmission": body.get("transmission"),
        "signature_method": body.get("signature_method"),
        "token": body.get("token", "absent"),
    }


def auth(**kw):
    kw.setdefault("resource_owner_key", TOKEN)
    kw.setdefault("resource_owner_secret", TOKEN_SECRET)
    kw.setdefault("client_secret", SECRET)
    return OAuth1(KEY, **kw)


seen = {}
params = {"file": "vacation.jpg", "note": "Hello Ladies + Gentlemen, a signed OAuth request!~*"}
seen["hmac_sha1_header"] = answer(requests.get(URL, params=params, auth=auth()))
seen["hmac_sha256"] = answer(requests.get(URL, params=params, auth=auth(signature_method="HMAC-SHA256")))
seen["rsa_sha1"] = answer(
    requests.get(URL, params=params, auth=auth(signature_method="RSA-SHA1", rsa_key=RSA_KEY, client_secret=None))
)
seen["form_body"] = answer(
    requests.post(URL, data={"status": "Hello Ladies + Gentlemen!"}, auth=auth())
)
seen["in_body"] = answer(
    requests.post(URL, data={"status": "in the body"}, auth=auth(signature_type=SIGNATURE_TYPE_BODY))
)
seen["in_query"] = answer(requests.get(URL, params=params, auth=auth(signature_type=SIGNATURE_TYPE_QUERY)))
seen["two_legged"] = answer(
    requests.get(URL, auth=OAuth1(KEY, client_secret=SECRET))
)
# The very same signed request, twice: requests-oauthlib signs once per prepared request.
prepared = requests.Request("GET", URL, auth=auth()).prepare()
with requests.Session() as s:
    seen["first"] = answer(s.send(prepared))
    seen["replayed"] = answer(s.send(prepared))
seen["wrong_secret"] = answer(requests.get(URL, auth=auth(resource_owner_secret="not-the-secret")))
seen["revoked"] = answer(
    requests.get(
        URL,
        auth=auth(resource_owner_key="four-oh-one-revoked-token", resource_owner_secret="four-oh-one-revoked-token-secret"),
    )
)


def approve(temp_token, follow):
    """The resource owner's approval on the page, as a browser posts the form."""
    page = requests.get(BASE + "/oauth1/authorize", params={"oauth_token": temp_token})
    assert page.status_code == 200, page.text
    return requests.post(
        BASE + "/oauth1/authorize",
        data={"oauth_token": temp_token, "username": os.environ["DEMO_USER"],
              "password": os.environ["DEMO_PASSWORD"], "action": "approve"},
        allow_redirects=follow,
    )


def three_legged(callback):
    client = OAuth1Session(KEY, client_secret=SECRET, callback_uri=callback)
    temp = client.fetch_request_token(BASE + "/oauth1/request_token")
    answer_page = approve(temp["oauth_token"], follow=False)
    if callback == "oob":
        verifier = re.search(r'class="oauth1-verifier">([A-Za-z0-9_-]+)<', answer_page.text).group(1)
        client = OAuth1Session(KEY, client_secret=SECRET, resource_owner_key=temp["oauth_token"],
                               resource_owner_secret=temp["oauth_token_secret"], verifier=verifier)
    else:
        client.parse_authorization_response(answer_page.headers["Location"])
    issued = client.fetch_access_token(BASE + "/oauth1/access_token")
    res = client.get(URL)
    body = res.json()
    return {
        "temporary": temp["oauth_token"][:4],
        "confirmed": temp.get("oauth_callback_confirmed"),
        "approval_status": answer_page.status_code,
        "issued": issued["oauth_token"][:4],
        "status": res.status_code,
        "user": body.get("user"),
        "token_matches": body.get("token") == issued["oauth_token"],
    }


seen["three_legged_oob"] = three_legged("oob")
seen["three_legged_callback"] = three_legged("http://127.0.0.1:9/callback")
# The classic bug: the temporary credentials used at the resource without the exchange.
early = OAuth1Session(KEY, client_secret=SECRET, callback_uri="oob")
temp = early.fetch_request_token(BASE + "/oauth1/request_token")
seen["temporary_as_token"] = answer(requests.get(URL, auth=auth(
    resource_owner_key=temp["oauth_token"], resource_owner_secret=temp["oauth_token_secret"])))
print(json.dumps(seen))
