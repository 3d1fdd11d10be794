"""A quiet ``highspy.Highs`` for the solvers.

highspy (1.16 and later) prints a copyright banner on the *C-level* standard output the first
time a solver object is made in a process; that would corrupt ``--json`` output and scripts
that read stdout. The first construction therefore runs with file descriptor 1 pointed at
``/dev/null``; every solver is then silenced with ``output_flag = False``.
"""

from __future__ import annotations

import os
import sys
import threading

import highspy

_lock = threading.Lock()
_banner_done = False


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` that prints nothing."""
    global _banner_done
    with _lock:
        if _banner_done:
            highs = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_done = True
    highs.setOptionValue("output_flag", False)
    return highs
