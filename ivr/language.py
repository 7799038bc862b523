"""The languages the IVR speaks.

A closed set: every prompt, read-out and recorded fragment exists in each of them. Values are
the ISO 639-1 codes, which is also how a caller's choice is stored and how prompt files key
their texts. Pure: stdlib only.
"""

from enum import StrEnum


class Language(StrEnum):
    """A language of the IVR, valued by its ISO 639-1 code."""

    HI = "hi"
    EN = "en"
