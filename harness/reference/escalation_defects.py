"""Named defects of the escalation family: each violates exactly one rule (ESC-1..ESC-9)."""

from harness.reference.defects import defect

FAMILY = "escalation"

STATIC_REQUEST_ID = defect(
    "esc-static-request-id", "ESC-1", FAMILY, "every /private response carries the same requestId"
)
ALTERNATING_REQUEST_ID = defect(
    "esc-alternating-request-id",
    "ESC-1",
    FAMILY,
    "the requestIds of /private responses alternate between two values (each differs from the one before)",
)
BARE_401 = defect(
    "esc-bare-401",
    "ESC-1",
    FAMILY,
    'a /private request with a bad token gets a bare {"error"} body, not the envelope',
)
SCA_REQUIRED_401 = defect(
    "esc-sca-required-401", "ESC-2", FAMILY, "missing SCA answers 401 instead of 403 (body unchanged)"
)
SCA_REQUIRED_NO_FLUSH = defect(
    "esc-sca-required-no-flush", "ESC-2", FAMILY, "the PSD2_SCA_REQUIRED answer has flushMessages false"
)
WRONG_OTP_VOIDS = defect(
    "esc-wrong-otp-voids-challenge", "ESC-3", FAMILY, "a wrong OTP voids the pending OTP: the right one then fails"
)
WRONG_OTP_401 = defect(
    "esc-wrong-otp-401", "ESC-3", FAMILY, "a wrong OTP answers 401 instead of 400 PSD2_SCA_INVALID_OTP"
)
SCA_NEVER_EXPIRES = defect(
    "esc-sca-never-expires", "ESC-4", FAMILY, "the SCA exemption never expires (served after 180 days)"
)
SCA_EXPIRES_EARLY = defect(
    "esc-sca-expires-early", "ESC-4", FAMILY, "the SCA exemption ends one day early (SCA demanded inside the window)"
)
EMPTY_TRANSACTIONS = defect(
    "esc-empty-transactions",
    "ESC-4",
    FAMILY,
    "inquiries the SCA serves answer 2xx with empty transaction, card transaction and transfer lists",
)
RECENT_WINDOW_SHORT = defect(
    "esc-recent-window-89-days", "ESC-4", FAMILY, "only 89 days count as recent: dateFrom = today-90 needs a fresh SCA"
)
OLD_SCA_REUSABLE = defect(
    "esc-old-sca-reusable", "ESC-5", FAMILY, "transactions older than 90 days are served for 180 days after any SCA"
)
OLD_SCA_REUSABLE_30S = defect(
    "esc-old-sca-reusable-30s",
    "ESC-5",
    FAMILY,
    "the one-shot SCA for old transactions serves every old request for 30 s after its first use, not one",
)
OLD_CARDS_EXEMPT = defect(
    "esc-old-cards-transfers-exempt",
    "ESC-5",
    FAMILY,
    "old card transactions and transfer history are served on the 180-day SCA (no fresh SCA)",
)
SCA_SHARED_CLIENTS = defect(
    "esc-sca-shared-across-clients", "ESC-6", FAMILY, "an SCA done through one TPP client serves every TPP client"
)
SCA_SHARED_PRODUCTS = defect(
    "esc-sca-shared-across-products",
    "ESC-6",
    FAMILY,
    "an SCA done for one product serves every product of the customer",
)
NEVER_BLOCKS = defect("esc-never-blocks", "ESC-7", FAMILY, "wrong OTPs never block SCA")
BLOCKS_AFTER_SIX = defect("esc-blocks-after-six", "ESC-7", FAMILY, "SCA blocks after 6 wrong OTPs instead of 5")
COUNT_PER_ESCALATION = defect(
    "esc-attempts-per-escalation", "ESC-7", FAMILY, "a new escalation resets the wrong-OTP count"
)
BLOCK_TOO_SHORT = defect("esc-block-too-short", "ESC-7", FAMILY, "the block lasts half the required duration")
OTP_REUSABLE = defect("esc-otp-reusable", "ESC-7", FAMILY, "a verified OTP verifies again")
CROSS_CUSTOMER = defect(
    "esc-cross-customer-read", "ESC-8", FAMILY, "a token reads another customer's products (customerId not checked)"
)
FOREIGN_PRODUCT = defect(
    "esc-foreign-product-read",
    "ESC-8",
    FAMILY,
    "a token reads a product its customer does not own under its own customerId",
)
LOGIN_REVEALS_USER = defect(
    "esc-login-reveals-username", "ESC-9", FAMILY, "an unknown username gets a different error_description"
)
LOGIN_UNKNOWN_404 = defect(
    "esc-login-unknown-user-404", "ESC-9", FAMILY, "an unknown username answers 404 instead of 401"
)
