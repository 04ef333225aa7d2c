"""PLACEHOLDER, being replaced by the dedicated family implementation."""
from harness.reference.family import FamilyBank


class DedicatedBank(FamilyBank):
    family = "dedicated"

    def create_psu(self):
        raise NotImplementedError

    def routes(self):
        return []
