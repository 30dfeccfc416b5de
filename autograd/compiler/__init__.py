"""`ag.compile`: record a function's ops once (forward, backward, optimizer update), replay them.

trace.py records one eager call; verify.py checks it against the second call's trace; plan.py
turns the record into slots and runners; fuse.py generates one Numba kernel per run of
elementwise ops; guards.py keys plans on what they assume; show.py prints a plan; host.py is
the hook library code uses for NumPy work outside primitives.
"""

from autograd.compiler.api import Compiled, CompileError, compile
from autograd.compiler.host import host_step
from autograd.compiler.plan import Plan

__all__ = ["CompileError", "Compiled", "Plan", "compile", "host_step"]
