#!/usr/bin/env python3
# A DPoP client (RFC 9449) with requests, PyJWT and cryptography: no DPoP library needed.
#
# Not from the articles: a Bearer token, as in bearer_check.py, works for whoever holds it. A
# DPoP-bound token works only with a proof, signed per request by the key that asked for it.
# This client:
#   1. makes an EC P-256 key pair and prints its thumbprint (RFC 7638), the token's future cnf.jkt;
#   2. asks POST /auth/token for a token (the client_credentials grant, the demo API client) with a
#      DPoP proof, and `dpop_nonce=required`, so that the server first answers 400 use_dpop_nonce
#      with a DPoP-Nonce header and the client retries once with the nonce in a new proof;
#   3. gets token_type "DPoP" and checks that the token's cnf.jkt is its key's thumbprint;
#   4. calls GET /api/v1/data with `Authorization: DPoP <token>` and a proof carrying `ath`, then
#      GET /api/v1/dpop/nonce, where every proof must carry a server nonce;
#   5. shows the two refusals a thief meets: the same proof sent again (401 dpop_proof_replayed)
#      and the token sent as Bearer (401 token_sender_constrained).
#
# Every request goes through dpop_request(), which makes a new proof each time and answers a
# server's use_dpop_nonce once, as RFC 9449 §8 (token endpoint: 400) and §9 (resource: 401) say.
#
# Run: npm start (in another terminal), then python3 examples/python/dpop_client.py
import base64
import hashlib
import json
import os
import secrets
import sys
import time
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec

BASE_URL = os.environ.get("FOUR_OH_ONE_URL", "http://127.0.0.1:3000").rstrip("/")
TIMEOUT = 10  # seconds, for every request
API_KEY, API_SECRET = "YOUR_VALID_API_KEY", "YOUR_VALID_API_SECRET"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class DPoPKey:
    """An EC P-256 key pair, its public JWK and its thumbprint, and the proofs it signs."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.private_key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
        # RFC 7638: the required members in lexicographic order, no whitespace.
        canonical = json.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        self.thumbprint = b64url(hashlib.sha256(canonical.encode()).digest())
        self.nonces = {}  # the latest DPoP-Nonce each origin gave

    def proof(self, method, url, access_token=None):
        """A DPoP proof for one request (RFC 9449 §4.2): new jti, now, this URL without query."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        claims = {
            "jti": b64url(secrets.token_bytes(16)),
            "htm": method,
            "htu": f"{origin}{parts.path}",
            "iat": int(time.time()),
        }
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        if origin in self.nonces:
            claims["nonce"] = self.nonces[origin]
        # PyJWT writes ES256 as JOSE wants it: the 64 bytes r||s, not DER.
        return jwt.encode(claims, self.private_key, algorithm="ES256",
                          headers={"typ": "dpop+jwt", "jwk": self.jwk})


def nonce_asked_for(response):
    """The DPoP-Nonce of a refusal for want of one (400 at the token endpoint, 401 at a resource)."""
    nonce = response.headers.get("DPoP-Nonce")
    if not nonce:
        return None
    if response.status_code == 400:
        try:
            return nonce if response.json().get("error") == "use_dpop_nonce" else None
        except ValueError:
            return None
    if response.status_code == 401 and 'error="use_dpop_nonce"' in response.headers.get("WWW-Authenticate", ""):
        return nonce
    return None


def dpop_request(key, method, url, access_token=None, **kwargs):
    """Sends a request with a fresh proof; on use_dpop_nonce, once more with the nonce."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    for attempt in (1, 2):
        headers = {"DPoP": key.proof(method, url, access_token)}
        if access_token is not None:
            headers["Authorization"] = f"DPoP {access_token}"
        response = requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        response.proof = headers["DPoP"]
        print(f"{method} {urlsplit(url).path} -> {response.status_code} {code_of(response)}".rstrip())
        asked = nonce_asked_for(response)
        # RFC 9449 §8: the newest nonce a server sent goes into the next proof to it.
        if response.headers.get("DPoP-Nonce"):
            key.nonces[origin] = response.headers["DPoP-Nonce"]
        if asked is None or attempt == 2:
            return response
        print(f"  the server wants a nonce: DPoP-Nonce: {asked}; once more, with it in a new proof")
    return response


def code_of(response):
    """The refusal: the OAuth `error` with this server's `code` (token endpoint), or the problem's `code`."""
    if response.ok:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    error, code = body.get("error"), body.get("code")
    if error and code and code != error:
        return f"{error} (code {code})"
    return error or code or ""


def main():
    key = DPoPKey()
    print(f"key: EC P-256, thumbprint (RFC 7638) {key.thumbprint}")
    decoded = jwt.get_unverified_header(key.proof("GET", f"{BASE_URL}/x"))
    print(f"proof header: typ {decoded['typ']}, alg {decoded['alg']}, jwk members {sorted(decoded['jwk'])}")

    print("== A DPoP-bound token from POST /auth/token")
    token_response = dpop_request(
        key, "POST", f"{BASE_URL}/auth/token",
        data={"grant_type": "client_credentials", "dpop_nonce": "required"},
        auth=(API_KEY, API_SECRET),
    )
    if token_response.status_code != 200:
        print(f"FAILED: no token: {token_response.text}")
        return 1
    body = token_response.json()
    token = body["access_token"]
    print(f"token_type: {body['token_type']}")
    jkt = jwt.decode(token, options={"verify_signature": False}).get("cnf", {}).get("jkt")
    print(f"cnf.jkt: {jkt} ({'this key' if jkt == key.thumbprint else 'NOT this key'})")
    if body["token_type"] != "DPoP" or jkt != key.thumbprint:
        print("FAILED: the token is not bound to this key")
        return 1

    print("== The API with the token and a proof")
    data = dpop_request(key, "GET", f"{BASE_URL}/api/v1/data", access_token=token)
    if data.status_code != 200:
        print(f"FAILED: expected 200: {data.text}")
        return 1
    print(json.dumps(data.json(), indent=2, ensure_ascii=False))

    print("== Where every proof must carry a server nonce (RFC 9449 §9)")
    # The nonce the token endpoint gave is this server's: the proof carries it, so no 401 first.
    # A client that met this route first would get 401 use_dpop_nonce and retry once.
    guarded = dpop_request(key, "GET", f"{BASE_URL}/api/v1/dpop/nonce", access_token=token)
    if guarded.status_code != 200:
        print(f"FAILED: expected 200 with the nonce: {guarded.text}")
        return 1

    print("== What a thief who copied the request gets")
    replay = requests.get(f"{BASE_URL}/api/v1/data", timeout=TIMEOUT,
                          headers={"Authorization": f"DPoP {token}", "DPoP": data.proof})
    print(f"the same proof again: GET /api/v1/data -> {replay.status_code} {code_of(replay)}")
    as_bearer = requests.get(f"{BASE_URL}/api/v1/data", timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {token}"})
    print(f"the token as Bearer: GET /api/v1/data -> {as_bearer.status_code} {code_of(as_bearer)}")
    if (replay.status_code, code_of(replay)) != (401, "dpop_proof_replayed"):
        print("FAILED: the replayed proof was not refused as a replay")
        return 1
    if (as_bearer.status_code, code_of(as_bearer)) != (401, "token_sender_constrained"):
        print("FAILED: the bound token was not refused as Bearer")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except requests.exceptions.ConnectionError as err:
        print(f"Cannot reach {BASE_URL} ({err.__class__.__name__}): start the server with "
              "`npm start`, or set FOUR_OH_ONE_URL.", file=sys.stderr)
        sys.exit(2)
