"""PLACEHOLDER, being replaced by the workflow family implementation."""
from harness.reference.family import FamilyBank


class WorkflowBank(FamilyBank):
    family = "workflow"

    def create_psu(self):
        raise NotImplementedError

    def routes(self):
        return []
