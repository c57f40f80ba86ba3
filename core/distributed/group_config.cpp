#include "distributed/group_config.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "api/error.hpp"
#include "api/struct_growth.hpp"

namespace rk::core::group {
namespace {

constexpr uint64_t kDefaultConnectTimeoutNs = 30'000'000'000;

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

bool whole_number(const char* text, uint32_t& out) {
  const char* end = text + std::strlen(text);
  auto [at, error] = std::from_chars(text, end, out);
  return error == std::errc() && at == end;
}

// The launcher's word for `what` (rank or size): ours first, then Open MPI's, then PMI's
// (MPICH, Slurm). `found` names the variable that gave it.
bool launcher_number(const char* ours, const char* ompi, const char* pmi, uint32_t& out, std::string& found) {
  for (const char* name : {ours, ompi, pmi}) {
    if (name == nullptr) continue;
    if (const char* text = env(name)) {
      found = name;
      return whole_number(text, out);
    }
  }
  found.clear();
  return false;
}

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> parts;
  size_t at = 0;
  for (;;) {
    size_t next = text.find(by, at);
    parts.push_back(text.substr(at, next - at));
    if (next == std::string::npos) return parts;
    at = next + 1;
  }
}

// RINGKERNEL_PEERS: "host:port,host:port,..." (one per rank, in rank order), or
// "host:port+" (rank i listens on port+i: one machine, as under mpirun on one node).
rk_result addresses_from_environment(GroupConfig& out) {
  std::string found;
  const char* peers = env("RINGKERNEL_PEERS");
  if (peers == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "no process group in the environment: set RINGKERNEL_PEERS to the "
                                           "host:port of every rank (comma-separated, in rank order) or to "
                                           "host:port+ (rank i on port+i), and RINGKERNEL_RANK unless a launcher "
                                           "(mpirun) sets the rank (docs/distributed.md)");
  std::string text = peers;
  bool based = !text.empty() && text.back() == '+';
  if (!launcher_number("RINGKERNEL_RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", out.rank, found))
    return fail(RK_ERROR_INVALID_ARGUMENT, found.empty() ? "RINGKERNEL_PEERS is set but not this process's rank: set "
                                                           "RINGKERNEL_RANK, or start it under mpirun"
                                                         : found + " is not a whole number");
  if (!based) {
    out.addresses = split(text, ',');
    out.size = static_cast<uint32_t>(out.addresses.size());
    return RK_SUCCESS;
  }
  text.pop_back();
  size_t colon = text.rfind(':');
  uint32_t base = 0;
  if (colon == std::string::npos || !whole_number(text.c_str() + colon + 1, base) || base == 0 || base > 65535)
    return fail(RK_ERROR_INVALID_ARGUMENT, "RINGKERNEL_PEERS '" + std::string(peers) +
                                               "': the form host:port+ needs a port from 1 to 65535");
  if (!launcher_number("RINGKERNEL_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", out.size, found))
    return fail(RK_ERROR_INVALID_ARGUMENT, "RINGKERNEL_PEERS '" + std::string(peers) +
                                               "' gives no count of ranks: set RINGKERNEL_SIZE, or start under mpirun");
  if (out.size == 0 || uint64_t{base} + out.size - 1 > 65535)
    return fail(RK_ERROR_INVALID_ARGUMENT, "RINGKERNEL_PEERS '" + std::string(peers) + "': " +
                                               std::to_string(out.size) + " ranks do not fit below port 65536");
  for (uint32_t i = 0; i < out.size; ++i) out.addresses.push_back(text.substr(0, colon) + ":" + std::to_string(base + i));
  return RK_SUCCESS;
}

// RINGKERNEL_JOB_KEY, else Open MPI's per-job random key (mpirun makes one for every job and
// hands it to each process, as its PSM transports use it).
rk_result key_from_environment(GroupConfig& out) {
  if (const char* key = env("RINGKERNEL_JOB_KEY")) {
    out.key.assign(key, key + std::strlen(key));
    out.key_source = "RINGKERNEL_JOB_KEY";
  } else if (const char* ompi = env("OMPI_MCA_orte_precondition_transports")) {
    out.key.assign(ompi, ompi + std::strlen(ompi));
    out.key_source = "mpirun's per-job key";
  } else {
    return fail(RK_ERROR_INVALID_ARGUMENT, "no job key: set RINGKERNEL_JOB_KEY (16 to 64 bytes, secret, the same in "
                                           "every process of the job) or start the processes under mpirun");
  }
  return RK_SUCCESS;
}

}  // namespace

rk_result read_group_config(const rk_group_options* options, GroupConfig& out) {
  out = GroupConfig{};
  rk_group_options given{};
  if (options != nullptr)
    if (rk_result r = read_struct(*options, given); r != RK_SUCCESS) return r;
  if (given.addresses != nullptr) {
    out.rank = given.rank;
    out.size = given.size;
    if (out.size == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, "rk_group_options.size is 0: give the number of ranks with the addresses");
    for (uint32_t i = 0; i < out.size; ++i) {
      if (given.addresses[i] == nullptr)
        return fail(RK_ERROR_INVALID_ARGUMENT, "rk_group_options.addresses[" + std::to_string(i) + "] is NULL");
      out.addresses.emplace_back(given.addresses[i]);
    }
  } else if (rk_result r = addresses_from_environment(out); r != RK_SUCCESS) {
    return r;
  }
  if (out.size == 0 || out.rank >= out.size)
    return fail(RK_ERROR_INVALID_ARGUMENT, "rank " + std::to_string(out.rank) + " is not in a group of " +
                                               std::to_string(out.size));
  if (given.job_key != nullptr) {
    if (given.job_key_size < 16 || given.job_key_size > 64)  // before reading the caller's bytes
      return fail(RK_ERROR_INVALID_ARGUMENT, "rk_group_options.job_key_size is " + std::to_string(given.job_key_size) +
                                                 "; the key must have 16 to 64 bytes");
    out.key.assign(given.job_key, given.job_key + given.job_key_size);
    out.key_source = "rk_group_options.job_key";
  } else if (rk_result r = key_from_environment(out); r != RK_SUCCESS) {
    return r;
  }
  if (out.key.size() < 16 || out.key.size() > 64)
    return fail(RK_ERROR_INVALID_ARGUMENT, "the job key (" + out.key_source + ") has " + std::to_string(out.key.size()) +
                                               " bytes; it must have 16 to 64");
  const char* transport = given.transport ? given.transport : env("RINGKERNEL_TRANSPORT");
  out.transport = transport ? transport : "ucx";
  const char* file = given.address_file ? given.address_file : env("RINGKERNEL_GROUP_ADDRESS_FILE");
  out.address_file = file ? file : "";
  out.connect_timeout_ns = given.connect_timeout_ns ? given.connect_timeout_ns : kDefaultConnectTimeoutNs;
  return RK_SUCCESS;
}

}  // namespace rk::core::group
