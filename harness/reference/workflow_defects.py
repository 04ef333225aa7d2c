"""Named defects of the workflow family: each violates exactly one rule (WFL-1..WFL-8).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`: the family module checks `NAME in self.defects`, and
`harness.reference.defects` builds the registry from each module's `DEFECTS`.
"""

from harness.reference.defect import Defect

FAMILY = "workflow"

COMPLETED_WITHOUT_SECRET = "wfl-completed-without-secret-code"
NO_ORDER = "wfl-no-order"
ORDER_SKIPPED_AFTER_RESET = "wfl-order-skipped-after-reset"
PHONE_SMS_ONLY = "wfl-phone-sms-only"
SECRET_SMS_ONLY = "wfl-secret-code-sms-only"
RESET_CLEARS_ALL = "wfl-reset-clears-all"
EMAIL_RESET_EMAIL_ONLY = "wfl-email-reset-email-only"
NO_LOCKOUT = "wfl-no-lockout"
LOCK_AFTER_SIX = "wfl-lock-after-six"
OTP_REUSABLE = "wfl-otp-reusable"
JWT_LONG_EXP = "wfl-jwt-long-exp"
OP_JWT_REUSABLE = "wfl-operation-jwt-reusable"
OP_JWT_NEVER_EXPIRES = "wfl-operation-jwt-never-expires"
OP_TYPE_UNCHECKED = "wfl-operation-type-unchecked"
SESSION_JWT_FOR_OPS = "wfl-session-jwt-authorizes-operations"
WHOLE_HISTORY = "wfl-whole-history-without-sca"
NO_RENEWAL = "wfl-no-sca-renewal"
RENEWAL_EARLY = "wfl-renewal-one-day-early"
SESSION_JWT_IGNORED = "wfl-session-jwt-ignored"
AMOUNT_UNBOUND = "wfl-transfer-amount-unbound"
IBAN_UNBOUND = "wfl-transfer-iban-unbound"
OLD_TRANSACTIONS_EMPTY = "wfl-old-transactions-empty"

DEFECTS = (
    Defect(
        COMPLETED_WITHOUT_SECRET,
        "WFL-1",
        FAMILY,
        "status reports workflow_completed true once email and phone are validated, secret code pending",
    ),
    Defect(
        NO_ORDER,
        "WFL-2",
        FAMILY,
        "the order is not enforced: phone (or secret code) validates before its predecessor, no 409",
    ),
    Defect(
        ORDER_SKIPPED_AFTER_RESET,
        "WFL-2",
        FAMILY,
        "the order is enforced only until a source was first validated: after a reset it is skipped",
    ),
    Defect(PHONE_SMS_ONLY, "WFL-3", FAMILY, "the phone number is validated by the by_sms OTP alone"),
    Defect(SECRET_SMS_ONLY, "WFL-3", FAMILY, "the secret code is validated by the by_sms OTP alone"),
    Defect(RESET_CLEARS_ALL, "WFL-4", FAMILY, "resetting one source un-validates all three sources"),
    Defect(
        EMAIL_RESET_EMAIL_ONLY,
        "WFL-4",
        FAMILY,
        "after an email reset with the phone validated, by_email alone re-validates the email",
    ),
    Defect(NO_LOCKOUT, "WFL-5", FAMILY, "secret_code/verify never locks after consecutive failures"),
    Defect(LOCK_AFTER_SIX, "WFL-5", FAMILY, "secret_code/verify locks after 6 consecutive failures, not 5"),
    Defect(OTP_REUSABLE, "WFL-5", FAMILY, "a verified OTP verifies again (Art. 4(1) violated)"),
    Defect(JWT_LONG_EXP, "WFL-5", FAMILY, "the JWT's exp claim is iat + 1 day instead of iat + 5 minutes"),
    Defect(OP_JWT_REUSABLE, "WFL-6", FAMILY, "an operation JWT serves any number of operations"),
    Defect(OP_JWT_NEVER_EXPIRES, "WFL-6", FAMILY, "an operation JWT is accepted after its exp"),
    Defect(
        OP_TYPE_UNCHECKED, "WFL-6", FAMILY, "an operation JWT issued for one operation type is accepted for another"
    ),
    Defect(
        SESSION_JWT_FOR_OPS,
        "WFL-6",
        FAMILY,
        "a session JWT (no operation) is accepted for beneficiaries, personal data and transfers",
    ),
    Defect(
        WHOLE_HISTORY,
        "WFL-7",
        FAMILY,
        "transactions older than 90 days are served on password login alone (the source's wording)",
    ),
    Defect(NO_RENEWAL, "WFL-7", FAMILY, "balance and recent transactions are served after 180 days without SCA"),
    Defect(
        RENEWAL_EARLY, "WFL-7", FAMILY, "SCA renewal is demanded one day before 180 days (inside the exemption window)"
    ),
    Defect(
        SESSION_JWT_IGNORED,
        "WFL-7",
        FAMILY,
        "a valid session JWT in X-SCA-Token does not unlock older transactions or access after 180 days",
    ),
    Defect(AMOUNT_UNBOUND, "WFL-8", FAMILY, "a transfer JWT is accepted for another amount"),
    Defect(IBAN_UNBOUND, "WFL-8", FAMILY, "a transfer JWT is accepted for another payee IBAN"),
    Defect(
        OLD_TRANSACTIONS_EMPTY,
        "WFL-7",
        FAMILY,
        "with a session JWT, transactions older than 90 days answer 2xx with an empty list",
    ),
)
