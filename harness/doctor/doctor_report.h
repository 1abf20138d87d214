// `isotest doctor`, part 3 of 3: the diagnosis for people (aligned lines, a remedy under each
// problem) and for machines (JSON, documented in docs/doctor.md). Formatting only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "doctor_findings.h"

namespace isotest {

std::string doctor_text(const DoctorFacts& facts, const Diagnosis& diagnosis);
nlohmann::json doctor_json(const DoctorFacts& facts, const Diagnosis& diagnosis);

}  // namespace isotest
