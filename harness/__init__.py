"""psd2-harness: a PSD2 Strong Customer Authentication conformance harness.

YAML suites describe what a bank (ASPSP) must do; pytest runs them against a target
(a bank's sandbox over HTTPS, or the bundled reference bank in process) and writes
Allure results, JUnit XML and a compliance summary traced to regulatory clauses.
"""

__version__ = "0.1.0"
