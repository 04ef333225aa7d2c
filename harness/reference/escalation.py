"""PLACEHOLDER, being replaced by the escalation family implementation."""
from harness.reference.family import FamilyBank


class EscalationBank(FamilyBank):
    family = "escalation"

    def create_psu(self):
        raise NotImplementedError

    def routes(self):
        return []
