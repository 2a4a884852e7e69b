"""permitcard: foreign work permits on the social security card."""

__version__ = "0.1.0"
