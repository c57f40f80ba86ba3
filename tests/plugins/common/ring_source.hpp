// What rk::core::assemble_ring_source builds, from this tree's files (the core does not
// export it): the dialect headers without their #include lines, the user source, the ring
// loop. Shared by the cuda, hip and level_zero compile tests, with the echo handler both compile.
#pragma once

#include <string>

namespace rk::test {

// A file of this source tree, by its path from the root.
std::string read_source_file(const std::string& relative);

std::string ring_source(const std::string& user);

extern const char* const kEchoHandler;

}  // namespace rk::test
