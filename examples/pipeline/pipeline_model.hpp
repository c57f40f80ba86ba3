// The demo's input generator and a plain host reference of what the three kernels compute,
// so the run can check the device's answer.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "pipeline_messages.h"

RK_MESSAGE(pipe_raw_event, PIPE_RAW_EVENT);
RK_MESSAGE(pipe_alert, PIPE_ALERT);

namespace pipeline {

// Deterministic events: each sensor drifts around its own base value, with rare spikes
// and a few events whose checksum is broken on purpose.
std::vector<pipe_raw_event> generate_events(uint64_t count, uint64_t seed);

struct Outcome {
  uint64_t valid = 0;
  uint64_t invalid = 0;
  uint64_t anomalies = 0;
  uint64_t alerts = 0;
  uint64_t alert_digest = 0;  // order-independent digest of (sensor, sequence, value, mean)
};

Outcome reference(const std::vector<pipe_raw_event>& events);

void add_alert(Outcome& outcome, const pipe_alert& alert);

}  // namespace pipeline
