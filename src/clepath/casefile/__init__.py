"""Case files (format 1): read YAML or JSON, check every field, build a domain Case.

May import: the clinical core (domain, knowledge, scores) and file-format libraries.
"""

from clepath.casefile.parse import parse_case
from clepath.casefile.read import load_case, read_case_data

__all__ = ["load_case", "parse_case", "read_case_data"]
