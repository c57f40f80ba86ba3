// An all-to-all actor program: four ring kernels count random keys by owner, shuffling
// every key they do not own to its owner over K2K (shuffle_kernel.rkc), with inboxes as
// small as two slots. The histograms must match a host computation exactly.
//
//   rk-example-shuffle [--keys N] [--inbox SLOTS] [--seed S]
#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <ringkernel/ringkernel.hpp>

namespace rk::embedded {
extern const char* const shuffle_kernel;
}

namespace {

constexpr uint32_t kKernels = 4, kBuckets = 64, kChunk = 14;

struct Chunk {
  static constexpr uint32_t type_id = 1;
  uint32_t count;
  uint32_t keys[kChunk];
};
struct Report {
  static constexpr uint32_t type_id = 3;
  uint32_t unused;
};
struct Histogram {
  static constexpr uint32_t type_id = 4;
  uint64_t counts[kBuckets];
};

struct Args {
  uint64_t keys = 1'000'000;
  uint32_t inbox = 2;
  uint64_t seed = 7;
};

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--keys" && i + 1 < argc) args.keys = std::stoull(argv[++i]);
    else if (a == "--inbox" && i + 1 < argc) args.inbox = static_cast<uint32_t>(std::stoul(argv[++i]));
    else if (a == "--seed" && i + 1 < argc) args.seed = std::stoull(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--keys N] [--inbox SLOTS] [--seed S]\n", argv[0]);
      std::exit(a == "--help" ? 0 : 2);
    }
  }
  return args;
}

std::vector<rk::Kernel> launch(rk::Runtime& runtime, uint32_t inbox) {
  std::vector<std::string> names;
  for (uint32_t i = 0; i < kKernels; ++i) names.push_back("shuffle_" + std::to_string(i));
  std::vector<rk::Kernel> kernels;
  for (uint32_t i = 0; i < kKernels; ++i) {
    rk::KernelSpec spec;
    spec.name = names[i];
    spec.source = rk::embedded::shuffle_kernel;
    spec.peers = names;  // rk_peer(ctx, owner) is the owner of key % 4, this kernel included
    spec.inbox_capacity = inbox;
    spec.max_payload_size = sizeof(Histogram);
    spec.state_bytes = sizeof(Histogram);
    spec.accepted_types = {Chunk::type_id, 2, Report::type_id};
    kernels.push_back(runtime.launch(spec));
  }
  return kernels;
}

}  // namespace

int main(int argc, char** argv) try {
  Args args = parse_args(argc, argv);
  rk::Runtime runtime;
  std::printf("shuffle: %llu keys, 4 kernels on %s, %u-slot inboxes\n", static_cast<unsigned long long>(args.keys),
              runtime.backend().c_str(), args.inbox);
  std::vector<rk::Kernel> kernels = launch(runtime, args.inbox);

  std::array<std::array<uint64_t, kBuckets>, kKernels> expected{};
  std::array<int64_t, kKernels> expected_messages{};  // chunks sent to a kernel + keys shuffled to it
  std::mt19937 random(static_cast<uint32_t>(args.seed));
  auto start = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  for (uint64_t chunk_index = 0; sent < args.keys; ++chunk_index) {
    Chunk chunk{};
    uint32_t target = static_cast<uint32_t>(chunk_index % kKernels);
    while (chunk.count < kChunk && sent < args.keys) {
      auto key = static_cast<uint32_t>(random());
      expected[key % kKernels][(key / kKernels) % kBuckets] += 1;
      if (key % kKernels != target) expected_messages[key % kKernels] += 1;
      chunk.keys[chunk.count++] = key;
      ++sent;
    }
    expected_messages[target] += 1;
    kernels[target].send(chunk);
  }
  // Every message counted (the chunk's and every shuffled key's), then one report each.
  for (uint32_t k = 0; k < kKernels; ++k) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (kernels[k].status().messages_processed < expected_messages[k] && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  bool match = true;
  for (uint32_t k = 0; k < kKernels; ++k) {
    Histogram got = kernels[k].request<Histogram>(Report{0}, 60'000'000'000ull);
    for (uint32_t b = 0; b < kBuckets; ++b) match = match && got.counts[b] == expected[k][b];
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t refused = 0;
  for (auto& k : kernels) refused += k.status().k2k_refused;
  for (auto& k : kernels) k.terminate();
  std::printf("shuffled in %.3f s (%.2f M keys/s), %llu sends refused\n", seconds, double(args.keys) / seconds / 1e6,
              static_cast<unsigned long long>(refused));
  if (!match || refused != 0) {
    std::printf("MISMATCH: the histograms differ from the host reference\n");
    return 1;
  }
  std::printf("results match the host reference\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "rk-example-shuffle: %s\n", e.what());
  return 1;
}
