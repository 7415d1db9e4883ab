#!/usr/bin/env python3
"""Does the official Huawei Cloud Python SDK read the mock's answers as it reads the real
service's?

Drives huaweicloudsdksms's SmsClient.show_passphrase against a running standalone mock
(`sms-conformance mock --fixture FIXTURE`) and compares what the SDK returns or raises with
what the mock sent on the wire (the raw answer the SDK received, captured by the SDK's own
response hook), with a second plain request made with urllib, and with the status and error
code the mock answers with the fixture's settings (its `assumptions:` section, the ledger's
defaults for the rest: expected()). One line per check; exit 0 when every check passes, 1
when one fails, 2 when the mock cannot be reached or the arguments are unusable. Tokens and
passphrases are never printed: every line passes through mask().

    sdk_check.py BASE_URL FIXTURE [--ledger schemas/assumptions.yaml]
    e.g. sdk_check.py http://127.0.0.1:8080 interop/sdk-fixture.yaml
"""

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml
from huaweicloudsdkcore.auth.credentials import Credentials
from huaweicloudsdkcore.client import ClientBuilder
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdksms.v3 import ShowPassphraseRequest, ShowTaskRequest, SmsClient

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
MASK = "********"
LEDGER = Path(__file__).resolve().parent.parent / "schemas" / "assumptions.yaml"


# --- How the SDK takes a token ----------------------------------------------------------------
#
# The SDK has no token credential: BasicCredentials/GlobalCredentials sign every request with
# AK/SK (Credentials.process_auth_request -> sign_request -> Signer), and a Credentials without
# AK/SK fetches temporary keys from the ECS metadata service. Its maintainers decline token
# authentication (huaweicloud-sdk-go-v3 #48, huaweicloud-sdk-java-v3 #37: "call the API
# directly"). The SDK's extension point is the credential: ClientBuilder(client_type,
# credential_type) accepts any Credentials subclass whose class name is listed in
# credential_type, and the client asks the credential to finish each request
# (Client.build_future_request -> credentials.process_auth_request). This credential puts the
# token in X-Auth-Token and finishes the request URI exactly as Credentials.sign_request does
# for a request it does not sign (Signer.process_request_uri), with no Authorization, no
# X-Sdk-Date, no X-Project-Id, and no call to IAM or the metadata service.

class XAuthTokenCredentials(Credentials):
    """Authenticates with an IAM token in X-Auth-Token instead of AK/SK signing.

    token=None sends no X-Auth-Token header at all; "" sends an empty one.
    """

    def __init__(self, token):
        super().__init__()
        self._token = token

    def process_auth_params(self, http_client, region_id):
        # Only called with with_region(): there is no project id to look up for a token.
        return self

    def process_auth_request(self, request, http_client):
        # The base class would first fetch STS or metadata keys (process_sts): not with a token.
        return http_client.executor.submit(self.sign_request, request)

    def sign_request(self, request):
        if self._token is not None:
            request.header_params["X-Auth-Token"] = self._token
        Signer.process_request_uri(request)
        return request


class Wire:
    """The SDK's response hook: keeps the raw answer (requests.Response) the SDK received, and
    through it the request as sent (response.request), before the SDK parses or raises."""

    def __init__(self):
        self.response = None

    def on_response(self, **kwargs):
        self.response = kwargs["response"]


def sdk_client(base_url, token, wire):
    config = HttpConfig.get_default_config()
    config.timeout = (5, 10)
    config.retry_times = 0
    handler = HttpHandler().add_response_handler(wire.on_response)
    return (
        ClientBuilder(SmsClient, XAuthTokenCredentials.__name__)
        .with_credentials(XAuthTokenCredentials(token))
        .with_endpoints([base_url])
        .with_http_config(config)
        .with_http_handler(handler)
        .build()
    )


# --- Output --------------------------------------------------------------------------------

class Report:
    """Prints results; masks the fixture's tokens and passphrases, and every passphrase seen in
    an answer (learn()), in their plain, percent-encoded and JSON-escaped forms."""

    def __init__(self, secrets):
        self._secrets = []
        for secret in secrets:
            self.learn(secret)
        self.passed = 0
        self.failed = 0

    def learn(self, secret):
        if not isinstance(secret, str) or not secret:
            return
        forms = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
        # Longest first, so that a secret inside another is masked as part of the longer one.
        self._secrets = sorted(set(self._secrets) | forms, key=len, reverse=True)

    def mask(self, text):
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def line(self, text, file=sys.stdout):
        print(self.mask(text), file=file, flush=True)

    def result(self, name, problems, detail):
        if problems:
            self.failed += 1
            self.line(f"FAIL  {name}")
            for problem in problems:
                self.line(f"        - {problem}")
        else:
            self.passed += 1
            self.line(f"ok    {name}: {detail}")


