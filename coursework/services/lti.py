"""The site as an LTI 1.3 tool: launches from an LMS sign people in, the LMS's roster comes
in, and the grades the gradebook shows go back to the LMS's gradebook.

pylti1p3 does the protocol (the OIDC login redirect, the id_token's signature, expiry,
audience and deployment, the service access tokens); this module adds what a tool must
decide for itself: that a launch's nonce is the one this browser's login asked for and is
used once, who the person is here, and which figure each line item holds.

Grade passback is an outbox: `sync_grades` (Celery beat) writes, per learner and task, the
figure the LMS should hold (LtiScore.wanted_*); `push_score` (a task taking the row's id)
claims the row, sends it, and records what was sent, so a figure goes out once however
often either runs, and a platform that is down is tried again later.
"""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.tool_config import ToolConfDict

from ..models import (Assignment, LtiContext, ExternalIdentity, LtiLineItem, LtiMembership, LtiNonce, LtiPlatform, LtiScore,
                      Profile, Submission)
from ..states import PENDING

log = logging.getLogger(__name__)

AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
LEARNER_ROLES = ("membership#Learner", "membership/Learner#")
STAFF_ROLES = ("membership#Instructor", "membership/Instructor#", "membership#Administrator",
               "membership#ContentDeveloper", "institution/person#Administrator", "system/person#Administrator")
# A login's state -> the nonce it asked the platform for: the launch must carry that nonce.
LOGIN_KEY = "lti-login:{}"
LOGIN_TTL_S = 600
# A launch's data, kept by pylti1p3 for the deep-linking page to return to.
LAUNCH_TTL_S = 3600
# The tasks the LMS gets a gradebook column for.
GRADED_KINDS = (Assignment.NOTEBOOK, Assignment.ESSAYS, Assignment.SYNTHESIS)


class Refused(Exception):
    """A launch the site will not act on; the message is shown to the person."""


# --- The tool's own key -------------------------------------------------------------


def _key_path() -> Path:
    return Path(settings.LTI_PRIVATE_KEY_PATH)


def private_key() -> str:
    """The tool's RSA key (PEM), made once on first use (mode 600), like the secret key:
    LMSs fetch its public half from /lti/jwks/ to check our service requests."""
    path = _key_path()
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: a process that loses the
        # race reads the winner's complete key, never a half-written one.
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text()


def public_key() -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_key().encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def jwks() -> dict:
    return {"keys": [Registration.get_jwk(public_key())]}


# --- Registrations ------------------------------------------------------------------


def tool_config() -> ToolConfDict:
    """pylti1p3's view of the registered platforms (one issuer may hold several clients)."""
    conf: dict[str, list] = {}
    for p in LtiPlatform.objects.order_by("pk"):
        conf.setdefault(p.issuer, []).append({
            "client_id": p.client_id, "auth_login_url": p.auth_login_url, "auth_token_url": p.auth_token_url,
            "auth_audience": p.auth_audience or None, "key_set_url": p.key_set_url, "key_set": None,
            "deployment_ids": [str(d) for d in p.deployment_ids],
        })
    tool = ToolConfDict(conf)
    key, pub = private_key(), public_key()
    for p in LtiPlatform.objects.order_by("pk"):
        tool.set_private_key(p.issuer, key, client_id=p.client_id)
        tool.set_public_key(p.issuer, pub, client_id=p.client_id)
    return tool


