"""Schemathesis hooks for zhima's v3 routes (loaded through SCHEMATHESIS_HOOKS).

* Every generated request is signed exactly as a merchant's SDK signs a v3 call: a fresh nonce
  and timestamp per request, SHA256withRSA with the demo app's private key over
  `authString \\n METHOD \\n request-target \\n body \\n [app_auth_token \\n]`, where the target
  and body are the bytes `requests` puts on the wire (signed in a `requests` auth hook, after
  schemathesis has serialised the case).
* Half of the generated bodies and queries name the demo sandbox's records (its partner,
  user, agreement and template, read from the data directory's zhima.toml) wherever a field
  names one, so that generated requests get past "no such agreement" into the business rules
  and successful (2xx) answers are checked too. Hypothesis draws the choice: the seed still
  decides every request.
* `platform_signature` is a check: every answer of a v3 route, success or error, carries
  `alipay-timestamp` / `alipay-nonce` / `alipay-signature`, and the signature verifies with the
  platform public key over `timestamp \\n nonce \\n body \\n`.

Environment (set by crates/zhima-cli/tests/schemathesis.rs):
  ZHIMA_DATA_DIR  data directory of the `zhima serve` under test: keys/app_private.pem (PKCS#1)
                  signs, keys/platform_public.pem (SPKI) verifies
  ZHIMA_APP_ID    the app to sign as (default: the demo app 2021000000000001)
"""

import base64
import os
import pathlib
import time
import tomllib
import uuid

import requests
import schemathesis
from hypothesis import strategies as st
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

AUTH_SCHEME = "ALIPAY-SHA256withRSA"
APP_AUTH_TOKEN = "alipay-app-auth-token"

_DATA_DIR = pathlib.Path(os.environ["ZHIMA_DATA_DIR"])
_APP_ID = os.environ.get("ZHIMA_APP_ID", "2021000000000001")
_APP_KEY = serialization.load_pem_private_key(
    (_DATA_DIR / "keys" / "app_private.pem").read_bytes(), password=None
)
_PLATFORM_KEY = serialization.load_pem_public_key(
    (_DATA_DIR / "keys" / "platform_public.pem").read_bytes()
)


def _demo_records() -> dict:
    """Field name -> the demo sandbox's value for it."""
    config = tomllib.loads((_DATA_DIR / "zhima.toml").read_text(encoding="utf-8"))
    app = next(a for a in config["apps"] if a["app_id"] == _APP_ID)
    agreement = next(
        a for a in config["zmgo"]["agreements"] if a.get("partner_id") == app["partner_id"]
    )
    partner, user = app["partner_id"], agreement["user_id"]
    return {
        "partner_id": partner,
        "provider_pid": partner,
        "user_id": user,
        "alipay_user_id": user,
        "agreement_no": agreement["agreement_no"],
        "agreement_id": agreement["agreement_no"],
        "template_id": agreement["template_no"],
        "template_no": agreement["template_no"],
    }


_DEMO = _demo_records()


def _steer(value):
    """`value` with every field that names a record set to the demo sandbox's record."""
    if isinstance(value, dict):
        return {k: _DEMO[k] if k in _DEMO else _steer(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_steer(v) for v in value]
    return value


@schemathesis.hook
def flatmap_body(context, body):
    return st.sampled_from([body, _steer(body)])


@schemathesis.hook
def flatmap_query(context, query):
    return st.sampled_from([query, _steer(query)])


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    raise TypeError(f"cannot sign a streamed body ({type(body).__name__})")


class SignV3(requests.auth.AuthBase):
    """Adds `Authorization` to the prepared request, over its final target and body."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        auth_string = (
            f"app_id={_APP_ID},nonce={uuid.uuid4()},timestamp={int(time.time() * 1000)}"
        )
        content = b"\n".join(
            [
                auth_string.encode(),
                request.method.upper().encode(),
                # The request-target exactly as urllib3 writes it on the request line.
                request.path_url.encode("utf-8"),
                _body_bytes(request.body),
                b"",
            ]
        )
        token = request.headers.get(APP_AUTH_TOKEN)
        if token:
            token = token.encode("latin-1") if isinstance(token, str) else token
            content += token + b"\n"
        signature = _APP_KEY.sign(content, padding.PKCS1v15(), hashes.SHA256())
        sign = base64.b64encode(signature).decode()
        request.headers["Authorization"] = f"{AUTH_SCHEME} {auth_string},sign={sign}"
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    # Replaces any auth the case carries (e.g. a generated apiKey value): every call is signed.
    kwargs["auth"] = SignV3()


def _header(response, name):
    values = response.headers.get(name)
    return values[0] if values else None


@schemathesis.check
def platform_signature(ctx, response, case):
    """Every answer is signed by the platform key (PROTOCOL §B3)."""
    what = f"{response.status_code} answer to {case.method} {case.path}"
    ts, nonce, sign = (
        _header(response, h) for h in ("alipay-timestamp", "alipay-nonce", "alipay-signature")
    )
    if not (ts and nonce and sign):
        raise AssertionError(
            f"unsigned {what}: alipay-timestamp={ts!r} alipay-nonce={nonce!r} "
            f"alipay-signature={sign!r}"
        )
    if response.content_size != len(response.content):
        raise AssertionError(f"{what}: body only partly kept, cannot verify its signature")
    content = ts.encode() + b"\n" + nonce.encode() + b"\n" + response.content + b"\n"
    try:
        signature = base64.b64decode(sign, validate=True)
        _PLATFORM_KEY.verify(signature, content, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise AssertionError(
            f"{what}: alipay-signature does not verify with the platform public key"
        ) from None