def secret_summary(value):
    return f"{MASK} ({len(value)} chars)" if isinstance(value, str) else repr(value)


# --- The two clients --------------------------------------------------------------------------

class Target:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self._clients = {}
        # The plain client never goes through a proxy: the mock is on this machine.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def sdk(self, token, call):
        """Runs call(client) with a client for this token; returns (answer, exception, raw)."""
        if token not in self._clients:
            wire = Wire()
            self._clients[token] = (sdk_client(self.base_url, token, wire), wire)
        client, wire = self._clients[token]
        wire.response = None
        try:
            return call(client), None, wire.response
        except Exception as error:  # the point is to see what the SDK raises
            return None, error, wire.response

    def plain(self, path, token):
        """The same request with urllib: (status, headers, body bytes)."""
        request = urllib.request.Request(self.base_url + path, method="GET")
        if token is not None:
            request.add_header("X-Auth-Token", token)
        try:
            with self._opener.open(request, timeout=10) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers, answer.read()


def passphrase_path(task_id):
    return f"/v3/tasks/{quote(task_id, safe='')}/passphrase"


def show_passphrase(task_id):
    return lambda client: client.show_passphrase(ShowPassphraseRequest(task_id=task_id))


def show_task(task_id):
    return lambda client: client.show_task(ShowTaskRequest(task_id=task_id))


def sent_problems(raw, token, path):
    """What the SDK put on the wire: the path, the token as given, and no AK/SK signature."""
    problems = []
    sent_path = raw.request.path_url
    if sent_path != path:
        problems.append(f"the SDK sent path {sent_path!r}, expected {path!r}")
    sent_token = raw.request.headers.get("X-Auth-Token")
    if sent_token != token:
        problems.append(
            f"the SDK sent X-Auth-Token {secret_summary(sent_token)}, expected {secret_summary(token)}"
        )
    for header in ("Authorization", "X-Sdk-Date", "X-Project-Id", "X-Security-Token"):
        if header in raw.request.headers:
            problems.append(f"the SDK sent {header}: it signed the request instead of using the token")
    return problems


def json_body(raw_bytes, who, problems):
    try:
        body = json.loads(raw_bytes)
    except ValueError:
        problems.append(f"{who}: the body is not JSON ({len(raw_bytes)} bytes)")
        return None
    if not isinstance(body, dict):
        problems.append(f"{who}: the body is JSON but not an object")
        return None
    return body


# --- What the mock answers, by its settings ---------------------------------------------------
#
# The answers the README's table documents, and those the ledger (schemas/assumptions.yaml)
# gives each value of a setting. The settings the SDK can never exercise (two-tokens: it sends
# one X-Auth-Token; head: it sends GET; query-string: show_passphrase has no query;
# trailing-slash, path-case: it builds the path itself) change no expectation here.

NO_TOKEN = (401, "APIGW.0301")        # x-auth-token not found
UNKNOWN_TOKEN = (401, "APIGW.0301")   # decrypt token fail
MALFORMED = (400, "APIGW.0201")
NOT_PUBLISHED = (404, "APIGW.0101")
INVALID_TASK_ID = (400, "SMS.0202")
NO_TASK = (404, "SMS.2252")
DENIED = (403, "SMS.9004")
TASK_ID_MAX_CHARS = 36                # the page's limit (schemas/manifest.yaml, request.task_id)

READINGS = {
    "empty-token": {"missing": NO_TOKEN, "malformed": MALFORMED},
    "long-token": {"malformed": MALFORMED, "unknown": UNKNOWN_TOKEN},
    "long-task-id": {"invalid": INVALID_TASK_ID, "not-found": NO_TASK},
    "unknown-task": {"not-found": NO_TASK, "forbidden": DENIED},
    "empty-task-id": {"not-found": NOT_PUBLISHED, "invalid": INVALID_TASK_ID},
}


