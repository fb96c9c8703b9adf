"""Photo work in a child process at low priority, so a producer's upload never takes the CPU from buyers.

Decoding a 49 MP PNG and encoding its WebP variants costs seconds of CPU. Run in the web process, it competes on
equal terms with every buyer's request (and, in one process, holds the GIL between Pillow's calls). Here each
web process hands photos, one at a time, to a single child of its own started with `spawn` (safe from a threaded
server, and in gunicorn, flask run and the tests alike) and niced, so the kernel gives buyers' requests the CPU
first and the photo the time left over. One photo at a time per web process also bounds memory: one decode (up to
about 200 MB) per process, however many uploads arrive.

The child runs no database code and touches no storage: it gets bytes and returns bytes. Refusals (InvalidInput)
come back in the requester's language; a child that dies (killed, out of memory, a crashing decoder) becomes a
clear refusal too, and the next photo gets a new child.

`spawn` starts the child by importing the parent's main script again (as __mp_main__): gunicorn, flask, pytest
and the bench guard theirs with `if __name__ == "__main__"`; a script of your own that processes photos must too.
While its photo is processed, a request waits for the child: under sync gunicorn workers that worker serves no one
else meanwhile (bench/uploads.py measures this as buyers waiting for a free worker).
"""
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flask import Flask, has_request_context
from flask_babel import Babel, force_locale, get_locale
from flask_babel import gettext as _

from ..errors import InvalidInput

# How much lower than the web process the child runs (0-19): at 10 a busy buyer's worker gets about ten times its
# CPU share when both want the same core.
NICENESS = 10
# Photos a child processes before it is replaced: returns to the system whatever a long run fragmented.
PHOTOS_PER_CHILD = 100
TRANSLATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")



class ChildFailed(InvalidInput):
    """The photo child died before answering: nothing is wrong with the photo as far as anyone knows, so a
    caller that can keep it (a resumable upload) lets the sender try again."""


_lock = threading.Lock()
_pool = None
_pool_pid = None
_child_app = None


def run(function, *args):
    """function(*args) in this process's photo child, in the current request's language; waits for the result.

    function must be importable by name (a module-level function). A child that dies raises ChildFailed."""
    # Outside a request (the CLI, the demo), gettext here would leave messages as written: so does the child.
    locale = str(get_locale()) if has_request_context() else None
    try:
        return _executor().submit(_in_child, locale, function, *args).result()
    except BrokenProcessPool:
        _discard_pool()
        raise ChildFailed(_("Foto ini tidak dapat diolah. Coba lagi, atau pilih foto lain (JPEG, PNG, WebP "
                             "atau HEIC)."), field="photo") from None


def _executor():
    """This process's pool of one child, started on first use (and again after a fork or a crash)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_child, max_tasks_per_child=PHOTOS_PER_CHILD)
            _pool_pid = os.getpid()
        return _pool


def _discard_pool():
    """Forget a broken pool; the next photo starts a new child."""
    global _pool
    with _lock:
        broken, _pool = _pool, None
    if broken is not None:
        broken.shutdown(wait=False, cancel_futures=True)


def _start_child():
    """In the child: lower its priority, and give it what gettext needs to speak the requester's language."""
    global _child_app
    os.nice(NICENESS)
    _child_app = Flask(__name__)
    Babel(_child_app, default_translation_directories=TRANSLATIONS)


def _in_child(locale, function, *args):
    """In the child: function(*args) with refusals worded in locale."""
    if _child_app is None or locale is None:
        return function(*args)
    with _child_app.app_context(), force_locale(locale):
        return function(*args)
