"""Import a user's own Python file by path, as `tracegrad gradcheck file.py:fn` and the
exercises' `check FILE` do: its folder joins `sys.path` and `sys.argv[0]` is the file while
its top-level code runs, so it imports its neighbours and sees its own name.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType


class NotPythonFile(ImportError):
    """The path names no file Python can import."""


def exec_file(path: Path, prefix: str) -> ModuleType:
    """Run the file at `path` as a fresh module named `prefix` + a random suffix.

    Raises NotPythonFile when it is not a Python file; whatever its code raises (SyntaxError,
    SystemExit, ...) propagates, for the caller to phrase.
    """
    spec = importlib.util.spec_from_file_location(f"{prefix}{uuid.uuid4().hex}", path)
    if spec is None or spec.loader is None:
        raise NotPythonFile(f"not a Python file: {path}")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    sys.path.insert(0, folder)
    saved_argv = sys.argv
    sys.argv = [str(path)]  # code that parses argv at import sees its own file, not ours
    try:
        spec.loader.exec_module(module)
    finally:
        sys.argv = saved_argv
        sys.path.remove(folder)
    return module
