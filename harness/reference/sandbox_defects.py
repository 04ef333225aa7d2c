"""Named defects of the sandbox control plane: each violates exactly one rule (SBX-1..SBX-3).

Declared here, apart from the behaviour, so that every family keeps its defects in
`<family>_defects.py`: the family module checks `NAME in self.defects`, and
`harness.reference.defects` builds the registry from each module's `DEFECTS`.
"""

from harness.reference.defect import Defect

FAMILY = "sandbox"

SHARED_PSU_CLOCK = "shared-psu-clock"
SHORT_HISTORY = "short-history"
INBOX_NEWEST_FIRST = "inbox-newest-first"

DEFECTS = (
    Defect(SHARED_PSU_CLOCK, "SBX-3", FAMILY, "advancing one PSU's clock moves every PSU's clock (no isolation)"),
    Defect(SHORT_HISTORY, "SBX-1", FAMILY, "a fresh PSU's transactions reach only 30 days back instead of 400"),
    Defect(INBOX_NEWEST_FIRST, "SBX-2", FAMILY, "the message inbox lists the newest message first"),
)
