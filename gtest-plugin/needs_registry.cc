#include "needs_registry.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>
#include <utility>

namespace isotest::internal {

namespace {

struct Declared {
  std::string suite;
  std::string test_case;  // empty: the whole suite
  std::vector<Need> needs;
};

std::vector<Declared>& registry() {
  static std::vector<Declared> declared;
  return declared;
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// The suite as written in TEST(): "Prefix/Suite" (value-parameterized), "Suite/0" (typed) and
// "Prefix/Suite/0" (typed, instantiated by name) all give "Suite".
std::string_view base_suite(std::string_view name) {
  auto slash = name.rfind('/');
  if (slash != std::string_view::npos && all_digits(name.substr(slash + 1))) {
    name = name.substr(0, slash);
  }
  slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// The case as written: "Case/0" or "Case/pretty_name" (value-parameterized) give "Case".
std::string_view base_case(std::string_view name) {
  return name.substr(0, name.find('/'));
}

void apply(std::vector<Need>& merged, const std::vector<Need>& needs) {
  for (const auto& need : needs) {
    bool replaced = false;
    for (auto& existing : merged) {
      if (existing.option == need.option) {
        existing.value = need.value;
        replaced = true;
      }
    }
    if (!replaced) merged.push_back(need);
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      static_cast<void>(
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

NeedsRegistration::NeedsRegistration(const char* suite, const char* test_case,
                                     std::initializer_list<Need> needs) {
  registry().push_back(Declared{suite, test_case != nullptr ? test_case : "", needs});
}

std::vector<std::string> needs_of(const testing::TestInfo& info) {
  const std::string_view suite = base_suite(info.test_suite_name());
  const std::string_view test_case = base_case(info.name());
  std::vector<Need> merged;
  // Suite-wide first, so that a case's own declaration wins.
  for (const bool for_case : {false, true}) {
    for (const auto& declared : registry()) {
      if (declared.suite != suite || declared.test_case.empty() == for_case) continue;
      if (for_case && declared.test_case != test_case) continue;
      apply(merged, declared.needs);
    }
  }
  std::vector<std::string> arguments;
  for (const auto& need : merged) {
    arguments.push_back(need.option);
    arguments.push_back(need.value);
  }
  return arguments;
}

void write_needs_file(const char* path, const testing::UnitTest& unit_test) {
  std::string json = "{";
  for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = unit_test.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      const auto arguments = needs_of(*info);
      if (arguments.empty()) continue;
      if (json.size() > 1) json += ",";
      json += "\n  ";
      append_json_string(json, std::string(info->test_suite_name()) + "." + info->name());
      json += ": [";
      for (std::size_t k = 0; k < arguments.size(); ++k) {
        if (k > 0) json += ", ";
        append_json_string(json, arguments[k]);
      }
      json += "]";
    }
  }
  json += json.size() > 1 ? "\n}\n" : "}\n";
  const std::string temporary = std::string(path) + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << json;
    if (!out.flush()) {
      static_cast<void>(
          std::fprintf(stderr, "isotest plugin: cannot write ISOTEST_LIST_NEEDS file %s\n", path));
      std::_Exit(1);
    }
  }
  if (std::rename(temporary.c_str(), path) != 0) {
    static_cast<void>(std::fprintf(stderr,
                                   "isotest plugin: cannot write ISOTEST_LIST_NEEDS file %s: %s\n",
                                   path, std::strerror(errno)));
    std::_Exit(1);
  }
}

}  // namespace isotest::internal
