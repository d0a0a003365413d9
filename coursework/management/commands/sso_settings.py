"""Print the single sign-on settings for a provider, read from its discovery document.

    python manage.py sso_settings https://idp.example.edu/realms/uni

prints OIDC_OP_ISSUER and the four endpoints as environment lines to paste into the site's
environment beside OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET (docs/operations.md, "Single
sign-on"). It checks that the document names the issuer it was asked about, as a client must.
"""
import requests
from django.core.management.base import BaseCommand, CommandError

FIELDS = {"OIDC_OP_ISSUER": "issuer", "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
          "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint", "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
          "OIDC_OP_JWKS_ENDPOINT": "jwks_uri"}


class Command(BaseCommand):
    help = "Print the OIDC_OP_* settings for an OpenID Connect provider, from its discovery document."

    def add_arguments(self, parser):
        parser.add_argument("issuer")

    def handle(self, issuer, **options):
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise CommandError(f"could not read {url}: {error}") from None
        if document.get("issuer") != issuer:
            # OpenID Connect Discovery 4.3: a document naming another issuer must not be used.
            raise CommandError(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}: use its exact "
                               "spelling (a trailing slash counts).")
        missing = [field for field in FIELDS.values() if not document.get(field)]
        if missing:
            raise CommandError(f"{url} does not name its {', '.join(missing)}.")
        for name, field in FIELDS.items():
            self.stdout.write(f"{name}={document[field]}")
        algorithms = document.get("id_token_signing_alg_values_supported") or []
        if "RS256" not in algorithms:
            self.stdout.write(f"# RS256 not offered; set OIDC_RP_SIGN_ALGO to one of {', '.join(algorithms)}")
