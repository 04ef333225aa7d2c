"""Named defects of the stepup family: each violates exactly one rule (STP-1..STP-10).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`: the family module checks `NAME in self.defects`, and
`harness.reference.defects` builds the registry from each module's `DEFECTS`.
"""

from harness.reference.defect import Defect

FAMILY = "stepup"

NO_API_KEY_CHECK = "stp-no-api-key-check"
LOGOUT_KEEPS_TOKEN = "stp-logout-keeps-token"
NO_RESEND_THROTTLE = "stp-no-resend-throttle"
THROTTLED_COUNTS = "stp-throttled-request-counts"
UNLIMITED_RETRIES = "stp-unlimited-retries"
TRANSFER_SHARES_COUNT = "stp-transfer-challenges-share-count"
OLD_OTP_VALID = "stp-old-otp-still-valid"
WRONG_CODE_STEPS_UP = "stp-wrong-code-steps-up"
WRONG_CODE_ENDS_SESSION = "stp-wrong-code-ends-session"
STATEMENT_WITHOUT_STEPUP = "stp-statement-without-stepup"
EMPTY_STATEMENT = "stp-empty-statement"
SESSION_NEVER_IDLES = "stp-session-never-idles"
IDLE_NOT_REFRESHED = "stp-idle-not-refreshed"
IDLE_EXPIRES_EARLY = "stp-idle-expires-early"
TRANSFER_OTP_STEPS_UP = "stp-transfer-otp-steps-up"
UNENROLLED_ACCEPTED = "stp-unenrolled-channel-accepted"
NO_ATTEMPT_LIMIT = "stp-no-attempt-limit"
ATTEMPT_LIMIT_OFF_BY_ONE = "stp-attempt-limit-off-by-one"
LOGIN_REVEALS_EMAIL = "stp-login-reveals-unknown-email"
OTP_REUSABLE = "stp-otp-reusable"

DEFECTS = (
    Defect(NO_API_KEY_CHECK, "STP-1", FAMILY, "requests without (or with an unknown) api-key are served"),
    Defect(LOGOUT_KEEPS_TOKEN, "STP-1", FAMILY, "logout answers 204 but the auth token keeps working"),
    Defect(NO_RESEND_THROTTLE, "STP-2", FAMILY, "a challenge less than 15 s after the previous one is accepted"),
    Defect(
        THROTTLED_COUNTS, "STP-2", FAMILY, "a challenge refused with RETRY_IN_15SEC still counts as the session's retry"
    ),
    Defect(UNLIMITED_RETRIES, "STP-3", FAMILY, "a third (and any further) challenge in one login session is accepted"),
    Defect(
        TRANSFER_SHARES_COUNT,
        "STP-3",
        FAMILY,
        "wire-transfer challenges count towards the session's step-up challenge limit",
    ),
    Defect(OLD_OTP_VALID, "STP-4", FAMILY, "after a retry the earlier OTP still verifies"),
    Defect(WRONG_CODE_STEPS_UP, "STP-5", FAMILY, "a wrong code answers 409 but steps up the token anyway"),
    Defect(WRONG_CODE_ENDS_SESSION, "STP-5", FAMILY, "a wrong code invalidates the auth token (401 afterwards)"),
    Defect(STATEMENT_WITHOUT_STEPUP, "STP-6", FAMILY, "the statement is served to a token that was not stepped up"),
    Defect(EMPTY_STATEMENT, "STP-6", FAMILY, "a stepped-up token gets the statement with no entries (200, empty list)"),
    Defect(SESSION_NEVER_IDLES, "STP-7", FAMILY, "the auth token never expires for inactivity"),
    Defect(
        IDLE_NOT_REFRESHED,
        "STP-7",
        FAMILY,
        "activity does not restart the idle count: the token dies 5 min after login",
    ),
    Defect(IDLE_EXPIRES_EARLY, "STP-7", FAMILY, "the token expires 2 s early (refused at 4 min 59 s idle)"),
    Defect(TRANSFER_OTP_STEPS_UP, "STP-8", FAMILY, "verifying a wire-transfer OTP also steps up the token"),
    Defect(
        UNENROLLED_ACCEPTED, "STP-9", FAMILY, "a challenge on a channel the user has not enrolled (AUTHY) answers 204"
    ),
    Defect(NO_ATTEMPT_LIMIT, "STP-9", FAMILY, "wrong codes never void the challenge; the right code still works"),
    Defect(ATTEMPT_LIMIT_OFF_BY_ONE, "STP-9", FAMILY, "the challenge is void only after six wrong codes"),
    Defect(LOGIN_REVEALS_EMAIL, "STP-10", FAMILY, "an unknown email answers 404 USER_NOT_FOUND, a wrong password 401"),
    Defect(OTP_REUSABLE, "STP-10", FAMILY, "a verified OTP verifies again (204) on the same challenge"),
)
