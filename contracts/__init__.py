"""segmock contracts: the providers' specs, and the checks everything in segmock shares.

>>> import contracts
>>> contracts.providers()
['photoroom', 'prodia', 'sellerpic', 'tengr']
>>> contracts.validate_request("photoroom", {"method": "GET", "url": "https://image-api.photoroom.com/v2/account",
...                                          "headers": {"x-api-key": "k"}})
[]
"""

from .exchange import FilePart, HttpRequest, HttpResponse, as_request, as_response
from .providers import error_response, render_error
from .specs import Operation, Spec, providers, spec
from .validation import validate_request, validate_response
from .violations import Violation, errors_only

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
