"""PLACEHOLDER, being replaced by the stepup family implementation."""
from harness.reference.family import FamilyBank


class StepupBank(FamilyBank):
    family = "stepup"

    def create_psu(self):
        raise NotImplementedError

    def routes(self):
        return []
