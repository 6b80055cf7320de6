// Edge cases with known TS verdicts (native/tests/parity-cases.txt): the C++ decoder must give the native column.
// Where it differs from the ts column the difference is deliberate and documented in the table and README.
#include <cstdio>
#include <string>

#include "check.hpp"
#include "vectors.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <path to native/tests/parity-cases.txt>\n", argv[0]);
    return 2;
  }
  std::vector<std::vector<std::string>> rows;
  try {
    rows = read_rows(argv[1], 4);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  check::expect(!rows.empty(), "parity table has cases");
  for (const auto& row : rows) {
    const std::string& name = row[0];
    const std::string& native = row[2];
    const std::string got = verdict_of(check::unhex(row[3]));
    check::expect(got == native, name, "expected " + native + ", got " + got);
  }
  return check::summary();
}
