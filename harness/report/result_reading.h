#pragma once

// Reading result files, which are input: a missing key or a value of another type reads as
// empty, never as an exception or nlohmann's assertion. One set for the console report, JUnit,
// the HTML page and the Markdown summary.

#include <string>

#include <nlohmann/json.hpp>

namespace isotest {

// OBJECT's KEY, or null when OBJECT is not an object or has no KEY.
const nlohmann::json& field(const nlohmann::json& object, const char* key);
std::string text_of(const nlohmann::json& value);  // "" unless a string
double number_of(const nlohmann::json& value);     // 0 unless a number
std::string status_of(const nlohmann::json& document);
// A status whose verdict is passed or skipped (report.h's Verdict): nothing to show as a failure.
bool is_good(const std::string& status);

}  // namespace isotest
