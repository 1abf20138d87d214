#include "gtest_cases.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <tuple>

#include "elf_rodata.h"
#include "unique_fd.h"

namespace isotest {

namespace {

// What detect_gtest_binary() looks for, stored backwards: isotest itself, and GoogleTest
// binaries that link isotest's code (its own tests), must not contain the words they look for.
// GoogleTest's colour-coded help text names the flag as "@G--gtest_list_tests@D": the colour
// marks keep a program that merely passes the flag (`isotest gtest`) from matching. The plugin
// carries its own marker (gtest-plugin/listener.cc).
constexpr std::string_view kGtestWordBackwards = "D@stset_tsil_tsetg--G@";
constexpr std::string_view kPluginMarkerBackwards = "1v-stneve:nigulp-tsetg-tsetosi";

std::string forwards(std::string_view backwards) {
  return {backwards.rbegin(), backwards.rend()};
}

bool contains_bytes(std::string_view haystack, std::string_view needle) {
  return ::memmem(haystack.data(), haystack.size(), needle.data(), needle.size()) != nullptr;
}

const char* text_or_empty(const nlohmann::json& value) {
  return value.is_string() ? value.get_ref<const std::string&>().c_str() : "";
}

double number_or_zero(const nlohmann::json& value) {
  return value.is_number() ? value.get<double>() : 0.0;
}

// "0x7f12..." as the plugin writes addresses.
std::uint64_t address_or_zero(const nlohmann::json& value) {
  return value.is_string() ? std::strtoull(value.get_ref<const std::string&>().c_str(), nullptr, 16)
                           : 0;
}

// "file.cc:12\nmessage", as GoogleTest writes a failure into its JSON output; "unknown file"
// and "file.cc" alone when it knows less.
CaseFailure parse_gtest_failure(const std::string& text) {
  CaseFailure failure;
  const auto newline = text.find('\n');
  const std::string location = text.substr(0, newline);
  failure.message = newline == std::string::npos ? std::string() : text.substr(newline + 1);
  const auto colon = location.rfind(':');
  if (colon != std::string::npos && colon + 1 < location.size() &&
      location.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
    failure.file = location.substr(0, colon);
    failure.line = std::atoi(location.c_str() + colon + 1);
  } else if (location != "unknown file") {
    failure.file = location;
  }
  return failure;
}

// A file mapped read-only, unmapped when it goes.
class MappedFile {
 public:
  MappedFile(int fd, std::size_t size)
      : size_(size), address_(::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0)) {}
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (valid()) ::munmap(address_, size_);
  }
  [[nodiscard]] bool valid() const { return address_ != MAP_FAILED; }
  [[nodiscard]] std::string_view bytes() const {
    return {static_cast<const char*>(address_), size_};
  }

 private:
  std::size_t size_;
  void* address_;
};

// Looks into an open regular file of `size` bytes.
GtestKind detect_in_file(int fd, std::size_t size) {
  // Only executables: a script mentioning GoogleTest is not one.
  char magic[4] = {};
  if (::pread(fd, magic, sizeof magic, 0) != sizeof magic ||
      std::string_view(magic, sizeof magic) !=
          "\x7f"
          "ELF") {
    return GtestKind::none;
  }
  const MappedFile mapped(fd, size);
  if (!mapped.valid()) return GtestKind::none;
  const std::string_view file = mapped.bytes();
  // Both strings are constants, so they are in the read-only data: only those pages are read,
  // unless the file's sections cannot be told apart.
  const auto ranges = elf_rodata_ranges(fd, size).value_or(std::vector<FileRange>{{0, size}});
  auto anywhere = [&](std::string_view backwards) {
    const std::string needle = forwards(backwards);
    return std::any_of(ranges.begin(), ranges.end(), [&](const FileRange& range) {
      return contains_bytes(file.substr(range.offset, range.size), needle);
    });
  };
  GtestKind kind = GtestKind::none;
  if (anywhere(kGtestWordBackwards)) {
    kind = anywhere(kPluginMarkerBackwards) ? GtestKind::plugin : GtestKind::plain;
  }
  return kind;
}

// A file as it was when it was looked into: a rebuilt binary differs in one of these.
using FileVersion = std::tuple<dev_t, ino_t, off_t, std::int64_t, std::int64_t>;

