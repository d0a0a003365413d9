"""Single sign-on with an OpenID Connect provider: who a provider's answer is, and whose account that is here.

mozilla-django-oidc does the protocol's steps (state, nonce and PKCE in the session, the code
exchanged for tokens, the provider's signing keys fetched and the signature checked). It leaves
the ID token's issuer and audience unchecked, and matches accounts by e-mail; `Provider` adds the
checks and this module links accounts only by the provider's issuer and subject
(`ExternalIdentity`). An e-mail address is never enough to enter an account: a local account
whose address a provider's answer carries is refused, and its owner links it from their settings.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify

from ..models import ExternalIdentity, Profile
from .groups import chooses_at_signup, group_for_new_student
from .notifications import one_line

log = logging.getLogger(__name__)


class Refused(Exception):
    """A sign-in that must not go on; its text is shown to the person, so it says what to do."""


class NeedsJoinCode(Exception):
    """A first sign-in where the course asks for its join code before making an account."""


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, once its answer has passed every check."""

    issuer: str
    subject: str
    email: str
    name: str
    preferred_username: str


class Provider(OIDCAuthenticationBackend):
    """The library's protocol steps, with the ID token's claims checked in full."""

    def _verify_jws(self, payload, key):
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:  # never "none", never the secret as an HMAC key
            raise Refused("The provider signed its answer with an algorithm this site does not accept.")
        try:
            claims = jwt.decode(payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO], audience=self.OIDC_RP_CLIENT_ID,
                                issuer=settings.OIDC_OP_ISSUER, leeway=60,
                                options={"require": ["iss", "aud", "exp", "iat", "sub"]})
        except jwt.InvalidAudienceError:
            raise Refused("The provider's answer was meant for another site (its audience is not this one).") from None
        except jwt.InvalidIssuerError:
            raise Refused("The answer did not come from the provider this site trusts (wrong issuer).") from None
        except jwt.ExpiredSignatureError:
            raise Refused("The provider's answer had expired. Try again.") from None
        except jwt.InvalidSignatureError:
            raise Refused("The provider's answer was not signed by the provider (bad signature).") from None
        except jwt.InvalidTokenError as error:
            raise Refused(f"The provider's answer could not be checked ({error}).") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            # OpenID Connect Core 3.1.3.7: a token for several parties names the one it was issued to.
            raise Refused("The provider's answer was meant for another site (its authorized party is not this one).")
        return claims

    def verify_token(self, token, **kwargs):
        try:
            return super().verify_token(token, **kwargs)
        except SuspiciousOperation as error:  # the nonce, or no key of the provider's that matches
            if "Nonce" in str(error):
                raise Refused("The provider's answer was not for this sign-in (its nonce does not match).") from None
            raise Refused(f"The provider's answer could not be checked ({error}).") from None


def identify(request, code: str, nonce: str, code_verifier: str | None) -> Identity:
    """Exchange the provider's code for tokens and check them; raise Refused on anything amiss."""
    provider = Provider()
    provider.request = request
    payload = {"client_id": settings.OIDC_RP_CLIENT_ID, "client_secret": settings.OIDC_RP_CLIENT_SECRET,
               "grant_type": "authorization_code", "code": code,
               "redirect_uri": absolutify(request, reverse("sso_callback"))}
    if code_verifier is not None:
        payload["code_verifier"] = code_verifier
    try:
        tokens = provider.get_token(payload)
        claims = provider.verify_token(tokens["id_token"], nonce=nonce)
        info = provider.get_userinfo(tokens["access_token"], tokens["id_token"], claims)
    except requests.RequestException as error:
        log.warning("single sign-on: the provider did not answer: %s", error)
        raise Refused("The sign-in provider did not answer as expected. Try again in a minute.") from None
    except (KeyError, ValueError, TypeError) as error:
        log.warning("single sign-on: a malformed answer from the provider: %r", error)
        raise Refused("The sign-in provider's answer could not be read.") from None
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        # OpenID Connect Core 5.3.2: user info about someone else must not be used.
        raise Refused("The provider's details about you were about someone else.")
    email = kept_email(info, claims)
    return Identity(issuer=claims["iss"], subject=str(claims["sub"]), email=email,
                    name=one_line(str(info.get("name") or claims.get("name") or ""))[:150],
                    preferred_username=str(info.get("preferred_username") or claims.get("preferred_username") or ""))


