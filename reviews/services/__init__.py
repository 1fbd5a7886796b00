from .access import (
    access_grant,
    access_remove_expired,
    access_revoke,
    access_revoke_agency_side,
    access_set_expiry,
    reach_counts_compact,
)
from .assignments import AssignmentError, assignment_accept, assignment_decline, assignment_invite, assignment_remove
from .certificates import CertificateError, certificate_record
from .extensions import ExtensionError, extension_answer, extension_decide, extension_position, extension_request, extension_suggest
from .lifecycle import (
    DraftError,
    closing_warnings,
    review_close,
    review_create,
    review_delete,
    review_open,
    review_submit,
    review_update,
    review_withdraw,
    unsigned_agencies,
)
from .signoffs import SignOffError, signoff_record
from .terms import terms_accept, terms_update

__all__ = [
    "AssignmentError",
    "CertificateError",
    "certificate_record",
    "ExtensionError",
    "extension_answer",
    "extension_decide",
    "extension_position",
    "extension_suggest",
    "extension_request",
    "access_grant",
    "access_remove_expired",
    "reach_counts_compact",
    "access_revoke",
    "access_revoke_agency_side",
    "access_set_expiry",
    "assignment_accept",
    "assignment_decline",
    "assignment_invite",
    "assignment_remove",
    "closing_warnings",
    "review_close",
    "SignOffError",
    "signoff_record",
    "unsigned_agencies",
    "review_create",
    "review_delete",
    "review_update",
    "DraftError",
    "review_open",
    "review_submit",
    "review_withdraw",
    "terms_accept",
    "terms_update",
]