def settings_of(fixture, ledger):
    """The fixture's settings: its `assumptions:` section over the ledger's defaults. Raises
    ValueError for a setting or value the ledger does not have."""
    settings = {id_: entry["mock"]["value"] for id_, entry in ledger.items()}
    for id_, value in (fixture.get("assumptions") or {}).items():
        if id_ not in ledger:
            raise ValueError(f"`assumptions.{id_}`: no such assumption in the ledger")
        allowed = [ledger[id_]["mock"]["value"], *ledger[id_]["alternatives"]]
        if value not in allowed:
            raise ValueError(f"`assumptions.{id_}`: {value!r} is not one of {allowed}")
        settings[id_] = value
    for id_, readings in READINGS.items():
        if settings.get(id_) not in readings:
            raise ValueError(f"the ledger's `{id_}` has a value sdk_check.py does not know")
    return settings


class Expected:
    """The (status, error_code) the mock answers with these settings."""

    def __init__(self, settings):
        self.settings = settings
        self.order = settings["check-order"].split("-")   # e.g. length, permission, task
        if sorted(self.order) != ["length", "permission", "task"]:
            raise ValueError(f"check-order {settings['check-order']!r} is not an order of three checks")

    def reading(self, id_):
        return READINGS[id_][self.settings[id_]]

    def empty_token(self):
        return self.reading("empty-token")

    def long_token(self):
        return self.reading("long-token")

    def service(self, permitted, task_id_chars, exists):
        """The service's checks in the assumed order; the first that fails answers. None: 200."""
        if task_id_chars == 0:
            length = INVALID_TASK_ID
        elif task_id_chars > TASK_ID_MAX_CHARS:
            length = self.reading("long-task-id")
        else:
            length = None
        failing = {
            "length": length,
            "permission": None if permitted else DENIED,
            "task": None if exists else self.reading("unknown-task"),
        }
        return next((failing[check] for check in self.order if failing[check]), None)

    def empty_task_id(self, permitted):
        """/v3/tasks//passphrase: no route, or routed and refused as the service's checks say."""
        if self.reading("empty-task-id") == NOT_PUBLISHED:
            return NOT_PUBLISHED
        return self.service(permitted, 0, exists=False)

    def summary(self, ledger):
        changed = [f"{id_}: {value}" for id_, value in sorted(self.settings.items())
                   if value != ledger[id_]["mock"]["value"]]
        return ", ".join(changed) if changed else "the ledger's defaults"


# --- The checks ---------------------------------------------------------------------------

def check_read(target, report, name, token, task, path=None):
    """The SDK returns the fixture's task_id and passphrase for this task."""
    path = path or passphrase_path(task["id"])
    answer, error, raw = target.sdk(token, show_passphrase(task["id"]))
    problems = []
    if error is not None:
        problems.append(f"the SDK raised {type(error).__name__}: {error}")
    if raw is None:
        report.result(name, problems or ["no answer reached the SDK's response hook"], "")
        return
    problems += sent_problems(raw, token, path)
    sent = json_body(raw.content, "the answer to the SDK", problems) or {}
    report.learn(sent.get("passphrase"))
    if raw.status_code != 200:
        problems.append(f"the mock answered {raw.status_code} to the SDK, expected 200")
    if answer is not None:
        if answer.status_code != 200:
            problems.append(f"the SDK's status_code is {answer.status_code}, expected 200")
        if answer.task_id != task["id"]:
            problems.append(f"the SDK's task_id is {answer.task_id!r}, the fixture's {task['id']!r}")
        if answer.passphrase != task["passphrase"]:
            problems.append(
                f"the SDK's passphrase {secret_summary(answer.passphrase)} is not the fixture's "
                f"{secret_summary(task['passphrase'])}"
            )
        if (sent.get("task_id"), sent.get("passphrase")) != (answer.task_id, answer.passphrase):
            problems.append("the SDK's task_id/passphrase differ from the body the mock sent")
    # The same request, plainly.
    status, _, body = target.plain(path, token)
    plain = json_body(body, "the plain answer", problems) or {}
    report.learn(plain.get("passphrase"))
    if status != 200 or plain.get("task_id") != task["id"] or plain.get("passphrase") != task["passphrase"]:
        problems.append(
            f"the plain request got {status} task_id={plain.get('task_id')!r} "
            f"passphrase={secret_summary(plain.get('passphrase'))}, expected 200 with the fixture's task"
        )
    report.result(
        name,
        problems,
        f"200 task_id={task['id']!r} passphrase={secret_summary(task['passphrase'])} as the fixture's; "
        f"sent {path}",
    )


