#!/usr/bin/env python3
# The first article's fix for `Invalid Token (request id: …)`, runnable against four-oh-one:
# get_new_token() (方案一), check_token_validity() (方案二) and call_api_with_retry() (预防措施).
# The three functions are the article's, line for line, with its comments.
#
# What was changed, and why:
#   - auth_url = "https://api.example.com/auth/token"  ->  auth_url = f"{BASE_URL}/auth/token"
#     The host only. BASE_URL is $FOUR_OH_ONE_URL, default http://127.0.0.1:3000 (`npm start`).
#     The credentials stay the article's placeholders, "YOUR_VALID_API_KEY" and
#     "YOUR_VALID_API_SECRET": they are this server's demo credentials.
#   - timeout=TIMEOUT added to both requests.post(...) calls, so nothing can hang.
#   - get_new_token(expires_in=None): an optional parameter and two lines that send this server's
#     "expires_in" (1-3600 s), so that the expiry check can be watched in seconds. Called without
#     it, get_new_token() posts exactly the article's JSON.
#   - refresh_token(): the article calls it in call_api_with_retry() but never defines it. Here it
#     is what the article's text says to do: get a new token with get_new_token().
#   - The article's top-level lines (get a token, build headers, "使用新的headers重新发送请求")
#     and the calls that drive the functions sit in main(), which returns an exit status:
#     0 when the flow is 401 "Invalid Token" -> refresh_token() -> 200, and a 2-second token is
#     valid at once and expired 3 s later by check_token_validity(); 1 otherwise; 2 when the
#     server cannot be reached or stops answering (a request times out).
#   - requests.post is wrapped (traced_post below) to print and record every POST and its answer.
#     That is how each step is shown and checked without editing the article's functions.
#
# Requires requests and PyJWT (Debian: python3-requests python3-jwt; pip: requests PyJWT).
# Run: npm start (in another terminal), then python3 examples/python/token_refresh.py
import os
import sys
import time

import requests

import jwt  # 如果使用JWT令牌
import datetime

BASE_URL = os.environ.get("FOUR_OH_ONE_URL", "http://127.0.0.1:3000").rstrip("/")
TIMEOUT = 10  # seconds, for every request
CHAT_URL = f"{BASE_URL}/v1/chat/completions"
PAYLOAD = {"model": "four-oh-one-echo", "messages": [{"role": "user", "content": "Hello"}]}


# ---------------------------------------------------------------------------------------------
# 方案一:刷新或重新获取有效令牌 (the article's code; host changed, timeout and expires_in added)
# ---------------------------------------------------------------------------------------------

# 使用有效的凭据重新获取令牌
def get_new_token(expires_in=None):
    auth_url = f"{BASE_URL}/auth/token"
    credentials = {
        "api_key": "YOUR_VALID_API_KEY",
        "api_secret": "YOUR_VALID_API_SECRET"
    }
    if expires_in is not None:  # added: this server's short lifetimes
        credentials["expires_in"] = expires_in

    response = requests.post(auth_url, json=credentials, timeout=TIMEOUT)
    if response.status_code == 200:
        new_token = response.json().get("access_token")
        # 更新您的配置或环境变量
        return new_token
    else:
        raise Exception(f"获取新令牌失败: {response.text}")


# ---------------------------------------------------------------------------------------------
# 方案二:检查现有令牌的有效性 (the article's code, unchanged)
# ---------------------------------------------------------------------------------------------

# 检查令牌是否过期
def check_token_validity(token):
    try:
        # 解码令牌(不验证签名,只查看过期时间)
        decoded = jwt.decode(token, options={"verify_signature": False})
        exp_timestamp = decoded.get("exp")

        if exp_timestamp:
            exp_time = datetime.datetime.fromtimestamp(exp_timestamp)
            current_time = datetime.datetime.now()

            if current_time > exp_time:
                return False, "令牌已过期"
            else:
                return True, f"令牌有效,过期时间: {exp_time}"
        else:
            return True, "令牌无过期时间"
    except Exception as e:
        return False, f"令牌无效: {str(e)}"


# ---------------------------------------------------------------------------------------------
# 预防措施:错误处理优化 (the article's code; timeout added)
# ---------------------------------------------------------------------------------------------

# 在API调用中添加令牌失效的自动重试逻辑
def call_api_with_retry(url, headers, payload, max_retries=2):
    for attempt in range(max_retries + 1):
        response = requests.post(url, headers=headers, json=payload, timeout=TIMEOUT)

        if response.status_code == 401 and "Invalid Token" in response.text:
            if attempt < max_retries:
                # 刷新令牌并重试
                new_token = refresh_token()
                headers["Authorization"] = f"Bearer {new_token}"
                continue
            else:
                raise Exception("令牌刷新失败,请检查凭据")

        return response