class _TimedSession(requests.Session):
    """pylti1p3 sends without a timeout: a platform that never answers would hold a worker."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.LTI_HTTP_TIMEOUT_S)
        return super().request(*args, **kwargs)


def _connector(platform: LtiPlatform) -> ServiceConnector:
    registration = tool_config().find_registration_by_params(platform.issuer, platform.client_id)
    return ServiceConnector(registration, requests_session=_TimedSession())


def _storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")


# --- Login and launch ---------------------------------------------------------------


class _Login(DjangoOIDCLogin):
    def _prepare_redirect_url(self, launch_url: str) -> str:
        url = super()._prepare_redirect_url(launch_url)
        from urllib.parse import parse_qs, urlparse

        query = parse_qs(urlparse(url).query)
        # Bind the nonce to this login's state (whose cookie only this browser holds): pylti1p3
        # alone accepts any nonce it ever issued, so another person's id_token would do.
        cache.set(LOGIN_KEY.format(query["state"][0]), query["nonce"][0], LOGIN_TTL_S)
        return url


def begin_login(request, launch_url: str):
    """The OIDC login a platform starts: redirect the browser to the platform's auth endpoint."""
    try:
        login = _Login(request, tool_config())
        # A login's nonce and state need outlive only the round trip through the LMS
        # (pylti1p3 keeps them a day: anyone could fill the cache by asking for logins).
        login.set_launch_data_storage(_storage()).set_launch_data_lifetime(LOGIN_TTL_S)
        return login.redirect(launch_url)
    except LtiException as exc:
        raise Refused(f"This LMS is not registered with the site ({exc}).") from None
    except Exception as exc:  # ToolConfDict raises a bare Exception for an unknown issuer or client
        log.info("LTI login refused: %s", exc)
        raise Refused("This LMS is not registered with the site.") from None


@dataclass(frozen=True)
class Launch:
    user: object
    staff: bool
    context_id: int | None
    next_url: str
    deep_linking: bool
    message_launch: object


def _explain(exc: Exception) -> str:
    text = str(exc)
    if "expired" in text.lower():
        return "This launch has expired: go back to your course and open the link again."
    if "deployment" in text.lower():
        return "This launch comes from a deployment of the LMS the site does not know."
    if "client id" in text.lower() or "not found in settings" in text or "registration" in text.lower():
        return "This launch was not meant for this site (its audience or issuer is not one registered here)."
    if "state" in text.lower() or "nonce" in text.lower():
        return "This launch was not started from this browser: open the link from your course again."
    if "signature" in text.lower() or "decode" in text.lower() or "public key" in text.lower():
        return "This launch's signature does not check out."
    return "This launch could not be checked."


def complete_launch(request) -> Launch:
    """Check a launch (everything pylti1p3 checks, then that the nonce is the one this
    browser's login asked for and has not been used) and sign its person in. Nothing is
    stored for a launch that is refused."""
    try:
        message = DjangoMessageLaunch(request, tool_config(), launch_data_storage=_storage(),
                                      requests_session=_TimedSession())
        # The LMS's keys are fetched for a launch at most every few minutes, not each time.
        message.set_public_key_caching(_storage(), cache_lifetime=settings.LTI_KEY_SET_CACHE_S)
        message.set_launch_data_lifetime(LAUNCH_TTL_S)
        data = message.get_launch_data()
    except Exception as exc:  # LtiException, and ToolConfDict's bare Exception for an unknown issuer/client
        log.info("LTI launch refused: %s", exc)
        raise Refused(_explain(exc)) from None
    state = request.POST.get("state", "")
    issuer, nonce = data["iss"], data.get("nonce", "")
    if LtiNonce.objects.filter(issuer=issuer, nonce=nonce).exists():
        raise Refused("This launch has already been used: open the link from your course again.")
    if not state or cache.get(LOGIN_KEY.format(state)) != nonce:
        raise Refused("This launch was not started from this browser: open the link from your course again.")
    staff = _is_staff(data.get("https://purl.imsglobal.org/spec/lti/claim/roles", []))
    if staff is None:
        raise Refused("Your role in this course (neither learner nor instructor) has no access to the site.")
    if message.is_deep_link_launch() and staff is not True:
        raise Refused("Only instructors can choose what to link to.")
    platform = _platform_of(data)
    context_id = str((data.get(CONTEXT_CLAIM) or {}).get("id", ""))
    if context_id not in platform.context_ids:
        raise Refused(f"This LMS course ({context_id or 'none named'}) is not linked to this site's course: ask the "
                      "site's administrator to add its context id to the LMS's registration here.")
    try:
        with transaction.atomic():
            LtiNonce.objects.create(issuer=issuer, nonce=nonce)
            identity = _identity(issuer, data["sub"], staff, name=data.get("name", ""), email=data.get("email", ""))
            context = _context(platform, data)
            if context is not None:
                _membership(context, identity, learner=not staff)
    except IntegrityError:  # the same launch posted twice at once: the other one won
        raise Refused("This launch has already been used: open the link from your course again.") from None
    cache.delete(LOGIN_KEY.format(state))
    return Launch(identity.user, staff, context.pk if context else None,
                  _next_url(data, staff), message.is_deep_link_launch(), message)


