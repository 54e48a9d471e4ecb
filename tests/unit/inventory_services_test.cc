// inventory.yaml `services:` (Windows service monitoring): every key, the
// defaults, and the exact text of every error.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "collector/inventory/inventory_loader.h"

namespace mimamori::collector {
namespace {

using std::chrono::milliseconds;

std::vector<ServiceCheck> Services(const std::string& items) {
  std::vector<ConfigError> errors;
  const std::string text = "nodes:\n  - name: w\n    address: 10.0.0.1\n    services:\n" + items;
  std::optional<Inventory> inventory = ParseInventory(text, "inventory.yaml", errors);
  for (const ConfigError& e : errors) ADD_FAILURE() << e.ToString();
  if (!inventory || inventory->nodes.empty()) return {};
  return inventory->nodes[0].services;
}

TEST(InventoryServices, DefaultsAndEveryKey) {
  const std::vector<ServiceCheck> services = Services(
      "      - {name: W3SVC, user: monitor, password_file: /etc/mimamori/winrm.pass}\n"
      "      - name: MSSQLSERVER\n"
      "        user: 'DOMAIN\\monitor'\n"
      "        password_env: WINRM_PASSWORD\n"
      "        protocol: https\n"
      "        ca_file: /etc/mimamori/winrm-ca.pem\n"
      "        timeout: 2500ms\n"
      "        retries: 0\n"
      "      - {name: Spooler, user: m, password_env: P, protocol: https, port: 15986, "
      "insecure_skip_verify: true}\n"
      "      - {name: mimamori-agent, via: snmp}\n"
      "      - {name: WinRM, via: winrm, user: m, password_env: P, insecure_skip_verify: false, "
      "protocol: https}\n");
  ASSERT_EQ(services.size(), 5u);
  const ServiceCheck& plain = services[0];
  EXPECT_EQ(plain.service, "W3SVC");
  EXPECT_EQ(plain.via, ServiceVia::kWinRm);
  EXPECT_EQ(plain.user, "monitor");
  EXPECT_EQ(plain.password_file, "/etc/mimamori/winrm.pass");
  EXPECT_FALSE(plain.https);
  EXPECT_EQ(plain.port, 5985);
  EXPECT_TRUE(plain.verify_tls);
  EXPECT_EQ(plain.ca_file, "");
  EXPECT_EQ(plain.timeout, milliseconds(5000));
  EXPECT_EQ(plain.retries, 1);

  const ServiceCheck& tls = services[1];
  EXPECT_EQ(tls.user, "DOMAIN\\monitor");
  EXPECT_EQ(tls.password_env, "WINRM_PASSWORD");
  EXPECT_TRUE(tls.https);
  EXPECT_EQ(tls.port, 5986);
  EXPECT_TRUE(tls.verify_tls);
  EXPECT_EQ(tls.ca_file, "/etc/mimamori/winrm-ca.pem");
  EXPECT_EQ(tls.timeout, milliseconds(2500));
  EXPECT_EQ(tls.retries, 0);

  EXPECT_EQ(services[2].port, 15986);
  EXPECT_FALSE(services[2].verify_tls);

  EXPECT_EQ(services[3].via, ServiceVia::kSnmp);
  EXPECT_EQ(services[3].user, "");
  EXPECT_TRUE(services[4].verify_tls);
}

TEST(InventoryServices, ErrorsNameFileLineColumnAndField) {
  const std::string head = "nodes:\n  - name: w\n    address: 10.0.0.1\n    services:\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"      - {name: W3SVC, via: wmi}\n",
       "inventory.yaml:5:28: nodes[0].services[0].via: expected one of winrm, snmp, got 'wmi'"},
      {"      - {name: W3SVC, via: snmp, user: monitor}\n",
       "inventory.yaml:5:40: nodes[0].services[0].user: only with via: winrm (via: snmp reads "
       "the agent's service table with the node's snmp settings)"},
      {"      - {name: W3SVC, via: snmp, password_env: P}\n",
       "inventory.yaml:5:48: nodes[0].services[0].password_env: only with via: winrm (via: snmp "
       "reads the agent's service table with the node's snmp settings)"},
      {"      - {name: W3SVC, via: snmp, timeout: 1s}\n",
       "inventory.yaml:5:43: nodes[0].services[0].timeout: only with via: winrm (via: snmp "
       "reads the agent's service table with the node's snmp settings)"},
      {"      - {via: snmp}\n",
       "inventory.yaml:5:9: nodes[0].services[0].name: required key is missing"},
      {"      - {name: W3SVC, user: u, password_file: winrm.pass}\n",
       "inventory.yaml:5:47: nodes[0].services[0].password_file: must be an absolute path, got "
       "'winrm.pass'"},
      {"      - {name: W3SVC, user: u, password_env: P, ca_file: /ca.pem}\n",
       "inventory.yaml:5:58: nodes[0].services[0].ca_file: only with protocol: https"},
      {"      - {name: W3SVC, user: u, password_env: P, insecure_skip_verify: true}\n",
       "inventory.yaml:5:71: nodes[0].services[0].insecure_skip_verify: only with protocol: "
       "https"},
      {"      - {name: W3SVC, user: u, password_env: P, protocol: https, ca_file: ca.pem}\n",
       "inventory.yaml:5:75: nodes[0].services[0].ca_file: must be an absolute path, got "
       "'ca.pem'"},
      {"      - {name: W3SVC, user: u, password_env: P, protocol: https, ca_file: /ca.pem, "
       "insecure_skip_verify: true}\n",
       "inventory.yaml:5:106: nodes[0].services[0].insecure_skip_verify: give ca_file or "
       "insecure_skip_verify, not both"},
      {"      - {name: W3SVC, user: u, password_env: P, protocol: https, insecure_skip_verify: "
       "yes}\n",
       "inventory.yaml:5:88: nodes[0].services[0].insecure_skip_verify: expected true or false, "
       "got 'yes'"},
      {"      - {name: W3SVC, user: u, password_env: P, retries: 11}\n",
       "inventory.yaml:5:58: nodes[0].services[0].retries: must be from 0 to 10, got 11"},
      {"      - {name: W3SVC, user: u, password_env: P, timeout: 0s}\n",
       "inventory.yaml:5:58: nodes[0].services[0].timeout: must be at least 1ms, got 0s"},
      {"      - {name: W3SVC, user: u, password_env: P, port: 0}\n",
       "inventory.yaml:5:55: nodes[0].services[0].port: must be from 1 to 65535, got 0"},
      {"      - {name: W3SVC, user: u, password_env: P, tls: off}\n",
       "inventory.yaml:5:49: nodes[0].services[0].tls: unknown key (known keys: ca_file, "
       "insecure_skip_verify, name, password_env, password_file, port, protocol, retries, "
       "timeout, user, via)"},
      {"      - {name: W3SVC, via: snmp}\n      - {name: W3SVC, user: u, password_env: P}\n",
       "inventory.yaml:6:9: nodes[0].services[1]: duplicate service 'W3SVC' (first at line 5)"},
  };
  for (const auto& [items, expected] : cases) {
    std::vector<ConfigError> errors;
    EXPECT_FALSE(ParseInventory(head + items, "inventory.yaml", errors)) << items;
    ASSERT_EQ(errors.size(), 1u) << items;
    EXPECT_EQ(errors[0].ToString(), expected) << items;
  }
}

}  // namespace
}  // namespace mimamori::collector
