// Reading the vector tables (tests/vectors/ipc-frames.txt, native/tests/parity-cases.txt) and judging a frame.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.hpp"
#include "overlay_ipc/codec.hpp"
#include "overlay_ipc/framing.hpp"

/** Reads a whitespace-separated table: `columns` fields per line, '#' comments and blank lines skipped. */
inline std::vector<std::vector<std::string>> read_rows(const std::string& path, std::size_t columns) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    std::vector<std::string> row;
    for (std::string field; fields >> field;) row.push_back(field);
    if (row.size() != columns) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": expected " + std::to_string(columns) +
                               " fields, got " + std::to_string(row.size()));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

struct Vector {
  std::string name;
  std::string expect;  // "ok" or an error code name
  overlay_ipc::Bytes bytes;
};

/** tests/vectors/ipc-frames.txt: `<name> <ok|ERROR_CODE_NAME> <hex>`. */
inline std::vector<Vector> read_vectors(const std::string& path) {
  std::vector<Vector> out;
  for (auto& row : read_rows(path, 3)) out.push_back(Vector{row[0], row[1], check::unhex(row[2])});
  return out;
}

/**
 * What this decoder makes of one frame, in the notation of the vector files: "ok" if it decodes and re-encodes to
 * the same bytes, "ok=<hex>" if it re-encodes to other (canonical) bytes, else the ProtocolError code name.
 */
inline std::string verdict_of(const overlay_ipc::Bytes& frame) {
  using namespace overlay_ipc;
  std::vector<Bytes> frames;
  try {
    FrameDecoder decoder;
    decoder.push(ByteView(frame), [&frames](std::uint32_t type, ByteView payload) {
      frames.push_back(encode_frame(decode_message(type, payload)));
    });
    if (frames.size() != 1 || decoder.buffered() != 0) return "not-one-frame";
  } catch (const ProtocolError& e) {
    return std::string(e.code_name());
  }
  return frames[0] == frame ? "ok" : "ok=" + check::hex(frames[0]);
}
