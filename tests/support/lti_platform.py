"""A real LTI 1.3 platform (an LMS as far as the tool can tell) for the tests, on a port of its own.

The protocol is the `lti1p3platform` package's: its Registration signs id_tokens and access
tokens with this platform's own RSA key, its OIDC login builds the third-party-initiated
login, its message launch builds the launch (roles, context, AGS and NRPS claims, deep
linking), and its platform config checks the tool's client assertion against the tool's
JWKS (fetched from the tool over HTTP) before issuing an access token. That package has no
service endpoints, so this module adds the LMS's side of them: line items, scores (the
gradebook), the course roster, and the deep-linking return, each checking the bearer token
with the package's validate_token.

The browser starts a launch at /start?user=NAME (the LMS page a person clicks), and the
tool and the browser then talk to this server as they would to Canvas or Moodle. `tamper`
changes the next launch the way an attacker or a misconfigured LMS would.
"""
from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

from tests.support.stack import free_port

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
MEMBERSHIP = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, registration: Registration) -> None:
        self._registration = registration

    def get_registration_by_params(self, **kwargs) -> Registration:
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs) -> None:
        self._lti_message_hint = json.dumps(kwargs)

    def get_redirect(self, url: str) -> str:
        return url


class _Request:
    """The preflight request (the tool's redirect to our auth endpoint) as the package reads it."""

    def __init__(self, params: dict):
        self.get_data, self.form_data = params, {}


class _Launch(LTIAdvantageMessageLaunchAbstract):
    tamper: dict = {}

    def get_launch_message(self, include_extra_claims: bool = True) -> dict:
        message = super().get_launch_message(include_extra_claims)
        message.update(self.tamper.get("claims", {}))
        return message

    def render_launch_form(self, launch_data: dict, **kwargs) -> dict:
        return launch_data


