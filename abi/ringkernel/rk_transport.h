/* ringkernel — the transport plugin ABI: how messages reach ring kernels in other
 * processes (docs/transports.md).
 *
 * A transport is a shared library, librk_transport_<name>.so, that exports exactly one
 * symbol, RK_TRANSPORT_ENTRY_NAME, of type rk_transport_entry_fn. It is discovered and
 * versioned like a backend (rk_plugin.h, docs/abi.md): abi_major must equal the core's,
 * abi_minor is negotiated, tables only grow and the core reads an entry only when
 * struct_size covers it (RK_TABLE_HAS). libringcore never links a network library: a
 * transport dlopens or links its own (the UCX transport links libucp), and a transport
 * that cannot run here says why in probe(), never aborts.
 *
 * What a transport does, and no more: it joins a process group (rank, size, the address
 * every rank listens on, a per-job key), connects to its members, and moves opaque
 * messages (a header and a payload of at most max_message_bytes together) between them,
 * reliably and in order per (sender, receiver) pair. Only the lower rank of a pair dials the
 * higher, so a rank needs the addresses of the ranks above it. Names, credits, sequence numbers and
 * inboxes are the core's (the same on every transport); the header is the core's too.
 *
 * Threads: one thread at a time per rk_transport (the core's bridge owns it); callbacks
 * run on that thread, inside progress(). A delivery's bytes are valid only during the
 * callback.
 *
 * Security: a transport listens only on the address its rank is given (loopback in
 * tests), and accepts a connection only from a peer that presents the group's job key;
 * any other is refused, logged with the reason, and counted in rk_transport_stats.
 */
#ifndef RINGKERNEL_RK_TRANSPORT_H
#define RINGKERNEL_RK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rk_plugin.h"
#include "rk_result.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RK_TRANSPORT_ABI_MAJOR 1u
#define RK_TRANSPORT_ABI_MINOR 0u
#define RK_TRANSPORT_ENTRY_NAME "rk_transport_entry"

typedef struct rk_transport_s* rk_transport;

/* The process group this process joins. Strings and the key are copied by open(). */
typedef struct rk_transport_group {
  uint32_t struct_size;
  uint32_t rank;                 /* this process, 0 .. size-1 */
  uint32_t size;                 /* processes in the group, at least 1 */
  uint32_t job_key_size;         /* bytes in job_key, 16 .. 64 */
  const char* const* addresses;  /* size entries, "host:port": where each rank listens */
  const uint8_t* job_key;        /* the secret every member presents when it connects */
} rk_transport_group;

/* One message as it arrived. Valid only during the deliver callback. */
typedef struct rk_transport_delivery {
  uint32_t struct_size;
  uint32_t source_rank;  /* authenticated at connect: the rank that sent it */
  const void* header;
  const void* payload;
  uint32_t header_size;
  uint32_t payload_size;
} rk_transport_delivery;

typedef void (*rk_transport_deliver_fn)(void* user, const rk_transport_delivery* delivery);
/* A peer went away (its process exited or was killed, or its connection broke): sends to
 * it fail with RK_ERROR_PEER_LOST from now on. `detail` is valid during the call. */
typedef void (*rk_transport_peer_lost_fn)(void* user, uint32_t rank, const char* detail);

typedef struct rk_transport_callbacks {
  uint32_t struct_size;
  uint32_t reserved0;
  void* user;
  rk_transport_deliver_fn deliver;
  rk_transport_peer_lost_fn peer_lost;
} rk_transport_callbacks;

typedef enum rk_transport_peer_state {
  RK_PEER_UNDEFINED = 0,
  RK_PEER_SELF = 1,        /* this process */
  RK_PEER_CONNECTING = 2,  /* not yet connected and authenticated */
  RK_PEER_CONNECTED = 3,
  RK_PEER_LOST = 4,        /* gone; never comes back within this group */
  RK_PEER_STATE_FORCE32 = 0x7FFFFFFF
} rk_transport_peer_state;

typedef struct rk_transport_stats {
  uint32_t struct_size;
  uint32_t peers_lost;
  uint64_t messages_sent;
  uint64_t messages_received;
  uint64_t send_failures;        /* sends refused: peer lost, unknown rank, too large */
  uint64_t connections_refused;  /* wrong job key, unknown rank, malformed hello */
  uint64_t malformed_dropped;    /* received messages that broke the framing, dropped */
} rk_transport_stats;

typedef struct rk_transport_table {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* name;            /* "ucx": RINGKERNEL_TRANSPORT picks it */
  uint32_t max_message_bytes;  /* header + payload */
  uint32_t reserved0;

  /* RK_SUCCESS when the transport can run here; otherwise a code and why (the library is
   * missing, no usable interface, ...) in `why`. Cheap; may be called before open(). */
  rk_result (*probe)(rk_text_out* why);
  /* Listens on group->addresses[group->rank]. RK_ERROR_INVALID_ARGUMENT for a malformed
   * group; RK_ERROR_BACKEND_UNAVAILABLE when the address cannot be bound. */
  rk_result (*open)(const rk_transport_group* group, const rk_transport_callbacks* callbacks, rk_transport* out);
  /* The address this rank listens on, "host:port", with the port the system picked when
   * the group gave port 0 (a launcher can then pass it to the others). */
  rk_result (*local_address)(rk_transport transport, rk_text_out* address);
  /* Connects to every other rank and authenticates both ways, making progress meanwhile;
   * RK_ERROR_TIMEOUT (naming the ranks missing) when not all are there within timeout_ns. */
  rk_result (*connect_all)(rk_transport transport, uint64_t timeout_ns);
  /* Queues one message to `rank` and returns; the bytes are copied. RK_ERROR_PEER_LOST,
   * RK_ERROR_NOT_FOUND (no such rank), RK_ERROR_MESSAGE_TOO_LARGE, RK_ERROR_INVALID_STATE
   * (not connected yet). */
  rk_result (*send)(rk_transport transport, uint32_t rank, const void* header, uint32_t header_size,
                    const void* payload, uint32_t payload_size);
  /* Moves what it can without blocking; runs the callbacks. `events` (may be NULL): how
   * many things happened (0: idle). */
  rk_result (*progress)(rk_transport transport, uint32_t* events);
  /* Blocks until something may be ready for progress(), or timeout_ns passes (the wake-up
   * mode: an idle bridge sleeps here). RK_SUCCESS either way. */
  rk_result (*wait)(rk_transport transport, uint64_t timeout_ns);
  rk_result (*peer_state)(rk_transport transport, uint32_t rank, rk_transport_peer_state* state);
  rk_result (*stats)(rk_transport transport, rk_transport_stats* stats);
  /* Flushes what is queued (bounded) and leaves the group. */
  void (*close)(rk_transport transport);
  /* This thread's last error text. */
  const char* (*last_error)(void);
} rk_transport_table;

typedef rk_result (*rk_transport_entry_fn)(const rk_host_services* host, const rk_transport_table** table,
                                           rk_text_out* error);

#ifdef __cplusplus
}
#endif

#endif /* RINGKERNEL_RK_TRANSPORT_H */
