"""Named defects of the dedicated family: each violates exactly one rule (DED-1..DED-7).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`; the family module checks `NAME in self.defects`.
"""

from harness.reference.defects import defect

FAMILY = "dedicated"

ANY_REDIRECT_URI = defect(
    "ded-authorize-any-redirect-uri",
    "DED-1",
    FAMILY,
    "authorize accepts a redirect_uri the TPP never registered (and the consent redirects there)",
)
IGNORES_SECRET = defect(
    "ded-authorize-ignores-secret",
    "DED-1",
    FAMILY,
    "authorize answers a redirectUrl for a wrong TPP secret",
)
UNKNOWN_SCOPE = defect(
    "ded-authorize-unknown-scope",
    "DED-1",
    FAMILY,
    "authorize accepts unknown scope names (silently dropped) instead of refusing them",
)
CODE_REUSABLE = defect(
    "ded-code-reusable",
    "DED-2",
    FAMILY,
    "an access code can be exchanged again after it was used",
)
CODE_WRONG_ERROR = defect(
    "ded-code-wrong-error",
    "DED-2",
    FAMILY,
    'an invalid or used access code answers 400 {"error": "invalid_grant"} instead of the 404 message',
)
BALANCE_WITHOUT_SCOPE = defect(
    "ded-balance-without-scope",
    "DED-3",
    FAMILY,
    "the balance is served to a token without the account.balance scope",
)
EMPTY_ACCOUNT_LIST = defect(
    "ded-empty-account-list",
    "DED-3",
    FAMILY,
    "a token with the account.list scope gets an empty account list (200, no accounts)",
)
SCOPE_AS_REQUESTED = defect(
    "ded-scope-as-requested",
    "DED-3",
    FAMILY,
    "the token gets every scope the TPP asked for, not the subset the PSU approved",
)
REVOKE_IGNORED = defect(
    "ded-revoke-ignored",
    "DED-4",
    FAMILY,
    "revoke answers success but the token keeps reading data",
)
REVOKE_TWICE_SUCCESS = defect(
    "ded-revoke-twice-success",
    "DED-4",
    FAMILY,
    "revoking an already revoked token answers success instead of failure",
)
FOREIGN_ACCOUNT = defect(
    "ded-foreign-account",
    "DED-5",
    FAMILY,
    "account details and balance are served for accounts of another PSU",
)
TEN_YEAR_TOKEN = defect(
    "ded-ten-year-token",
    "DED-6",
    FAMILY,
    "expiresIn is the source's 315,360,000 s (ten years) and the token is honoured that long",
)
EXPIRY_NOT_ENFORCED = defect(
    "ded-expiry-not-enforced",
    "DED-6",
    FAMILY,
    "expiresIn is announced correctly but the token is still accepted after it elapsed",
)
TOKEN_WITHOUT_SECRET = defect(
    "ded-token-without-secret",
    "DED-7",
    FAMILY,
    "the token endpoint exchanges a code sent without the TPP's secret",
)
