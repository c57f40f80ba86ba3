#include "pipeline_model.hpp"

namespace pipeline {

std::vector<pipe_raw_event> generate_events(uint64_t count, uint64_t seed) {
  std::vector<pipe_raw_event> events(count);
  std::vector<uint32_t> next_sequence(PIPE_SENSORS, 0);
  uint64_t x = seed | 1;
  auto next = [&x] {  // xorshift64
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (pipe_raw_event& event : events) {
    uint64_t r = next();
    event.sensor_id = static_cast<uint32_t>(r % PIPE_SENSORS);
    event.sequence = next_sequence[event.sensor_id]++;
    int32_t base = static_cast<int32_t>(event.sensor_id) * 1000;
    int32_t noise = static_cast<int32_t>((r >> 8) % 2001) - 1000;
    bool spike = (r >> 24) % 500 == 0;
    event.value = base + noise + (spike ? 8000 : 0);
    event.checksum = pipe_checksum(event.sensor_id, event.sequence, event.value);
    if ((r >> 40) % 1000 == 0) event.checksum ^= 0x5a5a5a5au;  // corrupted in transit
    event.origin_ns = 0;
  }
  return events;
}

void add_alert(Outcome& outcome, const pipe_alert& alert) {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t v : {uint64_t{alert.sensor_id}, uint64_t{alert.sequence}, uint64_t(uint32_t(alert.value)),
                     uint64_t(uint32_t(alert.mean))})
    h = (h ^ v) * 1099511628211ull;
  outcome.alerts += 1;
  outcome.alert_digest += h;  // a sum: alerts of different sensors may interleave differently
}

Outcome reference(const std::vector<pipe_raw_event>& events) {
  Outcome out;
  std::vector<uint32_t> count(PIPE_SENSORS, 0), last_alert(PIPE_SENSORS, 0), alerted(PIPE_SENSORS, 0);
  std::vector<int32_t> mean(PIPE_SENSORS, 0);
  for (const pipe_raw_event& e : events) {
    if (e.sensor_id >= PIPE_SENSORS || e.checksum != pipe_checksum(e.sensor_id, e.sequence, e.value)) {
      ++out.invalid;
      continue;
    }
    ++out.valid;
    uint32_t s = e.sensor_id;
    if (!(count[s] >= PIPE_WARMUP && pipe_abs(e.value - mean[s]) > PIPE_ANOMALY_THRESHOLD)) {
      mean[s] = pipe_update_mean(mean[s], e.value, count[s]);
      ++count[s];
      continue;
    }
    ++out.anomalies;
    if (alerted[s] && e.sequence - last_alert[s] < PIPE_ALERT_GAP) continue;
    alerted[s] = 1;
    last_alert[s] = e.sequence;
    add_alert(out, pipe_alert{s, e.sequence, e.value, mean[s], 0, 0, 0});
  }
  return out;
}

}  // namespace pipeline
