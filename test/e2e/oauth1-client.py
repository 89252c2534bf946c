"""requests-oauthlib (Debian's python3-requests-oauthlib) against /oauth1/resource.

Signs with the published demo credentials: HMAC-SHA1 in the header, in the body and in the query,
HMAC-SHA256, RSA-SHA1 with examples/oauth1/rsa-demo-private-key.pem, a request sent twice, and a
wrong secret. Prints what each request answered, as JSON, for test/e2e/oauth1-client.test.ts.
"""
import json
import os
import sys

import requests
from oauthlib.oauth1 import SIGNATURE_TYPE_BODY, SIGNATURE_TYPE_QUERY
from requests_oauthlib import OAuth1

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
print(json.dumps(seen))
