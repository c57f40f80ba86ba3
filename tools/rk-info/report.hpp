// The two views of one rkinfo::Model: the text report for people, JSON for scripts.
#pragma once

#include <nlohmann/json.hpp>

#include "model.hpp"

namespace rkinfo {

void print_text(const Model& model);
// ordered_json: keys come out in the order written, so the JSON reads like the text.
nlohmann::ordered_json to_json(const Model& model);
void print_json(const Model& model);

}  // namespace rkinfo