def _is_staff(roles: list[str]) -> bool | None:
    """True for an instructor or TA (staff here), False for a learner, None for anyone else."""
    if any(marker in role for role in roles for marker in STAFF_ROLES):
        return True
    if any(marker in role for role in roles for marker in LEARNER_ROLES):
        return False
    return None


def _platform_of(data: dict) -> LtiPlatform:
    aud = data["aud"][0] if isinstance(data["aud"], list) else data["aud"]
    return LtiPlatform.objects.get(issuer=data["iss"], client_id=aud)


def _username(issuer: str, subject: str) -> str:
    return "lti-" + hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:16]


def _identity(issuer: str, subject: str, staff: bool, name: str = "", email: str = "",
              follow_role: bool = True) -> ExternalIdentity:
    """The account this (issuer, subject) signs in to, made on first sight, its staff flag
    following the role the LMS gives (a superuser's is left alone; with follow_role False, as
    a roster read does, an existing account's flag is never changed)."""
    from ..forms import plain_name
    from .groups import group_for_new_student

    identity = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is None:
        User = get_user_model()
        user = User(username=_username(issuer, subject), email=email[:254], is_staff=staff)
        user.set_unusable_password()
        user.save()
        display = plain_name(name)[:80] if name else ""
        Profile.objects.create(user=user, display_name=display or "LTI user",
                               leaderboard_alias=f"learner-{secrets.token_hex(4)}",
                               group=None if staff else group_for_new_student(None))
        _ta_group(user, staff)
        return ExternalIdentity.objects.create(issuer=issuer, subject=subject, user=user, email=email[:254],
                                               name=name[:150], last_used_at=timezone.now())
    user = identity.user
    if follow_role and not user.is_superuser and user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
        _ta_group(user, staff)
    return identity


def _ta_group(user, staff: bool) -> None:
    """Staff pages check is_staff; the admin's actions check the TA group's permissions."""
    from .staff_access import grant_ta_permissions

    group = grant_ta_permissions()
    (user.groups.add if staff else user.groups.remove)(group)


def _context(platform: LtiPlatform, data: dict) -> LtiContext | None:
    ctx = data.get(CONTEXT_CLAIM) or {}
    if not ctx.get("id"):
        return None
    ags = data.get(AGS_CLAIM) or {}
    nrps = data.get(NRPS_CLAIM) or {}
    context, _ = LtiContext.objects.update_or_create(
        platform=platform, context_id=str(ctx["id"]),
        defaults={"deployment_id": str(data.get(DEPLOYMENT_CLAIM, "")), "title": str(ctx.get("title", ""))[:255],
                  "lineitems_url": ags.get("lineitems", "") or "", "ags_scopes": list(ags.get("scope", [])),
                  "memberships_url": nrps.get("context_memberships_url", "") or ""})
    return context


def _membership(context: LtiContext, identity: ExternalIdentity, learner: bool) -> None:
    LtiMembership.objects.update_or_create(context=context, identity=identity,
                                           defaults={"learner": learner, "active": True})


def _next_url(data: dict, staff: bool) -> str:
    """Where the launch lands: the task its link names (custom parameter `task`, set by deep
    linking), else the unit, or the TA dashboard for staff."""
    slug = str((data.get(CUSTOM_CLAIM) or {}).get("task", ""))
    task = Assignment.objects.filter(slug=slug).first() if slug else None
    if task is not None:
        return task_url(task)
    return reverse("ta_dashboard") if staff else reverse("home")


def task_url(task: Assignment) -> str:
    if task.kind == Assignment.ESSAYS:
        return reverse("essays")
    if task.kind == Assignment.SYNTHESIS:
        return reverse("home")
    return reverse("assignment_detail", args=[task.slug])


# --- Deep linking -------------------------------------------------------------------


