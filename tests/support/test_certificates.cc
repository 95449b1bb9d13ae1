// SPDX-License-Identifier: Apache-2.0
#include "support/test_certificates.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace tracekit::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("tracekit-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

const char* const kNewKey = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
const char* const kCaExtensions =
    " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign";

// Shell lines for a self-signed CA `name`.crt / `name`.key.
std::string ca_script(const std::string& name, const std::string& cn) {
  return std::string("openssl req -x509") + kNewKey + kCaExtensions + " -keyout " + name +
         ".key -out " + name + ".crt -days 2 -subj '/CN=" + cn + "'\n";
}

// Shell lines for `name`.crt / `name`.key signed by ca.crt, with the extensions in `name`.ext.
std::string leaf_script(const std::string& name, const std::string& cn) {
  return std::string("openssl req") + kNewKey + " -keyout " + name + ".key -out " + name +
         ".csr -subj '/CN=" + cn + "'\n" + "openssl x509 -req -in " + name +
         ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -out " + name + ".crt -days 2 -extfile " +
         name + ".ext\n";
}

void write_server_extensions(const std::string& path, const std::string& subject_alt_names) {
  std::ofstream(path) << "subjectAltName=" << subject_alt_names << "\n"
                      << "basicConstraints=CA:FALSE\n"
                         "keyUsage=digitalSignature,keyEncipherment\n"
                         "extendedKeyUsage=serverAuth\n";
}

}  // namespace

TestCertificates make_certificates(const TempDir& dir) {
  TestCertificates c;
  auto f = [&](const char* name) { return dir.file(name); };
  c.ca_cert = f("ca.crt");
  c.ca_key = f("ca.key");
  c.server_cert = f("server.crt");
  c.server_key = f("server.key");
  c.client_cert = f("client.crt");
  c.client_key = f("client.key");
  c.other_ca_cert = f("other-ca.crt");
  c.localhost_only_cert = f("localhost-only.crt");
  c.localhost_only_key = f("localhost-only.key");
  c.ip_only_cert = f("ip-only.crt");
  c.ip_only_key = f("ip-only.key");
  write_server_extensions(f("server.ext"), "DNS:localhost,IP:127.0.0.1");
  write_server_extensions(f("localhost-only.ext"), "DNS:localhost");
  write_server_extensions(f("ip-only.ext"), "IP:127.0.0.1");
  std::ofstream(f("client.ext")) << "basicConstraints=CA:FALSE\n"
                                    "keyUsage=digitalSignature,keyEncipherment\n"
                                    "extendedKeyUsage=clientAuth\n";
  const std::string script =
      "set -e; cd '" + dir.path().string() + "'; exec >openssl.log 2>&1\n" +
      ca_script("ca", "tracekit test CA") + ca_script("other-ca", "other CA") +
      leaf_script("server", "localhost") + leaf_script("client", "tracekit client") +
      leaf_script("localhost-only", "localhost") + leaf_script("ip-only", "127.0.0.1");
  std::ofstream(f("make.sh")) << script;
  const int rc = std::system(("sh '" + f("make.sh") + "'").c_str());
  c.ok = rc == 0;
  if (!c.ok) c.error = "openssl failed: " + read_text(f("openssl.log"));
  return c;
}

}  // namespace tracekit::testing
