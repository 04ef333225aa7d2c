"""Named defects of the stepup family: each violates exactly one rule (STP-1..STP-10).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`; the family module checks `NAME in self.defects`.
"""

from harness.reference.defects import defect

FAMILY = "stepup"

NO_API_KEY_CHECK = defect(
    "stp-no-api-key-check", "STP-1", FAMILY, "requests without (or with an unknown) api-key are served"
)
LOGOUT_KEEPS_TOKEN = defect(
    "stp-logout-keeps-token", "STP-1", FAMILY, "logout answers 204 but the auth token keeps working"
)
NO_RESEND_THROTTLE = defect(
    "stp-no-resend-throttle", "STP-2", FAMILY, "a challenge less than 15 s after the previous one is accepted"
)
THROTTLED_COUNTS = defect(
    "stp-throttled-request-counts",
    "STP-2",
    FAMILY,
    "a challenge refused with RETRY_IN_15SEC still counts as the session's retry",
)
UNLIMITED_RETRIES = defect(
    "stp-unlimited-retries", "STP-3", FAMILY, "a third (and any further) challenge in one login session is accepted"
)
TRANSFER_SHARES_COUNT = defect(
    "stp-transfer-challenges-share-count",
    "STP-3",
    FAMILY,
    "wire-transfer challenges count towards the session's step-up challenge limit",
)
OLD_OTP_VALID = defect("stp-old-otp-still-valid", "STP-4", FAMILY, "after a retry the earlier OTP still verifies")
WRONG_CODE_STEPS_UP = defect(
    "stp-wrong-code-steps-up", "STP-5", FAMILY, "a wrong code answers 409 but steps up the token anyway"
)
WRONG_CODE_ENDS_SESSION = defect(
    "stp-wrong-code-ends-session", "STP-5", FAMILY, "a wrong code invalidates the auth token (401 afterwards)"
)
STATEMENT_WITHOUT_STEPUP = defect(
    "stp-statement-without-stepup", "STP-6", FAMILY, "the statement is served to a token that was not stepped up"
)
EMPTY_STATEMENT = defect(
    "stp-empty-statement", "STP-6", FAMILY, "a stepped-up token gets the statement with no entries (200, empty list)"
)
SESSION_NEVER_IDLES = defect("stp-session-never-idles", "STP-7", FAMILY, "the auth token never expires for inactivity")
IDLE_NOT_REFRESHED = defect(
    "stp-idle-not-refreshed",
    "STP-7",
    FAMILY,
    "activity does not restart the idle count: the token dies 5 min after login",
)
IDLE_EXPIRES_EARLY = defect(
    "stp-idle-expires-early", "STP-7", FAMILY, "the token expires 2 s early (refused at 4 min 59 s idle)"
)
TRANSFER_OTP_STEPS_UP = defect(
    "stp-transfer-otp-steps-up", "STP-8", FAMILY, "verifying a wire-transfer OTP also steps up the token"
)
UNENROLLED_ACCEPTED = defect(
    "stp-unenrolled-channel-accepted",
    "STP-9",
    FAMILY,
    "a challenge on a channel the user has not enrolled (AUTHY) answers 204",
)
NO_ATTEMPT_LIMIT = defect(
    "stp-no-attempt-limit", "STP-9", FAMILY, "wrong codes never void the challenge; the right code still works"
)
ATTEMPT_LIMIT_OFF_BY_ONE = defect(
    "stp-attempt-limit-off-by-one", "STP-9", FAMILY, "the challenge is void only after six wrong codes"
)
LOGIN_REVEALS_EMAIL = defect(
    "stp-login-reveals-unknown-email",
    "STP-10",
    FAMILY,
    "an unknown email answers 404 USER_NOT_FOUND, a wrong password 401",
)
OTP_REUSABLE = defect("stp-otp-reusable", "STP-10", FAMILY, "a verified OTP verifies again (204) on the same challenge")