def deep_link_items() -> list[dict]:
    """What an instructor can place in their course: the unit and each task."""
    items = [{"key": "unit", "title": "The (deep learning) Basics: the unit", "task": ""}]
    for task in Assignment.objects.unit_tasks().values():
        items.append({"key": task.slug, "title": task.title, "task": task.slug})
    return items


def deep_link_resources(launch_url: str, keys: list[str]) -> list:
    """The chosen links, each a launch of this tool that lands on its task."""
    from pylti1p3.deep_link_resource import DeepLinkResource

    resources = []
    for item in deep_link_items():
        if item["key"] not in keys:
            continue
        resource = DeepLinkResource().set_url(launch_url).set_title(item["title"])
        if item["task"]:
            resource.set_custom_params({"task": item["task"]})
        resources.append(resource)
    return resources


def restore_launch(request, launch_id: str):
    """The launch a deep-linking page was opened by (kept by pylti1p3 in the cache)."""
    return DjangoMessageLaunch.from_cache(launch_id, request, tool_config(), launch_data_storage=_storage(),
                                          requests_session=_TimedSession())


# --- Roster (Names and Role Provisioning) -------------------------------------------


def sync_roster(context_id: int) -> int:
    """The LMS course's members, as accounts here (learners as students, instructors and TAs
    as staff), each learner in a study group as sign-up would place them. Members the LMS no
    longer lists stop receiving grades. Returns how many members were read."""
    context = LtiContext.objects.select_related("platform").get(pk=context_id)
    if not context.memberships_url or context.context_id not in context.platform.context_ids:
        return 0
    service = NamesRolesProvisioningService(_connector(context.platform),
                                            {"context_memberships_url": context.memberships_url})
    members = service.get_members()
    seen = []
    for member in members:
        staff = _is_staff(member.get("roles", []))
        if staff is None or not member.get("user_id"):
            continue
        with transaction.atomic():
            # A roster makes accounts but never promotes or demotes one: that takes the person's
            # own launch from a linked course.
            identity = _identity(context.platform.issuer, str(member["user_id"]), staff,
                                 name=member.get("name", ""), email=member.get("email", ""), follow_role=False)
            active = member.get("status", "Active") == "Active"
            LtiMembership.objects.update_or_create(context=context, identity=identity,
                                                   defaults={"learner": not staff, "active": active})
        seen.append(identity.pk)
    LtiMembership.objects.filter(context=context).exclude(identity__in=seen).update(active=False)
    LtiContext.objects.filter(pk=context.pk).update(roster_synced_at=timezone.now())
    return len(members)


# --- Grades (Assignment and Grade Services) -----------------------------------------


def _ags(context: LtiContext) -> AssignmentsGradesService:
    return AssignmentsGradesService(_connector(context.platform),
                                    {"scope": context.ags_scopes, "lineitems": context.lineitems_url})


def line_item(context_id: int, assignment_id: int) -> LtiLineItem:
    """The LMS column for one task in one course, made once however often it is asked: ours
    if we have it, else the platform's with our tag (a column made before our row was
    saved), else a new one. The context's row is locked meanwhile so two workers do not
    both make one."""
    with transaction.atomic():
        context = LtiContext.objects.select_for_update().select_related("platform").get(pk=context_id)
        existing = LtiLineItem.objects.filter(context=context, assignment_id=assignment_id).first()
        if existing is not None:
            return existing
        task = Assignment.objects.get(pk=assignment_id)
        wanted = (LineItem().set_tag(f"coursework:{task.slug}").set_resource_id(task.slug).set_label(task.title)
                  .set_score_maximum(100))
        made = _ags(context).find_or_create_lineitem(wanted, find_by="tag")
        return LtiLineItem.objects.create(context=context, assignment=task, url=made.get_id())


def _can_pass_back(context: LtiContext) -> bool:
    return bool(context.lineitems_url) and AGS_SCORE in context.ags_scopes and (
        AGS_LINEITEM in context.ags_scopes)


