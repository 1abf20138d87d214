#pragma once

// Reading result files, which are input: a missing key or a value of another type reads as
// empty, never as an exception or nlohmann's assertion. One set for the console report, JUnit,
// the HTML page and the Markdown summary. A status is read and judged by result/run_status.h.

#include <string>

#include <nlohmann/json.hpp>

namespace isotest {

// OBJECT's KEY, or null when OBJECT is not an object or has no KEY.
const nlohmann::json& field(const nlohmann::json& object, const char* key);
std::string text_of(const nlohmann::json& value);  // "" unless a string
double number_of(const nlohmann::json& value);     // 0 unless a number

}  // namespace isotest
