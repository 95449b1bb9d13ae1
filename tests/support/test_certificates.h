// SPDX-License-Identifier: Apache-2.0
// Shared by the OTLP and HTTP tests: a temporary directory, and test certificates made with the
// openssl command (a CA, server and client certificates it signed, and an unrelated CA).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tracekit::testing {

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A CA, a server certificate for localhost / 127.0.0.1 and a client certificate signed by it,
// and a second CA that signed nothing we use (the "wrong" trust anchor). For host name checks,
// two more server certificates from the same CA: one naming only DNS:localhost, one only
// IP:127.0.0.1. EC P-256 keys; PEM file paths.
struct TestCertificates {
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca_cert;
  std::string localhost_only_cert, localhost_only_key;
  std::string ip_only_cert, ip_only_key;
  bool ok = false;
  std::string error;
};
TestCertificates make_certificates(const TempDir& dir);

std::string read_text(const std::string& path);

}  // namespace tracekit::testing
