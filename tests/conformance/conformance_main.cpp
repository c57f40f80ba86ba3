// The conformance runner: Catch2's session plus --backend <name>, which limits every case
// to one backend (CTest runs the suite once per backend this way).
#include <catch2/catch_session.hpp>

#include "conformance_support.hpp"

int main(int argc, char** argv) {
  Catch::Session session;
  std::string backend;
  session.cli(session.cli() | Catch::Clara::Opt(backend, "name")["--backend"](
                                  "run on this backend only; it is skipped with its reason when unusable"));
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  conformance::only_backend(backend);
  return session.run();
}