def figure(kind: str, task: Assignment, row: dict) -> tuple[float, float] | None:
    """(score given, score maximum) as the gradebook shows them for this task, or None while
    there is no grade that counts yet (a notebook's, until the private half is revealed)."""
    if kind == Assignment.NOTEBOOK:
        given = row.get("notebook_score")
        return (float(given), 1.0) if task.private_revealed and given not in ("", None) else None
    prefix = "essays" if kind == Assignment.ESSAYS else "synthesis"
    given, maximum = row.get(f"{prefix}_score"), row.get(f"{prefix}_max")
    if isinstance(given, (int, float)) and isinstance(maximum, (int, float)) and maximum > 0:
        return float(given), float(maximum)
    return None


def sync_grades() -> list[int]:
    """Beat: bring every learner's wanted score in line with the gradebook; returns the ids
    of the rows now due to be sent (new or changed figures, retries whose pause is over,
    sends whose worker went silent)."""
    from . import gradebook, publishing

    tasks = {kind: task for kind, task in Assignment.objects.unit_tasks().items() if kind in GRADED_KINDS}
    contexts = [c for c in LtiContext.objects.select_related("platform")
                if _can_pass_back(c) and c.context_id in c.platform.context_ids]
    for context in contexts:
        members = list(LtiMembership.objects.filter(context=context, learner=True, active=True)
                       .select_related("identity"))
        if not members:
            continue
        rows = gradebook.rows_for([m.identity.user_id for m in members])
        for kind, task in tasks.items():
            # The gradebook is staff's and counts reviews a TA has not published yet; the
            # LMS shows its column to the student, so a task with held work waits for them.
            waiting = set(publishing.held_reviews(task).filter(
                student__in=[m.identity.user_id for m in members]).values_list("student_id", flat=True))
            wanted = {m.identity_id: figure(kind, task, rows.get(m.identity.user_id, {}))
                      for m in members if m.identity.user_id not in waiting}
            # A notebook figure the LMS holds that no longer counts (the only counted run's flag
            # upheld) is cleared there, or its column would go on showing a grade this site
            # withdrew; not while a run is being graded (a regrade). Essays and answers keep the
            # last figure sent: a new version or a requested one waiting for its review is the
            # student's doing, and clearing would blank their grade until a TA gets to it.
            to_clear = set()
            if kind == Assignment.NOTEBOOK:
                grading = set(Submission.objects.filter(assignment=task, status__in=PENDING).values_list(
                    "student_id", flat=True))
                being_graded = {m.identity_id for m in members if m.identity.user_id in grading}
                to_clear = set(LtiScore.objects.filter(line_item__context=context, line_item__assignment=task)
                               .exclude(sent_given=None).exclude(identity_id__in=being_graded)
                               .values_list("identity_id", flat=True))
            if not any(wanted.values()) and not to_clear:
                continue
            item = line_item(context.pk, task.pk)
            for identity_id, value in wanted.items():
                if value is not None:
                    _want(item, identity_id, *value)
                elif identity_id in to_clear:
                    _want(item, identity_id, None, None)
    # A used nonce need be kept only while its id_token could still pass the expiry check.
    LtiNonce.objects.filter(used_at__lt=timezone.now() - timedelta(days=1)).delete()
    stale = timezone.now() - timedelta(seconds=settings.LTI_SCORE_STALE_S)
    LtiScore.objects.filter(status=LtiScore.SENDING, claimed_at__lt=stale).update(status=LtiScore.PENDING)
    return list(LtiScore.objects.filter(status=LtiScore.PENDING, next_try_at__lte=timezone.now())
                .values_list("pk", flat=True)[:1000])


def _want(item: LtiLineItem, identity_id: int, given: float | None, maximum: float | None) -> None:
    """The figure the LMS should hold; given None: none (the maximum stays as it was)."""
    if given is None:
        maximum = LtiScore.objects.filter(line_item=item, identity_id=identity_id).values_list(
            "wanted_maximum", flat=True).first()
        if maximum is None:
            return
    same = Q(wanted_given=given) & Q(wanted_maximum=maximum)
    score, made = LtiScore.objects.get_or_create(
        line_item=item, identity_id=identity_id, defaults={"wanted_given": given, "wanted_maximum": maximum})
    if made:
        return
    # A new figure resets the tries; the same figure leaves the row as it is. A row being
    # sent keeps its status: the send, when it ends, sees the figure moved and leaves it due.
    changed = LtiScore.objects.filter(pk=score.pk).exclude(same)
    fields = {"wanted_given": given, "wanted_maximum": maximum, "wanted_at": timezone.now()}
    changed.exclude(status=LtiScore.SENDING).update(**fields, attempts=0, next_try_at=timezone.now(), last_error="",
                                                   status=LtiScore.PENDING)
    changed.filter(status=LtiScore.SENDING).update(**fields)


