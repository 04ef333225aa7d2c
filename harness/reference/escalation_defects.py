"""Named defects of the escalation family: each violates exactly one rule (ESC-1..ESC-9).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`: the family module checks `NAME in self.defects`, and
`harness.reference.defects` builds the registry from each module's `DEFECTS`.
"""

from harness.reference.defect import Defect

FAMILY = "escalation"

STATIC_REQUEST_ID = "esc-static-request-id"
ALTERNATING_REQUEST_ID = "esc-alternating-request-id"
BARE_401 = "esc-bare-401"
SCA_REQUIRED_401 = "esc-sca-required-401"
SCA_REQUIRED_NO_FLUSH = "esc-sca-required-no-flush"
WRONG_OTP_VOIDS = "esc-wrong-otp-voids-challenge"
WRONG_OTP_401 = "esc-wrong-otp-401"
SCA_NEVER_EXPIRES = "esc-sca-never-expires"
SCA_EXPIRES_EARLY = "esc-sca-expires-early"
EMPTY_TRANSACTIONS = "esc-empty-transactions"
RECENT_WINDOW_SHORT = "esc-recent-window-89-days"
OLD_SCA_REUSABLE = "esc-old-sca-reusable"
OLD_SCA_REUSABLE_30S = "esc-old-sca-reusable-30s"
OLD_CARDS_EXEMPT = "esc-old-cards-transfers-exempt"
SCA_SHARED_CLIENTS = "esc-sca-shared-across-clients"
SCA_SHARED_PRODUCTS = "esc-sca-shared-across-products"
NEVER_BLOCKS = "esc-never-blocks"
BLOCKS_AFTER_SIX = "esc-blocks-after-six"
COUNT_PER_ESCALATION = "esc-attempts-per-escalation"
BLOCK_TOO_SHORT = "esc-block-too-short"
OTP_REUSABLE = "esc-otp-reusable"
CROSS_CUSTOMER = "esc-cross-customer-read"
FOREIGN_PRODUCT = "esc-foreign-product-read"
LOGIN_REVEALS_USER = "esc-login-reveals-username"
LOGIN_UNKNOWN_404 = "esc-login-unknown-user-404"

DEFECTS = (
    Defect(STATIC_REQUEST_ID, "ESC-1", FAMILY, "every /private response carries the same requestId"),
    Defect(
        ALTERNATING_REQUEST_ID,
        "ESC-1",
        FAMILY,
        "the requestIds of /private responses alternate between two values (each differs from the one before)",
    ),
    Defect(
        BARE_401, "ESC-1", FAMILY, 'a /private request with a bad token gets a bare {"error"} body, not the envelope'
    ),
    Defect(SCA_REQUIRED_401, "ESC-2", FAMILY, "missing SCA answers 401 instead of 403 (body unchanged)"),
    Defect(SCA_REQUIRED_NO_FLUSH, "ESC-2", FAMILY, "the PSD2_SCA_REQUIRED answer has flushMessages false"),
    Defect(WRONG_OTP_VOIDS, "ESC-3", FAMILY, "a wrong OTP voids the pending OTP: the right one then fails"),
    Defect(WRONG_OTP_401, "ESC-3", FAMILY, "a wrong OTP answers 401 instead of 400 PSD2_SCA_INVALID_OTP"),
    Defect(SCA_NEVER_EXPIRES, "ESC-4", FAMILY, "the SCA exemption never expires (served after 180 days)"),
    Defect(SCA_EXPIRES_EARLY, "ESC-4", FAMILY, "the SCA exemption ends one day early (SCA demanded inside the window)"),
    Defect(
        EMPTY_TRANSACTIONS,
        "ESC-4",
        FAMILY,
        "inquiries the SCA serves answer 2xx with empty transaction, card transaction and transfer lists",
    ),
    Defect(RECENT_WINDOW_SHORT, "ESC-4", FAMILY, "only 89 days count as recent: dateFrom = today-90 needs a fresh SCA"),
    Defect(OLD_SCA_REUSABLE, "ESC-5", FAMILY, "transactions older than 90 days are served for 180 days after any SCA"),
    Defect(
        OLD_SCA_REUSABLE_30S,
        "ESC-5",
        FAMILY,
        "the one-shot SCA for old transactions serves every old request for 30 s after its first use, not one",
    ),
    Defect(
        OLD_CARDS_EXEMPT,
        "ESC-5",
        FAMILY,
        "old card transactions and transfer history are served on the 180-day SCA (no fresh SCA)",
    ),
    Defect(SCA_SHARED_CLIENTS, "ESC-6", FAMILY, "an SCA done through one TPP client serves every TPP client"),
    Defect(SCA_SHARED_PRODUCTS, "ESC-6", FAMILY, "an SCA done for one product serves every product of the customer"),
    Defect(NEVER_BLOCKS, "ESC-7", FAMILY, "wrong OTPs never block SCA"),
    Defect(BLOCKS_AFTER_SIX, "ESC-7", FAMILY, "SCA blocks after 6 wrong OTPs instead of 5"),
    Defect(COUNT_PER_ESCALATION, "ESC-7", FAMILY, "a new escalation resets the wrong-OTP count"),
    Defect(BLOCK_TOO_SHORT, "ESC-7", FAMILY, "the block lasts half the required duration"),
    Defect(OTP_REUSABLE, "ESC-7", FAMILY, "a verified OTP verifies again"),
    Defect(CROSS_CUSTOMER, "ESC-8", FAMILY, "a token reads another customer's products (customerId not checked)"),
    Defect(
        FOREIGN_PRODUCT, "ESC-8", FAMILY, "a token reads a product its customer does not own under its own customerId"
    ),
    Defect(LOGIN_REVEALS_USER, "ESC-9", FAMILY, "an unknown username gets a different error_description"),
    Defect(LOGIN_UNKNOWN_404, "ESC-9", FAMILY, "an unknown username answers 404 instead of 401"),
)