def check_error(target, report, name, token, call, path, expected):
    """The SDK raises ClientRequestException with what the mock sent: status, error_code,
    error_msg, request_id (from X-Request-Id) and, when sent, encoded_authorization_message."""
    status, code = expected
    answer, error, raw = target.sdk(token, call)
    problems = []
    if answer is not None:
        problems.append(f"the SDK returned {type(answer).__name__} (status {answer.status_code}) instead of raising")
    elif not isinstance(error, ClientRequestException):
        problems.append(f"the SDK raised {type(error).__name__}: {error}; expected ClientRequestException")
    if raw is None:
        report.result(name, problems or ["no answer reached the SDK's response hook"], "")
        return
    problems += sent_problems(raw, token, path)
    sent = json_body(raw.content, "the answer to the SDK", problems) or {}
    header_id = raw.headers.get("X-Request-Id")

    def same(what, expected, **values):
        if len(set(map(repr, values.values())) | {repr(expected)}) > 1:
            shown = ", ".join(f"{who} {value!r}" for who, value in values.items())
            problems.append(f"{what}: expected {expected!r}; {shown}")

    same("status", status, mock_sent=raw.status_code,
         sdk=getattr(error, "status_code", None))
    same("error_code", code, mock_sent=sent.get("error_code"),
         sdk=getattr(error, "error_code", None))
    same("error_msg", sent.get("error_msg"), sdk=getattr(error, "error_msg", None))
    if not isinstance(sent.get("error_msg"), str):
        problems.append("the mock sent no error_msg string")
    same("request_id (X-Request-Id)", header_id, sdk=getattr(error, "request_id", None))
    if not REQUEST_ID.match(header_id or ""):
        problems.append(f"X-Request-Id {header_id!r} is not 32 lower-case hex digits")
    if "request_id" in sent:
        same("the body's request_id", header_id, body=sent["request_id"])
    if "encoded_authorization_message" in sent:
        same("encoded_authorization_message", sent["encoded_authorization_message"],
             sdk=getattr(error, "encoded_auth_msg", None))
    # The same request, plainly: same status, code and message; a request id of its own.
    plain_status, plain_headers, plain_body = target.plain(path, token)
    plain = json_body(plain_body, "the plain answer", problems) or {}
    same("the plain request's status", raw.status_code, plain=plain_status)
    same("the plain request's error_code", sent.get("error_code"), plain=plain.get("error_code"))
    same("the plain request's error_msg", sent.get("error_msg"), plain=plain.get("error_msg"))
    plain_id = plain_headers.get("X-Request-Id")
    if not REQUEST_ID.match(plain_id or "") or plain_id == header_id:
        problems.append(f"the plain request's X-Request-Id {plain_id!r} is not a fresh one")
    detail = (
        f"{type(error).__name__} {getattr(error, 'status_code', None)} "
        f"{getattr(error, 'error_code', None)} {getattr(error, 'error_msg', None)!r} "
        f"request_id={getattr(error, 'request_id', None)}"
    )
    if getattr(error, "encoded_auth_msg", None):
        detail += " encoded_auth_msg kept"
    report.result(name, problems, detail)


