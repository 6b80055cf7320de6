// UTF-8 as the TypeScript side sees it: validation with the rules of TextDecoder({ fatal: true }) (no overlongs, no
// surrogates, nothing above U+10FFFF) and string lengths in code points, which is how zod measures .min()/.max().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace overlay_ipc::utf8 {

/** True when `s` is well-formed UTF-8 (Unicode Table 3-7, the table TextDecoder applies). */
inline bool is_valid(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  auto cont = [](unsigned char c) { return (c & 0xC0) == 0x80; };
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < len || p[1] < lo || p[1] > hi) return false;
    for (std::size_t i = 2; i < len; ++i) {
      if (!cont(p[i])) return false;
    }
    p += len;
  }
  return true;
}

/** Number of code points in valid UTF-8: every byte that is not a continuation byte starts one. */
inline std::size_t code_points(std::string_view valid) {
  std::size_t n = 0;
  for (const char ch : valid) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}

/**
 * Appends code point `cp` (at most U+10FFFF). Surrogates are written as 3-byte sequences (WTF-8): JSON's \uD800
 * escapes can name one, and the schema layer rejects such a string later, only if it reads it.
 */
inline void append(std::string& out, std::uint32_t cp) {
  auto put = [&out](std::uint32_t byte) { out.push_back(static_cast<char>(byte)); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | cp >> 6);
    put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | cp >> 12);
    put(0x80 | (cp >> 6 & 0x3F));
    put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | cp >> 18);
    put(0x80 | (cp >> 12 & 0x3F));
    put(0x80 | (cp >> 6 & 0x3F));
    put(0x80 | (cp & 0x3F));
  }
}

}  // namespace overlay_ipc::utf8
