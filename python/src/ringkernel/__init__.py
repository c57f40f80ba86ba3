"""ringkernel for Python: ring kernels (GPU-native actors) over the library's C API.

    import ringkernel as rk
    Ping = rk.MessageType(1, [("value", "<u8")])
    Pong = rk.MessageType(2, [("value", "<u8"), ("seen", "<u8")])
    with rk.Runtime() as runtime, runtime.launch("echo", source=ECHO, state_bytes=8) as echo:
        reply = echo.request(Ping, Pong, value=41)
        assert reply.value["value"] == 42

See docs/python.md.
"""
from . import _ringkernel
from . import group
from .errors import *  # noqa: F401,F403 - the exception classes are part of the API
from .errors import RingKernelError, PayloadLayoutError, error_for
from .kernel import Kernel
from .messages import Header, Hlc, MessageType, Received
from .runtime import PluginStatus, Runtime, registry

__version__: str = _ringkernel.version()
API_VERSION = _ringkernel.api_version()

__all__ = [
    "Runtime", "Kernel", "MessageType", "Header", "Hlc", "Received", "PluginStatus", "registry",
    "RingKernelError", "PayloadLayoutError", "error_for", "__version__", "API_VERSION", "group",
]
