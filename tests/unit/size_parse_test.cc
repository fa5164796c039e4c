#include "core/size_parse.h"

#include <cstdint>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace vslice {
namespace {

constexpr std::uint64_t KiB = 1ull << 10;
constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;
constexpr std::uint64_t TiB = 1ull << 40;

std::uint64_t MustParse(const char* text) {
  std::uint64_t bytes = 12345;
  EXPECT_TRUE(ParseByteSize(text, &bytes)) << '"' << text << '"';
  return bytes;
}

// Returns the reason, and checks the output was left alone.
std::string MustReject(const char* text) {
  std::uint64_t bytes = 777;
  EXPECT_FALSE(ParseByteSize(text, &bytes)) << '"' << text << '"';
  EXPECT_EQ(bytes, 777u) << "output touched on failure for \"" << text << '"';
  const SizeResult r = ParseByteSizeWithReason(text);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why, nullptr);
  return r.why != nullptr ? r.why : "";
}

TEST(ParseByteSize, PlainBytes) {
  EXPECT_EQ(MustParse("1073741824"), GiB);
  EXPECT_EQ(MustParse("0"), 0u);
  EXPECT_EQ(MustParse("1"), 1u);
  EXPECT_EQ(MustParse("512b"), 512u);
  EXPECT_EQ(MustParse("512B"), 512u);
}

TEST(ParseByteSize, HamiCoreForms) {
  EXPECT_EQ(MustParse("1048576k"), GiB);
  EXPECT_EQ(MustParse("1024m"), GiB);
  EXPECT_EQ(MustParse("3000m"), 3000 * MiB);
  EXPECT_EQ(MustParse("1g"), GiB);
  EXPECT_EQ(MustParse("2G"), 2 * GiB);
  EXPECT_EQ(MustParse("1t"), TiB);
  EXPECT_EQ(MustParse("1T"), TiB);
  EXPECT_EQ(MustParse("4K"), 4 * KiB);
  EXPECT_EQ(MustParse("4M"), 4 * MiB);
}

TEST(ParseByteSize, IecAndByteSuffixesAreBinary) {
  EXPECT_EQ(MustParse("2Gi"), 2 * GiB);
  EXPECT_EQ(MustParse("2GiB"), 2 * GiB);
  EXPECT_EQ(MustParse("2gib"), 2 * GiB);
  EXPECT_EQ(MustParse("512MiB"), 512 * MiB);
  EXPECT_EQ(MustParse("512MB"), 512 * MiB);  // MB is binary too
  EXPECT_EQ(MustParse("512mb"), 512 * MiB);
  EXPECT_EQ(MustParse("8KB"), 8 * KiB);
  EXPECT_EQ(MustParse("1TiB"), TiB);
  EXPECT_EQ(MustParse("2gb"), 2 * GiB);
}

TEST(ParseByteSize, Fractions) {
  EXPECT_EQ(MustParse("1.5g"), GiB + GiB / 2);
  EXPECT_EQ(MustParse("0.5m"), MiB / 2);
  EXPECT_EQ(MustParse("2.25GiB"), 2 * GiB + GiB / 4);
  EXPECT_EQ(MustParse("1.0"), 1u);
  // Not whole bytes: rounded down.
  EXPECT_EQ(MustParse("1.5"), 1u);
  EXPECT_EQ(MustParse("1.9"), 1u);
  EXPECT_EQ(MustParse("0.1k"), 102u);   // 102.4
  EXPECT_EQ(MustParse("0.3k"), 307u);   // 307.2
  EXPECT_EQ(MustParse("0.001k"), 1u);   // 1.024
  EXPECT_EQ(MustParse("0.0009k"), 0u);  // 0.9216
  // Many digits are handled exactly: 0.999...9 (30 nines) k is 1023.99.. -> 1023.
  EXPECT_EQ(MustParse("0.999999999999999999999999999999k"), 1023u);
  EXPECT_EQ(MustParse("0.999999999999999999999999999999t"), TiB - 1);
  EXPECT_EQ(MustParse("1.000000000000000000000000000001t"), TiB);
}

TEST(ParseByteSize, SurroundingSpaces) {
  EXPECT_EQ(MustParse("  2g"), 2 * GiB);
  EXPECT_EQ(MustParse("2g  "), 2 * GiB);
  EXPECT_EQ(MustParse("\t 1024m \n"), GiB);
}

