// The V2 dialect's JSON payloads (SET_PEER_CONFIG, OVERLAY_METRICS_RESPONSE), read and written exactly as the
// TypeScript side does: the payload must be valid UTF-8 (TextDecoder, fatal; one leading BOM is dropped), the text
// must be what JSON.parse accepts, and output is byte-identical to JSON.stringify (no spaces, shortest numbers).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bytes.hpp"
#include "errors.hpp"
#include "js_number.hpp"
#include "utf8.hpp"
#include "value_tree.hpp"

namespace overlay_ipc::json {

namespace detail {

/** An iterative JSON.parse into a Tree: nesting depth costs heap, not stack. */
class Parser {
 public:
  Parser(std::string_view text, std::uint32_t frame_type) : s_(text), frame_type_(frame_type) {}

  tree::Tree run() {
    std::vector<tree::Kind> open;  // containers entered and not yet closed
    bool need_value = true;
    while (true) {
      if (need_value) {
        skip_ws();
        const char c = peek("a value");
        if (c == '{' || c == '[') {
          const bool is_object = c == '{';
          ++pos_;
          tree_.open(is_object ? tree::Kind::Object : tree::Kind::Array);
          skip_ws();
          if (peek("a value") == (is_object ? '}' : ']')) {
            ++pos_;
            tree_.close();
            need_value = false;
          } else {
            open.push_back(is_object ? tree::Kind::Object : tree::Kind::Array);
            if (is_object) key();
          }
          continue;
        }
        scalar(c);
        need_value = false;
        continue;
      }
      skip_ws();
      if (open.empty()) {
        if (pos_ != s_.size()) fail("unexpected non-whitespace after the JSON value");
        return std::move(tree_);
      }
      const bool in_object = open.back() == tree::Kind::Object;
      const char c = peek(in_object ? "',' or '}'" : "',' or ']'");
      ++pos_;
      if (c == ',') {
        if (in_object) key();
        need_value = true;
      } else if (c == (in_object ? '}' : ']')) {
        open.pop_back();
        tree_.close();
      } else {
        fail(std::string("unexpected '") + c + "'");
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    overlay_ipc::detail::malformed(frame_type_, "bad JSON: " + what + " at position " + std::to_string(pos_));
  }

  char peek(const char* expected) const {
    if (pos_ >= s_.size()) fail(std::string("unexpected end, expected ") + expected);
    return s_[pos_];
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  /** A property name and its colon; the value follows. */
  void key() {
    skip_ws();
    if (peek("a property name") != '"') fail("expected a double-quoted property name");
    tree_.add_string(string());
    skip_ws();
    if (peek("':'") != ':') fail("expected ':'");
    ++pos_;
  }

  void scalar(char c) {
    if (c == '"') {
      tree_.add_string(string());
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      tree_.add_number(number());
    } else if (literal("true")) {
      tree_.add_bool(true);
    } else if (literal("false")) {
      tree_.add_bool(false);
    } else if (literal("null")) {
      tree_.add_null();
    } else {
      fail(std::string("unexpected '") + c + "'");
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  unsigned hex4() {
    if (s_.size() - pos_ < 4) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= static_cast<unsigned>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<unsigned>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<unsigned>(h - 'A' + 10);
      } else {
        fail("bad \\u escape");
      }
    }
    return v;
  }

  /** A string literal, unescaped. The text is already valid UTF-8, so raw bytes are copied as they are. */
  const std::string& string() {
    ++pos_;  // opening quote
    scratch_.clear();
    while (true) {
      const char c = peek("'\"'");
      if (c == '"') {
        ++pos_;
        return scratch_;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("bad control character in string literal");
      if (c != '\\') {
        scratch_.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      const char e = peek("an escape");
      ++pos_;
      switch (e) {
        case '"': scratch_.push_back('"'); break;
        case '\\': scratch_.push_back('\\'); break;
        case '/': scratch_.push_back('/'); break;
        case 'b': scratch_.push_back('\b'); break;
        case 'f': scratch_.push_back('\f'); break;
        case 'n': scratch_.push_back('\n'); break;
        case 'r': scratch_.push_back('\r'); break;
        case 't': scratch_.push_back('\t'); break;
        case 'u': {
          std::uint32_t unit = hex4();
          // A surrogate pair written as two escapes is one code point, as in a JS string.
          if (unit >= 0xD800 && unit <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            const std::size_t save = pos_;
            pos_ += 2;
            const std::uint32_t low = hex4();
            if (low >= 0xDC00 && low <= 0xDFFF) {
              unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          utf8::append(scratch_, unit);
          break;
        }
        default:
          fail("bad escape");
      }
    }
  }

  double number() {
    const std::size_t start = pos_;
    auto digits = [this] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("no number after minus sign");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) fail("unterminated fractional number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail("exponent part is missing a number");
    }
    // A JSON number after a leading zero ("01") ends at the zero; the caller then fails on the stray digit.
    const std::string_view text = s_.substr(start, pos_ - start);
    double v = 0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::general);
    if (res.ec == std::errc::result_out_of_range) return out_of_range(text);
    if (res.ec != std::errc() || res.ptr != text.data() + text.size()) fail("bad number");
    return v;
  }

  /**
   * from_chars leaves the value alone when it does not fit a double; JSON.parse gives ±Infinity (which every
   * schema then rejects) or ±0. Which one follows from the decimal exponent of the leading significant digit.
   */
  static double out_of_range(std::string_view text) {
    const bool negative = text[0] == '-';
    long long magnitude = 0;
    bool seen_point = false, seen_digit = false;
    std::size_t i = negative ? 1 : 0;
    for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
      if (text[i] == '.') {
        seen_point = true;
      } else if (!seen_digit && text[i] == '0') {
        if (seen_point) --magnitude;
      } else {
        seen_digit = true;
        if (!seen_point) ++magnitude;
      }
    }
    long long exponent = 0;
    if (i < text.size()) {
      const char* from = text.data() + i + 1;
      if (*from == '+') ++from;
      if (std::from_chars(from, text.data() + text.size(), exponent).ec != std::errc()) {
        exponent = *from == '-' ? -1000000 : 1000000;  // beyond long long: still clearly huge or tiny
      }
    }
    const double v = magnitude + exponent > 0 ? HUGE_VAL : 0.0;
    return negative ? -v : v;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::uint32_t frame_type_;
  std::string scratch_;
  tree::Tree tree_;
};

}  // namespace detail

/** Parses a whole payload as the TS side's TextDecoder + JSON.parse would. Errors are MALFORMED_PAYLOAD. */
inline tree::Tree parse(ByteView payload, std::uint32_t frame_type) {
  std::string_view text(reinterpret_cast<const char*>(payload.data), payload.size);
  if (!utf8::is_valid(text)) overlay_ipc::detail::malformed(frame_type, "JSON payload is not valid UTF-8");
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // TextDecoder strips one byte-order mark
  return detail::Parser(text, frame_type).run();
}

/** Writes JSON exactly as JSON.stringify does. Counts passed to begin_* are ignored (msgpack needs them). */
class Writer {
 public:
  void begin_object(std::size_t) { open('{'); }
  void end_object() { close('}'); }
  void begin_array(std::size_t) { open('['); }
  void end_array() { close(']'); }

  void key(std::string_view k) {
    separate();
    quote(k);
    out_.push_back(':');
    after_key_ = true;
  }
  void string(std::string_view s) {
    separate();
    quote(s);
  }
  void number(double v) {
    separate();
    out_ += std::isfinite(v) ? js::to_string(v) : "null";  // JSON.stringify(NaN) is "null"
  }
  void boolean(bool b) {
    separate();
    out_ += b ? "true" : "false";
  }

  const std::string& str() const { return out_; }

 private:
  void open(char c) {
    separate();
    out_.push_back(c);
    first_.push_back(true);
  }
  void close(char c) {
    out_.push_back(c);
    first_.pop_back();
  }
  /** A comma before every value but the first of its container, and none between a key and its value. */
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }

  /** QuoteJSONString: short escapes, \u00xx for other controls, lone surrogates (WTF-8) as \udxxx. */
  void quote(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    auto unicode_escape = [this](unsigned unit) {
      out_ += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out_.push_back(kHex[(unit >> shift) & 0xF]);
    };
    out_.push_back('"');
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      switch (c) {
        case '"': out_ += "\\\""; continue;
        case '\\': out_ += "\\\\"; continue;
        case '\b': out_ += "\\b"; continue;
        case '\f': out_ += "\\f"; continue;
        case '\n': out_ += "\\n"; continue;
        case '\r': out_ += "\\r"; continue;
        case '\t': out_ += "\\t"; continue;
        default: break;
      }
      if (c < 0x20) {
        unicode_escape(c);
      } else if (c == 0xED && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
        unicode_escape(0xD000u | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6 |
                       (static_cast<unsigned char>(s[i + 2]) & 0x3Fu));
        i += 2;
      } else {
        out_.push_back(static_cast<char>(c));
      }
    }
    out_.push_back('"');
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace overlay_ipc::json
