"""Named defects of the dedicated family: each violates exactly one rule (DED-1..DED-7).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`: the family module checks `NAME in self.defects`, and
`harness.reference.defects` builds the registry from each module's `DEFECTS`.
"""

from harness.reference.defect import Defect

FAMILY = "dedicated"

ANY_REDIRECT_URI = "ded-authorize-any-redirect-uri"
IGNORES_SECRET = "ded-authorize-ignores-secret"
UNKNOWN_SCOPE = "ded-authorize-unknown-scope"
CODE_REUSABLE = "ded-code-reusable"
CODE_WRONG_ERROR = "ded-code-wrong-error"
BALANCE_WITHOUT_SCOPE = "ded-balance-without-scope"
EMPTY_ACCOUNT_LIST = "ded-empty-account-list"
SCOPE_AS_REQUESTED = "ded-scope-as-requested"
REVOKE_IGNORED = "ded-revoke-ignored"
REVOKE_TWICE_SUCCESS = "ded-revoke-twice-success"
FOREIGN_ACCOUNT = "ded-foreign-account"
TEN_YEAR_TOKEN = "ded-ten-year-token"
EXPIRY_NOT_ENFORCED = "ded-expiry-not-enforced"
TOKEN_WITHOUT_SECRET = "ded-token-without-secret"

DEFECTS = (
    Defect(
        ANY_REDIRECT_URI,
        "DED-1",
        FAMILY,
        "authorize accepts a redirect_uri the TPP never registered (and the consent redirects there)",
    ),
    Defect(IGNORES_SECRET, "DED-1", FAMILY, "authorize answers a redirectUrl for a wrong TPP secret"),
    Defect(
        UNKNOWN_SCOPE,
        "DED-1",
        FAMILY,
        "authorize accepts unknown scope names (silently dropped) instead of refusing them",
    ),
    Defect(CODE_REUSABLE, "DED-2", FAMILY, "an access code can be exchanged again after it was used"),
    Defect(
        CODE_WRONG_ERROR,
        "DED-2",
        FAMILY,
        'an invalid or used access code answers 400 {"error": "invalid_grant"} instead of the 404 message',
    ),
    Defect(
        BALANCE_WITHOUT_SCOPE, "DED-3", FAMILY, "the balance is served to a token without the account.balance scope"
    ),
    Defect(
        EMPTY_ACCOUNT_LIST,
        "DED-3",
        FAMILY,
        "a token with the account.list scope gets an empty account list (200, no accounts)",
    ),
    Defect(
        SCOPE_AS_REQUESTED,
        "DED-3",
        FAMILY,
        "the token gets every scope the TPP asked for, not the subset the PSU approved",
    ),
    Defect(REVOKE_IGNORED, "DED-4", FAMILY, "revoke answers success but the token keeps reading data"),
    Defect(
        REVOKE_TWICE_SUCCESS, "DED-4", FAMILY, "revoking an already revoked token answers success instead of failure"
    ),
    Defect(FOREIGN_ACCOUNT, "DED-5", FAMILY, "account details and balance are served for accounts of another PSU"),
    Defect(
        TEN_YEAR_TOKEN,
        "DED-6",
        FAMILY,
        "expiresIn is the source's 315,360,000 s (ten years) and the token is honoured that long",
    ),
    Defect(
        EXPIRY_NOT_ENFORCED,
        "DED-6",
        FAMILY,
        "expiresIn is announced correctly but the token is still accepted after it elapsed",
    ),
    Defect(TOKEN_WITHOUT_SECRET, "DED-7", FAMILY, "the token endpoint exchanges a code sent without the TPP's secret"),
)