TEST(ParseByteSize, Rejects) {
  EXPECT_EQ(MustReject(""), "empty");
  EXPECT_EQ(MustReject("   "), "empty");
  EXPECT_EQ(MustReject("-1"), "negative");
  EXPECT_EQ(MustReject("-1g"), "negative");
  EXPECT_EQ(MustReject("abc"), "no digits");
  EXPECT_EQ(MustReject("g"), "no digits");
  EXPECT_EQ(MustReject("+1g"), "no digits");
  EXPECT_EQ(MustReject(".5g"), "no digits");
  EXPECT_EQ(MustReject("2gb2"), "unknown unit");
  EXPECT_EQ(MustReject("2x"), "unknown unit");
  EXPECT_EQ(MustReject("2p"), "unknown unit");
  EXPECT_EQ(MustReject("2bb"), "unknown unit");
  EXPECT_EQ(MustReject("2ibg"), "unknown unit");
  EXPECT_EQ(MustReject("2gi b"), "unknown unit");
  EXPECT_EQ(MustReject("2 g"), "unknown unit");  // no space before the unit
  EXPECT_EQ(MustReject("1e9"), "unknown unit");
  EXPECT_EQ(MustReject("0x10"), "unknown unit");
  EXPECT_EQ(MustReject("1,5g"), "unknown unit");
  EXPECT_EQ(MustReject("1..5g"), "bad fraction");
  EXPECT_EQ(MustReject("1.g"), "bad fraction");
  EXPECT_EQ(MustReject("1."), "bad fraction");
  EXPECT_EQ(MustReject("1.5.3g"), "bad fraction");
}

