"""clepath: decision support for cutaneous lupus erythematosus.

Importing the package costs nothing; the layers are imported where they are used.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