class Platform:
    def __init__(self, tool_url: str, tool_key_set: dict | None = None):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        self.public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tool_url = tool_url.rstrip("/")
        self.client_id, self.deployment_id = "coursework-tool", "deployment-1"
        self.context = {"id": "course-101", "title": "Deep learning 101", "type": ["CourseOffering"]}
        self.users = {
            "alice": {"name": "Alice Learner", "email": "alice@example.org", "roles": [LEARNER]},
            "bob": {"name": "Bob Learner", "email": "bob@example.org", "roles": [LEARNER]},
            "carol": {"name": "Carol Learner", "email": "carol@example.org", "roles": [LEARNER]},
            "ivan": {"name": "Ivan Instructor", "email": "ivan@example.org", "roles": [INSTRUCTOR]},
            "tina": {"name": "Tina Assistant", "email": "tina@example.org", "roles": [TA]},
        }
        self.registration = (Registration().set_iss(self.url).set_client_id(self.client_id)
                             .set_deployment_id(self.deployment_id)
                             .set_oidc_login_url(self.tool_url + "/lti/login/")
                             .set_launch_url(self.tool_url + "/lti/launch/")
                             .set_deeplink_launch_url(self.tool_url + "/lti/launch/")
                             .set_platform_public_key(self.public_pem).set_platform_private_key(self.private_pem)
                             .set_tool_key_set_url(self.tool_url + "/lti/jwks/"))
        # Fetched from the tool's /lti/jwks/ when needed, unless given (a test without a web server).
        self.registration.set_tool_key_set(tool_key_set)
        self.lock = threading.Lock()
        self.line_items: dict[str, dict] = {}  # id (its URL) -> the line item
        self.scores: dict[tuple[str, str], dict] = {}  # (line item id, user id) -> the gradebook's latest
        self.score_posts: list[dict] = []  # every score POST that was accepted, in order
        self.fail_score_posts = 0  # answer this many score POSTs with a 503 (an LMS having a bad minute)
        self.tokens_issued = 0
        self.tamper: dict = {}  # applied to the next launch only
        self.launches: list[dict] = []  # every launch form this platform posted: state, id_token, user
        self.deep_link_items: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- what the tool's admin is given ------------------------------------------------

    def tool_registration_code(self) -> str:
        """Python for `manage.py shell` that registers this platform with the tool, as an admin would."""
        fields = {"name": "Test LMS", "issuer": self.url, "client_id": self.client_id,
                  "auth_login_url": self.url + "/auth", "auth_token_url": self.url + "/token",
                  "key_set_url": self.url + "/jwks", "deployment_ids": [self.deployment_id],
                  "context_ids": [self.context["id"]]}
        return f"from coursework.models import LtiPlatform; LtiPlatform.objects.create(**{fields!r})"

    def start(self) -> "Platform":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def start_url(self, user: str, task: str = "", deep: bool = False) -> str:
        return f"{self.url}/start?" + urlencode({"user": user, "task": task, "deep": "1" if deep else ""})

    # -- the protocol ----------------------------------------------------------------

    def _config(self) -> _Config:
        return _Config(registration=self.registration)

    def begin(self, user: str, task: str, deep: bool) -> str:
        """The LMS's side of a click on a link: the third-party-initiated login to the tool."""
        login = _Login(None, self._config())
        login.set_lti_message_hint(task=task, deep=deep)
        return login.initiate_login(user)

    def authorize(self, params: dict) -> dict:
        """The tool's OIDC authentication request: checked, then answered with a signed launch."""
        if params.get("redirect_uri") != self.tool_url + "/lti/launch/":
            raise ValueError("redirect_uri is not the registered launch URL")
        if params.get("response_type") != "id_token" or params.get("scope") != "openid":
            raise ValueError("not an OIDC implicit id_token request")
        user = params.get("login_hint", "")
        if user not in self.users:
            raise ValueError("unknown user")
        hint = json.loads(params.get("lti_message_hint") or "{}")
        tamper, self.tamper = self.tamper, {}
        person = self.users[user]
        launch = _Launch(_Request(params), self._config())
        launch.tamper = tamper
        launch.set_user_data(tamper.get("sub", user), person["roles"], person["name"], person["email"])
        launch.set_launch_context_claim(self.context["id"], context_title=self.context["title"],
                                        context_types=self.context["type"])
        launch.set_resource_link_claim(f"link-{hint.get('task') or 'unit'}")
        if hint.get("task"):
            launch.set_extra_claims({"https://purl.imsglobal.org/spec/lti/claim/custom": {"task": hint["task"]}})
        launch.set_ags(lineitems_url=self.url + "/lineitems", allow_creating_lineitems=True)
        launch.set_nrps(self.url + "/memberships")
        if hint.get("deep"):
            launch.set_dl(self.url + "/deep-link-return", title="Add from Coursework")
        if "expires_in" in tamper:
            launch.set_id_token_expiration(tamper["expires_in"])
        data = launch.lti_launch()
        if "replay" in tamper:  # post an id_token this platform signed earlier (for someone else)
            data = {**data, "id_token": self.launches[tamper["replay"]]["id_token"]}
        with self.lock:
            self.launches.append({"user": user, "state": data["state"], "id_token": data["id_token"]})
        return data

    def _bearer(self, headers, scopes: list[str]) -> bool:
        token = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        try:
            return bool(token) and self._config().validate_token(token, allowed_scopes=scopes)
        except Exception:
            return False

    def token(self, form: dict) -> dict:
        config = self._config()
        config.get_registration()
        response = config.get_access_token(form)
        with self.lock:
            self.tokens_issued += 1
        return response

    def gradebook(self, user: str) -> dict[str, dict]:
        """What this LMS's gradebook shows for one person: line item label -> score."""
        with self.lock:
            return {self.line_items[item]["label"]: score for (item, who), score in self.scores.items() if who == user}

    def members(self) -> list[dict]:
        return [{"user_id": uid, "roles": u["roles"], "name": u["name"], "email": u["email"], "status": "Active"}
                for uid, u in self.users.items()]

    # -- HTTP -------------------------------------------------------------------------

    def _handler(self):
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body, content_type="application/json", headers=None):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _query(self) -> dict:
                return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self):
                path = urlparse(self.path).path
                if path == "/jwks":
                    return self._send(200, {"keys": platform.registration.get_jwks()})
                if path == "/start":
                    q = self._query()
                    return self._send(302, "", headers={"Location": platform.begin(q["user"], q.get("task", ""),
                                                                                    bool(q.get("deep")))})
                if path == "/auth":
                    try:
                        data = platform.authorize(self._query())
                    except Exception as exc:
                        return self._send(400, f"refused: {html.escape(str(exc))}", "text/html")
                    form = (f'<form id="f" method="post" action="{html.escape(data["launch_url"])}">'
                            f'<input type="hidden" name="id_token" value="{html.escape(data["id_token"])}">'
                            f'<input type="hidden" name="state" value="{html.escape(data["state"])}"></form>'
                            '<script>document.getElementById("f").submit()</script>')
                    return self._send(200, form, "text/html")
                if path == "/lineitems":
                    if not platform._bearer(self.headers, [LINEITEM, LINEITEM_READ]):
                        return self._send(401, {"error": "unauthorized"})
                    with platform.lock:
                        items = list(platform.line_items.values())
                    return self._send(200, items, "application/vnd.ims.lis.v2.lineitemcontainer+json")
                if path == "/memberships":
                    if not platform._bearer(self.headers, [MEMBERSHIP]):
                        return self._send(401, {"error": "unauthorized"})
                    return self._send(200, {"id": platform.url + "/memberships", "context": platform.context,
                                            "members": platform.members()},
                                      "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
                return self._send(404, {"error": "not found"})

            def do_POST(self):
                path = urlparse(self.path).path
                body = self._body()
                if path == "/token":
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    try:
                        return self._send(200, platform.token(form))
                    except Exception as exc:
                        return self._send(400, {"error": "invalid_client", "error_description": str(exc)})
                if path == "/lineitems":
                    if not platform._bearer(self.headers, [LINEITEM]):
                        return self._send(401, {"error": "unauthorized"})
                    item = json.loads(body)
                    with platform.lock:
                        item["id"] = f"{platform.url}/lineitems/{len(platform.line_items) + 1}"
                        platform.line_items[item["id"]] = item
                    return self._send(201, item, "application/vnd.ims.lis.v2.lineitem+json")
                if path.startswith("/lineitems/") and path.endswith("/scores"):
                    if not platform._bearer(self.headers, [SCORE]):
                        return self._send(401, {"error": "unauthorized"})
                    item = platform.url + path.removesuffix("/scores")
                    score = json.loads(body)
                    with platform.lock:
                        if item not in platform.line_items:
                            return self._send(404, {"error": "no such line item"})
                        if platform.fail_score_posts:
                            platform.fail_score_posts -= 1
                            return self._send(503, {"error": "try later"})
                        key = (item, score["userId"])
                        # AGS: a score older than the one held does not replace it.
                        if key not in platform.scores or platform.scores[key]["timestamp"] <= score["timestamp"]:
                            platform.scores[key] = score
                        platform.score_posts.append({"line_item": item, **score})
                    return self._send(200, {})
                if path == "/deep-link-return":
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    config = self._config_for_tool()
                    try:
                        items = config.validate_deeplinking_resp(form)
                    except Exception as exc:
                        return self._send(400, f"refused: {html.escape(str(exc))}", "text/html")
                    with platform.lock:
                        platform.deep_link_items.extend(items)
                    titles = "".join(f"<li>{html.escape(i.get('title', ''))}</li>" for i in items)
                    return self._send(200, f"<h1>Linked</h1><ul id='linked'>{titles}</ul>", "text/html")
                return self._send(404, {"error": "not found"})

            def _config_for_tool(self):
                config = platform._config()
                config.get_registration()
                return config

        return Handler


def wait_for(condition, timeout_s: float = 60, what: str = "the condition"):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s:.0f} s for {what}")
        time.sleep(0.2)
