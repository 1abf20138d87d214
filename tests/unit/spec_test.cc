#include "spec.h"

#include <gtest/gtest.h>

namespace isotest {
namespace {

TEST(ParseDuration, AcceptsUnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration_ms("500ms"), 500);
  EXPECT_EQ(parse_duration_ms("30s"), 30'000);
  EXPECT_EQ(parse_duration_ms("2m"), 120'000);
  EXPECT_EQ(parse_duration_ms("1h"), 3'600'000);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(parse_duration_ms("30"), 30'000);
}

TEST(ParseDuration, RejectsGarbage) {
  EXPECT_FALSE(parse_duration_ms(""));
  EXPECT_FALSE(parse_duration_ms("ms"));
  EXPECT_FALSE(parse_duration_ms("5x"));
  EXPECT_FALSE(parse_duration_ms("-1s"));
  EXPECT_FALSE(parse_duration_ms("1e300s"));
  // Only the syntax docs/cli.md gives, which the CMake functions convert the same way.
  EXPECT_FALSE(parse_duration_ms("1e3"));
  EXPECT_FALSE(parse_duration_ms(".5s"));
  EXPECT_FALSE(parse_duration_ms("1.s"));
  EXPECT_FALSE(parse_duration_ms("+1s"));
  EXPECT_FALSE(parse_duration_ms("infs"));
}

TEST(ParseNumbers, DecimalsAndWholeNumbersTakeOnlyTheirSyntax) {
  EXPECT_EQ(parse_decimal("0.5"), 0.5);
  EXPECT_EQ(parse_decimal("2"), 2.0);
  for (const char* text : {"", "nan", "inf", "-1", "1e3", ".5", "5.", "0x10", " 1"}) {
    EXPECT_FALSE(parse_decimal(text)) << text;
  }
  EXPECT_EQ(parse_whole_number("-3600"), -3600);
  EXPECT_EQ(parse_whole_number("9223372036854775807"), INT64_MAX);
  for (const char* text : {"", "-", "1.5", "9223372036854775808", "+3", "3 "}) {
    EXPECT_FALSE(parse_whole_number(text)) << text;
  }
}

TEST(ParseSize, AcceptsBinaryUnits) {
  EXPECT_EQ(parse_size_bytes("1024"), 1024U);
  EXPECT_EQ(parse_size_bytes("64K"), 64U * 1024);
  EXPECT_EQ(parse_size_bytes("64KiB"), 64U * 1024);
  EXPECT_EQ(parse_size_bytes("256M"), 256U * 1024 * 1024);
  EXPECT_EQ(parse_size_bytes("1G"), 1024ULL * 1024 * 1024);
  EXPECT_EQ(parse_size_bytes("1GB"), 1024ULL * 1024 * 1024);
  EXPECT_FALSE(parse_size_bytes("lots"));
  EXPECT_FALSE(parse_size_bytes("M"));
}

TEST(ParseBind, DestinationDefaultsToSource) {
  auto bind = parse_bind("/data", false);
  ASSERT_TRUE(bind);
  EXPECT_EQ(bind->source, "/data");
  EXPECT_EQ(bind->target, "/data");
  auto other = parse_bind("/data:/mnt/data", true);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->target, "/mnt/data");
  EXPECT_TRUE(other->read_only);
  EXPECT_FALSE(parse_bind(":/x", false));
  EXPECT_FALSE(parse_bind("/x:", false));
}

TEST(ParseTmpfs, OptionalSize) {
  auto plain = parse_tmpfs("/scratch");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->size_bytes);
  auto sized = parse_tmpfs("/scratch:16M");
  ASSERT_TRUE(sized);
  EXPECT_EQ(sized->size_bytes, 16U * 1024 * 1024);
  EXPECT_FALSE(parse_tmpfs("/scratch:huge"));
}

TEST(Namespaces, NamesRoundTripAndAliases) {
  for (Namespace ns : kAllNamespaces) EXPECT_EQ(parse_namespace(namespace_name(ns)), ns);
  EXPECT_EQ(parse_namespace("network"), Namespace::net);
  EXPECT_EQ(parse_namespace("mnt"), Namespace::mount);
  EXPECT_FALSE(parse_namespace("time"));
}

TEST(Validate, DefaultSpecWithCommandIsFine) {
  SandboxSpec spec;
  spec.command = {"true"};
  EXPECT_TRUE(validate(spec).empty());
}

TEST(Validate, NamesEachContradiction) {
  SandboxSpec spec;
  EXPECT_EQ(validate(spec).size(), 1U);  // no command

  spec.command = {"true"};
  spec.share(Namespace::mount);
  spec.read_only_root = true;
  spec.share(Namespace::uts);
  spec.hostname = "other";
  spec.share(Namespace::net);  // with network still loopback
  auto problems = validate(spec);
  ASSERT_EQ(problems.size(), 3U);
  EXPECT_NE(problems[0].find("--share"), std::string::npos);
  EXPECT_NE(problems[1].find("--hostname"), std::string::npos);
  EXPECT_NE(problems[2].find("--network loopback"), std::string::npos);
}

TEST(Validate, RelativeMountTargetsAreRejected) {
  SandboxSpec spec;
  spec.command = {"true"};
  spec.binds.push_back({"/a", "relative", false});
  spec.tmpfs.push_back({"also-relative", std::nullopt});
  EXPECT_EQ(validate(spec).size(), 2U);
}

TEST(DisplayName, IsCommandBasenameUnlessNamed) {
  SandboxSpec spec;
  spec.command = {"/usr/bin/env", "x"};
  EXPECT_EQ(spec.display_name(), "env");
  spec.name = "custom";
  EXPECT_EQ(spec.display_name(), "custom");
}

}  // namespace
}  // namespace isotest
