// Reads tests/vectors/ipc-frames.txt: lines `<name> <ok|ERROR_CODE_NAME> <hex>`, '#' comments, blank lines.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.hpp"

struct Vector {
  std::string name;
  std::string expect;  // "ok" or an error code name
  overlay_ipc::Bytes bytes;
};

inline std::vector<Vector> read_vectors(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open vectors file " + path);
  std::vector<Vector> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    Vector v;
    std::string hex, extra;
    if (!(fields >> v.name >> v.expect >> hex) || (fields >> extra)) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": bad vector line");
    }
    v.bytes = check::unhex(hex);
    out.push_back(std::move(v));
  }
  return out;
}