def check_dot_segment(target, report, name, token, task):
    """A task id of '..' is not percent-encoded by quote() ('.' is unreserved), and the SDK's
    HTTP stack (requests/urllib3) removes the dot segment: /v3/tasks/../passphrase goes out as
    /v3/passphrase, which the gateway does not publish (404 APIGW.0101). The SDK cannot name
    such a task; whatever the service does with %2E%2E is not what the SDK sends."""
    check_error(target, report, name, token, show_passphrase(task["id"]), "/v3/passphrase",
                NOT_PUBLISHED)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the running mock, e.g. http://127.0.0.1:8080")
    parser.add_argument("fixture", help="the mock's fixture file (interop/sdk-fixture.yaml)")
    parser.add_argument("--ledger", default=str(LEDGER),
                        help="the assumption ledger: the settings' values and defaults")
    args = parser.parse_args()

    # The mock is on this machine: never send its traffic through a proxy from the environment.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = urlsplit(args.base_url).hostname or "*"

    try:
        with open(args.fixture, encoding="utf-8") as file:
            fixture = yaml.safe_load(file)
        tasks = fixture["tasks"]
        tokens = {token["name"]: token for token in fixture["tokens"]}
        token = tokens["token"]["value"]
        forbidden = tokens["forbidden_token"]["value"]
        assert tokens["token"]["permitted"] and not tokens["forbidden_token"]["permitted"]
        first = tasks[0]
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, AssertionError) as error:
        print(f"error: {args.fixture}: not a usable fixture ({type(error).__name__}: {error}); it needs "
              "tasks and tokens named `token` (permitted) and `forbidden_token` (not)", file=sys.stderr)
        return 2
    try:
        with open(args.ledger, encoding="utf-8") as file:
            ledger = yaml.safe_load(file)
        expected = Expected(settings_of(fixture, ledger))
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as error:
        print(f"error: {args.fixture} with {args.ledger}: cannot tell what the mock answers "
              f"({type(error).__name__}: {error})", file=sys.stderr)
        return 2
    secrets = [t["value"] for t in fixture["tokens"]] + [t["passphrase"] for t in tasks]
    report = Report(secrets)
    target = Target(args.base_url)
    try:
        target.plain("/", None)
    except (urllib.error.URLError, OSError) as error:
        report.line(f"error: cannot reach the mock at {args.base_url}: {error}", file=sys.stderr)
        return 2

    report.line(f"huaweicloudsdkcore {version('huaweicloudsdkcore')}, huaweicloudsdksms "
                f"{version('huaweicloudsdksms')} against {args.base_url} with {args.fixture}; "
                f"assumptions: {expected.summary(ledger)}")

    # The valid read.
    check_read(target, report, "read/valid-call", token, first)

    # Every error answer: (name, token, SDK call, path sent, (status, error_code) expected).
    unknown_task = "00000000-0000-4000-8000-000000000000"
    assert all(t["id"] != unknown_task for t in tasks)
    long_task = "e" * (TASK_ID_MAX_CHARS + 1)
    long_task_utf8 = "é" * (TASK_ID_MAX_CHARS + 1)
    unknown_token = "MIIXinteropUnknownToken.bm90LWtub3duLXRvLXRoZS1tb2Nr"
    longest_token = "T" * 16_384
    too_long_token = "T" * 16_385
    p = passphrase_path
    e = expected
    errors = [
        ("auth/missing-token", None, show_passphrase(first["id"]), p(first["id"]), NO_TOKEN),
        ("auth/empty-token", "", show_passphrase(first["id"]), p(first["id"]), e.empty_token()),
        ("auth/unknown-token", unknown_token, show_passphrase(first["id"]), p(first["id"]), UNKNOWN_TOKEN),
        ("auth/forbidden-token", forbidden, show_passphrase(first["id"]), p(first["id"]),
         e.service(False, len(first["id"]), exists=True)),
        ("auth/token-16384-chars", longest_token, show_passphrase(first["id"]), p(first["id"]), UNKNOWN_TOKEN),
        ("auth/token-16385-chars", too_long_token, show_passphrase(first["id"]), p(first["id"]), e.long_token()),
        ("task-id/unknown-task", token, show_passphrase(unknown_task), p(unknown_task),
         e.service(True, len(unknown_task), exists=False)),
        ("task-id/37-chars", token, show_passphrase(long_task), p(long_task),
         e.service(True, len(long_task), exists=False)),
        ("task-id/37-non-ascii-chars", token, show_passphrase(long_task_utf8), p(long_task_utf8),
         e.service(True, len(long_task_utf8), exists=False)),
        ("task-id/empty", token, show_passphrase(""), "/v3/tasks//passphrase", e.empty_task_id(True)),
        ("order/denied-unknown-task", forbidden, show_passphrase(unknown_task), p(unknown_task),
         e.service(False, len(unknown_task), exists=False)),
        ("order/denied-over-long-id", forbidden, show_passphrase(long_task), p(long_task),
         e.service(False, len(long_task), exists=False)),
        ("order/denied-empty-id", forbidden, show_passphrase(""), "/v3/tasks//passphrase",
         e.empty_task_id(False)),
        ("routing/wrong-path (show_task: GET /v3/tasks/{task_id})", token, show_task(first["id"]),
         f"/v3/tasks/{first['id']}", NOT_PUBLISHED),
    ]
    for name, sent_token, call, path, answer in errors:
        if answer is None:
            report.result(name, ["sdk_check.py expects 200 for an error check: its expectations are wrong"], "")
            continue
        check_error(target, report, name, sent_token, call, path, answer)

    # Task ids the SDK percent-encodes reach the mock as the same task.
    for task in tasks[1:]:
        if task["id"] in (".", ".."):
            check_dot_segment(target, report, f"task-id/dot-segment {task['id']!r}", token, task)
        else:
            check_read(target, report, f"task-id/encoded {task['id']!r}", token, task)

    report.line(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