FileVersion version_of(const struct stat& info) {
  return {info.st_dev, info.st_ino, info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec};
}

}  // namespace

GtestKind detect_gtest_binary(const std::string& path) {
  if (path.empty()) return GtestKind::none;
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer; only a regular file is read.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  struct stat info {};
  if (!fd.valid() || ::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size == 0) {
    return GtestKind::none;
  }
  // `isotest gtest` launches the same binary for every case: reading its read-only data again
  // for each cost the runner page faults per case. The verdict is kept per file version.
  static std::mutex mutex;
  static std::map<FileVersion, GtestKind> known;
  const FileVersion version = version_of(info);
  {
    const std::lock_guard lock(mutex);
    if (auto found = known.find(version); found != known.end()) return found->second;
  }
  const GtestKind kind = detect_in_file(fd.get(), static_cast<std::size_t>(info.st_size));
  const std::lock_guard lock(mutex);
  known.emplace(version, kind);
  return kind;
}

void CaseAssembler::feed(std::string_view bytes, double now_ms) {
  pending_.append(bytes);
  std::size_t start = 0;
  for (auto newline = pending_.find('\n', start); newline != std::string::npos;
       newline = pending_.find('\n', start)) {
    const auto event = nlohmann::json::parse(
        pending_.begin() + static_cast<std::ptrdiff_t>(start),
        pending_.begin() + static_cast<std::ptrdiff_t>(newline), nullptr, false);
    if (event.is_object()) on_event(event, now_ms);
    start = newline + 1;
  }
  pending_.erase(0, start);
}

CaseResult& CaseAssembler::case_named(const std::string& name) {
  for (auto& known : cases_) {
    if (known.name == name) return known;
  }
  cases_.push_back(CaseResult{.name = name});
  return cases_.back();
}

void CaseAssembler::on_crash(const nlohmann::json& event) {
  PluginCrash crash;
  auto& report = crash.report;
  report.signal = static_cast<int>(number_or_zero(event.value("signal", nlohmann::json())));
  report.code = static_cast<int>(number_or_zero(event.value("code", nlohmann::json())));
  // si_addr is the fault's only for the signal's own codes; a sent signal's holds the sender.
  if (*report.code > 0 && *report.code != SI_KERNEL) {
    report.address = address_or_zero(event.value("address", nlohmann::json()));
  }
  report.tid = static_cast<int>(number_or_zero(event.value("tid", nlohmann::json())));
  report.source = "plugin";
  crash.case_name = text_or_empty(event.value("case", nlohmann::json()));
  if (crash.case_name.empty() && running_) crash.case_name = cases_[*running_].name;
  for (const auto& pc : event.value("pcs", nlohmann::json::array())) {
    report.frames.push_back(StackFrame{.pc = address_or_zero(pc)});
  }
  for (const auto& module : event.value("modules", nlohmann::json::array())) {
    if (!module.is_object()) continue;
    report.modules.push_back(
        LoadedModule{.path = text_or_empty(module.value("path", nlohmann::json())),
                     .base = address_or_zero(module.value("base", nlohmann::json()))});
  }
  if (report.frames.empty()) report.unavailable_reason = "the plugin's handler found no frames";
  crash_ = std::move(crash);
}

void CaseAssembler::add_crash(RunResult& result) const {
  if (!crash_) return;
  if (result.cases) {
    for (auto& test_case : *result.cases) {
      if (test_case.name == crash_->case_name) test_case.crash = crash_->report;
    }
  }
  if (!result.diagnostics) result.diagnostics = Diagnostics{.trigger = "crash"};
  result.diagnostics->crash = crash_->report;
}

