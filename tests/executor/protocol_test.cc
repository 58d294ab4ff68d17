// Parsing of protocol lines (docs/protocol.md), without processes.
#include "executor/protocol.h"

#include <gtest/gtest.h>

#include <cmath>

namespace autoglm::protocol {
namespace {

Message ok(std::string_view line) {
  ParseResult r = parse_line(line);
  EXPECT_EQ(r.problem, "") << line;
  EXPECT_TRUE(r.message.has_value()) << line;
  return r.message.value_or(Message{});
}

std::string refused(std::string_view line) {
  ParseResult r = parse_line(line);
  EXPECT_FALSE(r.message.has_value()) << line;
  EXPECT_NE(r.problem, "") << line;
  return r.problem;
}

TEST(Protocol, IntermediateFinalAttrMetrics) {
  Message m = ok(R"({"step": 3, "value": 0.5})");
  EXPECT_EQ(m.kind, MessageKind::kIntermediate);
  EXPECT_EQ(m.step, 3);
  EXPECT_EQ(m.values, std::vector<double>{0.5});

  m = ok(R"(  {"step": 4.0, "value": 1, "epoch": 2, "time": "x"}  )" "\r");  // extras ignored, CRLF ok
  EXPECT_EQ(m.step, 4);

  m = ok(R"({"value": -2.5e-3})");
  EXPECT_EQ(m.kind, MessageKind::kFinal);
  EXPECT_EQ(m.values, std::vector<double>{-2.5e-3});

  m = ok(R"({"values": [1, 2.5, -3]})");
  EXPECT_EQ(m.kind, MessageKind::kFinal);
  EXPECT_EQ(m.values, (std::vector<double>{1, 2.5, -3}));

  m = ok(R"({"attr": "ckpt", "value": {"path": "a"}})");
  EXPECT_EQ(m.kind, MessageKind::kAttr);
  EXPECT_EQ(m.key, "ckpt");
  EXPECT_EQ(m.attr_value, nlohmann::json({{"path", "a"}}));

  m = ok(R"({"metrics": {"acc": 0.9, "note": "fine"}, "step": 10})");
  EXPECT_EQ(m.kind, MessageKind::kMetrics);
  EXPECT_EQ(m.step, 10);
  EXPECT_EQ(m.metrics.at("acc"), 0.9);
  EXPECT_EQ(m.metrics.at("note"), "fine");
  EXPECT_FALSE(ok(R"({"metrics": {"acc": 1}})").step.has_value());
}

TEST(Protocol, NonFiniteLiterals) {
  EXPECT_TRUE(std::isnan(ok(R"({"value": NaN})").values[0]));
  EXPECT_TRUE(std::isnan(ok(R"({"value": nan})").values[0]));
  EXPECT_EQ(ok(R"({"value": Infinity})").values[0], INFINITY);
  EXPECT_EQ(ok(R"({"value":-Infinity})").values[0], -INFINITY);
  EXPECT_EQ(ok(R"({"value": -inf})").values[0], -INFINITY);
  EXPECT_EQ(ok(R"({"value": inf})").values[0], INFINITY);
  EXPECT_EQ(ok(R"({"values": [NaN, Infinity, 1e5, 1E+2]})").values.size(), 4u);
  // Inside strings the words stay words.
  Message m = ok(R"({"attr": "NaN", "value": "Infinity and NaN \" NaN"})");
  EXPECT_EQ(m.key, "NaN");
  EXPECT_EQ(m.attr_value, "Infinity and NaN \" NaN");
  EXPECT_EQ(ok(R"({"attr": "flags", "value": [true, false, null]})").attr_value, nlohmann::json({true, false, nullptr}));
  EXPECT_EQ(parse_relaxed_json("[NaN]")[0].is_number_float(), true);
  EXPECT_EQ(refused(R"({"value": Nope})"), "not JSON");
}

TEST(Protocol, MalformedLines) {
  EXPECT_FALSE(parse_line("").message.has_value());
  EXPECT_EQ(parse_line("   ").problem, "");
  EXPECT_EQ(refused("hello"), "not JSON");
  EXPECT_EQ(refused(R"({"value": 1)"), "not JSON");
  EXPECT_EQ(refused("42"), "not a JSON object");
  EXPECT_EQ(refused(R"({"step": 1})"), "a \"step\" line needs a \"value\"");
  EXPECT_EQ(refused(R"({"step": 1.5, "value": 1})"), "\"step\" must be an integer, got 1.5");
  EXPECT_EQ(refused(R"({"step": -2, "value": 1})"), "\"step\" must be >= 0, got -2");
  EXPECT_EQ(refused(R"({"step": 1, "value": "x"})"), "\"value\" must be a number, got \"x\"");
  EXPECT_EQ(refused(R"({"value": null})"), "\"value\" must be a number, got null");
  EXPECT_EQ(refused(R"({"values": []})"), "\"values\" must be a non-empty array of numbers");
  EXPECT_EQ(refused(R"({"values": [1, "a"]})"), "\"values\" must hold only numbers, got \"a\"");
  EXPECT_EQ(refused(R"({"attr": 3, "value": 1})"), "\"attr\" must be a non-empty string");
  EXPECT_EQ(refused(R"({"attr": "k"})"), "an \"attr\" line needs a \"value\"");
  EXPECT_EQ(refused(R"({"metrics": []})"), "\"metrics\" must be a non-empty object of name -> value");
  EXPECT_NE(refused(R"({"loss": 1})").find("no known field"), std::string::npos);
}

TEST(Protocol, LineBufferSplitsAndLimits) {
  LineBuffer buf(10);
  std::vector<std::string> lines;
  int too_long = 0;
  auto on_line = [&](std::string_view l) { lines.emplace_back(l); };
  auto on_long = [&] { ++too_long; };
  buf.feed("ab", on_line, on_long);
  buf.feed("c\nde\n\nf", on_line, on_long);
  EXPECT_EQ(lines, (std::vector<std::string>{"abc", "de", ""}));
  buf.feed("0123456789ABC", on_line, on_long);  // f + 13 bytes: too long
  buf.feed("DEF\nok\n", on_line, on_long);
  EXPECT_EQ(too_long, 1);
  EXPECT_EQ(lines.back(), "ok");
  buf.feed("tail", on_line, on_long);
  EXPECT_EQ(buf.take_partial(), "tail");
  EXPECT_EQ(buf.take_partial(), "");
}

}  // namespace
}  // namespace autoglm::protocol