# ---------------------------------------------------------------------------------------------
# Added: what the article leaves undefined, and the tracing that shows each step.
# ---------------------------------------------------------------------------------------------

steps = []  # (what, status, message) for every POST and every refresh, in order


def refresh_token():
    """The article calls refresh_token() without defining it: get a new token, as it says."""
    print("  refresh_token(): getting a new token with get_new_token()")
    steps.append(("refresh", None, ""))
    return get_new_token()


_requests_post = requests.post


def traced_post(url, **kwargs):
    """requests.post, printing and recording the answer (the article's functions call this)."""
    response = _requests_post(url, **kwargs)
    path = url[len(BASE_URL):] if url.startswith(BASE_URL) else url
    message = ""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            message = body["error"].get("message", "")
        elif isinstance(body, dict) and "code" in body:
            message = f"{body.get('code')}: {body.get('detail', '')}"
    except ValueError:
        pass
    print(f"  POST {path} -> {response.status_code}" + (f" {message}" if message else ""))
    steps.append((path, response.status_code, message))
    return response


requests.post = traced_post


def expired_token():
    """A token this server signed that expired an hour ago: its ready-made specimen."""
    response = requests.get(f"{BASE_URL}/tokens/specimens", timeout=TIMEOUT)
    response.raise_for_status()
    for specimen in response.json()["specimens"]:
        if specimen["name"] == "expired":
            return specimen["token"]
    raise Exception("GET /tokens/specimens has no 'expired' specimen")


def main():
    failures = []

    print("== Part 1: 401 \"Invalid Token\" -> refresh_token() -> retry -> 200")
    old_token = expired_token()
    valid, message = check_token_validity(old_token)
    print(f"check_token_validity(expired specimen): {valid}, {message}")
    if valid:
        failures.append("check_token_validity() called the expired specimen valid")

    headers = {
        "Authorization": f"Bearer {old_token}",
        "Content-Type": "application/json"
    }
    print(f"call_api_with_retry(POST {CHAT_URL}) with the expired token:")
    steps.clear()
    response = call_api_with_retry(CHAT_URL, headers, PAYLOAD)
    print(f"final status: {response.status_code}")
    if response.status_code == 200:
        print(f"reply: {response.json()['choices'][0]['message']['content']}")

    flow = [(what, status) for what, status, _ in steps]
    expected = [("/v1/chat/completions", 401), ("refresh", None),
                ("/auth/token", 200), ("/v1/chat/completions", 200)]
    if flow != expected:
        failures.append(f"the flow was {flow}, expected {expected}")
    elif "Invalid Token (request id: " not in steps[0][2]:
        failures.append(f"the first 401 said {steps[0][2]!r}, not 'Invalid Token (request id: …)'")
    else:
        print("flow: 401 Invalid Token -> refresh -> 200, as the article says")

    print()
    print("== Part 2: 方案一 with expires_in=2, then 方案二 before and after it expires")
    # 使用新令牌重试原始请求 (the article's top-level lines)
    new_token = get_new_token(expires_in=2)
    headers = {
        "Authorization": f"Bearer {new_token}",
        "Content-Type": "application/json"
    }
    valid, message = check_token_validity(new_token)
    print(f"check_token_validity(new token): {valid}, {message}")
    if not valid:
        failures.append("a token fetched a moment ago with expires_in=2 was not valid")
    print("sleeping 3 s ...")
    time.sleep(3)
    valid, message = check_token_validity(new_token)
    print(f"check_token_validity(new token, 3 s later): {valid}, {message}")
    if valid:
        failures.append("a token with expires_in=2 was still valid 3 s later")

    # 使用新的headers重新发送请求 -- for information only: the server allows a clock leeway
    # (JWT_CLOCK_TOLERANCE_SECONDS, 30 s by default), so it may still accept what the client's
    # own check already calls expired.
    response = requests.post(CHAT_URL, headers=headers, json=PAYLOAD, timeout=TIMEOUT)
    print(f"the same token sent anyway: {response.status_code}"
          + (" (accepted within the server's clock leeway)" if response.status_code == 200 else ""))

    print()
    if failures:
        for failure in failures:
            print(f"FAILED: {failure}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    # A server that stopped answering mid-flow (a refresh, a retry) counts as not reachable too.
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
        print(f"Cannot reach {BASE_URL} ({err.__class__.__name__}): start the server with "
              "`npm start`, or set FOUR_OH_ONE_URL.", file=sys.stderr)
        sys.exit(2)
