"""Named defects of the workflow family: each violates exactly one rule (WFL-1..WFL-8).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`; the family module checks `NAME in self.defects`.
"""

from harness.reference.defects import defect

FAMILY = "workflow"

COMPLETED_WITHOUT_SECRET = defect(
    "wfl-completed-without-secret-code",
    "WFL-1",
    FAMILY,
    "status reports workflow_completed true once email and phone are validated, secret code pending",
)
NO_ORDER = defect(
    "wfl-no-order",
    "WFL-2",
    FAMILY,
    "the order is not enforced: phone (or secret code) validates before its predecessor, no 409",
)
ORDER_SKIPPED_AFTER_RESET = defect(
    "wfl-order-skipped-after-reset",
    "WFL-2",
    FAMILY,
    "the order is enforced only until a source was first validated: after a reset it is skipped",
)
PHONE_SMS_ONLY = defect("wfl-phone-sms-only", "WFL-3", FAMILY, "the phone number is validated by the by_sms OTP alone")
SECRET_SMS_ONLY = defect(
    "wfl-secret-code-sms-only", "WFL-3", FAMILY, "the secret code is validated by the by_sms OTP alone"
)
RESET_CLEARS_ALL = defect(
    "wfl-reset-clears-all", "WFL-4", FAMILY, "resetting one source un-validates all three sources"
)
EMAIL_RESET_EMAIL_ONLY = defect(
    "wfl-email-reset-email-only",
    "WFL-4",
    FAMILY,
    "after an email reset with the phone validated, by_email alone re-validates the email",
)
NO_LOCKOUT = defect("wfl-no-lockout", "WFL-5", FAMILY, "secret_code/verify never locks after consecutive failures")
LOCK_AFTER_SIX = defect(
    "wfl-lock-after-six", "WFL-5", FAMILY, "secret_code/verify locks after 6 consecutive failures, not 5"
)
OTP_REUSABLE = defect("wfl-otp-reusable", "WFL-5", FAMILY, "a verified OTP verifies again (Art. 4(1) violated)")
JWT_LONG_EXP = defect(
    "wfl-jwt-long-exp", "WFL-5", FAMILY, "the JWT's exp claim is iat + 1 day instead of iat + 5 minutes"
)
OP_JWT_REUSABLE = defect(
    "wfl-operation-jwt-reusable", "WFL-6", FAMILY, "an operation JWT serves any number of operations"
)
OP_JWT_NEVER_EXPIRES = defect(
    "wfl-operation-jwt-never-expires", "WFL-6", FAMILY, "an operation JWT is accepted after its exp"
)
OP_TYPE_UNCHECKED = defect(
    "wfl-operation-type-unchecked",
    "WFL-6",
    FAMILY,
    "an operation JWT issued for one operation type is accepted for another",
)
SESSION_JWT_FOR_OPS = defect(
    "wfl-session-jwt-authorizes-operations",
    "WFL-6",
    FAMILY,
    "a session JWT (no operation) is accepted for beneficiaries, personal data and transfers",
)
WHOLE_HISTORY = defect(
    "wfl-whole-history-without-sca",
    "WFL-7",
    FAMILY,
    "transactions older than 90 days are served on password login alone (the source's wording)",
)
NO_RENEWAL = defect(
    "wfl-no-sca-renewal", "WFL-7", FAMILY, "balance and recent transactions are served after 180 days without SCA"
)
RENEWAL_EARLY = defect(
    "wfl-renewal-one-day-early",
    "WFL-7",
    FAMILY,
    "SCA renewal is demanded one day before 180 days (inside the exemption window)",
)
SESSION_JWT_IGNORED = defect(
    "wfl-session-jwt-ignored",
    "WFL-7",
    FAMILY,
    "a valid session JWT in X-SCA-Token does not unlock older transactions or access after 180 days",
)
AMOUNT_UNBOUND = defect("wfl-transfer-amount-unbound", "WFL-8", FAMILY, "a transfer JWT is accepted for another amount")
IBAN_UNBOUND = defect("wfl-transfer-iban-unbound", "WFL-8", FAMILY, "a transfer JWT is accepted for another payee IBAN")
OLD_TRANSACTIONS_EMPTY = defect(
    "wfl-old-transactions-empty",
    "WFL-7",
    FAMILY,
    "with a session JWT, transactions older than 90 days answer 2xx with an empty list",
)