void CaseAssembler::on_event(const nlohmann::json& event, double now_ms) {
  const std::string kind = text_or_empty(event.value("event", nlohmann::json()));
  if (kind == "crash") {
    if (!crash_) on_crash(event);
    return;
  }
  if (kind == "start") {
    started_ = true;
    for (const auto& name : event.value("cases", nlohmann::json::array())) {
      if (name.is_string()) case_named(name.get<std::string>());
    }
    for (const auto& name : event.value("disabled", nlohmann::json::array())) {
      if (name.is_string()) case_named(name.get<std::string>()).status = RunStatus::disabled;
    }
    return;
  }
  if (kind == "case_start") {
    started_ = true;
    CaseResult& started = case_named(text_or_empty(event.value("name", nlohmann::json())));
    // --gtest_repeat runs a case again: the last run counts.
    started.failures.clear();
    started.skip_message.clear();
    started.properties.clear();
    running_ = static_cast<std::size_t>(&started - cases_.data());
    running_since_ms_ = now_ms;
    return;
  }
  if (!running_) return;  // a failure outside any case (global set-up) belongs to none
  CaseResult& current = cases_[*running_];
  if (kind == "failure") {
    current.failures.push_back(CaseFailure{
        .file = text_or_empty(event.value("file", nlohmann::json())),
        .line = static_cast<int>(number_or_zero(event.value("line", nlohmann::json(-1)))),
        .message = text_or_empty(event.value("message", nlohmann::json()))});
  } else if (kind == "skip") {
    current.skip_message = text_or_empty(event.value("message", nlohmann::json()));
  } else if (kind == "case_end") {
    const std::string outcome = text_or_empty(event.value("result", nlohmann::json()));
    current.status = outcome == "passed"    ? RunStatus::passed
                     : outcome == "skipped" ? RunStatus::skipped
                                            : RunStatus::failed;
    current.duration_ms = number_or_zero(event.value("duration_ms", nlohmann::json()));
    const nlohmann::json properties = event.value("properties", nlohmann::json::object());
    for (const auto& [key, value] : properties.items()) {
      if (value.is_string()) current.properties[key] = value.get<std::string>();
    }
    running_.reset();
  }
}

std::vector<CaseResult> CaseAssembler::finish(RunStatus running_status, double end_ms) const {
  std::vector<CaseResult> result = cases_;
  if (running_) {
    CaseResult& running = result[*running_];
    running.status = running_status;
    running.duration_ms = std::max(0.0, end_ms - running_since_ms_);
  }
  // Statuses a case can have only after it ran; anything else still `notrun` never started.
  return result;
}

std::optional<std::vector<CaseResult>> cases_from_gtest_json(std::string_view text) {
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (!document.is_object() || !document.contains("testsuites")) return std::nullopt;
  static const char* const kKnownKeys[] = {"name",     "file",       "line",        "status",
                                           "result",   "timestamp",  "time",        "classname",
                                           "failures", "type_param", "value_param", "skipped"};
  std::vector<CaseResult> cases;
  for (const auto& suite : document["testsuites"]) {
    if (!suite.is_object()) continue;
    const std::string suite_name = text_or_empty(suite.value("name", nlohmann::json()));
    for (const auto& test : suite.value("testsuite", nlohmann::json::array())) {
      if (!test.is_object()) continue;
      CaseResult result{.name =
                            suite_name + "." + text_or_empty(test.value("name", nlohmann::json()))};
      const std::string status = text_or_empty(test.value("status", nlohmann::json()));
      const std::string outcome = text_or_empty(test.value("result", nlohmann::json()));
      // "0.012s"
      result.duration_ms = std::atof(text_or_empty(test.value("time", nlohmann::json()))) * 1000;
      for (const auto& failure : test.value("failures", nlohmann::json::array())) {
        result.failures.push_back(
            parse_gtest_failure(text_or_empty(failure.value("failure", nlohmann::json()))));
      }
      if (status == "NOTRUN") {
        result.status = RunStatus::disabled;
        result.duration_ms = 0;
      } else if (outcome == "SKIPPED") {
        result.status = RunStatus::skipped;
        // GoogleTest 1.12 does not write the skip message; later versions do.
        for (const auto& skip : test.value("skipped", nlohmann::json::array())) {
          result.skip_message = text_or_empty(skip.value("message", nlohmann::json()));
        }
      } else {
        result.status = result.failures.empty() ? RunStatus::passed : RunStatus::failed;
      }
      for (const auto& [key, value] : test.items()) {
        if (std::find(std::begin(kKnownKeys), std::end(kKnownKeys), key) != std::end(kKnownKeys)) {
          continue;
        }
        result.properties[key] = value.is_string() ? value.get<std::string>() : value.dump();
      }
      cases.push_back(std::move(result));
    }
  }
  return cases;
}

}  // namespace isotest
