// Fields are only ever appended: every field published in 0.1.0 keeps its offset and size
// in the current headers, fixed-size structs keep their size, growable ones never shrink.
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <string>

#include "ringkernel.h"

extern "C" {
#include "published_fields.h"
const rk_published_layout* rk_layout_v0_1(size_t* count);
}

namespace {

#define FIELD_ROW(type, field) {#type, #field, offsetof(type, field), sizeof(((type*)nullptr)->field)},
#define SIZE_ROW(type) {#type, "", 0, sizeof(type)},
const rk_published_layout kFields[] = {RK_PUBLISHED_FIELDS(FIELD_ROW)};
const rk_published_layout kGrowable[] = {RK_PUBLISHED_GROWABLE(SIZE_ROW)};
const rk_published_layout kFixed[] = {RK_PUBLISHED_FIXED(SIZE_ROW)};

template <size_t N>
const rk_published_layout* find(const rk_published_layout (&rows)[N], const rk_published_layout& wanted) {
  for (const rk_published_layout& row : rows)
    if (std::strcmp(row.type, wanted.type) == 0 && std::strcmp(row.field, wanted.field) == 0) return &row;
  return nullptr;
}

}  // namespace

TEST_CASE("every 0.1.0 field keeps its offset and size", "[abi][compat]") {
  size_t count = 0;
  const rk_published_layout* old_rows = rk_layout_v0_1(&count);
  size_t fields = 0;
  for (size_t i = 0; i < count; ++i) {
    const rk_published_layout& old_row = old_rows[i];
    std::string what = std::string(old_row.type) + "." + old_row.field;
    INFO(what);
    if (old_row.field[0] != '\0') {
      const rk_published_layout* now = find(kFields, old_row);
      REQUIRE(now != nullptr);
      CHECK(now->offset == old_row.offset);
      CHECK(now->size == old_row.size);
      ++fields;
    } else if (const rk_published_layout* fixed = find(kFixed, old_row)) {
      CHECK(fixed->size == old_row.size);
    } else {
      const rk_published_layout* grown = find(kGrowable, old_row);
      REQUIRE(grown != nullptr);
      CHECK(grown->size >= old_row.size);
    }
  }
  CHECK(fields == sizeof(kFields) / sizeof(kFields[0]));
}

TEST_CASE("the public API version is 1.x and the library agrees with its headers", "[abi][compat]") {
  CHECK(RK_API_VERSION_MAJOR_OF(rk_api_version()) == RK_API_VERSION_MAJOR);
  CHECK(RK_API_VERSION_MINOR_OF(rk_api_version()) >= RK_API_VERSION_MINOR);
  CHECK(RK_API_VERSION == RK_MAKE_API_VERSION(1, 7));
}