TEST(ParseByteSize, Overflow) {
  // 2^64 - 1 is the largest accepted value.
  EXPECT_EQ(MustParse("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(MustReject("18446744073709551616"), "too large");
  EXPECT_EQ(MustReject("99999999999999999999999"), "too large");
  // 2^24 t = 2^64: must not wrap to 0.
  EXPECT_EQ(MustParse("16777215t"), 16777215 * TiB);
  EXPECT_EQ(MustReject("16777216t"), "too large");
  EXPECT_EQ(MustReject("17179869184g"), "too large");  // 2^34 g
  EXPECT_EQ(MustReject("18014398509481984k"), "too large");  // 2^54 k
  // With a fraction, just under the limit still parses; 2^64-1 exactly is
  // 16777215.99999999999999999...t and rounds down to it.
  EXPECT_EQ(MustParse("16777215.999999t"), 16777215 * TiB + 1099510528264ull);
  EXPECT_EQ(MustParse("16777215.9999999999999999999t"), UINT64_MAX);
  EXPECT_EQ(MustReject("18446744073709551615.5k"), "too large");
  EXPECT_EQ(MustReject("16777216.0t"), "too large");
  // Whole part exactly 2^64 - 1 bytes, fraction rounds down to nothing.
  EXPECT_EQ(MustParse("18446744073709551615.9"), UINT64_MAX);
}

TEST(ParseByteSize, NullOutputIsAllowed) {
  EXPECT_TRUE(ParseByteSize("1g", nullptr));
  EXPECT_FALSE(ParseByteSize("x", nullptr));
}

TEST(ParseByteSize, NotNulTerminatedView) {
  const char buffer[] = "2g9";
  std::uint64_t bytes = 0;
  ASSERT_TRUE(ParseByteSize(std::string_view(buffer, 2), &bytes));
  EXPECT_EQ(bytes, 2 * GiB);
}

TEST(ParseMegabytes, Accepts) {
  std::uint64_t bytes = 0;
  ASSERT_TRUE(ParseMegabytes("4096", &bytes));
  EXPECT_EQ(bytes, 4096 * MiB);
  ASSERT_TRUE(ParseMegabytes(" 1 ", &bytes));
  EXPECT_EQ(bytes, MiB);
  ASSERT_TRUE(ParseMegabytes("0", &bytes));
  EXPECT_EQ(bytes, 0u);
  // 2^44 - 1 MB is the largest that fits in 64 bits of bytes.
  ASSERT_TRUE(ParseMegabytes("17592186044415", &bytes));
  EXPECT_EQ(bytes, 17592186044415ull * MiB);
}

TEST(ParseMegabytes, Rejects) {
  std::uint64_t bytes = 5;
  for (const char* bad : {"", "  ", "-1", "4g", "4096m", "1.5", "abc", "12 34", "+3"}) {
    EXPECT_FALSE(ParseMegabytes(bad, &bytes)) << '"' << bad << '"';
    EXPECT_EQ(bytes, 5u);
  }
  EXPECT_STREQ(ParseMegabytesWithReason("").why, "empty");
  EXPECT_STREQ(ParseMegabytesWithReason("-4").why, "negative");
  EXPECT_STREQ(ParseMegabytesWithReason("4g").why, "not a whole number");
  EXPECT_STREQ(ParseMegabytesWithReason("17592186044416").why, "too large");  // 2^44
  EXPECT_STREQ(ParseMegabytesWithReason("99999999999999999999999").why, "too large");
}

TEST(ParseBool, AcceptsEveryForm) {
  struct Case {
    const char* text;
    bool value;
  };
  for (const Case& c : {Case{"true", true},   Case{"TRUE", true},   Case{"True", true},
                        Case{"1", true},      Case{"yes", true},    Case{"YES", true},
                        Case{"on", true},     Case{"On", true},     Case{" true ", true},
                        Case{"false", false}, Case{"FALSE", false}, Case{"0", false},
                        Case{"no", false},    Case{"No", false},    Case{"off", false},
                        Case{"OFF", false}}) {
    bool v = !c.value;
    EXPECT_TRUE(ParseBool(c.text, &v)) << c.text;
    EXPECT_EQ(v, c.value) << c.text;
  }
}

TEST(ParseBool, Rejects) {
  for (const char* bad : {"", " ", "2", "y", "n", "t", "f", "enable", "truee", "-1", "o n"}) {
    bool v = true;
    EXPECT_FALSE(ParseBool(bad, &v)) << '"' << bad << '"';
    EXPECT_TRUE(v);
  }
}

TEST(ParseIntInRange, Accepts) {
  long v = -99;
  ASSERT_TRUE(ParseIntInRange("0", 0, 100, &v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(ParseIntInRange("100", 0, 100, &v));
  EXPECT_EQ(v, 100);
  ASSERT_TRUE(ParseIntInRange(" 42 ", 0, 100, &v));
  EXPECT_EQ(v, 42);
  ASSERT_TRUE(ParseIntInRange("-5", -10, 10, &v));
  EXPECT_EQ(v, -5);
  ASSERT_TRUE(ParseIntInRange("007", 0, 10, &v));
  EXPECT_EQ(v, 7);
}

TEST(ParseIntInRange, Rejects) {
  long v = 3;
  EXPECT_FALSE(ParseIntInRange("101", 0, 100, &v));
  EXPECT_FALSE(ParseIntInRange("-1", 0, 100, &v));
  EXPECT_FALSE(ParseIntInRange("", 0, 100, &v));
  EXPECT_FALSE(ParseIntInRange("1.5", 0, 100, &v));
  EXPECT_FALSE(ParseIntInRange("+5", 0, 100, &v));
  EXPECT_FALSE(ParseIntInRange("5x", 0, 100, &v));
  EXPECT_FALSE(ParseIntInRange("0x10", 0, 100, &v));
  EXPECT_FALSE(ParseIntInRange("5 0", 0, 100, &v));
  EXPECT_EQ(v, 3);

  EXPECT_STREQ(ParseIntInRangeWithReason("", 0, 1).why, "empty");
  EXPECT_STREQ(ParseIntInRangeWithReason("abc", 0, 1).why, "not a whole number");
  EXPECT_STREQ(ParseIntInRangeWithReason("7", 0, 1).why, "out of range");
  EXPECT_STREQ(ParseIntInRangeWithReason("99999999999999999999999", 0, 1).why, "out of range");
  EXPECT_STREQ(ParseIntInRangeWithReason("-99999999999999999999999", 0, 1).why, "out of range");
  EXPECT_STREQ(ParseIntInRangeWithReason("99999999999999999999999x", 0, 1).why,
               "not a whole number");
}

TEST(TrimSpaces, Trims) {
  EXPECT_EQ(TrimSpaces("  a b \t\r\n"), "a b");
  EXPECT_EQ(TrimSpaces(""), "");
  EXPECT_EQ(TrimSpaces(" \t "), "");
}

}  // namespace
}  // namespace vslice
