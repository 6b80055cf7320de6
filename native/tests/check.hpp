// A minimal test harness shared by the native tests: named checks, a failure list, and the summary line
// "N passed, M failed" that scripts/native-test.ts and CTest read. No framework dependency on purpose.
#pragma once

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "overlay_ipc/bytes.hpp"
#include "overlay_ipc/errors.hpp"

namespace check {

struct Tally {
  int passed = 0;
  int failed = 0;
};

inline Tally& tally() {
  static Tally t;
  return t;
}

/** Records one check; prints only failures so the output stays readable. */
inline bool expect(bool ok, const std::string& name, const std::string& detail = {}) {
  if (ok) {
    ++tally().passed;
  } else {
    ++tally().failed;
    std::printf("FAIL %s%s%s\n", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  }
  return ok;
}

/** Runs a test body; an escaping exception is a failure of that test. */
inline void run(const std::string& name, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    expect(false, name, std::string("unexpected exception: ") + e.what());
  }
}

/** The code name of the ProtocolError `fn` throws, "ok" if it returns, "other: ..." for any other exception. */
inline std::string code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const overlay_ipc::ProtocolError& e) {
    return std::string(e.code_name());
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  }
  return "ok";
}

inline std::string hex(overlay_ipc::ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(b.size * 2);
  for (const std::uint8_t c : b) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

/** Parses lowercase or uppercase hex; throws std::invalid_argument on anything else. */
inline overlay_ipc::Bytes unhex(const std::string& s) {
  auto nibble = [&s](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    throw std::invalid_argument("bad hex: " + s);
  };
  if (s.size() % 2 != 0) throw std::invalid_argument("odd-length hex: " + s);
  overlay_ipc::Bytes out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nibble(s[i]) << 4 | nibble(s[i + 1])));
  }
  return out;
}

/** Prints the summary line and gives the process exit status. */
inline int summary() {
  std::printf("%d passed, %d failed\n", tally().passed, tally().failed);
  return tally().failed == 0 ? 0 : 1;
}

}  // namespace check
