"""The bundled reference ASPSP: the four API families of `api-families.md`, in memory.

`create_app()` builds the ASGI app; `psd2-harness serve` runs it with uvicorn. Named
defects (`harness.reference.defects`) make it violate exactly one rule each, which is how
the project proves every conformance case can fail.
"""

from harness.reference.app import create_app

__all__ = ["create_app"]
