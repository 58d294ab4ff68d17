// Placeholder substitution and parameter formatting.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>

#include "autoglm/error.h"
#include "autoglm/executor.h"

namespace autoglm {
namespace {

TEST(Placeholders, Substitutes) {
  std::map<std::string, std::string> v = {{"lr", "0.001"}, {"a b", "x"}, {"empty", ""}};
  EXPECT_EQ(substitute_placeholders("--lr={lr}", v), "--lr=0.001");
  EXPECT_EQ(substitute_placeholders("{lr}{lr}", v), "0.0010.001");
  EXPECT_EQ(substitute_placeholders("{a b}|{empty}|", v), "x||");
  EXPECT_EQ(substitute_placeholders("no braces } here", v), "no braces } here");
  EXPECT_EQ(substitute_placeholders("{{lr}", v), "{lr}");
  EXPECT_EQ(substitute_placeholders("{{{lr}}", v), "{0.001}");
  EXPECT_EQ(substitute_placeholders("{{\"a\": {lr}}", v), "{\"a\": 0.001}");
  EXPECT_EQ(substitute_placeholders("", v), "");
}

TEST(Placeholders, Errors) {
  std::map<std::string, std::string> v = {{"lr", "1"}};
  try {
    substitute_placeholders("--x={LR}", v);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown placeholder '{LR}' in '--x={LR}'; known: lr (write '{{' for a literal '{')");
  }
  EXPECT_THROW(substitute_placeholders("{}", v), ConfigError);
  EXPECT_THROW(substitute_placeholders("{lr", v), ConfigError);
  EXPECT_THROW(substitute_placeholders("{a{lr}", v), ConfigError);
  EXPECT_THROW(substitute_placeholders("awk '{print $1}'", v), ConfigError);
  EXPECT_EQ(substitute_placeholders("awk '{{print $1}'", v), "awk '{print $1}'");
}

TEST(Placeholders, Names) {
  EXPECT_EQ(placeholder_names("{a}-{b}{{c}-{a}"), (std::vector<std::string>{"a", "b", "a"}));
  EXPECT_TRUE(placeholder_names("plain").empty());
  EXPECT_THROW(placeholder_names("{oops"), ConfigError);
}

TEST(Placeholders, FormatsValuesSoTheyRoundTrip) {
  EXPECT_EQ(format_placeholder_value(0.001), "0.001");
  EXPECT_EQ(format_placeholder_value(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_placeholder_value(1e-5), "1e-05");
  EXPECT_EQ(format_placeholder_value(3.0), "3.0");
  EXPECT_EQ(format_placeholder_value(-0.5), "-0.5");
  EXPECT_EQ(format_placeholder_value(1e300), "1e+300");
  EXPECT_EQ(format_placeholder_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_placeholder_value(-std::numeric_limits<double>::infinity()), "-Infinity");
  for (double d : {0.1, 1.0 / 3.0, 2.5e-7, 123456.789, 5e-324})
    EXPECT_EQ(std::strtod(format_placeholder_value(d).c_str(), nullptr), d);
  EXPECT_EQ(format_placeholder_value(int64_t{42}), "42");
  EXPECT_EQ(format_placeholder_value(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(format_placeholder_value(true), "true");
  EXPECT_EQ(format_placeholder_value(false), "false");
  EXPECT_EQ(format_placeholder_value(std::string("adamw")), "adamw");
  EXPECT_EQ(format_placeholder_value(std::monostate{}), "null");
}

}  // namespace
}  // namespace autoglm
