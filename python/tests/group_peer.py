"""Rank 1 of test_group.py: joins the group from the environment, launches an echo that
answers by its reply address, says so in the ready file, and leaves once rank 0 has."""
import sys
import time

import ringkernel as rk
from ringkernel import group

ECHO_LATER = r"""
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  rk_global uint64_t* seen = (rk_global uint64_t*)rk_state(ctx);
  pong out;
  out.value = ((rk_global const ping*)payload)->value + 1u;
  out.seen = *seen;
  *seen += 1u;
  (void)msg;
  return rk_reply_later(ctx, rk_reply_address(ctx), 2u, &out, (uint32_t)sizeof(out));
}
"""


def main(ready_path: str) -> int:
    group.join()
    with rk.Runtime("cpu_sim") as runtime:
        with runtime.launch("echo", ECHO_LATER, state_bytes=8, accepted_types=[1]):
            with open(ready_path, "w") as ready:
                ready.write("ready\n")
            give_up = time.monotonic() + 120  # only stops a hung test
            while group.peer_state(0)[0] != "lost" and time.monotonic() < give_up:
                time.sleep(0.01)
    group.leave()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
