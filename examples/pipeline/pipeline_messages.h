/* The demo pipeline's messages: shared by the host program (C++) and the three ring
 * kernels (dialect source). Plain C with fixed layouts; all arithmetic is integer so
 * every backend computes bit-identical results. */
#ifndef RINGKERNEL_EXAMPLE_PIPELINE_MESSAGES_H
#define RINGKERNEL_EXAMPLE_PIPELINE_MESSAGES_H

#ifndef RK_INLINE
#define RK_INLINE static inline
#endif

#define PIPE_RAW_EVENT 1u /* host -> parse */
#define PIPE_READING 2u   /* parse -> aggregate (K2K) */
#define PIPE_ANOMALY 3u   /* aggregate -> alert (K2K) */
#define PIPE_ALERT 4u     /* alert -> host */

#define PIPE_SENSORS 64u
#define PIPE_WARMUP 16u            /* readings before a sensor's mean is trusted */
#define PIPE_ANOMALY_THRESHOLD 3000 /* |value - mean| that counts as an anomaly (milli-units) */
#define PIPE_ALERT_GAP 64u         /* alerts per sensor at least this many sequence numbers apart */

typedef struct pipe_raw_event {
  uint32_t sensor_id;
  uint32_t sequence;
  int32_t value; /* milli-units */
  uint32_t checksum;
  int64_t origin_ns; /* host clock when generated: end-to-end latency */
} pipe_raw_event;

typedef struct pipe_reading {
  uint32_t sensor_id;
  uint32_t sequence;
  int32_t value;
  uint32_t reserved;
  int64_t origin_ns;
} pipe_reading;

typedef struct pipe_anomaly {
  uint32_t sensor_id;
  uint32_t sequence;
  int32_t value;
  int32_t mean;
  int64_t origin_ns;
} pipe_anomaly;

typedef struct pipe_alert {
  uint32_t sensor_id;
  uint32_t sequence;
  int32_t value;
  int32_t mean;
  int64_t origin_ns;
  uint32_t alert_number; /* 1, 2, ... in the order alert raised them */
  uint32_t reserved;
} pipe_alert;

RK_INLINE uint32_t pipe_checksum(uint32_t sensor_id, uint32_t sequence, int32_t value) {
  uint32_t h = 2166136261u;
  h = (h ^ sensor_id) * 16777619u;
  h = (h ^ sequence) * 16777619u;
  h = (h ^ (uint32_t)value) * 16777619u;
  return h;
}

/* Integer exponential moving average, 1/16 weight. */
RK_INLINE int32_t pipe_update_mean(int32_t mean, int32_t value, uint32_t count) {
  if (count == 0u) return value;
  return mean + (value - mean) / 16;
}

RK_INLINE int32_t pipe_abs(int32_t x) { return x < 0 ? -x : x; }

#endif
