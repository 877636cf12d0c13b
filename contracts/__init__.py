"""segmock contracts: the providers' specs, and the checks everything in segmock shares.

>>> import contracts
>>> contracts.providers()
['photoroom', 'prodia', 'sellerpic', 'tengr']
>>> contracts.validate_request("photoroom", {"method": "GET", "url": "https://image-api.photoroom.com/v2/account",
...                                          "headers": {"x-api-key": "k"}})
[]
"""

from contracts.check.providers import error_response, render_error
from contracts.check.validation import validate_request, validate_response
from contracts.check.violations import Violation, errors_only
from contracts.openapi.documents import Operation, Spec, providers, spec
from contracts.wire.exchange import FilePart, HttpRequest, HttpResponse, as_request, as_response

__all__ = [
    "FilePart",
    "HttpRequest",
    "HttpResponse",
    "Operation",
    "Spec",
    "Violation",
    "as_request",
    "as_response",
    "error_response",
    "errors_only",
    "providers",
    "render_error",
    "spec",
    "validate_request",
    "validate_response",
]