def kept_email(info: dict, claims: dict) -> str:
    """The address to keep from the provider's answer, or "": only one it says it checked
    (an unchecked one may be anyone's; some providers send "false" as a string), and only a
    well-formed one (it goes into notification e-mails' headers)."""
    email = str(info.get("email") or claims.get("email") or "")[:254]
    verified = info.get("email_verified", claims.get("email_verified"))
    if verified is False or str(verified).lower() == "false":
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def sign_in(identity: Identity, *, join_code_given: bool = False, _retried: bool = False) -> tuple[User, bool]:
    """The account this identity is linked to, or a new student in the course on its first
    sign-in, once the course's join code was given (settings.SSO_JOIN_CODE_REQUIRED): a
    provider serving a whole university would otherwise let anyone there in. Returns
    (user, created); raises NeedsJoinCode (nothing stored) or Refused."""
    linked = _linked(identity)
    if linked is not None:
        return linked, False
    # Before the join code is asked for: a student told only afterwards that the address is
    # taken would have typed it for nothing.
    if identity.email and User.objects.filter(email__iexact=identity.email).exists():
        raise Refused("An account here already uses the e-mail address your provider gave, and an e-mail address "
                      "alone never opens an account. If it is yours, log in with its password and link your "
                      "provider account from Your settings.")
    if settings.SSO_JOIN_CODE_REQUIRED and not join_code_given:
        raise NeedsJoinCode()
    try:
        with transaction.atomic():  # the user, the profile, its group and the link together
            user = User.objects.create_user(_free_username(identity), email=identity.email)  # no usable password
            Profile.objects.create(user=user, display_name=(identity.name or user.username)[:80],
                                   leaderboard_alias=_free_alias(user), group=group_for_new_student(None))
            ExternalIdentity.objects.create(issuer=identity.issuer, subject=identity.subject, user=user,
                                            email=identity.email, name=identity.name, last_used_at=timezone.now())
    except IntegrityError:
        # The same person's first sign-in in two tabs at once: the other one made the account.
        # (Or two people given the same free username at once: the next try finds another.)
        linked = _linked(identity)
        if linked is None:
            if _retried:
                raise
            return sign_in(identity, join_code_given=join_code_given, _retried=True)
        return linked, False
    log.info("single sign-on: new student %s for %s at %s", user.pk, identity.subject, identity.issuer)
    return user, True


def waiting(identity: Identity) -> dict:
    """What the session keeps of a first sign-in while the join code is asked for."""
    return {**dataclasses.asdict(identity), "since": time.time()}


def from_waiting(kept) -> Identity | None:
    """The identity a session kept for its join code, or None when there is none or it waited
    longer than settings.SSO_JOIN_WAIT_S (the provider's answer is then too old to trust)."""
    if not isinstance(kept, dict) or not isinstance(kept.get("since"), (int, float)):
        return None
    if not 0 <= time.time() - kept["since"] <= settings.SSO_JOIN_WAIT_S:
        return None
    try:
        return Identity(**{field.name: str(kept[field.name]) for field in dataclasses.fields(Identity)})
    except KeyError:
        return None


def link(user: User, identity: Identity) -> ExternalIdentity:
    """Link this identity to `user`, who is signed in here with their password."""
    with transaction.atomic():
        found = ExternalIdentity.objects.select_for_update().filter(
            issuer=identity.issuer, subject=identity.subject).first()
        if found is not None and found.user_id != user.pk:
            raise Refused("That provider account is linked to another account here already.")
        if found is None and user.external_identities.filter(issuer=identity.issuer).exists():
            raise Refused("Your account is linked to another account at this provider already.")
        if found is None:
            found = ExternalIdentity(issuer=identity.issuer, subject=identity.subject, user=user)
        found.email, found.name, found.last_used_at = identity.email, identity.name, timezone.now()
        found.save()
    return found


def identities(user) -> list[ExternalIdentity]:
    return list(user.external_identities.all())


def _linked(identity: Identity) -> User | None:
    found = ExternalIdentity.objects.select_related("user").filter(
        issuer=identity.issuer, subject=identity.subject).first()
    if found is None:
        return None
    if not found.user.is_active:
        raise Refused("This account is closed. Ask your TA.")
    ExternalIdentity.objects.filter(pk=found.pk).update(email=identity.email, name=identity.name,
                                                        last_used_at=timezone.now())
    return found.user


def _free_username(identity: Identity) -> str:
    base = re.sub(r"[^\w.@+-]", "", identity.preferred_username or identity.email.split("@")[0])[:140] or "student"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _free_alias(user: User) -> str:
    alias, n = f"student-{user.pk}", 1
    while Profile.objects.filter(leaderboard_alias__iexact=alias).exists():
        n += 1
        alias = f"student-{user.pk}-{n}"
    return alias


def needs_group(user) -> bool:
    """A student made by single sign-on in a course where students pick their group, before they have."""
    profile = getattr(user, "profile", None)
    return profile is not None and profile.group_id is None and not user.is_staff and chooses_at_signup()


def join_group(user, group) -> bool:
    """Put the student in `group` if they are in none yet (the page is not a way to change groups)."""
    return bool(Profile.objects.filter(user=user, group__isnull=True).update(group=group))
