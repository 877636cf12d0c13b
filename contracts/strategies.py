"""The public Hypothesis strategies: requests a provider accepts, and ones it refuses, one broken rule at a time.

>>> from contracts.strategies import valid_requests, invalid_requests, boundaries

How they are built lives in ``contracts.generate``; this module is the stable import path users write.
"""

from contracts.generate.mutations import ExpectedViolation
from contracts.generate.strategies import (
    BoundaryRequest,
    InvalidRequest,
    boundary_requests,
    can_be_invalid,
    images,
    invalid_requests,
    valid_requests,
)
from contracts.openapi.fields import Boundary, boundaries

__all__ = [
    "Boundary",
    "BoundaryRequest",
    "ExpectedViolation",
    "InvalidRequest",
    "boundaries",
    "boundary_requests",
    "can_be_invalid",
    "images",
    "invalid_requests",
    "valid_requests",
]
