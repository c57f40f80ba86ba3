// cpu_sim launch: a grid of blocks on "teams" of OS threads. A team has one thread per
// thread of a block and a real barrier; teams pull block indices until the grid is done.
// A cooperative launch gives every block its own team, so all blocks run at once. Kernels
// without barriers or shared memory run each block as a loop over its threads instead.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu_sim.hpp"

namespace rk::cpu_sim {
namespace {

constexpr size_t kStaticSharedBytes = 48 * 1024;

// A reusable generation barrier (mutex + condition variable: simple and TSan-clean).
class Barrier {
 public:
  explicit Barrier(uint32_t count) : count_(count) {}
  void wait() {
    std::unique_lock lock(mutex_);
    uint64_t generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      released_.notify_all();
      return;
    }
    released_.wait(lock, [&] { return generation_ != generation; });
  }
  static void sync(void* barrier) { static_cast<Barrier*>(barrier)->wait(); }
  static void sync_alone(void*) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  uint32_t count_;
  uint32_t arrived_ = 0;
  uint64_t generation_ = 0;
};

struct Grid {
  rk_cpu_entry_fn entry;
  rk_launch_config config;
  std::vector<std::vector<uint8_t>> arg_bytes;  // copied at launch: the caller's may be gone
  std::vector<void*> args;
  uint32_t blocks = 1;
  uint32_t block_threads = 1;
  bool lockstep = true;
  std::atomic<uint32_t> next_block{0};
};

struct Team {
  explicit Team(const Grid& grid)
      : barrier(grid.block_threads), shared(kStaticSharedBytes + 64), dynamic(grid.config.shared_memory_bytes + 64) {}
  Barrier barrier;
  std::vector<uint8_t> shared, dynamic;
  uint32_t current_block = 0;
};

void split(uint32_t linear, const uint32_t dims[3], unsigned out[3]) {
  out[0] = linear % dims[0];
  out[1] = (linear / dims[0]) % dims[1];
  out[2] = linear / (dims[0] * dims[1]);
}

void run_team_thread(Grid& grid, Team& team, uint32_t thread) {
  rk_cpu_thread_info info{};
  split(thread, grid.config.block, info.thread_idx);
  for (int d = 0; d < 3; ++d) {
    info.block_dim[d] = grid.config.block[d];
    info.grid_dim[d] = grid.config.grid[d];
  }
  info.barrier = &team.barrier;
  info.sync = grid.block_threads == 1 ? Barrier::sync_alone : Barrier::sync;
  info.shared = team.shared.data();
  info.shared_bytes = kStaticSharedBytes;
  info.dynamic_shared = team.dynamic.data();
  info.dynamic_shared_bytes = grid.config.shared_memory_bytes;
  for (;;) {
    if (thread == 0) team.current_block = grid.next_block.fetch_add(1);
    team.barrier.wait();  // everyone sees the block index
    uint32_t block = team.current_block;
    if (block >= grid.blocks) return;
    split(block, grid.config.grid, info.block_idx);
    grid.entry(&info, grid.args.data());
    team.barrier.wait();  // block done before its arena and index are reused
  }
}

// One OS thread runs whole blocks, thread after thread (no barrier can be waited on).
void run_block_loop(Grid& grid) {
  Team team(grid);
  rk_cpu_thread_info info{};
  for (int d = 0; d < 3; ++d) {
    info.block_dim[d] = grid.config.block[d];
    info.grid_dim[d] = grid.config.grid[d];
  }
  info.sync = Barrier::sync_alone;
  info.shared = team.shared.data();
  info.shared_bytes = kStaticSharedBytes;
  for (uint32_t block = grid.next_block.fetch_add(1); block < grid.blocks; block = grid.next_block.fetch_add(1)) {
    split(block, grid.config.grid, info.block_idx);
    for (uint32_t thread = 0; thread < grid.block_threads; ++thread) {
      split(thread, grid.config.block, info.thread_idx);
      grid.entry(&info, grid.args.data());
    }
  }
}

void run_grid(Grid& grid) {
  uint32_t hardware = std::max(1u, std::thread::hardware_concurrency());
  bool cooperative = grid.config.flags & RK_LAUNCH_COOPERATIVE;
  uint32_t team_count = cooperative ? grid.blocks : std::min(grid.blocks, hardware);
  std::vector<std::thread> threads;
  if (!grid.lockstep && !cooperative) {
    for (uint32_t t = 0; t < team_count; ++t) threads.emplace_back(run_block_loop, std::ref(grid));
    for (std::thread& t : threads) t.join();
    return;
  }
  std::vector<std::unique_ptr<Team>> teams;
  for (uint32_t t = 0; t < team_count; ++t) teams.push_back(std::make_unique<Team>(grid));
  for (uint32_t t = 0; t < team_count; ++t)
    for (uint32_t thread = 0; thread < grid.block_threads; ++thread)
      threads.emplace_back(run_team_thread, std::ref(grid), std::ref(*teams[t]), thread);
  for (std::thread& t : threads) t.join();
}

rk_result validate(const rk_launch_config* config, uint32_t& blocks, uint32_t& block_threads) {
  if (config == nullptr || config->struct_size < sizeof(rk_launch_config))
    return fail(RK_ERROR_INVALID_ARGUMENT, "launch config is NULL or too small");
  uint64_t b = 1, t = 1;
  for (int d = 0; d < 3; ++d) {
    if (config->grid[d] == 0 || config->block[d] == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, "grid and block dimensions must be >= 1");
    b *= config->grid[d];
    t *= config->block[d];
  }
  if (t > 1024) return fail(RK_ERROR_INVALID_ARGUMENT, "cpu_sim blocks hold at most 1024 threads, got " + std::to_string(t));
  if (b > (1u << 31)) return fail(RK_ERROR_INVALID_ARGUMENT, "grid too large");
  if (config->shared_memory_bytes > 48 * 1024)
    return fail(RK_ERROR_INVALID_ARGUMENT, "dynamic shared memory above 48 KiB");
  blocks = static_cast<uint32_t>(b);
  block_threads = static_cast<uint32_t>(t);
  return RK_SUCCESS;
}

rk_result copy_args(Grid& grid, const rk_kernel_arg* args, uint32_t arg_count) {
  for (uint32_t i = 0; i < arg_count; ++i) {
    const rk_kernel_arg& a = args[i];
    std::vector<uint8_t> bytes;
    if (a.kind == RK_ARG_BUFFER) {
      if (a.buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + ": no buffer");
      void* pointer = a.buffer->memory;
      bytes.assign(reinterpret_cast<uint8_t*>(&pointer), reinterpret_cast<uint8_t*>(&pointer) + sizeof(pointer));
    } else if (a.kind == RK_ARG_VALUE || a.kind == RK_ARG_DEVICE_ADDRESS) {
      if (a.value == nullptr || a.size == 0) return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + ": no value");
      const auto* v = static_cast<const uint8_t*>(a.value);
      bytes.assign(v, v + a.size);
    } else {
      return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + ": unknown kind");
    }
    bytes.resize(std::max<size_t>(bytes.size(), 16));  // a short value read as a wider type stays in bounds
    grid.arg_bytes.push_back(std::move(bytes));
  }
  for (auto& bytes : grid.arg_bytes) grid.args.push_back(bytes.data());
  return RK_SUCCESS;
}

}  // namespace

rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                 const rk_kernel_arg* args, uint32_t arg_count) {
  if (stream == nullptr || function == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream and function must be set");
  auto grid = std::make_shared<Grid>();
  if (rk_result r = validate(config, grid->blocks, grid->block_threads); r != RK_SUCCESS) return r;
  grid->entry = function->entry;
  grid->lockstep = function->needs_lockstep;
  grid->config = *config;
  if (rk_result r = copy_args(*grid, args, arg_count); r != RK_SUCCESS) return r;
  stream_enqueue(stream, [grid] { run_grid(*grid); });
  return RK_SUCCESS;
}

}  // namespace rk::cpu_sim
