"""Default handling markings.

Created after every migrate (and after a test flush) when there are none:
markings are data that program admins edit; these are the starting set.
"""

DEFAULTS = [
    {
        "name": "Proprietary — pre-release",
        "short_label": "PROPRIETARY // PRE-RELEASE",
        "description": "Proprietary pre-release material of the submitting company. Use only for this review.",
        "downloads_allowed": True,
        "watermark_pdf": False,
        "is_default": True,
        "ordering": 10,
    },
    {
        "name": "Controlled Unclassified Information",
        "short_label": "CUI // PROPIN",
        "description": "Controlled Unclassified Information. Downloaded PDFs carry the reader's name, organisation, "
        "the time and the document's hash on every page.",
        "downloads_allowed": True,
        "watermark_pdf": True,
        "is_default": False,
        "ordering": 20,
    },
]


def ensure_default_markings(**kwargs) -> int:
    from .models import HandlingMarking

    if HandlingMarking.objects.exists():
        return 0
    for values in DEFAULTS:
        HandlingMarking.objects.get_or_create(name=values["name"], defaults=values)
    return len(DEFAULTS)
