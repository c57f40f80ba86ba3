// cpu_sim launch: a grid of blocks on "teams" of OS threads. A team has one thread per
// thread of a block and a real barrier; teams pull block indices from an atomic counter
// until the grid is done. A cooperative launch gives every block its own team, so all
// blocks run at once. Kernels that never wait within a block run each block as a loop
// over its threads instead (see needs_lockstep in compile.cpp).
#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "cpu_sim.hpp"
#include "thread_sync.hpp"

namespace rk::cpu_sim {
namespace {

constexpr uint32_t kMaxBlockThreads = 1024;
// OS threads one launch may start. Bounds a cooperative grid, and the teams of a normal
// one on machines with many cores (teams x block size).
constexpr uint64_t kMaxLaunchThreads = 16384;

struct Grid {
  rk_cpu_entry_fn entry = nullptr;
  std::string kernel_name;
  rk_launch_config config{};
  std::vector<std::vector<uint8_t>> arg_bytes;  // copied at launch: the caller's may be gone
  std::vector<void*> args;
  uint32_t blocks = 1;
  uint32_t block_threads = 1;
  bool lockstep = true;
  std::atomic<uint32_t> next_block{0};
};

// A block's worth of threads: its barrier and shared-memory arenas, reused block after block.
struct Team {
  explicit Team(const Grid& grid)
      : barrier(grid.block_threads), shared(kStaticSharedBytes), dynamic(grid.config.shared_memory_bytes + 16) {}
  Barrier barrier;
  std::vector<uint8_t> shared, dynamic;
  uint32_t current_block = 0;
};

void split(uint32_t linear, const uint32_t dims[3], unsigned out[3]) {
  out[0] = linear % dims[0];
  out[1] = (linear / dims[0]) % dims[1];
  out[2] = linear / (dims[0] * dims[1]);
}

rk_cpu_thread_info thread_info_for(const Grid& grid, Team& team) {
  rk_cpu_thread_info info{};
  for (int d = 0; d < 3; ++d) {
    info.block_dim[d] = grid.config.block[d];
    info.grid_dim[d] = grid.config.grid[d];
  }
  info.barrier = &team.barrier;
  info.sync = grid.lockstep && grid.block_threads > 1 ? Barrier::sync : Barrier::sync_alone;
  info.shared = team.shared.data();
  info.shared_bytes = team.shared.size();
  info.dynamic_shared = team.dynamic.data();
  info.dynamic_shared_bytes = grid.config.shared_memory_bytes;
  // A core from before plugin ABI 1.1 has no idle_assist (1.2: kernel_idle_assist): the
  // loop then only yields.
  const rk_host_services* host = rk::plugin_common::host();
  if (host != nullptr && RK_TABLE_HAS(host, rk_host_services, idle_assist) && host->idle_assist != nullptr) {
    info.assist = host->idle_assist;
    info.assist_user = host->user;
  }
  if (host != nullptr && RK_TABLE_HAS(host, rk_host_services, kernel_idle_assist)) info.kernel_assist = host->kernel_idle_assist;
  return info;
}

// One thread of a team: takes the team's next block with the others, runs it, repeats.
void run_team_thread(Grid& grid, Team& team, uint32_t thread, StartGate& gate) {
  if (!gate.wait()) return;
  rk_cpu_thread_info info = thread_info_for(grid, team);
  split(thread, grid.config.block, info.thread_idx);
  for (;;) {
    if (thread == 0) team.current_block = grid.next_block.fetch_add(1);
    team.barrier.wait();  // everyone sees the block index
    uint32_t block = team.current_block;
    if (block >= grid.blocks) return;
    split(block, grid.config.grid, info.block_idx);
    grid.entry(&info, grid.args.data());
    team.barrier.wait();  // the block is done before its arena and index are reused
  }
}

// One OS thread runs whole blocks, thread after thread (the kernel never waits in a block).
void run_block_loop(Grid& grid, Team& team, StartGate& gate) {
  if (!gate.wait()) return;
  rk_cpu_thread_info info = thread_info_for(grid, team);
  for (uint32_t block = grid.next_block.fetch_add(1); block < grid.blocks; block = grid.next_block.fetch_add(1)) {
    split(block, grid.config.grid, info.block_idx);
    for (uint32_t thread = 0; thread < grid.block_threads; ++thread) {
      split(thread, grid.config.block, info.thread_idx);
      grid.entry(&info, grid.args.data());
    }
  }
}

uint32_t team_count(const Grid& grid) {
  if (grid.config.flags & RK_LAUNCH_COOPERATIVE) return grid.blocks;
  uint64_t hardware = std::max(1u, std::thread::hardware_concurrency());
  uint64_t affordable = std::max<uint64_t>(1, kMaxLaunchThreads / (grid.lockstep ? grid.block_threads : 1));
  return static_cast<uint32_t>(std::min({uint64_t{grid.blocks}, hardware, affordable}));
}

void start_threads(Grid& grid, std::vector<std::unique_ptr<Team>>& teams, std::vector<std::thread>& threads,
                   StartGate& gate) {
  bool one_thread_per_team = !grid.lockstep && !(grid.config.flags & RK_LAUNCH_COOPERATIVE);
  for (uint32_t t = 0, teams_wanted = team_count(grid); t < teams_wanted; ++t) {
    teams.push_back(std::make_unique<Team>(grid));
    Team& team = *teams.back();
    if (one_thread_per_team) {
      threads.emplace_back(run_block_loop, std::ref(grid), std::ref(team), std::ref(gate));
      continue;
    }
    for (uint32_t thread = 0; thread < grid.block_threads; ++thread)
      threads.emplace_back(run_team_thread, std::ref(grid), std::ref(team), thread, std::ref(gate));
  }
}

// Runs on the stream's worker; returns "" or why the grid could not run.
std::string run_grid(Grid& grid) {
  StartGate gate;
  if (grid.blocks == 1 && grid.block_threads == 1) {
    // One thread (every ring kernel of block size 1): the worker runs it itself, so a
    // kernel launched again and again (elastic, relaunch modes) starts no thread each time.
    Team team(grid);
    gate.open();
    run_block_loop(grid, team, gate);
    return "";
  }
  std::vector<std::unique_ptr<Team>> teams;
  std::vector<std::thread> threads;
  std::string failure;
  try {
    start_threads(grid, teams, threads, gate);
    gate.open();
  } catch (const std::exception& e) {
    gate.abandon();
    failure = "cpu_sim: launch of '" + grid.kernel_name + "' could not start its " + std::to_string(grid.blocks) + "x" +
              std::to_string(grid.block_threads) + " threads: " + e.what();
  }
  for (std::thread& t : threads) t.join();
  return failure;
}

rk_result validate_config(const rk_launch_config* config, Grid& grid) {
  if (config == nullptr || config->struct_size < sizeof(rk_launch_config))
    return fail(RK_ERROR_INVALID_ARGUMENT, "launch config is NULL or its struct_size is too small");
  uint64_t blocks = 1, threads = 1;
  for (int d = 0; d < 3; ++d) {
    if (config->grid[d] == 0 || config->block[d] == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, "grid and block dimensions must all be >= 1");
    blocks *= config->grid[d];
    threads *= config->block[d];
  }
  if (threads > kMaxBlockThreads)
    return fail(RK_ERROR_INVALID_ARGUMENT, "cpu_sim blocks hold at most 1024 threads, got " + std::to_string(threads));
  if (blocks > (1u << 31))
    return fail(RK_ERROR_INVALID_ARGUMENT, "grid of " + std::to_string(blocks) + " blocks is too large");
  if (config->shared_memory_bytes > kMaxDynamicSharedBytes)
    return fail(RK_ERROR_INVALID_ARGUMENT, "dynamic shared memory of " + std::to_string(config->shared_memory_bytes) +
                                               " bytes exceeds cpu_sim's 64 KiB");
  if ((config->flags & RK_LAUNCH_COOPERATIVE) && blocks * threads > kMaxLaunchThreads)
    return fail(RK_ERROR_LAUNCH_FAILED, "cooperative launch of " + std::to_string(blocks * threads) +
                                            " threads: cpu_sim runs at most " + std::to_string(kMaxLaunchThreads) +
                                            " threads at once");
  grid.config = *config;
  grid.blocks = static_cast<uint32_t>(blocks);
  grid.block_threads = static_cast<uint32_t>(threads);
  return RK_SUCCESS;
}

uint32_t passed_size(const rk_kernel_arg& arg) {
  if (arg.kind == RK_ARG_BUFFER) return sizeof(void*);
  if (arg.kind == RK_ARG_DEVICE_ADDRESS) return sizeof(uint64_t);
  return arg.size;
}

// The trampoline reads each argument as its parameter's type: count and sizes must match.
rk_result check_against_kernel(const rk_backend_function_s& function, const rk_kernel_arg* args, uint32_t count) {
  if (count > 0 && args == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "arg_count > 0 but args is NULL");
  if (function.params == nullptr) return RK_SUCCESS;
  unsigned sizes[64] = {};
  unsigned expected = function.params(sizes, 64);
  if (expected != count)
    return fail(RK_ERROR_INVALID_ARGUMENT, "kernel '" + function.name + "' takes " + std::to_string(expected) +
                                               " arguments, the launch passes " + std::to_string(count));
  for (uint32_t i = 0; i < std::min(count, 64u); ++i) {
    if (passed_size(args[i]) == sizes[i]) continue;
    return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + " of kernel '" + function.name +
                                               "': " + "the parameter takes " + std::to_string(sizes[i]) +
                                               " bytes, the launch passes " + std::to_string(passed_size(args[i])) +
                                               " (buffers and device addresses are 8-byte pointers)");
  }
  return RK_SUCCESS;
}

rk_result copy_args(Grid& grid, const rk_kernel_arg* args, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    const rk_kernel_arg& a = args[i];
    const uint8_t* bytes = nullptr;
    void* pointer = nullptr;
    if (a.kind == RK_ARG_BUFFER) {
      if (a.buffer == nullptr)
        return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + " has no buffer");
      pointer = a.buffer->memory;  // device address == host address
      bytes = reinterpret_cast<const uint8_t*>(&pointer);
    } else if (a.kind == RK_ARG_VALUE || a.kind == RK_ARG_DEVICE_ADDRESS) {
      if (a.value == nullptr || passed_size(a) == 0)
        return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + " has no value");
      bytes = static_cast<const uint8_t*>(a.value);
    } else {
      return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + " has an unknown kind");
    }
    std::vector<uint8_t> copy(bytes, bytes + passed_size(a));
    copy.resize(std::max<size_t>(copy.size(), 16));  // native kernels are unchecked: stay in bounds
    grid.arg_bytes.push_back(std::move(copy));
  }
  for (auto& bytes : grid.arg_bytes) grid.args.push_back(bytes.data());
  return RK_SUCCESS;
}

}  // namespace

rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                 const rk_kernel_arg* args, uint32_t arg_count) {
  if (stream == nullptr || function == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "stream and function must be set");
  auto grid = std::make_shared<Grid>();
  if (rk_result r = validate_config(config, *grid); r != RK_SUCCESS) return r;
  if (rk_result r = check_against_kernel(*function, args, arg_count); r != RK_SUCCESS) return r;
  if (rk_result r = copy_args(*grid, args, arg_count); r != RK_SUCCESS) return r;
  grid->entry = function->entry;
  grid->kernel_name = function->name;
  grid->lockstep = function->needs_lockstep;
  stream_enqueue(stream, [grid] { return run_grid(*grid); });
  return RK_SUCCESS;
}

}  // namespace rk::cpu_sim
