// JavaScript number semantics the wire inherits from the TypeScript side: Number.prototype.toString (used by
// JSON.stringify, and by msgpackr to turn numeric map keys into property names), safe integers, and the order in
// which a JS object lists its own properties (array-index keys first, ascending, then insertion order).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

namespace overlay_ipc::js {

/** Number.MAX_SAFE_INTEGER: zod's .int() accepts only safe integers. */
inline constexpr double kMaxSafeInteger = 9007199254740991.0;

inline bool is_integer(double v) { return std::isfinite(v) && std::trunc(v) == v; }

inline bool is_safe_integer(double v) { return is_integer(v) && std::fabs(v) <= kMaxSafeInteger; }

/**
 * Number.prototype.toString() for a double (ECMA-262 Number::toString): the shortest digits that round-trip,
 * written plainly for decimal exponents in (-7, 21] and in exponent form otherwise.
 */
inline std::string to_string(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return "0";  // also -0
  if (v < 0) return "-" + to_string(-v);
  if (std::isinf(v)) return "Infinity";

  // Shortest round-trip digits in scientific form: "d[.ddd]e±x".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t e_at = sci.find('e');
  std::string digits;
  for (std::size_t i = 0; i < e_at; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  const int exp10 = std::atoi(std::string(sci.substr(e_at + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // v = 0.digits × 10^n

  if (k <= n && n <= 21) return digits + std::string(static_cast<std::size_t>(n - k), '0');
  if (0 < n && n <= 21) {
    return digits.substr(0, static_cast<std::size_t>(n)) + "." + digits.substr(static_cast<std::size_t>(n));
  }
  if (-6 < n && n <= 0) return "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  const int e = n - 1;
  std::string out = digits.substr(0, 1);
  if (k > 1) out += "." + digits.substr(1);
  return out + "e" + (e < 0 ? "-" : "+") + std::to_string(std::abs(e));
}

/** True when `key` is an array index ("0", "1", … "4294967294"): JS objects list those first, in numeric order. */
inline bool is_array_index(std::string_view key, std::uint32_t& index) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  std::uint64_t v = 0;
  for (const char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v >= 0xFFFFFFFFull) return false;
  index = static_cast<std::uint32_t>(v);
  return true;
}

}  // namespace overlay_ipc::js
