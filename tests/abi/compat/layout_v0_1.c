/* The published layout as the 0.1.0 headers give it (compiled with only
 * tests/abi/compat/v0_1 on the include path). */
#include <ringkernel/ringkernel.h>

#include "published_fields.h"

#define FIELD_ROW(type, field) {#type, #field, offsetof(type, field), sizeof(((type*)0)->field)},
#define SIZE_ROW(type) {#type, "", 0, sizeof(type)},

static const rk_published_layout rows[] = {RK_PUBLISHED_FIELDS(FIELD_ROW) RK_PUBLISHED_GROWABLE(SIZE_ROW)
                                               RK_PUBLISHED_FIXED(SIZE_ROW)};

const rk_published_layout* rk_layout_v0_1(size_t* count) {
  *count = sizeof(rows) / sizeof(rows[0]);
  return rows;
}