def claim_score(score_id: int) -> bool:
    return bool(LtiScore.objects.filter(pk=score_id, status=LtiScore.PENDING, next_try_at__lte=timezone.now())
                .update(status=LtiScore.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1))


# Worth another try: the platform unreachable, slow, or answering 5xx / 429.
def _transient(exc: Exception) -> bool:
    if isinstance(exc, LtiServiceException):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return isinstance(exc, requests.RequestException)


TRIED_AGAIN_LATER = "failed this time; tried again later"


def push_score(score_id: int) -> str:
    """Send one learner's score to the LMS, if it is due and not already there."""
    if not claim_score(score_id):
        return "not claimed (sent, being sent, or waiting for its retry)"
    score = LtiScore.objects.select_related("line_item__context__platform", "identity").get(pk=score_id)
    given, maximum, at = score.wanted_given, score.wanted_maximum, score.wanted_at
    if score.sent_given == given and (given is None or score.sent_maximum == maximum):
        _finish(score, given, maximum, sent_now=False)  # there already, or nothing there to clear
        return "already sent"
    context = score.line_item.context
    if not (_can_pass_back(context) and context.context_id in context.platform.context_ids):
        # The registration no longer lists this LMS course (or its grade service went): never
        # sent there; the row says why, and a later change of the figure, once listed, sends it.
        LtiScore.objects.filter(pk=score.pk, status=LtiScore.SENDING).update(
            status=LtiScore.FAILED, last_error="This LMS course is no longer one the course is taught in.")
        return "not sent: course not listed"
    grade = Grade().set_user_id(score.identity.subject).set_timestamp(at.isoformat()).set_activity_progress("Completed")
    if given is None:
        # AGS: a score without scoreGiven clears the one the platform holds; NotReady says no
        # grade stands (the work is still in, so the activity stays completed).
        grade.set_grading_progress("NotReady")
    else:
        grade.set_score_given(given).set_score_maximum(maximum).set_grading_progress("FullyGraded")
    try:
        _ags(score.line_item.context).put_grade(grade, LineItem({"id": score.line_item.url}))
    except Exception as exc:
        transient = _transient(exc)
        give_up = not transient or score.attempts >= settings.LTI_SCORE_MAX_ATTEMPTS
        pause = min(3600, settings.LTI_SCORE_RETRY_S * 2 ** (score.attempts - 1))
        LtiScore.objects.filter(pk=score.pk, status=LtiScore.SENDING).update(
            status=LtiScore.FAILED if give_up else LtiScore.PENDING, last_error=str(exc)[:2000],
            next_try_at=timezone.now() + timedelta(seconds=pause))
        (log.error if give_up else log.warning)("LTI score %s not sent: %s", score.pk, exc)
        return "gave up" if give_up else TRIED_AGAIN_LATER
    _finish(score, given, maximum, sent_now=True)
    return "sent"


def _finish(score: LtiScore, given: float, maximum: float, sent_now: bool) -> None:
    fields = {"sent_given": given, "sent_maximum": maximum, "last_error": "", "attempts": 0}
    if sent_now:
        fields["sent_at"] = timezone.now()
    still = Q(wanted_given=given) & Q(wanted_maximum=maximum)
    # A figure that changed while this one was on its way is left pending for the next send.
    LtiScore.objects.filter(still, pk=score.pk, status=LtiScore.SENDING).update(status=LtiScore.SENT, **fields)
    LtiScore.objects.filter(~still, pk=score.pk, status=LtiScore.SENDING).update(status=LtiScore.PENDING, **fields)
